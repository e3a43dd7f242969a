//! What an operator asks of the database itself: whether its schema is the one this binary
//! knows (without migrating it, so a check changes nothing), where a SQLite database's file
//! is, and a consistent copy of a SQLite database taken while the daemon may be writing.
//!
//! Not here: the archive a backup is written to (`ops::backup`) or any PostgreSQL dump
//! (`pg_dump` is the tool for that).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use super::{Dialect, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Store, StoreError};

/// How the database's applied migrations compare with the ones this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// A SQLite file that does not exist yet: the first start creates it.
    NotCreated(PathBuf),
    /// Every migration applied, none unknown.
    Current { applied: usize },
    /// Migrations this binary would apply at its next start (versions).
    Pending(Vec<i64>),
    /// Migrations applied by a newer Ringside that this binary does not know (versions).
    Newer(Vec<i64>),
}

/// The dialect a database URL names.
pub fn dialect_of(url: &str) -> Result<Dialect, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Dialect::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Dialect::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

/// The file of a `sqlite://` URL; `None` for an in-memory database or another dialect.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Compares the applied migrations with this binary's, opening the database without
/// creating or migrating it.
pub async fn migration_state(url: &str) -> Result<MigrationState, StoreError> {
    super::install_drivers();
    let dialect = dialect_of(url)?;
    let url = match dialect {
        Dialect::Sqlite => {
            let Some(file) = sqlite_file(url) else {
                return Ok(MigrationState::NotCreated(PathBuf::from(":memory:")));
            };
            if !file.exists() {
                return Ok(MigrationState::NotCreated(file));
            }
            // Read-only: a check must not create a file or a WAL beside it.
            format!("sqlite://{}?mode=ro", file.display())
        }
        Dialect::Postgres => url.to_owned(),
    };
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(AnyConnectOptions::from_str(&url)?)
        .await?;
    let applied = applied_versions(&pool).await;
    pool.close().await;
    let applied = applied?;
    let known: Vec<i64> = match dialect {
        Dialect::Sqlite => &SQLITE_MIGRATIONS,
        Dialect::Postgres => &POSTGRES_MIGRATIONS,
    }
    .iter()
    .filter(|m| !m.migration_type.is_down_migration())
    .map(|m| m.version)
    .collect();
    Ok(compare(&known, &applied))
}

async fn applied_versions(pool: &AnyPool) -> Result<Vec<i64>, StoreError> {
    match sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
        .fetch_all(pool)
        .await
    {
        Ok(rows) => Ok(rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?),
        // No migration table: nothing applied yet (an empty database).
        Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Pure: known vs applied versions.
fn compare(known: &[i64], applied: &[i64]) -> MigrationState {
    let newer: Vec<i64> = applied
        .iter()
        .filter(|v| !known.contains(v))
        .copied()
        .collect();
    if !newer.is_empty() {
        return MigrationState::Newer(newer);
    }
    let pending: Vec<i64> = known
        .iter()
        .filter(|v| !applied.contains(v))
        .copied()
        .collect();
    if pending.is_empty() {
        MigrationState::Current {
            applied: applied.len(),
        }
    } else {
        MigrationState::Pending(pending)
    }
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `target` (which must not exist)
    /// with `VACUUM INTO`: one read transaction, so writes by a running daemon wait for
    /// nothing and are either wholly in the copy or not at all.
    pub async fn snapshot_sqlite(&self, target: &Path) -> Result<(), StoreError> {
        if self.dialect != Dialect::Sqlite {
            return Err(StoreError::UnsupportedUrl(
                "a PostgreSQL database (use pg_dump)".into(),
            ));
        }
        let target = target
            .to_str()
            .ok_or_else(|| StoreError::Corrupt(format!("path {target:?} is not UTF-8")))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_known_versions_applied_is_current() {
        assert_eq!(
            compare(&[1, 2, 3], &[1, 2, 3]),
            MigrationState::Current { applied: 3 }
        );
    }

    #[test]
    fn known_versions_not_applied_are_pending() {
        assert_eq!(
            compare(&[1, 2, 3], &[1]),
            MigrationState::Pending(vec![2, 3])
        );
    }

    #[test]
    fn an_applied_version_this_binary_does_not_know_is_newer() {
        assert_eq!(compare(&[1, 2], &[1, 2, 3]), MigrationState::Newer(vec![3]));
    }

    #[test]
    fn the_file_of_a_sqlite_url_drops_its_options() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/ringside/ringside.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/ringside/ringside.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
