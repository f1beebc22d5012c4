SELECT DISTINCT attrelid FROM pg_attribute WHERE attacl IS NOT NULL
