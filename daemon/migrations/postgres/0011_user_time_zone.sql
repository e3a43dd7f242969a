-- Each user's own time zone (an IANA name) for the times the portal shows and the zone a new
-- wakeup starts in. Empty means the portal's configured default, or the host's zone, so
-- existing users follow that default until they choose one.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
