//! User administration for the portal: list and search, create (extension users and admins),
//! edit, CSV import through the store's all-or-nothing import, password reset and the menu
//! access new users start with. Not here: who may call these (the portal checks `is_admin`).

use ringside_portal::model::{
    CreatedUser, ImportAccepted, ImportRejected, ImportReport, ImportRow, MenuAccess, NewUser,
    PasswordChoice, User, UserPage, UserQuery, UserUpdate,
};
use ringside_portal::{BackendError, BackendResult};

use super::PortalBackend;
use super::accounts::user_to_api;
use super::errors;
use crate::store::csv::CsvRecord;
use crate::store::passwords;
use crate::store::user_fields::{check_email, check_time_zone};
use crate::store::{self, user_import};

/// The store's page window for a 1-based portal page.
pub fn page_window(query: &UserQuery) -> store::UserQuery {
    let per_page = u64::from(query.per_page.max(1));
    let page = u64::from(query.page.max(1));
    let search = query.search.trim();
    store::UserQuery {
        search: (!search.is_empty()).then(|| search.to_owned()),
        offset: (page - 1).saturating_mul(per_page),
        limit: per_page,
    }
}

/// The portal's checked rows as the CSV records the store's row rules read, keeping each
/// row's line in the uploaded file.
pub fn rows_as_records(rows: &[ImportRow]) -> Vec<CsvRecord> {
    rows.iter()
        .map(|row| CsvRecord {
            line: row.line as usize,
            fields: [
                row.extension.clone(),
                row.name.clone(),
                row.email.clone(),
                match &row.password {
                    PasswordChoice::Set(p) => p.clone(),
                    PasswordChoice::Generate => "generate".to_owned(),
                },
            ]
            .into_iter()
            // The zone is the optional fifth field.
            .chain((!row.time_zone.is_empty()).then(|| row.time_zone.clone()))
            .collect(),
        })
        .collect()
}

