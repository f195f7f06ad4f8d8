package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/internal/testkit/promcheck"
)

// pushed is one request a fake Pushgateway received.
type pushed struct {
	method, path, contentType, body string
}

// fakePushgateway answers every request with status and records it. It
// stands in for the gateway only: the audit runs against a real server.
func fakePushgateway(t *testing.T, status int) (*httptest.Server, func() []pushed) {
	t.Helper()
	var mu sync.Mutex
	var got []pushed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, pushed{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(body)})
		mu.Unlock()
		if status/100 != 2 {
			http.Error(w, "pushed metrics are invalid or inconsistent", status)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []pushed {
		mu.Lock()
		defer mu.Unlock()
		return append([]pushed(nil), got...)
	}
}

// TestAudit_pushgateway: audit --pushgateway PUTs the Prometheus report to
// the grouping key's URL (replacing the group's metrics), after writing
// it where it would go anyway, and keeps the audit's exit status (2,
// drift). The Helm chart's pushgateway mode runs exactly this.
func TestAudit_pushgateway(t *testing.T) {
	db := pgtest.NewDB(t)
	web := db.RoleName("web")
	db.CreateRole(t, web, "NOLOGIN")
	db.Exec(t, "CREATE SCHEMA app; CREATE TABLE app.t (id int)")
	policyPath := writePolicy(t, fmt.Sprintf(`scope {
  schemas = ["app"]
}

role %q {
  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`, web))
	srv, got := fakePushgateway(t, http.StatusOK)
	c := cli{t: t, url: db.URL}
	stdout, _ := c.expect(2, "audit", "--policy", policyPath, "--format", "prometheus",
		"--pushgateway", srv.URL+"/metrics/job/pgward-audit/instance/shop")
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("the gateway got %d requests, want 1: %+v", len(reqs), reqs)
	}
	r := reqs[0]
	if r.method != http.MethodPut || r.path != "/metrics/job/pgward-audit/instance/shop" || !strings.HasPrefix(r.contentType, "text/plain; version=0.0.4") {
		t.Errorf("request: %s %s (Content-Type %q), want PUT /metrics/job/pgward-audit/instance/shop, text/plain; version=0.0.4", r.method, r.path, r.contentType)
	}
	if r.body != stdout {
		t.Errorf("pushed:\n%s\nwant what stdout shows:\n%s", r.body, stdout)
	}
	for _, want := range []string{
		fmt.Sprintf(`pgward_audit_findings{database=%q,kind="drift",role=%q} 1`, db.Name, web),
		fmt.Sprintf(`pgward_audit_success{database=%q} 1`, db.Name),
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("pushed metrics lack %q:\n%s", want, r.body)
		}
	}
	promcheck.Exposition(t, r.body)
}

// TestAudit_pushgatewayFails: a gateway that refuses the push, or a
// failed audit, makes the run exit 1; a failed audit still pushes
// pgward_audit_success 0; no password (of the database or the gateway)
// is printed.
func TestAudit_pushgatewayFails(t *testing.T) {
	policyPath := writePolicy(t, "role \"web\" {\n  external = true\n}\n")
	refusing, _ := fakePushgateway(t, http.StatusBadRequest)
	accepting, got := fakePushgateway(t, http.StatusOK)
	withPassword := func(base string) string {
		return strings.Replace(base, "http://", "http://pusher:gw-s3cret@", 1) + "/metrics/job/pgward"
	}
	c := cli{t: t, url: "postgres://auditor:s3cret-pw@127.0.0.1:1/shop?connect_timeout=5"}
	tests := []struct {
		name       string
		gateway    string
		wantStderr string
	}{
		{"gateway refuses", withPassword(refusing.URL), "400 Bad Request: pushed metrics are invalid or inconsistent"},
		{"gateway accepts", withPassword(accepting.URL), "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := c.run("audit", "--policy", policyPath, "--format", "prometheus", "--pushgateway", tt.gateway)
			if code != exitError {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr)
			}
			for _, s := range []string{stdout, stderr} {
				if strings.Contains(s, "s3cret-pw") || strings.Contains(s, "gw-s3cret") {
					t.Errorf("a password is printed:\n%s", s)
				}
			}
		})
	}
	reqs := got()
	if len(reqs) != 1 || !strings.Contains(reqs[0].body, `pgward_audit_success{database="shop"} 0`) {
		t.Errorf("the failed audit pushed %+v, want one push with pgward_audit_success 0", reqs)
	}
}

