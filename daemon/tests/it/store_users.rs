//! Users in the store, on SQLite and (when configured) PostgreSQL.

use crate::common;

use common::for_each_db;
use ringside::store::{Access, Menu, MenuAccess, NewUser, StoreError, UserQuery};

fn alice() -> NewUser {
    NewUser {
        email: "alice@example.com".into(),
        password: Some("alice-secret".into()),
        portal_enabled: true,
        ..NewUser::new("1001", "Alice Example")
    }
}

/// How many users the store holds (also used by the import tests).
pub(crate) async fn user_count(store: &ringside::store::Store) -> u64 {
    store
        .list_users(&UserQuery::default())
        .await
        .expect("list")
        .total
}

#[tokio::test]
async fn created_user_reads_back_with_its_fields() {
    for_each_db(|store| async move {
        let created = store.create_user(&alice()).await.expect("create");
        let read = store.user("1001").await.expect("get").expect("exists");
        assert_eq!(read, created);
        assert_eq!(read.display_name, "Alice Example");
        assert_eq!(read.email, "alice@example.com");
        assert!(read.has_password && read.portal_enabled && read.enabled);
        assert!(!read.is_admin);
        let age = chrono::Utc::now() - read.created_at;
        assert!(
            age.num_seconds().abs() < 60,
            "created_at {}",
            read.created_at
        );
    })
    .await;
}

#[tokio::test]
async fn password_is_stored_only_as_an_argon2_hash() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        let hash: String =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE extension = $1")
                .bind("1001")
                .fetch_one(store.pool())
                .await
                .expect("hash column");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("alice-secret"));
    })
    .await;
}

#[tokio::test]
async fn duplicate_extension_is_a_conflict() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        let err = store.create_user(&alice()).await.expect_err("duplicate");
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("1001"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn invalid_extension_is_rejected_before_storing() {
    for_each_db(|store| async move {
        let err = store
            .create_user(&NewUser::new("10a", "Bad"))
            .await
            .expect_err("letters");
        assert!(
            matches!(err, StoreError::Invalid(ref f) if f.field == "extension"),
            "{err}"
        );
        assert_eq!(user_count(&store).await, 0);
    })
    .await;
}

#[tokio::test]
async fn short_password_is_rejected_and_user_not_created() {
    for_each_db(|store| async move {
        let new = NewUser {
            password: Some("short".into()),
            ..alice()
        };
        let err = store.create_user(&new).await.expect_err("short password");
        assert!(matches!(err, StoreError::Password(_)), "{err}");
        assert_eq!(store.user("1001").await.expect("get"), None);
    })
    .await;
}

#[tokio::test]
async fn right_password_verifies_and_returns_the_user() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        let user = store
            .verify_password("1001", "alice-secret")
            .await
            .expect("right password");
        assert_eq!(user.extension, "1001");
    })
    .await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_give_the_same_error() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        let wrong = store
            .verify_password("1001", "alice-secreT")
            .await
            .expect_err("wrong password");
        let unknown = store
            .verify_password("1999", "alice-secret")
            .await
            .expect_err("unknown user");
        assert!(matches!(wrong, StoreError::InvalidCredentials));
        assert_eq!(wrong.to_string(), unknown.to_string());
    })
    .await;
}

#[tokio::test]
async fn user_without_password_cannot_log_in() {
    for_each_db(|store| async move {
        store
            .create_user(&NewUser::new("1002", "Bob"))
            .await
            .expect("create");
        let err = store
            .verify_password("1002", "")
            .await
            .expect_err("no password");
        assert!(matches!(err, StoreError::InvalidCredentials));
    })
    .await;
}

#[tokio::test]
async fn disabled_user_cannot_log_in_until_enabled_again() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .set_user_enabled("1001", false)
            .await
            .expect("disable");
        assert!(
            !store
                .user("1001")
                .await
                .expect("get")
                .expect("exists")
                .enabled
        );
        let err = store
            .verify_password("1001", "alice-secret")
            .await
            .expect_err("disabled");
        assert!(matches!(err, StoreError::InvalidCredentials));
        store.set_user_enabled("1001", true).await.expect("enable");
        store
            .verify_password("1001", "alice-secret")
            .await
            .expect("enabled again");
    })
    .await;
}

#[tokio::test]
async fn new_password_replaces_the_old_one() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .set_password("1001", "brand-new-pass")
            .await
            .expect("set password");
        assert!(store.verify_password("1001", "alice-secret").await.is_err());
        store
            .verify_password("1001", "brand-new-pass")
            .await
            .expect("new password works");
    })
    .await;
}

