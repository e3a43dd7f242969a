//! Wakeup scheduling: pure schedule math (time zones, DST, recurrence) and the scheduler loop.
