insert into pgbench_tellers(tid,bid,tbalance) values (1,1,0)
