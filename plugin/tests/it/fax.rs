//! Fax: send (page and API), live progress (server-sent events and polling, with the page in
//! transfer and its bit rate), sent items, inbox and downloads.

use crate::common;

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::*;
use ringside_portal::model::{FaxState, FaxTransfer};
use tower::ServiceExt;

#[tokio::test]
async fn fax_page_lists_own_sent_items_and_inbox() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let page = app.get("/fax", &alice).await;
    assert!(page.body.contains("id=\"sent-1\"") && !page.body.contains("id=\"sent-2\""));
    assert!(page.body.contains("id=\"inbox-1\"") && !page.body.contains("id=\"inbox-2\""));
    assert!(page.body.contains("href=\"/fax/inbox/1/pdf\""));
    assert!(page.body.contains("id=\"fax-send-form\""));
}

#[tokio::test]
async fn send_form_queues_the_document_and_redirects_to_its_progress() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let file = Part::File {
        name: "document",
        file_name: "offer.pdf",
        content_type: "application/pdf",
        bytes: PDF,
    };
    let parts = [
        Part::Text("csrf_token", &alice.csrf),
        Part::Text("number", "0301234"),
        file,
    ];
    let answer = app.post_multipart("/fax/send", &alice, &parts).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.header("location").to_owned();
    let id: i64 = location
        .strip_prefix("/fax/jobs/")
        .expect("job page")
        .parse()
        .expect("id");
    let job = app.backend.lock().fax_jobs[&id].clone();
    assert_eq!(
        (
            job.owner.as_str(),
            job.number.as_str(),
            job.file_name.as_str()
        ),
        ("201", "0301234", "offer.pdf")
    );
    let page = app.get(&location, &alice).await;
    assert!(page.body.contains("id=\"fax-state\""));
    assert!(
        page.body.contains("http-equiv=\"refresh\""),
        "polling fallback without JavaScript"
    );
}

#[tokio::test]
async fn send_form_shows_a_bad_number_next_to_the_field() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let file = Part::File {
        name: "document",
        file_name: "a.pdf",
        content_type: "application/pdf",
        bytes: PDF,
    };
    let parts = [
        Part::Text("csrf_token", &alice.csrf),
        Part::Text("number", "call me"),
        file,
    ];
    let answer = app.post_multipart("/fax/send", &alice, &parts).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .body
            .contains("id=\"number-error\">a fax number has digits only")
    );
    assert!(answer.body.contains("value=\"call me\""));
}

#[tokio::test]
async fn send_form_explains_an_unreadable_document() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let file = Part::File {
        name: "document",
        file_name: "fake.pdf",
        content_type: "application/pdf",
        bytes: b"MZ\x90",
    };
    let parts = [
        Part::Text("csrf_token", &alice.csrf),
        Part::Text("number", "0301"),
        file,
    ];
    let answer = app.post_multipart("/fax/send", &alice, &parts).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .body
            .contains("The fax was not sent: the document is not a readable PDF or TIFF")
    );
}

#[tokio::test]
async fn send_form_without_a_document_is_a_clear_400() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let parts = [
        Part::Text("csrf_token", &alice.csrf),
        Part::Text("number", "0301"),
    ];
    let answer = app.post_multipart("/fax/send", &alice, &parts).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("choose a PDF or TIFF document"));
}

#[tokio::test]
async fn api_sends_a_tiff_and_reports_the_job() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app
        .upload(
            Method::POST,
            "/api/v1/fax/jobs?number=%2B4930123&file_name=scan.tif",
            &alice,
            "image/tiff",
            b"II*\0data".to_vec(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let job = answer.json();
    assert_eq!(job["number"], "+4930123");
    assert_eq!(job["state"], "queued");
    let id = job["id"].as_i64().expect("id");
    assert_eq!(
        app.get(&format!("/api/v1/fax/jobs/{id}"), &alice)
            .await
            .json()["file_name"],
        "scan.tif"
    );
    let list = app.get("/api/v1/fax/jobs", &alice).await.json();
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|j| j["owner"] == "201")
    );
}

#[tokio::test]
async fn progress_events_stream_until_the_fax_is_sent() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let mut request = get("/api/v1/fax/jobs/1/events", &alice);
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((CLIENT_IP, 1))));
    let response = app.router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut page1 = fake_backend::fax_job(1, "201", FaxState::Sending);
    page1.pages_sent = 1;
    app.backend.publish(page1);
    app.backend
        .publish(fake_backend::fax_job(2, "202", FaxState::Failed));
    let mut done = fake_backend::fax_job(1, "201", FaxState::Sent);
    done.pages_sent = 2;
    app.backend.publish(done);
    let body = answer(response).await.body;
    let events: Vec<serde_json::Value> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("json event"))
        .collect();
    let states: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e["id"].as_i64(),
                e["state"].as_str(),
                e["pages_sent"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (Some(1), Some("sending"), Some(0)),
            (Some(1), Some("sending"), Some(1)),
            (Some(1), Some("sent"), Some(2))
        ]
    );
    assert!(body.contains("event: progress"));
}

