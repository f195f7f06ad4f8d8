// Command readfloor is the read floor of `make bench`: the least a program
// must do to know what pgward needs to plan. It connects with bare pgx,
// runs one query (synth.ReadFloorQuery: names, owners, signatures and ACL
// arrays, one row per object, extension members left out), parses every
// ACL item and keeps every row in memory, then prints how many it read.
// The bench times it as a whole process, start and connection included,
// and reads its peak RSS.
//
// With -all-databases it is the floor of a fleet run (`make bench-fleet`):
// it lists the databases of the server as pgward audit --all-databases
// does (those that accept connections and that the role may connect to,
// kept by the -include-database patterns), then reads each one as above
// (connect, one query, disconnect), -concurrency at a time, keeping one
// database's rows only until it is read.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/acl"

	"github.com/pgward/pgward/internal/testkit/synth"
)

// row is one object as read.
type row struct {
	class   int32
	subkind string
	schema  string
	name    string
	args    string
	owner   uint32
	acl     []item
}

// item is one parsed ACL item: privileges and grant options as bits in
// the order of privLetters.
type item struct {
	grantee, grantor string
	privs, options   uint16
}

func main() {
	url := flag.String("database-url", os.Getenv("DATABASE_URL"), "connection string")
	all := flag.Bool("all-databases", false, "read every database of the server the role may connect to")
	include := flag.String("include-database", "", "with -all-databases, only the databases whose name matches one of these comma-separated patterns (path.Match)")
	concurrency := flag.Int("concurrency", 1, "with -all-databases, how many databases to read at once")
	flag.Parse()
	ctx := context.Background()
	if *all {
		dbs, rows, items, err := readAll(ctx, *url, splitPatterns(*include), *concurrency)
		if err != nil {
			fmt.Fprintf(os.Stderr, "readfloor: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("%d databases, %d rows, %d ACL items\n", dbs, rows, items)
		return
	}
	cfg, err := pgx.ParseConfig(*url)
	if err == nil {
		var rows []row
		var items int
		if rows, items, err = read(ctx, cfg); err == nil {
			fmt.Printf("%d rows, %d ACL items\n", len(rows), items)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "readfloor: %v\n", err)
	os.Exit(1)
}

func splitPatterns(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// listQuery lists the databases pgward's --all-databases runs over.
const listQuery = `SELECT datname::text FROM pg_catalog.pg_database
WHERE datallowconn AND NOT datistemplate AND pg_catalog.has_database_privilege(oid, 'CONNECT')
ORDER BY datname`

// readAll lists the databases of url's server that match one of include
// (all when it is empty) and reads each one on its own connection,
// concurrency at a time. It returns how many databases, rows and ACL items
// it read.
func readAll(ctx context.Context, url string, include []string, concurrency int) (dbs, rows, items int, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return 0, 0, 0, err
	}
	names, err := listDatabases(ctx, cfg, include)
	if err != nil {
		return 0, 0, 0, err
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range max(concurrency, 1) {
		wg.Go(func() {
			for name := range next {
				c := cfg.Copy()
				c.Database = name
				r, n, err := read(ctx, c)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("database %s: %w", name, err))
				}
				rows += len(r)
				items += n
				mu.Unlock()
			}
		})
	}
	for _, name := range names {
		next <- name
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return 0, 0, 0, errs[0]
	}
	return len(names), rows, items, nil
}

// listDatabases connects to cfg's database and lists the databases that
// match include, on a connection it closes before returning.
func listDatabases(ctx context.Context, cfg *pgx.ConnConfig, include []string) ([]string, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	res, err := conn.Query(ctx, listQuery)
	if err != nil {
		return nil, fmt.Errorf("list the databases: %w", err)
	}
	all, err := pgx.CollectRows(res, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list the databases: %w", err)
	}
	var out []string
	for _, name := range all {
		if keeps(include, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no database matches %q", strings.Join(include, ","))
	}
	return out, nil
}

// keeps reports whether name matches one of the patterns, or there are none.
func keeps(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return len(patterns) == 0
}

func read(ctx context.Context, cfg *pgx.ConnConfig) ([]row, int, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(ctx)
	res, err := conn.Query(ctx, synth.ReadFloorQuery)
	if err != nil {
		return nil, 0, err
	}
	defer res.Close()
	var (
		out   []row
		items int
		acl   []string
	)
	for res.Next() {
		var r row
		acl = acl[:0]
		if err := res.Scan(&r.class, &r.subkind, &r.schema, &r.name, &r.args, &r.owner, &acl); err != nil {
			return nil, 0, err
		}
		if len(acl) > 0 {
			r.acl = make([]item, len(acl))
			for i, s := range acl {
				if r.acl[i], err = parseItem(s); err != nil {
					return nil, 0, fmt.Errorf("ACL of %s.%s: %w", r.schema, r.name, err)
				}
			}
			items += len(acl)
		}
		out = append(out, r)
	}
	return out, items, res.Err()
}

// parseItem parses the text form of an aclitem with pgward's own parser
// (acl.ParseItem): the floor parses what pgward parses.
func parseItem(s string) (item, error) {
	grantee, grantor, p, err := acl.ParseItem(s)
	return item{grantee: grantee, grantor: grantor, privs: uint16(p.Privs), options: uint16(p.GrantOption)}, err
}
