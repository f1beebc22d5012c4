SELECT pg_catalog.pg_get_statisticsobjdef('16535'::pg_catalog.oid)
