-- PostgreSQL came after storelink moved to GraphQL: no store here was ever synced through REST,
-- so none owes the full sync that marked such stores on SQLite.
ALTER TABLE stores DROP COLUMN needs_full_sync;
