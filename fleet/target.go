package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/connstr"
)

// Target is one database of a fleet.
type Target struct {
	// Label names the database in the output: its name, or
	// host:port/name (and the user) when that is needed to tell two apart.
	// It never holds a password.
	Label string
	// Config connects to the database.
	Config *pgx.ConnConfig
	// Server is host:port; the databases of one server share roles.
	Server string
	// ClusterOwner: this database's run changes what its server shares
	// (roles, memberships, parameters, tablespaces).
	ClusterOwner bool
	// OwnerLabel is the label of the cluster owner of the server.
	OwnerLabel string
	// Shard is the shard of a sharded run this target falls in, OwnerShard
	// the one its server's cluster owner falls in ([Shard.Select]); both
	// are the zero Shard when the run is not sharded.
	Shard, OwnerShard Shard
}

// Filter keeps the database names that --all-databases finds: those that
// match a pattern of Include (all when it is empty) and none of Exclude.
// Patterns are path.Match's (*, ?, [a-z]).
type Filter struct {
	Include, Exclude []string
}

// Check reports the first malformed pattern.
func (f Filter) Check() error {
	for _, p := range append(append([]string(nil), f.Include...), f.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("database name pattern %q: %w", p, err)
		}
	}
	return nil
}

// Keeps reports whether the filter keeps the database name.
func (f Filter) Keeps(name string) bool {
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	return (len(f.Include) == 0 || match(f.Include)) && !match(f.Exclude)
}

// Spec says which databases a fleet covers.
type Spec struct {
	// Seeds are the databases given one by one (connection strings, a
	// targets file: see [ReadTargets]), in order.
	Seeds []*pgx.ConnConfig
	// AllDatabases replaces each seed by every database of its server that
	// accepts connections, that the seed's role may connect to and that
	// Filter keeps, in name order.
	AllDatabases bool
	Filter       Filter
	// ClusterOwner names the database that owns what each server shares;
	// "" chooses the server's database whose name sorts first. Either way
	// the choice does not depend on the order of the seeds (with the same
	// database under two users, the user whose name sorts first wins), so
	// that the shards of a sharded run agree on it ([Shard.Select]).
	ClusterOwner string
	// NoConnect, when set, is told of the databases of a server that
	// AllDatabases leaves out because user has no CONNECT privilege on
	// them (those Filter keeps).
	NoConnect func(server, user string, names []string)
}

// Resolve lists the databases of the fleet, in the order of the seeds,
// once each (a database and user given twice counts once), labels them and
// picks the cluster owner of each server.
func Resolve(ctx context.Context, s Spec) ([]*Target, error) {
	if err := s.Filter.Check(); err != nil {
		return nil, err
	}
	seeds := s.Seeds
	if s.AllDatabases {
		var err error
		if seeds, err = expandServers(ctx, s, seeds); err != nil {
			return nil, err
		}
	}
	var targets []*Target
	seen := map[string]bool{}
	for _, cfg := range seeds {
		server := serverOf(cfg)
		key := server + "/" + cfg.Database + "\x00" + cfg.User
		if seen[key] {
			continue
		}
		seen[key] = true
		targets = append(targets, &Target{Config: cfg, Server: server})
	}
	if len(targets) == 0 {
		return nil, errors.New("the fleet has no database: --all-databases found none that matches the filters and accepts connections from this role")
	}
	labelTargets(targets)
	return targets, pickOwners(targets, s.ClusterOwner)
}

func serverOf(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// ReadTargets reads a targets file: one connection string (URL or
// key=value) a line; blank lines and lines starting with # are skipped. An
// error names the line, never its text (it may hold a password).
func ReadTargets(name string) ([]*pgx.ConnConfig, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	defer f.Close()
	var out []*pgx.ConnConfig
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cfg, err := connstr.ParseConfig(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, cfg)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read targets %s: %w", name, err)
	}
	return out, nil
}

