SELECT pg_catalog.pg_get_functiondef(16421)
