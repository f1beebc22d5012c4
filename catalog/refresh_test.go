package catalog

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRefreshTracksSchemaAndInfo(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.execScript(userSchemaSQL)
	tc.refresh()
	gen := tc.cat.generation
	tc.refresh()
	if tc.cat.generation != gen {
		t.Fatalf("Refresh rebuilt with nothing changed (generation %d → %d)", gen, tc.cat.generation)
	}
	tc.exec(`CREATE TABLE extra (a int)`)
	tc.refresh()
	if tc.cat.generation == gen {
		t.Fatal("Refresh did not notice CREATE TABLE")
	}
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'extra'`); got != "1" {
		t.Fatalf("extra in pg_class: %s", got)
	}
	gen = tc.cat.generation
	tc.info.User = "carol"
	tc.refresh()
	if tc.cat.generation == gen {
		t.Fatal("Refresh did not notice the Info change")
	}
	if got := tc.one(`SELECT rolname FROM pg_catalog.pg_roles WHERE oid = 10`); got != "carol" {
		t.Fatalf("pg_roles user = %s", got)
	}
	gen = tc.cat.generation
	tc.info.Settings = func(name string) (string, bool) {
		if name == "application_name" {
			return "app2", true
		}
		return "", false
	}
	tc.refresh()
	if tc.cat.generation == gen {
		t.Fatal("Refresh did not notice a settings change")
	}
	if got := tc.one(`SELECT current_setting('application_name')`); got != "app2" {
		t.Fatalf("application_name = %s", got)
	}
}

func TestRefreshInsideTransaction(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.execScript(userSchemaSQL)
	tc.refresh()
	tc.exec(`BEGIN`)
	tc.exec(`CREATE TABLE in_tx (a int PRIMARY KEY, b text UNIQUE)`)
	tc.refresh()
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname IN ('in_tx', 'in_tx_pkey', 'in_tx_b_key')`); got != "3" {
		t.Fatalf("objects created in the transaction: %s", got)
	}
	tc.exec(`ROLLBACK`)
	// The rollback undid both the table and the catalog rows describing it;
	// the next Refresh must rebuild rather than trust its cached version.
	tc.refresh()
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE 'in_tx%'`); got != "0" {
		t.Fatalf("rolled-back table still in pg_class: %s", got)
	}
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'users'`); got != "1" {
		t.Fatalf("users missing after rollback: %s", got)
	}
	// A rebuild inside a transaction that commits stays.
	tc.exec(`BEGIN`)
	tc.exec(`CREATE TABLE kept (a int)`)
	tc.refresh()
	tc.exec(`COMMIT`)
	tc.refresh()
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'kept'`); got != "1" {
		t.Fatalf("committed table missing: %s", got)
	}
	// A user savepoint around the refresh does not disturb it.
	tc.exec(`SAVEPOINT s1`)
	tc.exec(`CREATE TABLE sp (a int)`)
	tc.refresh()
	tc.exec(`ROLLBACK TO s1`)
	tc.exec(`RELEASE s1`)
	tc.refresh()
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'sp'`); got != "0" {
		t.Fatalf("table rolled back to a savepoint still listed: %s", got)
	}
}

func TestRefreshSeesOtherConnectionsAndQueryOnly(t *testing.T) {
	d := newTestDriver(t)
	dsn := filepath.Join(t.TempDir(), "shared.db")
	a := openTestConn(t, d, dsn)
	b := openTestConn(t, d, dsn)
	a.execScript(userSchemaSQL)
	a.refresh()
	b.exec(`PRAGMA query_only = 1`)
	b.refresh()
	for _, rel := range []string{"users", "orders", "users_pkey", "orders_user_id_note_key", "active_users"} {
		oa, err := a.cat.RelationOID(context.Background(), rel)
		if err != nil {
			t.Fatal(err)
		}
		ob, err := b.cat.RelationOID(context.Background(), rel)
		if err != nil {
			t.Fatal(err)
		}
		if oa != ob {
			t.Errorf("%s: OID %d on one connection, %d on another", rel, oa, ob)
		}
	}
	if got := b.one(`PRAGMA query_only`); got != "1" {
		t.Errorf("Refresh did not restore query_only: %s", got)
	}
	a.exec(`DROP VIEW active_users`)
	b.refresh()
	if got := b.one(`SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'active_users'`); got != "0" {
		t.Errorf("dropped view still listed on the other connection: %s", got)
	}
}

