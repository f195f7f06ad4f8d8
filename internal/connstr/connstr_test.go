package connstr_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
)

// isolate keeps the caller's PG* variables and .pgpass out of a test.
func isolate(t testing.TB) {
	t.Helper()
	for _, k := range []string{"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSSLMODE", "PGSERVICE", "PGAPPNAME", "PGOPTIONS", "PGTARGETSESSIONATTRS"} {
		t.Setenv(k, "")
	}
	t.Setenv("PGPASSFILE", filepath.Join(os.TempDir(), "pgward-connstr-test-no-such-pgpass"))
	t.Setenv("PGSERVICEFILE", filepath.Join(os.TempDir(), "pgward-connstr-test-no-such-service"))
}

func TestResolve(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "DATABASE_URL" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name, explicit, env, want string
	}{
		{"explicit wins", "postgres://a@h/x", "postgres://b@h/y", "postgres://a@h/x"},
		{"DATABASE_URL", "", "postgres://b@h/y", "postgres://b@h/y"},
		{"neither lets pgx use PG variables", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connstr.Resolve(tt.explicit, env(tt.env)); got != tt.want {
				t.Errorf("Resolve = %q, want %q", got, tt.want)
			}
		})
	}
	if got := connstr.Resolve("", nil); got != "" {
		t.Errorf("Resolve with nil getenv = %q", got)
	}
}

func TestParseConfig(t *testing.T) {
	isolate(t)
	type want struct {
		host, user, password, database string
		port                           uint16
		tls                            bool // TLS required: a TLS config and no plaintext fallback
		params                         map[string]string
	}
	tests := []struct {
		name string
		in   string
		want want
	}{
		{
			name: "ecto URL with encoded password and ssl=true",
			in:   "ecto://u:p%40ss%3Aword@h:5433/db?ssl=true",
			want: want{host: "h", port: 5433, user: "u", password: "p@ss:word", database: "db", tls: true},
		},
		{
			name: "scheme is case-insensitive",
			in:   "ECTO://u:pw@h/db?ssl=true",
			want: want{host: "h", port: 5432, user: "u", password: "pw", database: "db", tls: true},
		},
		{
			name: "ssl=false and Ecto pool parameters dropped",
			in:   "postgres://u:pw@h/db?ssl=false&pool_size=10&queue_target=50&application_name=web",
			want: want{host: "h", port: 5432, user: "u", password: "pw", database: "db", params: map[string]string{"application_name": "web"}},
		},
		{
			name: "only Ecto parameters",
			in:   "ecto://u@h/db?pool_size=10",
			want: want{host: "h", port: 5432, user: "u", database: "db", tls: false},
		},
		{
			name: "last of ssl and sslmode wins",
			in:   "postgresql://u@h/db?ssl=true&sslmode=disable",
			want: want{host: "h", port: 5432, user: "u", database: "db"},
		},
		{
			name: "sslmode=require",
			in:   "postgresql://u@h:1/db?sslmode=require",
			want: want{host: "h", port: 1, user: "u", database: "db", tls: true},
		},
		{
			name: "keyword/value with quoted password",
			in:   `host=h port=5434 user=alice password='se cret\'s' dbname=app sslmode=disable`,
			want: want{host: "h", port: 5434, user: "alice", password: `se cret's`, database: "app"},
		},
		{
			name: "IPv6 and multiple hosts",
			in:   "postgres://u:pw@[::1]:5433,h2:5434/db?sslmode=disable",
			want: want{host: "::1", port: 5433, user: "u", password: "pw", database: "db"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := connstr.ParseConfig(tt.in)
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			w := tt.want
			if cfg.Host != w.host || cfg.Port != w.port || cfg.User != w.user || cfg.Password != w.password || cfg.Database != w.database {
				t.Errorf("got host=%q port=%d user=%q password=%q database=%q, want %q %d %q %q %q",
					cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database, w.host, w.port, w.user, w.password, w.database)
			}
			tlsRequired := cfg.TLSConfig != nil
			for _, fb := range cfg.Fallbacks {
				if fb.TLSConfig == nil && fb.Host == cfg.Host && fb.Port == cfg.Port {
					tlsRequired = false
				}
			}
			if tlsRequired != w.tls {
				t.Errorf("TLS required = %v, want %v", tlsRequired, w.tls)
			}
			for k := range cfg.RuntimeParams {
				if _, ok := w.params[k]; !ok {
					t.Errorf("unexpected runtime parameter %q=%q", k, cfg.RuntimeParams[k])
				}
			}
			for k, v := range w.params {
				if cfg.RuntimeParams[k] != v {
					t.Errorf("runtime parameter %q = %q, want %q", k, cfg.RuntimeParams[k], v)
				}
			}
		})
	}
}

