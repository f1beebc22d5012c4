SELECT tableoid, oid, collname, collnamespace, collowner, collencoding FROM pg_collation
