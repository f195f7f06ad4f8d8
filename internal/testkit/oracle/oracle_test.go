package oracle_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/pgserver"
	"github.com/pgward/pgward/internal/testkit/oracle"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

var (
	flagCases  = flag.Int("oracle.cases", 200, "number of random cases TestOracle runs (with -short: at most 20)")
	flagSeed   = flag.Uint64("oracle.seed", 1, "seed of the first case; case i uses seed+i")
	flagShrink = flag.Int("oracle.shrink", 300, "most cases run to shrink one failure (0: no shrinking)")
	flagBudget = flag.Duration("oracle.shrinktime", 40*time.Second, "time for shrinking, all failures together; each kind of failure is shrunk once")
	flagJobs   = flag.Int("oracle.jobs", 4, "cases run at the same time")
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sandbox gives each case a database with nothing in it and roles of its
// own, on the shared server. Databases are reused: after a case its
// schemas, roles and their privileges are dropped and the database's and
// the public schema's ACLs restored, which is checked against the state
// of a new database (a database that does not come back clean is
// dropped). Creating and dropping a database per case (pgtest.NewDB) costs
// two checkpoints and most of a case's time.
type sandbox struct {
	srv      *pgtest.Server
	mu       sync.Mutex
	admin    *pgx.Conn
	free     []pooled // clean databases
	all      []string // every database made, dropped at the end
	baseline string   // fingerprint of a new database
	datacl   *string  // its ACL and the public schema's, as text
	nspacl   *string
	// discarded counts databases dropped because they did not come back
	// clean, by reason.
	discarded map[string]int
}

// pooled is a clean database with a superuser connection to it, kept open:
// a new backend starts with cold caches and costs a connection.
type pooled struct {
	db   string
	conn *pgx.Conn
}

func newSandbox(t *testing.T, srv *pgtest.Server) *sandbox {
	conn, err := srv.SuperuserConn(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s := &sandbox{srv: srv, admin: conn}
	t.Cleanup(func() {
		for _, p := range s.free {
			p.conn.Close(context.Background())
		}
		for _, db := range s.all {
			if err := s.exec("DROP DATABASE IF EXISTS " + ident.Quote(db) + " WITH (FORCE)"); err != nil {
				t.Errorf("drop database %s: %v", db, err)
			}
		}
		conn.Close(context.Background())
	})
	return s
}

func (s *sandbox) exec(sql string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.admin.Exec(context.Background(), sql)
	return err
}

// sqlFingerprint sums up what a case may change in a database besides its
// own schemas and roles: languages, wrappers, servers and large objects are
// per database, so the case's own stay in its database.
const sqlFingerprint = `
SELECT concat_ws(' | ', d.datdba::regrole::text, COALESCE(d.datacl::text, 'NULL'),
  (SELECT string_agg(n.nspname || ':' || n.nspowner::regrole::text || ':' || COALESCE(n.nspacl::text, 'NULL'), ',' ORDER BY n.nspname)
   FROM pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'),
  (SELECT count(*) FROM pg_default_acl),
  (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_type y WHERE y.typnamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_largeobject_metadata),
  (SELECT string_agg(l.lanname || ':' || l.lanowner::regrole::text || ':' || COALESCE(l.lanacl::text, 'NULL'), ',' ORDER BY l.lanname)
   FROM pg_language l),
  (SELECT count(*) FROM pg_foreign_data_wrapper),
  (SELECT count(*) FROM pg_foreign_server))
FROM pg_database d WHERE d.datname = current_database()`

// sqlDropOutside drops what a case made outside schemas that DROP OWNED
// does not: wrappers (with their servers) and languages the superuser
// owns, and every large object.
const sqlDropOutside = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT fdwname FROM pg_catalog.pg_foreign_data_wrapper LOOP
    EXECUTE format('DROP FOREIGN DATA WRAPPER %I CASCADE', r.fdwname);
  END LOOP;
  FOR r IN SELECT lanname FROM pg_catalog.pg_language WHERE lanname NOT IN ('internal', 'c', 'sql', 'plpgsql') LOOP
    EXECUTE format('DROP LANGUAGE %I CASCADE', r.lanname);
  END LOOP;
  PERFORM pg_catalog.lo_unlink(m.oid) FROM pg_catalog.pg_largeobject_metadata m;
END $$`

func fingerprint(ctx context.Context, conn *pgx.Conn) (string, error) {
	var fp string
	err := conn.QueryRow(ctx, sqlFingerprint).Scan(&fp)
	return fp, err
}

// acquire returns a clean database and a superuser connection to it.
func (s *sandbox) acquire(ctx context.Context) (string, *pgx.Conn, error) {
	s.mu.Lock()
	if n := len(s.free); n > 0 {
		p := s.free[n-1]
		s.free = s.free[:n-1]
		s.mu.Unlock()
		return p.db, p.conn, nil
	}
	s.mu.Unlock()
	db := "pgward_oracle_" + pgserver.RandomHex(4)
	if err := s.exec("CREATE DATABASE " + ident.Quote(db)); err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	s.all = append(s.all, db)
	s.mu.Unlock()
	conn, err := s.srv.SuperuserConn(ctx, db)
	if err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseline == "" {
		fp, err := fingerprint(ctx, conn)
		if err != nil {
			conn.Close(ctx)
			return "", nil, err
		}
		if err := conn.QueryRow(ctx, "SELECT (SELECT datacl::text FROM pg_database WHERE datname = current_database()), (SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public')").Scan(&s.datacl, &s.nspacl); err != nil {
			conn.Close(ctx)
			return "", nil, err
		}
		s.baseline = fp
	}
	return db, conn, nil
}

// release empties a database after a case and drops the case's roles; a
// database that does not come back to the state of a new one is dropped.
func (s *sandbox) release(ctx context.Context, db string, conn *pgx.Conn, m *oracle.Materialized) error {
	stmts := []string{"RESET ROLE", "ALTER DATABASE " + ident.Quote(db) + " OWNER TO CURRENT_USER"}
	var schemas, roles, names []string
	for i, sch := range m.Case.Schemas {
		if !sch.Off {
			schemas = append(schemas, ident.Quote(m.Case.Schemas[i].Name))
		}
	}
	if len(schemas) > 0 {
		stmts = append(stmts, "DROP SCHEMA IF EXISTS "+strings.Join(schemas, ", ")+" CASCADE")
	}
	// The superuser owns the wrappers (and so DROP OWNED leaves them, and
	// their servers) and may own a language; a new database has no wrapper,
	// no large object, and only the languages internal, c, sql and plpgsql.
	stmts = append(stmts, sqlDropOutside)
	for _, r := range m.Roles {
		// One role at a time: DROP OWNED BY a, b fails when one default ACL
		// row names several of them.
		stmts = append(stmts, "DROP OWNED BY "+ident.Quote(r.Name)+" CASCADE")
		roles = append(roles, ident.Quote(r.Name))
		names = append(names, r.Name)
	}
	stmts = append(stmts,
		// A new database's languages have NULL ACLs; grants on sql and
		// plpgsql stay in the database (DROP OWNED took the case's roles'
		// items, leaving the superuser's and PUBLIC's).
		"UPDATE pg_catalog.pg_language SET lanacl = NULL WHERE lanacl IS NOT NULL",
		"UPDATE pg_catalog.pg_database SET datacl = $1::aclitem[] WHERE datname = current_database()",
		"UPDATE pg_catalog.pg_namespace SET nspacl = $2::aclitem[] WHERE nspname = 'public'")
	err := func() error {
		// Other sessions of the case (none should be left) would hold locks.
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); err != nil {
			return err
		}
		for _, st := range stmts[:len(stmts)-3] {
			if _, err := conn.Exec(ctx, st); err != nil {
				return fmt.Errorf("%s: %w", st, err)
			}
		}
		// What DROP OWNED leaves (privileges a role granted to PUBLIC, say)
		// would keep DROP ROLE from working once the ACLs are overwritten.
		var deps int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid WHERE d.refclassid = 'pg_authid'::regclass AND r.rolname = ANY ($1)", names).Scan(&deps); err != nil {
			return err
		}
		if deps > 0 {
			return fmt.Errorf("%d dependencies on the case's roles are left", deps)
		}
		if _, err := conn.Exec(ctx, stmts[len(stmts)-3]); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, stmts[len(stmts)-2], s.datacl); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, strings.ReplaceAll(stmts[len(stmts)-1], "$2", "$1"), s.nspacl); err != nil {
			return err
		}
		fp, err := fingerprint(ctx, conn)
		if err != nil {
			return err
		}
		if fp != s.baseline {
			return fmt.Errorf("database %s does not come back clean:\n%s\nnot\n%s", db, fp, s.baseline)
		}
		return nil
	}()
	if err != nil {
		// Not reusable: drop it, which also drops what depends on the roles.
		conn.Close(ctx)
		s.mu.Lock()
		if s.discarded == nil {
			s.discarded = map[string]int{}
		}
		s.discarded[strings.SplitN(err.Error(), ":", 2)[0]]++
		s.mu.Unlock()
		if derr := s.exec("DROP DATABASE IF EXISTS " + ident.Quote(db) + " WITH (FORCE)"); derr != nil {
			return errors.Join(err, derr)
		}
		err = nil
	} else {
		s.mu.Lock()
		s.free = append(s.free, pooled{db, conn})
		s.mu.Unlock()
	}
	if rerr := s.exec("DROP ROLE IF EXISTS " + strings.Join(roles, ", ")); rerr != nil {
		return errors.Join(err, fmt.Errorf("drop roles: %w", rerr))
	}
	return err
}

// runCase sets the case up in a clean database and checks it.
func (s *sandbox) runCase(t *testing.T, c *oracle.Case) (rep *oracle.Report, m *oracle.Materialized) {
	t.Helper()
	return s.runCaseTampered(t, c, nil)
}

// runCaseTampered is runCase with a change behind pgward's back after
// applying (see oracle.Env.Tamper); tamper gets the materialized case.
func (s *sandbox) runCaseTampered(t *testing.T, c *oracle.Case, tamper func(*oracle.Materialized) string) (rep *oracle.Report, m *oracle.Materialized) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Now()
	defer func() {
		if rep != nil {
			if rep.Timing == nil {
				rep.Timing = map[string]time.Duration{}
			}
			rep.Timing["total"] += time.Since(t0)
		}
	}()
	db, conn, err := s.acquire(ctx)
	if err != nil {
		t.Fatalf("database for the case: %v", err)
	}
	suffix := pgserver.RandomHex(4)
	m = c.Materialize(db, func(base string) string { return base + "_" + suffix })
	password := pgserver.RandomHex(12)
	var create []string
	for i, r := range m.Roles {
		opts := r.Options
		if i == 0 {
			opts += " PASSWORD " + ident.Literal(password) // the owner logs in
		}
		create = append(create, "CREATE ROLE "+ident.Quote(r.Name)+" "+opts)
	}
	t.Cleanup(func() {
		if err := s.release(ctx, db, conn, m); err != nil {
			t.Errorf("clean up after the case: %v", err)
		}
	})
	if err := s.exec(strings.Join(create, "; ")); err != nil {
		t.Fatalf("create roles: %v", err)
	}
	created := time.Since(t0)
	super, err := connstr.ParseConfig(s.srv.URL(db, ""))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.srv.URL(db, m.Owner()))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(m.Owner(), password)
	owner, err := connstr.ParseConfig(u.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Setup(ctx, conn); err != nil {
		rep := &oracle.Report{}
		rep.Add("setup", err.Error())
		return rep, m
	}
	setup := time.Since(t0) - created
	env := oracle.Env{Super: super, Owner: owner, SuperConn: conn}
	if tamper != nil {
		sql := tamper(m)
		env.Tamper = func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, sql)
			return err
		}
	}
	rep = oracle.Check(ctx, env, m)
	if rep.Timing == nil {
		rep.Timing = map[string]time.Duration{}
	}
	rep.Timing["createdb"], rep.Timing["setup"] = created, setup
	return rep, m
}

type stats struct {
	mu      sync.Mutex
	cases   int
	blocked int
	changes int
	// bySetRole counts privileges reached only by SET ROLE.
	bySetRole int
	failed    map[string][]uint64 // check → seeds
	duration  time.Duration
	timing    map[string]time.Duration
	// blockedBy counts blocked cases by the authorities they lacked.
	blockedBy map[string]int
}

// TestOracle generates -oracle.cases random databases and policies, applies
// each policy as the owner role (as the superuser when the owner's plan is
// blocked) and checks the outcome against PostgreSQL (see oracle.Check). A
// failing case is shrunk and printed as SQL, HCL and the broken
// expectations, ready for a bug report.
func TestOracle(t *testing.T) {
	srv := pgtest.Shared(t)
	sb := newSandbox(t, srv)
	version := srv.Version()
	sh := &shrinking{}
	st := &stats{failed: map[string][]uint64{}, timing: map[string]time.Duration{}, blockedBy: map[string]int{}}
	start := time.Now()
	t.Run("case", func(t *testing.T) {
		// Workers rather than t.Parallel: most of a case is waiting for the
		// server, so more cases than -parallel (GOMAXPROCS) pay off.
		seeds := make(chan uint64)
		var wg sync.WaitGroup
		for range max(*flagJobs, 1) {
			wg.Go(func() {
				for seed := range seeds {
					runSeed(t, sb, sh, st, seed, version)
				}
			})
		}
		cases := *flagCases
		if testing.Short() {
			cases = min(cases, 20)
		}
		for i := range cases {
			seeds <- *flagSeed + uint64(i)
		}
		close(seeds)
		wg.Wait()
	})
	st.duration = time.Since(start)
	var fails []string
	for ch, seeds := range st.failed {
		sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
		fails = append(fails, fmt.Sprintf("%s: %d (seeds %v)", ch, len(seeds), head(seeds, 10)))
	}
	sort.Strings(fails)
	t.Logf("PostgreSQL %s: %d cases in %s, %d blocked for the owner (applied as the superuser), %d changes applied, %d privileges reached only by SET ROLE; failures: %s",
		plan.VersionString(version), st.cases, st.duration.Round(time.Millisecond), st.blocked, st.changes, st.bySetRole, orNone(fails))
	if testing.Verbose() {
		t.Logf("time per phase, all cases: %v", st.timing)
		t.Logf("blocked cases by the authority the owner lacked: %v", st.blockedBy)
		t.Logf("databases not reused: %v", sb.discarded)
	}
}

func runSeed(t *testing.T, sb *sandbox, sh *shrinking, st *stats, seed uint64, version int) {
	t.Run(fmt.Sprint(seed), func(t *testing.T) {
		c := oracle.Generate(seed, version)
		rep, m := sb.runCase(t, c)
		st.mu.Lock()
		st.cases++
		st.changes += rep.Changes
		st.bySetRole += rep.BySetRole
		for p, d := range rep.Timing {
			st.timing[p] += d
		}
		if rep.Blocked {
			st.blocked++
			var by []string
			for a := range rep.BlockedBy {
				by = append(by, a)
			}
			sort.Strings(by)
			st.blockedBy[strings.Join(by, "+")]++
		}
		for _, ch := range checksOf(rep) {
			st.failed[ch] = append(st.failed[ch], seed)
		}
		st.mu.Unlock()
		if rep.Failed() {
			t.Error(failureReport(t, sb, sh, c, rep, m))
		}
	})
}

var (
	errorWords = regexp.MustCompile(`ERROR: ([a-z]+ [a-z]+ [a-z]+)`)
	warned     = regexp.MustCompile(`PostgreSQL warned|SQLSTATE [0-9A-Z]{5}`)
	quoted     = regexp.MustCompile(`"(?:[^"]|"")*"`)
	onKind     = regexp.MustCompile(` ON (TABLE|SCHEMA|DATABASE|SEQUENCE|FUNCTION|PROCEDURE|TYPE)`)
)

