-- Up Migration
-- Registration on demand in another OMERO server (issue 20, part F; docs/omero.md, "Register on
-- demand"). Such a job is a job like any other (its steps, attempts, audit, admin actions,
-- replays), of another kind: it runs the omero step alone, on the expanded tree of the landing
-- job it names, in the server its request names. Every question about "the job of an archive"
-- (the intake, the feed, the archive's status AVUs, superseded versions) concerns landing jobs.
ALTER TABLE jobs ADD COLUMN kind text NOT NULL DEFAULT 'landing' CHECK (kind IN ('landing', 'omero_register'));
ALTER TABLE jobs ADD COLUMN source_job_id uuid REFERENCES jobs(id);
-- {server, mode, group}: what the operator asked for (mode and group null: the server's own).
ALTER TABLE jobs ADD COLUMN omero_request jsonb;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_request CHECK (
  (kind = 'landing' AND source_job_id IS NULL AND omero_request IS NULL)
  OR (kind = 'omero_register' AND source_job_id IS NOT NULL AND omero_request IS NOT NULL));
CREATE INDEX jobs_registrations_of_source ON jobs (source_job_id, created_at) WHERE source_job_id IS NOT NULL;

-- Down Migration
DROP INDEX jobs_registrations_of_source;
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_request;
ALTER TABLE jobs DROP COLUMN omero_request;
ALTER TABLE jobs DROP COLUMN source_job_id;
ALTER TABLE jobs DROP COLUMN kind;
