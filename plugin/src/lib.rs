//! `ringside-portal`: the user and admin web portal of Ringside (HTTP API, pages, auth).
//!
//! It knows nothing of Asterisk or SQL: it defines the portal's API types and a `Backend`
//! trait; the daemon implements the trait and mounts its router.
