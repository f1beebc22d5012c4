SELECT 'add1'::pg_catalog.regproc::pg_catalog.oid
