#!/usr/bin/python3
"""psycopg2 checks for the sqlcluster integration suite.

Usage: /usr/bin/python3 psycopg2_test.py DSN EXPECT_SSL

DSN is a libpq connection string for an empty database; EXPECT_SSL is 1
when the connection must use TLS. Every check runs (each with its own
tables); the script prints "ok NAME" or "FAIL NAME" with the traceback, and
exits 1 if any check failed. psycopg2 uses the simple protocol and
interpolates parameters client-side, so these checks exercise literal
parsing (E'...' escapes, '\\x..'::bytea, timestamptz literals) and command
tags (rowcount comes from "INSERT 0 n").
"""
import datetime
import decimal
import sys
import traceback

import psycopg2
import psycopg2.errors
import psycopg2.extensions as ext

DSN = sys.argv[1]
EXPECT_SSL = sys.argv[2] == "1"
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def connect(autocommit=False):
    conn = psycopg2.connect(DSN)
    conn.autocommit = autocommit
    return conn


def count(table):
    """Counts rows from a separate autocommit connection (committed data)."""
    with connect(autocommit=True) as c:
        cur = c.cursor()
        cur.execute(f"select count(*) from {table}")
        n = cur.fetchone()[0]
    c.close()
    return n


@check
def connection_info():
    conn = connect()
    eq(bool(conn.info.ssl_in_use), EXPECT_SSL, "ssl_in_use")
    eq(conn.server_version >= 140000, True, f"server_version {conn.server_version}")
    eq(conn.info.parameter_status("standard_conforming_strings"), "on", "standard_conforming_strings")
    eq(conn.encoding, "UTF8", "client encoding")
    conn.close()


@check
def autocommit_rowcount():
    # Toy test 4: rowcount is parsed from the command tag.
    conn = connect(autocommit=True)
    cur = conn.cursor()
    cur.execute("create table ac_t (id integer primary key, v text)")
    cur.execute("insert into ac_t values (%s, %s)", (1, "a"))
    eq(cur.rowcount, 1, "rowcount of single-row insert")
    eq(cur.statusmessage, "INSERT 0 1", "statusmessage")
    cur.execute("insert into ac_t values (%s, %s), (%s, %s)", (2, "b", 3, "c"))
    eq(cur.rowcount, 2, "rowcount of two-row insert")
    cur.execute("update ac_t set v = v || %s where id > %s", ("x", 1))
    eq(cur.rowcount, 2, "rowcount of update")
    eq(cur.statusmessage, "UPDATE 2", "update statusmessage")
    cur.execute("delete from ac_t where id = %s", (3,))
    eq(cur.rowcount, 1, "rowcount of delete")
    cur.execute("select id, v from ac_t order by id")
    eq(cur.rowcount, 2, "rowcount of select")
    eq(cur.fetchall(), [(1, "a"), (2, "bx")], "rows")
    eq(conn.get_transaction_status(), ext.TRANSACTION_STATUS_IDLE, "status in autocommit")
    eq(count("ac_t"), 2, "committed rows seen by another connection")
    conn.close()


@check
def commit_and_rollback():
    conn = connect()
    cur = conn.cursor()
    cur.execute("create table tx_t (id integer primary key)")
    conn.commit()
    cur.execute("insert into tx_t values (%s)", (1,))
    eq(conn.get_transaction_status(), ext.TRANSACTION_STATUS_INTRANS, "status after insert")
    eq(count("tx_t"), 0, "uncommitted row visible to another connection")
    conn.rollback()
    eq(conn.get_transaction_status(), ext.TRANSACTION_STATUS_IDLE, "status after rollback")
    cur.execute("select count(*) from tx_t")
    eq(cur.fetchone()[0], 0, "rows after rollback")
    conn.rollback()
    with conn:  # commits on success
        cur.execute("insert into tx_t values (%s)", (2,))
        cur.execute("insert into tx_t values (%s)", (3,))
    eq(count("tx_t"), 2, "rows after commit")
    conn.close()


