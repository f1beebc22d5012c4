SELECT pg_get_partkeydef('16523')
