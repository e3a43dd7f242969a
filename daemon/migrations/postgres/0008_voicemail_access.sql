-- The portal's voicemail menu gets an access level like the other menus; users that exist
-- already may use it, as every menu starts.
ALTER TABLE users ADD COLUMN access_voicemail TEXT NOT NULL DEFAULT 'write' CHECK (access_voicemail IN ('no', 'read', 'write'));
