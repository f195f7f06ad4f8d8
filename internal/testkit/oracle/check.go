package oracle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// Env is where a materialized case runs: its database, set up with
// [Materialized.Setup].
type Env struct {
	// Super connects to the case's database as a superuser.
	Super *pgx.ConnConfig
	// Owner connects to it as the case's owner role.
	Owner *pgx.ConnConfig
	// SuperConn, when set, is a superuser connection to the database that
	// Check uses instead of connecting with Super.
	SuperConn *pgx.Conn
	// Tamper, when set, runs on the superuser connection right after the
	// policy is applied: the oracle's own tests change something behind
	// pgward's back and expect Check to notice.
	Tamper func(ctx context.Context, conn *pgx.Conn) error
}

// Failure is one broken expectation. Check names the kind of expectation
// (see [Check]); shrinking keeps a case that still fails the same one.
type Failure struct {
	Check  string
	Detail string
}

// Report is the outcome of [Check].
type Report struct {
	// Blocked: the owner's plan had changes it cannot execute, so the
	// superuser applied the policy.
	Blocked bool
	// BlockedChanges counts those changes; BlockedBy counts them by the
	// authority they need (plan.Authority).
	BlockedChanges int
	BlockedBy      map[string]int
	// Changes counts the changes applied.
	Changes int
	// BySetRole counts the privileges a role reached only by SET ROLE (as
	// PostgreSQL answered), before and after applying.
	BySetRole int
	// Statements are the SQL statements applied (or that failed to apply),
	// "(as role)" in front of those run through SET ROLE.
	Statements []string
	Failures   []Failure
	// Timing is the time spent per phase of the check.
	Timing map[string]time.Duration
	counts map[string]int
}

// lap adds the time since *t to a phase and restarts *t.
func (r *Report) lap(phase string, t *time.Time) {
	if r.Timing == nil {
		r.Timing = map[string]time.Duration{}
	}
	now := time.Now()
	r.Timing[phase] += now.Sub(*t)
	*t = now
}

// maxDetails bounds the failures kept per check.
const maxDetails = 12

func (r *Report) fail(check, format string, args ...any) {
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[check]++
	if r.counts[check] > maxDetails {
		return
	}
	r.Failures = append(r.Failures, Failure{Check: check, Detail: fmt.Sprintf(format, args...)})
}

// Add records a failure.
func (r *Report) Add(check, detail string) { r.fail(check, "%s", detail) }

// Failed reports whether any expectation broke.
func (r *Report) Failed() bool { return len(r.Failures) > 0 }

