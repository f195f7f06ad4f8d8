package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/policy"
)

// Shard is one of Count parts of a fleet, numbered from 0, that separate
// runs (the pods of a Kubernetes Indexed Job) work on without talking to
// each other. The zero Shard is the whole fleet.
type Shard struct {
	Index, Count int
}

// Sharded reports whether s is a part of the fleet rather than all of it.
func (s Shard) Sharded() bool { return s.Count > 0 }

// String is INDEX/COUNT, as --shard takes it and the output labels the
// shard; "" for the whole fleet.
func (s Shard) String() string {
	if !s.Sharded() {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// shardHint ends every --shard error: what the flag takes.
const shardHint = "--shard takes INDEX/COUNT, such as 0/4 (INDEX from 0 to COUNT-1, as a Kubernetes Indexed Job numbers its pods), or job/COUNT to read INDEX from JOB_COMPLETION_INDEX"

// ParseShard parses the value of --shard: INDEX/COUNT with 0 <= INDEX <
// COUNT. Reading the index from the environment (job/COUNT) is the
// caller's: fleet does not read the environment.
func ParseShard(s string) (Shard, error) {
	index, count, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: no /; %s", s, shardHint)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return Shard{}, fmt.Errorf("--shard %q: COUNT %q is not a whole number of 1 or more; %s", s, count, shardHint)
	}
	i, err := strconv.Atoi(index)
	switch {
	case err != nil && strings.Contains(index, "$("):
		// Kubernetes leaves $(NAME) as written when the container has no
		// variable NAME: JOB_COMPLETION_INDEX is set in Indexed Jobs only.
		return Shard{}, fmt.Errorf("--shard %q: INDEX %q was not expanded: Kubernetes sets JOB_COMPLETION_INDEX only in the pods of a Job with completionMode: Indexed; %s", s, index, shardHint)
	case err != nil:
		return Shard{}, fmt.Errorf("--shard %q: INDEX %q is not a whole number; %s", s, index, shardHint)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("--shard %q: INDEX %d is out of range: the shards of %d are numbered 0 to %d; %s", s, i, n, n-1, shardHint)
	}
	return Shard{Index: i, Count: n}, nil
}

// ShardOf is the shard, of count, that holds the database named name on
// server (host:port, as [Target].Server): the first 8 bytes of the SHA-256
// of "server/name", big-endian, modulo count. It depends on nothing else
// (not the user, the password, the order of the targets or the other
// databases of the fleet), so every run of a sharded fleet agrees on it,
// even runs that listed the databases of a server a moment apart.
func ShardOf(server, name string, count int) int {
	if count <= 1 {
		return 0
	}
	sum := sha256.Sum256([]byte(server + "/" + name))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(count))
}

func (s Shard) holds(t *Target) bool {
	return !s.Sharded() || ShardOf(t.Server, t.Config.Database, s.Count) == s.Index
}

// Select returns the targets of the fleet (all of them, from [Resolve])
// that fall in s, in their order, and sets the Shard and OwnerShard of
// those. For the zero Shard it returns targets as they are.
//
// The cluster owners were chosen on the whole fleet, independently of its
// order ([Spec].ClusterOwner), so the shards agree on them: a target's
// ClusterOwner holds in whichever shard it falls, and the other databases
// of its server leave what the server shares to it.
func (s Shard) Select(targets []*Target) []*Target {
	if !s.Sharded() {
		return targets
	}
	owners := map[string]int{}
	for _, t := range targets {
		if t.ClusterOwner {
			owners[t.Server] = ShardOf(t.Server, t.Config.Database, s.Count)
		}
	}
	var out []*Target
	for _, t := range targets {
		if s.holds(t) {
			t.Shard = s
			t.OwnerShard = Shard{Index: owners[t.Server], Count: s.Count}
			out = append(out, t)
		}
	}
	return out
}

// ownerElsewhere reports whether t's cluster owner runs in another shard:
// then nothing makes t wait for it.
func (t *Target) ownerElsewhere() bool {
	return t.Shard.Sharded() && !t.ClusterOwner && t.OwnerShard != t.Shard
}

// sqlMissingRoles returns the names of $1 that are no role.
const sqlMissingRoles = `SELECT n FROM pg_catalog.unnest($1::text[]) AS n
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = n)
ORDER BY n`

// explainOwnerElsewhere adds to the failure err of t's apply, when t's
// cluster owner runs in another shard and roles the policy creates do not
// exist yet, that they are the owner's to create and that a later run
// converges t. Nothing waits for the owner of another shard, so a grant
// to a role it has not created yet fails (PostgreSQL: role does not exist,
// SQLSTATE 42704) and the database's transaction is rolled back. err is
// returned unchanged otherwise, and when the roles cannot be listed.
func explainOwnerElsewhere(ctx context.Context, t *Target, pol *policy.Policy, err error) error {
	if !t.ownerElsewhere() || !isUndefinedObject(err) {
		return err
	}
	var created []string
	for _, r := range pol.Roles {
		if r.IfMissing == policy.IfMissingCreate && !r.External {
			created = append(created, r.Name)
		}
	}
	if len(created) == 0 {
		return err
	}
	missing, lerr := missingRoles(ctx, t.Config, created)
	if lerr != nil || len(missing) == 0 {
		return err
	}
	list := strings.Join(missing, ", ")
	what := textout.Plural(len(missing), "the role "+list+" does not exist", "the roles "+list+" do not exist")
	return fmt.Errorf("%w (%s yet on %s: creating roles is left to the run of its cluster owner, %s, in shard %s; once it has run, run shard %s again: a Kubernetes Job retries a failed pod)",
		err, what, t.Server, t.OwnerLabel, t.OwnerShard, t.Shard)
}

func missingRoles(ctx context.Context, cfg *pgx.ConnConfig, names []string) ([]string, error) {
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, sqlMissingRoles, names)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// isUndefinedObject reports whether err is PostgreSQL's "does not exist"
// for an object such as a role (SQLSTATE 42704).
func isUndefinedObject(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42704"
}
