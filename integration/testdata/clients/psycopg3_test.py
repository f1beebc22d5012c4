#!/usr/bin/python3
"""psycopg 3 checks for the sqlcluster integration suite.

Usage: /usr/bin/python3 psycopg3_test.py DSN EXPECT_SSL

DSN is a libpq connection string for an empty database; EXPECT_SSL is 1
when the connection must use TLS. Every check runs (each with its own
tables); the script prints "ok NAME" or "FAIL NAME" with the traceback and
exits 1 if any check failed. psycopg 3 uses the extended protocol with
binary parameters, decides whether to send BEGIN from the ReadyForQuery
status, pipelines executemany, auto-prepares repeated queries and drives
named cursors with DECLARE/FETCH, so these checks exercise exactly those
server paths.
"""
import datetime
import decimal
import sys
import traceback

import psycopg
import psycopg.errors
from psycopg.pq import TransactionStatus

DSN = sys.argv[1]
EXPECT_SSL = sys.argv[2] == "1"
CHECKS = []
UTC = datetime.timezone.utc


def check(fn):
    CHECKS.append(fn)
    return fn


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def count(table):
    """Counts committed rows from a separate autocommit connection."""
    with psycopg.connect(DSN, autocommit=True) as c:
        return c.execute(f"select count(*) from {table}").fetchone()[0]


def status(conn):
    return conn.info.transaction_status


@check
def connection_info():
    with psycopg.connect(DSN) as conn:
        eq(bool(conn.pgconn.ssl_in_use), EXPECT_SSL, "ssl_in_use")
        eq(conn.info.parameter_status("client_encoding"), "UTF8", "client_encoding")
        eq(conn.info.server_version >= 140000, True, f"server_version {conn.info.server_version}")


@check
def begin_sent_once():
    # Toy test 5: psycopg sends BEGIN only when ReadyForQuery says idle, so
    # the server must report 'T' after the first statement of a transaction.
    with psycopg.connect(DSN) as conn:
        notices = []
        conn.add_notice_handler(lambda d: notices.append((d.sqlstate, d.message_primary)))
        conn.execute("create table b_t (id integer primary key)")
        conn.commit()
        eq(status(conn), TransactionStatus.IDLE, "status after commit")
        conn.execute("insert into b_t values (%s)", (1,))
        eq(status(conn), TransactionStatus.INTRANS, "status after first execute")
        conn.execute("insert into b_t values (%s)", (2,))
        eq(status(conn), TransactionStatus.INTRANS, "status after second execute")
        eq(notices, [], "notices (a second BEGIN would warn 25001)")
        eq(count("b_t"), 0, "uncommitted rows visible to another connection")
        conn.rollback()
        eq(status(conn), TransactionStatus.IDLE, "status after rollback")
        eq(conn.execute("select count(*) from b_t").fetchone()[0], 0, "rows after rollback of both inserts")
        conn.execute("insert into b_t values (%s)", (3,))
        try:
            conn.execute("insert into b_t values (%s)", (3,))
            raise AssertionError("duplicate insert succeeded")
        except psycopg.errors.UniqueViolation as e:
            eq(e.sqlstate, "23505", "sqlstate")
        eq(status(conn), TransactionStatus.INERROR, "status after failed statement")
        try:
            conn.execute("select 1")
            raise AssertionError("statement in failed transaction succeeded")
        except psycopg.errors.InFailedSqlTransaction as e:
            eq(e.sqlstate, "25P02", "sqlstate in failed transaction")
        conn.rollback()
        eq(status(conn), TransactionStatus.IDLE, "status after rollback of failed tx")
        conn.execute("insert into b_t values (%s)", (4,))
        conn.commit()
        eq(count("b_t"), 1, "committed rows")


@check
def bool_and_timestamptz():
    # Toy test 6: True must come back as True (not 1), a timestamptz as an
    # aware datetime; in text and in binary results.
    aware = datetime.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    with psycopg.connect(DSN) as conn:
        conn.execute("create table bt_t (id integer primary key, flag boolean, at timestamptz)")
        conn.execute("insert into bt_t values (%s, %s, %s)", (1, True, aware))
        conn.execute("insert into bt_t values (%s, %s, %s)", (2, False, None))
        conn.commit()
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            rows = cur.execute("select flag, at from bt_t order by id").fetchall()
            what = "binary" if binary else "text"
            eq(rows[0][0] is True, True, f"{what}: flag is True (got {rows[0][0]!r})")
            eq(rows[1][0] is False, True, f"{what}: flag is False (got {rows[1][0]!r})")
            at = rows[0][1]
            eq(isinstance(at, datetime.datetime) and at.tzinfo is not None, True, f"{what}: aware datetime ({at!r})")
            eq(at, aware, f"{what}: timestamptz instant")
            eq(rows[1][1], None, f"{what}: NULL timestamptz")
            row = cur.execute("select true, '2024-01-02 03:04:05.5+02'::timestamptz").fetchone()
            eq(row[0] is True, True, f"{what}: literal true")
            eq(row[1], aware, f"{what}: literal timestamptz")
        conn.rollback()


