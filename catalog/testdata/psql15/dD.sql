SELECT n.nspname as "Schema",
	       t.typname as "Name",
	       pg_catalog.format_type(t.typbasetype, t.typtypmod) as "Type",
	       (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type bt
	        WHERE c.oid = t.typcollation AND bt.oid = t.typbasetype AND t.typcollation <> bt.typcollation) as "Collation",
	       CASE WHEN t.typnotnull THEN 'not null' END as "Nullable",
	       t.typdefault as "Default",
	       pg_catalog.array_to_string(ARRAY(
	         SELECT pg_catalog.pg_get_constraintdef(r.oid, true) FROM pg_catalog.pg_constraint r WHERE t.oid = r.contypid
	       ), ' ') as "Check"
	FROM pg_catalog.pg_type t
	     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
	WHERE t.typtype = 'd'
	      AND n.nspname <> 'pg_catalog'
	      AND n.nspname <> 'information_schema'
	  AND pg_catalog.pg_type_is_visible(t.oid)
	ORDER BY 1, 2;
