SELECT pg_catalog.format_type('25'::pg_catalog.oid, NULL)
