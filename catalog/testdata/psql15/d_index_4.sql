SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,
	  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferrable) AS condeferrable,
	  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferred) AS condeferred,
	i.indisreplident,
	i.indnullsnotdistinct,
	  a.amname, c2.relname, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true)
	FROM pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_am a
	WHERE i.indexrelid = c.oid AND c.oid = '16415' AND c.relam = a.oid
	AND i.indrelid = c2.oid;
