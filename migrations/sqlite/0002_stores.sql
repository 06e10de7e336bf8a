-- Connected online stores. One row per shop; the shop's permanent domain is unique, so two
-- concurrent registrations of the same shop cannot both succeed.
CREATE TABLE stores (
    id              INTEGER PRIMARY KEY,
    platform        TEXT    NOT NULL CHECK (platform IN ('shopify')),
    name            TEXT    NOT NULL,
    shop_domain     TEXT    NOT NULL CONSTRAINT stores_shop_domain_key UNIQUE,
    -- connected | disconnected (later: syncing, failed states written by the sync engine)
    state           TEXT    NOT NULL,
    -- Why the state is what it is, in words, when that needs saying.
    state_detail    TEXT,
    -- shop.json as Shopify sent it, so nothing it says is lost.
    shop_json       TEXT    NOT NULL DEFAULT '{}',
    -- The access scopes granted, space-separated, and the warnings they led to, one per line.
    granted_scopes  TEXT    NOT NULL DEFAULT '',
    warnings        TEXT    NOT NULL DEFAULT '',
    last_synced_at  INTEGER,
    orders_count    INTEGER NOT NULL DEFAULT 0,
    products_count  INTEGER NOT NULL DEFAULT 0,
    customers_count INTEGER NOT NULL DEFAULT 0,
    locations_count INTEGER NOT NULL DEFAULT 0,
    registered_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL
);

-- Credentials live apart from the store so disconnecting deletes them outright. The password
-- and shared secret are AES-256-GCM sealed (nonce || ciphertext) under a key that is not in
-- the database.
CREATE TABLE store_credentials (
    store_id        INTEGER PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    api_key         TEXT    NOT NULL,
    api_password    BLOB    NOT NULL,
    shared_secret   BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Webhook subscriptions storelink created in Shopify, so disconnecting can remove them.
CREATE TABLE store_webhooks (
    store_id        INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    webhook_id      INTEGER NOT NULL,
    topic           TEXT    NOT NULL,
    PRIMARY KEY (store_id, webhook_id)
);

-- Synchronization jobs; the sync engine runs them. Registering queues the first full sync.
CREATE TABLE sync_jobs (
    id              INTEGER PRIMARY KEY,
    store_id        INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('full', 'incremental')),
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX sync_jobs_store_idx ON sync_jobs (store_id, state);

-- Who did what to which store, and when. Names are copied so the record outlives the store
-- and the user.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    user_id         INTEGER,
    user_email      TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    store_id        INTEGER,
    store_name      TEXT,
    detail          TEXT    NOT NULL DEFAULT ''
);
