package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/pgward/pgward/policy"
)

// SavedFormatVersion is the version of the saved-plan file format.
const SavedFormatVersion = "1"

const savedKind = "pgward-saved-plan"

// Saved is what `pgward plan -out FILE` writes and `pgward apply FILE`
// reads: the statements the user reviewed, the catalog state they were
// computed from, and a digest of the evaluated policy.
type Saved struct {
	Kind           string           `json:"kind"`
	FormatVersion  string           `json:"format_version"`
	Database       string           `json:"database"`
	ServerVersion  int              `json:"server_version_num"`
	ConnectingRole string           `json:"connecting_role"`
	PolicyDigest   string           `json:"policy_digest"`
	Fingerprint    string           `json:"fingerprint"`
	State          []string         `json:"state"`
	Statements     []SavedStatement `json:"statements"`
}

// SavedStatement is one statement of a saved plan.
type SavedStatement struct {
	SQL    string `json:"sql"`
	AsRole string `json:"as_role,omitempty"`
}

// PolicyDigest identifies an evaluated policy (variables included), so that
// a saved plan is applied only with the policy it was computed from.
func PolicyDigest(p *policy.Policy) string {
	b, err := json.Marshal(p)
	if err != nil {
		// A Policy holds only plain values; Marshal cannot fail on it.
		panic(fmt.Sprintf("plan: marshal policy: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// WriteSaved writes the plan as a saved-plan file.
func WriteSaved(w io.Writer, p *Plan, policyDigest string) error {
	s := Saved{
		Kind: savedKind, FormatVersion: SavedFormatVersion,
		Database: p.Database, ServerVersion: p.ServerVersion, ConnectingRole: p.ConnectingRole,
		PolicyDigest: policyDigest, Fingerprint: p.Fingerprint(), State: p.State(),
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
// error that says so; it never panics.
func ReadSaved(r io.Reader) (*Saved, error) {
	var s Saved
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a pgward saved plan: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("saved plan is damaged: data after the plan")
	}
	switch {
	case s.Kind != savedKind:
		return nil, fmt.Errorf("not a pgward saved plan (kind %q)", s.Kind)
	case s.FormatVersion != SavedFormatVersion:
		return nil, fmt.Errorf("saved plan format %q: this pgward reads format %q", s.FormatVersion, SavedFormatVersion)
	case s.Fingerprint == "" || hashLines(s.State) != s.Fingerprint:
		return nil, fmt.Errorf("saved plan is damaged: its state does not match its fingerprint")
	}
	return &s, nil
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
