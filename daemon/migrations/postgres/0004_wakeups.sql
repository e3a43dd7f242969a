CREATE TABLE wakeups (
    id BIGSERIAL PRIMARY KEY,
    owner TEXT NOT NULL REFERENCES users(extension) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    prompt TEXT NOT NULL,
    rule TEXT NOT NULL,
    tz TEXT NOT NULL,
    members TEXT NOT NULL,
    ring_secs BIGINT NOT NULL,
    retries BIGINT NOT NULL,
    retry_interval_mins BIGINT NOT NULL,
    snooze_mins BIGINT NOT NULL,
    next_fire_at BIGINT,
    claimed_by TEXT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX wakeups_due ON wakeups (next_fire_at) WHERE enabled = 1;
CREATE INDEX wakeups_owner ON wakeups (owner);
CREATE INDEX wakeups_claim ON wakeups (claimed_by);

CREATE TABLE wakeup_calls (
    id BIGSERIAL PRIMARY KEY,
    wakeup_id BIGINT NOT NULL REFERENCES wakeups(id) ON DELETE CASCADE,
    member TEXT NOT NULL,
    fire_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    retries_used BIGINT NOT NULL DEFAULT 0,
    snoozes BIGINT NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until BIGINT
);
CREATE INDEX wakeup_calls_due ON wakeup_calls (due_at);
CREATE INDEX wakeup_calls_claim ON wakeup_calls (claimed_by);
CREATE INDEX wakeup_calls_wakeup ON wakeup_calls (wakeup_id);

CREATE TABLE wakeup_attempts (
    id BIGSERIAL PRIMARY KEY,
    wakeup_id BIGINT NOT NULL REFERENCES wakeups(id) ON DELETE CASCADE,
    member TEXT NOT NULL,
    fire_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    outcome TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX wakeup_attempts_wakeup ON wakeup_attempts (wakeup_id, started_at);
