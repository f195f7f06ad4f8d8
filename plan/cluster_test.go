package plan_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// TestBuild_leaveOutClusterWide: in a fleet, the databases other than the
// cluster owner plan only what belongs to them; role attributes,
// memberships, the drift of external roles and the diagnostics of what the
// connecting role could not do about them are the cluster owner's.
func TestBuild_leaveOutClusterWide(t *testing.T) {
	pol := loadPolicy(t, `role "bob" {
  login = false
  member_of "carol" {}
  grant "table" { privileges = ["SELECT"] }
}
role "carol" {
  external = true
  inherit  = false
}`)
	cat := fixture{Objects: []*catalog.Object{table("t")}}.Catalog()
	tests := []struct {
		name      string
		opts      plan.Options
		want      []string
		sql       []string
		drift     int
		hasErrors bool
	}{
		{
			name:      "owner: everything, and alice cannot alter roles",
			opts:      plan.Options{},
			want:      []string{"~ role bob NOLOGIN BLOCKED", "+ member bob in carol BLOCKED", "+ table app.t bob SELECT"},
			sql:       []string{`GRANT SELECT ON TABLE "app"."t" TO "bob"`},
			drift:     1,
			hasErrors: true,
		},
		{
			name: "other database: its own objects only",
			opts: plan.Options{LeaveOutClusterWide: true},
			want: []string{"+ table app.t bob SELECT"},
			sql:  []string{`GRANT SELECT ON TABLE "app"."t" TO "bob"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(pol, cat, tt.opts)
			if got := summary(p); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.want)
			}
			if got := sqlOf(p); strings.Join(got, "\n") != strings.Join(tt.sql, "\n") {
				t.Errorf("statements:\n got %q\nwant %q", got, tt.sql)
			}
			if len(p.Drift) != tt.drift {
				t.Errorf("drift: %d, want %d: %+v", len(p.Drift), tt.drift, p.Drift)
			}
			if diags.HasErrors() != tt.hasErrors {
				t.Errorf("errors: %v, want %v: %v", diags.HasErrors(), tt.hasErrors, diags)
			}
		})
	}
}

func TestChange_ClusterWide(t *testing.T) {
	tests := []struct {
		c    plan.Change
		want bool
	}{
		{plan.Change{Target: plan.TargetRole}, true},
		{plan.Change{Target: plan.TargetMembership}, true},
		{plan.Change{Target: plan.TargetObject, Object: acl.Object{Kind: acl.KindParameter, Name: "work_mem"}}, true},
		{plan.Change{Target: plan.TargetObject, Object: acl.Object{Kind: acl.KindTablespace, Name: "fast"}}, true},
		{plan.Change{Target: plan.TargetObject, Object: acl.Object{Kind: acl.KindDatabase, Name: "app"}}, false},
		{plan.Change{Target: plan.TargetObject, Object: acl.Object{Kind: acl.KindTable, Schema: "app", Name: "t"}}, false},
		{plan.Change{Target: plan.TargetDefault}, false},
	}
	for _, tt := range tests {
		if got := tt.c.ClusterWide(); got != tt.want {
			t.Errorf("%v %v: ClusterWide() = %v, want %v", tt.c.Target, tt.c.Object, got, tt.want)
		}
	}
}
