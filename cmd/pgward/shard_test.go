package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// shardedFleet is five databases of one server, each with a table app.t,
// and a policy that creates a role (app) and makes it a member of grp:
// cluster-wide changes that exactly one shard must make.
type shardedFleet struct {
	dbs      []*pgtest.DB // in name order: dbs[0] is the cluster owner
	app, grp string
	policy   string
	urls     map[string]string // name → superuser URL
}

func newShardedFleet(t *testing.T, n int) *shardedFleet {
	t.Helper()
	holder := pgtest.NewDB(t) // made first, dropped last: it holds the roles
	f := &shardedFleet{dbs: []*pgtest.DB{holder}, urls: map[string]string{}}
	for len(f.dbs) < n {
		f.dbs = append(f.dbs, pgtest.NewDBOn(t, holder.Server))
	}
	slices.SortFunc(f.dbs, func(a, b *pgtest.DB) int { return strings.Compare(a.Name, b.Name) })
	f.app, f.grp = holder.RoleName("sh_app"), holder.RoleName("sh_grp")
	holder.CreateRole(t, f.grp, "NOLOGIN")
	holder.DropRoleOnCleanup(f.app) // the apply creates it
	for _, db := range f.dbs {
		db.Exec(t, "CREATE SCHEMA app; CREATE TABLE app.t (id int)")
		f.urls[db.Name] = db.URL
	}
	f.policy = writePolicy(t, fmt.Sprintf(`scope {
  schemas = ["app"]
}

role %[1]q {
  if_missing = "create"
  member_of %[2]q {}

  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`, f.app, f.grp))
	return f
}

// targetsFile writes the URLs of the databases named, in that order.
func (f *shardedFleet) targetsFile(t *testing.T, names []string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		b.WriteString(f.urls[n] + "\n")
	}
	path := filepath.Join(t.TempDir(), "targets")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *shardedFleet) names() []string {
	var out []string
	for _, db := range f.dbs {
		out = append(out, db.Name)
	}
	return out
}

// shardPlan is what the test reads of a shard's fleet JSON document.
type shardPlan struct {
	Shard     string `json:"shard"`
	Databases []struct {
		Database     string          `json:"database"`
		ClusterOwner bool            `json:"cluster_owner"`
		Result       string          `json:"result"`
		Plan         json.RawMessage `json:"plan"`
	} `json:"databases"`
}

