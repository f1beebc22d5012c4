EXECUTE dumpTableAttach('16526')
