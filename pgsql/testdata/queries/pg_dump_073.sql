EXECUTE dumpFunc('16467')
