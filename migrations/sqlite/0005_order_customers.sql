-- The customer an order belongs to, so a customers/redact request can find their orders.
-- From now on the raw JSON is stored compressed (records::RawJson), which SQL cannot look into;
-- rows stored before hold plain JSON text, which both this backfill and RawJson read.
ALTER TABLE synced_orders ADD COLUMN customer_id INTEGER;
UPDATE synced_orders SET customer_id = json_extract(raw, '$.customer.id');
