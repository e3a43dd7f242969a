-- Portal login sessions; kept in the database so a daemon restart logs nobody out.
CREATE TABLE portal_sessions (
    -- BLAKE2s-256 digest (hex) of the session id; the id itself lives only in the cookie.
    id TEXT PRIMARY KEY NOT NULL,
    extension TEXT NOT NULL REFERENCES users(extension) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_extension ON portal_sessions (extension);
CREATE INDEX portal_sessions_expires_at ON portal_sessions (expires_at);
