SELECT tableoid, oid, opcmethod, opcname, opcnamespace, opcowner FROM pg_opclass