// TestFleet_shards is the done-when of sharded runs: for a fleet of five
// databases split into 1, 3 and 7 shards (more than databases), every
// database runs in exactly one shard, the same whatever the order of the
// targets file; only the shard that holds the cluster owner plans and
// makes the cluster-wide changes (the role, the membership), once; a shard
// that runs before it fails its databases with a message that says why,
// and converges when run again; the shards' Prometheus files merge without
// a duplicate series.
func TestFleet_shards(t *testing.T) {
	f := newShardedFleet(t, 5)
	c := cli{t: t, url: "postgres://nobody@127.0.0.1:1/unused?connect_timeout=1"}
	names := f.names()
	shuffled := []string{names[3], names[0], names[4], names[2], names[1]}
	files := []string{f.targetsFile(t, names), f.targetsFile(t, shuffled)}
	owner := names[0]
	createRole := regexp.MustCompile(`CREATE ROLE \\?"` + regexp.QuoteMeta(f.app))
	membership := regexp.MustCompile(`GRANT \\?"` + regexp.QuoteMeta(f.grp) + `\\?" TO`)

	assignments := map[int]map[string]int{} // count → database → shard
	for _, count := range []int{1, 3, 7} {
		for order, file := range files {
			got := map[string]int{}
			var owners, clusterWide []string
			for i := range count {
				shard := fmt.Sprintf("%d/%d", i, count)
				code, stdout, stderr := c.run("plan", "--policy", f.policy, "--targets", file, "--shard", shard, "--format", "json")
				var doc shardPlan
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatalf("shard %s: %v\n%s\n%s", shard, err, stdout, stderr)
				}
				if want := fmt.Sprintf("shard %s: %d of the fleet's 5 databases\n", shard, len(doc.Databases)); !strings.Contains(stderr, want) {
					t.Errorf("shard %s: stderr lacks %q:\n%s", shard, want, stderr)
				}
				// Changes pending (2), or nothing to run in this shard (0).
				if wantCode := map[bool]int{true: 0, false: 2}[len(doc.Databases) == 0]; code != wantCode {
					t.Errorf("shard %s: exit %d, want %d\n%s\n%s", shard, code, wantCode, stdout, stderr)
				}
				if len(doc.Databases) > 0 && doc.Shard != shard {
					t.Errorf("shard %s: the JSON says shard %q", shard, doc.Shard)
				}
				for _, d := range doc.Databases {
					if prev, dup := got[d.Database]; dup {
						t.Errorf("count %d: %s runs in shards %d and %d", count, d.Database, prev, i)
					}
					got[d.Database] = i
					if d.ClusterOwner {
						owners = append(owners, d.Database)
					}
					if createRole.Match(d.Plan) || membership.Match(d.Plan) {
						clusterWide = append(clusterWide, d.Database)
					}
					if d.Result != "changes" {
						t.Errorf("shard %s, %s: result %q", shard, d.Database, d.Result)
					}
				}
			}
			if len(got) != len(names) {
				t.Errorf("count %d: the shards ran %d of the %d databases: %v", count, len(got), len(names), got)
			}
			if !slices.Equal(owners, []string{owner}) || !slices.Equal(clusterWide, []string{owner}) {
				t.Errorf("count %d, order %d: cluster owners %v, plans with the role or membership %v; want %s alone", count, order, owners, clusterWide, owner)
			}
			if prev := assignments[count]; prev != nil {
				for db, i := range got {
					if prev[db] != i {
						t.Errorf("count %d: %s moved from shard %d to %d when the targets file was shuffled", count, db, prev[db], i)
					}
				}
			}
			assignments[count] = got
		}
	}
	if empty := 7 - len(distinct(assignments[7])); empty < 2 {
		t.Errorf("7 shards of 5 databases, %d empty", empty)
	}

	// Apply. Pick a split in which a shard without the owner runs a
	// database (with random names, 3 shards nearly always are one).
	count := 3
	for ; count < 20 && !slices.ContainsFunc(names, func(n string) bool { return shardOfName(f, n, count) != shardOfName(f, owner, count) }); count++ {
	}
	ownerShard := shardOfName(f, owner, count)
	byShard := map[int][]string{}
	for _, n := range names {
		byShard[shardOfName(f, n, count)] = append(byShard[shardOfName(f, n, count)], n)
	}
	apply := func(i int) (int, string, string) {
		// The index as a Kubernetes Indexed Job gives it.
		cj := c
		cj.env = map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i)}
		return cj.run("apply", "--auto-approve", "--verbose", "--policy", f.policy, "--targets", files[1], "--shard", fmt.Sprintf("job/%d", count))
	}
	var executed strings.Builder // every statement that ran, of every shard
	// The other shards first: their databases fail, nothing is changed.
	for i := range count {
		if i == ownerShard {
			continue
		}
		code, stdout, stderr := apply(i)
		executed.WriteString(stderr)
		if len(byShard[i]) == 0 {
			if code != 0 {
				t.Errorf("empty shard %d/%d: exit %d\n%s\n%s", i, count, code, stdout, stderr)
			}
			continue
		}
		if code != 1 {
			t.Fatalf("shard %d/%d, before the owner's: exit %d, want 1\n%s\n%s", i, count, code, stdout, stderr)
		}
		for _, n := range byShard[i] {
			want := fmt.Sprintf("(the role %s does not exist yet on %s: creating roles is left to the run of its cluster owner, %s, in shard %d/%d; once it has run, run shard %d/%d again",
				f.app, serverOfURL(f.urls[n]), owner, ownerShard, count, i, count)
			if !strings.Contains(stderr, "error: database "+n+": ") || !strings.Contains(stderr, want) {
				t.Errorf("shard %d/%d: stderr does not say why %s failed (want %q):\n%s", i, count, n, want, stderr)
			}
		}
		if !strings.Contains(stdout, fmt.Sprintf(", shard %d/%d: %d failed.", i, count, len(byShard[i]))) {
			t.Errorf("shard %d/%d: summary:\n%s", i, count, stdout)
		}
	}
	if f.roleExists(t) {
		t.Fatalf("%s exists before the owner's shard ran", f.app)
	}
	// The owner's shard creates the role and the membership, then the
	// others converge on a second try, as a Job's retry would run them.
	for _, i := range append([]int{ownerShard}, otherShards(count, ownerShard)...) {
		code, stdout, stderr := apply(i)
		executed.WriteString(stderr)
		if code != 0 {
			t.Errorf("shard %d/%d: exit %d\n%s\n%s", i, count, code, stdout, stderr)
		}
	}
	if !f.roleExists(t) || !queryBool(t, f.dbs[0], fmt.Sprintf("SELECT pg_has_role(%s, %s, 'MEMBER')", quoteLit(f.app), quoteLit(f.grp))) {
		t.Errorf("%s was not created, or is no member of %s", f.app, f.grp)
	}
	for _, db := range f.dbs {
		if !queryBool(t, db, fmt.Sprintf("SELECT has_table_privilege(%s, 'app.t', 'SELECT')", quoteLit(f.app))) {
			t.Errorf("%s did not converge", db.Name)
		}
	}
	runs := executed.String()
	if n, m := len(createRole.FindAllString(runs, -1)), len(membership.FindAllString(runs, -1)); n != 1 || m != 1 {
		t.Errorf("over all shards, CREATE ROLE ran %d times and the membership GRANT %d; want once each:\n%s", n, m, runs)
	}

	// Audit with --all-databases, each shard to its own Prometheus file:
	// every series says its shard, and the files merge without duplicates.
	series := map[string]string{} // series → the shard that wrote it
	audited := map[string]bool{}
	ca := cli{t: t, url: f.urls[owner]}
	for i := range count {
		shard := fmt.Sprintf("%d/%d", i, count)
		out := filepath.Join(t.TempDir(), fmt.Sprintf("pgward-%d.prom", i))
		code, stdout, stderr := ca.run("audit", "--policy", f.policy, "--all-databases", "--include-database", strings.Join(names, ","),
			"--shard", shard, "--format", "prometheus", "--output", out)
		if code != 0 {
			t.Errorf("audit shard %s: exit %d\n%s\n%s", shard, code, stdout, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			if strings.HasPrefix(line, "#") {
				continue
			}
			name, _, _ := strings.Cut(line, " ")
			if !strings.Contains(name, `,shard="`+shard+`"`) {
				t.Errorf("audit shard %s: a series without its shard label: %s", shard, line)
			}
			if prev, dup := series[name]; dup {
				t.Errorf("%s is in the files of shards %s and %s", name, prev, shard)
			}
			series[name] = shard
			if m := regexp.MustCompile(`^pgward_audit_success\{database="([^"]+)"`).FindStringSubmatch(name); m != nil {
				audited[m[1]] = true
			}
		}
	}
	if len(audited) != len(names) {
		t.Errorf("the audit shards covered %d of %d databases: %v", len(audited), len(names), audited)
	}
}

