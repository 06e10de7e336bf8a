-- Webhook deliveries that passed verification: one row per Shopify event, so a repeated
-- delivery is recognised, and the store page can say how webhooks are doing.
CREATE TABLE webhook_deliveries (
    store_id        INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL,
    topic           TEXT    NOT NULL,
    received_at     INTEGER NOT NULL,
    PRIMARY KEY (store_id, event_id)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (store_id, received_at);

-- Deliveries refused for a bad or missing signature, and the last time reconciliation had to
-- recreate a subscription Shopify had dropped.
ALTER TABLE stores ADD COLUMN webhooks_rejected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stores ADD COLUMN webhooks_last_rejected_at INTEGER;
ALTER TABLE stores ADD COLUMN webhooks_repaired_at INTEGER;
