//! Fax through Asterisk: outgoing jobs (queue → convert → call → `SendFAX` → result, with
//! retries) and incoming faxes (`ReceiveFAX` → TIFF + PDF in the data dir → record).
//!
//! - [`machine`]: the pure job state machine and retry decisions.
//!
//! Document conversion itself is `media::fax`; storage is `store::fax`.

pub mod machine;
