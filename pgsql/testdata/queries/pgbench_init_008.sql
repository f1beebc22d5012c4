insert into pgbench_branches(bid,bbalance) values(1,0)
