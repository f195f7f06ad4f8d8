package introspect_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

func TestRead_columns(t *testing.T) {
	db := pgtest.NewDB(t)
	alice, bob, carol := db.RoleName("alice"), db.RoleName("bob"), db.RoleName("carol")
	db.CreateRole(t, alice, "LOGIN")
	db.CreateRole(t, bob, "LOGIN")
	db.CreateRole(t, carol, "NOLOGIN")
	A, B, C := ident.Quote(alice), ident.Quote(bob), ident.Quote(carol)
	db.Exec(t, `CREATE SCHEMA app AUTHORIZATION `+A+`; CREATE SCHEMA other AUTHORIZATION `+A)
	db.ExecAs(t, alice, `
		CREATE TABLE app.t (id int, pub text, "Odd ""col""" int, secret text, gone int);
		CREATE VIEW app.v AS SELECT id, pub FROM app.t;
		CREATE MATERIALIZED VIEW app.mv AS SELECT id FROM app.t;
		CREATE TABLE app.parted (k int, x int) PARTITION BY RANGE (k);
		CREATE TABLE app.wiped (a int, b int);
		CREATE TABLE app.plain (a int);
		CREATE SEQUENCE app.seq;
		CREATE TABLE other.t (a int);
		GRANT USAGE ON SCHEMA app TO `+B+`;
		GRANT SELECT (pub), UPDATE (pub) ON app.t TO `+B+`;
		GRANT SELECT ("Odd ""col""") ON app.t TO `+B+` WITH GRANT OPTION;
		GRANT REFERENCES (id) ON app.t TO PUBLIC;
		GRANT INSERT (gone) ON app.t TO `+C+`;
		ALTER TABLE app.t DROP COLUMN gone;
		GRANT SELECT (pub) ON app.v TO `+C+`;
		GRANT SELECT (id) ON app.mv TO `+C+`;
		GRANT UPDATE (x) ON app.parted TO `+C+`;
		GRANT SELECT ON app.plain TO `+C+`;
		GRANT SELECT (a) ON other.t TO `+C+`;
		-- A table-level REVOKE strips the privilege from every column too.
		GRANT SELECT (a, b), UPDATE (b) ON app.wiped TO `+C+`;
		REVOKE SELECT ON app.wiped FROM `+C+`;
	`)
	db.ExecAs(t, bob, `GRANT SELECT ("Odd ""col""") ON app.t TO `+C)
	c := read(t, db.URL, introspect.Scope{Schemas: []string{"app"}})

	t.Run("read", func(t *testing.T) {
		pub := findColumn(t, c, "app", "t", "pub")
		if pub.Owner != alice || pub.NullACL || pub.Subkind != 'r' || pub.Args != "" || pub.ArgTypes != "" {
			t.Errorf("column app.t.pub read as %+v", pub)
		}
		if got := pub.Object.String(); got != "app.t.pub" {
			t.Errorf("column String() = %q", got)
		}
		wantObjectACL(t, pub, bob+"=rw/"+alice)
		wantObjectACL(t, findColumn(t, c, "app", "t", `Odd "col"`), bob+"=r*/"+alice, carol+"=r/"+bob)
		wantObjectACL(t, findColumn(t, c, "app", "t", "id"), "=x/"+alice)
		wantObjectACL(t, findColumn(t, c, "app", "wiped", "b"), carol+"=w/"+alice)
		for col, sub := range map[[2]string]byte{{"v", "pub"}: 'v', {"mv", "id"}: 'm', {"parted", "x"}: 'p'} {
			o := findColumn(t, c, "app", col[0], col[1])
			if o.Subkind != sub {
				t.Errorf("column %s Subkind = %q, want %q", o.Object, o.Subkind, sub)
			}
			privs := "r"
			if sub == 'p' {
				privs = "w"
			}
			wantObjectACL(t, o, carol+"="+privs+"/"+alice)
		}
	})

	t.Run("no column ACL, no column", func(t *testing.T) {
		for _, col := range [][2]string{{"t", "secret"}, {"wiped", "a"}, {"plain", "a"}, {"v", "id"}, {"parted", "k"}} {
			if o := lookupColumn(c, "app", col[0], col[1]); o != nil {
				t.Errorf("column %s read with ACL %s", o.Object, acls(o.ACL))
			}
		}
		if queryBool(t, db.URL, `SELECT attacl IS NOT NULL FROM pg_attribute WHERE attrelid = 'app.wiped'::regclass AND attname = 'a'`) {
			t.Errorf("oracle: REVOKE SELECT ON app.wiped left a column ACL on a")
		}
		for _, o := range c.Objects {
			if o.Kind == acl.KindColumn && (o.Name == "seq" || o.Name == "plain") {
				t.Errorf("column %s read", o.Object)
			}
		}
	})

	t.Run("dropped column", func(t *testing.T) {
		for _, o := range c.Objects {
			if o.Kind == acl.KindColumn && strings.Contains(o.Column, "pg.dropped") {
				t.Errorf("dropped column %s read", o.Object)
			}
		}
		kept := queryBool(t, db.URL, `SELECT EXISTS (SELECT 1 FROM pg_attribute
			WHERE attrelid = 'app.t'::regclass AND attisdropped AND attacl IS NOT NULL)`)
		if want := c.ServerVersion < 170000; kept != want {
			t.Errorf("oracle: dropped column keeps its attacl = %v on %d, want %v", kept, c.ServerVersion, want)
		}
	})

	t.Run("scope", func(t *testing.T) {
		if o := lookupColumn(c, "other", "t", "a"); o != nil {
			t.Errorf("column %s outside the scope read", o.Object)
		}
		wantObjectACL(t, findColumn(t, read(t, db.URL, introspect.Scope{}), "other", "t", "a"), carol+"=r/"+alice)
	})

	t.Run("agrees with has_column_privilege", func(t *testing.T) {
		n := agreesWithServer(t, db.URL, c, alice, bob, carol)
		t.Logf("%d checks", n)
	})
}

