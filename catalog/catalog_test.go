package catalog

import (
	"context"
	"strings"
	"testing"
)

func TestAttachRefreshBasics(t *testing.T) {
	d := newTestDriver(t)
	tc := openTestConn(t, d, "")
	tc.execScript(userSchemaSQL)
	tc.refresh()

	rows := tc.mustQuery(`SELECT c.relname, c.relkind FROM pg_catalog.pg_class c WHERE c.relnamespace = 2200 ORDER BY 1`)
	got := []string{}
	for _, r := range rows {
		got = append(got, r[0]+":"+r[1])
	}
	want := "active_users:v orders:r orders_pkey:i orders_qty_idx:i orders_user_id_note_key:i users:r users_email_key:i users_pkey:i"
	if strings.Join(got, " ") != want {
		t.Errorf("pg_class:\n got %s\nwant %s", strings.Join(got, " "), want)
	}

	rows = tc.mustQuery(`SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		(SELECT pg_get_expr(d.adbin, d.adrelid, 1) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef)
		FROM pg_catalog.pg_attribute a WHERE a.attrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'users') AND a.attnum > 0 ORDER BY a.attnum`)
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	wantCols := `id|integer|1|NULL
name|text|1|NULL
email|character varying(20)|0|NULL
active|boolean|1|true
created|timestamp with time zone|0|NULL
balance|numeric(10,2)|0|0`
	if strings.Join(lines, "\n") != wantCols {
		t.Errorf("columns:\n%s\nwant\n%s", strings.Join(lines, "\n"), wantCols)
	}

	rows = tc.mustQuery(`SELECT c2.relname, pg_get_indexdef(i.indexrelid), pg_get_constraintdef(con.oid, 1)
		FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
		LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
		WHERE c.relname = 'orders' AND c.oid = i.indrelid AND i.indexrelid = c2.oid ORDER BY i.indisprimary DESC, c2.relname`)
	lines = nil
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	wantIdx := `orders_pkey|CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)|PRIMARY KEY (id)
orders_qty_idx|CREATE INDEX orders_qty_idx ON public.orders USING btree (qty)|NULL
orders_user_id_note_key|CREATE UNIQUE INDEX orders_user_id_note_key ON public.orders USING btree (user_id, note)|UNIQUE (user_id, note)`
	if strings.Join(lines, "\n") != wantIdx {
		t.Errorf("indexes:\n%s\nwant\n%s", strings.Join(lines, "\n"), wantIdx)
	}

	rows = tc.mustQuery(`SELECT conname, contype, pg_get_constraintdef(oid, 1) FROM pg_catalog.pg_constraint ORDER BY conname`)
	lines = nil
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	wantCons := `orders_pkey|p|PRIMARY KEY (id)
orders_user_id_fkey|f|FOREIGN KEY (user_id) REFERENCES users(id)
orders_user_id_note_key|u|UNIQUE (user_id, note)
users_balance_check|c|CHECK (balance >= 0)
users_email_key|u|UNIQUE (email)
users_pkey|p|PRIMARY KEY (id)`
	if strings.Join(lines, "\n") != wantCons {
		t.Errorf("constraints:\n%s\nwant\n%s", strings.Join(lines, "\n"), wantCons)
	}

	// RelationOID agrees with pg_class.
	oid, err := tc.cat.RelationOID(context.Background(), "users")
	if err != nil {
		t.Fatal(err)
	}
	if got := tc.one(`SELECT oid FROM pg_catalog.pg_class WHERE relname = 'users'`); got != itoa(oid) {
		t.Errorf("RelationOID = %d, pg_class says %s", oid, got)
	}
}