// sqlDatabases lists the databases AllDatabases considers.
const sqlDatabases = `SELECT datname::text, pg_catalog.has_database_privilege(oid, 'CONNECT')
FROM pg_catalog.pg_database
WHERE datallowconn AND NOT datistemplate
ORDER BY datname`

// expandServers replaces each seed by the databases of its server that
// accept connections, that the seed's role may connect to, and that the
// filter keeps. Databases left out for want of CONNECT go to s.NoConnect.
func expandServers(ctx context.Context, s Spec, seeds []*pgx.ConnConfig) ([]*pgx.ConnConfig, error) {
	var out []*pgx.ConnConfig
	listed := map[string]bool{}
	for _, seed := range seeds {
		server := serverOf(seed)
		if listed[server+"\x00"+seed.User] {
			continue
		}
		listed[server+"\x00"+seed.User] = true
		names, noConnect, err := listDatabases(ctx, seed)
		if err != nil {
			return nil, err
		}
		var skipped []string
		for _, name := range noConnect {
			if s.Filter.Keeps(name) {
				skipped = append(skipped, name)
			}
		}
		if len(skipped) > 0 && s.NoConnect != nil {
			s.NoConnect(server, seed.User, skipped)
		}
		for _, name := range names {
			if !s.Filter.Keeps(name) {
				continue
			}
			cfg := seed.Copy()
			cfg.Database = name
			out = append(out, cfg)
		}
	}
	return out, nil
}

func listDatabases(ctx context.Context, cfg *pgx.ConnConfig) (names, noConnect []string, err error) {
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases of %s: %w", serverOf(cfg), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, sqlDatabases)
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases of %s: %w", serverOf(cfg), err)
	}
	var (
		name string
		ok   bool
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &ok}, func() error {
		if ok {
			names = append(names, name)
		} else {
			noConnect = append(noConnect, name)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases of %s: %w", serverOf(cfg), err)
	}
	return names, noConnect, nil
}

// labelTargets names each target by its database name, adding the server
// when the name repeats, and the user when that is not enough.
func labelTargets(targets []*Target) {
	count := func(label func(*Target) string) map[string]int {
		n := map[string]int{}
		for _, t := range targets {
			n[label(t)]++
		}
		return n
	}
	byName := count(func(t *Target) string { return t.Config.Database })
	byServer := count(func(t *Target) string { return t.Server + "/" + t.Config.Database })
	for _, t := range targets {
		switch {
		case byName[t.Config.Database] == 1:
			t.Label = t.Config.Database
		case byServer[t.Server+"/"+t.Config.Database] == 1:
			t.Label = t.Server + "/" + t.Config.Database
		default:
			t.Label = t.Server + "/" + t.Config.Database + " as " + t.Config.User
		}
	}
}

// pickOwners makes one target of each server its cluster owner: the one
// whose database is named owner, else the one whose name sorts first; of
// the same database under several users, the user that sorts first. The
// order of the targets does not matter.
func pickOwners(targets []*Target, owner string) error {
	before := func(a, b *Target) bool {
		if a.Config.Database != b.Config.Database {
			return a.Config.Database < b.Config.Database
		}
		return a.Config.User < b.Config.User
	}
	chosen := map[string]*Target{}
	var servers []string
	for _, t := range targets {
		if _, seen := chosen[t.Server]; !seen {
			chosen[t.Server] = nil
			servers = append(servers, t.Server)
		}
		if owner != "" && t.Config.Database != owner {
			continue
		}
		if c := chosen[t.Server]; c == nil || before(t, c) {
			chosen[t.Server] = t
		}
	}
	for _, s := range servers {
		t := chosen[s]
		if t == nil {
			return fmt.Errorf("--cluster-owner %s: the fleet has no database %s on server %s; name a database of every server, or leave the flag out (then each server's database whose name sorts first owns what it shares)", owner, owner, s)
		}
		t.ClusterOwner = true
	}
	owners := map[string]string{}
	for _, t := range targets {
		if t.ClusterOwner {
			owners[t.Server] = t.Label
		}
	}
	for _, t := range targets {
		t.OwnerLabel = owners[t.Server]
	}
	return nil
}