fn line_u32(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

pub fn report_to_api(report: store::ImportReport) -> ImportReport {
    ImportReport {
        accepted: report
            .accepted
            .into_iter()
            .map(|a| ImportAccepted {
                line: line_u32(a.line),
                extension: a.extension,
                generated_password: a.generated_password,
            })
            .collect(),
        rejected: report
            .rejected
            .into_iter()
            .map(|r| ImportRejected {
                line: line_u32(r.line),
                extension: r.extension,
                reason: r.reason,
            })
            .collect(),
    }
}

impl PortalBackend {
    async fn stored_user(&self, extension: &str) -> BackendResult<User> {
        let user = self
            .store
            .user(extension)
            .await
            .map_err(errors::store)?
            .map(|u| user_to_api(u, &self.default_zone))
            .ok_or(BackendError::NotFound)?;
        self.with_grants(user).await
    }

    pub(super) async fn list_users_impl(&self, query: &UserQuery) -> BackendResult<UserPage> {
        let page = self
            .store
            .list_users(&page_window(query))
            .await
            .map_err(errors::store)?;
        let mut users = Vec::with_capacity(page.users.len());
        for user in page.users {
            users.push(
                self.with_grants(user_to_api(user, &self.default_zone))
                    .await?,
            );
        }
        Ok(UserPage {
            users,
            total: page.total,
        })
    }

    pub(super) async fn create_user_impl(&self, new: &NewUser) -> BackendResult<CreatedUser> {
        let (password, generated) = match &new.password {
            PasswordChoice::Set(p) => (p.clone(), None),
            PasswordChoice::Generate => {
                let p = passwords::generate_password();
                (p.clone(), Some(p))
            }
        };
        let extension = new.extension.trim();
        // Checked before anything is written, so a bad zone leaves no user behind.
        let time_zone = check_time_zone(&new.time_zone).map_err(|e| errors::store(e.into()))?;
        if new.is_admin {
            // Checked before anything is written, so a bad email leaves no half-made admin.
            check_email(new.email.trim()).map_err(|e| errors::store(e.into()))?;
            // Admins may have a name as login; the store requires their password up front.
            self.store
                .create_admin(extension, &new.name, &password)
                .await
                .map_err(errors::store)?;
            self.store
                .update_user_profile(extension, &new.name, new.email.trim())
                .await
                .map_err(errors::store)?;
            self.store
                .set_portal_enabled(extension, new.portal_enabled)
                .await
                .map_err(errors::store)?;
            self.store
                .set_user_time_zone(extension, &time_zone)
                .await
                .map_err(errors::store)?;
        } else {
            let record = store::NewUser {
                extension: extension.to_owned(),
                display_name: new.name.clone(),
                email: new.email.trim().to_owned(),
                password: Some(password),
                portal_enabled: new.portal_enabled,
                access: None,
                time_zone,
            };
            self.store
                .create_user(&record)
                .await
                .map_err(errors::store)?;
        }
        Ok(CreatedUser {
            user: self.stored_user(extension).await?,
            generated_password: generated,
        })
    }

    pub(super) async fn update_user_impl(
        &self,
        extension: &str,
        update: &UserUpdate,
    ) -> BackendResult<User> {
        // Checked fields first, so a rejected name, email or zone changes nothing else.
        if let Some(zone) = &update.time_zone {
            check_time_zone(zone).map_err(|e| errors::store(e.into()))?;
        }
        self.store
            .update_user_profile(extension, &update.name, update.email.trim())
            .await
            .map_err(errors::store)?;
        self.store
            .set_admin(extension, update.is_admin)
            .await
            .map_err(errors::store)?;
        self.store
            .set_portal_enabled(extension, update.portal_enabled)
            .await
            .map_err(errors::store)?;
        self.store
            .set_access(extension, &update.access)
            .await
            .map_err(errors::store)?;
        self.store
            .set_user_enabled(extension, !update.disabled)
            .await
            .map_err(errors::store)?;
        if let Some(on) = update.wakeup_others {
            self.store
                .set_wake_others(extension, on)
                .await
                .map_err(errors::store)?;
        }
        if let Some(zone) = &update.time_zone {
            self.store
                .set_user_time_zone(extension, zone)
                .await
                .map_err(errors::store)?;
        }
        if let Some(on) = update.must_change_password {
            self.store
                .set_must_change_password(extension, on)
                .await
                .map_err(errors::store)?;
        }
        if let Some(on) = update.walkthrough {
            self.store
                .set_walkthrough(extension, on)
                .await
                .map_err(errors::store)?;
        }
        self.stored_user(extension).await
    }

    pub(super) async fn import_users_impl(
        &self,
        rows: &[ImportRow],
    ) -> BackendResult<ImportReport> {
        let (checked, rejected) = user_import::check_import_rows(&rows_as_records(rows));
        // Imported from the portal means meant for the portal.
        let report = self
            .store
            .import_checked_rows(checked, rejected, true)
            .await
            .map_err(errors::store)?;
        Ok(report_to_api(report))
    }

    pub(super) async fn delete_user_impl(&self, extension: &str) -> BackendResult<()> {
        // The same deletion as `ringside user rm`.
        self.store
            .delete_user(extension)
            .await
            .map_err(errors::store)
    }

    pub(super) async fn suggest_extension_impl(&self) -> BackendResult<Option<String>> {
        self.store.suggest_extension().await.map_err(errors::store)
    }

    pub(super) async fn reset_password_impl(
        &self,
        extension: &str,
        new: Option<&str>,
    ) -> BackendResult<String> {
        let password = new.map_or_else(passwords::generate_password, str::to_owned);
        self.store
            .set_password(extension, &password)
            .await
            .map_err(errors::store)?;
        // Whoever held the old password must not stay logged in with it.
        self.store
            .delete_user_sessions(extension)
            .await
            .map_err(errors::store)?;
        Ok(password)
    }

    pub(super) async fn access_defaults_impl(&self) -> BackendResult<MenuAccess> {
        let access = self.store.default_access().await.map_err(errors::store)?;
        Ok(access)
    }

    pub(super) async fn set_access_defaults_impl(&self, access: &MenuAccess) -> BackendResult<()> {
        self.store
            .set_default_access(access)
            .await
            .map_err(errors::store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(search: &str, page: u32, per_page: u32) -> UserQuery {
        UserQuery {
            search: search.into(),
            page,
            per_page,
        }
    }

    #[test]
    fn third_page_of_25_starts_after_50_users() {
        let window = page_window(&query("", 3, 25));
        assert_eq!((window.offset, window.limit), (50, 25));
        assert_eq!(window.search, None);
    }

    #[test]
    fn page_zero_is_the_first_page() {
        assert_eq!(page_window(&query("", 0, 25)).offset, 0);
    }

    #[test]
    fn blank_search_matches_everybody_and_other_searches_are_trimmed() {
        assert_eq!(page_window(&query("   ", 1, 25)).search, None);
        assert_eq!(
            page_window(&query(" ali ", 1, 25)).search.as_deref(),
            Some("ali")
        );
    }

    #[test]
    fn import_rows_keep_their_file_lines_and_the_generate_keyword() {
        let rows = vec![ImportRow {
            line: 7,
            extension: "301".into(),
            name: "Zoe".into(),
            email: String::new(),
            password: PasswordChoice::Generate,
            time_zone: String::new(),
        }];
        let records = rows_as_records(&rows);
        assert_eq!(records[0].line, 7);
        assert_eq!(records[0].fields, vec!["301", "Zoe", "", "generate"]);
    }

    #[test]
    fn import_row_with_a_short_password_is_rejected_by_the_store_rules() {
        let rows = vec![ImportRow {
            line: 2,
            extension: "301".into(),
            name: "Zoe".into(),
            email: String::new(),
            password: PasswordChoice::Set("abc".into()),
            time_zone: String::new(),
        }];
        let (ok, bad) = user_import::check_import_rows(&rows_as_records(&rows));
        assert!(ok.is_empty());
        assert_eq!(bad[0].line, 2);
        assert!(bad[0].reason.contains("too short"), "{}", bad[0].reason);
    }
}
