alter table pgbench_tellers add primary key (tid)
