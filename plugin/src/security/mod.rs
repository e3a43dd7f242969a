//! Security mechanisms of the portal that need nothing else of it: random tokens, cookies,
//! login rate limiting and response security headers. The CSRF check (`csrf`) and session
//! loading with menu access (`auth`) build on them.

pub mod cookies;
pub mod headers;
pub mod rate_limit;
pub mod token;
