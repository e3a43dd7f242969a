CREATE TABLE followme (
    extension TEXT PRIMARY KEY NOT NULL REFERENCES users(extension) ON DELETE CASCADE,
    enabled BIGINT NOT NULL DEFAULT 0,
    initial_ring_secs BIGINT NOT NULL DEFAULT 0,
    steps_json TEXT NOT NULL DEFAULT '[]',
    confirm BIGINT NOT NULL DEFAULT 0,
    moh BIGINT NOT NULL DEFAULT 0,
    caller_id TEXT NOT NULL DEFAULT 'caller'
);