// Checks lists the checks that failed, sorted.
func (r *Report) Checks() []string {
	var out []string
	for c := range r.counts {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Has reports whether check failed.
func (r *Report) Has(check string) bool { return r.counts[check] > 0 }

func (r *Report) String() string {
	var b strings.Builder
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  [%s] %s\n", f.Check, f.Detail)
	}
	for _, c := range r.Checks() {
		if n := r.counts[c]; n > maxDetails {
			fmt.Fprintf(&b, "  [%s] … %d more\n", c, n-maxDetails)
		}
	}
	return b.String()
}

// Check applies the case's policy as the owner and checks the outcome:
//
//   - hcl: the printed policy loads back to the same policy.
//   - apply, plan-error: applying succeeds, or fails only because the plan
//     has changes the owner cannot execute (then the superuser applies).
//   - blocked-false: each statement the plan calls blocked does fail when
//     the owner runs it.
//   - replan: after applying, a new plan (as the connecting role, and as
//     the owner) is empty.
//   - desired, grant-option: each managed role holds, from each object's
//     owner, exactly what [Desired] computes; other grantors give nothing
//     more.
//   - public: PUBLIC holds no more than the public block allows.
//   - untouched: nothing else changed (undeclared roles, PUBLIC where not
//     managed, objects out of scope), but for grants that a revoked grant
//     option of a managed role took with it (CASCADE).
//   - defaults, defaults-untouched: the same for default privileges.
//   - introspect: package introspect reads the objects and ACLs this
//     package's queries read.
//   - effective, member: has_*_privilege and pg_has_role agree with
//     access.EffectiveAccess, before and after applying.
func Check(ctx context.Context, env Env, m *Materialized) *Report {
	r := &Report{}
	k := &checker{r: r, m: m, pol: m.Policy, v: m.Case.Version, env: env}
	k.checkHCL()
	if err := k.run(ctx); err != nil {
		r.fail("error", "%v", err)
	}
	return r
}

type checker struct {
	r   *Report
	m   *Materialized
	pol *policy.Policy
	v   int
	env Env

	super *pgx.Conn
	owner *pgx.Conn
	// notices collects the owner connection's warnings.
	notices struct {
		sync.Mutex
		list []*pgconn.Notice
	}
	superuser string
	schemas   []string // read by ReadState
}

func (k *checker) checkHCL() {
	loaded, diags := policy.Load(fstest.MapFS{HCLFile: {Data: []byte(k.m.HCL)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		var errs hcl.Diagnostics
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				errs = append(errs, d)
			}
		}
		k.r.fail("hcl", "the printed policy does not load: %s", policy.FormatDiagnostics(errs))
		return
	}
	if got := FormatHCL(loaded); got != FormatHCL(k.pol) {
		k.r.fail("hcl", "the printed policy loads back differently:\n%s\nloaded as\n%s", FormatHCL(k.pol), got)
	}
}

func (k *checker) run(ctx context.Context) error {
	var err error
	if k.super = k.env.SuperConn; k.super == nil {
		if k.super, err = pgx.ConnectConfig(ctx, k.env.Super); err != nil {
			return fmt.Errorf("connect as superuser: %w", err)
		}
		defer k.super.Close(context.WithoutCancel(ctx))
	}
	defer func() {
		if k.owner != nil {
			k.owner.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := k.super.QueryRow(ctx, "SELECT current_user::text").Scan(&k.superuser); err != nil {
		return err
	}
	k.schemas = []string{"public"}
	for i, s := range k.m.Case.Schemas {
		if k.m.Case.schemaOn(i) {
			k.schemas = append(k.schemas, s.Name)
		}
	}

	t := time.Now()
	before, err := ReadState(ctx, k.super, k.schemas)
	if err != nil {
		return err
	}
	k.r.lap("state", &t)
	// Effective access before applying (grants of other grantors, PUBLIC's
	// defaults untouched…) on every other case: it costs a tenth of one.
	if k.m.Case.Seed%2 == 1 {
		if err := k.checkEffective(ctx, before, "before applying"); err != nil {
			return err
		}
		k.r.lap("effective", &t)
	}

	opts := apply.Options{Scope: introspect.Scope{Schemas: k.pol.Schemas}}
	res, err := apply.Run(ctx, k.env.Owner, k.pol, opts)
	k.r.lap("apply", &t)
	connecting := k.m.Owner()
	var pe *apply.PlanError
	switch {
	case errors.As(err, &pe):
		if !k.checkBlocked(ctx, pe) {
			return nil
		}
		k.r.Blocked = true
		k.r.lap("blocked", &t)
		res, err = apply.Run(ctx, k.env.Super, k.pol, opts)
		k.r.lap("apply", &t)
		if err != nil {
			k.r.fail("apply", "as the superuser, after the owner's plan was blocked: %v", err)
			k.recordPlan(ctx, "")
			return nil
		}
		connecting = ""
	case err != nil:
		k.r.fail("apply", "as the owner: %v", err)
		k.recordPlan(ctx, k.m.Owner())
		return nil
	}
	k.r.Changes = len(res.Plan.Changes)
	for _, st := range res.Plan.Statements {
		k.r.Statements = append(k.r.Statements, statementText(st))
	}

	if k.env.Tamper != nil {
		if err := k.env.Tamper(ctx, k.super); err != nil {
			return fmt.Errorf("tamper: %w", err)
		}
	}
	k.checkReplan(ctx, connecting)
	if connecting != k.m.Owner() {
		k.checkReplan(ctx, k.m.Owner())
	}
	k.r.lap("replan", &t)
	after, err := ReadState(ctx, k.super, k.schemas)
	if err != nil {
		return err
	}
	k.r.lap("state", &t)
	k.checkDesired(after)
	k.checkUntouched(before, after)
	k.checkDefaults(before, after)
	k.r.lap("compare", &t)
	err = k.checkEffective(ctx, after, "after applying")
	k.r.lap("effective", &t)
	return err
}

// checkBlocked checks a plan the owner could not apply: its errors are
// all blocked changes, and each statement with a blocked change fails when
// the owner runs it. It reports whether the case is a legitimate blocked
// one.
func (k *checker) checkBlocked(ctx context.Context, pe *apply.PlanError) bool {
	ok := true
	if !pe.Diags.HasErrors() {
		k.r.fail("plan-error", "PlanError without error diagnostics")
		ok = false
	}
	for _, d := range pe.Diags {
		if d.Severity == hcl.DiagError && !strings.HasPrefix(d.Summary, "Change cannot be executed by") {
			k.r.fail("plan-error", "%s: %s", d.Summary, d.Detail)
			ok = false
		}
	}
	if pe.Plan == nil {
		return false
	}
	blocked := pe.Plan.Blocked()
	k.r.BlockedChanges = len(blocked)
	k.r.BlockedBy = map[string]int{}
	for _, c := range blocked {
		k.r.BlockedBy[c.Authority.String()]++
	}
	if len(blocked) == 0 {
		k.r.fail("plan-error", "the plan was refused but lists no blocked change: %v", pe)
		return false
	}
	for i, st := range pe.Plan.Statements {
		var why []*plan.Change
		for _, c := range st.Changes {
			if c.Blocked != "" {
				why = append(why, c)
			}
		}
		if len(why) == 0 {
			continue
		}
		if err := k.tryAsOwner(ctx, pe.Plan.Statements[:i], st, why); err == nil {
			k.r.fail("blocked-false", "plan says the owner cannot run %q (as %q): %s; the owner ran it, to the intended effect", st.SQL, st.AsRole, why[0].Blocked)
		}
	}
	return ok
}

// tryAsOwner runs a statement as the owner, after the statements of the
// plan before it (each as far as the owner can: a blocked one is skipped),
// since a statement's effect may depend on them, and rolls back. It returns
// the error, the warning that means nothing happened, or what the changes
// did not do (a GRANT recorded under another grantor than the object's
// owner, a REVOKE that left the item); nil when the changes took effect.
// It logs in as the owner: SET ROLE from the superuser's session would let
// the statement's own SET ROLE through.
func (k *checker) tryAsOwner(ctx context.Context, before []plan.Statement, st plan.Statement, changes []*plan.Change) error {
	if k.owner == nil {
		ocfg := k.env.Owner.Copy()
		ocfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
			k.notices.Lock()
			k.notices.list = append(k.notices.list, n)
			k.notices.Unlock()
		}
		var err error
		if k.owner, err = pgx.ConnectConfig(ctx, ocfg); err != nil {
			return fmt.Errorf("connect as owner: %w", err)
		}
	}
	tx, err := k.owner.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, prev := range before {
		sql := prev.SQL
		if prev.AsRole != "" {
			sql = "SET ROLE " + ident.Quote(prev.AsRole) + "; " + sql + "; RESET ROLE"
		}
		if _, err := tx.Exec(ctx, "SAVEPOINT before_blocked"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sql); err != nil {
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT before_blocked"); err != nil {
				return err
			}
		}
	}
	if st.AsRole != "" {
		if _, err := tx.Exec(ctx, "SET ROLE "+ident.Quote(st.AsRole)); err != nil {
			return err
		}
	}
	k.notices.Lock()
	k.notices.list = nil
	k.notices.Unlock()
	if _, err := tx.Exec(ctx, st.SQL); err != nil {
		return err
	}
	k.notices.Lock()
	for _, n := range k.notices.list {
		switch n.Code {
		case "01006", "01007", "0LP01":
			k.notices.Unlock()
			return fmt.Errorf("%s", n.Message)
		}
	}
	k.notices.Unlock()
	cat, err := introspect.Read(ctx, tx, introspect.Scope{Schemas: k.pol.Schemas})
	if err != nil {
		return err
	}
	byKey := map[string]*catalog.Object{}
	for _, o := range cat.Objects {
		byKey[o.Key()] = o
	}
	for _, c := range changes {
		if c.Target != plan.TargetObject {
			continue // memberships, attributes, default privileges: done if no error
		}
		var held acl.Privileges
		if o := byKey[c.Object.Key()]; o != nil {
			grantor := c.Grantor
			if c.Action == plan.Grant {
				grantor = o.Owner
			}
			for _, it := range o.ACL {
				if it.Grantee == c.Grantee && it.Grantor == grantor {
					held = it.Privs
				}
			}
		}
		switch {
		case c.Action == plan.Grant && (!held.Privs.Has(c.Privs.Privs) || !held.GrantOption.Has(c.Privs.GrantOption)):
			return fmt.Errorf("%s: not held from the owner afterwards", c.Object)
		case c.Action == plan.Revoke && c.GrantOptionOnly && held.GrantOption&c.Privs.Privs != 0,
			c.Action == plan.Revoke && !c.GrantOptionOnly && held.Privs&c.Privs.Privs != 0:
			return fmt.Errorf("%s: still held afterwards", c.Object)
		}
	}
	return nil
}

// readCatalog reads pgward's view of the database as the role of conn, or
// as role (SET ROLE) when it is set: the catalog's CurrentUser is what a
// plan takes for the connecting role.
func readCatalog(ctx context.Context, conn *pgx.Conn, role string, schemas []string) (*catalog.Catalog, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if role != "" {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+ident.Quote(role)); err != nil {
			return nil, err
		}
	}
	return introspect.Read(ctx, tx, introspect.Scope{Schemas: schemas})
}

