LOCK TABLE public.pgbench_accounts IN ACCESS SHARE MODE
