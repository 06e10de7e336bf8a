-- Synced records now come from the GraphQL Admin API: every node of a record (an order's line
-- items and fulfillment orders, a product's variants) is a row of its own, keyed per store by its
-- numeric id (the tail of its gid), with its parent's id, the columns the pages query, and its
-- JSON exactly as Shopify sent it (compressed; nested connections are rows of their own, not
-- repeated inside). Rows stored from REST by earlier versions still read; such stores are synced
-- again in full once (stores.needs_full_sync).

-- When each row was last written by a sync or a webhook: a full sync deletes the rows it did
-- not see (written before it started), which is how records deleted in Shopify leave.
ALTER TABLE synced_locations ADD COLUMN synced_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE synced_products ADD COLUMN synced_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE synced_customers ADD COLUMN synced_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE synced_orders ADD COLUMN synced_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE synced_inventory_levels ADD COLUMN synced_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE synced_variants (
    store_id          INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    product_id        INTEGER NOT NULL,
    title             TEXT    NOT NULL,
    sku               TEXT,
    inventory_item_id INTEGER,
    -- From the inventory item's measurement (weights left the variant in 2024-07).
    weight_grams      INTEGER,
    updated_at        INTEGER NOT NULL,
    synced_at         INTEGER NOT NULL,
    raw               BLOB    NOT NULL,
    PRIMARY KEY (store_id, id)
);
CREATE INDEX synced_variants_product_idx ON synced_variants (store_id, product_id);

CREATE TABLE synced_order_lines (
    store_id    INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    order_id    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    sku         TEXT,
    quantity    INTEGER NOT NULL,
    synced_at   INTEGER NOT NULL,
    raw         BLOB    NOT NULL,
    PRIMARY KEY (store_id, id)
);
CREATE INDEX synced_order_lines_order_idx ON synced_order_lines (store_id, order_id);

-- What the desk ships from: which location ships which items of an order, and how many are left.
CREATE TABLE synced_fulfillment_orders (
    store_id      INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id            INTEGER NOT NULL,
    order_id      INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    location_id   INTEGER,
    location_name TEXT,
    updated_at    INTEGER NOT NULL,
    synced_at     INTEGER NOT NULL,
    raw           BLOB    NOT NULL,
    PRIMARY KEY (store_id, id)
);
CREATE INDEX synced_fulfillment_orders_open_idx ON synced_fulfillment_orders (store_id, status, location_id);
CREATE INDEX synced_fulfillment_orders_order_idx ON synced_fulfillment_orders (store_id, order_id);

CREATE TABLE synced_fulfillment_order_lines (
    store_id             INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                   INTEGER NOT NULL,
    fulfillment_order_id INTEGER NOT NULL,
    line_item_id         INTEGER,
    total_quantity       INTEGER NOT NULL,
    remaining_quantity   INTEGER NOT NULL,
    unit_weight_grams    INTEGER,
    synced_at            INTEGER NOT NULL,
    raw                  BLOB    NOT NULL,
    PRIMARY KEY (store_id, id)
);
CREATE INDEX synced_fulfillment_order_lines_fo_idx ON synced_fulfillment_order_lines (store_id, fulfillment_order_id);

-- Stores synced through REST before this version get one full sync through GraphQL.
ALTER TABLE stores ADD COLUMN needs_full_sync INTEGER NOT NULL DEFAULT 0;
UPDATE stores SET needs_full_sync = 1 WHERE last_synced_at IS NOT NULL;
