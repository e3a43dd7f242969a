//! The shared database harness itself: URL handling and that each run gets a fresh database.

use crate::common;

use common::{for_each_test_db, with_database};

#[test]
fn database_name_is_replaced_keeping_parameters() {
    assert_eq!(
        with_database("postgres://u@h:5432/ringside_test?sslmode=disable", "rs_1"),
        "postgres://u@h:5432/rs_1?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://u@h", "rs_1"),
        "postgres://u@h/rs_1"
    );
}

#[tokio::test]
async fn each_database_starts_empty() {
    for_each_test_db(|db| async move {
        let page = db
            .store
            .list_users(&Default::default())
            .await
            .expect("list users");
        assert_eq!(page.total, 0, "{:?} database is not fresh", db.kind);
    })
    .await;
}
