-- The portal's first-login walk-through (new password, time zone, greeting, follow-me) is
-- shown to a user until they finish or skip it; an administrator may turn it off. New users
-- get it; users who have already logged in to the portal do not.
ALTER TABLE users ADD COLUMN walkthrough BIGINT NOT NULL DEFAULT 1;
UPDATE users SET walkthrough = 0 WHERE extension IN (SELECT extension FROM portal_sessions);