#[tokio::test]
async fn setting_password_of_unknown_user_is_not_found() {
    for_each_db(|store| async move {
        let err = store
            .set_password("1999", "whatever-pass")
            .await
            .expect_err("no such user");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn profile_update_changes_name_and_email() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .update_user_profile("1001", "Alice Renamed", "a.renamed@example.org")
            .await
            .expect("update");
        let user = store.user("1001").await.expect("get").expect("exists");
        assert_eq!(user.display_name, "Alice Renamed");
        assert_eq!(user.email, "a.renamed@example.org");
    })
    .await;
}

#[tokio::test]
async fn profile_update_with_bad_email_names_the_field_and_changes_nothing() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        let err = store
            .update_user_profile("1001", "Alice", "not-an-email")
            .await
            .expect_err("bad email");
        assert!(err.to_string().contains("email"), "{err}");
        let user = store.user("1001").await.expect("get").expect("exists");
        assert_eq!(user.email, "alice@example.com");
    })
    .await;
}

#[tokio::test]
async fn portal_flag_toggles() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store.set_portal_enabled("1001", false).await.expect("off");
        assert!(
            !store
                .user("1001")
                .await
                .expect("get")
                .expect("exists")
                .portal_enabled
        );
        store.set_portal_enabled("1001", true).await.expect("on");
        assert!(
            store
                .user("1001")
                .await
                .expect("get")
                .expect("exists")
                .portal_enabled
        );
    })
    .await;
}

#[tokio::test]
async fn menu_access_is_set_per_menu() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .set_menu_access("1001", Menu::Followme, Access::Read)
            .await
            .expect("read-only follow-me");
        store
            .set_menu_access("1001", Menu::Fax, Access::No)
            .await
            .expect("no fax");
        let access = store
            .user("1001")
            .await
            .expect("get")
            .expect("exists")
            .access;
        assert_eq!(access.followme, Access::Read);
        assert_eq!(access.fax, Access::No);
        assert_eq!(access.profile, Access::Write);
    })
    .await;
}

#[tokio::test]
async fn new_users_get_the_stored_default_access() {
    for_each_db(|store| async move {
        assert_eq!(
            store.default_access().await.expect("defaults"),
            MenuAccess::all(Access::Write)
        );
        let mut defaults = MenuAccess::all(Access::Read);
        defaults.fax = Access::No;
        store
            .set_default_access(&defaults)
            .await
            .expect("set defaults");
        let user = store
            .create_user(&NewUser::new("1002", "Bob"))
            .await
            .expect("create");
        assert_eq!(user.access, defaults);
    })
    .await;
}

#[tokio::test]
async fn explicit_access_wins_over_the_defaults() {
    for_each_db(|store| async move {
        store
            .set_default_access(&MenuAccess::all(Access::No))
            .await
            .expect("set defaults");
        let user = store
            .create_user(&NewUser {
                access: Some(MenuAccess::all(Access::Read)),
                ..NewUser::new("1002", "Bob")
            })
            .await
            .expect("create");
        assert_eq!(user.access, MenuAccess::all(Access::Read));
    })
    .await;
}

#[tokio::test]
async fn deleted_user_is_gone_with_its_followme() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .set_followme(&ringside::store::FollowMeSettings {
                extension: "1001".into(),
                enabled: true,
                initial_ring_secs: 5,
                steps: vec![ringside::store::FollowMeStep {
                    numbers: vec!["2001".into()],
                    ring_secs: 20,
                }],
                confirm: false,
                moh: false,
                caller_id: Default::default(),
            })
            .await
            .expect("followme");
        store.delete_user("1001").await.expect("delete");
        assert_eq!(store.user("1001").await.expect("get"), None);
        assert_eq!(store.followme("1001").await.expect("followme"), None);
        let err = store.delete_user("1001").await.expect_err("already gone");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn admin_is_created_with_a_login_name_and_full_access() {
    for_each_db(|store| async move {
        let admin = store
            .create_admin("root.admin", "Root Admin", "admin-secret-1")
            .await
            .expect("create admin");
        assert!(admin.is_admin && admin.portal_enabled && admin.has_password);
        assert_eq!(admin.access, MenuAccess::all(Access::Write));
        store
            .verify_password("root.admin", "admin-secret-1")
            .await
            .expect("admin logs in");
    })
    .await;
}

#[tokio::test]
async fn admin_without_a_real_password_is_refused() {
    for_each_db(|store| async move {
        let err = store
            .create_admin("root", "Root", "")
            .await
            .expect_err("empty password");
        assert!(matches!(err, StoreError::Password(_)), "{err}");
        assert_eq!(store.user("root").await.expect("get"), None);
    })
    .await;
}

