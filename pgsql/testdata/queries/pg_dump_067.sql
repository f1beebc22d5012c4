SELECT collprovider, collversion, collisdeterministic, colliculocale, collcollate, collctype FROM pg_catalog.pg_collation c WHERE c.oid = '16534'::pg_catalog.oid
