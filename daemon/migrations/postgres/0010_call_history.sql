-- Call history: every CDR Asterisk wrote, stored once however it arrived (the manager's Cdr
-- events or cdr_csv's Master.csv), the calls they make up (grouped by linkedid) and, per
-- call, the extensions on either side with the direction each saw.
CREATE TABLE cdrs (
    id BIGSERIAL PRIMARY KEY,
    cdr_key TEXT NOT NULL,
    call_id TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    linked_id TEXT,
    sequence BIGINT,
    start_at BIGINT NOT NULL,
    answer_at BIGINT,
    end_at BIGINT NOT NULL,
    duration_secs BIGINT NOT NULL,
    billable_secs BIGINT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    destination_context TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    destination_channel TEXT NOT NULL,
    last_application TEXT NOT NULL,
    last_data TEXT NOT NULL,
    disposition TEXT NOT NULL,
    account_code TEXT NOT NULL,
    ama_flags TEXT NOT NULL,
    user_field TEXT NOT NULL,
    peer_account TEXT NOT NULL,
    recording TEXT,
    received_via TEXT NOT NULL
);
CREATE UNIQUE INDEX cdrs_key ON cdrs (cdr_key);
CREATE INDEX cdrs_call ON cdrs (call_id);

-- One row per call, rebuilt from its CDRs whenever one of them arrives.
CREATE TABLE calls (
    call_id TEXT PRIMARY KEY NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    caller TEXT NOT NULL,
    caller_name TEXT NOT NULL,
    callee TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('answered', 'missed', 'busy', 'failed')),
    internal BIGINT NOT NULL,
    answered_by TEXT NOT NULL,
    talk_secs BIGINT NOT NULL,
    duration_secs BIGINT NOT NULL,
    recording TEXT,
    cdr_count BIGINT NOT NULL
);
CREATE INDEX calls_started ON calls (started_at);

-- Who a call belongs to: an extension seen as source, destination or either channel.
-- Start, status and direction are copied here so one user's filtered page is one index range.
CREATE TABLE call_parties (
    call_id TEXT NOT NULL,
    extension TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'internal')),
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (call_id, extension)
);
CREATE INDEX call_parties_user ON call_parties (extension, started_at);

-- How far a CDR file (Master.csv) has been read, in bytes.
CREATE TABLE cdr_cursors (
    source TEXT PRIMARY KEY NOT NULL,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The portal's call history menu, and who may replay recordings: none, own calls, all calls.
ALTER TABLE users ADD COLUMN access_calls TEXT NOT NULL DEFAULT 'write' CHECK (access_calls IN ('no', 'read', 'write'));
ALTER TABLE users ADD COLUMN recording_replay TEXT NOT NULL DEFAULT 'own' CHECK (recording_replay IN ('none', 'own', 'all'));
