-- API tokens for the desk's label software: only the SHA-256 of each token is kept.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    -- The token's first characters, so a list can tell tokens apart without showing them.
    prefix       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- Shipments recorded at the desk, and the outbox they are written back to Shopify from. A
-- shipment is claimed like a sync job (owner, epoch, lease on the database's clock), so one
-- server at a time sends it. `attempts` counts the sends begun: after the first, Shopify may have
-- applied one whose answer never came, so the sender looks before it sends again.
CREATE TABLE shipments (
    id                INTEGER PRIMARY KEY,
    store_id          INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    order_id          INTEGER NOT NULL,
    location_id       INTEGER,
    carrier           TEXT    NOT NULL,
    tracking_number   TEXT    NOT NULL,
    tracking_url      TEXT,
    notify_customer   INTEGER NOT NULL,
    -- JSON: [{"fulfillment_order_id", "fulfillment_order_line_id", "line_item_id", "quantity"}]
    lines             TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'dismissed')),
    reason            TEXT,
    fulfillment_id    INTEGER,
    -- A new tracking number or URL for a sent shipment, not yet sent to Shopify.
    tracking_changed  INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    owner             TEXT,
    epoch             INTEGER NOT NULL DEFAULT 0,
    lease_until       INTEGER,
    recorded_by       TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX shipments_store_idx ON shipments (store_id, state, id);
CREATE INDEX shipments_order_idx ON shipments (store_id, order_id);

-- Idempotency keys of recorded shipments, per caller (`token:ID` for the API's tokens, `user:ID`
-- for a form): the same key again returns the shipment it created; the request's hash tells a
-- retry from a different request under the same key.
CREATE TABLE shipment_keys (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    shipment_id  INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
