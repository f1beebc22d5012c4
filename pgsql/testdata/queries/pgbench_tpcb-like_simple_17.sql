UPDATE pgbench_branches SET bbalance = bbalance + -487 WHERE bid = 1;
