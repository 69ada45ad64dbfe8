-- Up Migration
-- The intake's fast path, in one round trip: an event for a path the agent has never seen (the
-- common case) records the delivery, the archive, the job and the event at once. Any other case
-- (a replayed webhook id, a path already known) raises 'IOA01' and nothing is written: the agent
-- then takes the full, locked decision (src/intake/accept-event.ts), which owns every other rule.
CREATE FUNCTION ioa_accept_new_archive(
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

-- Down Migration
DROP FUNCTION ioa_accept_new_archive(text, text, text, bigint, text, text, text, timestamptz, text, text, jsonb, text);
