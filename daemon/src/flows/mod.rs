//! Call flows, one module each. Pure planning lives beside the I/O that executes it.

pub mod dispatch;
pub mod fax;
pub mod followme;
pub mod greeting;
pub mod inbound;
pub mod stasis_ready;
pub mod wakeup;
