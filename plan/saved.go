package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// SavedFormatVersion is the version of the saved-plan file format.
//
// Version 2 carries the evaluated policy and the plan options, so that a
// saved plan is applied with no policy at hand; version 1 carried only the
// policy's digest.
const SavedFormatVersion = "2"

const savedKind = "pgward-saved-plan"

// Saved is what `pgward plan --out FILE` writes and `pgward apply FILE`
// reads: the statements the user reviewed, the catalog state they were
// computed from, the evaluated policy (variables substituted) and the plan
// options they were computed with. It holds no connection string and no
// credentials: the database is named, never how to reach it.
type Saved struct {
	Kind           string `json:"kind"`
	FormatVersion  string `json:"format_version"`
	Database       string `json:"database"`
	ServerVersion  int    `json:"server_version_num"`
	ConnectingRole string `json:"connecting_role"`
	// PolicyDigest is PolicyDigest of Policy.
	PolicyDigest string `json:"policy_digest"`
	// PolicyJSON is the evaluated policy as encoding/json writes a
	// policy.Policy; object kinds and privileges are numbers, whose
	// meaning PolicyEnums spells out.
	PolicyJSON  json.RawMessage  `json:"policy"`
	PolicyEnums string           `json:"policy_enums"`
	Options     SavedOptions     `json:"plan_options"`
	Fingerprint string           `json:"fingerprint"`
	State       []string         `json:"state"`
	Statements  []SavedStatement `json:"statements"`

	policy *policy.Policy // Policy, decoded by ReadSaved
}

// SavedOptions are the plan options a saved plan was computed with
// (pgward's --strict and --require-all).
type SavedOptions struct {
	Strict  bool `json:"strict"`
	Partial bool `json:"partial"`
}

// SavedStatement is one statement of a saved plan.
type SavedStatement struct {
	SQL    string `json:"sql"`
	AsRole string `json:"as_role,omitempty"`
}

// PolicyDigest identifies an evaluated policy (variables included), so that
// a saved plan is applied only with the policy it was computed from.
func PolicyDigest(p *policy.Policy) string {
	sum := sha256.Sum256(marshalPolicy(p))
	return hex.EncodeToString(sum[:])
}

func marshalPolicy(p *policy.Policy) []byte {
	b, err := json.Marshal(p)
	if err != nil {
		// A Policy holds only plain values; Marshal cannot fail on it.
		panic(fmt.Sprintf("plan: marshal policy: %v", err))
	}
	return b
}

// policyEnums spells out the numbers a marshalled policy uses for object
// kinds and privileges: a saved plan written by a pgward that numbers them
// differently is refused rather than misread.
func policyEnums() string {
	var b strings.Builder
	b.WriteString("kinds")
	for k := acl.Kind(1); !strings.HasPrefix(k.String(), "kind("); k++ {
		b.WriteString(" " + strconv.Itoa(int(k)) + "=" + k.String())
	}
	b.WriteString("; privileges")
	for i := 0; i < 16; i++ {
		if p := acl.Priv(1 << i); len(p.List()) == 1 {
			b.WriteString(" " + strconv.Itoa(int(p)) + "=" + p.String())
		}
	}
	return b.String()
}

// WriteSaved writes the plan as a saved-plan file, with the policy and the
// options it was built from.
func WriteSaved(w io.Writer, p *Plan, pol *policy.Policy, o Options) error {
	s := Saved{
		Kind: savedKind, FormatVersion: SavedFormatVersion,
		Database: p.Database, ServerVersion: p.ServerVersion, ConnectingRole: p.ConnectingRole,
		PolicyDigest: PolicyDigest(pol), PolicyJSON: marshalPolicy(pol), PolicyEnums: policyEnums(),
		Options:     SavedOptions{Strict: o.Strict, Partial: o.Partial},
		Fingerprint: p.Fingerprint(), State: p.State(),
		Statements: []SavedStatement{},
	}
	for _, st := range p.Statements {
		s.Statements = append(s.Statements, SavedStatement{SQL: st.SQL, AsRole: st.AsRole})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(s)
}

// ReadSaved parses a saved-plan file. Any input that is not one gives an
// error that says so, on one line; it never panics. A file of an older
// format is refused with an error that names both versions.
func ReadSaved(r io.Reader) (*Saved, error) {
	var s Saved
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		if v := savedVersion(err, &s); v != "" {
			return nil, versionError(v)
		}
		return nil, fmt.Errorf("not a pgward saved plan: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("saved plan is damaged: data after the plan")
	}
	switch {
	case s.Kind != savedKind:
		return nil, fmt.Errorf("not a pgward saved plan (kind %q)", s.Kind)
	case s.FormatVersion != SavedFormatVersion:
		return nil, versionError(s.FormatVersion)
	case s.Fingerprint == "" || hashLines(s.State) != s.Fingerprint:
		return nil, fmt.Errorf("saved plan is damaged: its state does not match its fingerprint")
	case s.PolicyEnums != policyEnums():
		return nil, fmt.Errorf("saved plan was written by a pgward that numbers object kinds or privileges differently: run pgward plan --out again with this pgward")
	}
	pol := &policy.Policy{}
	pdec := json.NewDecoder(bytes.NewReader(s.PolicyJSON))
	pdec.DisallowUnknownFields()
	if err := pdec.Decode(pol); err != nil || len(s.PolicyJSON) == 0 || string(s.PolicyJSON) == "null" {
		return nil, fmt.Errorf("saved plan is damaged: its policy cannot be read")
	}
	if PolicyDigest(pol) != s.PolicyDigest {
		return nil, fmt.Errorf("saved plan is damaged: its policy does not match its digest")
	}
	s.policy = pol
	return &s, nil
}

// savedVersion is the format_version of a file that failed to decode as
// this version's format (an unknown field of an older format), when the
// kind says it is a saved plan.
func savedVersion(err error, s *Saved) string {
	if s.Kind == savedKind && s.FormatVersion != "" && s.FormatVersion != SavedFormatVersion && strings.Contains(err.Error(), "unknown field") {
		return s.FormatVersion
	}
	return ""
}

func versionError(v string) error {
	return fmt.Errorf("saved plan format %q: this pgward reads format %q; run pgward plan --out again", v, SavedFormatVersion)
}

// Policy is the evaluated policy the plan was computed from.
func (s *Saved) Policy() *policy.Policy { return s.policy }

// PlanOptions are the options the plan was computed with.
func (s *Saved) PlanOptions() Options {
	return Options{Strict: s.Options.Strict, Partial: s.Options.Partial}
}

// Plan turns the saved plan back into the plan apply compares with the one
// it builds under its lock: same fingerprint, same statements.
func (s *Saved) Plan() *Plan {
	p := &Plan{Database: s.Database, ServerVersion: s.ServerVersion, ConnectingRole: s.ConnectingRole,
		state: &planState{fingerprint: s.Fingerprint, lines: s.State}}
	for _, st := range s.Statements {
		p.Statements = append(p.Statements, Statement{SQL: st.SQL, AsRole: st.AsRole})
	}
	return p
}
