-- An API token belongs to the administrator who created it (none when made on the command line):
-- deactivating the administrator revokes it. Tokens made before are matched by their creator's
-- email.
ALTER TABLE api_tokens ADD COLUMN created_by_user_id BIGINT REFERENCES users (id);
UPDATE api_tokens SET created_by_user_id = (SELECT id FROM users WHERE users.email = api_tokens.created_by);

-- API reads, counted per token and minute instead of an audit entry each, so reads cannot
-- push the changes out of sight.
CREATE TABLE api_token_usage (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    -- Unix seconds at the start of the minute.
    minute   BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (token_id, minute)
);

-- The audit log is read a page at a time, newest first, filtered by who, what, store and date.
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_store_idx ON audit_log (store_id, id);
