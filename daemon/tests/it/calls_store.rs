//! The call history in the store, on SQLite and (when configured) PostgreSQL: records stored
//! once, grouped into calls by linkedid, found per user with filters, pruned by age.

use chrono::{DateTime, Datelike, Utc};
use ringside::ami::Event;
use ringside::ami::simulator::cdr::{recorded_events, recorded_events_with_mappings};
use ringside::cdr::record::RawCdr;
use ringside::cdr::{Cdr, Direction, Status};
use ringside::schedule::zone::Zone;
use ringside::store::Store;
use ringside::store::calls::{CallQuery, CdrCursor, FileId, Via};

use crate::common::for_each_db;

/// The seven recorded `Cdr` events (two calls), as records.
pub fn recorded_cdrs(mapped: bool) -> Vec<Cdr> {
    let events = if mapped {
        recorded_events_with_mappings()
    } else {
        recorded_events()
    };
    events
        .into_iter()
        .map(|m| match Event::from_message(m) {
            Event::Cdr(e) => Cdr::from_event(&e, &Zone::utc()).expect("recorded event is valid"),
            other => panic!("not a Cdr event: {other:?}"),
        })
        .collect()
}

/// One trunk call to or from `ext` at `when`, a call of its own.
pub fn outside_call(
    id: u32,
    ext: &str,
    other: &str,
    incoming: bool,
    when: &str,
    disposition: &str,
) -> Cdr {
    let answered = disposition == "ANSWERED";
    let (src, dst, chan, dchan) = if incoming {
        (
            other.to_owned(),
            ext.to_owned(),
            "PJSIP/trunk-00000001".to_owned(),
            format!("PJSIP/{ext}-00000002"),
        )
    } else {
        (
            ext.to_owned(),
            other.to_owned(),
            format!("PJSIP/{ext}-00000001"),
            "PJSIP/trunk-00000002".to_owned(),
        )
    };
    let unique = format!("1796000000.{id}");
    RawCdr {
        source: &src,
        destination: &dst,
        caller_id: "\"Bob\" <5551234>",
        channel: &chan,
        destination_channel: &dchan,
        last_application: "Dial",
        start: when,
        answer: if answered { when } else { "" },
        end: when,
        duration: "0",
        billable: "0",
        disposition,
        unique_id: &unique,
        ..RawCdr::default()
    }
    .check(&Zone::utc())
    .expect("valid")
}

async fn users(store: &Store, exts: &[&str]) {
    for ext in exts {
        store
            .create_user(&ringside::store::NewUser::new(*ext, format!("User {ext}")))
            .await
            .expect("user");
    }
}

fn of(ext: &str) -> CallQuery {
    CallQuery {
        extension: Some(ext.into()),
        limit: 50,
        ..CallQuery::default()
    }
}

fn at(s: &str) -> DateTime<Utc> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .expect("time")
        .and_utc()
}

#[tokio::test]
async fn a_record_arriving_twice_is_stored_once() {
    for_each_db(|store| async move {
        let cdrs = recorded_cdrs(true);
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let again = store.insert_cdrs(&cdrs, Via::Csv).await.expect("insert");
        assert_eq!((again.inserted, again.duplicates), (0, 7));
        assert_eq!(store.cdr_count().await.expect("count"), 7);
    })
    .await;
}

