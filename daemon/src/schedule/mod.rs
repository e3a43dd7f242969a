//! Wakeup schedule maths, pure: time zones, DST and recurrence, the decisions taken around a
//! call (catch-up after downtime, retry, snooze), prompt names, and the injectable clock.
//!
//! It touches neither the database nor Asterisk: the scheduler loop that claims due wakeups
//! from the store and the ARI call flow live in `flows::wakeup`.

pub mod clock;
pub mod policy;
pub mod prompt;
pub mod rule;
pub mod window;
pub mod zone;

pub use clock::{Clock, ManualClock, SystemClock};
pub use policy::Outcome;
pub use rule::{Rule, RuleError, WeekdaySet};
pub use window::{WeeklyWindow, WindowError};
pub use zone::Zone;
