SELECT objoid, classoid, objsubid, privtype, initprivs FROM pg_init_privs
