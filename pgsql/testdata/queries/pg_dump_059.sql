SELECT tableoid, oid, pnpubid, pnnspid FROM pg_catalog.pg_publication_namespace
