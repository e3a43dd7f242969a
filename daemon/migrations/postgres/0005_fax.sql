-- Fax jobs: outgoing faxes (a queue worked by the daemons) and received faxes (a record).
CREATE TABLE fax_jobs (
    id BIGSERIAL PRIMARY KEY,
    owner TEXT NOT NULL,
    direction TEXT NOT NULL,
    number TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    document_path TEXT,
    tiff_path TEXT,
    pdf_path TEXT,
    pages_total BIGINT NOT NULL DEFAULT 0,
    pages_sent BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 1,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    fax_status TEXT,
    fax_error TEXT,
    fax_status_string TEXT,
    remote_station_id TEXT,
    caller_id TEXT,
    error TEXT,
    channel_id TEXT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX fax_jobs_due ON fax_jobs (state, next_attempt_at);
CREATE INDEX fax_jobs_owner ON fax_jobs (owner, created_at);
