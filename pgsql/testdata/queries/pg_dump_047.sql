SELECT inhrelid, inhparent FROM pg_inherits
