alter table pgbench_branches add primary key (bid)
