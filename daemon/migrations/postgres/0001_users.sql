-- Users are keyed by their login: the extension number, or a name for a portal-only admin.
CREATE TABLE users (
    extension TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    portal_enabled BIGINT NOT NULL DEFAULT 0,
    is_admin BIGINT NOT NULL DEFAULT 0,
    enabled BIGINT NOT NULL DEFAULT 1,
    access_profile TEXT NOT NULL DEFAULT 'write' CHECK (access_profile IN ('no', 'read', 'write')),
    access_followme TEXT NOT NULL DEFAULT 'write' CHECK (access_followme IN ('no', 'read', 'write')),
    access_greetings TEXT NOT NULL DEFAULT 'write' CHECK (access_greetings IN ('no', 'read', 'write')),
    access_wakeup TEXT NOT NULL DEFAULT 'write' CHECK (access_wakeup IN ('no', 'read', 'write')),
    access_fax TEXT NOT NULL DEFAULT 'write' CHECK (access_fax IN ('no', 'read', 'write')),
    created_at BIGINT NOT NULL
);

-- System-wide settings as key/value rows (values are JSON).
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
