//! Settings of the portal that the daemon passes to [`router`](crate::router).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    /// Mark cookies `Secure`; leave off when serving plain HTTP on a LAN.
    pub secure_cookies: bool,
    /// How long a session lasts after login.
    pub session_ttl: Duration,
    /// Largest greeting upload accepted (checked while streaming).
    pub greeting_max_bytes: usize,
    /// Largest fax document accepted (checked while streaming).
    pub fax_max_bytes: usize,
    /// Largest CSV import accepted.
    pub csv_max_bytes: usize,
    /// Largest ordinary form or JSON body.
    pub form_max_bytes: usize,
    /// Failed logins of one extension from one client address before each further attempt
    /// must wait (1 s, doubling up to `login_max_delay`; sooner answers 429).
    pub login_failures_per_user: u32,
    /// Failed logins from one client address, across extensions, before the same delays
    /// apply to that address (administrators' logins are exempt from this one).
    pub login_failures_per_ip: u32,
    /// Longest wait a run of failures can impose.
    pub login_max_delay: Duration,
    /// Failures are forgotten this long after the last one.
    pub login_window: Duration,
    /// Password checks (argon2) running at once; more wait for a turn.
    pub password_checks_at_once: usize,
    /// How long a login waits for a turn before it is answered 503.
    pub password_check_wait: Duration,
    /// Users per page on the admin users list.
    pub users_per_page: u32,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            greeting_max_bytes: 5 * 1024 * 1024,
            fax_max_bytes: 20 * 1024 * 1024,
            csv_max_bytes: 1024 * 1024,
            form_max_bytes: 64 * 1024,
            login_failures_per_user: 5,
            login_failures_per_ip: 20,
            login_max_delay: Duration::from_secs(60),
            login_window: Duration::from_secs(15 * 60),
            password_checks_at_once: std::thread::available_parallelism().map_or(1, |n| n.get()),
            password_check_wait: Duration::from_secs(2),
            users_per_page: 25,
        }
    }
}
