//! Media path: prompt transcoding to what Asterisk plays, and fax document conversion.
//! Synchronous and self-contained; callers in async code run it on a blocking thread.
pub mod analysis;
pub mod fax;
pub mod g711;
pub mod gsm;
pub mod mp3_chunks;
pub mod polyphase;
pub mod resample;
pub mod sink;
pub mod sniff;
pub mod source;
pub mod transcode;
pub mod wav_header;

pub use transcode::{
    OutputFormat, Threads, TranscodeError, TranscodeOptions, TranscodeReport, transcode_file,
};
