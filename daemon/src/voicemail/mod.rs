//! Voicemail as app_voicemail keeps it: which greeting a caller hears (a pure rule), the
//! greeting files in the voicemail spool, and the inbox of recorded messages. Calls into
//! voicemail are the dialplan's; Ringside writes only what app_voicemail reads by name
//! (greetings) and changes messages only through the manager interface.
//!
//! - [`greeting_rule`], [`greetings`]: greetings.
//! - [`message_file`]: the `msgNNNN.txt` parser (pure).
//! - [`spool`]: message folders as app_voicemail lays them out on disk (read-only).
//! - [`recording`]: a message's audio served as a WAV browsers play, any byte range.
//! - [`inbox`]: listing, paging and the changes (move, delete, mark read) by msg_id.

pub mod greeting_rule;
pub mod greetings;
pub mod inbox;
pub mod message_file;
pub mod parsed_cache;
pub mod recording;
pub mod spool;
