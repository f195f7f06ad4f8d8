package plan_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// FuzzReadSavedRoundTrip: a saved plan that ReadSaved accepts is written
// back by WriteSaved to a file that reads back to the same plan, statement
// for statement; and every input it rejects gets an error that says what
// is wrong with the file, on one line.
func FuzzReadSavedRoundTrip(f *testing.F) {
	f.Add([]byte(`{"kind": "pgward-saved-plan", "format_version": "1", "fingerprint": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "state": []}`))
	f.Add([]byte(`{"kind": "pgward-saved-plan", "format_version": "1", "fingerprint": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "state": [], "statements": [{"sql": "GRANT SELECT ON TABLE \"s\".\"t\" TO \"r\"", "as_role": "o"}]}`))
	f.Add([]byte(`{"kind": "pgward-saved-plan", "format_version": "2"}`))
	f.Add(validSaved(f))
	f.Add([]byte(`{"kind": "pgward-saved-plan", "evil": 1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := plan.ReadSaved(bytes.NewReader(in))
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "not a pgward saved plan") && !strings.HasPrefix(msg, "saved plan") {
				t.Fatalf("rejection does not say it is about a saved plan: %v", err)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("rejection is not one line: %q", msg)
			}
			return
		}
		var buf bytes.Buffer
		if err := plan.WriteSaved(&buf, s.Plan(), s.Policy(), s.PlanOptions()); err != nil {
			t.Fatalf("write back: %v", err)
		}
		back, err := plan.ReadSaved(&buf)
		if err != nil {
			t.Fatalf("what WriteSaved wrote does not read back: %v\n%s", err, buf.String())
		}
		if back.Fingerprint != s.Fingerprint || back.PolicyDigest != s.PolicyDigest || back.Options != s.Options || back.Database != s.Database ||
			back.ServerVersion != s.ServerVersion || back.ConnectingRole != s.ConnectingRole ||
			!slices.Equal(back.State, s.State) || !slices.Equal(back.Statements, s.Statements) {
			t.Fatalf("round trip changed the plan:\n%+v\n%+v", s, back)
		}
	})
}

// validSaved is a saved plan this pgward writes: the seed that reaches
// past the checks.
func validSaved(f *testing.F) []byte {
	pol := loadPolicy(f, "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n}")
	p, _ := plan.Build(pol, fixture{Objects: []*catalog.Object{table("t")}}.Catalog(), plan.Options{})
	var buf bytes.Buffer
	if err := plan.WriteSaved(&buf, p, pol, plan.Options{}); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}