// recordPlan keeps the statements of the plan that apply failed to
// execute (it rolled back, so planning again gives the same plan).
func (k *checker) recordPlan(ctx context.Context, role string) {
	cat, err := readCatalog(ctx, k.super, role, k.pol.Schemas)
	if err != nil {
		return
	}
	p, _ := plan.Build(k.pol, cat, plan.Options{})
	for _, st := range p.Statements {
		k.r.Statements = append(k.r.Statements, statementText(st))
	}
}

// checkReplan plans again as role ("" for the superuser).
func (k *checker) checkReplan(ctx context.Context, role string) {
	who := "the superuser"
	if role != "" {
		who = role
	}
	cat, err := readCatalog(ctx, k.super, role, k.pol.Schemas)
	if err != nil {
		k.r.fail("error", "introspect as %s: %v", who, err)
		return
	}
	p, diags := plan.Build(k.pol, cat, plan.Options{})
	if diags.HasErrors() {
		k.r.fail("replan", "a new plan as %s has errors: %s", who, policy.FormatDiagnostics(diags))
	}
	if !p.Empty() {
		var sqls []string
		for _, st := range p.Statements {
			sqls = append(sqls, statementText(st))
		}
		k.r.fail("replan", "a new plan as %s is not empty:\n      %s", who, strings.Join(sqls, "\n      "))
	}
}

