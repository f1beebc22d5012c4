-- setup.sql creates the pgbench tables at scale 1 with plain SQL that both
-- PostgreSQL 15 and sqlclusterd accept. `pgbench -i` is not used because it
-- emits PostgreSQL-only DDL (fillfactor, COPY ... FREEZE, ALTER TABLE ... ADD
-- PRIMARY KEY, TRUNCATE of several tables). The column layout matches what
-- `pgbench -i` creates, except that the primary keys are declared inline.
--
-- Rows are generated with INSERT ... WITH RECURSIVE, which parses on both
-- PostgreSQL and SQLite (generate_series and COPY are not assumed).
DROP TABLE IF EXISTS pgbench_history;
DROP TABLE IF EXISTS pgbench_tellers;
DROP TABLE IF EXISTS pgbench_accounts;
DROP TABLE IF EXISTS pgbench_branches;

CREATE TABLE pgbench_branches (
    bid int PRIMARY KEY,
    bbalance int,
    filler char(88)
);

CREATE TABLE pgbench_tellers (
    tid int PRIMARY KEY,
    bid int,
    tbalance int,
    filler char(84)
);

CREATE TABLE pgbench_accounts (
    aid int PRIMARY KEY,
    bid int,
    abalance int,
    filler char(84)
);

CREATE TABLE pgbench_history (
    tid int,
    bid int,
    aid int,
    delta int,
    mtime timestamp,
    filler char(22)
);

INSERT INTO pgbench_branches (bid, bbalance, filler) VALUES (1, 0, '');

INSERT INTO pgbench_tellers (tid, bid, tbalance, filler)
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10)
SELECT i, 1, 0, '' FROM s;

INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
SELECT i, 1, 0, '' FROM s;