func TestRelationOID(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.execScript(userSchemaSQL)
	ctx := context.Background()
	// Tables resolve before any Refresh; so do catalog relations.
	users, err := tc.cat.RelationOID(ctx, "users")
	if err != nil || users < firstUserOID {
		t.Fatalf("users: %d %v", users, err)
	}
	for name, want := range map[string]uint32{"pg_class": 1259, "pg_catalog.pg_type": 1247, "information_schema.columns": 13295} {
		if got, err := tc.cat.RelationOID(ctx, name); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", name, got, err, want)
		}
	}
	if _, err := tc.cat.RelationOID(ctx, "nosuch"); err == nil || !strings.Contains(err.Error(), "42P01") {
		t.Errorf("nosuch: %v", err)
	}
	tc.refresh()
	pkey, err := tc.cat.RelationOID(ctx, "users_pkey")
	if err != nil {
		t.Fatal(err)
	}
	if got := tc.one(`SELECT indrelid FROM pg_catalog.pg_index WHERE indexrelid = ?1`, int64(pkey)); got != itoa(users) {
		t.Errorf("users_pkey indexes %s, want %d", got, users)
	}
	// OIDs survive unrelated schema changes.
	tc.exec(`CREATE TABLE later (a int)`)
	if again, _ := tc.cat.RelationOID(ctx, "users"); again != users {
		t.Errorf("users OID moved from %d to %d", users, again)
	}
}

func TestNowTransactionTime(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	ctx := context.Background()
	fixed := time.Date(2001, 2, 3, 4, 5, 6, 789000000, time.UTC)
	tc.exec(`BEGIN`)
	if err := tc.cat.SetTransactionTime(ctx, fixed); err != nil {
		t.Fatal(err)
	}
	want := "2001-02-03 04:05:06.789+00:00"
	if got := tc.one(`SELECT now()`); got != want {
		t.Errorf("now() in transaction = %s, want %s", got, want)
	}
	if got := tc.one(`SELECT transaction_timestamp() = now()`); got != "1" {
		t.Errorf("transaction_timestamp differs from now()")
	}
	if got := tc.one(`SELECT pg_clock_timestamp() > now()`); got != "1" {
		t.Errorf("pg_clock_timestamp is not the clock")
	}
	tc.exec(`COMMIT`)
	got := tc.one(`SELECT now()`)
	if got == want || !strings.HasSuffix(got, "+00:00") || !strings.HasPrefix(got, time.Now().UTC().Format("2006-")) {
		t.Errorf("now() outside the transaction = %s", got)
	}
}

// TestAttachPathsAgree checks that the template (deserialize) path and the
// statement-by-statement path build identical catalogs.
func TestAttachPathsAgree(t *testing.T) {
	d := newTestDriver(t)
	fast := openTestConn(t, d, "")
	raw, err := d.Open(filepath.Join(t.TempDir(), "slow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	cat, err := attach(context.Background(), raw, false)
	if err != nil {
		t.Fatal(err)
	}
	slow := &testConn{t: t, raw: raw, q: raw.(querier), cat: cat, info: fast.info}
	for _, tc := range []*testConn{fast, slow} {
		tc.execScript(userSchemaSQL)
		tc.refresh()
	}
	for _, r := range catalogRels {
		q := `SELECT * FROM ` + r.schema + `."` + r.name + `" ORDER BY 1, 2, 3`
		if len(r.cols) < 3 {
			q = `SELECT * FROM ` + r.schema + `."` + r.name + `" ORDER BY 1`
		}
		a, b := fast.mustQuery(q), slow.mustQuery(q)
		if len(a) != len(b) {
			t.Errorf("%s: %d rows vs %d", r.name, len(a), len(b))
			continue
		}
		for i := range a {
			if strings.Join(a[i], "|") != strings.Join(b[i], "|") {
				t.Errorf("%s row %d:\n%v\n%v", r.name, i, a[i], b[i])
				break
			}
		}
		ta := fast.mustQuery(`SELECT name, type FROM pragma_table_info(?1, ?2)`, r.name, r.schema)
		if len(ta) != len(r.cols) {
			t.Errorf("%s: %d columns, want %d", r.name, len(ta), len(r.cols))
			continue
		}
		for i, c := range r.cols {
			if ta[i][0] != c.name || !strings.EqualFold(ta[i][1], c.decl) {
				t.Errorf("%s.%s declared %q, want %q", r.name, ta[i][0], ta[i][1], c.decl)
			}
		}
	}
	if got := fast.one(`SELECT count(*) FROM pg_catalog.pg_type`); got != itoa(uint32(len(builtinTypes))) {
		t.Errorf("pg_type has %s rows", got)
	}
}
