-- Up Migration
-- Which host and process ran each attempt of a step, and made each change in iRODS: with many
-- `work` processes on many hosts, the first thing an administrator asks about a failed or slow
-- attempt is where it ran (whose log to read). job_steps keeps one row per (job, run, step)
-- with an attempt counter; the attempts themselves get rows of their own here.
CREATE TABLE job_step_attempts (
  job_id      uuid NOT NULL,
  run         integer NOT NULL,
  step        text NOT NULL,
  attempt     integer NOT NULL,
  host        text NOT NULL,
  pid         integer NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  state       text NOT NULL DEFAULT 'running',
  error_code  text,
  PRIMARY KEY (job_id, run, step, attempt),
  FOREIGN KEY (job_id, run, step) REFERENCES job_steps (job_id, run, step) ON DELETE CASCADE
);

-- Rows written before this migration have neither (NULL: unknown).
ALTER TABLE audit ADD COLUMN host text;
ALTER TABLE audit ADD COLUMN pid integer;

-- Down Migration
ALTER TABLE audit DROP COLUMN pid;
ALTER TABLE audit DROP COLUMN host;
DROP TABLE job_step_attempts;
