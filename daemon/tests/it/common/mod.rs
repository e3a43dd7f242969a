//! Shared helpers for integration tests: a store on every database the run can reach.
//!
//! [`for_each_db`] runs a test body against a fresh SQLite file in a temp dir and, when
//! `RINGSIDE_TEST_POSTGRES_URL` is set (`.ci/run` sets it), against a fresh PostgreSQL
//! database `rs_<random>` created through that URL and dropped afterwards, even when the body
//! panics. Without the variable the PostgreSQL half is skipped outside CI and fails under CI
//! (see [`missing_dependency`]).

#![allow(dead_code)]

pub mod ami;
pub mod audio;
pub mod backend;
pub mod cli;
pub mod fax_fixtures;
pub mod fax_rig;
pub mod sim_calls;

/// Says that a dependency a test needs (a database, a tool it compares against, Chromium) is
/// missing. Outside CI the caller then skips its check. Under CI (`CI` set, as CI runs
/// `.ci/run`, which installs and starts every dependency) it fails the test: a skip there could
/// only hide a broken install.
pub fn missing_dependency(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and under CI every test dependency must be present");
    }
    eprintln!("skipped: {what} is missing");
}

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use ringside::store::Store;
use sqlx::Connection;

pub const POSTGRES_URL_VAR: &str = "RINGSIDE_TEST_POSTGRES_URL";

/// Which database a test body is running against (shown when it fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A database that exists for one test. Keep it alive while the store is used.
pub struct TestDb {
    pub kind: DbKind,
    /// The URL the store was opened with (e.g. to point a spawned `ringside` at it).
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    admin_url: Option<String>,
    name: Option<String>,
}

impl TestDb {
    /// A fresh SQLite database file in its own temp dir.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir for the test database");
        let url = format!("sqlite://{}", dir.path().join("ringside.db").display());
        let store = Store::connect(&url)
            .await
            .expect("open sqlite test database");
        TestDb {
            kind: DbKind::Sqlite,
            url,
            store,
            _dir: Some(dir),
            admin_url: None,
            name: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (after saying so) when no server is configured.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            missing_dependency(&format!("PostgreSQL ({POSTGRES_URL_VAR} is not set)"));
            return None;
        };
        let name = format!("rs_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL admin URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        let store = Store::connect(&url)
            .await
            .expect("open postgres test database");
        Some(TestDb {
            kind: DbKind::Postgres,
            url,
            store,
            _dir: None,
            admin_url: Some(admin_url),
            name: Some(name),
        })
    }

    /// Closes the pool and drops the PostgreSQL database (SQLite's temp dir goes on drop).
    pub async fn cleanup(self) {
        self.store.pool().close().await;
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.name) {
            match sqlx::PgConnection::connect(admin_url).await {
                Ok(mut admin) => {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                        .execute(&mut admin)
                        .await
                    {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                    admin.close().await.ok();
                }
                Err(e) => eprintln!("could not drop test database {name}: {e}"),
            }
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Every database this run can test against, each fresh.
pub async fn test_dbs() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite().await];
    dbs.extend(TestDb::postgres().await);
    dbs
}

/// Runs `body` once per database with a fresh store; a failure names the database.
pub async fn for_each_db<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    for_each_test_db(|db| body(db.store)).await;
}

/// What a test body gets from [`for_each_test_db`]: the store plus where it lives.
#[derive(Clone, Debug)]
pub struct DbUnderTest {
    pub kind: DbKind,
    /// The URL the store was opened with (e.g. to point a spawned `ringside` at it).
    pub url: String,
    pub store: Store,
}

/// Like [`for_each_db`] but also tells the body which database it runs on and its URL.
pub async fn for_each_test_db<F, Fut>(body: F)
where
    F: Fn(DbUnderTest) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in test_dbs().await {
        let handle = DbUnderTest {
            kind: db.kind,
            url: db.url.clone(),
            store: db.store.clone(),
        };
        let outcome = AssertUnwindSafe(body(handle)).catch_unwind().await;
        let kind = db.kind;
        db.cleanup().await;
        if let Err(panic) = outcome {
            eprintln!("test body failed against {kind:?}");
            std::panic::resume_unwind(panic);
        }
    }
}