func statementText(st plan.Statement) string {
	if st.AsRole != "" {
		return "(as " + st.AsRole + ") " + st.SQL
	}
	return st.SQL
}

// managed reports whether role is declared by the policy.
func (k *checker) managed(role string) bool {
	return role != "" && slices.ContainsFunc(k.pol.Roles, func(r *policy.Role) bool { return r.Name == role })
}

func (k *checker) schemaInScope(s string) bool {
	return k.pol.Schemas == nil || slices.Contains(k.pol.Schemas, s)
}

// inScope reports whether pgward manages the object's ACL: the database,
// the schemas in scope and what is in them, and the objects outside
// schemas but extension members (plpgsql) and untrusted languages (which
// accept no grant).
func (k *checker) inScope(o *Obj) bool {
	switch o.Kind {
	case acl.KindDatabase:
		return true
	case acl.KindSchema:
		return k.schemaInScope(o.Name)
	case acl.KindLanguage, acl.KindFDW, acl.KindServer, acl.KindLargeObject:
		return !o.Extension && !(o.Kind == acl.KindLanguage && o.Subkind == 'u')
	}
	return k.schemaInScope(o.Schema)
}

// publicCeiling is what PUBLIC may hold on o, when the policy manages it.
func (k *checker) publicCeiling(o *Obj) (acl.Priv, bool) {
	if k.pol.Public == nil || !k.inScope(o) {
		return 0, false
	}
	p, ok := k.pol.Public.MayHold[o.Kind]
	return p, ok
}

