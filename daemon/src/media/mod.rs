//! Media path: prompt transcoding to what Asterisk plays, and fax document conversion.
//! Synchronous and self-contained; callers in async code run it on a blocking thread.
pub mod fax;
