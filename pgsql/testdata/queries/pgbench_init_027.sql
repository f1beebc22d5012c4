alter table pgbench_accounts add primary key (aid)
