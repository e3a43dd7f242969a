-- The call history is read newest first, page after page, ordered by start then call id:
-- indexes in that order let each page start where the last one ended, without a sort.
DROP INDEX calls_started;
CREATE INDEX calls_started ON calls (started_at, call_id);
DROP INDEX call_parties_user;
CREATE INDEX call_parties_user ON call_parties (extension, started_at, call_id);
