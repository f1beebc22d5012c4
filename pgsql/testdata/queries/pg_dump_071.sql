SELECT pg_catalog.format_type('23'::pg_catalog.oid, NULL)
