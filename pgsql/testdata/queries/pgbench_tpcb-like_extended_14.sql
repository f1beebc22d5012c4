UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;
