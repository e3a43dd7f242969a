//! Call detail records as Asterisk writes them, and the calls they make up: pure data and
//! rules, no I/O.
//!
//! - [`record`]: one CDR, checked (times, durations, disposition), its dedup key, and the
//!   extension a channel name belongs to.
//! - [`master_csv`]: `cdr_csv`'s `Master.csv` lines, complete lines only.
//! - [`grouping`]: the CDR rows of one `linkedid` turned into one call (who called whom, how
//!   it ended, which leg answered) and each party's direction.
//! - [`filter`]: the filters of a user's history, parsed from what people type.
//!
//! Not here: reading files, the manager link or the database (see `crate::calls` and
//! `crate::store::calls`).

pub mod filter;
pub mod grouping;
pub mod master_csv;
pub mod record;

pub use filter::{CallFilter, Direction, FilterError, Status};
pub use grouping::{CallSummary, Party, summarize};
pub use record::{Cdr, CdrProblem, Disposition, channel_extension};
