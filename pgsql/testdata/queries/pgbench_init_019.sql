copy pgbench_accounts from stdin with (freeze on)
