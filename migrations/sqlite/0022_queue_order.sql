-- The queue reads open fulfillment orders oldest order first. Each carries its order's
-- creation, kept by the triggers below, so that order is one walk of a partial index instead of
-- a sort of every open parcel on every page.
ALTER TABLE synced_fulfillment_orders ADD COLUMN order_created_at INTEGER;
UPDATE synced_fulfillment_orders SET order_created_at =
    (SELECT o.created_at FROM synced_orders o
     WHERE o.store_id = synced_fulfillment_orders.store_id AND o.id = synced_fulfillment_orders.order_id);
CREATE INDEX synced_fulfillment_orders_queue_idx ON synced_fulfillment_orders (order_created_at, store_id, id)
    WHERE status IN ('OPEN', 'IN_PROGRESS');
CREATE INDEX synced_fulfillment_orders_store_queue_idx ON synced_fulfillment_orders (store_id, order_created_at, id)
    WHERE status IN ('OPEN', 'IN_PROGRESS');

CREATE TRIGGER synced_fulfillment_orders_take_order_created AFTER INSERT ON synced_fulfillment_orders
BEGIN
    UPDATE synced_fulfillment_orders SET order_created_at =
        (SELECT o.created_at FROM synced_orders o WHERE o.store_id = NEW.store_id AND o.id = NEW.order_id)
    WHERE store_id = NEW.store_id AND id = NEW.id;
END;

CREATE TRIGGER synced_fulfillment_orders_take_order_created_again AFTER UPDATE OF order_id ON synced_fulfillment_orders
WHEN OLD.order_id IS NOT NEW.order_id
BEGIN
    UPDATE synced_fulfillment_orders SET order_created_at =
        (SELECT o.created_at FROM synced_orders o WHERE o.store_id = NEW.store_id AND o.id = NEW.order_id)
    WHERE store_id = NEW.store_id AND id = NEW.id;
END;

CREATE TRIGGER synced_orders_give_created AFTER INSERT ON synced_orders
BEGIN
    UPDATE synced_fulfillment_orders SET order_created_at = NEW.created_at
    WHERE store_id = NEW.store_id AND order_id = NEW.id;
END;

CREATE TRIGGER synced_orders_give_created_again AFTER UPDATE OF created_at ON synced_orders
WHEN OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE synced_fulfillment_orders SET order_created_at = NEW.created_at
    WHERE store_id = NEW.store_id AND order_id = NEW.id;
END;
