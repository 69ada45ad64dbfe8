-- Up Migration
-- iRODS metadata kept in OMERO (issue 20, use case D), and registrations broken by a rename or
-- removal in iRODS (docs/omero.md, docs/events.md).

-- One row per sync of one iRODS object's AVUs into OMERO. metadata.changed events for an object
-- join its pending row (at most one per path: the partial unique index), so a burst of events
-- inside the debounce window makes one sync; an event that arrives once the sync has started
-- makes the next one. The sync reads the object's AVUs when it runs, never the events' content.
CREATE TABLE omero_syncs (
  id             bigserial PRIMARY KEY,
  logical_path   text NOT NULL,
  entity_type    text NOT NULL CHECK (entity_type IN ('data_object', 'collection')),
  state          text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'retrying', 'succeeded', 'skipped', 'failed')),
  events         integer NOT NULL DEFAULT 1,
  first_event_id uuid REFERENCES events(id),
  last_event_id  uuid REFERENCES events(id),
  requested_at   timestamptz NOT NULL DEFAULT now(),
  -- The end of the debounce window: the sync does not start before.
  not_before     timestamptz NOT NULL,
  -- Outbox: NULL means committed here but not yet added to the BullMQ queue.
  enqueued_at    timestamptz,
  started_at     timestamptz,
  finished_at    timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  -- What the sync found and did (targets, annotation ids, CLI calls), or why it did nothing.
  outcome        jsonb NOT NULL DEFAULT '{}',
  error_code     text,
  error_message  text
);
CREATE UNIQUE INDEX omero_syncs_pending ON omero_syncs (logical_path) WHERE state = 'pending';
CREATE INDEX omero_syncs_recent ON omero_syncs (id DESC);
CREATE INDEX omero_syncs_path ON omero_syncs (logical_path, id DESC);
CREATE INDEX omero_syncs_outbox ON omero_syncs (not_before) WHERE enqueued_at IS NULL;

-- The MapAnnotation the agent keeps on each OMERO object an iRODS object became, and what it
-- last wrote there: an unchanged set needs no OMERO call, and the next change updates this
-- annotation instead of making another. Keyed by the server too: ids of two servers never mix.
CREATE TABLE omero_annotations (
  server         text NOT NULL,
  logical_path   text NOT NULL,
  target_type    text NOT NULL CHECK (target_type IN ('Image', 'Project', 'Dataset', 'Screen', 'Plate')),
  target_id      bigint NOT NULL,
  annotation_id  bigint NOT NULL,
  -- [[key, value], …] as last written (sorted by key); [] right after the annotation was made.
  written        jsonb NOT NULL DEFAULT '[]',
  written_at     timestamptz NOT NULL DEFAULT now(),
  sync_id        bigint REFERENCES omero_syncs(id) ON DELETE SET NULL,
  PRIMARY KEY (server, logical_path, target_type, target_id)
);

-- Data OMERO reads in place that an administrator renamed or removed in iRODS anyway
-- (registered_data.changed): the archive's registration is broken. One row per change and
-- archive; the archive's AVUs say so once avu_written_at is set.
CREATE TABLE omero_registration_breaks (
  id                       bigserial PRIMARY KEY,
  job_id                   uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  archive_id               bigint NOT NULL REFERENCES archives(id),
  event_id                 uuid REFERENCES events(id),
  logical_path             text NOT NULL,
  entity_type              text NOT NULL CHECK (entity_type IN ('data_object', 'collection')),
  operation                text NOT NULL CHECK (operation IN ('renamed', 'removed')),
  destination_logical_path text,
  changed_by               text NOT NULL,
  changed_at               timestamptz NOT NULL DEFAULT now(),
  avu_written_at           timestamptz,
  avu_error                text
);
CREATE INDEX omero_registration_breaks_job ON omero_registration_breaks (job_id, id);
CREATE INDEX omero_registration_breaks_avu_pending ON omero_registration_breaks (id) WHERE avu_written_at IS NULL;

-- Down Migration
DROP TABLE omero_registration_breaks;
DROP TABLE omero_annotations;
DROP TABLE omero_syncs;
