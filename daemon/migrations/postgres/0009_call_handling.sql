-- Call handling per extension: do-not-disturb with an allow-list (JSON array of numbers),
-- call forward always / busy / no answer (each on/off with its number kept), the own
-- device's ring time (NULL: the default) and the zone weekly time rules are read in. A time
-- rule is a window such as 'mon-fri,08:00-18:00' (NULL: always) applying inside it, or
-- outside it when *_outside is 1.
CREATE TABLE call_handling (
    extension TEXT PRIMARY KEY NOT NULL REFERENCES users(extension) ON DELETE CASCADE,
    dnd BIGINT NOT NULL DEFAULT 0,
    dnd_allow TEXT NOT NULL DEFAULT '[]',
    dnd_schedule TEXT,
    dnd_outside BIGINT NOT NULL DEFAULT 0,
    fwd_always_on BIGINT NOT NULL DEFAULT 0,
    fwd_always_number TEXT NOT NULL DEFAULT '',
    fwd_always_schedule TEXT,
    fwd_always_outside BIGINT NOT NULL DEFAULT 0,
    fwd_busy_on BIGINT NOT NULL DEFAULT 0,
    fwd_busy_number TEXT NOT NULL DEFAULT '',
    fwd_busy_schedule TEXT,
    fwd_busy_outside BIGINT NOT NULL DEFAULT 0,
    fwd_no_answer_on BIGINT NOT NULL DEFAULT 0,
    fwd_no_answer_number TEXT NOT NULL DEFAULT '',
    fwd_no_answer_schedule TEXT,
    fwd_no_answer_outside BIGINT NOT NULL DEFAULT 0,
    ring_secs BIGINT,
    time_zone TEXT NOT NULL DEFAULT 'UTC'
);

-- The portal's call handling menu gets an access level like the other menus; users that
-- exist already may use it, as every menu starts.
ALTER TABLE users ADD COLUMN access_call_handling TEXT NOT NULL DEFAULT 'write' CHECK (access_call_handling IN ('no', 'read', 'write'));
