package cnpg

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/policy"
)

// reserved are the roles CloudNativePG creates itself, outside
// spec.managed.roles: an external role of that name is accounted for.
var reserved = []string{"postgres", "streaming_replica", "cnpg_pooler_pgbouncer"}

// Compare reports where the policy and the Cluster manifests disagree, as
// diagnostics on the policy's positions (the manifest's position is in
// each detail):
//
//   - errors: a role a Cluster manages that the policy declares without
//     external = true (pgward and the operator would undo each other's
//     changes); an external role that a Cluster removes (ensure: absent)
//     while the policy keeps it; an attribute the policy declares for an
//     external role with another value than the Cluster's (CloudNativePG's
//     default counts when the manifest leaves it out); a membership in one
//     and not in the other, or declared with admin = true, which
//     CloudNativePG never grants;
//   - warnings: an external role that no Cluster creates, and a managed
//     role that is a superuser (every grant and deny is moot for it).
//
// Attributes the policy leaves out are not compared: pgward does not check
// them either. Comments and passwords are CloudNativePG's alone.
func Compare(pol *policy.Policy, clusters []*Cluster) hcl.Diagnostics {
	var diags hcl.Diagnostics
	declared := map[string]*policy.Role{}
	for _, r := range pol.Roles {
		declared[r.Name] = r
	}
	managed := map[string]bool{}
	for _, c := range clusters {
		if c.Owner != "" {
			managed[c.Owner] = true
		}
		for _, m := range c.Roles {
			managed[m.Name] = true
			r := declared[m.Name]
			if r == nil {
				continue
			}
			diags = append(diags, compareRole(r, m, c)...)
		}
	}
	for _, r := range pol.Roles {
		if r.External && !managed[r.Name] && !slices.Contains(reserved, r.Name) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning,
				Summary: fmt.Sprintf("External role %q is not in the CloudNativePG manifest", r.Name),
				Detail: fmt.Sprintf("No Cluster of %s lists %s in spec.managed.roles, nor creates it at bootstrap. Add it there, or make sure another system creates it.",
					manifestNames(clusters), r.Name),
				Subject: r.DeclRange.Ptr()})
		}
	}
	return diags
}

// manifestNames lists the manifest files, for a detail.
func manifestNames(clusters []*Cluster) string {
	var names []string
	for _, c := range clusters {
		if !slices.Contains(names, c.Range.Filename) {
			names = append(names, c.Range.Filename)
		}
	}
	return strings.Join(names, ", ")
}

// clusterName is `Cluster "name"` for a detail.
func clusterName(c *Cluster) string {
	if c.Name == "" {
		return "the Cluster"
	}
	return fmt.Sprintf("Cluster %q", c.Name)
}

