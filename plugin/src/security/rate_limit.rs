//! Login rate limiting: failed attempts are counted per extension and per client address in a
//! fixed window; once either count reaches its limit, further attempts are refused (429) until
//! the window ends, without checking the password. A successful login clears the extension's
//! count. Time is passed in, so the rules are tested without waiting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries are dropped once their window has passed; this bounds memory under a spray of
/// distinct names.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

#[derive(Debug, Default)]
struct Counters {
    users: HashMap<String, Window>,
    ips: HashMap<IpAddr, Window>,
}

#[derive(Debug)]
pub struct LoginLimiter {
    per_user: u32,
    per_ip: u32,
    window: Duration,
    counters: Mutex<Counters>,
}

impl LoginLimiter {
    pub fn new(per_user: u32, per_ip: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_user,
            per_ip,
            window,
            counters: Mutex::new(Counters::default()),
        }
    }

    /// `Err(seconds to wait)` when this extension or address has used up its attempts.
    pub fn check(&self, extension: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let counters = self.lock();
        let blocked_user = counters
            .users
            .get(extension)
            .and_then(|w| self.blocked(w, self.per_user, now));
        let blocked_ip = ip
            .and_then(|ip| counters.ips.get(&ip))
            .and_then(|w| self.blocked(w, self.per_ip, now));
        match blocked_user.into_iter().chain(blocked_ip).max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, extension: &str, ip: Option<IpAddr>, now: Instant) {
        let window = self.window;
        let mut counters = self.lock();
        if counters.users.len() > PRUNE_ABOVE || counters.ips.len() > PRUNE_ABOVE {
            counters
                .users
                .retain(|_, w| now.duration_since(w.started) < window);
            counters
                .ips
                .retain(|_, w| now.duration_since(w.started) < window);
        }
        bump(
            counters
                .users
                .entry(extension.to_owned())
                .or_insert(fresh(now)),
            now,
            window,
        );
        if let Some(ip) = ip {
            bump(counters.ips.entry(ip).or_insert(fresh(now)), now, window);
        }
    }

    pub fn record_success(&self, extension: &str) {
        self.lock().users.remove(extension);
    }

    fn blocked(&self, w: &Window, limit: u32, now: Instant) -> Option<u64> {
        let elapsed = now.duration_since(w.started);
        if elapsed >= self.window || w.failures < limit {
            return None;
        }
        Some((self.window - elapsed).as_secs().max(1))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        // A panic while holding the lock cannot leave the counters inconsistent, so a
        // poisoned lock is still usable.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn fresh(now: Instant) -> Window {
    Window {
        started: now,
        failures: 0,
    }
}

fn bump(w: &mut Window, now: Instant, window: Duration) {
    if now.duration_since(w.started) >= window {
        *w = fresh(now);
    }
    w.failures += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7)));

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(3, 5, Duration::from_secs(60))
    }

    #[test]
    fn user_is_blocked_after_the_allowed_failures() {
        let (l, t) = (limiter(), Instant::now());
        for _ in 0..3 {
            assert!(l.check("100", None, t).is_ok());
            l.record_failure("100", None, t);
        }
        assert_eq!(l.check("100", None, t), Err(60));
    }

    #[test]
    fn block_ends_when_the_window_has_passed() {
        let (l, t) = (limiter(), Instant::now());
        (0..3).for_each(|_| l.record_failure("100", None, t));
        assert!(l.check("100", None, t + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn address_is_blocked_across_extensions() {
        let (l, t) = (limiter(), Instant::now());
        for ext in ["1", "2", "3", "4", "5"] {
            l.record_failure(ext, IP, t);
        }
        assert!(l.check("6", IP, t).is_err());
        assert!(l.check("6", None, t).is_ok());
    }

    #[test]
    fn success_clears_the_extension_count() {
        let (l, t) = (limiter(), Instant::now());
        (0..2).for_each(|_| l.record_failure("100", None, t));
        l.record_success("100");
        l.record_failure("100", None, t);
        assert!(l.check("100", None, t).is_ok());
    }
}
