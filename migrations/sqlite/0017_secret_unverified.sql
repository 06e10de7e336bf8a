-- A signed delivery was refused and none has verified since: the Shared Secret storelink has
-- for the store looks wrong (Shopify cannot be asked whether it is right). Cleared by the next
-- delivery that verifies, and by new credentials.
ALTER TABLE stores ADD COLUMN secret_unverified BOOLEAN NOT NULL DEFAULT FALSE;