async fn seed_many(store: &ringside::store::Store) {
    for (ext, name, email) in [
        ("1001", "Alice Example", "alice@example.com"),
        ("1002", "Bob Builder", "bob@example.com"),
        ("1003", "Carol Alison", "carol@example.org"),
        ("200", "Dave", ""),
        ("1010", "Eve 50%_off", ""),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                ..NewUser::new(ext, name)
            })
            .await
            .expect("seed user");
    }
}

#[tokio::test]
async fn list_orders_shorter_extensions_first_and_counts_all() {
    for_each_db(|store| async move {
        seed_many(&store).await;
        let page = store.list_users(&UserQuery::default()).await.expect("list");
        let exts: Vec<_> = page.users.iter().map(|u| u.extension.as_str()).collect();
        assert_eq!(exts, ["200", "1001", "1002", "1003", "1010"]);
        assert_eq!(page.total, 5);
    })
    .await;
}

#[tokio::test]
async fn list_pages_with_offset_and_limit_keeping_the_total() {
    for_each_db(|store| async move {
        seed_many(&store).await;
        let page = store
            .list_users(&UserQuery {
                search: None,
                offset: 2,
                limit: 2,
            })
            .await
            .expect("list");
        let exts: Vec<_> = page.users.iter().map(|u| u.extension.as_str()).collect();
        assert_eq!(exts, ["1002", "1003"]);
        assert_eq!(page.total, 5);
    })
    .await;
}

#[tokio::test]
async fn search_matches_name_email_or_extension_case_insensitively() {
    for_each_db(|store| async move {
        seed_many(&store).await;
        let search = |text: &str| {
            let store = store.clone();
            let text = text.to_owned();
            async move {
                let page = store
                    .list_users(&UserQuery {
                        search: Some(text),
                        ..Default::default()
                    })
                    .await
                    .expect("search");
                (
                    page.users
                        .into_iter()
                        .map(|u| u.extension)
                        .collect::<Vec<_>>(),
                    page.total,
                )
            }
        };
        assert_eq!(search("ALI").await, (vec!["1001".into(), "1003".into()], 2));
        assert_eq!(search("example.org").await, (vec!["1003".into()], 1));
        assert_eq!(search("200").await, (vec!["200".into()], 1));
    })
    .await;
}

#[tokio::test]
async fn search_treats_like_wildcards_literally() {
    for_each_db(|store| async move {
        seed_many(&store).await;
        let page = store
            .list_users(&UserQuery {
                search: Some("%_".into()),
                ..Default::default()
            })
            .await
            .expect("search");
        let exts: Vec<_> = page.users.iter().map(|u| u.extension.as_str()).collect();
        assert_eq!(exts, ["1010"]);
    })
    .await;
}

#[tokio::test]
async fn known_extensions_are_the_numbers_that_are_users() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .create_user(&NewUser::new("1002", "Bob"))
            .await
            .expect("create");
        let numbers = ["1002", "0170555", "1001", "1003"].map(String::from);
        let known = store.known_extensions(&numbers).await.expect("known");
        let mut known: Vec<_> = known.into_iter().collect();
        known.sort();
        assert_eq!(known, ["1001", "1002"]);
        assert!(store.known_extensions(&[]).await.expect("none").is_empty());
    })
    .await;
}

#[tokio::test]
async fn own_time_zone_is_stored_canonical_and_can_be_cleared() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        store
            .set_user_time_zone("1001", "europe/berlin")
            .await
            .expect("set zone");
        let user = store.user("1001").await.expect("get").expect("user");
        assert_eq!(user.time_zone, "Europe/Berlin");
        store
            .set_user_time_zone("1001", "")
            .await
            .expect("clear zone");
        let user = store.user("1001").await.expect("get").expect("user");
        assert_eq!(user.time_zone, "");
    })
    .await;
}

#[tokio::test]
async fn unknown_time_zone_is_refused_on_the_time_zone_field() {
    for_each_db(|store| async move {
        store.create_user(&alice()).await.expect("create");
        let err = store
            .set_user_time_zone("1001", "Mars/Olympus")
            .await
            .expect_err("unknown zone");
        assert!(
            matches!(&err, StoreError::Invalid(f) if f.field == "time_zone"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn new_user_may_start_with_a_time_zone() {
    for_each_db(|store| async move {
        let user = store
            .create_user(&NewUser {
                time_zone: "Asia/Tokyo".into(),
                ..NewUser::new("1002", "Bob")
            })
            .await
            .expect("create");
        assert_eq!(user.time_zone, "Asia/Tokyo");
    })
    .await;
}