#[tokio::test]
async fn progress_events_of_a_finished_job_end_after_one_event() {
    let app = TestApp::new();
    app.backend.lock().fax_jobs.get_mut(&1).expect("job").state = FaxState::Failed;
    let alice = app.alice().await;
    let body = app.get("/api/v1/fax/jobs/1/events", &alice).await.body;
    assert_eq!(body.matches("event: progress").count(), 1);
    assert!(body.contains("\"state\":\"failed\""));
}

/// Page 2 of 3 at 14400 bit/s, one page through.
fn page_two_of_three() -> FaxTransfer {
    FaxTransfer {
        page: 2,
        pages_total: Some(3),
        pages_sent: 1,
        bit_rate: Some(14400),
    }
}

#[tokio::test]
async fn progress_of_a_job_being_sent_carries_its_page_and_bit_rate() {
    let app = TestApp::new();
    app.backend.set_transfer(1, Some(page_two_of_three()));
    let alice = app.alice().await;
    let answer = app.get("/api/v1/fax/jobs/1/progress", &alice).await;
    assert_eq!(answer.status, StatusCode::OK);
    let progress = answer.json();
    assert_eq!(progress["job"]["state"], "sending");
    assert_eq!(
        progress["transfer"],
        serde_json::json!({"page": 2, "pages_total": 3, "pages_sent": 1, "bit_rate": 14400})
    );
}

#[tokio::test]
async fn progress_without_a_reported_transfer_is_the_job_alone_not_an_error() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app.get("/api/v1/fax/jobs/1/progress", &alice).await;
    assert_eq!(answer.status, StatusCode::OK);
    let progress = answer.json();
    assert_eq!(progress["job"]["id"], 1);
    assert!(progress["transfer"].is_null(), "{progress}");
}

#[tokio::test]
async fn progress_of_another_users_job_is_not_found() {
    let app = TestApp::new();
    app.backend.set_transfer(2, Some(page_two_of_three()));
    let alice = app.alice().await;
    let answer = app.get("/api/v1/fax/jobs/2/progress", &alice).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn job_page_shows_the_page_being_sent_and_its_bit_rate() {
    let app = TestApp::new();
    app.backend
        .lock()
        .fax_jobs
        .get_mut(&1)
        .expect("job")
        .pages_total = Some(3);
    app.backend.set_transfer(1, Some(page_two_of_three()));
    let alice = app.alice().await;
    let page = app.get("/fax/jobs/1", &alice).await;
    assert!(
        page.body.contains(">page 2 of 3, 14400 bit/s</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("data-progress=\"/api/v1/fax/jobs/1/progress\"")
    );
    assert!(
        page.body.contains("value=\"1\""),
        "the bar counts the page through"
    );
    assert!(page.body.contains(">1 of 3 pages</span>"), "{}", page.body);
}

#[tokio::test]
async fn job_page_without_a_reported_transfer_shows_the_job_as_recorded() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let page = app.get("/fax/jobs/1", &alice).await;
    assert!(
        page.body
            .contains("id=\"fax-transfer\" class=\"muted\" aria-live=\"polite\"></span>")
    );
    assert!(page.body.contains(">sending<"));
}

#[tokio::test]
async fn a_finished_job_has_no_transfer_on_its_page() {
    let app = TestApp::new();
    app.backend.set_transfer(1, Some(page_two_of_three()));
    app.backend.lock().fax_jobs.get_mut(&1).expect("job").state = FaxState::Sent;
    let alice = app.alice().await;
    let page = app.get("/fax/jobs/1", &alice).await;
    assert!(!page.body.contains("page 2 of 3"), "{}", page.body);
    let progress = app.get("/api/v1/fax/jobs/1/progress", &alice).await.json();
    assert!(progress["transfer"].is_null(), "{progress}");
}

#[tokio::test]
async fn finished_job_page_stops_refreshing() {
    let app = TestApp::new();
    app.backend.lock().fax_jobs.get_mut(&1).expect("job").state = FaxState::Sent;
    let alice = app.alice().await;
    let page = app.get("/fax/jobs/1", &alice).await;
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    assert!(page.body.contains(">sent<"));
}

#[tokio::test]
async fn sent_and_received_documents_download_as_pdf_or_tiff() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let pdf = app.get("/fax/sent/1/pdf", &alice).await;
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert_eq!(
        pdf.header("content-disposition"),
        "attachment; filename=\"fax-sent-1.pdf\""
    );
    assert_eq!(pdf.body, "Pdf of sent fax 1 of 201");
    let tiff = app.get("/api/v1/fax/inbox/1/document/tiff", &alice).await;
    assert_eq!(tiff.header("content-type"), "image/tiff");
    assert_eq!(tiff.body, "Tiff of received fax 1 of 201");
    assert_eq!(
        app.get("/api/v1/fax/jobs/1/document/pdf", &alice)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/fax/inbox/1/pdf", &alice).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_lists_the_inbox() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let inbox = app.get("/api/v1/fax/inbox", &alice).await.json();
    assert_eq!(inbox.as_array().expect("list").len(), 1);
    assert_eq!(inbox[0]["from_number"], "from-201");
    assert_eq!(
        app.get("/api/v1/fax/inbox/1", &alice).await.json()["pages"],
        1
    );
}
