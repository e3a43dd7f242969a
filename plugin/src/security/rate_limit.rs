//! Login throttling: increasing delays per (login, client address) instead of a hard lockout.
//!
//! Each attempt is reserved before the password is checked ([`LoginLimiter::begin`]), so
//! parallel guesses cannot all slip through before the first failure is counted, and settled
//! afterwards with its outcome ([`Attempt`]). After `free` failures a key must wait before its next
//! attempt: 1 s, 2 s, 4 s, … up to `max_delay`; failures are forgotten `window` after the last
//! one. Attempts still being checked count as failures until they are settled.
//!
//! A second, looser budget applies per client address across logins (password spraying). It
//! is not applied to administrators' logins: a stranger must never be able to lock an admin
//! out, and an admin's own (login, address) key already slows guessing at their password.
//!
//! Pure bookkeeping with the time passed in; it knows nothing of HTTP or passwords.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries whose failures were forgotten are dropped once a map holds this many; this bounds
/// memory under a spray of distinct names.
const PRUNE_ABOVE: usize = 10_000;
/// The first delay after the free attempts are used up; each further failure doubles it.
const FIRST_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    in_flight: u32,
    last_failure: Instant,
}

impl Record {
    fn new(now: Instant) -> Record {
        Record {
            failures: 0,
            in_flight: 0,
            last_failure: now,
        }
    }
}

/// How many failures a key may have before delays start, and how long they may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub free: u32,
    pub max_delay: Duration,
}

#[derive(Debug, Default)]
struct Records {
    logins: HashMap<(String, Option<IpAddr>), Record>,
    addresses: HashMap<IpAddr, Record>,
}

/// A reserved attempt. Settle it with its outcome; one dropped unsettled (the request was
/// abandoned while its password was being checked) counts as failed.
#[derive(Debug)]
#[must_use = "an attempt counts as failed unless settled"]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    login: (String, Option<IpAddr>),
    address: Option<IpAddr>,
    settled: bool,
}

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    /// The password was never checked (the server was busy or failed): nothing to count.
    NotChecked,
}

impl Attempt<'_> {
    pub fn succeeded(mut self, now: Instant) {
        self.settle(Outcome::Succeeded, now);
    }

    pub fn failed(mut self, now: Instant) {
        self.settle(Outcome::Failed, now);
    }

    pub fn not_checked(mut self, now: Instant) {
        self.settle(Outcome::NotChecked, now);
    }

    fn settle(&mut self, outcome: Outcome, now: Instant) {
        if !self.settled {
            self.settled = true;
            self.limiter.finish(self, outcome, now);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.settle(Outcome::Failed, Instant::now());
    }
}

#[derive(Debug)]
pub struct LoginLimiter {
    per_login: Budget,
    per_address: Budget,
    window: Duration,
    records: Mutex<Records>,
}

