//! Security mechanisms of the portal: random tokens, cookies, CSRF checks, login throttling,
//! the bound on concurrent password checks and response security headers. Session loading and
//! menu access live in `auth`.

pub mod cookies;
pub mod csrf;
pub mod headers;
pub mod multipart_token;
pub mod password_gate;
pub mod rate_limit;
pub mod token;
