-- An administrator may limit a standard user to some of the organization's stores: with
-- `all_stores` off, the user sees only the stores listed for them here (none, if none is).
ALTER TABLE users ADD COLUMN all_stores BOOLEAN NOT NULL DEFAULT TRUE;
CREATE TABLE user_stores (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    store_id INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, store_id)
);
CREATE INDEX user_stores_store_idx ON user_stores (store_id);
-- Within a chosen store, only these of its locations (the orders and parcels they ship): a store
-- with none listed here is seen at every location.
CREATE TABLE user_locations (
    user_id     INTEGER NOT NULL,
    store_id    INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, store_id, location_id),
    FOREIGN KEY (user_id, store_id) REFERENCES user_stores (user_id, store_id) ON DELETE CASCADE
);
