-- Up Migration
-- Replay protection without a table of its own: the webhook ids already delivered are those of
-- the events recorded with a verdict that remembers them (accepted, duplicate, ignored; not a
-- refused request, not a replay), kept unique by a partial index. The intake's fast path then
-- writes three rows per new archive instead of four. It no longer looks the webhook id up: a
-- replay of an accepted delivery names a path already known (IOA01, as before), and any other
-- delivery of a seen id fails on the unique index (23505 on events_delivery), which the agent
-- treats the same way: nothing is written, and its full decision answers `replayed`.
CREATE UNIQUE INDEX events_delivery ON events (webhook_id) WHERE verdict IN ('accepted', 'duplicate', 'ignored');
DROP INDEX events_webhook_id;
DROP TABLE webhook_deliveries;

CREATE OR REPLACE FUNCTION ioa_accept_new_archive(
  p_webhook_id text, p_path text, p_zone text, p_size bigint, p_checksum text, p_resource text,
  p_uploader text, p_not_before timestamptz, p_first_step text, p_event_type text,
  p_headers jsonb, p_body text
) RETURNS TABLE (job_id uuid, run integer, archive_id bigint, event_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  v_archive bigint;
  v_job uuid;
  v_run integer;
  v_event uuid;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_path, 0));
  IF EXISTS (SELECT 1 FROM archives WHERE logical_path = p_path) THEN
    RAISE EXCEPTION 'path already known' USING ERRCODE = 'IOA01';
  END IF;
  INSERT INTO archives (zone, logical_path, size, checksum, uploader, resource)
    VALUES (p_zone, p_path, p_size, p_checksum, p_uploader, p_resource) RETURNING id INTO v_archive;
  INSERT INTO jobs (archive_id, step, not_before)
    VALUES (v_archive, p_first_step, p_not_before) RETURNING id, jobs.run INTO v_job, v_run;
  INSERT INTO events (webhook_id, event_type, logical_path, verdict, http_status, headers, body, archive_id, job_id)
    VALUES (p_webhook_id, p_event_type, p_path, 'accepted', 202, p_headers, p_body, v_archive, v_job)
    RETURNING id INTO v_event;
  RETURN QUERY SELECT v_job, v_run, v_archive, v_event;
END $$;

-- Down Migration
CREATE TABLE webhook_deliveries (
  webhook_id  text PRIMARY KEY,
  first_seen  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_deliveries (webhook_id, first_seen)
  SELECT webhook_id, min(received_at) FROM events
   WHERE webhook_id IS NOT NULL AND verdict IN ('accepted', 'duplicate', 'ignored')
   GROUP BY webhook_id;
CREATE INDEX events_webhook_id ON events (webhook_id);
DROP INDEX events_delivery;

CREATE OR REPLACE FUNCTION ioa_accept_new_archive(
  p_webhook_id text, p_path text, p_zone text, p_size bigint, p_checksum text, p_resource text,
  p_uploader text, p_not_before timestamptz, p_first_step text, p_event_type text,
  p_headers jsonb, p_body text
) RETURNS TABLE (job_id uuid, run integer, archive_id bigint, event_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  v_archive bigint;
  v_job uuid;
  v_run integer;
  v_event uuid;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_path, 0));
  IF EXISTS (SELECT 1 FROM archives WHERE logical_path = p_path) THEN
    RAISE EXCEPTION 'path already known' USING ERRCODE = 'IOA01';
  END IF;
  INSERT INTO webhook_deliveries (webhook_id) VALUES (p_webhook_id) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'webhook id already seen' USING ERRCODE = 'IOA01';
  END IF;
  INSERT INTO archives (zone, logical_path, size, checksum, uploader, resource)
    VALUES (p_zone, p_path, p_size, p_checksum, p_uploader, p_resource) RETURNING id INTO v_archive;
  INSERT INTO jobs (archive_id, step, not_before)
    VALUES (v_archive, p_first_step, p_not_before) RETURNING id, jobs.run INTO v_job, v_run;
  INSERT INTO events (webhook_id, event_type, logical_path, verdict, http_status, headers, body, archive_id, job_id)
    VALUES (p_webhook_id, p_event_type, p_path, 'accepted', 202, p_headers, p_body, v_archive, v_job)
    RETURNING id INTO v_event;
  RETURN QUERY SELECT v_job, v_run, v_archive, v_event;
END $$;
