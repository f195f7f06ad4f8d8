package cnpg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"gopkg.in/yaml.v3"

	"github.com/pgward/pgward/internal/didyoumean"
)

// Cluster is one CloudNativePG Cluster document of a manifest.
type Cluster struct {
	// Name is metadata.name ("" when the document has none).
	Name string
	// Range is where the document's kind: Cluster is written.
	Range hcl.Range
	// Roles are spec.managed.roles, in manifest order.
	Roles []*Role
	// Owner is the application database's owner that CloudNativePG
	// creates at bootstrap (spec.bootstrap.initdb.owner, else its
	// database, else "app"), "" when the cluster bootstraps otherwise.
	Owner string
}

// Role is one entry of spec.managed.roles, with CloudNativePG's defaults
// filled in for the fields left out.
type Role struct {
	Name            string
	Absent          bool // ensure: absent
	Comment         string
	Login           bool
	Superuser       bool
	CreateDB        bool
	CreateRole      bool
	Replication     bool
	BypassRLS       bool
	Inherit         bool // CloudNativePG's default is true
	ConnectionLimit int  // CloudNativePG's default is -1, no limit
	// ValidUntil is nil when the manifest sets none: the password never
	// expires.
	ValidUntil      *time.Time
	InRoles         []string
	PasswordSecret  string // the Secret's name; never opened
	DisablePassword bool
	// Range is where the role's entry starts (its first key).
	Range hcl.Range
	// Fields holds the position of each field written in the manifest,
	// keyed by its manifest name ("login", "connectionLimit", …); InRoles
	// items are keyed "inRoles[<role>]".
	Fields map[string]hcl.Range
}

// Where is the manifest position of field, or of the role's entry when the
// field is not written (its default applies).
func (r *Role) Where(field string) hcl.Range {
	if rng, ok := r.Fields[field]; ok {
		return rng
	}
	return r.Range
}

// roleFields are the fields of CloudNativePG's RoleConfiguration.
var roleFields = []string{"name", "comment", "ensure", "passwordSecret", "connectionLimit", "validUntil",
	"inRoles", "inherit", "disablePassword", "superuser", "createdb", "createrole", "login", "replication", "bypassrls"}

// Load reads the manifest file at path (see [Parse]).
func Load(path string) ([]*Cluster, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the CloudNativePG manifest",
			Detail: fmt.Sprintf("%s. Give the path of a YAML file holding a Cluster (kubectl get cluster NAME -o yaml > cluster.yaml).", err)}}
	}
	return Parse(path, src)
}

// Parse reads the Cluster documents of a manifest named filename. A file
// with no Cluster document is an error: the flag named the wrong file.
func Parse(filename string, src []byte) ([]*Cluster, hcl.Diagnostics) {
	f := &file{name: filename, src: src, lineStart: []int{0}}
	for i, c := range src {
		if c == '\n' {
			f.lineStart = append(f.lineStart, i+1)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var clusters []*Cluster
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.syntaxError(err)
			return nil, f.diags
		}
		if c := f.cluster(&doc); c != nil {
			clusters = append(clusters, c)
		}
	}
	if len(clusters) == 0 && !f.diags.HasErrors() {
		f.errorf(hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}, "No CloudNativePG Cluster in the manifest",
			"%s holds no document with apiVersion postgresql.cnpg.io/v1 and kind Cluster. Give the file that declares the cluster.", filename)
	}
	if f.diags.HasErrors() {
		return nil, f.diags
	}
	return clusters, f.diags
}

type file struct {
	name      string
	src       []byte
	lineStart []int
	diags     hcl.Diagnostics
}

func (f *file) rng(n *yaml.Node) hcl.Range {
	off := 0
	if n.Line >= 1 && n.Line <= len(f.lineStart) {
		off = f.lineStart[n.Line-1] + n.Column - 1
	}
	p := hcl.Pos{Line: n.Line, Column: n.Column, Byte: off}
	return hcl.Range{Filename: f.name, Start: p, End: p}
}

func (f *file) errorf(r hcl.Range, summary, format string, args ...any) {
	f.diags = append(f.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: r.Ptr()})
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error, which gives a line and no column,
// into a diagnostic on that line.
func (f *file) syntaxError(err error) {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 1
	if m := yamlErrorLine.FindStringSubmatch(err.Error()); m != nil {
		if n, aerr := strconv.Atoi(m[1]); aerr == nil {
			line, msg = n, m[2]
		}
	}
	f.errorf(f.rng(&yaml.Node{Line: line, Column: 1}), "Invalid YAML in the CloudNativePG manifest", "%s.", msg)
}

