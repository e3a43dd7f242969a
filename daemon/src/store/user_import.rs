//! Bulk user import from CSV (`extension,name,email,password[,time_zone]` with `generate` for a
//! password made up on the spot, and an optional IANA time zone), all or nothing.
//!
//! Checking the rows is pure ([`check_import_rows`]); [`Store::import_users_csv`] then rejects
//! rows whose extension already exists and inserts every accepted row in one transaction, so
//! either all accepted rows are imported or none is.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use rayon::prelude::*;
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use super::csv::{CsvRecord, parse_csv};
use super::user_fields::{check_display_name, check_email, check_extension, check_time_zone};
use super::users::{UserRow, insert_user_row};
use super::{Store, StoreError};
use crate::store::passwords;

/// Most rows one import may hold; bigger files are refused whole.
pub const MAX_IMPORT_ROWS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Given(String),
    Generate,
}

/// A row that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: usize,
    pub extension: String,
    pub display_name: String,
    pub email: String,
    pub password: PasswordSource,
    /// Canonical IANA name, or empty to follow the portal's default zone.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: usize,
    /// The extension as written in the file (may be empty or malformed).
    pub extension: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedUser {
    pub line: usize,
    pub extension: String,
    /// Present when the file said `generate`: shown once, never stored in plain text.
    pub generated_password: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub accepted: Vec<ImportedUser>,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not valid CSV: {0}")]
    Csv(#[from] super::csv::CsvError),
    #[error("the file has {rows} rows; at most {MAX_IMPORT_ROWS} can be imported at once")]
    TooManyRows { rows: usize },
}

/// The required fields; a fifth, the time zone, is optional.
const FIELDS: usize = 4;

fn is_header(record: &CsvRecord) -> bool {
    record
        .fields
        .first()
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("extension"))
}

/// Checks each data row on its own and against the rows before it (a repeated extension is
/// rejected on its second appearance). An optional header row starting with `extension` is
/// skipped. Surrounding blanks are trimmed from every field, the password included.
pub fn check_import_rows(records: &[CsvRecord]) -> (Vec<ImportRow>, Vec<RejectedRow>) {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let data = match records.first() {
        Some(first) if is_header(first) => &records[1..],
        _ => records,
    };
    for record in data {
        let raw_ext = record.fields.first().map(|f| f.trim()).unwrap_or_default();
        let reject = |reason: String| RejectedRow {
            line: record.line,
            extension: raw_ext.to_owned(),
            reason,
        };
        match check_row(record) {
            Err(reason) => rejected.push(reject(reason)),
            Ok(row) => match seen.get(&row.extension) {
                Some(first) => rejected.push(reject(format!(
                    "extension {} already appears on line {first}",
                    row.extension
                ))),
                None => {
                    seen.insert(row.extension.clone(), row.line);
                    accepted.push(row);
                }
            },
        }
    }
    (accepted, rejected)
}

fn check_row(record: &CsvRecord) -> Result<ImportRow, String> {
    if !(FIELDS..=FIELDS + 1).contains(&record.fields.len()) {
        return Err(format!(
            "expected {FIELDS} fields (extension,name,email,password) and an optional time zone, \
             found {}",
            record.fields.len()
        ));
    }
    let field = |i: usize| record.fields[i].trim();
    let (extension, name, email, password) = (field(0), field(1), field(2), field(3));
    check_extension(extension).map_err(|e| e.to_string())?;
    check_display_name(name).map_err(|e| e.to_string())?;
    check_email(email).map_err(|e| e.to_string())?;
    let time_zone = record
        .fields
        .get(FIELDS)
        .map(|z| check_time_zone(z))
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let password = if password.eq_ignore_ascii_case("generate") {
        PasswordSource::Generate
    } else {
        passwords::check_password_rules(password).map_err(|e| e.to_string())?;
        PasswordSource::Given(password.to_owned())
    };
    Ok(ImportRow {
        line: record.line,
        extension: extension.to_owned(),
        display_name: name.to_owned(),
        email: email.to_owned(),
        password,
        time_zone,
    })
}

impl Store {
    /// Imports users from CSV text. Rows that break a rule or whose extension exists are
    /// reported as rejected; every other row is inserted in a single transaction. Imported
    /// users get the default menu access and the given portal setting.
    pub async fn import_users_csv(
        &self,
        text: &str,
        portal_enabled: bool,
    ) -> Result<ImportReport, StoreError> {
        let records = parse_csv(text).map_err(ImportError::from)?;
        if records.len() > MAX_IMPORT_ROWS + 1 {
            return Err(ImportError::TooManyRows {
                rows: records.len(),
            }
            .into());
        }
        let (rows, rejected) = check_import_rows(&records);
        self.import_checked_rows(rows, rejected, portal_enabled)
            .await
    }

    /// Imports rows that already passed [`check_import_rows`], adding those whose extension
    /// exists to `rejected`; every other row is inserted in a single transaction.
    pub async fn import_checked_rows(
        &self,
        rows: Vec<ImportRow>,
        mut rejected: Vec<RejectedRow>,
        portal_enabled: bool,
    ) -> Result<ImportReport, StoreError> {
        let access = self.default_access().await?;

        let mut tx = self.pool().begin().await?;
        let existing = existing_extensions(&mut tx, &rows).await?;
        let (rows, taken): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|r| !existing.contains(&r.extension));
        rejected.extend(taken.into_iter().map(|r| RejectedRow {
            line: r.line,
            reason: format!("extension {} already exists", r.extension),
            extension: r.extension,
        }));

