-- Point SELECT by primary key (pgbench's built-in "select-only" script).
\set aid random(1, 100000)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
