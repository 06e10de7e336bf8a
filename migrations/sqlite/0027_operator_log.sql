-- What the operator did to organizations themselves: it outlives them (an organization's own
-- audit log goes when the organization is removed).
CREATE TABLE operator_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    by_name      TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    organization TEXT    NOT NULL,
    detail       TEXT    NOT NULL
);
