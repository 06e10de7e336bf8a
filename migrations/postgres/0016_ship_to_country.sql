-- The country an order ships to (ISO 3166-1 alpha-2, upper case), which the queue filters by.
-- Orders synced before have none until they are synced again: the address is inside the
-- compressed JSON, which SQL cannot read.
ALTER TABLE synced_orders ADD COLUMN ship_to_country TEXT;
