-- How many transactions each claim of a job committed: the evidence that a server which lost
-- its claim (paused past its lease, taken over) wrote nothing more under it.
ALTER TABLE sync_claims ADD COLUMN writes INTEGER NOT NULL DEFAULT 0;
