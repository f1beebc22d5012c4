PREPARE dumpTableAttach(pg_catalog.oid) AS
	SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.oid = $1
