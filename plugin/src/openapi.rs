//! The OpenAPI 3 document of the JSON API, served at `/api/v1/openapi.json`. Hand-written: each
//! operation lists its method, path, summary, body and answer; schemas mirror [`crate::model`].

use serde_json::{Map, Value, json};

struct Op {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    /// Media type and schema of the request body.
    body: Option<(&'static str, Value)>,
    /// Success status, media type and schema.
    ok: (&'static str, &'static str, Value),
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list(name: &str) -> Value {
    json!({ "type": "array", "items": r(name) })
}

fn binary() -> Value {
    json!({ "type": "string", "format": "binary" })
}

fn obj(props: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn s() -> Value {
    json!({ "type": "string" })
}
fn b() -> Value {
    json!({ "type": "boolean" })
}
fn int() -> Value {
    json!({ "type": "integer" })
}
fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}
fn nullable(v: Value) -> Value {
    json!({ "oneOf": [v, { "type": "null" }] })
}
fn one_of(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

const JSON: &str = "application/json";

fn operations() -> Vec<Op> {
    let op = |method, path, summary, body, ok| Op {
        method,
        path,
        summary,
        body,
        ok,
    };
    let none = || json!({});
    vec![
        op(
            "get",
            "/api/v1/openapi.json",
            "This document",
            None,
            ("200", JSON, json!({"type": "object"})),
        ),
        op(
            "post",
            "/api/v1/session",
            "Log in (extension + password); sets the session cookie",
            Some((JSON, obj(&[("extension", s()), ("password", s())]))),
            ("200", JSON, r("SessionInfo")),
        ),
        op(
            "get",
            "/api/v1/session",
            "The current session and its CSRF token",
            None,
            ("200", JSON, r("SessionInfo")),
        ),
        op(
            "delete",
            "/api/v1/session",
            "Log out",
            None,
            ("204", JSON, none()),
        ),
        op(
            "delete",
            "/api/v1/admin/users/{ext}",
            "Delete a user with their follow-me, call handling, wakeup calls and sessions \
             (voicemail and faxes stay); not one's own account",
            None,
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/admin/next-extension",
            "An extension nobody has, following the highest in use (null: none to follow)",
            None,
            ("200", JSON, obj(&[("extension", nullable(s()))])),
        ),
        op(
            "get",
            "/api/v1/profile",
            "Own profile",
            None,
            (
                "200",
                JSON,
                obj(&[
                    ("extension", s()),
                    ("name", s()),
                    ("email", s()),
                    ("time_zone", s()),
                ]),
            ),
        ),
        op(
            "put",
            "/api/v1/profile/time-zone",
            "Change own time zone (an IANA name; empty: the server's default); every time is \
             shown in it and new wakeups start in it",
            Some((JSON, obj(&[("time_zone", s())]))),
            ("204", JSON, none()),
        ),
        op(
            "put",
            "/api/v1/profile/email",
            "Change own email (empty removes it)",
            Some((JSON, obj(&[("email", s())]))),
            ("204", JSON, none()),
        ),
        op(
            "put",
            "/api/v1/profile/password",
            "Change own password; the old one is required",
            Some((JSON, obj(&[("old_password", s()), ("new_password", s())]))),
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/followme",
            "Own follow-me settings",
            None,
            ("200", JSON, r("FollowMe")),
        ),
        op(
            "put",
            "/api/v1/followme",
            "Replace own follow-me settings",
            Some((JSON, r("FollowMe"))),
            ("200", JSON, r("FollowMe")),
        ),
        op(
            "get",
            "/api/v1/call-handling",
            "Own call handling: do-not-disturb, forwarding, ring time, time rules",
            None,
            ("200", JSON, r("CallHandling")),
        ),
        op(
            "put",
            "/api/v1/call-handling",
            "Replace own call handling",
            Some((JSON, r("CallHandling"))),
            ("200", JSON, r("CallHandling")),
        ),
        op(
            "get",
            "/api/v1/call-handling/status",
            "Own do-not-disturb, forwards that are on, and follow-me, at a glance",
            None,
            ("200", JSON, r("CallHandlingStatus")),
        ),
        op(
            "get",
            "/api/v1/greetings",
            "Greeting slots and which one callers hear now",
            None,
            ("200", JSON, r("GreetingsOverview")),
        ),
        op(
            "put",
            "/api/v1/greetings/{slot}",
            "Upload audio (any format) into a slot; body is the raw audio, query file_name optional",
            Some(("audio/*", binary())),
            ("200", JSON, r("GreetingInfo")),
        ),
        op(
            "delete",
            "/api/v1/greetings/{slot}",
            "Delete a greeting",
            None,
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/greetings/{slot}/audio",
            "A greeting as WAV",
            None,
            ("200", "audio/wav", binary()),
        ),
        op(
            "get",
            "/api/v1/wakeups",
            "Own wakeup calls",
            None,
            ("200", JSON, list("Wakeup")),
        ),
        op(
            "post",
            "/api/v1/wakeups",
            "Create a wakeup call",
            Some((JSON, r("WakeupSpec"))),
            ("201", JSON, r("Wakeup")),
        ),
        op(
            "get",
            "/api/v1/wakeups/prompts",
            "Prompts the user may pick for a wakeup: the system's, then their own uploads",
            None,
            ("200", JSON, list("PromptChoice")),
        ),
        op(
            "post",
            "/api/v1/wakeups/prompts",
            "Upload an own prompt (converted like a greeting); body is the raw audio, query name and file_name optional (the name is made from file_name when empty)",
            Some(("audio/*", binary())),
            ("201", JSON, r("PromptChoice")),
        ),
        op(
            "delete",
            "/api/v1/wakeups/prompts/{name}",
            "Delete an own prompt by its own name",
            None,
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/wakeups/{id}",
            "One own wakeup call",
            None,
            ("200", JSON, r("Wakeup")),
        ),
        op(
            "put",
            "/api/v1/wakeups/{id}",
            "Replace an own wakeup call",
            Some((JSON, r("WakeupSpec"))),
            ("200", JSON, r("Wakeup")),
        ),
        op(
            "delete",
            "/api/v1/wakeups/{id}",
            "Delete an own wakeup call",
            None,
            ("204", JSON, none()),
        ),
        op(
            "put",
            "/api/v1/wakeups/{id}/enabled",
            "Enable or disable an own wakeup call",
            Some((JSON, obj(&[("enabled", b())]))),
            ("200", JSON, r("Wakeup")),
        ),
        op(
            "get",
            "/api/v1/wakeups/{id}/attempts",
            "History of attempts, newest first",
            None,
            ("200", JSON, list("WakeupAttempt")),
        ),
        op(
            "get",
            "/api/v1/fax/jobs",
            "Sent and in-progress faxes",
            None,
            ("200", JSON, list("FaxJob")),
        ),
        op(
            "post",
            "/api/v1/fax/jobs",
            "Send a fax; body is the raw PDF or TIFF, query number (required) and file_name",
            Some(("application/pdf", binary())),
            ("201", JSON, r("FaxJob")),
        ),
        op(
            "get",
            "/api/v1/fax/jobs/{id}",
            "One fax job (poll for progress)",
            None,
            ("200", JSON, r("FaxJob")),
        ),
        op(
            "delete",
            "/api/v1/fax/jobs/{id}",
            "Delete a sent or failed fax with its files (409 while it is still being sent)",
            None,
            ("204", JSON, none()),
        ),
        op(
            "post",
            "/api/v1/fax/jobs/{id}/cancel",
            "Cancel a fax not yet sent (409 when it already ended)",
            None,
            ("200", JSON, r("FaxJob")),
        ),
        op(
            "post",
            "/api/v1/fax/jobs/{id}/resend",
            "Send a failed fax again, to the same number, as a new job (409 unless it failed)",
            None,
            ("201", JSON, r("FaxJob")),
        ),
        op(
            "delete",
            "/api/v1/fax/inbox/{id}",
            "Delete a received fax with its files",
            None,
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/fax/jobs/{id}/progress",
            "The job with the page being sent and the bit rate while it is sent (transfer null when the phone system reports none); poll about once a second",
            None,
            ("200", JSON, r("FaxProgress")),
        ),
        op(
            "get",
            "/api/v1/fax/jobs/{id}/events",
            "Progress as server-sent events (event `progress`, data FaxJob) until sent or failed",
            None,
            ("200", "text/event-stream", s()),
        ),
        op(
            "get",
            "/api/v1/fax/jobs/{id}/document/{format}",
            "A sent document as pdf or tiff",
            None,
            ("200", "application/pdf", binary()),
        ),
        op(
            "get",
            "/api/v1/fax/inbox",
            "Received faxes",
            None,
            ("200", JSON, list("ReceivedFax")),
        ),
        op(
            "get",
            "/api/v1/fax/inbox/{id}",
            "One received fax",
            None,
            ("200", JSON, r("ReceivedFax")),
        ),
        op(
            "get",
            "/api/v1/fax/inbox/{id}/document/{format}",
            "A received fax as pdf or tiff",
            None,
            ("200", "application/pdf", binary()),
        ),
        op(
            "get",
            "/api/v1/voicemail",
            "Own voicemail: one page of a folder, newest first, with every folder's count (query folder = INBOX|Old|Work|Family|Friends|Urgent, page, per_page)",
            None,
            ("200", JSON, r("VoicemailPage")),
        ),
        op(
            "get",
            "/api/v1/voicemail/count",
            "Number of new (unheard) messages",
            None,
            ("200", JSON, obj(&[("new", int())])),
        ),
        op(
            "get",
            "/api/v1/voicemail/events",
            "New-message count as server-sent events (event `count`, data {\"new\": n}) now and on every change",
            None,
            ("200", "text/event-stream", s()),
        ),
        op(
            "post",
            "/api/v1/voicemail/delete",
            "Delete several messages; ids already gone are listed, not errors",
            Some((
                JSON,
                obj(&[("ids", json!({"type": "array", "items": s()}))]),
            )),
            ("200", JSON, r("VoicemailDeleteReport")),
        ),
        op(
            "get",
            "/api/v1/voicemail/messages/{id}",
            "One own message by msg_id (410 when it no longer exists)",
            None,
            ("200", JSON, r("VoicemailMessage")),
        ),
        op(
            "delete",
            "/api/v1/voicemail/messages/{id}",
            "Delete a message (410 when it no longer exists, 503 when Asterisk's manager link is down)",
            None,
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/voicemail/messages/{id}/audio",
            "The recording as 16-bit PCM WAV; honours Range (206); fetching from byte 0 marks a new message heard; query download=1 for an attachment",
            None,
            ("200", "audio/wav", binary()),
        ),
        op(
            "put",
            "/api/v1/voicemail/messages/{id}/folder",
            "Move a message to another folder",
            Some((JSON, obj(&[("folder", r("VoicemailFolder"))]))),
            ("204", JSON, none()),
        ),
        op(
            "put",
            "/api/v1/voicemail/messages/{id}/read",
            "Mark heard (to Old) or new (to INBOX)",
            Some((JSON, obj(&[("read", b())]))),
            ("204", JSON, none()),
        ),
        op(
            "get",
            "/api/v1/admin/users",
            "Users (query q, page, per_page)",
            None,
            ("200", JSON, r("UserPage")),
        ),
        op(
            "post",
            "/api/v1/admin/users",
            "Create a user (menu access from the defaults)",
            Some((JSON, r("NewUser"))),
            (
                "201",
                JSON,
                obj(&[("user", r("User")), ("generated_password", nullable(s()))]),
            ),
        ),
        op(
            "get",
            "/api/v1/admin/users/{ext}",
            "One user",
            None,
            ("200", JSON, r("User")),
        ),
        op(
            "put",
            "/api/v1/admin/users/{ext}",
            "Edit a user, incl. portal enable, disable and menu access",
            Some((JSON, r("UserUpdate"))),
            ("200", JSON, r("User")),
        ),
        op(
            "post",
            "/api/v1/admin/users/{ext}/password",
            "Reset a password (null generates one)",
            Some((JSON, obj(&[("password", nullable(s()))]))),
            ("200", JSON, obj(&[("password", s())])),
        ),
        op(
            "post",
            "/api/v1/admin/import",
            "Import users from CSV (extension,name,email,password|generate)",
            Some(("text/csv", s())),
            ("200", JSON, r("ImportReport")),
        ),
        op(
            "get",
            "/api/v1/admin/access-defaults",
            "Menu access for new users",
            None,
            ("200", JSON, r("MenuAccess")),
        ),
        op(
            "put",
            "/api/v1/admin/access-defaults",
            "Set menu access for new users",
            Some((JSON, r("MenuAccess"))),
            ("200", JSON, r("MenuAccess")),
        ),
        op(
            "get",
            "/api/v1/calls",
            "Own call history, newest first (query since, until = YYYY-MM-DD in tz, status = answered|missed|busy|failed, direction = incoming|outgoing|internal, number, tz = IANA zone, page, per_page); a value that does not parse is a 400",
            None,
            ("200", JSON, r("CallsPage")),
        ),
        op(
            "post",
            "/api/v1/calls/export",
            "Own calls the filter selects as a file (write access to the menu) (query since, until = YYYY-MM-DD in tz, status = answered|missed|busy|failed, direction = incoming|outgoing|internal, number, tz = IANA zone, format = csv|xlsx)",
            None,
            ("200", "text/csv", binary()),
        ),
        op(
            "get",
            "/api/v1/calls/{id}",
            "One own call with its CDR rows and whether its recording may be replayed (query tz)",
            None,
            ("200", JSON, r("CallDetail")),
        ),
        op(
            "get",
            "/api/v1/calls/{id}/recording",
            "The call's recording (query download to save it); 404 without the replay right, 410 when the file is missing",
            None,
            ("200", "audio/wav", binary()),
        ),
        op(
            "get",
            "/api/v1/admin/calls",
            "Every call, or one extension's (query since, until = YYYY-MM-DD in tz, status = answered|missed|busy|failed, direction = incoming|outgoing|internal, number, tz = IANA zone, extension, page, per_page)",
            None,
            ("200", JSON, r("CallsPage")),
        ),
        op(
            "post",
            "/api/v1/admin/calls/export",
            "Every call the filter selects as a file (query since, until = YYYY-MM-DD in tz, status = answered|missed|busy|failed, direction = incoming|outgoing|internal, number, tz = IANA zone, extension, format = csv|xlsx)",
            None,
            ("200", "text/csv", binary()),
        ),
        op(
            "get",
            "/api/v1/admin/calls/{id}",
            "Any call with its CDR rows (query tz)",
            None,
            ("200", JSON, r("CallDetail")),
        ),
        op(
            "get",
            "/api/v1/admin/calls/{id}/recording",
            "Any call's recording; 410 when the file is missing",
            None,
            ("200", "audio/wav", binary()),
        ),
        op(
            "get",
            "/api/v1/admin/users/{ext}/replay",
            "Who may replay recordings: none, own (calls the user was on) or all",
            None,
            ("200", JSON, r("ReplayRight")),
        ),
        op(
            "put",
            "/api/v1/admin/users/{ext}/replay",
            "Set the user's replay right",
            Some((JSON, r("ReplayRight"))),
            ("200", JSON, r("ReplayRight")),
        ),
        op(
            "get",
            "/api/v1/admin/status",
            "System status",
            None,
            ("200", JSON, r("SystemStatus")),
        ),
    ]
}

fn schemas() -> Value {
    let access = one_of(&["no", "read", "write"]);
    // Optional: left out, the user's grant stays as it is.
    let mut user_update = obj(&[
        ("name", s()),
        ("email", s()),
        ("is_admin", b()),
        ("portal_enabled", b()),
        ("disabled", b()),
        ("access", r("MenuAccess")),
    ]);
    user_update["properties"]["wakeup_others"] = b();
    user_update["properties"]["time_zone"] = s();
    user_update["properties"]["must_change_password"] = b();
    user_update["properties"]["walkthrough"] = b();
    let menu_access = obj(&[
        ("profile", access.clone()),
        ("followme", access.clone()),
        ("greetings", access.clone()),
        ("wakeup", access.clone()),
        ("fax", access.clone()),
        ("voicemail", access.clone()),
        ("call_handling", access.clone()),
        ("calls", access),
    ]);
    let time_rule = nullable(obj(&[("window", s()), ("outside", b())]));
    let forward = obj(&[
        ("enabled", b()),
        ("number", s()),
        ("schedule", time_rule.clone()),
    ]);
    let folder = one_of(&["INBOX", "Old", "Work", "Family", "Friends", "Urgent"]);
    let slot = one_of(&["temp", "busy", "unavail", "greet"]);
    let link = obj(&[("up", b()), ("since", nullable(time()))]);
    let wakeup_spec_props = || {
        vec![
            ("name", s()),
            ("prompt", s()),
            (
                "schedule",
                json!({ "oneOf": [
                    obj(&[("kind", one_of(&["once"])), ("date", json!({"type": "string", "format": "date"})), ("time", s())]),
                    obj(&[("kind", one_of(&["weekly"])), ("days", json!({"type": "array", "items": one_of(&["Mon","Tue","Wed","Thu","Fri","Sat","Sun"])})), ("time", s())]),
                ]}),
            ),
            ("time_zone", s()),
            ("members", json!({"type": "array", "items": s()})),
            ("enabled", b()),
        ]
    };
    let mut wakeup_props = wakeup_spec_props();
    wakeup_props.extend([
        ("id", int()),
        ("owner", s()),
        ("next_due", nullable(time())),
    ]);
    let password = json!({ "oneOf": [
        obj(&[("kind", one_of(&["set"])), ("value", s())]),
        obj(&[("kind", one_of(&["generate"]))]),
    ]});
    let mut new_user = obj(&[
        ("extension", s()),
        ("name", s()),
        ("email", s()),
        ("password", password.clone()),
        ("is_admin", b()),
        ("portal_enabled", b()),
    ]);
    // Optional: left out, the user follows the server's default zone.
    new_user["properties"]["time_zone"] = s();
    json!({
        "Error": obj(&[("error", s()), ("message", s()), ("fields", json!({"type": "array", "items": r("FieldError")}))]),
        "FieldError": obj(&[("field", s()), ("message", s())]),
        "MenuAccess": menu_access,
        "User": obj(&[("extension", s()), ("name", s()), ("email", s()), ("is_admin", b()), ("portal_enabled", b()), ("disabled", b()), ("access", r("MenuAccess")), ("wakeup_others", b()), ("time_zone", s()), ("must_change_password", b()), ("walkthrough", b())]),
        "SessionInfo": obj(&[("user", r("User")), ("csrf_token", s()), ("expires_at", time())]),
        "FollowMe": obj(&[
            ("enabled", b()), ("initial_ring_secs", int()),
            ("steps", json!({"type": "array", "items": obj(&[("numbers", json!({"type": "array", "items": s()})), ("ring_secs", int())])})),
            ("confirm", b()), ("moh", s()), ("caller_id", one_of(&["caller", "extension"])),
        ]),
        "CallHandling": obj(&[
            ("dnd", b()), ("dnd_allow", json!({"type": "array", "items": s()})), ("dnd_schedule", time_rule),
            ("forward_always", forward.clone()), ("forward_busy", forward.clone()), ("forward_no_answer", forward),
            ("ring_secs", nullable(int())), ("time_zone", s()),
        ]),
        "CallHandlingStatus": obj(&[
            ("dnd", b()), ("forward_always", nullable(s())), ("forward_busy", nullable(s())),
            ("forward_no_answer", nullable(s())), ("followme", b()),
        ]),
        "GreetingInfo": obj(&[("slot", slot.clone()), ("exists", b()), ("duration_ms", nullable(int()))]),
        "GreetingsOverview": obj(&[
            ("slots", list("GreetingInfo")),
            ("heard_now", json!({"type": "array", "items": obj(&[("reason", one_of(&["busy", "unavailable", "no_answer"])), ("slot", nullable(slot))])})),
        ]),
        "WakeupSpec": with_wakeup_calls(obj(&wakeup_spec_props())),
        "Wakeup": with_wakeup_calls(obj(&wakeup_props)),
        "PromptChoice": obj(&[("name", s()), ("label", s()), ("own_name", nullable(s()))]),
        "WakeupAttempt": obj(&[("at", time()), ("member", s()), ("outcome", one_of(&["answered", "snoozed", "dismissed", "no_answer", "busy", "failed", "missed"])), ("detail", s())]),
        "FaxJob": obj(&[
            ("id", int()), ("owner", s()), ("number", s()), ("file_name", s()),
            ("state", one_of(&["converting", "queued", "dialing", "sending", "retrying", "sent", "failed"])),
            ("pages_sent", int()), ("pages_total", nullable(int())), ("attempts", int()),
            ("status", s()), ("error", s()), ("created_at", time()), ("updated_at", time()),
        ]),
        "FaxTransfer": obj(&[("page", int()), ("pages_total", nullable(int())), ("pages_sent", int()), ("bit_rate", nullable(int()))]),
        "FaxProgress": obj(&[("job", r("FaxJob")), ("transfer", nullable(r("FaxTransfer")))]),
        "ReceivedFax": obj(&[("id", int()), ("owner", s()), ("from_number", s()), ("pages", int()), ("received_at", time())]),
        "UserPage": obj(&[("users", list("User")), ("total", int())]),
        "NewUser": new_user,
        "UserUpdate": user_update,
        "ImportReport": obj(&[
            ("accepted", json!({"type": "array", "items": obj(&[("line", int()), ("extension", s()), ("generated_password", nullable(s()))])})),
            ("rejected", json!({"type": "array", "items": obj(&[("line", int()), ("extension", s()), ("reason", s())])})),
        ]),
        "VoicemailFolder": folder,
        "VoicemailMessage": obj(&[
            ("id", s()), ("folder", r("VoicemailFolder")), ("caller_name", s()), ("caller_number", s()),
            ("received_at", nullable(time())), ("duration_secs", nullable(int())), ("urgent", b()),
        ]),
        "VoicemailPage": obj(&[
            ("folder", r("VoicemailFolder")),
            ("folders", json!({"type": "array", "items": obj(&[("folder", r("VoicemailFolder")), ("count", int())])})),
            ("messages", list("VoicemailMessage")),
            ("page", int()), ("per_page", int()), ("total", int()), ("unreadable", int()),
        ]),
        "VoicemailDeleteReport": obj(&[("deleted", json!({"type": "array", "items": s()})), ("gone", json!({"type": "array", "items": s()}))]),
        "CallEntry": obj(&[
            ("id", s()), ("started", time()), ("ended", time()), ("started_local", s()),
            ("caller", s()), ("caller_name", s()), ("callee", s()),
            ("status", one_of(&["answered", "missed", "busy", "failed"])),
            ("direction", nullable(one_of(&["incoming", "outgoing", "internal"]))),
            ("extension", s()), ("answered_by", s()), ("talk_secs", int()), ("duration_secs", int()), ("recorded", b()),
        ]),
        "CallsPage": obj(&[("calls", list("CallEntry")), ("page", int()), ("per_page", int()), ("has_more", b())]),
        "CallRecord": obj(&[
            ("start", time()), ("answer", nullable(time())), ("end", time()), ("source", s()), ("destination", s()),
            ("caller_id", s()), ("channel", s()), ("destination_channel", s()), ("application", s()), ("data", s()),
            ("disposition", s()), ("duration_secs", int()), ("billable_secs", int()), ("unique_id", s()),
        ]),
        "CallDetail": obj(&[
            ("call", r("CallEntry")), ("records", list("CallRecord")),
            ("recording", nullable(obj(&[("available", b()), ("may_replay", b())]))),
        ]),
        "ReplayRight": obj(&[("right", one_of(&["none", "own", "all"]))]),
        "SystemStatus": obj(&[("ari", link.clone()), ("agi", link), ("agi_listen", s()), ("queued_fax_jobs", int()), ("pending_wakeups", int()), ("version", s())]),
    })
}

/// A wakeup's call settings: optional (left out: the current setting, or the default).
fn with_wakeup_calls(mut schema: Value) -> Value {
    for field in ["ring_secs", "retries", "retry_interval_mins", "snooze_mins"] {
        schema["properties"][field] = nullable(int());
    }
    schema
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

fn error_responses(method: &str, path: &str) -> Map<String, Value> {
    let err = |d: &str| json!({ "description": d, "content": { JSON: { "schema": r("Error") } } });
    let mut m = Map::new();
    if path != "/api/v1/openapi.json" {
        m.insert(
            "401".into(),
            err("not logged in (or, for POST /session, wrong extension or password)"),
        );
        m.insert("403".into(), err("no access to this menu, read-only access on a write, not an admin, or bad CSRF token"));
    }
    if path.contains('{') {
        m.insert(
            "404".into(),
            err("no such object, or it belongs to another user"),
        );
    }
    if method != "get" && method != "delete" {
        m.insert("413".into(), err("body larger than the limit"));
        m.insert("415".into(), err("wrong Content-Type"));
        m.insert(
            "422".into(),
            err("validation errors per field, or input that cannot be used"),
        );
    }
    if path.starts_with("/api/v1/voicemail/messages/") {
        m.insert(
            "410".into(),
            err("the message no longer exists (deleted or moved away meanwhile, e.g. by phone)"),
        );
    }
    if path.starts_with("/api/v1/voicemail") {
        m.insert(
            "503".into(),
            err(
                "voicemail is not set up, or a change needs Asterisk's manager link and it is down",
            ),
        );
    }
    // The list of wakeup prompts still answers without the users' own (the system's remain).
    let uses_sound_folder = path.starts_with("/api/v1/greetings")
        || (path.starts_with("/api/v1/wakeups/prompts") && method != "get");
    if uses_sound_folder {
        m.insert(
            "503".into(),
            err("the server's folder for these sound files cannot be used; the message says to tell the administrator"),
        );
    }
    let checks_password = (path == "/api/v1/session" && method == "post")
        || (path == "/api/v1/profile/password" && method == "put");
    if checks_password {
        m.insert(
            "429".into(),
            err("too many failed password checks for this extension from this address; wait Retry-After seconds"),
        );
        m.insert(
            "503".into(),
            err("every password check is busy; try again after Retry-After seconds"),
        );
    }
    let changes_fax_state = path.starts_with("/api/v1/fax/jobs/{id}")
        && (method == "delete" || path.ends_with("/cancel") || path.ends_with("/resend"));
    if changes_fax_state {
        m.insert(
            "409".into(),
            err("the fax's state does not allow this (still being sent, already ended, or not failed)"),
        );
    }
    if path.contains("/document/") {
        m.insert(
            "409".into(),
            err("the fax has no document in this format (it could not be converted)"),
        );
    }
    m
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in operations() {
        let mut operation = json!({
            "summary": op.summary,
            "operationId": format!("{} {}", op.method, op.path),
            "parameters": path_params(op.path),
        });
        if let Some((media, schema)) = op.body {
            operation["requestBody"] =
                json!({ "required": true, "content": { media: { "schema": schema } } });
        }
        let (status, media, schema) = op.ok;
        let mut responses = error_responses(op.method, op.path);
        let ok = if status == "204" {
            json!({ "description": "done" })
        } else {
            json!({ "description": "success", "content": { media: { "schema": schema } } })
        };
        responses.insert(status.into(), ok);
        operation["responses"] = Value::Object(responses);
        let entry = paths.entry(op.path).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Ringside portal API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The user and admin portal of Ringside. Authenticate with POST /api/v1/session; \
                the session cookie then identifies you. Send the session's csrf_token in the X-CSRF-Token header \
                on every POST, PUT and DELETE. Objects of other users answer 404.",
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::security::cookies::SESSION_COOKIE },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token" },
            },
        },
        "security": [{ "session": [], "csrf": [] }],
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_of_the_router_is_in_the_document() {
        let doc = document();
        let api_routes: Vec<_> = crate::router::all_routes()
            .into_iter()
            .filter(|r| r.path.starts_with("/api/"))
            .collect();
        assert!(!api_routes.is_empty());
        for route in api_routes {
            let method = route.method.as_str().to_ascii_lowercase();
            assert!(
                doc["paths"][route.path][&method].is_object(),
                "{} {} missing from openapi.json",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn every_documented_operation_is_routed() {
        let routed: Vec<(String, &str)> = crate::router::all_routes()
            .into_iter()
            .map(|r| (r.method.as_str().to_ascii_lowercase(), r.path))
            .collect();
        for op in operations() {
            assert!(
                routed.contains(&(op.method.to_owned(), op.path)),
                "{} {} documented but not routed",
                op.method,
                op.path
            );
        }
    }

    #[test]
    fn sound_file_operations_document_the_unusable_folder_answer() {
        let doc = document();
        for (path, method) in [
            ("/api/v1/greetings", "get"),
            ("/api/v1/greetings/{slot}", "put"),
            ("/api/v1/greetings/{slot}", "delete"),
            ("/api/v1/wakeups/prompts", "post"),
            ("/api/v1/wakeups/prompts/{name}", "delete"),
        ] {
            let answer = &doc["paths"][path][method]["responses"]["503"];
            assert!(answer.is_object(), "{method} {path} has no 503");
        }
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                doc["components"]["schemas"][&name].is_object(),
                "schema {name} missing"
            );
        }
    }
}
