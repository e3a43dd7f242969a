//! Security mechanisms of the portal that need nothing else of it: random tokens, cookies,
//! login throttling, the bound on concurrent password checks, the first part of a multipart
//! body and response security headers. The CSRF check (`csrf`) and session loading with menu
//! access (`auth`) build on them.

pub mod cookies;
pub mod headers;
pub mod multipart_token;
pub mod password_gate;
pub mod rate_limit;
pub mod token;
