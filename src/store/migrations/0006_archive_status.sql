-- Up Migration
-- What the archive's status AVUs say, as far as this job knows: the status its current run last
-- wrote there (queued is written by the intake and not remembered: one write less per event).
-- A finished job whose archive does not say what its state says (the write failed: iRODS was
-- down, or refused) is pending, and the agent writes it again until it holds (pipeline/
-- archive-status-sync.ts). The partial index holds only those, so finding them costs nothing
-- while there are none.
ALTER TABLE jobs ADD COLUMN archive_status text;
-- Jobs finished before this migration: their AVUs were written then, or a person saw the error.
UPDATE jobs SET archive_status = CASE state WHEN 'succeeded' THEN 'expanded' ELSE state END
 WHERE state IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX jobs_archive_status_pending ON jobs (finished_at)
 WHERE state IN ('succeeded', 'failed', 'cancelled')
   AND archive_status IS DISTINCT FROM CASE state WHEN 'succeeded' THEN 'expanded' ELSE state END;

-- Down Migration
DROP INDEX jobs_archive_status_pending;
ALTER TABLE jobs DROP COLUMN archive_status;
