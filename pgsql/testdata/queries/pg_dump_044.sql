SELECT tableoid, oid, conname, connamespace, conowner FROM pg_conversion
