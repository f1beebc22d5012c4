SELECT pg_catalog.format_type(castsource, NULL) AS "Source type",
	       pg_catalog.format_type(casttarget, NULL) AS "Target type",
	       CASE WHEN c.castmethod = 'b' THEN '(binary coercible)'
	            WHEN c.castmethod = 'i' THEN '(with inout)'
	            ELSE p.proname
	       END AS "Function",
	       CASE WHEN c.castcontext = 'e' THEN 'no'
	            WHEN c.castcontext = 'a' THEN 'in assignment'
	            ELSE 'yes'
	       END AS "Implicit?"
	FROM pg_catalog.pg_cast c LEFT JOIN pg_catalog.pg_proc p
	     ON c.castfunc = p.oid
	     LEFT JOIN pg_catalog.pg_type ts
	     ON c.castsource = ts.oid
	     LEFT JOIN pg_catalog.pg_namespace ns
	     ON ns.oid = ts.typnamespace
	     LEFT JOIN pg_catalog.pg_type tt
	     ON c.casttarget = tt.oid
	     LEFT JOIN pg_catalog.pg_namespace nt
	     ON nt.oid = tt.typnamespace
	WHERE ( (true  AND pg_catalog.pg_type_is_visible(ts.oid)
	) OR (true  AND pg_catalog.pg_type_is_visible(tt.oid)
	) )
	ORDER BY 1, 2;