#[tokio::test]
async fn the_recorded_local_pair_calls_are_two_calls_in_each_users_history() {
    for_each_db(|store| async move {
        users(&store, &["1001", "2001", "2002"]).await;
        store
            .insert_cdrs(&recorded_cdrs(true), Via::Ami)
            .await
            .expect("insert");
        let (calls, _) = store.calls_page(&of("1001")).await.expect("page");
        let seen: Vec<(&str, Status, Option<Direction>)> = calls
            .iter()
            .map(|c| (c.callee.as_str(), c.status, c.direction))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("2002", Status::Busy, Some(Direction::Internal)),
                ("2001", Status::Answered, Some(Direction::Internal)),
            ]
        );
        let (callee_view, _) = store.calls_page(&of("2001")).await.expect("page");
        assert_eq!(callee_view.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_call_from_outside_is_incoming_for_the_extension() {
    for_each_db(|store| async move {
        users(&store, &["1001"]).await;
        let cdr = outside_call(
            1,
            "1001",
            "5551234",
            true,
            "2026-12-05 10:00:00",
            "NO ANSWER",
        );
        store.insert_cdrs(&[cdr], Via::Ami).await.expect("insert");
        let (calls, _) = store.calls_page(&of("1001")).await.expect("page");
        assert_eq!(calls[0].direction, Some(Direction::Incoming));
        assert_eq!(calls[0].status, Status::Missed);
    })
    .await;
}

#[tokio::test]
async fn records_without_linkedid_join_their_call_when_it_arrives() {
    for_each_db(|store| async move {
        store
            .insert_cdrs(&recorded_cdrs(false), Via::Csv)
            .await
            .expect("insert");
        let (before, _) = store
            .calls_page(&CallQuery {
                limit: 50,
                ..CallQuery::default()
            })
            .await
            .expect("page");
        assert_eq!(before.len(), 6, "one call per uniqueid without linkedids");
        store
            .insert_cdrs(&recorded_cdrs(true), Via::Ami)
            .await
            .expect("insert");
        let (after, _) = store
            .calls_page(&CallQuery {
                limit: 50,
                ..CallQuery::default()
            })
            .await
            .expect("page");
        assert_eq!(after.len(), 2);
        assert_eq!(store.cdr_count().await.expect("count"), 7);
    })
    .await;
}

#[tokio::test]
async fn the_status_filter_keeps_only_missed_calls() {
    for_each_db(|store| async move {
        let cdrs = [
            outside_call(
                1,
                "1001",
                "5551234",
                true,
                "2026-12-01 10:00:00",
                "NO ANSWER",
            ),
            outside_call(
                2,
                "1001",
                "5559999",
                true,
                "2026-12-02 10:00:00",
                "ANSWERED",
            ),
        ];
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let q = CallQuery {
            status: Some(Status::Missed),
            ..of("1001")
        };
        let (calls, _) = store.calls_page(&q).await.expect("page");
        assert_eq!(
            calls.iter().map(|c| c.caller.as_str()).collect::<Vec<_>>(),
            vec!["5551234"]
        );
    })
    .await;
}

#[tokio::test]
async fn the_number_filter_matches_part_of_the_other_number() {
    for_each_db(|store| async move {
        let cdrs = [
            outside_call(
                1,
                "1001",
                "5551234",
                false,
                "2026-12-01 10:00:00",
                "ANSWERED",
            ),
            outside_call(
                2,
                "1001",
                "0301234",
                false,
                "2026-12-02 10:00:00",
                "ANSWERED",
            ),
        ];
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let q = CallQuery {
            number: Some("555".into()),
            ..of("1001")
        };
        let (calls, _) = store.calls_page(&q).await.expect("page");
        assert_eq!(
            calls.iter().map(|c| c.callee.as_str()).collect::<Vec<_>>(),
            vec!["5551234"]
        );
    })
    .await;
}

#[tokio::test]
async fn the_date_range_includes_its_start_and_excludes_its_end() {
    for_each_db(|store| async move {
        let cdrs = [
            outside_call(1, "1001", "1", false, "2026-12-01 00:00:00", "ANSWERED"),
            outside_call(2, "1001", "2", false, "2026-12-01 23:59:59", "ANSWERED"),
            outside_call(3, "1001", "3", false, "2026-12-02 00:00:00", "ANSWERED"),
        ];
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let q = CallQuery {
            from: Some(at("2026-12-01 00:00:00")),
            to: Some(at("2026-12-02 00:00:00")),
            ..of("1001")
        };
        let (calls, _) = store.calls_page(&q).await.expect("page");
        assert_eq!(
            calls.iter().map(|c| c.callee.as_str()).collect::<Vec<_>>(),
            vec!["2", "1"]
        );
    })
    .await;
}

#[tokio::test]
async fn the_direction_filter_keeps_only_outgoing_calls() {
    for_each_db(|store| async move {
        let cdrs = [
            outside_call(
                1,
                "1001",
                "5550001",
                false,
                "2026-12-01 10:00:00",
                "ANSWERED",
            ),
            outside_call(
                2,
                "1001",
                "5550002",
                true,
                "2026-12-02 10:00:00",
                "ANSWERED",
            ),
        ];
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let q = CallQuery {
            direction: Some(Direction::Outgoing),
            ..of("1001")
        };
        let (calls, _) = store.calls_page(&q).await.expect("page");
        assert_eq!(
            calls.iter().map(|c| c.callee.as_str()).collect::<Vec<_>>(),
            vec!["5550001"]
        );
    })
    .await;
}

#[tokio::test]
async fn pages_run_newest_first_and_say_when_more_follow() {
    for_each_db(|store| async move {
        let cdrs: Vec<Cdr> = (1..=3)
            .map(|i| {
                outside_call(
                    i,
                    "1001",
                    &format!("555000{i}"),
                    false,
                    &format!("2026-12-0{i} 10:00:00"),
                    "ANSWERED",
                )
            })
            .collect();
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let q = CallQuery {
            limit: 2,
            ..of("1001")
        };
        let (first, more) = store.calls_page(&q).await.expect("page");
        assert_eq!(
            first.iter().map(|c| c.callee.as_str()).collect::<Vec<_>>(),
            vec!["5550003", "5550002"]
        );
        assert!(more);
        let (last, more) = store
            .calls_page(&CallQuery { offset: 2, ..q })
            .await
            .expect("page");
        assert_eq!(last.len(), 1);
        assert!(!more);
    })
    .await;
}

/// Asks `store` for every page of `q` both ways, a walk (an export's reader) and the pool,
/// and checks they match; answers the calls.
async fn walked_and_paged(store: &Store, q: CallQuery) -> Vec<ringside::store::calls::CallRow> {
    let mut walk = store.call_walk().await.expect("walk");
    let mut walked = Vec::new();
    let mut q = q;
    loop {
        let (page, more) = walk.page(&q).await.expect("walked page");
        let (pooled, pooled_more) = store.calls_page(&q).await.expect("pooled page");
        assert_eq!(page, pooled, "a walked page is the pool's page");
        assert_eq!(more, pooled_more);
        let last = page.last().map(|c| (c.started, c.call_id.clone()));
        walked.extend(page);
        match last {
            Some(before) if more => q.before = Some(before),
            _ => break,
        }
    }
    walk.finish().await;
    walked
}

fn five_calls_of_1001() -> Vec<Cdr> {
    (1..=5)
        .map(|i| {
            outside_call(
                i,
                "1001",
                &format!("555000{i}"),
                i % 2 == 0,
                &format!("2026-12-0{i} 10:00:00"),
                if i == 3 { "NO ANSWER" } else { "ANSWERED" },
            )
        })
        .collect()
}

/// Stores [`five_calls_of_1001`], then walks 1001's calls two at a time.
async fn five_calls_of_1001_walked_two_at_a_time(
    store: &Store,
) -> Vec<ringside::store::calls::CallRow> {
    store
        .insert_cdrs(&five_calls_of_1001(), Via::Ami)
        .await
        .expect("insert");
    walked_and_paged(
        store,
        CallQuery {
            limit: 2,
            ..of("1001")
        },
    )
    .await
}

#[tokio::test]
async fn a_walk_reads_the_same_pages_as_the_pool_for_a_user_and_for_everyone() {
    for_each_db(|store| async move {
        let mine = five_calls_of_1001_walked_two_at_a_time(&store).await;
        assert_eq!(
            mine.iter().map(|c| c.started.day()).collect::<Vec<_>>(),
            vec![5, 4, 3, 2, 1],
            "every call, newest first, across pages"
        );
        assert!(mine.iter().all(|c| c.direction.is_some()));
        let everyone = walked_and_paged(
            &store,
            CallQuery {
                limit: 3,
                status: Some(Status::Answered),
                ..CallQuery::default()
            },
        )
        .await;
        assert_eq!(everyone.len(), 4);
        assert!(everyone.iter().all(|c| c.direction.is_none()));
    })
    .await;
}

#[tokio::test]
async fn a_walk_over_an_in_memory_database_reads_through_the_pool() {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let mine = five_calls_of_1001_walked_two_at_a_time(&store).await;
    assert_eq!(
        mine.len(),
        5,
        "a connection of its own would see an empty database"
    );
}

#[tokio::test]
async fn another_users_calls_are_not_in_a_history() {
    for_each_db(|store| async move {
        let cdr = outside_call(
            1,
            "1001",
            "5551234",
            true,
            "2026-12-05 10:00:00",
            "ANSWERED",
        );
        store.insert_cdrs(&[cdr], Via::Ami).await.expect("insert");
        let (calls, _) = store.calls_page(&of("1002")).await.expect("page");
        assert!(calls.is_empty());
    })
    .await;
}

#[tokio::test]
async fn pruning_deletes_old_calls_with_their_records() {
    for_each_db(|store| async move {
        let cdrs = [
            outside_call(1, "1001", "1", false, "2025-01-01 10:00:00", "ANSWERED"),
            outside_call(2, "1001", "2", false, "2026-12-01 10:00:00", "ANSWERED"),
        ];
        store.insert_cdrs(&cdrs, Via::Ami).await.expect("insert");
        let pruned = store
            .prune_calls(at("2026-01-01 00:00:00"))
            .await
            .expect("prune");
        assert_eq!(pruned, 1);
        assert_eq!(store.cdr_count().await.expect("count"), 1);
        let (calls, _) = store.calls_page(&of("1001")).await.expect("page");
        assert_eq!(calls.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_detail_lists_a_calls_records_in_order() {
    for_each_db(|store| async move {
        store
            .insert_cdrs(&recorded_cdrs(true), Via::Ami)
            .await
            .expect("insert");
        let (_, rows) = store
            .call_detail("1796511036.412")
            .await
            .expect("detail")
            .expect("known call");
        let ids: Vec<&str> = rows.iter().map(|r| r.unique_id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "1796511036.412",
                "1796511036.413",
                "1796511036.413",
                "1796511036.415"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn the_csv_cursor_is_kept() {
    for_each_db(|store| async move {
        assert_eq!(
            store.cdr_cursor("csv:x").await.expect("cursor"),
            CdrCursor::default()
        );
        let first = CdrCursor {
            position: 1234,
            file: Some(FileId {
                device: 64769,
                inode: u64::MAX - 1,
            }),
            head: Some("digest".into()),
        };
        store.set_cdr_cursor("csv:x", &first).await.expect("set");
        let second = CdrCursor {
            position: 2345,
            ..first
        };
        store.set_cdr_cursor("csv:x", &second).await.expect("set");
        assert_eq!(store.cdr_cursor("csv:x").await.expect("cursor"), second);
    })
    .await;
}
