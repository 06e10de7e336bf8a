-- How a store's credentials work: a fixed access token ('token': custom apps made in the admin
-- before 2026, legacy private apps), or a Dev Dashboard app's Client ID and secret exchanged for
-- tokens that expire ('client_credentials'). For those, api_password holds the current token and
-- shared_secret the Client secret (both sealed); storelink renews the token from renew_at on,
-- well before expires_at.
ALTER TABLE store_credentials ADD COLUMN kind TEXT NOT NULL DEFAULT 'token'
    CHECK (kind IN ('token', 'client_credentials'));
ALTER TABLE store_credentials ADD COLUMN token_expires_at INTEGER;
ALTER TABLE store_credentials ADD COLUMN token_renew_at INTEGER;
-- stores.state gains 'refused': Shopify refused the credentials; sync waits for new ones.