func privs(p, opt acl.Priv) string {
	s := acl.Privileges{Privs: p, GrantOption: opt}.String()
	if s == "" {
		return "nothing"
	}
	return s
}

func (k *checker) checkDesired(after *State) {
	for _, o := range after.Objects {
		if !k.inScope(o) {
			continue
		}
		for _, r := range k.pol.Roles {
			if r.Name == o.Owner {
				continue
			}
			want := Desired(k.pol, k.v, r.Name, o)
			own, other := o.held(r.Name)
			if own.Privs != want.Privs || own.GrantOption != want.GrantOption {
				k.r.fail("desired", "%s: %s holds %s granted by the owner %s; the policy asks for %s",
					o, r.Name, privs(own.Privs, own.GrantOption), o.Owner, privs(want.Privs, want.GrantOption))
			}
			if extra := other.Privs &^ want.Privs; extra != 0 {
				k.r.fail("desired", "%s: %s holds %s from other grantors (%s); the policy asks for %s",
					o, r.Name, extra, o.grantorsOf(r.Name), privs(want.Privs, want.GrantOption))
			}
			if extra := other.GrantOption &^ want.GrantOption; extra != 0 {
				k.r.fail("grant-option", "%s: %s holds %s WITH GRANT OPTION from other grantors (%s); the policy asks for %s",
					o, r.Name, extra, o.grantorsOf(r.Name), privs(want.Privs, want.GrantOption))
			}
		}
		if may, ok := k.publicCeiling(o); ok {
			for _, it := range o.Items {
				if it.Grantee == "" && it.Privs&^may != 0 {
					k.r.fail("public", "%s: PUBLIC holds %s (granted by %s); the public block allows %s", o, it.Privs, it.Grantor, privs(may, 0))
				}
			}
		}
	}
}

func (o *Obj) grantorsOf(grantee string) string {
	var out []string
	for _, it := range o.Items {
		if it.Grantee == grantee && it.Grantor != o.Owner {
			out = append(out, it.Grantor+": "+privs(it.Privs, it.GrantOption))
		}
	}
	return strings.Join(out, ", ")
}

// managedItem reports whether pgward manages what grantee holds on o.
func (k *checker) managedItem(o *Obj, grantee string) bool {
	if !k.inScope(o) {
		return false
	}
	if grantee == "" {
		_, ok := k.publicCeiling(o)
		return ok
	}
	return k.managed(grantee) && grantee != o.Owner
}

func findItem(items []ACLItem, grantee, grantor string) (ACLItem, bool) {
	for _, it := range items {
		if it.Grantee == grantee && it.Grantor == grantor {
			return it, true
		}
	}
	return ACLItem{}, false
}

func subset(a, b ACLItem) bool {
	return a.Privs&^b.Privs == 0 && a.GrantOption&^b.GrantOption == 0
}

