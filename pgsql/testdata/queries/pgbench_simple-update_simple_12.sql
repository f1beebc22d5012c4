UPDATE pgbench_accounts SET abalance = abalance + 1470 WHERE aid = 88816;
