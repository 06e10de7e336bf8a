-- Sync ownership by lease. The server running a job (owner) holds it until lease_until
-- (milliseconds on the database's clock) and renews it; epoch goes up at every claim, and a
-- job's writes carry the epoch they were claimed with, so a server that lost its claim writes
-- nothing.
ALTER TABLE sync_jobs ADD COLUMN owner TEXT;
ALTER TABLE sync_jobs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_jobs ADD COLUMN lease_until INTEGER;

-- Every claim and the last lease it was granted (renewals move it): the history that shows no
-- job ever had two owners at once.
CREATE TABLE sync_claims (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    owner       TEXT    NOT NULL,
    epoch       INTEGER NOT NULL,
    claimed_at  INTEGER NOT NULL,
    lease_until INTEGER NOT NULL
);
CREATE INDEX sync_claims_job_idx ON sync_claims (job_id);
