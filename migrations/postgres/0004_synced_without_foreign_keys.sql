-- A foreign key is checked row by row (a trigger and a lookup for each row written), which
-- doubled the cost of storing a synced record. The synced tables keep their store_id without
-- one: `records::repo::store` locks the store's row once per transaction instead, and removing
-- a store deletes its records (`records::repo::erase`).
ALTER TABLE synced_locations DROP CONSTRAINT synced_locations_store_id_fkey;
ALTER TABLE synced_products DROP CONSTRAINT synced_products_store_id_fkey;
ALTER TABLE synced_variants DROP CONSTRAINT synced_variants_store_id_fkey;
ALTER TABLE synced_customers DROP CONSTRAINT synced_customers_store_id_fkey;
ALTER TABLE synced_orders DROP CONSTRAINT synced_orders_store_id_fkey;
ALTER TABLE synced_order_lines DROP CONSTRAINT synced_order_lines_store_id_fkey;
ALTER TABLE synced_inventory_levels DROP CONSTRAINT synced_inventory_levels_store_id_fkey;
ALTER TABLE synced_fulfillment_orders DROP CONSTRAINT synced_fulfillment_orders_store_id_fkey;
ALTER TABLE synced_fulfillment_order_lines DROP CONSTRAINT synced_fulfillment_order_lines_store_id_fkey;
