//! The schema migrations of each engine, embedded in the binary from `daemon/migrations/`.
//!
//! Built as `sqlx::migrate!` builds them (version and description from the file name, the
//! checksum of the SQL, `-- no-transaction` honoured), but from an explicit list instead of
//! the macro. The macro needs sqlx's compile-time query crate, which builds both database
//! drivers and the SQLite library a second time for the compiler; Ringside uses no other
//! sqlx macro. A new migration file goes into the list below; a test fails while a file of
//! the directory is missing from it. Not here: running them (`Store::connect`) or reporting
//! on them (`maintenance`).

use std::borrow::Cow;
use std::sync::LazyLock;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(file name, SQL)` of each migration, for each engine's directory of `daemon/migrations/`.
/// Both engines have the same migrations under the same names (their tables are compared by
/// a test), so one list serves both.
macro_rules! embedded {
    ($($file:literal),+ $(,)?) => {
        const SQLITE: &[(&str, &str)] = &[$((
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite/", $file)),
        )),+];
        const POSTGRES: &[(&str, &str)] = &[$((
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres/", $file)),
        )),+];
    };
}

embedded!(
    "0001_users.sql",
    "0002_followme.sql",
    "0003_portal_sessions.sql",
    "0004_wakeups.sql",
    "0005_fax.sql",
    "0006_wakeup_grants.sql",
    "0007_wakeup_takeover.sql",
    "0008_voicemail_access.sql",
    "0009_call_handling.sql",
    "0010_call_history.sql",
    "0011_portal_user_settings_and_fax_names.sql",
    "0012_call_history_order.sql",
    "0013_portal_walkthrough.sql",
    "0015_cdr_cursor_file.sql",
);

pub static SQLITE_MIGRATIONS: LazyLock<Migrator> = LazyLock::new(|| migrator(SQLITE));
pub static POSTGRES_MIGRATIONS: LazyLock<Migrator> = LazyLock::new(|| migrator(POSTGRES));

fn migrator(files: &[(&'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(file, sql)| migration(file, sql))
            .collect(),
    )
}

/// One migration as sqlx names a file `<version>_<description>.sql`. The list above is
/// fixed at compile time and checked by a test, so a malformed name is a bug, not input.
fn migration(file: &'static str, sql: &'static str) -> Migration {
    let (version, rest) = file
        .split_once('_')
        .expect("migration file names are <version>_<description>.sql");
    let version = version
        .parse()
        .expect("migration file names start with a version number");
    let migration_type = MigrationType::from_filename(rest);
    let description = rest
        .trim_end_matches(migration_type.suffix())
        .replace('_', " ");
    Migration::new(
        version,
        Cow::Owned(description),
        migration_type,
        SqlStr::from_static(sql),
        sql.starts_with("-- no-transaction"),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// What sqlx reads from a migration directory (as `sqlx::migrate!` does) against what is
    /// embedded: every file, and the same version, description, kind, SQL and checksum, so
    /// databases migrated by earlier builds keep validating.
    fn assert_embedded_as_sqlx_reads(dir: &str, embedded: &Migrator) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let read: Vec<Migration> = sqlx::migrate::resolve_blocking(&path)
            .expect("migration directory")
            .into_iter()
            .map(|(migration, _)| migration)
            .collect();
        let fields = |m: &Migration| {
            (
                m.version,
                m.description.to_string(),
                m.migration_type,
                m.sql.as_str().to_owned(),
                m.checksum.to_vec(),
                m.no_tx,
            )
        };
        let read: Vec<_> = read.iter().map(fields).collect();
        let ours: Vec<_> = embedded.iter().map(fields).collect();
        assert!(!read.is_empty(), "{dir} has migrations");
        assert_eq!(ours, read, "{dir}");
    }

    #[test]
    fn sqlite_migrations_are_every_file_of_the_directory_as_sqlx_reads_it() {
        assert_embedded_as_sqlx_reads("sqlite", &SQLITE_MIGRATIONS);
    }

    #[test]
    fn postgres_migrations_are_every_file_of_the_directory_as_sqlx_reads_it() {
        assert_embedded_as_sqlx_reads("postgres", &POSTGRES_MIGRATIONS);
    }

    #[test]
    fn migration_names_give_version_and_description() {
        let m = migration("0011_portal_user_settings_and_fax_names.sql", "SELECT 1;");
        assert_eq!(m.version, 11);
        assert_eq!(m.description, "portal user settings and fax names");
        assert_eq!(m.migration_type, MigrationType::Simple);
        assert!(!m.no_tx);
    }
}