// get returns the value of key in the mapping n, and its key node.
func get(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// cluster reads one document: nil when it is not a CloudNativePG Cluster.
func (f *file) cluster(doc *yaml.Node) *Cluster {
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	kindKey, kind := get(root, "kind")
	if scalar(kind) != "Cluster" || !strings.HasPrefix(scalar(second(get(root, "apiVersion"))), "postgresql.cnpg.io/") {
		return nil
	}
	c := &Cluster{Name: scalar(second(get(second(get(root, "metadata")), "name"))), Range: f.rng(kindKey)}
	spec := second(get(root, "spec"))
	bootstrap := second(get(spec, "bootstrap"))
	if initdb := second(get(bootstrap, "initdb")); initdb != nil || bootstrap == nil {
		c.Owner = scalar(second(get(initdb, "owner")))
		if c.Owner == "" {
			c.Owner = scalar(second(get(initdb, "database")))
		}
		if c.Owner == "" {
			c.Owner = "app"
		}
	}
	_, roles := get(second(get(spec, "managed")), "roles")
	if roles == nil || roles.Tag == "!!null" {
		return c
	}
	if roles.Kind != yaml.SequenceNode {
		f.errorf(f.rng(roles), "Invalid spec.managed.roles", "spec.managed.roles is a list of roles, one \"- name: …\" entry each.")
		return c
	}
	seen := map[string]*Role{}
	for _, item := range roles.Content {
		r := f.role(item)
		if r == nil {
			continue
		}
		if first, dup := seen[r.Name]; dup {
			f.errorf(r.Where("name"), "Role declared twice in the Cluster", "Role %q is already declared at %s; CloudNativePG manages each role once.", r.Name, pos(first.Where("name")))
			continue
		}
		seen[r.Name] = r
		c.Roles = append(c.Roles, r)
	}
	return c
}

func second(_, v *yaml.Node) *yaml.Node { return v }

// role reads one entry of spec.managed.roles, with the defaults of
// CloudNativePG's RoleConfiguration.
func (f *file) role(n *yaml.Node) *Role {
	if n.Kind != yaml.MappingNode {
		f.errorf(f.rng(n), "Invalid role in spec.managed.roles", "Each role is a mapping with at least a name (- name: app_reader).")
		return nil
	}
	r := &Role{Inherit: true, ConnectionLimit: -1, Range: f.rng(n), Fields: map[string]hcl.Range{}}
	ok := true
	boolean := func(v *yaml.Node, key string, dst *bool) {
		b, err := strconv.ParseBool(scalar(v))
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || err != nil {
			f.errorf(f.rng(v), "Invalid "+key, "%s is true or false, not %q.", key, v.Value)
			ok = false
			return
		}
		*dst = b
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		r.Fields[k.Value] = f.rng(v)
		switch k.Value {
		case "name":
			r.Name = scalar(v)
		case "comment":
			r.Comment = scalar(v)
		case "ensure":
			switch scalar(v) {
			case "present":
			case "absent":
				r.Absent = true
			default:
				f.errorf(f.rng(v), "Invalid ensure", "ensure is present or absent, not %q.", v.Value)
				ok = false
			}
		case "passwordSecret":
			r.PasswordSecret = scalar(second(get(v, "name")))
			if r.PasswordSecret == "" {
				f.errorf(f.rng(v), "Invalid passwordSecret", "passwordSecret names a Secret: passwordSecret: {name: app-reader-password}.")
				ok = false
			}
		case "connectionLimit":
			l, err := strconv.Atoi(scalar(v))
			if v.Tag != "!!int" || err != nil || l < -1 {
				f.errorf(f.rng(v), "Invalid connectionLimit", "connectionLimit is a whole number, -1 for no limit, not %q.", v.Value)
				ok = false
				continue
			}
			r.ConnectionLimit = l
		case "validUntil":
			t, err := time.Parse(time.RFC3339, scalar(v))
			if err != nil {
				f.errorf(f.rng(v), "Invalid validUntil", "validUntil is an RFC 3339 timestamp such as 2027-01-31T00:00:00Z, not %q.", v.Value)
				ok = false
				continue
			}
			r.ValidUntil = &t
		case "inRoles":
			if v.Kind != yaml.SequenceNode {
				f.errorf(f.rng(v), "Invalid inRoles", "inRoles is a list of role names.")
				ok = false
				continue
			}
			for _, m := range v.Content {
				if m.Kind != yaml.ScalarNode || m.Value == "" {
					f.errorf(f.rng(m), "Invalid inRoles", "inRoles is a list of role names.")
					ok = false
					continue
				}
				r.InRoles = append(r.InRoles, m.Value)
				r.Fields["inRoles["+m.Value+"]"] = f.rng(m)
			}
		case "inherit":
			boolean(v, k.Value, &r.Inherit)
		case "disablePassword":
			boolean(v, k.Value, &r.DisablePassword)
		case "superuser":
			boolean(v, k.Value, &r.Superuser)
		case "createdb":
			boolean(v, k.Value, &r.CreateDB)
		case "createrole":
			boolean(v, k.Value, &r.CreateRole)
		case "login":
			boolean(v, k.Value, &r.Login)
		case "replication":
			boolean(v, k.Value, &r.Replication)
		case "bypassrls":
			boolean(v, k.Value, &r.BypassRLS)
		default:
			f.errorf(f.rng(k), "Unknown field of a managed role", "CloudNativePG's RoleConfiguration has no field %q.%s It has %s.",
				k.Value, didyoumean.Sentence(k.Value, roleFields), strings.Join(roleFields, ", "))
			ok = false
		}
	}
	if r.Name == "" {
		f.errorf(f.rng(n), "Role without a name", "Each role of spec.managed.roles has a name (- name: app_reader).")
		return nil
	}
	if !ok {
		return nil
	}
	return r
}

// pos is the "file:line:col" form of a range's start.
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