// TestAudit_pushgatewayBadFlag: a wrong --pushgateway fails before the
// audit connects, saying what is wanted, without the URL's password.
func TestAudit_pushgatewayBadFlag(t *testing.T) {
	c := cli{t: t, url: "postgres://nobody@127.0.0.1:1/x"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without prometheus", []string{"--pushgateway", "http://gw:9091/metrics/job/pgward"}, `--pushgateway pushes metrics: it needs --format prometheus (got "text")`},
		{"no grouping key", []string{"--format", "prometheus", "--pushgateway", "http://u:gw-s3cret@gw:9091"}, "--pushgateway http://u:xxxxx@gw:9091: the path must be the grouping key, /metrics/job/JOB"},
		{"empty job", []string{"--format", "prometheus", "--pushgateway", "http://gw:9091/metrics/job/"}, "the path must be the grouping key"},
		{"odd label pairs", []string{"--format", "prometheus", "--pushgateway", "http://gw:9091/metrics/job/pgward/instance"}, "must be /LABEL/VALUE pairs"},
		{"not http", []string{"--format", "prometheus", "--pushgateway", "gw:9091/metrics/job/pgward"}, "want an http:// or https:// URL"},
		{"unparsable", []string{"--format", "prometheus", "--pushgateway", "http://u:gw-s3cret@gw:bad port/metrics/job/pgward"}, "--pushgateway: not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := c.expect(1, append([]string{"audit"}, tt.args...)...)
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if strings.Contains(stderr, "gw-s3cret") || strings.Contains(stderr, "connect") {
				t.Errorf("stderr shows a password or a connection attempt:\n%s", stderr)
			}
		})
	}
}

// TestAudit_pushgatewayShards: the shards of one fleet push to groups of
// their own (the shard in the grouping key), so that one shard's push does
// not replace another's metrics on the Pushgateway; together they push every
// database once.
func TestAudit_pushgatewayShards(t *testing.T) {
	f := newFleet(t)
	srv, got := fakePushgateway(t, http.StatusOK)
	c := cli{t: t}
	base := []string{"audit", "--policy", f.policy, "--format", "prometheus", "--pushgateway", srv.URL + "/metrics/job/pgward-audit"}
	for _, u := range f.urls {
		base = append(base, "--database-url", u)
	}
	for _, shard := range []string{"0/2", "1/2"} {
		if code, stdout, stderr := c.run(append(base, "--shard", shard)...); code == 1 {
			t.Fatalf("audit --shard %s: exit 1\n%s\n%s", shard, stdout, stderr)
		}
	}
	reqs := got()
	if len(reqs) != 2 {
		t.Fatalf("the gateway got %d requests, want one a shard: %+v", len(reqs), reqs)
	}
	pushed := map[string]int{}
	for i, shard := range []string{"0/2", "1/2"} {
		want := "/metrics/job/pgward-audit/shard@base64/" + base64.URLEncoding.EncodeToString([]byte(shard))
		if reqs[i].path != want {
			t.Errorf("shard %s pushed to %s, want %s", shard, reqs[i].path, want)
		}
		for _, db := range f.dbs {
			if strings.Contains(reqs[i].body, fmt.Sprintf(`pgward_audit_success{database=%q,shard=%q}`, db.Name, shard)) {
				pushed[db.Name]++
			}
		}
	}
	for _, db := range f.dbs {
		if pushed[db.Name] != 1 {
			t.Errorf("database %s pushed %d times over the shards, want once:\n%+v", db.Name, pushed[db.Name], reqs)
		}
	}
}

func TestWithShard(t *testing.T) {
	for _, tc := range []struct{ in, shard, want string }{
		{"http://gw:9091/metrics/job/a", "", "http://gw:9091/metrics/job/a"},
		{"http://gw:9091/metrics/job/a", "2/4", "http://gw:9091/metrics/job/a/shard@base64/Mi80"},
		{"http://gw:9091/metrics/job/a/instance/x/", "0/1", "http://gw:9091/metrics/job/a/instance/x/shard@base64/MC8x"},
		// The user named the group's shard already: the Pushgateway would
		// refuse the label twice.
		{"http://gw:9091/metrics/job/a/shard/one", "2/4", "http://gw:9091/metrics/job/a/shard/one"},
		{"http://gw:9091/metrics/job/a/shard@base64/eA==", "2/4", "http://gw:9091/metrics/job/a/shard@base64/eA=="},
	} {
		u, err := parsePushgatewayURL(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := withShard(u, tc.shard).String(); got != tc.want {
			t.Errorf("withShard(%s, %q) = %s, want %s", tc.in, tc.shard, got, tc.want)
		}
	}
}
