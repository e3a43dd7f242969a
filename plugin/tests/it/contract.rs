//! The in-memory fake backend keeps the Backend contract the daemon's real backend keeps (the
//! same checks run against it in the daemon's tests), so router tests on the fake test
//! behaviour users really get.

ringside_portal::backend_contract!(std::sync::Arc::new(
    crate::common::fake_backend::FakeBackend::seeded()
));
