-- Up Migration
-- The agent's source of truth. BullMQ only schedules; every fact lives here (DESIGN.md).

-- One row per version of an archive data object (a re-upload with another size, checksum or
-- modify time is a new version and gets a new job). Versions are told apart by comparison under
-- a per-path advisory lock (intake/), not by a key: events carry different subsets of the facts.
CREATE TABLE archives (
  id            bigserial PRIMARY KEY,
  zone          text NOT NULL,
  logical_path  text NOT NULL,
  size          bigint,
  checksum      text,
  modified_at   timestamptz,
  uploader      text,
  resource      text,
  format        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX archives_path ON archives (logical_path, id DESC);

CREATE TABLE jobs (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  archive_id       bigint NOT NULL REFERENCES archives(id),
  state            text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  step             text NOT NULL DEFAULT 'inspect',
  -- Incremented on each replay, so BullMQ job ids stay unique per run.
  run              integer NOT NULL DEFAULT 1,
  target_path      text,
  flags            text[] NOT NULL DEFAULT '{}',
  warnings         jsonb NOT NULL DEFAULT '[]',
  error_code       text,
  error_message    text,
  error_entry      text,
  irods_status     integer,
  progress         jsonb NOT NULL DEFAULT '{}',
  cancel_requested boolean NOT NULL DEFAULT false,
  -- Debounce: the first step does not start before this time.
  not_before       timestamptz,
  -- Outbox: NULL means committed here but not yet added to BullMQ (re-enqueued on start/sweep).
  enqueued_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz
);
CREATE INDEX jobs_state ON jobs (state, updated_at);
CREATE INDEX jobs_archive ON jobs (archive_id);
CREATE INDEX jobs_outbox ON jobs (created_at) WHERE enqueued_at IS NULL;

CREATE TABLE job_steps (
  job_id        uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  run           integer NOT NULL,
  step          text NOT NULL,
  state         text NOT NULL
                CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  attempts      integer NOT NULL DEFAULT 0,
  started_at    timestamptz,
  finished_at   timestamptz,
  error_code    text,
  error_message text,
  detail        jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (job_id, run, step)
);

-- Every request to POST /v1/events, accepted or not, with its verdict and reason.
CREATE TABLE events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id    text,
  received_at   timestamptz NOT NULL DEFAULT now(),
  event_type    text,
  logical_path  text,
  verdict       text NOT NULL
                CHECK (verdict IN ('accepted', 'duplicate', 'replayed', 'ignored', 'rejected')),
  reason        text,
  http_status   integer NOT NULL,
  headers       jsonb NOT NULL DEFAULT '{}',
  body          text,
  archive_id    bigint REFERENCES archives(id),
  job_id        uuid REFERENCES jobs(id)
);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_webhook_id ON events (webhook_id);

-- Replay protection: webhook ids seen with a valid signature.
CREATE TABLE webhook_deliveries (
  webhook_id  text PRIMARY KEY,
  first_seen  timestamptz NOT NULL DEFAULT now()
);

-- Per-entry progress of an expansion: what makes it resumable after a crash or replay.
CREATE TABLE entries (
  job_id         uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  path           text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('file', 'directory')),
  size           bigint,
  crc32          bigint,
  state          text NOT NULL CHECK (state IN ('pending', 'writing', 'written', 'failed')),
  bytes_written  bigint NOT NULL DEFAULT 0,
  irods_checksum text,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, path)
);

-- Every change the agent made in iRODS.
CREATE TABLE audit (
  id      bigserial PRIMARY KEY,
  job_id  uuid REFERENCES jobs(id) ON DELETE CASCADE,
  at      timestamptz NOT NULL DEFAULT now(),
  action  text NOT NULL,
  lpath   text NOT NULL,
  detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_job ON audit (job_id, id);

-- Down Migration
DROP TABLE audit;
DROP TABLE entries;
DROP TABLE webhook_deliveries;
DROP TABLE events;
DROP TABLE job_steps;
DROP TABLE jobs;
DROP TABLE archives;
