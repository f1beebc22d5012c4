PREPARE dumpFunc(pg_catalog.oid) AS
	SELECT
	proretset,
	prosrc,
	probin,
	provolatile,
	proisstrict,
	prosecdef,
	lanname,
	proconfig,
	procost,
	prorows,
	pg_catalog.pg_get_function_arguments(p.oid) AS funcargs,
	pg_catalog.pg_get_function_identity_arguments(p.oid) AS funciargs,
	pg_catalog.pg_get_function_result(p.oid) AS funcresult,
	proleakproof,
	array_to_string(protrftypes, ' ') AS protrftypes,
	proparallel,
	prokind,
	prosupport,
	pg_get_function_sqlbody(p.oid) AS prosqlbody
	FROM pg_catalog.pg_proc p, pg_catalog.pg_language l
	WHERE p.oid = $1 AND l.oid = p.prolang
