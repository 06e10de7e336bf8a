-- The last check of each store's orders awaiting shipment against the platform's own count.
CREATE TABLE drift_checks (
    store_id        BIGINT PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    checked_at      BIGINT NOT NULL,
    platform_count  BIGINT NOT NULL,
    storelink_count BIGINT NOT NULL,
    fetched_again   BIGINT NOT NULL,
    -- The orders that still differ, as JSON: [{"order_id", "name", "why"}].
    unresolved      TEXT   NOT NULL
);