impl LoginLimiter {
    pub fn new(per_login: Budget, per_address: Budget, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_login,
            per_address,
            window,
            records: Mutex::new(Records::default()),
        }
    }

    /// Reserves an attempt for `login` from `ip`, or `Err(seconds to wait)`. `admin` exempts
    /// the attempt from the per-address budget (never from its own login's).
    pub fn begin(
        &self,
        login: &str,
        ip: Option<IpAddr>,
        admin: bool,
        now: Instant,
    ) -> Result<Attempt<'_>, u64> {
        let mut records = self.lock();
        self.prune(&mut records, now);
        let key = (login.to_owned(), ip);
        let login_wait = records
            .logins
            .get(&key)
            .and_then(|r| self.wait(r, self.per_login, now));
        let address = ip.filter(|_| !admin);
        let address_wait = address
            .and_then(|ip| records.addresses.get(&ip))
            .and_then(|r| self.wait(r, self.per_address, now));
        if let Some(wait) = login_wait.into_iter().chain(address_wait).max() {
            return Err(wait.as_secs().max(1));
        }
        self.reserve(
            records
                .logins
                .entry(key.clone())
                .or_insert(Record::new(now)),
            now,
        );
        if let Some(ip) = address {
            self.reserve(records.addresses.entry(ip).or_insert(Record::new(now)), now);
        }
        Ok(Attempt {
            limiter: self,
            login: key,
            address,
            settled: false,
        })
    }

    /// Settles a reserved attempt. Success forgets the login's failures from that address
    /// (not the address's: one known password must not reset a spray).
    fn finish(&self, attempt: &Attempt<'_>, outcome: Outcome, now: Instant) {
        let mut records = self.lock();
        let settle = |r: &mut Record| {
            r.in_flight = r.in_flight.saturating_sub(1);
            if outcome == Outcome::Failed {
                r.failures = r.failures.saturating_add(1);
                r.last_failure = now;
            }
        };
        if outcome == Outcome::Succeeded {
            records.logins.remove(&attempt.login);
        } else if let Some(r) = records.logins.get_mut(&attempt.login) {
            settle(r);
        }
        if let Some(r) = attempt
            .address
            .and_then(|ip| records.addresses.get_mut(&ip))
        {
            settle(r);
        }
    }

    /// Starts counting a reservation, forgetting failures older than the window.
    fn reserve(&self, r: &mut Record, now: Instant) {
        if r.in_flight == 0 && now.duration_since(r.last_failure) >= self.window {
            *r = Record::new(now);
        }
        r.in_flight += 1;
    }

    /// How long a key must still wait, counting attempts in flight as failures.
    fn wait(&self, r: &Record, budget: Budget, now: Instant) -> Option<Duration> {
        let forgotten = r.in_flight == 0 && now.duration_since(r.last_failure) >= self.window;
        let counted = r.failures.saturating_add(r.in_flight);
        if forgotten || counted < budget.free {
            return None;
        }
        let delay = delay_after(counted - budget.free, budget.max_delay);
        if r.in_flight > 0 {
            // The outcome of an attempt in flight is not known yet: wait as if it failed now.
            return Some(delay);
        }
        let ready_at = r.last_failure + delay;
        (now < ready_at).then(|| ready_at - now)
    }

    fn prune(&self, records: &mut Records, now: Instant) {
        let window = self.window;
        let live = |r: &Record| r.in_flight > 0 || now.duration_since(r.last_failure) < window;
        if records.logins.len() > PRUNE_ABOVE {
            records.logins.retain(|_, r| live(r));
        }
        if records.addresses.len() > PRUNE_ABOVE {
            records.addresses.retain(|_, r| live(r));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        // A panic while holding the lock cannot leave the records inconsistent, so a
        // poisoned lock is still usable.
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The delay after `beyond` failures past the free ones: 1 s doubling, at most `max`.
pub fn delay_after(beyond: u32, max: Duration) -> Duration {
    let factor = 1u32.checked_shl(beyond).unwrap_or(u32::MAX);
    FIRST_DELAY.saturating_mul(factor).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7)));
    const OTHER_IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 8)));
    const MAX: Duration = Duration::from_secs(60);

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(
            Budget {
                free: 3,
                max_delay: MAX,
            },
            Budget {
                free: 5,
                max_delay: MAX,
            },
            Duration::from_secs(900),
        )
    }

    fn fail(l: &LoginLimiter, login: &str, ip: Option<IpAddr>, now: Instant) {
        l.begin(login, ip, false, now)
            .expect("attempt allowed")
            .failed(now);
    }

    #[test]
    fn free_failures_need_no_wait() {
        let (l, t) = (limiter(), Instant::now());
        (0..3).for_each(|_| fail(&l, "100", IP, t));
        assert_eq!(l.begin("100", IP, false, t).err(), Some(1));
    }

    #[test]
    fn delays_double_with_each_further_failure_up_to_the_cap() {
        assert_eq!(delay_after(0, MAX), Duration::from_secs(1));
        assert_eq!(delay_after(3, MAX), Duration::from_secs(8));
        assert_eq!(delay_after(10, MAX), MAX);
        assert_eq!(delay_after(200, MAX), MAX);
    }

    #[test]
    fn after_the_delay_the_login_may_try_again() {
        let (l, t) = (limiter(), Instant::now());
        (0..3).for_each(|_| fail(&l, "100", IP, t));
        let later = t + Duration::from_secs(1);
        fail(&l, "100", IP, later);
        assert_eq!(l.begin("100", IP, false, later).err(), Some(2));
        assert!(
            l.begin("100", IP, false, later + Duration::from_secs(2))
                .is_ok()
        );
    }

    #[test]
    fn attempts_in_flight_count_before_their_outcome_is_known() {
        let (l, t) = (limiter(), Instant::now());
        let held: Vec<Attempt<'_>> = (0..3)
            .map(|_| l.begin("100", IP, false, t).expect("free attempt"))
            .collect();
        assert!(l.begin("100", IP, false, t).is_err());
        held.into_iter().for_each(|a| a.not_checked(t));
        assert!(l.begin("100", IP, false, t).is_ok());
    }

    #[test]
    fn a_stranger_elsewhere_does_not_slow_the_login_from_its_own_address() {
        let (l, t) = (limiter(), Instant::now());
        (0..10).for_each(|_| {
            if let Ok(a) = l.begin("100", OTHER_IP, false, t) {
                a.failed(t);
            }
        });
        assert!(l.begin("100", IP, false, t).is_ok());
    }

    #[test]
    fn a_spraying_address_is_slowed_across_logins() {
        let (l, t) = (limiter(), Instant::now());
        for login in ["1", "2", "3", "4", "5"] {
            fail(&l, login, IP, t);
        }
        assert!(l.begin("6", IP, false, t).is_err());
        assert!(l.begin("6", OTHER_IP, false, t).is_ok());
    }

    #[test]
    fn an_admin_is_not_slowed_by_the_address_budget() {
        let (l, t) = (limiter(), Instant::now());
        for login in ["1", "2", "3", "4", "5", "6", "7"] {
            if let Ok(a) = l.begin(login, IP, false, t) {
                a.failed(t);
            }
        }
        assert!(l.begin("root", IP, true, t).is_ok());
    }

    #[test]
    fn an_abandoned_attempt_counts_as_failed() {
        let (l, t) = (limiter(), Instant::now());
        (0..3).for_each(|_| drop(l.begin("100", IP, false, t).expect("attempt")));
        assert!(
            l.begin("100", IP, false, t + Duration::from_millis(1))
                .is_err()
        );
    }

    #[test]
    fn success_forgets_the_logins_failures() {
        let (l, t) = (limiter(), Instant::now());
        (0..2).for_each(|_| fail(&l, "100", IP, t));
        l.begin("100", IP, false, t).expect("attempt").succeeded(t);
        (0..3).for_each(|_| fail(&l, "100", IP, t));
        assert_eq!(l.begin("100", IP, false, t).err(), Some(1));
    }

    #[test]
    fn failures_are_forgotten_after_the_window() {
        let (l, t) = (limiter(), Instant::now());
        (0..8).for_each(|i| fail(&l, "100", IP, t + Duration::from_secs(120 * i)));
        let later = t + Duration::from_secs(120 * 7 + 900);
        assert!(l.begin("100", IP, false, later).is_ok());
    }
}