// TestRead_outsideSchemas reads the kinds that live outside schemas: the
// database's languages, foreign-data wrappers, servers and large objects,
// and the cluster's tablespaces and parameters.
func TestRead_outsideSchemas(t *testing.T) {
	db := pgtest.NewDB(t)
	alice, bob := db.RoleName("alice"), db.RoleName("bob")
	db.CreateRole(t, alice, "LOGIN")
	db.CreateRole(t, bob, "LOGIN")
	A, B := ident.Quote(alice), ident.Quote(bob)
	db.Exec(t, `
		CREATE TRUSTED LANGUAGE trusty HANDLER plpgsql_call_handler;
		CREATE LANGUAGE untrusty HANDLER plpgsql_call_handler;
		GRANT USAGE ON LANGUAGE trusty TO `+B+`;
		CREATE FOREIGN DATA WRAPPER "W w";
		CREATE FOREIGN DATA WRAPPER plainw;
		GRANT USAGE ON FOREIGN DATA WRAPPER "W w" TO `+A+`;
		CREATE SERVER bare FOREIGN DATA WRAPPER plainw;
	`)
	db.ExecAs(t, alice, `CREATE SERVER "Srv" FOREIGN DATA WRAPPER "W w"; GRANT USAGE ON FOREIGN SERVER "Srv" TO `+B+` WITH GRANT OPTION`)
	lo1 := queryString(t, db.URL, `SELECT lo_create(0)::text`)
	lo2 := queryString(t, db.RoleURL(alice), `SELECT lo_create(0)::text`)
	db.ExecAs(t, alice, `GRANT SELECT ON LARGE OBJECT `+lo2+` TO `+B)
	clusterGrant(t, db, `GRANT CREATE ON TABLESPACE pg_default TO `+B, `REVOKE CREATE ON TABLESPACE pg_default FROM `+B)
	v15 := queryBool(t, db.URL, `SELECT current_setting('server_version_num')::int >= 150000`)
	custom := db.RoleName("PgWard") + ".Custom"
	if v15 {
		clusterGrant(t, db, `GRANT SET ON PARAMETER log_statement TO `+B+` WITH GRANT OPTION`,
			`REVOKE SET ON PARAMETER log_statement FROM `+B+` CASCADE`)
		clusterGrant(t, db, `GRANT ALTER SYSTEM ON PARAMETER `+ident.Quote(custom)+` TO PUBLIC`,
			`REVOKE ALTER SYSTEM ON PARAMETER `+ident.Quote(custom)+` FROM PUBLIC`)
	}
	// The scope names no schema that exists: it limits schemas only.
	c := read(t, db.URL, introspect.Scope{Schemas: []string{"nosuch"}})
	su, boot := c.CurrentUser, bootstrapSuperuser(t, c)

	for _, o := range c.Objects {
		if !o.Kind.InSchema() && o.Schema != "" {
			t.Errorf("%s %s has schema %q", o.Kind, o.Object, o.Schema)
		}
	}

	t.Run("languages", func(t *testing.T) {
		if o := lookup(c, acl.KindLanguage, "", "plpgsql", ""); o != nil {
			t.Errorf("plpgsql, an extension member, is read: %s", acls(o.ACL))
		}
		trusty := find(t, c, acl.KindLanguage, "", "trusty", "")
		if trusty.Subkind != 't' || trusty.Owner != su || trusty.NullACL {
			t.Errorf("trusty read as %+v", trusty)
		}
		wantObjectACL(t, trusty, "="+"U/"+su, su+"=U/"+su, bob+"=U/"+su)
		untrusty := find(t, c, acl.KindLanguage, "", "untrusty", "")
		if untrusty.Subkind != 'u' || !untrusty.NullACL {
			t.Errorf("untrusty read as %+v", untrusty)
		}
		wantObjectACL(t, untrusty, "=U/"+su, su+"=U/"+su)
		for name, sub := range map[string]byte{"sql": 't', "c": 'u', "internal": 'u'} {
			if o := find(t, c, acl.KindLanguage, "", name, ""); o.Subkind != sub || o.Owner != boot {
				t.Errorf("language %s read as %+v", name, o)
			}
		}
	})

	t.Run("foreign-data wrappers and servers", func(t *testing.T) {
		w := find(t, c, acl.KindFDW, "", "W w", "")
		if w.Owner != su || w.NullACL {
			t.Errorf("FDW read as %+v", w)
		}
		wantObjectACL(t, w, su+"=U/"+su, alice+"=U/"+su)
		if p := find(t, c, acl.KindFDW, "", "plainw", ""); !p.NullACL {
			t.Errorf("plainw NullACL = false")
		} else {
			wantObjectACL(t, p, su+"=U/"+su)
		}
		s := find(t, c, acl.KindServer, "", "Srv", "")
		if s.Owner != alice || s.NullACL {
			t.Errorf("server read as %+v", s)
		}
		wantObjectACL(t, s, alice+"=U/"+alice, bob+"=U*/"+alice)
		bare := find(t, c, acl.KindServer, "", "bare", "")
		if !bare.NullACL || bare.Owner != su {
			t.Errorf("server bare read as %+v", bare)
		}
		wantObjectACL(t, bare, su+"=U/"+su) // acldefault('S'): S is a server there, not a sequence
	})

	t.Run("large objects", func(t *testing.T) {
		o1 := find(t, c, acl.KindLargeObject, "", lo1, "")
		if o1.Owner != su || !o1.NullACL {
			t.Errorf("large object %s read as %+v", lo1, o1)
		}
		wantObjectACL(t, o1, su+"=rw/"+su)
		o2 := find(t, c, acl.KindLargeObject, "", lo2, "")
		if o2.Owner != alice || o2.NullACL {
			t.Errorf("large object %s read as %+v", lo2, o2)
		}
		wantObjectACL(t, o2, alice+"=rw/"+alice, bob+"=r/"+alice)
	})

	t.Run("tablespaces", func(t *testing.T) {
		def := find(t, c, acl.KindTablespace, "", "pg_default", "")
		if def.Owner != boot {
			t.Errorf("pg_default owner = %q", def.Owner)
		}
		if !hasItem(def.ACL, bob+"=C/"+boot) {
			t.Errorf("pg_default ACL %s lacks %s=C/%s", acls(def.ACL), bob, boot)
		}
		// pg_global accepts grants too (though only shared relations can live there).
		find(t, c, acl.KindTablespace, "", "pg_global", "")
	})

	t.Run("parameters", func(t *testing.T) {
		var params []string
		for _, o := range c.Objects {
			if o.Kind == acl.KindParameter {
				params = append(params, o.Name)
			}
		}
		if !v15 {
			if len(params) > 0 {
				t.Errorf("parameters read on %d: %q", c.ServerVersion, params)
			}
			return
		}
		ls := find(t, c, acl.KindParameter, "", "log_statement", "")
		if ls.Owner != boot || ls.NullACL {
			t.Errorf("log_statement read as %+v", ls)
		}
		if !hasItem(ls.ACL, bob+"=s*/"+boot) || !hasItem(ls.ACL, boot+"=sA/"+boot) {
			t.Errorf("log_statement ACL = %s", acls(ls.ACL))
		}
		// Parameter names are stored case-folded.
		wantObjectACL(t, find(t, c, acl.KindParameter, "", strings.ToLower(custom), ""), "=A/"+boot, boot+"=sA/"+boot)
		// A parameter whose ACL is the default has no row.
		if o := lookup(c, acl.KindParameter, "", "work_mem", ""); o != nil && !queryBool(t, db.URL,
			`SELECT EXISTS (SELECT 1 FROM pg_parameter_acl WHERE parname = 'work_mem')`) {
			t.Errorf("work_mem read without a pg_parameter_acl row")
		}
	})

	t.Run("agrees with has_*_privilege", func(t *testing.T) {
		n := agreesWithServer(t, db.URL, c, alice, bob)
		t.Logf("%d checks", n)
	})
}

// hasItem reports whether an item, in aclitem text, is among items.
func hasItem(items []acl.Item, item string) bool {
	for _, s := range itemText(items) {
		if s == item {
			return true
		}
	}
	return false
}
