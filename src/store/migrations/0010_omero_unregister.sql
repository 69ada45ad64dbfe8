-- Up Migration
-- `omero unregister` removes an archive's registration from OMERO and its AVUs from iRODS: the
-- breaks recorded against that registration (renames and removals of data OMERO read in place)
-- no longer concern anyone. They are kept for the record, marked cleared, and no longer shown
-- (feed, archive AVUs) nor written.
ALTER TABLE omero_registration_breaks
  ADD COLUMN cleared_at timestamptz,
  ADD COLUMN cleared_by_run integer;

-- Down Migration
ALTER TABLE omero_registration_breaks
  DROP COLUMN cleared_by_run,
  DROP COLUMN cleared_at;
