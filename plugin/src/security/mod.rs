//! Security mechanisms of the portal: random tokens, cookies, CSRF checks, login rate limiting
//! and response security headers. Session loading and menu access live in `auth`.

pub mod cookies;
pub mod csrf;
pub mod headers;
pub mod rate_limit;
pub mod token;
