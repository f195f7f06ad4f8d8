package plan_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPureDependencies keeps plan pure: it must not reach the database, the
// catalog reader or the applier, directly or through another package.
func TestPureDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/pgward/pgward/plan").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/jackc/pgx", "github.com/pgward/pgward/introspect", "github.com/pgward/pgward/apply", "net/http", "database/sql"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("plan depends on %s", dep)
			}
		}
	}
}
