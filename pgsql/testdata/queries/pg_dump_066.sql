SELECT pg_catalog.current_schemas(false)
