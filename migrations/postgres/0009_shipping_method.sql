-- How the customer chose to have the order shipped (Shopify's shipping line title), for the
-- desk's list. Orders synced before have none until their next change or full sync.
ALTER TABLE synced_orders ADD COLUMN shipping_method TEXT;
