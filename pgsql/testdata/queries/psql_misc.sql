/* psql sends this for \timing-free scripts */ SELECT 1 AS one; -- trailing
CREATE TEMP TABLE x (id serial PRIMARY KEY, "Name" text DEFAULT 'a;b', j jsonb DEFAULT '{}'::jsonb);
INSERT INTO x ("Name") VALUES ($$dollar ; quoted$$), ($tag$ nested $$ inside $tag$), (U&'\0041');
SELECT j->>'k', j #>> '{a,b}', "Name" ~* '^a', id::text || '-' FROM x WHERE id BETWEEN 1 AND 10 ORDER BY 1 DESC NULLS LAST LIMIT 5 OFFSET 0;
SHOW server_version; SHOW TRANSACTION ISOLATION LEVEL;
SET search_path TO "$user", public; RESET search_path;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM x;
CREATE TRIGGER trg AFTER INSERT ON x BEGIN UPDATE x SET "Name" = CASE WHEN new.id > 1 THEN 'big' ELSE 'small' END WHERE id = new.id; END;
DISCARD ALL
