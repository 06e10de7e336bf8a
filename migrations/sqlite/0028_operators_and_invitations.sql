-- The operator's accounts: the provider's staff who create and enable organizations. They belong
-- to no organization and sign in on the Operator page, with sessions of their own, so nothing an
-- organization's users can reach knows them.
CREATE TABLE operators (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL COLLATE NOCASE CONSTRAINT operators_email_key UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE TABLE operator_sessions (
    token_hash  TEXT    PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX operator_sessions_expires_at_idx ON operator_sessions (expires_at);

-- An invitation to become a user of an organization: the link carries a random token, the
-- database only its SHA-256. Used once, then `accepted_at` is set.
CREATE TABLE invitations (
    token_hash      TEXT    PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('admin', 'standard')),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    accepted_at     INTEGER
);
CREATE INDEX invitations_organization_idx ON invitations (organization_id);