@check
def types_roundtrip():
    conn = connect()
    cur = conn.cursor()
    cur.execute("""create table ty_t (id integer primary key, b bytea, flag boolean, ts timestamptz,
        n numeric(12,3), t text, d date, f double precision, big bigint)""")
    payload = bytes(range(256))
    tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    ts = datetime.datetime(2024, 2, 29, 13, 14, 15, 123456, tzinfo=tz)
    text = "it's a \\ back'slash, ünïcode ✓"
    values = (1, psycopg2.Binary(payload), True, ts, decimal.Decimal("12345.678"), text,
              datetime.date(2024, 2, 29), 0.1 + 0.2, 2 ** 62)
    cur.execute("insert into ty_t values (%s, %s, %s, %s, %s, %s, %s, %s, %s)", values)
    cur.execute("insert into ty_t values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (2, None, False, None, None, None, None, None, None))
    conn.commit()
    cur.execute("select b, flag, ts, n, t, d, f, big from ty_t where id = %s", (1,))
    oids = [c.type_code for c in cur.description]
    eq(oids, [17, 16, 1184, 1700, 25, 1082, 701, 20], "described type OIDs")
    b, flag, got_ts, n, t, d, f, big = cur.fetchone()
    eq(bytes(b), payload, "bytea")
    eq(flag is True, True, f"boolean True (got {flag!r})")
    eq(got_ts.tzinfo is not None, True, f"timestamptz is aware ({got_ts!r})")
    eq(got_ts, ts, "timestamptz instant")
    eq(type(n), decimal.Decimal, "numeric type")
    eq(n, decimal.Decimal("12345.678"), "numeric")
    eq(t, text, "text")
    eq(d, datetime.date(2024, 2, 29), "date")
    eq(f, 0.1 + 0.2, "float8 round trip")
    eq(big, 2 ** 62, "bigint")
    cur.execute("select b, flag, ts, n, t from ty_t where id = %s", (2,))
    eq(cur.fetchone(), (None, False, None, None, None), "NULLs and False")
    cur.execute("select flag from ty_t where flag = %s", (True,))
    eq(cur.fetchall(), [(True,)], "boolean parameter")
    conn.commit()
    conn.close()


@check
def errors_map_to_classes():
    conn = connect()
    cur = conn.cursor()
    cur.execute("create table err_t (id integer primary key, name text not null)")
    cur.execute("insert into err_t values (1, 'a')")
    conn.commit()
    try:
        cur.execute("insert into err_t values (%s, %s)", (1, "dup"))
        raise AssertionError("duplicate insert succeeded")
    except psycopg2.errors.UniqueViolation as e:
        eq(e.pgcode, "23505", "pgcode")
    eq(conn.get_transaction_status(), ext.TRANSACTION_STATUS_INERROR, "status after error")
    try:
        cur.execute("select 1")
        raise AssertionError("statement in failed transaction succeeded")
    except psycopg2.errors.InFailedSqlTransaction as e:
        eq(e.pgcode, "25P02", "pgcode in failed transaction")
    conn.rollback()
    cur.execute("select count(*) from err_t")
    eq(cur.fetchone()[0], 1, "count after rollback")
    conn.rollback()
    for sql, cls, code in [
        ("insert into err_t values (2, null)", psycopg2.errors.NotNullViolation, "23502"),
        ("select * from no_such_table", psycopg2.errors.UndefinedTable, "42P01"),
        ("select no_such_column from err_t", psycopg2.errors.UndefinedColumn, "42703"),
        ("selec 1", psycopg2.errors.SyntaxError, "42601"),
    ]:
        try:
            cur.execute(sql)
            raise AssertionError(f"{sql!r} succeeded")
        except cls as e:
            eq(e.pgcode, code, f"pgcode of {sql!r}")
        conn.rollback()
    conn.close()


def main():
    failed = 0
    for fn in CHECKS:
        try:
            fn()
            print(f"ok   {fn.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
    if failed:
        print(f"{failed} of {len(CHECKS)} psycopg2 checks failed")
        sys.exit(1)
    print(f"all {len(CHECKS)} psycopg2 checks passed")


if __name__ == "__main__":
    main()
