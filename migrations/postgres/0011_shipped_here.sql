-- Platforms without a count of what remains to ship per line (WooCommerce): storelink counts its
-- own shipments off each line's total, so a sync that writes the line again keeps them off.
ALTER TABLE synced_fulfillment_order_lines ADD COLUMN shipped_quantity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE synced_fulfillment_order_lines ADD COLUMN counts_shipments_here BIGINT NOT NULL DEFAULT 0;
