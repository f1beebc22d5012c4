DECLARE "my-cursor" CURSOR WITHOUT HOLD FOR SELECT * FROM generate_series(1, 10)
