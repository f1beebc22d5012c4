LOCK TABLE public.pgbench_history IN ACCESS SHARE MODE
