-- no-transaction
-- Stores of every platform: the platform column loses its CHECK (the code maps each platform it
-- knows; a new platform needs no migration). SQLite cannot drop a CHECK, so the table is rebuilt
-- as its documentation prescribes (foreign keys off, copy, rename, check, foreign keys on), in one
-- transaction of its own. A sent shipment also keeps what its platform knows it by.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE stores_rebuilt (
    id              INTEGER PRIMARY KEY,
    -- shopify | woocommerce | …
    platform        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    -- The store's identity on its platform: a myshopify.com domain, a site's home URL.
    shop_domain     TEXT    NOT NULL CONSTRAINT stores_shop_domain_key UNIQUE,
    -- connected | refused | disconnected
    state           TEXT    NOT NULL,
    -- Why the state is what it is, in words, when that needs saying.
    state_detail    TEXT,
    -- The store as its platform described it, so nothing it says is lost.
    shop_json       TEXT    NOT NULL DEFAULT '{}',
    -- The permissions granted, space-separated, and the warnings they led to, one per line.
    granted_scopes  TEXT    NOT NULL DEFAULT '',
    warnings        TEXT    NOT NULL DEFAULT '',
    last_synced_at  INTEGER,
    orders_count    INTEGER NOT NULL DEFAULT 0,
    products_count  INTEGER NOT NULL DEFAULT 0,
    customers_count INTEGER NOT NULL DEFAULT 0,
    locations_count INTEGER NOT NULL DEFAULT 0,
    registered_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    webhooks_rejected INTEGER NOT NULL DEFAULT 0,
    webhooks_last_rejected_at INTEGER,
    webhooks_repaired_at INTEGER,
    webhooks_stale INTEGER NOT NULL DEFAULT 0,
    secret_unverified BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO stores_rebuilt (id, platform, name, shop_domain, state, state_detail, shop_json, granted_scopes, warnings,
                            last_synced_at, orders_count, products_count, customers_count, locations_count,
                            registered_by, created_at, webhooks_rejected, webhooks_last_rejected_at,
                            webhooks_repaired_at, webhooks_stale, secret_unverified)
SELECT id, platform, name, shop_domain, state, state_detail, shop_json, granted_scopes, warnings,
       last_synced_at, orders_count, products_count, customers_count, locations_count,
       registered_by, created_at, webhooks_rejected, webhooks_last_rejected_at,
       webhooks_repaired_at, webhooks_stale, secret_unverified
FROM stores;
DROP TABLE stores;
ALTER TABLE stores_rebuilt RENAME TO stores;
ALTER TABLE shipments ADD COLUMN reference TEXT;
UPDATE shipments SET reference = CAST(fulfillment_id AS TEXT) WHERE fulfillment_id IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
