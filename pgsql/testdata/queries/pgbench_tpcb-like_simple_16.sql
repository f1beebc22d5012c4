UPDATE pgbench_tellers SET tbalance = tbalance + -487 WHERE tid = 1;