@check
def executemany_pipelined():
    with psycopg.connect(DSN) as conn:
        conn.execute("create table em_t (id integer primary key, name text, score double precision)")
        params = [(i, f"n{i}", i / 2) for i in range(1, 501)]
        with conn.cursor() as cur:
            cur.executemany("insert into em_t (id, name, score) values (%s, %s, %s)", params)
            eq(cur.rowcount, 500, "executemany rowcount")
        conn.commit()
        eq(count("em_t"), 500, "rows after executemany")
        row = conn.execute("select count(*), sum(id), sum(score) from em_t").fetchone()
        eq(row, (500, 125250, 62625.0), "aggregates")
        # An explicit pipeline: results arrive in order.
        with conn.pipeline():
            c1 = conn.execute("update em_t set score = score + 1 where id <= %s", (10,))
            c2 = conn.execute("select name from em_t where id = %s", (7,))
            c3 = conn.execute("delete from em_t where id > %s", (490,))
        eq(c1.rowcount, 10, "pipelined update rowcount")
        eq(c2.fetchone(), ("n7",), "pipelined select")
        eq(c3.rowcount, 10, "pipelined delete rowcount")
        conn.commit()
        eq(count("em_t"), 490, "rows after pipeline")


@check
def named_cursor():
    with psycopg.connect(DSN) as conn:
        conn.execute("create table nc_t (id integer primary key, v text)")
        values = ", ".join(f"({i}, 'v{i}')" for i in range(1, 1001))
        conn.execute(f"insert into nc_t values {values}")
        conn.commit()
        with conn.cursor(name="big_cursor") as cur:  # DECLARE ... CURSOR / FETCH FORWARD n
            cur.itersize = 128
            cur.execute("select id, v from nc_t order by id")
            eq([d.name for d in cur.description], ["id", "v"], "cursor description")
            first = cur.fetchmany(300)
            eq(len(first), 300, "first fetchmany")
            eq(first[0], (1, "v1"), "first row")
            rest = list(cur)
            eq(len(rest), 700, "rows iterated after fetchmany")
            ids = [r[0] for r in first + rest]
            eq(ids, list(range(1, 1001)), "ids in order")
            eq(rest[-1], (1000, "v1000"), "last row")
            eq(cur.fetchone(), None, "exhausted cursor")
        conn.commit()


@check
def auto_prepare():
    # From the 6th execution (prepare_threshold=5) psycopg runs the query as
    # a named statement "_pg3_N"; a rollback makes it clear its cache with
    # DEALLOCATE ALL and prepare again under a new name.
    with psycopg.connect(DSN) as conn:
        conn.prepare_threshold = 5
        conn.execute("create table ap_t (id integer primary key, v integer)")
        conn.execute("insert into ap_t values (1, 10), (2, 20)")
        conn.commit()
        q = "select v + %s, id from ap_t where id = %s"
        for i in range(12):
            row = conn.execute(q, (i, 1 + i % 2)).fetchone()
            eq(row, (10 * (1 + i % 2) + i, 1 + i % 2), f"execution {i + 1}")
        names = getattr(getattr(conn, "_prepared", None), "_names", None)
        if names is not None:
            eq(len(names), 1, "psycopg prepared the statement after 5 executions")
        conn.rollback()  # ROLLBACK, then DEALLOCATE ALL
        eq(status(conn), TransactionStatus.IDLE, "status after rollback")
        for i in range(7):
            eq(conn.execute(q, (i, 1)).fetchone(), (10 + i, 1), f"execution {i + 1} after DEALLOCATE ALL")
        eq(conn.execute("select %s::int * 2", (21,), prepare=True).fetchone(), (42,), "explicit prepare")
        conn.rollback()


@check
def binary_copy():
    base = datetime.datetime(2023, 6, 1, 12, 0, tzinfo=UTC)
    types = ["int4", "text", "bool", "timestamptz", "numeric", "bytea"]
    with psycopg.connect(DSN) as conn:
        conn.execute("""create table bc_t (id integer primary key, name text, flag boolean,
            at timestamptz, amount numeric(10,2), payload bytea)""")
        with conn.cursor() as cur:
            with cur.copy("COPY bc_t (id, name, flag, at, amount, payload) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for i in range(1, 201):
                    name = None if i % 50 == 0 else f"name{i}"
                    copy.write_row((i, name, i % 2 == 0, base + datetime.timedelta(minutes=i),
                                    decimal.Decimal(i) / 4, bytes([i % 256, 0, 255])))
            eq(cur.rowcount, 200, "COPY FROM rowcount")
        conn.commit()
        eq(count("bc_t"), 200, "rows after binary COPY")
        row = conn.execute("select name, flag, at, amount, payload from bc_t where id = %s", (77,)).fetchone()
        eq(row, ("name77", False, base + datetime.timedelta(minutes=77), decimal.Decimal("19.25"), b"\x4d\x00\xff"), "row 77")
        with conn.cursor() as cur:
            with cur.copy("COPY bc_t (id, name, flag, at, amount, payload) TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(types)
                rows = sorted(copy.rows())
        eq(len(rows), 200, "rows from binary COPY TO")
        eq(rows[49], (50, None, True, base + datetime.timedelta(minutes=50), decimal.Decimal("12.50"), b"\x32\x00\xff"), "row 50")
        eq(sum(1 for r in rows if r[2]), 100, "true flags")
        conn.rollback()


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
        print(f"{failed} of {len(CHECKS)} psycopg 3 checks failed")
        sys.exit(1)
    print(f"all {len(CHECKS)} psycopg 3 checks passed")


if __name__ == "__main__":
    main()
