LOCK TABLE public.pgbench_tellers IN ACCESS SHARE MODE
