//! Call flows, one module each. Pure planning lives beside the I/O that executes it.

pub mod dispatch;
pub mod dnd_lamps;
pub mod fax;
pub mod features;
pub mod followme;
pub mod greeting;
pub mod inbound;
pub mod stasis_ready;
pub mod wakeup;