func compareRole(r *policy.Role, m *Role, c *Cluster) hcl.Diagnostics {
	var diags hcl.Diagnostics
	errorf := func(subject hcl.Range, summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: subject.Ptr()})
	}
	if !r.External {
		errorf(r.DeclRange, fmt.Sprintf("Role %q is managed by CloudNativePG", r.Name),
			"%s manages %s at %s, and the policy manages its attributes and memberships too: each would undo the other's changes. Add external = true to the role, so that pgward checks them and leaves them to the operator.",
			clusterName(c), r.Name, pos(m.Where("name")))
		return diags
	}
	if m.Absent {
		if r.Ensure != policy.EnsureAbsent {
			errorf(r.DeclRange, fmt.Sprintf("CloudNativePG removes role %q", r.Name),
				"%s says ensure: absent at %s, so the operator drops the role the policy grants to. Remove the role from the policy, or set ensure = \"absent\" in it to retire its grants first.",
				clusterName(c), pos(m.Where("ensure")))
		}
		return diags
	}
	if m.Superuser {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning,
			Summary: fmt.Sprintf("Role %q is a superuser in CloudNativePG", r.Name),
			Detail:  fmt.Sprintf("%s says superuser: true at %s: the role bypasses every privilege check, so the policy's grants and deny blocks do not restrict it.", clusterName(c), pos(m.Where("superuser"))),
			Subject: r.DeclRange.Ptr()})
	}
	a := r.Attributes
	where := func(name string) hcl.Range {
		if rng, ok := a.Ranges[name]; ok {
			return rng
		}
		return r.DeclRange
	}
	attr := func(policyName, manifestName string, want *bool, have bool) {
		if want == nil || *want == have {
			return
		}
		errorf(where(policyName), fmt.Sprintf("External role %q: %s differs from CloudNativePG", r.Name, policyName),
			"The policy says %s = %t; %s says %s: %t at %s%s. Change one of them: CloudNativePG sets the role as its manifest says.",
			policyName, *want, clusterName(c), manifestName, have, pos(m.Where(manifestName)), defaulted(m, manifestName))
	}
	attr("login", "login", a.Login, m.Login)
	attr("inherit", "inherit", a.Inherit, m.Inherit)
	attr("createdb", "createdb", a.CreateDB, m.CreateDB)
	attr("createrole", "createrole", a.CreateRole, m.CreateRole)
	attr("replication", "replication", a.Replication, m.Replication)
	attr("bypassrls", "bypassrls", a.BypassRLS, m.BypassRLS)
	if a.ConnectionLimit != nil && *a.ConnectionLimit != m.ConnectionLimit {
		errorf(where("connection_limit"), fmt.Sprintf("External role %q: connection_limit differs from CloudNativePG", r.Name),
			"The policy says connection_limit = %d; %s says connectionLimit: %d at %s%s. Change one of them: CloudNativePG sets the role as its manifest says.",
			*a.ConnectionLimit, clusterName(c), m.ConnectionLimit, pos(m.Where("connectionLimit")), defaulted(m, "connectionLimit"))
	}
	if a.ValidUntil != nil && !sameValidUntil(*a.ValidUntil, m.ValidUntil) {
		have := "no validUntil (the password never expires)"
		if m.ValidUntil != nil {
			have = "validUntil: " + m.ValidUntil.Format(time.RFC3339)
		}
		errorf(where("valid_until"), fmt.Sprintf("External role %q: valid_until differs from CloudNativePG", r.Name),
			"The policy says valid_until = %q; %s says %s at %s. Change one of them: CloudNativePG sets the role as its manifest says.",
			*a.ValidUntil, clusterName(c), have, pos(m.Where("validUntil")))
	}
	inPolicy := map[string]bool{}
	for _, ms := range r.MemberOf {
		inPolicy[ms.Role] = true
		switch {
		case !slices.Contains(m.InRoles, ms.Role):
			errorf(ms.Range, fmt.Sprintf("External role %q: member of %q only in the policy", r.Name, ms.Role),
				"The policy makes %s a member of %s; %s does not list %s in its inRoles (%s). Add it there, or remove this member_of: for an external role, pgward reports the membership the operator does not grant.",
				r.Name, ms.Role, clusterName(c), ms.Role, pos(m.Where("inRoles")))
		case ms.Admin:
			errorf(ms.Range, fmt.Sprintf("External role %q: member of %q with ADMIN OPTION", r.Name, ms.Role),
				"%s grants the membership of inRoles (%s) without ADMIN OPTION; the policy says admin = true. Remove admin = true.",
				clusterName(c), pos(m.Where("inRoles["+ms.Role+"]")))
		}
	}
	for _, in := range m.InRoles {
		if !inPolicy[in] {
			errorf(r.DeclRange, fmt.Sprintf("External role %q: member of %q only in CloudNativePG", r.Name, in),
				"%s makes %s a member of %s at %s; the policy has no member_of %q for it, so plan and audit would report the membership as drift. Add member_of %q to the role, or remove it from inRoles.",
				clusterName(c), r.Name, in, pos(m.Where("inRoles["+in+"]")), in, in)
		}
	}
	return diags
}

// defaulted says that a field left out of the manifest takes
// CloudNativePG's default.
func defaulted(m *Role, field string) string {
	if _, ok := m.Fields[field]; ok {
		return ""
	}
	return " (left out: CloudNativePG's default)"
}

// sameValidUntil compares the policy's valid_until text with the
// manifest's: "infinity" and no validUntil both mean a password that never
// expires; timestamps compare as instants.
func sameValidUntil(want string, have *time.Time) bool {
	if want == "infinity" {
		return have == nil
	}
	if have == nil {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, want)
	if err != nil {
		// Not RFC 3339 (PostgreSQL accepts more); compare as text, and
		// let plan report a value that is no timestamp at all.
		return strings.EqualFold(want, have.Format(time.RFC3339))
	}
	return t.Equal(*have)
}

// Names lists the roles the Clusters keep (ensure: present), in manifest
// order without repeats: the roles pgward import --cnpg-cluster declares
// external.
func Names(clusters []*Cluster) []string {
	var out []string
	for _, c := range clusters {
		for _, m := range c.Roles {
			if !m.Absent && !slices.Contains(out, m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}
