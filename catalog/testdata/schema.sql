CREATE TABLE users (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email varchar(20) UNIQUE,
    active boolean NOT NULL DEFAULT true,
    created timestamptz,
    balance numeric(10,2) DEFAULT 0,
    CHECK (balance >= 0)
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id),
    note text DEFAULT 'none',
    qty integer,
    UNIQUE (user_id, note)
);
CREATE INDEX orders_qty_idx ON orders (qty);
CREATE VIEW active_users AS SELECT id, name FROM users WHERE active;
