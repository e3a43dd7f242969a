//! The `[ringside-fax-out]` dialplan context as the simulator plays it: what an ARI app
//! observes when a fax call it continued into that context runs `SendFAX` against a far-end
//! fax machine.
//!
//! Observable behaviour, as the context in `dialplan/extensions_ringside.conf` produces it:
//! `SendFAX` runs for a while, then the hangup handler keeps the report in the global variable
//! the channel's `RINGSIDE_FAX_REPORT_VAR` names and sends `UserEvent(RingsideFax, …)` with
//! the `FAX*` variables URI-encoded, and the channel is destroyed (cause 16). A far end that
//! hangs up mid-transfer gives the same sequence with `FAILED`/`HANGUP` and the pages that got
//! through. Busy and no answer need no fax machine: script the number with [`Script`].
//! Not modelled: audio, T.38, per-page events (Asterisk sends none over ARI).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::Simulator;
use super::script::Script;
use super::state::world_after;

/// The context the fax machine answers in.
const FAX_OUT_CONTEXT: &str = "ringside-fax-out";

/// What the far-end fax machine does once `SendFAX` starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FarFax {
    /// Takes every page: `FAXSTATUS=SUCCESS`, `FAXPAGES=pages`.
    Receives { pages: u32, station_id: String },
    /// `SendFAX` fails: `FAXSTATUS=FAILED` with this `FAXERROR` / `FAXSTATUSSTRING`.
    Fails {
        error: String,
        status_string: String,
        pages: u32,
    },
    /// Hangs up after `pages` pages: `FAILED`, `HANGUP`.
    HangsUpAfter { pages: u32 },
}

impl FarFax {
    fn fields(&self, job: &str) -> Map<String, Value> {
        let (status, error, status_string, pages, remote) = match self {
            FarFax::Receives { pages, station_id } => {
                ("SUCCESS", "", "OK", *pages, station_id.as_str())
            }
            FarFax::Fails {
                error,
                status_string,
                pages,
            } => ("FAILED", error.as_str(), status_string.as_str(), *pages, ""),
            FarFax::HangsUpAfter { pages } => {
                ("FAILED", "HANGUP", "remote channel hungup", *pages, "")
            }
        };
        let mut m = Map::new();
        m.insert("job".into(), json!(job));
        m.insert("status".into(), json!(uri_encode(status)));
        m.insert("error".into(), json!(uri_encode(error)));
        m.insert("statusstring".into(), json!(uri_encode(status_string)));
        m.insert("pages".into(), json!(pages.to_string()));
        m.insert("remote".into(), json!(uri_encode(remote)));
        m
    }
}

/// The channel variable naming the global the hangup handler keeps the report in.
const REPORT_VARIABLE_CHANNEL_VAR: &str = "RINGSIDE_FAX_REPORT_VAR";

/// The report as the hangup handler keeps it: the event's fields as `name=value&…`.
fn kept_report(fields: &Map<String, Value>) -> String {
    ["job", "status", "error", "statusstring", "pages", "remote"]
        .iter()
        .map(|k| {
            let v = fields.get(*k).and_then(Value::as_str).unwrap_or_default();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Asterisk's `URIENCODE`: everything but unreserved characters as `%XX`.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn number_of(endpoint: &str) -> &str {
    let rest = endpoint.split_once('/').map_or(endpoint, |(_, r)| r);
    rest.split('@').next().unwrap_or(rest)
}

impl Simulator {
    /// Puts a fax machine on `number`: calls to it answer after `answer_ms`, and once the
    /// app continues the call into `[ringside-fax-out]`, `SendFAX` takes `transfer` and ends
    /// as `far` says.
    pub fn fax_machine(&self, number: &str, answer_ms: u64, transfer: Duration, far: FarFax) {
        self.phone(number, Script::answer_after_ms(answer_ms));
        let world = self.world.clone();
        let stop = self.stop.clone();
        let number = number.to_owned();
        tokio::spawn(async move {
            let mut started: HashSet<String> = HashSet::new();
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
                let mut st = world.lock();
                let due: Vec<(String, String)> = st
                    .channels
                    .iter()
                    .filter(|(id, c)| {
                        !started.contains(*id)
                            && number_of(&c.endpoint) == number
                            && c.continued
                                .as_ref()
                                .is_some_and(|t| t.context == FAX_OUT_CONTEXT)
                    })
                    .map(|(id, c)| {
                        let job = c.vars.get("RINGSIDE_FAX_JOB").cloned().unwrap_or_default();
                        (id.clone(), job)
                    })
                    .collect();
                for (id, job) in due {
                    started.insert(id.clone());
                    let fields = far.fields(&job);
                    world_after(&world, &mut st, &id, transfer, move |_w, st, id| {
                        let kept = st
                            .channels
                            .get(id)
                            .and_then(|c| c.vars.get(REPORT_VARIABLE_CHANNEL_VAR).cloned());
                        if let Some(name) = kept {
                            st.globals.insert(name, kept_report(&fields));
                        }
                        st.emit(id, "ChannelHangupRequest", json!({"cause": 16}));
                        st.emit(
                            id,
                            "ChannelUserevent",
                            json!({"eventname": "RingsideFax", "userevent": fields}),
                        );
                        st.destroy(id, 16);
                    });
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(uri_encode("The call, dropped"), "The%20call%2C%20dropped");
        assert_eq!(uri_encode("+49 30"), "%2B49%2030");
        assert_eq!(uri_encode("OK_1-2.3~"), "OK_1-2.3~");
    }

    #[test]
    fn number_comes_from_a_local_endpoint() {
        assert_eq!(number_of("Local/5551234@ringside-outbound"), "5551234");
        assert_eq!(number_of("PJSIP/trunk"), "trunk");
    }
}
