-- Which file a CDR cursor's offset belongs to, so a Master.csv rotated away or truncated is
-- noticed: the file's device and inode, and a digest of its first line (logrotate's
-- copytruncate keeps the inode and leaves a copy with another inode but the same first line).
-- Both are empty for a cursor stored before they were kept.
ALTER TABLE cdr_cursors ADD COLUMN device BIGINT;
ALTER TABLE cdr_cursors ADD COLUMN inode BIGINT;
ALTER TABLE cdr_cursors ADD COLUMN head_digest TEXT;
