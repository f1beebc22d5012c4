LOCK TABLE public.pgbench_branches IN ACCESS SHARE MODE
