//! Wakeup scheduling: pure schedule math (time zones, DST, recurrence), the pure decisions
//! taken around a call (catch-up after downtime, retry, snooze), the injectable clock, and the
//! scheduler loop that claims due wakeups and hands each member's call to a dialer.
//!
//! It does not place calls itself: the ARI call flow lives in `flows::wakeup`.

pub mod clock;
pub mod policy;
pub mod prompt;
pub mod rule;
pub mod scheduler;
pub mod zone;

pub use clock::{Clock, ManualClock, SystemClock};
pub use policy::Outcome;
pub use rule::{Rule, RuleError, WeekdaySet};
pub use scheduler::{
    CallResult, Scheduler, SchedulerConfig, SchedulerHandle, WakeupCall, WakeupDialer,
};
pub use zone::Zone;
