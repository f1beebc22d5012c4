-- setup_postgres.sql runs on PostgreSQL only, after setup.sql: it leaves the
-- tables in the state `pgbench -i` would (vacuumed, with planner statistics),
-- which is how PostgreSQL is normally benchmarked.
VACUUM ANALYZE;