        let hashed = hash_rows(rows).await?;
        let created_at = Utc::now();
        for (row, hash, _) in &hashed {
            insert_user_row(
                &mut *tx,
                &UserRow {
                    extension: &row.extension,
                    display_name: &row.display_name,
                    email: &row.email,
                    password_hash: Some(hash),
                    portal_enabled,
                    is_admin: false,
                    access,
                    time_zone: &row.time_zone,
                    created_at,
                },
            )
            .await?;
        }
        tx.commit().await?;

        rejected.sort_by_key(|r| r.line);
        Ok(ImportReport {
            accepted: hashed
                .into_iter()
                .map(|(row, _, generated)| ImportedUser {
                    line: row.line,
                    extension: row.extension,
                    generated_password: generated,
                })
                .collect(),
            rejected,
        })
    }
}

async fn existing_extensions(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rows: &[ImportRow],
) -> Result<HashSet<String>, StoreError> {
    let mut existing = HashSet::new();
    // Bounded batches keep the statement under every driver's bind-parameter limit.
    for chunk in rows.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT extension FROM users WHERE extension IN ({})",
            params.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            query = query.bind(row.extension.as_str());
        }
        for found in query.fetch_all(&mut **tx).await? {
            existing.insert(found.try_get::<String, _>("extension")?);
        }
    }
    Ok(existing)
}

type HashedRow = (ImportRow, String, Option<String>);

/// Generates the asked-for passwords and hashes all of them, in parallel, off the runtime.
async fn hash_rows(rows: Vec<ImportRow>) -> Result<Vec<HashedRow>, StoreError> {
    tokio::task::spawn_blocking(move || {
        rows.into_par_iter()
            .map(|row| {
                let (plain, generated) = match &row.password {
                    PasswordSource::Given(p) => (p.clone(), None),
                    PasswordSource::Generate => {
                        let p = passwords::generate_password();
                        (p.clone(), Some(p))
                    }
                };
                let hash = passwords::hash_password(&plain)?;
                Ok((row, hash, generated))
            })
            .collect::<Result<Vec<_>, passwords::PasswordError>>()
    })
    .await
    .map_err(|e| StoreError::Blocking(e.to_string()))?
    .map_err(StoreError::Password)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> (Vec<ImportRow>, Vec<RejectedRow>) {
        check_import_rows(&parse_csv(text).expect("valid csv"))
    }

    #[test]
    fn header_row_is_skipped() {
        let (ok, bad) = check("Extension,Name,Email,Password\n1001,Alice,,generate\n");
        assert_eq!(ok.len(), 1);
        assert!(bad.is_empty(), "{bad:?}");
    }

    #[test]
    fn generate_keyword_asks_for_a_generated_password() {
        let (ok, _) = check("1001,Alice,,GENERATE\n1002,Bob,,s3cret-pass\n");
        assert_eq!(ok[0].password, PasswordSource::Generate);
        assert_eq!(ok[1].password, PasswordSource::Given("s3cret-pass".into()));
    }

    #[test]
    fn row_with_bad_extension_is_rejected_with_its_line_and_reason() {
        let (ok, bad) = check("1001,Alice,,generate\n10x1,Bob,,generate\n");
        assert_eq!(ok.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!((bad[0].line, bad[0].extension.as_str()), (2, "10x1"));
        assert!(bad[0].reason.contains("extension"), "{}", bad[0].reason);
    }

    #[test]
    fn row_with_wrong_field_count_is_rejected() {
        let (_, bad) = check("1001,Alice,generate\n");
        assert!(bad[0].reason.contains("found 3"), "{}", bad[0].reason);
    }

    #[test]
    fn short_password_is_rejected_without_echoing_it() {
        let (_, bad) = check("1001,Alice,,abc\n");
        assert!(bad[0].reason.contains("too short"), "{}", bad[0].reason);
        assert!(!bad[0].reason.contains("abc"));
    }

    #[test]
    fn bad_email_is_rejected() {
        let (_, bad) = check("1001,Alice,alice-at-example,generate\n");
        assert!(bad[0].reason.contains("email"), "{}", bad[0].reason);
    }

    #[test]
    fn repeated_extension_is_rejected_on_its_second_line() {
        let (ok, bad) = check("1001,Alice,,generate\n1001,Alias,,generate\n");
        assert_eq!(ok.len(), 1);
        assert_eq!(bad[0].line, 2);
        assert!(bad[0].reason.contains("line 1"), "{}", bad[0].reason);
    }

    #[test]
    fn optional_fifth_field_sets_the_time_zone() {
        let (ok, _) = check("1001,Alice,,generate,europe/berlin\n1002,Bob,,generate\n");
        assert_eq!(ok[0].time_zone, "Europe/Berlin");
        assert_eq!(ok[1].time_zone, "");
    }

    #[test]
    fn unknown_time_zone_rejects_the_row_naming_the_field() {
        let (ok, bad) = check("1001,Alice,,generate,Mars/Olympus\n");
        assert!(ok.is_empty());
        assert!(bad[0].reason.contains("time_zone"), "{}", bad[0].reason);
    }

    #[test]
    fn fields_are_trimmed() {
        let (ok, _) = check(" 1001 , Alice Example , alice@example.com , generate \n");
        assert_eq!(ok[0].extension, "1001");
        assert_eq!(ok[0].display_name, "Alice Example");
        assert_eq!(ok[0].email, "alice@example.com");
    }
}
