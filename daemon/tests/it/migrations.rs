//! The two migration dialects (`daemon/migrations/sqlite`, `daemon/migrations/postgres`) build
//! the same schema: the same tables, the same columns with the same nullability, and the same
//! indexes. Column types are allowed to differ (`INTEGER` and `BIGINT` hold the same values).

use std::collections::BTreeSet;

use ringside::store::{Dialect, Store};
use sqlx::Row;

use crate::common::TestDb;

/// (table, column, nullable)
type Columns = BTreeSet<(String, String, bool)>;
/// (table, index)
type Indexes = BTreeSet<(String, String)>;

async fn strings(store: &Store, sql: &'static str) -> Vec<Vec<String>> {
    let rows = sqlx::query(sql).fetch_all(store.pool()).await.expect(sql);
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<String, _>(i).expect("text column"))
                .collect()
        })
        .collect()
}

async fn schema(store: &Store) -> (Columns, Indexes) {
    let (columns_sql, indexes_sql) = match store.dialect() {
        Dialect::Sqlite => (
            "SELECT m.name, c.name, \
                    CASE WHEN c.\"notnull\" = 1 OR c.pk > 0 THEN 'no' ELSE 'yes' END \
             FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            // Explicit indexes only: UNIQUE and PRIMARY KEY make their own, with no SQL text.
            "SELECT tbl_name, name FROM sqlite_master \
             WHERE type = 'index' AND sql IS NOT NULL AND tbl_name NOT LIKE '_sqlx%'",
        ),
        Dialect::Postgres => (
            "SELECT table_name::text, column_name::text, \
                    CASE WHEN is_nullable = 'YES' THEN 'yes' ELSE 'no' END \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
            // Indexes that back a constraint (primary keys, UNIQUE) are the constraint's.
            "SELECT t.relname::text, i.relname::text FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND t.relname NOT LIKE '_sqlx%' \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        ),
    };
    let columns = strings(store, columns_sql)
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2] == "yes"))
        .collect();
    let indexes = strings(store, indexes_sql)
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    (columns, indexes)
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let sqlite = TestDb::sqlite().await;
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    let (sqlite_columns, sqlite_indexes) = schema(&sqlite.store).await;
    let (pg_columns, pg_indexes) = schema(&postgres.store).await;
    postgres.cleanup().await;

    assert!(
        sqlite_columns
            .iter()
            .any(|(t, c, _)| t == "users" && c == "extension"),
        "the schema was not read: {sqlite_columns:?}"
    );
    assert!(!sqlite_indexes.is_empty(), "no index was read");
    let only_sqlite: Vec<_> = sqlite_columns.difference(&pg_columns).collect();
    let only_pg: Vec<_> = pg_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns (table, column, nullable) differ:\n only SQLite: {only_sqlite:?}\n only PostgreSQL: {only_pg:?}"
    );
    assert_eq!(sqlite_indexes, pg_indexes, "indexes (table, name) differ");
}

fn migration_files(dialect: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_dialects_have_the_same_migration_files() {
    let sqlite = migration_files("sqlite");
    assert!(sqlite.len() >= 5, "{sqlite:?}");
    assert_eq!(sqlite, migration_files("postgres"));
}

#[test]
fn migration_versions_are_unique() {
    let names = migration_files("sqlite");
    let versions: BTreeSet<&str> = names.iter().filter_map(|n| n.split('_').next()).collect();
    assert_eq!(
        versions.len(),
        names.len(),
        "two migrations share a version: {names:?}"
    );
}
