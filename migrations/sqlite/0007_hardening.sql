-- The sign-in throttle is keyed by a fixed-size key: `account:` and the SHA-256 of the
-- normalised email, or `client:` and the client's address. The old table was keyed by the email
-- as typed, with no limit on its length; its rows are minutes of state, so they are dropped.
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    key             TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);
-- Both are emptied of what has expired on a schedule.
CREATE INDEX login_throttle_last_failure_idx ON login_throttle (last_failure_at);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Deliveries ignored because Shopify triggered them longer ago than it retries (48 hours): a
-- replay of an old, genuinely signed body under a new event id.
ALTER TABLE stores ADD COLUMN webhooks_stale INTEGER NOT NULL DEFAULT 0;
