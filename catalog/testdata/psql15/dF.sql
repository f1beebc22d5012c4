SELECT
	   n.nspname as "Schema",
	   c.cfgname as "Name",
	   pg_catalog.obj_description(c.oid, 'pg_ts_config') as "Description"
	FROM pg_catalog.pg_ts_config c
	LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
	WHERE pg_catalog.pg_ts_config_is_visible(c.oid)
	ORDER BY 1, 2;
