CREATE TABLE items (
    sku varchar(12) NOT NULL,
    shop integer NOT NULL,
    title text DEFAULT 'untitled',
    price numeric DEFAULT -1.5,
    weight real DEFAULT 2.5,
    ratio double precision,
    qty smallint DEFAULT 3,
    big bigint DEFAULT 5000000000,
    flag boolean DEFAULT false,
    code char(3),
    tags text[],
    doc jsonb DEFAULT '{}',
    uid uuid,
    raw bytea,
    day date DEFAULT '2020-01-01',
    at time,
    span interval,
    made timestamp DEFAULT CURRENT_TIMESTAMP,
    stamp timestamptz DEFAULT (now()),
    neg integer DEFAULT -1,
    CONSTRAINT items_pk PRIMARY KEY (sku, shop),
    CONSTRAINT price_positive CHECK (price > -100),
    CHECK (qty >= 0 AND big >= 0)
);
CREATE UNIQUE INDEX items_title_lower ON items (lower(title));
CREATE INDEX items_qty_desc ON items (qty DESC, shop);
CREATE INDEX items_partial ON items (shop) WHERE qty > 0;
CREATE TABLE item_notes (
    id bigint PRIMARY KEY,
    sku varchar(12),
    shop integer,
    body text NOT NULL,
    FOREIGN KEY (sku, shop) REFERENCES items (sku, shop) ON DELETE CASCADE ON UPDATE SET NULL
);
CREATE VIEW cheap_items AS SELECT sku, price FROM items WHERE price < 10;