// signature is what shrinking keeps of a failure, and what tells two
// failures apart in a run: the check, and for a failed apply what went
// wrong (the error, or the kind of statement left to do).
func signature(f oracle.Failure) string {
	d := f.Detail
	if m := errorWords.FindStringSubmatch(d); m != nil {
		return f.Check + ": " + m[1]
	}
	if m := warned.FindString(d); m != "" {
		return f.Check + ": " + m
	}
	if i := strings.Index(d, "still to do: "); i >= 0 {
		s := quoted.ReplaceAllString(d[i+len("still to do: "):], "X")
		s, _, _ = strings.Cut(s, ";")
		verb := "GRANT"
		if strings.HasPrefix(s, "REVOKE") || strings.Contains(s, " REVOKE ") {
			verb = "REVOKE"
		}
		if strings.HasPrefix(s, "ALTER DEFAULT PRIVILEGES") {
			return f.Check + ": not converged, default privileges " + verb
		}
		on := ""
		if m := onKind.FindStringSubmatch(s); m != nil {
			on = " ON " + m[1]
		}
		return f.Check + ": not converged, " + verb + on
	}
	return f.Check
}

// shrinking shares the time for shrinking among the failures of a run and
// shrinks each kind of failure (signature) once.
type shrinking struct {
	mu       sync.Mutex
	deadline time.Time
	done     map[string]uint64 // signature → the seed shrunk for it
}

