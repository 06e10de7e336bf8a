-- Connected online stores. One row per shop; the shop's permanent domain is unique so two
-- concurrent registrations of the same shop cannot both succeed.
CREATE TABLE stores (
    id              INTEGER PRIMARY KEY,
    platform        TEXT    NOT NULL CHECK (platform IN ('shopify')),
    name            TEXT    NOT NULL,
    shop_domain     TEXT    NOT NULL CONSTRAINT stores_shop_domain_key UNIQUE,
    state           TEXT    NOT NULL,
    last_synced_at  INTEGER,
    orders_count    INTEGER NOT NULL DEFAULT 0,
    products_count  INTEGER NOT NULL DEFAULT 0,
    customers_count INTEGER NOT NULL DEFAULT 0,
    locations_count INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
