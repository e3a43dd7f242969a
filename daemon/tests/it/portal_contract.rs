//! The daemon's portal backend keeps the Backend contract (the portal crate runs the same checks
//! against its in-memory fake), on SQLite, with no Asterisk connected.

use std::ops::Deref;

use ringside::portal::{CallsAccess, PortalBackend};
use ringside::schedule::zone::Zone;
use ringside::user_prompts::UserPromptFiles;

use crate::common::TestDb;

/// The real backend with the database and data directory it lives on (users' prompts go to
/// its `sounds` folder).
pub(crate) struct RealBackend {
    backend: PortalBackend,
    _db: TestDb,
    pub(crate) data_dir: tempfile::TempDir,
}

impl Deref for RealBackend {
    type Target = PortalBackend;

    fn deref(&self) -> &PortalBackend {
        &self.backend
    }
}

pub(crate) async fn real_backend() -> RealBackend {
    let db = TestDb::sqlite().await;
    let data_dir = tempfile::tempdir().expect("data dir");
    let backend = crate::common::backend::offline_backend(&db.store, data_dir.path())
        .with_calls(CallsAccess {
            recordings_dir: data_dir.path().join("monitor"),
            default_zone: Zone::utc(),
            export_dir: data_dir.path().join("exports"),
        })
        .with_user_prompts(UserPromptFiles::new(data_dir.path().join("sounds")));
    RealBackend {
        backend,
        _db: db,
        data_dir,
    }
}

ringside_portal::backend_contract!(real_backend().await);
