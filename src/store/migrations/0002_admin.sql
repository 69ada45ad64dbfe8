-- Up Migration
-- The admin surface (GET /v1/jobs, GET /v1/archives, replay, cancel): stable cursors and a
-- record of what operators asked for.

-- Insertion order: GET /v1/jobs pages newest first by it. A timestamp would not do as a cursor
-- (microseconds in PostgreSQL, milliseconds in JavaScript; ties).
ALTER TABLE jobs ADD COLUMN seq bigserial;
CREATE UNIQUE INDEX jobs_seq ON jobs (seq);

-- Where a job stands in the archives feed (GET /v1/archives), which OMERO-side tools poll with
-- a cursor and must never skip an item. A sequence number would be assigned before commit, so
-- a slow transaction could commit number 9 after a poller had already moved past 10. Instead the
-- feed is ordered by the id of the transaction that last changed the job's state, and only shows
-- rows whose transaction is older than every transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())): nothing can appear behind a cursor later.
ALTER TABLE jobs ADD COLUMN state_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE jobs ADD COLUMN state_changed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX jobs_feed ON jobs (state_xid, id);

CREATE FUNCTION jobs_track_state_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state OR NEW.run IS DISTINCT FROM OLD.run THEN
    NEW.state_xid := pg_current_xact_id();
    NEW.state_changed_at := now();
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER jobs_track_state_change BEFORE UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION jobs_track_state_change();

CREATE INDEX archives_uploader ON archives (uploader);

-- What operators asked for through the admin API (replay, cancel) and what the sweeper did,
-- with who: the role and a fingerprint of the token (never the token).
CREATE TABLE admin_actions (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  job_id  uuid REFERENCES jobs(id) ON DELETE CASCADE,
  action  text NOT NULL,
  actor   text NOT NULL,
  detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_actions_job ON admin_actions (job_id, id);

-- Down Migration
DROP TABLE admin_actions;
DROP INDEX archives_uploader;
DROP TRIGGER jobs_track_state_change ON jobs;
DROP FUNCTION jobs_track_state_change();
DROP INDEX jobs_feed;
ALTER TABLE jobs DROP COLUMN state_changed_at;
ALTER TABLE jobs DROP COLUMN state_xid;
DROP INDEX jobs_seq;
ALTER TABLE jobs DROP COLUMN seq;
