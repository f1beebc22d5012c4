EXECUTE getColumnACLs('6100')
