SELECT tableoid, oid, opfmethod, opfname, opfnamespace, opfowner FROM pg_opfamily
