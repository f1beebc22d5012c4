EXECUTE dumpEnumType('16475')
