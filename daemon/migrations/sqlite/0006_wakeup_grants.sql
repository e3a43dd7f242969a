-- Users an administrator allowed to schedule wakeup calls for other extensions (a front desk).
-- Everyone else's wakeups call only their own extension.
CREATE TABLE wakeup_grants (
    extension TEXT PRIMARY KEY NOT NULL REFERENCES users(extension) ON DELETE CASCADE
);