func distinct(m map[string]int) map[int]bool {
	out := map[int]bool{}
	for _, v := range m {
		out[v] = true
	}
	return out
}

func otherShards(count, skip int) []int {
	var out []int
	for i := range count {
		if i != skip {
			out = append(out, i)
		}
	}
	return out
}

// serverOfURL is host:port of a pgtest URL, as fleet names a server.
func serverOfURL(url string) string {
	m := regexp.MustCompile(`^postgres(?:ql)?://[^@/]*@([^/?]+)`).FindStringSubmatch(url)
	if m == nil {
		return ""
	}
	return m[1]
}

func shardOfName(f *shardedFleet, name string, count int) int {
	return fleet.ShardOf(serverOfURL(f.urls[name]), name, count)
}

func (f *shardedFleet) roleExists(t *testing.T) bool {
	return queryBool(t, f.dbs[0], fmt.Sprintf("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", quoteLit(f.app)))
}

// TestFleet_shardBadInput: --shard out of range, malformed, without a
// fleet, or job/COUNT outside an Indexed Job is refused before anything
// connects, with what to give instead.
func TestFleet_shardBadInput(t *testing.T) {
	targets := filepath.Join(t.TempDir(), "targets")
	if err := os.WriteFile(targets, []byte("postgres://u@127.0.0.1:1/a\npostgres://u@127.0.0.1:1/b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	policyPath := writePolicy(t, "role \"nobody_here\" {\n  if_missing = \"skip\"\n}\n")
	tests := []struct {
		name  string
		args  []string
		index string // JOB_COMPLETION_INDEX
		want  string
	}{
		{"index out of range", []string{"plan", "--targets", targets, "--shard", "4/4"}, "", `--shard "4/4": INDEX 4 is out of range: the shards of 4 are numbered 0 to 3; --shard takes INDEX/COUNT`},
		{"no shards", []string{"audit", "--targets", targets, "--shard", "0/0"}, "", `--shard "0/0": COUNT "0" is not a whole number of 1 or more`},
		{"not a number", []string{"apply", "--auto-approve", "--targets", targets, "--shard", "x/3"}, "", `--shard "x/3": INDEX "x" is not a whole number`},
		{"not expanded", []string{"plan", "--targets", targets, "--shard", "$(JOB_COMPLETION_INDEX)/3"}, "", `was not expanded: Kubernetes sets JOB_COMPLETION_INDEX only in the pods of a Job with completionMode: Indexed`},
		{"no fleet", []string{"plan", "--database-url", "postgres://u@127.0.0.1:1/a", "--shard", "0/2"}, "", `--shard 0/2 splits a fleet over several runs: give the whole fleet to every run (--targets FILE, --all-databases, or --database-url repeated)`},
		{"job without its index", []string{"audit", "--targets", targets, "--shard", "job/3"}, "", `--shard job/3 reads the index from JOB_COMPLETION_INDEX, which is not set: Kubernetes sets it in the pods of a Job with completionMode: Indexed; elsewhere give the index, as in --shard 0/3`},
		{"job index out of range", []string{"audit", "--targets", targets, "--shard", "job/3"}, "3", `JOB_COMPLETION_INDEX=3: --shard "3/3": INDEX 3 is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cli{t: t, env: map[string]string{"JOB_COMPLETION_INDEX": tt.index}}
			stdout, stderr := c.expect(1, append(tt.args, "--policy", policyPath)...)
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr:\n%s\nwant %q", stderr, tt.want)
			}
			if strings.Contains(stdout+stderr, "connect") {
				t.Errorf("it tried to connect:\n%s\n%s", stdout, stderr)
			}
		})
	}
}
