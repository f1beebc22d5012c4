PREPARE dumpEnumType(pg_catalog.oid) AS
	SELECT oid, enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder
