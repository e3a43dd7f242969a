-- Each user's own time zone (an IANA name) for the times the portal shows and the zone a new
-- wakeup starts in. Empty means the portal's configured default, or the host's zone, so
-- existing users follow that default until they choose one.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';

-- The name of the file a user uploaded to send as a fax, shown in their fax lists (the fax
-- flow keeps the document under a name of its own). Empty for faxes sent before.
ALTER TABLE fax_jobs ADD COLUMN file_name TEXT NOT NULL DEFAULT '';

-- Set by an administrator: the user must choose a new password before using the portal;
-- cleared when they change it.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
