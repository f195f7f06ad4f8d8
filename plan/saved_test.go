package plan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

func TestSaved_roundTrip(t *testing.T) {
	pol := loadPolicy(t, "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n}")
	p, _ := plan.Build(pol, fixture{Objects: []*catalog.Object{table("t")}}.Catalog(), plan.Options{})
	var buf bytes.Buffer
	if err := plan.WriteSaved(&buf, p, pol, plan.Options{Partial: true}); err != nil {
		t.Fatal(err)
	}
	saved := buf.String()
	if _, err := plan.ReadSaved(strings.NewReader(saved + "\n{}")); err == nil || !strings.Contains(err.Error(), "data after the plan") {
		t.Errorf("trailing data: got %v, want an error", err)
	}
	s, err := plan.ReadSaved(strings.NewReader(saved + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	back := s.Plan()
	if back.Fingerprint() != p.Fingerprint() || len(back.Statements) != 1 || back.Statements[0].SQL != p.Statements[0].SQL {
		t.Errorf("round trip lost the plan: %+v", back)
	}
	if s.PolicyDigest != plan.PolicyDigest(pol) || plan.PolicyDigest(s.Policy()) != plan.PolicyDigest(pol) {
		t.Error("the policy changed on the way")
	}
	if o := s.PlanOptions(); !o.Partial || o.Strict {
		t.Errorf("plan options: %+v", o)
	}
	// The policy the file carries gives the same plan.
	again, _ := plan.Build(s.Policy(), fixture{Objects: []*catalog.Object{table("t")}}.Catalog(), s.PlanOptions())
	if len(again.Statements) != 1 || again.Statements[0].SQL != p.Statements[0].SQL {
		t.Errorf("the saved policy plans differently: %+v", again.Statements)
	}
	// The file holds the policy, not just its digest, and the plan options.
	for _, want := range []string{`"policy": {`, `"Roles": [`, `"plan_options": {`, `"policy_enums": "kinds 1=database`} {
		if !strings.Contains(saved, want) {
			t.Errorf("saved plan lacks %s:\n%s", want, saved)
		}
	}
}

func TestSaved_rejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":       "GRANT",
		"other kind":     `{"kind": "terraform"}`,
		"future version": `{"kind": "pgward-saved-plan", "format_version": "9"}`,
		"tampered":       `{"kind": "pgward-saved-plan", "format_version": "2", "fingerprint": "00", "state": ["x"]}`,
		"unknown field":  `{"kind": "pgward-saved-plan", "evil": 1}`,
		"no policy":      `{"kind": "pgward-saved-plan", "format_version": "2", "fingerprint": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "state": []}`,
	} {
		if _, err := plan.ReadSaved(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A plan saved by an older pgward (format 1: a policy digest, no
	// policy) is refused with both versions named.
	v1 := `{"kind": "pgward-saved-plan", "format_version": "1", "policy_digest": "ab", "fingerprint": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "state": [], "statements": []}`
	if _, err := plan.ReadSaved(strings.NewReader(v1)); err == nil || err.Error() != `saved plan format "1": this pgward reads format "2"; run pgward plan --out again` {
		t.Errorf("format 1: %v", err)
	}
}

func TestStateDiff(t *testing.T) {
	f := fixture{Objects: []*catalog.Object{table("t")}}
	before := plan.StateLines(f.Catalog())
	f.Objects = []*catalog.Object{table("t", item("bob", "alice", acl.Select, 0))}
	after := plan.StateLines(f.Catalog())
	d := plan.StateDiff(before, after)
	joined := strings.Join(d, "\n")
	if len(d) != 2 || !strings.Contains(joined, "- table \"app.t\"") || !strings.Contains(joined, "+ table \"app.t\"") || !strings.Contains(joined, `"bob"=r/"alice"`) {
		t.Errorf("diff: %q", d)
	}
}

// FuzzReadSaved: no input makes the saved-plan reader panic, and what it
// accepts has a consistent fingerprint.
func FuzzReadSaved(f *testing.F) {
	f.Add(`{"kind": "pgward-saved-plan", "format_version": "1"}`)
	f.Add(`{"kind": "pgward-saved-plan", "format_version": "1", "fingerprint": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "state": []}`)
	f.Add("\x00\xff{")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := plan.ReadSaved(strings.NewReader(in))
		if err == nil && s.Plan().Fingerprint() != s.Fingerprint {
			t.Fatal("accepted plan with inconsistent fingerprint")
		}
	})
}

// TestDescribeStateDiff: what changed since a plan was made, in words:
// the object, the grantee, the privileges before → after; objects, roles
// and memberships that came or went; the connection.
func TestDescribeStateDiff(t *testing.T) {
	f := fixture{Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Insert, 0)), table("gone")}}
	before := plan.StateLines(f.Catalog())
	carol := role("carol", 16386)
	carol.Login = false
	f.Extra = []*catalog.Role{carol, role("dave", 16390)}
	f.Members = []catalog.Membership{{Member: "bob", Role: "carol", Grantor: "alice", Inherit: true}}
	f.Me = "postgres"
	f.Objects = []*catalog.Object{
		table("t", item("bob", "alice", acl.Insert|acl.Truncate, 0), item("", "alice", acl.Select, acl.Select)),
		table("new"),
	}
	after := plan.StateLines(f.Catalog())
	got := plan.DescribeStateDiff(before, after)
	want := []string{
		"the connection: connected as alice → postgres",
		"bob became a member of carol (granted by alice)",
		"role carol: login true → false",
		"role dave was created",
		"table app.gone was dropped",
		"table app.new was created (owner alice)",
		"table app.t: PUBLIC gained SELECT (granted by alice): nothing → SELECT WITH GRANT OPTION",
		"table app.t: bob gained TRUNCATE (granted by alice): INSERT → INSERT, TRUNCATE",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range got {
		if strings.Contains(l, `"=`) || strings.Contains(l, "/\"") {
			t.Errorf("raw ACL text in %q", l)
		}
	}
	// What it cannot read is given as it is.
	if got := plan.DescribeStateDiff([]string{"weird line"}, nil); len(got) != 1 || got[0] != "- weird line" {
		t.Errorf("unreadable line: %q", got)
	}
}
