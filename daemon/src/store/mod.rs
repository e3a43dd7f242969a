//! Persistence: sqlx repositories over one pool, SQLite (WAL, embedded default) or PostgreSQL.
//!
//! One code path serves both databases through sqlx's `Any` driver: queries use `$1`-style
//! placeholders (SQLite accepts them too) and portable column types; times are stored as
//! Unix milliseconds (`i64`). Each feature has its own repository file (`impl Store` blocks)
//! and its own migration, kept per dialect in `daemon/migrations/{sqlite,postgres}`.

pub mod call_handling;
pub mod call_handling_rules;
pub mod call_walk;
pub mod calls;
pub mod csv;
pub mod fax;
pub mod followme;
pub mod followme_rules;
pub mod health;
pub(crate) mod lease;
pub mod maintenance;
mod migrations;
mod params;
pub mod passwords;
pub mod sessions;
pub mod settings;
mod sqlite_library;
pub mod user_fields;
pub mod user_import;
pub mod users;
pub mod wakeup_claims;
pub mod wakeup_grants;
pub mod wakeups;

pub use call_handling::{CallHandling, DEFAULT_RING_SECS, Forward, ForwardKind, TimeRule};
pub use call_handling_rules::{CallHandlingProblem, InvalidCallHandling, check_call_handling};
pub use followme::{CallerIdMode, FollowMeSettings, FollowMeStep};
pub use followme_rules::{FollowMeProblem, InvalidFollowMe, check_followme};
/// Menu access is the portal's concept; the store keeps it per user and as the defaults.
pub use ringside_portal::model::{Access, Menu, MenuAccess};
pub use sessions::PortalSession;
pub use user_fields::FieldError;
pub use user_import::{ImportError, ImportReport, ImportedUser, RejectedRow};
pub use users::{NewUser, User, UserPage, UserQuery};

use std::str::FromStr;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

/// Which database the store talks to; a few statements (row locks) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create database directory {path}: {source}")]
    CreateDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} {key:?} not found")]
    NotFound { what: &'static str, key: String },
    #[error("{what} {key:?} already exists")]
    Conflict { what: &'static str, key: String },
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Password(#[from] crate::store::passwords::PasswordError),
    /// Deliberately vague: never says whether the login exists.
    #[error("unknown user or wrong password")]
    InvalidCredentials,
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    InvalidCallHandling(#[from] InvalidCallHandling),
    #[error("background task failed: {0}")]
    Blocking(String),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// The URL of a SQLite file (with its pragmas), for readers that open a native connection
    /// of their own ([`call_walk`]); `None` on PostgreSQL and for an in-memory database.
    sqlite_file_url: Option<std::sync::Arc<str>>,
}

use migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        install_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let url = match dialect {
            Dialect::Sqlite => sqlite_url_with_pragmas(url)?,
            Dialect::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let max = if dialect == Dialect::Sqlite && url.contains(":memory:") {
            // Each connection to `:memory:` is its own database; keep exactly one.
            1
        } else {
            8
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL + a busy timeout let the daemon and a CLI command share the file.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        // SQLite's default page cache is 2 MB per connection; the call
                        // history's indexes outgrow it, and every insert then reads its
                        // B-tree pages back from the OS. 8 MB caps eight connections at 64 MB.
                        // Statement journals (each multi-row insert of a batch keeps one) stay
                        // in memory instead of a temporary file written and thrown away: less
                        // system time per batch. Ringside's statements touch few pages and its
                        // sorts are bounded by a page's limit, so memory stays small.
                        sqlx::query("PRAGMA temp_store = MEMORY")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA cache_size = -8000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let sqlite_file_url = (dialect == Dialect::Sqlite
            && maintenance::sqlite_file(&url).is_some())
        .then(|| std::sync::Arc::from(url.as_str()));
        Ok(Self {
            pool,
            dialect,
            sqlite_file_url,
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn sqlite_file_url(&self) -> Option<&str> {
        self.sqlite_file_url.as_deref()
    }
}

/// Readies sqlx's drivers, and the SQLite library before anything in the process uses it.
fn install_drivers() {
    sqlite_library::configure();
    sqlx::any::install_default_drivers();
}

/// Creates the database file's directory and asks for the file to be created if missing.
fn sqlite_url_with_pragmas(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    let in_memory = path.is_empty() || path == ":memory:";
    if !in_memory {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
    }
    let mut url = url.to_owned();
    if !in_memory && !url.contains("mode=") {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("mode=rwc");
    }
    Ok(url)
}

/// Milliseconds since the Unix epoch, the store's representation of an instant.
pub fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