func (k *checker) checkUntouched(before, after *State) {
	for _, b := range before.Objects {
		a := after.ByKey[b.Key()]
		if a == nil {
			k.r.fail("untouched", "%s vanished", b)
			continue
		}
		for _, bi := range b.Items {
			expect := bi
			if k.managedItem(b, bi.Grantee) {
				if bi.Grantee != "" {
					continue
				}
				may, _ := k.publicCeiling(b)
				expect.Privs &= may
				expect.GrantOption &= may
			}
			ai, _ := findItem(a.Items, bi.Grantee, bi.Grantor)
			if ai.Privs == expect.Privs && ai.GrantOption == expect.GrantOption {
				continue
			}
			// What the grantor can no longer grant went with a CASCADE
			// revoke of its grant option (of a managed role, or of a role
			// that had it from one).
			lost := (expect.Privs &^ ai.Privs) | (expect.GrantOption &^ ai.GrantOption)
			gone := lostGrantOptions(b, a, bi.Grantor)
			if b.Kind == acl.KindColumn {
				// A table-level revoke reaches the columns too.
				tk := (&Obj{Kind: acl.KindTable, Schema: b.Schema, Name: b.Name}).Key()
				if bt, at := before.ByKey[tk], after.ByKey[tk]; bt != nil && at != nil {
					gone |= lostGrantOptions(bt, at, bi.Grantor)
				}
			}
			if subset(ai, expect) && lost&^gone == 0 {
				continue
			}
			k.r.fail("untouched", "%s: %s held %s granted by %s, now %s, expected %s",
				b, granteeName(bi.Grantee), privs(bi.Privs, bi.GrantOption), bi.Grantor, privs(ai.Privs, ai.GrantOption), privs(expect.Privs, expect.GrantOption))
		}
		for _, ai := range a.Items {
			if _, ok := findItem(b.Items, ai.Grantee, ai.Grantor); ok || k.managedItem(a, ai.Grantee) {
				continue
			}
			k.r.fail("untouched", "%s: %s now holds %s granted by %s, which nothing asked for", a, granteeName(ai.Grantee), privs(ai.Privs, ai.GrantOption), ai.Grantor)
		}
	}
}

// lostGrantOptions is what grantor held WITH GRANT OPTION on an object
// before and no longer holds after.
func lostGrantOptions(before, after *Obj, grantor string) acl.Priv {
	if grantor == before.Owner {
		return 0 // the owner's grant options are implicit
	}
	held := func(o *Obj) acl.Priv {
		var p acl.Priv
		for _, it := range o.Items {
			if it.Grantee == grantor {
				p |= it.GrantOption
			}
		}
		return p
	}
	return held(before) &^ held(after)
}

func granteeName(g string) string {
	if g == "" {
		return "PUBLIC"
	}
	return g
}

func (k *checker) checkDefaults(before, after *State) {
	desired := DesiredDefaults(k.pol, k.v)
	keys := map[DefaultKey]bool{}
	for _, st := range []*State{before, after} {
		for key := range st.Defaults {
			keys[key] = true
			if key.Schema == "" {
				keys[DefaultKey{ForRole: key.ForRole, Kind: key.Kind, Grantee: key.ForRole}] = true
				keys[DefaultKey{ForRole: key.ForRole, Kind: key.Kind}] = true
			}
		}
	}
	for key := range desired {
		keys[key] = true
	}
	sorted := make([]DefaultKey, 0, len(keys))
	for key := range keys {
		sorted = append(sorted, key)
	}
	sort.Slice(sorted, func(i, j int) bool { return fmt.Sprint(sorted[i]) < fmt.Sprint(sorted[j]) })
	for _, key := range sorted {
		inScope := key.Schema == "" || k.schemaInScope(key.Schema)
		a, b := after.DefaultOf(key, k.v), before.DefaultOf(key, k.v)
		where := fmt.Sprintf("default privileges for role %s on %s", key.ForRole, key.Kind.DefaultACLKeyword())
		if key.Schema != "" {
			where += " in schema " + key.Schema
		}
		if inScope && k.managed(key.Grantee) && key.Grantee != key.ForRole {
			if want := desired[key]; a != want {
				k.r.fail("defaults", "%s: %s holds %s; the policy asks for %s", where, key.Grantee, privs(a.Privs, a.GrantOption), privs(want.Privs, want.GrantOption))
			}
			continue
		}
		if a != b {
			k.r.fail("defaults-untouched", "%s: %s held %s, now %s", where, granteeName(key.Grantee), privs(b.Privs, b.GrantOption), privs(a.Privs, a.GrantOption))
		}
	}
}
