-- The last check of each store's orders awaiting shipment against the platform's own count.
CREATE TABLE drift_checks (
    store_id        INTEGER PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    checked_at      INTEGER NOT NULL,
    platform_count  INTEGER NOT NULL,
    storelink_count INTEGER NOT NULL,
    fetched_again   INTEGER NOT NULL,
    -- The orders that still differ, as JSON: [{"order_id", "name", "why"}].
    unresolved      TEXT    NOT NULL
);
