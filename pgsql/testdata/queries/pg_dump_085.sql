SELECT pg_catalog.pg_get_ruledef('16531'::pg_catalog.oid)