func TestParseConfig_emptyReadsEnvironment(t *testing.T) {
	isolate(t)
	pgpass := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(pgpass, []byte("envhost:5999:envdb:envuser:from-pgpass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSFILE", pgpass)
	t.Setenv("PGHOST", "envhost")
	t.Setenv("PGPORT", "5999")
	t.Setenv("PGUSER", "envuser")
	t.Setenv("PGDATABASE", "envdb")
	cfg, err := connstr.ParseConfig("")
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Host != "envhost" || cfg.Port != 5999 || cfg.User != "envuser" || cfg.Database != "envdb" || cfg.Password != "from-pgpass" {
		t.Errorf("got %s:%d %s@%s password %q", cfg.Host, cfg.Port, cfg.User, cfg.Database, cfg.Password)
	}
}

func TestParseConfig_errorsHidePassword(t *testing.T) {
	isolate(t)
	tests := []struct {
		name   string
		in     string
		secret []string // none of these may appear in the error
		want   string   // the error must contain this
	}{
		{"unsupported scheme", "mysql://u:s3cr3t-pw@h/db", []string{"s3cr3t-pw"}, "unsupported scheme"},
		{"bad port", "postgres://u:s3cr3t-pw@h:notaport/db", []string{"s3cr3t-pw", "notaport/db"}, "port"},
		{"unencoded slash in password", "postgres://u:s3cr3t/pw@h/db", []string{"s3cr3t/pw", "s3cr3t"}, "%2F"},
		{"unencoded at in password", "postgres://u:s3c@r3t-pw@h/db", []string{"r3t-pw", "s3c@r3t"}, "%40"},
		{"bad percent-encoding in password", "postgres://u:s3cr3t%ZZpw@h/db", []string{"s3cr3t", "%ZZ"}, "password"},
		{"keyword/value bad port", "host=h port=abc password=s3cr3t-pw", []string{"s3cr3t-pw"}, "port"},
		{"keyword/value quoted", "host=h port=abc password='s3cr3t pw'", []string{"s3cr3t pw", "s3cr3t"}, "port"},
		{"keyword/value unterminated", "host=h password='s3cr3t-pw", []string{"s3cr3t-pw"}, "unterminated"},
		{"keyword/value garbage", "host=h s3cr3t-pw", []string{"s3cr3t-pw"}, "connection string"},
		{"bad ssl value", "postgres://u:s3cr3t-pw@h/db?ssl=maybe", []string{"s3cr3t-pw"}, "ssl"},
		{"password in query", "postgres://u@h:x/db?password=s3cr3t-pw", []string{"s3cr3t-pw"}, "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connstr.ParseConfig(tt.in)
			if err == nil {
				t.Fatal("ParseConfig succeeded, want an error")
			}
			msg := err.Error()
			for _, s := range append(tt.secret, tt.in) {
				if strings.Contains(msg, s) {
					t.Errorf("error %q contains %q", msg, s)
				}
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not mention %q", msg, tt.want)
			}
		})
	}
}