// claim reports whether the failure is the first of its kind, and else
// the seed that was.
func (s *shrinking) claim(sig string, seed uint64) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = map[string]uint64{}
		s.deadline = time.Now().Add(*flagBudget)
	}
	if first, ok := s.done[sig]; ok {
		return first, false
	}
	s.done[sig] = seed
	return seed, true
}

func (s *shrinking) timeLeft() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.deadline)
}

// TestOracle_noticesDrift checks the oracle itself: a privilege granted
// behind pgward's back after applying must make the checks fail.
func TestOracle_noticesDrift(t *testing.T) {
	srv := pgtest.Shared(t)
	sb := newSandbox(t, srv)
	// A case that passes untouched, whose owner's plan is not blocked, with
	// a declared role, an undeclared one, and a table in scope.
	var c *oracle.Case
	var declared, undeclared string
	var table *oracle.Object
	for seed := uint64(1000); c == nil && seed < 1050; seed++ {
		d := oracle.Generate(seed, srv.Version())
		m := d.Materialize("db", nil)
		table = nil
		var decl, undecl []string
		for i, r := range d.Roles[1:] {
			if slices.ContainsFunc(m.Policy.Roles, func(p *policy.Role) bool { return p.Name == m.RoleNames[i+1] }) {
				decl = append(decl, r.Base)
			} else {
				undecl = append(undecl, r.Base)
			}
		}
		for i := range d.Objects {
			if o := &d.Objects[i]; o.Kind == oracle.OTable && o.Owner == 0 && slices.Contains(m.Policy.Schemas, d.Schemas[o.Schema].Name) {
				table = o
			}
		}
		if len(decl) == 0 || len(undecl) == 0 || table == nil {
			continue
		}
		var rep *oracle.Report
		t.Run("untouched", func(t *testing.T) { rep, _ = sb.runCase(t, d) })
		if rep != nil && !rep.Failed() && !rep.Blocked { // nil: the subtest stopped early, and says why
			c, declared, undeclared = d, decl[0], undecl[0]
		}
	}
	if c == nil {
		t.Fatal("no suitable case among the seeds tried")
	}
	onTable := "TABLE " + ident.QuoteQualified(c.Schemas[table.Schema].Name, table.Name)
	for _, tt := range []struct{ name, role, on, privs, check string }{
		{"a grant to a declared role", declared, onTable, "TRUNCATE", "desired"},
		{"a grant to an undeclared role", undeclared, onTable, "TRUNCATE", "untouched"},
		// Outside schemas: sql is in every database and pgward manages it;
		// plpgsql is an extension's, so pgward must leave it as it is.
		{"a grant on a language to an undeclared role", undeclared, "LANGUAGE sql", "USAGE", "untouched"},
		{"a grant on an extension's language to a declared role", declared, "LANGUAGE plpgsql", "USAGE", "untouched"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, _ := sb.runCaseTampered(t, c, func(m *oracle.Materialized) string {
				role := tt.role
				for i, r := range c.Roles {
					if r.Base == tt.role {
						role = m.RoleNames[i]
					}
				}
				return "GRANT " + tt.privs + " ON " + tt.on + " TO " + ident.Quote(role) + " WITH GRANT OPTION"
			})
			if rep.Blocked || !rep.Has(tt.check) {
				t.Errorf("blocked %t; want a %q failure, got:\n%s", rep.Blocked, tt.check, rep)
			}
		})
	}
}

