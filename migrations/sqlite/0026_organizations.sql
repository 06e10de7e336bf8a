-- no-transaction
-- Organizations: one storelink serving many companies, each with its own users, stores, API
-- tokens and audit log (everything else belongs to one of those through its store, user, token,
-- job or shipment). What is here now becomes the first organization. SQLite adds a column that
-- references another table with a default only while foreign keys are off, so this runs in one
-- transaction of its own between turning them off and on; the default (the first organization)
-- stays in SQLite's schema, and the code names the organization on every insert.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE organizations (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    -- Off: its users sign in to a message, and nothing syncs for it.
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    -- Set by the operator; NULL: no limit.
    max_stores     INTEGER,
    max_users      INTEGER,
    max_api_tokens INTEGER,
    max_sync_jobs  INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (LOWER(name));
INSERT INTO organizations (id, name, created_at) VALUES (1, 'Default', CAST(strftime('%s', 'now') AS INTEGER));
ALTER TABLE users ADD COLUMN organization_id INTEGER NOT NULL DEFAULT 1 REFERENCES organizations (id);
ALTER TABLE stores ADD COLUMN organization_id INTEGER NOT NULL DEFAULT 1 REFERENCES organizations (id);
ALTER TABLE api_tokens ADD COLUMN organization_id INTEGER NOT NULL DEFAULT 1 REFERENCES organizations (id);
ALTER TABLE audit_log ADD COLUMN organization_id INTEGER NOT NULL DEFAULT 1 REFERENCES organizations (id);
CREATE INDEX users_organization_idx ON users (organization_id);
CREATE INDEX stores_organization_idx ON stores (organization_id);
CREATE INDEX api_tokens_organization_idx ON api_tokens (organization_id);
CREATE INDEX audit_log_organization_idx ON audit_log (organization_id, id);
COMMIT;
PRAGMA foreign_keys = ON;