func TestParseConfig_errorUnwraps(t *testing.T) {
	isolate(t)
	_, err := connstr.ParseConfig("host=h port=abc password=s3cr3t")
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		t.Fatalf("error %v does not unwrap to *pgconn.ParseConfigError", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"URL password", "postgres://u:secret@h/db", "postgres://u:xxxxx@h/db"},
		{"URL no password", "postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?sslmode=disable"},
		{"URL empty password", "postgres://u:@h/db", "postgres://u:@h/db"},
		{"URL encoded password", "postgresql://u:p%40ss%3Aword@h/db", "postgresql://u:xxxxx@h/db"},
		{"ecto URL", "ecto://u:pw@h/db?ssl=true&pool_size=10", "ecto://u:xxxxx@h/db?ssl=true&pool_size=10"},
		{"query passwords", "postgres://h1:1,h2:2/db?password=q&sslpassword=k&application_name=x", "postgres://h1:1,h2:2/db?password=xxxxx&sslpassword=xxxxx&application_name=x"},
		{"encoded query key", "postgres://h/db?pass%77ord=q", "postgres://h/db?pass%77ord=xxxxx"},
		{"question mark in password", "postgres://u:pa?ss@h/db", "postgres://u:xxxxx@h/db"},
		{"IPv6", "postgres://u:pw@[::1]:5432/db", "postgres://u:xxxxx@[::1]:5432/db"},
		{"keyword/value", "host=h password=secret user=u", "host=h password=xxxxx user=u"},
		{"keyword/value quoted", `host=h password='se cret\'x' user=u`, "host=h password='xxxxx' user=u"},
		{"keyword/value quoted then key", `password='pw'host=h`, "password='xxxxx'host=h"},
		{"keyword/value spaces around =", "password = secret  host=h", "password = xxxxx  host=h"},
		{"keyword/value sslpassword", "sslpassword=k host=h", "sslpassword=xxxxx host=h"},
		{"keyword/value escaped space", `password=se\ cret host=h`, "password=xxxxx host=h"},
		{"keyword/value no password", "host=h dbname=d", "host=h dbname=d"},
		{"unencoded slash in password", "postgres://u:pa/ss@h/db", connstr.Unparsable},
		{"unencoded at in password", "postgres://u:p@ss@h/db", connstr.Unparsable},
		{"bad port", "postgres://u:pw@h:5432x/db", connstr.Unparsable},
		{"unterminated quote", "host=h password='secret", connstr.Unparsable},
		{"not a connection string", "secret", connstr.Unparsable},
		{"NUL", "postgres://u:pw@h/db\x00", connstr.Unparsable},
		{"unparsable is stable", connstr.Unparsable, connstr.Unparsable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connstr.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConnect_errorHidesPassword(t *testing.T) {
	isolate(t)
	// A port nobody listens on: bind one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	const password = "Sup3r-S3cret-pw"
	tests := []string{
		"postgres://alice:" + password + "@127.0.0.1:" + strconv.Itoa(port) + "/appdb?sslmode=disable&connect_timeout=5",
		"host=127.0.0.1 port=" + strconv.Itoa(port) + " user=alice dbname=appdb sslmode=disable password=" + password,
	}
	for _, in := range tests {
		t.Run(connstr.Redact(in), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := connstr.Connect(ctx, in)
			if err == nil {
				conn.Close(ctx)
				t.Fatal("Connect succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, password) {
				t.Errorf("error contains the password: %s", msg)
			}
			if want := "connection refused: cannot connect to 127.0.0.1:" + strconv.Itoa(port) + "/appdb as user alice (nothing listens there); "; !strings.HasPrefix(msg, want) {
				t.Errorf("error %q does not start with %q", msg, want)
			}
			var explained *connstr.ConnectError
			if !errors.As(err, &explained) || explained.Cause != "connection refused" {
				t.Errorf("error is not a *connstr.ConnectError with its cause: %#v", err)
			}
			for _, want := range []string{"127.0.0.1:" + strconv.Itoa(port) + "/appdb", "alice"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			var ce *pgconn.ConnectError
			if !errors.As(err, &ce) {
				t.Errorf("error does not unwrap to *pgconn.ConnectError: %T", errors.Unwrap(err))
			}
		})
	}
}
