package synth

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/ident"
)

// Defaults for Spec fields left zero.
const (
	DefaultTablesPerSchema = 250
	DefaultPrefix          = "synth"
)

// Limits of the naming scheme: schema names have four digits, object names
// six.
const (
	MaxTables  = 999_999
	maxSchemas = 9_999
)

// createChunk is the number of tables one DO block (one transaction)
// creates, with the sequences, views and functions that go with them. Each
// new relation holds a lock until commit, and the lock table has room for
// max_locks_per_transaction (64) × max_connections (100) by default.
const createChunk = 2000

// Spec describes a synthetic database. The zero value of a field means its
// documented default; Tables is required.
type Spec struct {
	// Tables is the number of ordinary tables, 1 to MaxTables. There are
	// also Tables/10 views, Tables/10 sequences and Tables/10 functions.
	Tables int
	// TablesPerSchema spreads the tables over ceil(Tables/TablesPerSchema)
	// schemas; default DefaultTablesPerSchema.
	TablesPerSchema int
	// Prefix starts the names of the four roles (<prefix>_owner, _web,
	// _worker, _ops); default DefaultPrefix. Lower-case letters, digits and
	// underscores, at most 40 bytes.
	Prefix string
	// Partitioned makes the tables the partitions of one more table,
	// [ParentName] in the first schema, partitioned by list (table i holds
	// id = i). The parent is granted like any other table (it is a job
	// table, q_…), and so is each partition: PostgreSQL keeps a separate
	// ACL for every partition, and a GRANT on the parent does not reach
	// them.
	Partitioned bool
}

// ParentName is the name of the partitioned table of a Partitioned spec,
// in schema SchemaName(1): table 0 of the naming scheme.
func ParentName() string { return TableName(0) }

var prefixRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// normalized fills in defaults and checks the spec.
func (s Spec) normalized() (Spec, error) {
	if s.TablesPerSchema == 0 {
		s.TablesPerSchema = DefaultTablesPerSchema
	}
	if s.Prefix == "" {
		s.Prefix = DefaultPrefix
	}
	switch {
	case s.Tables < 1 || s.Tables > MaxTables:
		return s, fmt.Errorf("synth: %d tables: want 1 to %d", s.Tables, MaxTables)
	case s.TablesPerSchema < 1:
		return s, fmt.Errorf("synth: %d tables per schema: want at least 1", s.TablesPerSchema)
	case !prefixRE.MatchString(s.Prefix):
		return s, fmt.Errorf("synth: role prefix %q: want lower-case letters, digits and underscores, at most 40 bytes", s.Prefix)
	case s.Schemas() > maxSchemas:
		return s, fmt.Errorf("synth: %d schemas: at most %d", s.Schemas(), maxSchemas)
	}
	return s, nil
}

// Schemas is the number of schemas.
func (s Spec) Schemas() int {
	tps := s.TablesPerSchema
	if tps == 0 {
		tps = DefaultTablesPerSchema
	}
	return (s.Tables + tps - 1) / tps
}

// Extras is the number of views, of sequences and of functions (each).
func (s Spec) Extras() int { return s.Tables / 10 }

// Objects is the number of objects that carry privileges: schemas,
// tables, views, sequences and functions (the database not counted).
func (s Spec) Objects() int {
	n := s.Schemas() + s.Tables + 3*s.Extras()
	if s.Partitioned {
		n++ // the parent
	}
	return n
}

// Roles are the names of the four roles.
type Roles struct {
	Owner  string // owns the database and every object; connects to apply
	Web    string // the application: DML everywhere
	Worker string // background jobs: reads everything, writes the q_* tables
	Ops    string // operators: read-only
}

// Roles returns the role names of the spec.
func (s Spec) Roles() Roles {
	p := s.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	return Roles{Owner: p + "_owner", Web: p + "_web", Worker: p + "_worker", Ops: p + "_ops"}
}

// The naming scheme. An object's name encodes its 1-based index, and
// SQL below builds the same names with lpad: keep both in step.

// SchemaName is the name of schema k (1-based).
func SchemaName(k int) string { return fmt.Sprintf("s%04d", k) }

// TableName is the name of table i (1-based): every fifth table is a job
// table, q_…, that the worker may write.
func TableName(i int) string {
	if isJobTable(i) {
		return fmt.Sprintf("q_%06d", i)
	}
	return fmt.Sprintf("t_%06d", i)
}

func isJobTable(i int) bool { return i%5 == 0 }

// ViewName, SequenceName and FunctionName name the j-th view, sequence and
// function (1-based). Function j takes one integer argument.
func ViewName(j int) string     { return fmt.Sprintf("v_%06d", j) }
func SequenceName(j int) string { return fmt.Sprintf("seq_%06d", j) }
func FunctionName(j int) string { return fmt.Sprintf("f_%06d", j) }

// schemaOf is the schema of table i (the parent, table 0, is in the
// first).
func (s Spec) schemaOf(i int) int { return max(i-1, 0)/s.TablesPerSchema + 1 }

// extraSchemaOf is the schema of view, sequence and function j: that of
// table 10j, which view j reads.
func (s Spec) extraSchemaOf(j int) int { return s.schemaOf(10 * j) }

// RolesSQL is a statement that creates the four roles when they do not
// exist: the owner with LOGIN, the others NOLOGIN. Run it as a superuser
// (or a role with CREATEROLE) once per cluster.
func RolesSQL(s Spec) (string, error) {
	s, err := s.normalized()
	if err != nil {
		return "", err
	}
	r := s.Roles()
	var b strings.Builder
	b.WriteString("DO $synth$\nBEGIN\n")
	for _, x := range []struct{ name, opts string }{{r.Owner, "LOGIN"}, {r.Web, "NOLOGIN"}, {r.Worker, "NOLOGIN"}, {r.Ops, "NOLOGIN"}} {
		fmt.Fprintf(&b, "  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s) THEN\n    CREATE ROLE %s %s;\n  END IF;\n",
			ident.Literal(x.name), ident.Quote(x.name), x.opts)
	}
	b.WriteString("END\n$synth$")
	return b.String(), nil
}

