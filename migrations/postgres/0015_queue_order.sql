-- The queue reads open fulfillment orders oldest order first. Each carries its order's
-- creation, kept by the triggers below, so that order is one walk of a partial index instead of
-- a sort of every open parcel on every page.
ALTER TABLE synced_fulfillment_orders ADD COLUMN order_created_at BIGINT;
UPDATE synced_fulfillment_orders fo SET order_created_at = o.created_at
FROM synced_orders o WHERE o.store_id = fo.store_id AND o.id = fo.order_id;
CREATE INDEX synced_fulfillment_orders_queue_idx ON synced_fulfillment_orders (order_created_at, store_id, id)
    WHERE status IN ('OPEN', 'IN_PROGRESS');
CREATE INDEX synced_fulfillment_orders_store_queue_idx ON synced_fulfillment_orders (store_id, order_created_at, id)
    WHERE status IN ('OPEN', 'IN_PROGRESS');

CREATE FUNCTION storelink_unit_takes_order_created() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.order_id IS DISTINCT FROM OLD.order_id THEN
        NEW.order_created_at := (SELECT o.created_at FROM synced_orders o
                                 WHERE o.store_id = NEW.store_id AND o.id = NEW.order_id);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER synced_fulfillment_orders_take_order_created
    BEFORE INSERT OR UPDATE OF order_id ON synced_fulfillment_orders
    FOR EACH ROW EXECUTE FUNCTION storelink_unit_takes_order_created();

CREATE FUNCTION storelink_order_gives_created() RETURNS trigger AS $$
BEGIN
    UPDATE synced_fulfillment_orders SET order_created_at = NEW.created_at
    WHERE store_id = NEW.store_id AND order_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER synced_orders_give_created AFTER INSERT ON synced_orders
    FOR EACH ROW EXECUTE FUNCTION storelink_order_gives_created();
CREATE TRIGGER synced_orders_give_created_again AFTER UPDATE OF created_at ON synced_orders
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION storelink_order_gives_created();
