-- The shipments still to send (or to send again), by store in the order they were recorded:
-- the sender finds each store's oldest in one step, however many were sent before.
CREATE INDEX shipments_due_idx ON shipments (store_id, id)
    WHERE state = 'pending' OR (state = 'sent' AND tracking_changed);
