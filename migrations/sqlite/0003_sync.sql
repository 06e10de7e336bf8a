-- The synchronization engine: each job's checkpoint and progress, and the synced records.
-- Every synced table keeps Shopify's raw JSON beside the columns the pages query, so nothing
-- Shopify sends is lost; ids are Shopify's 64-bit ids, keyed per store.

-- checkpoint: {"locations": last id, ..., "done": [resources finished]}
-- progress:   {"orders": {"done": n, "total": m}, ...}
ALTER TABLE sync_jobs ADD COLUMN checkpoint TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sync_jobs ADD COLUMN progress TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sync_jobs ADD COLUMN started_at INTEGER;
ALTER TABLE sync_jobs ADD COLUMN finished_at INTEGER;

CREATE TABLE synced_locations (
    store_id   INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    raw        TEXT    NOT NULL,
    PRIMARY KEY (store_id, id)
);

CREATE TABLE synced_products (
    store_id   INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    variants   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    raw        TEXT    NOT NULL,
    PRIMARY KEY (store_id, id)
);

CREATE TABLE synced_customers (
    store_id   INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    email      TEXT,
    updated_at INTEGER NOT NULL,
    raw        TEXT    NOT NULL,
    PRIMARY KEY (store_id, id)
);

CREATE TABLE synced_orders (
    store_id           INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                 INTEGER NOT NULL,
    name               TEXT    NOT NULL,
    -- As Shopify wrote it, with the shop's offset; created_at/updated_at are Unix seconds.
    created_at_text    TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('open', 'closed', 'cancelled')),
    fulfillment_status TEXT,
    customer_name      TEXT,
    ship_to            TEXT,
    items              INTEGER NOT NULL,
    total_weight       INTEGER NOT NULL,
    -- Money exactly as Shopify's decimal string.
    total_price        TEXT    NOT NULL,
    raw                TEXT    NOT NULL,
    PRIMARY KEY (store_id, id)
);
CREATE INDEX synced_orders_awaiting_idx ON synced_orders (store_id, status, fulfillment_status, created_at);

CREATE TABLE synced_inventory_levels (
    store_id          INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    location_id       INTEGER NOT NULL,
    inventory_item_id INTEGER NOT NULL,
    available         INTEGER,
    updated_at        INTEGER NOT NULL,
    raw               TEXT    NOT NULL,
    PRIMARY KEY (store_id, location_id, inventory_item_id)
);

-- A record Shopify sent that storelink could not read; the sync goes on without it.
CREATE TABLE sync_failed_items (
    id         INTEGER PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    resource   TEXT    NOT NULL,
    shopify_id INTEGER,
    reason     TEXT    NOT NULL
);

-- One queued or running job per store: "Sync now" during a sync does not start a second one.
CREATE UNIQUE INDEX sync_jobs_one_active ON sync_jobs (store_id) WHERE state IN ('queued', 'running');