func head(xs []uint64, n int) []uint64 {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, "; ")
}

func checksOf(r *oracle.Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range r.Failures {
		if !seen[f.Check] {
			seen[f.Check] = true
			out = append(out, f.Check)
		}
	}
	return out
}

// failureReport shrinks a failing case, keeping its first failed check,
// and describes the smallest one.
func failureReport(t *testing.T, sb *sandbox, sh *shrinking, c *oracle.Case, rep *oracle.Report, m *oracle.Materialized) string {
	t.Helper()
	target := signature(rep.Failures[0])
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d (PostgreSQL %s) fails %v:\n%s", c.Seed, plan.VersionString(c.Version), checksOf(rep), rep)
	reproduce := fmt.Sprintf("reproduce: go test ./internal/testkit/oracle -run '^TestOracle$/case/%d$' -oracle.seed=%d -oracle.cases=1\n", c.Seed, c.Seed)
	if first, ok := sh.claim(target, c.Seed); !ok {
		fmt.Fprintf(&b, "(%q: the same kind of failure as seed %d, shrunk there)\n%s", target, first, reproduce)
		return b.String()
	}
	small, smallRep, smallM := c, rep, m
	if *flagShrink > 0 {
		var attempts int
		small, attempts = oracle.Shrink(c, func(d *oracle.Case) bool {
			var r *oracle.Report
			var dm *oracle.Materialized
			t.Run("shrink", func(t *testing.T) { r, dm = sb.runCase(t, d) })
			if r == nil || !slices.ContainsFunc(r.Failures, func(f oracle.Failure) bool { return signature(f) == target }) {
				return false
			}
			smallRep, smallM = r, dm
			return true
		}, func(n int) bool { return n < *flagShrink && sh.timeLeft() })
		if attempts == 0 {
			fmt.Fprintf(&b, "\nnot shrunk: no time left (-oracle.shrinktime); the failure %q:\n", target)
		} else {
			fmt.Fprintf(&b, "\nshrunk in %d runs (-oracle.shrink, -oracle.shrinktime), keeping the failure %q:\n", attempts, target)
		}
	}
	if small == c {
		smallM = m
	}
	fmt.Fprintf(&b, "\n-- setup: run as a superuser in an empty database %s\n%s", smallM.Database, smallM.SQL())
	fmt.Fprintf(&b, "\n-- policy (%s), applied as %s\n%s", oracle.HCLFile, smallM.Owner(), smallM.HCL)
	if len(smallRep.Statements) > 0 {
		fmt.Fprintf(&b, "\n-- the plan's statements\n%s\n", strings.Join(smallRep.Statements, ";\n")+";")
	}
	fmt.Fprintf(&b, "\n-- failures\n%s", smallRep)
	fmt.Fprintf(&b, "\n%s", reproduce)
	return b.String()
}
