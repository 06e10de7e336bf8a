-- The queue's saved views: a name and the filters of the queue's address. A user's own, or
-- shared by an administrator with everyone.
CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    -- The queue's filters as its address carries them: store=3&state=on_hold.
    filters    TEXT    NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX saved_views_of_user ON saved_views (user_id);
