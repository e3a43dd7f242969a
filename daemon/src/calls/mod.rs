//! Call history's I/O: CDRs into the store (live from the manager link, caught up from
//! `cdr_csv`'s `Master.csv` after any gap), exports of a history to CSV and XLSX, and the
//! recordings CDRs name.
//!
//! - [`catch_up`]: reads `Master.csv` from the offset stored last time.
//! - [`ingest`]: the service `serve` runs: live `Cdr` events, catch-ups, daily pruning.
//! - [`export`]: a filtered history streamed to CSV or XLSX, written through a temp file.
//! - [`recordings`]: a CDR's recording as a file inside the recordings directory, never
//!   outside it.
//!
//! Not here: parsing and grouping records (see [`crate::cdr`], pure), SQL
//! (`crate::store::calls`), or who may see what (the portal's backend).

pub mod catch_up;
pub mod export;
pub mod ingest;
pub mod recordings;

use crate::schedule::zone::Zone;

/// The zone CDR times are written in: `name`, or this machine's zone when empty. An unknown
/// name is an error for the operator.
pub fn cdr_zone(name: &str) -> Result<Zone, crate::schedule::zone::UnknownZone> {
    if !name.trim().is_empty() {
        return Zone::parse(name.trim());
    }
    let system = jiff::tz::TimeZone::system();
    match system.iana_name() {
        Some(n) => Zone::parse(n).or_else(|_| Ok(Zone::utc())),
        None => Ok(Zone::utc()),
    }
}
