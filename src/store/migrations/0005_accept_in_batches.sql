-- Up Migration
-- The intake's fast path for several events at once ("group commit"): under load the agent
-- gathers the events that arrive while its previous call is running and records them in one
-- call and one transaction, which costs PostgreSQL a fraction per event of one call each (the
-- statement, the plan and the commit are shared). Each event is still decided alone, exactly as
-- by ioa_accept_new_archive before it: a path never seen gets its archive, job and event; a path
-- already known gets no row and NULL ids, and the agent takes its full decision for it. Paths
-- are locked in the order of their lock keys, so two batches never wait for each other in a
-- circle; events for one path keep their order. A webhook id seen before for another path fails
-- the whole call on events_delivery (23505): the agent then records that batch's events one by
-- one.
CREATE FUNCTION ioa_accept_new_archives(p_events jsonb)
RETURNS TABLE (ordinal integer, new_job uuid, new_run integer, new_archive bigint, new_event uuid)
LANGUAGE plpgsql AS $$
DECLARE
  e record;
BEGIN
  FOR e IN
    SELECT x.* FROM jsonb_to_recordset(p_events) AS x(
      i integer, webhook_id text, path text, zone text, size bigint, checksum text, resource text,
      uploader text, not_before timestamptz, first_step text, event_type text, headers jsonb, body text)
    ORDER BY hashtextextended(x.path, 0), x.i
  LOOP
    ordinal := e.i;
    new_job := NULL;
    new_run := NULL;
    new_archive := NULL;
    new_event := NULL;
    PERFORM pg_advisory_xact_lock(hashtextextended(e.path, 0));
    IF NOT EXISTS (SELECT 1 FROM archives a WHERE a.logical_path = e.path) THEN
      INSERT INTO archives (zone, logical_path, size, checksum, uploader, resource)
        VALUES (e.zone, e.path, e.size, e.checksum, e.uploader, e.resource) RETURNING id INTO new_archive;
      INSERT INTO jobs (archive_id, step, not_before)
        VALUES (new_archive, e.first_step, e.not_before) RETURNING id, run INTO new_job, new_run;
      INSERT INTO events (webhook_id, event_type, logical_path, verdict, http_status, headers, body, archive_id, job_id)
        VALUES (e.webhook_id, e.event_type, e.path, 'accepted', 202, e.headers, e.body, new_archive, new_job)
        RETURNING id INTO new_event;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
DROP FUNCTION ioa_accept_new_archive(text, text, text, bigint, text, text, text, timestamptz, text, text, jsonb, text);

-- Down Migration
DROP FUNCTION ioa_accept_new_archives(jsonb);
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
  INSERT INTO archives (zone, logical_path, size, checksum, uploader, resource)
    VALUES (p_zone, p_path, p_size, p_checksum, p_uploader, p_resource) RETURNING id INTO v_archive;
  INSERT INTO jobs (archive_id, step, not_before)
    VALUES (v_archive, p_first_step, p_not_before) RETURNING id, jobs.run INTO v_job, v_run;
  INSERT INTO events (webhook_id, event_type, logical_path, verdict, http_status, headers, body, archive_id, job_id)
    VALUES (p_webhook_id, p_event_type, p_path, 'accepted', 202, p_headers, p_body, v_archive, v_job)
    RETURNING id INTO v_event;
  RETURN QUERY SELECT v_job, v_run, v_archive, v_event;
END $$;
