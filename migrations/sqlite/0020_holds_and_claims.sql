-- The desk's own marks on orders awaiting shipping: an order held back (with why, and until when
-- if it returns by itself), and an order claimed by the person packing it. Neither is the
-- platform's: a sync never touches them, and they go with their store.
CREATE TABLE order_holds (
    store_id  INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    order_id  INTEGER NOT NULL,
    reason    TEXT    NOT NULL,
    -- Unix seconds after which the order returns to the queue by itself; NULL: until released.
    until     INTEGER,
    held_by   TEXT    NOT NULL,
    held_at   INTEGER NOT NULL,
    PRIMARY KEY (store_id, order_id)
);

CREATE TABLE order_claims (
    store_id   INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    order_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (store_id, order_id)
);
