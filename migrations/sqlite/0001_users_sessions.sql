-- Users, their server-side sessions, and the per-account sign-in throttle.
-- Times are Unix seconds (INTEGER) so the same schema ports to PostgreSQL as BIGINT.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- Stored lower-cased; NOCASE makes the uniqueness case-insensitive even if a caller forgets.
    email         TEXT    NOT NULL COLLATE NOCASE CONSTRAINT users_email_key UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'standard')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL
);

-- The cookie holds a random token; only its SHA-256 is stored, so a copy of the database
-- cannot be replayed as a session.
CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Keyed by the email typed, not by user id, so unknown emails are throttled the same way
-- and the throttle reveals nothing about which accounts exist.
CREATE TABLE login_throttle (
    email           TEXT    PRIMARY KEY COLLATE NOCASE,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);
