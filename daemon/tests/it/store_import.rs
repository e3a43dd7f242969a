//! CSV user import, on SQLite and (when configured) PostgreSQL.

use crate::common;

use crate::store_users::user_count;
use common::for_each_db;
use ringside::store::{Dialect, NewUser, StoreError};

#[tokio::test]
async fn valid_rows_are_imported_with_working_passwords() {
    for_each_db(|store| async move {
        let csv = "extension,name,email,password\n\
                   1001,\"Example, Alice\",alice@example.com,alice-secret\n\
                   1002,Bob,,generate\n";
        let report = store.import_users_csv(csv, true).await.expect("import");
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert_eq!(report.accepted.len(), 2);
        assert_eq!(report.accepted[0].generated_password, None);
        let generated = report.accepted[1]
            .generated_password
            .clone()
            .expect("generated for bob");

        let alice = store.user("1001").await.expect("get").expect("imported");
        assert_eq!(alice.display_name, "Example, Alice");
        assert!(alice.portal_enabled);
        store
            .verify_password("1001", "alice-secret")
            .await
            .expect("alice's password");
        store
            .verify_password("1002", &generated)
            .await
            .expect("bob's generated password");
    })
    .await;
}

#[tokio::test]
async fn bad_rows_are_reported_and_good_rows_still_imported() {
    for_each_db(|store| async move {
        let csv = "1001,Alice,,generate\n\
                   1x02,Bob,,generate\n\
                   1003,Carol,carol@,generate\n\
                   1004,Dave,,generate\n";
        let report = store.import_users_csv(csv, false).await.expect("import");
        let accepted: Vec<_> = report
            .accepted
            .iter()
            .map(|u| u.extension.as_str())
            .collect();
        assert_eq!(accepted, ["1001", "1004"]);
        let rejected: Vec<_> = report.rejected.iter().map(|r| r.line).collect();
        assert_eq!(rejected, [2, 3]);
        assert!(
            report.rejected[1].reason.contains("email"),
            "{:?}",
            report.rejected
        );
        assert_eq!(user_count(&store).await, 2);
    })
    .await;
}

#[tokio::test]
async fn existing_extension_is_rejected_and_left_unchanged() {
    for_each_db(|store| async move {
        store
            .create_user(&NewUser::new("1001", "Original"))
            .await
            .expect("existing user");
        let report = store
            .import_users_csv("1001,Impostor,,generate\n1002,Bob,,generate\n", false)
            .await
            .expect("import");
        assert_eq!(report.accepted.len(), 1);
        assert_eq!(report.rejected[0].extension, "1001");
        assert!(report.rejected[0].reason.contains("already exists"));
        let user = store.user("1001").await.expect("get").expect("exists");
        assert_eq!(user.display_name, "Original");
    })
    .await;
}

#[tokio::test]
async fn malformed_csv_imports_nothing() {
    for_each_db(|store| async move {
        let err = store
            .import_users_csv("1001,Alice,,generate\n1002,\"Bob,,generate\n", false)
            .await
            .expect_err("unclosed quote");
        assert!(matches!(err, StoreError::Import(_)), "{err}");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert_eq!(user_count(&store).await, 0);
    })
    .await;
}

/// Makes the database refuse to insert extension 1003, whatever the import checked before.
async fn refuse_extension_1003(store: &ringside::store::Store) {
    let sql = match store.dialect() {
        Dialect::Sqlite => {
            "CREATE TRIGGER refuse_1003 BEFORE INSERT ON users WHEN NEW.extension = '1003' \
             BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;"
        }
        Dialect::Postgres => {
            "CREATE FUNCTION refuse_1003() RETURNS trigger AS $$ BEGIN \
               IF NEW.extension = '1003' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; \
               RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_1003 BEFORE INSERT ON users \
               FOR EACH ROW EXECUTE FUNCTION refuse_1003();"
        }
    };
    sqlx::raw_sql(sql)
        .execute(store.pool())
        .await
        .expect("install test trigger");
}

#[tokio::test]
async fn failure_during_insert_rolls_back_every_row() {
    for_each_db(|store| async move {
        refuse_extension_1003(&store).await;
        let err = store
            .import_users_csv(
                "1001,Alice,,generate\n1002,Bob,,generate\n1003,Carol,,generate\n",
                false,
            )
            .await
            .expect_err("third insert fails");
        assert!(err.to_string().contains("refused by test trigger"), "{err}");
        assert_eq!(user_count(&store).await, 0);
    })
    .await;
}

#[tokio::test]
async fn optional_time_zone_column_is_imported() {
    for_each_db(|store| async move {
        let csv = "1001,Alice,,generate,europe/berlin\n1002,Bob,,generate\n";
        let report = store.import_users_csv(csv, true).await.expect("import");
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        let alice = store.user("1001").await.expect("get").expect("alice");
        let bob = store.user("1002").await.expect("get").expect("bob");
        assert_eq!(alice.time_zone, "Europe/Berlin");
        assert_eq!(bob.time_zone, "");
    })
    .await;
}