// Create makes the synthetic objects in the database conn is connected to,
// which should be empty: it gives the database to the owner role, drops
// the schema public, creates the schemas as the owner's, then, as the owner
// (SET ROLE), the tables (two columns, no index, no TOAST), views,
// sequences and SQL functions. The four roles must exist and conn's role
// must be a superuser. Privileges are as PostgreSQL leaves them; call
// [Reset] next.
func Create(ctx context.Context, conn *pgx.Conn, s Spec) error {
	s, err := s.normalized()
	if err != nil {
		return err
	}
	r := s.Roles()
	owner := ident.Quote(r.Owner)
	setup := []string{
		`DO $synth$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO ` + strings.ReplaceAll(owner, "'", "''") + `', current_database()); END $synth$`,
		`DROP SCHEMA IF EXISTS public`,
		fmt.Sprintf(`DO $synth$
DECLARE k int;
BEGIN
  FOR k IN 1..%d LOOP
    EXECUTE format('CREATE SCHEMA %%I AUTHORIZATION %s', 's' || lpad(k::text, 4, '0'));
  END LOOP;
END $synth$`, s.Schemas(), strings.ReplaceAll(owner, "'", "''")),
	}
	for _, q := range setup {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("synth: create schemas: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, "SET ROLE "+owner); err != nil {
		return fmt.Errorf("synth: set role %s: %w", r.Owner, err)
	}
	if s.Partitioned {
		q := "CREATE TABLE " + ident.QuoteQualified(SchemaName(1), ParentName()) + " (id bigint, n integer) PARTITION BY LIST (id)"
		if _, err := conn.Exec(ctx, q); err != nil {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "RESET ROLE")
			return fmt.Errorf("synth: create the partitioned table: %w", err)
		}
	}
	for lo := 1; lo <= s.Tables; lo += createChunk {
		hi := min(lo+createChunk-1, s.Tables)
		if _, err := conn.Exec(ctx, createChunkSQL(s, lo, hi)); err != nil {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "RESET ROLE")
			return fmt.Errorf("synth: create tables %d to %d: %w", lo, hi, err)
		}
	}
	if _, err := conn.Exec(ctx, "RESET ROLE"); err != nil {
		return fmt.Errorf("synth: reset role: %w", err)
	}
	return nil
}

// createChunkSQL creates tables lo..hi and the views, sequences and
// functions j with lo <= 10j <= hi, in one DO block.
func createChunkSQL(s Spec, lo, hi int) string {
	tps := strconv.Itoa(s.TablesPerSchema)
	schemaOf := func(v string) string {
		return "'s' || lpad((((" + v + ") - 1) / " + tps + " + 1)::text, 4, '0')"
	}
	table := func(v string) string {
		return "CASE WHEN (" + v + ") % 5 = 0 THEN 'q_' ELSE 't_' END || lpad((" + v + ")::text, 6, '0')"
	}
	create := `'CREATE TABLE %%I.%%I (id bigint, n integer)', %[3]s, %[4]s`
	if s.Partitioned {
		create = `'CREATE TABLE %%I.%%I PARTITION OF ` + ident.QuoteQualified(SchemaName(1), ParentName()) + ` FOR VALUES IN (%%s)', %[3]s, %[4]s, i`
	}
	return fmt.Sprintf(`DO $synth$
DECLARE i int; j int; s text; t text; x text;
BEGIN
  FOR i IN %[1]d..%[2]d LOOP
    EXECUTE format(`+create+`);
  END LOOP;
  FOR j IN %[5]d..%[6]d LOOP
    s := %[7]s;
    t := %[8]s;
    x := lpad(j::text, 6, '0');
    EXECUTE format('CREATE SEQUENCE %%I.%%I', s, 'seq_' || x);
    EXECUTE format('CREATE VIEW %%I.%%I AS SELECT id, n FROM %%I.%%I', s, 'v_' || x, s, t);
    EXECUTE format('CREATE FUNCTION %%I.%%I(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS %%L', s, 'f_' || x, 'SELECT x + ' || j);
  END LOOP;
END $synth$`, lo, hi, schemaOf("i"), table("i"), (lo+9)/10, hi/10, schemaOf("10 * j"), table("10 * j"))
}

// Reset puts the privileges of the synthetic database conn is connected to
// into state, in one transaction: REVOKE ALL from the three grantee roles
// (and PUBLIC on tables and schemas), then the GRANTs of the state, one
// statement per privilege set, grantee and object kind. conn's role must
// be a superuser or the owner role.
func Reset(ctx context.Context, conn *pgx.Conn, s Spec, state State) error {
	var database string
	if err := conn.QueryRow(ctx, "SELECT current_database()::text").Scan(&database); err != nil {
		return fmt.Errorf("synth: reset: %w", err)
	}
	stmts, err := ResetSQL(s, database, state)
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("synth: reset: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("synth: reset to %s: %s: %w", state, abbreviate(q), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("synth: reset to %s: commit: %w", state, err)
	}
	return nil
}

// Build is [Create] followed by [Reset] to [Half].
func Build(ctx context.Context, conn *pgx.Conn, s Spec) error {
	if err := Create(ctx, conn, s); err != nil {
		return err
	}
	return Reset(ctx, conn, s, Half)
}

// abbreviate shortens a statement for an error message.
func abbreviate(q string) string {
	const max = 200
	if len(q) <= max {
		return q
	}
	return q[:max] + "…"
}
