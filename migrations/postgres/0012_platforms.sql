-- Stores of every platform: the platform column loses its CHECK (the code maps each platform it
-- knows; a new platform needs no migration). A sent shipment also keeps what its platform knows
-- it by.
ALTER TABLE stores DROP CONSTRAINT IF EXISTS stores_platform_check;
ALTER TABLE shipments ADD COLUMN reference TEXT;
UPDATE shipments SET reference = CAST(fulfillment_id AS TEXT) WHERE fulfillment_id IS NOT NULL;
