-- Stores synced through REST by an earlier version owe one full sync through GraphQL. It is
-- queued here, once, instead of being looked for at every heartbeat for ever after. A job such a
-- store had under way was begun by the earlier version: the full sync replaces it. A
-- disconnected store gets its full sync when it is reconnected, as every reconnected store does.
UPDATE sync_jobs SET state = 'cancelled', updated_at = CAST(strftime('%s', 'now') AS INTEGER)
WHERE state IN ('queued', 'running')
  AND store_id IN (SELECT id FROM stores WHERE needs_full_sync = 1 AND state = 'connected');
INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at)
SELECT id, 'full', 'queued', CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)
FROM stores WHERE needs_full_sync = 1 AND state = 'connected';
ALTER TABLE stores DROP COLUMN needs_full_sync;
