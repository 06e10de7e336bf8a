-- When each recorded delivery was applied to the synced data: a delivery is answered first and
-- applied afterwards, so this is how anyone (a test, an operator) knows it has landed.
ALTER TABLE webhook_deliveries ADD COLUMN applied_at INTEGER;
