SELECT pg_catalog.pg_get_viewdef('16416'::pg_catalog.oid, true);
