//! Voicemail as app_voicemail keeps it: which greeting a caller hears (a pure rule) and the
//! greeting files in the voicemail spool. Calls into voicemail are the dialplan's; this module
//! only reads and writes what app_voicemail reads.

pub mod greeting_rule;
pub mod greetings;
