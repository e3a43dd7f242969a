//! An in-process Asterisk manager for tests and demos, answering as Asterisk 22's recorded
//! sessions do (`tests/ami-sessions/`): the `Asterisk Call Manager/11.0.0` banner, `\r\n`
//! lines, `Response: Success/Error` with `Message`, `EventList: start` … `Complete`, the
//! bare `\n` app_voicemail leaves in `Message move successful\n`, `Success` with
//! `Message move failed` for a message that is gone, and a closed connection after a
//! refused login.
//!
//! `FAXSessions` and `FAXSession` answer from fax sessions the test starts, moves page by page
//! and ends ([`fax`]), as res_fax does in the recorded sessions.
//!
//! `ShowDialPlan` for one context answers from a dialplan the test sets
//! ([`AmiSimulator::set_dialplan`]), as `pbx_config` would list it; a context not set is
//! `Did not find context …`, as in the recorded session. Actions a test denies answer
//! `Permission denied`, as for a manager user without the action's class.
//!
//! It implements app_voicemail's actions over a real spool directory laid out as
//! app_voicemail lays it out ([`mailbox`]), so the inbox can be tested end to end: Login,
//! Logoff, Ping, VoicemailBoxSummary, VoicemailMove, VoicemailRemove, VoicemailRefresh and
//! MailboxCount. Faults can be scripted: drop the connection in the middle of the next list,
//! or drop every connection now. `Cdr` events ([`cdr`]) are sent, as `cdr_manager` sends
//! them, to the sessions whose login asked for the `cdr` class (`Events: cdr`, `on` or
//! `all`). Not modelled: other events, challenge logins, and any other action (answered
//! `Invalid/unknown command`).

pub mod cdr;
pub mod fax;
pub mod mailbox;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::frame::{Decoder, Frame, Message};
use fax::{FaxOperation, FaxSessions};
use mailbox::SimSpool;

/// One dialplan priority as `ShowDialPlan` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialplanLine {
    pub context: String,
    pub extension: String,
    pub priority: u32,
    pub application: String,
    pub app_data: String,
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct AmiSimConfig {
    /// `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    pub username: String,
    pub secret: String,
    /// app_voicemail's spool (`…/voicemail`), holding `<context>/<mailbox>/<Folder>/`.
    pub spool: PathBuf,
}

#[derive(Default)]
struct Faults {
    /// Close the connection after this many events of the next list.
    drop_list_after: Option<usize>,
}

struct Shared {
    config: AmiSimConfig,
    faults: Mutex<Faults>,
    /// Every action received after login, for tests to inspect.
    actions: Mutex<Vec<Message>>,
    /// Cancelled to drop the connections open now.
    kick: Mutex<CancellationToken>,
    logins: Mutex<usize>,
    /// Events for the sessions that asked for them.
    events: tokio::sync::broadcast::Sender<Message>,
    dialplan: Mutex<Vec<DialplanLine>>,
    fax: Mutex<FaxSessions>,
    /// Actions (lower case) the logged-in user's write classes do not allow.
    denied: Mutex<Vec<String>>,
}

/// Handle to a running simulator; cheap to clone.
#[derive(Clone)]
pub struct AmiSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: CancellationToken,
}

impl AmiSimulator {
    pub async fn start(config: AmiSimConfig) -> std::io::Result<AmiSimulator> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let sim = AmiSimulator {
            shared: Arc::new(Shared {
                config,
                faults: Mutex::default(),
                actions: Mutex::default(),
                kick: Mutex::new(CancellationToken::new()),
                logins: Mutex::new(0),
                events: tokio::sync::broadcast::channel(1024).0,
                dialplan: Mutex::default(),
                fax: Mutex::default(),
                denied: Mutex::default(),
            }),
            addr,
            stop: CancellationToken::new(),
        };
        let (shared, stop) = (sim.shared.clone(), sim.stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => break,
                    a = listener.accept() => a,
                };
                let Ok((stream, _)) = accepted else { continue };
                let kick = lock(&shared.kick).clone();
                let (shared, stop) = (shared.clone(), stop.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = kick.cancelled() => {}
                        _ = serve(stream, shared) => {}
                    }
                });
            }
        });
        Ok(sim)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next list answer stops after `events` events and the connection closes.
    pub fn drop_next_list_after(&self, events: usize) {
        lock(&self.shared.faults).drop_list_after = Some(events);
    }

    /// Closes every connection open now (new ones are accepted).
    pub fn drop_connections(&self) {
        let mut kick = lock(&self.shared.kick);
        kick.cancel();
        *kick = CancellationToken::new();
    }

    /// Actions received from logged-in clients, oldest first (Ping included).
    pub fn actions(&self) -> Vec<Message> {
        lock(&self.shared.actions).clone()
    }

    /// Successful logins so far.
    pub fn logins(&self) -> usize {
        *lock(&self.shared.logins)
    }

    /// Sends a `Cdr` event (headers as `cdr_manager` writes them) to every session logged in
    /// with the `cdr` class; returns how many sessions it went to.
    pub fn emit(&self, event: &Message) -> usize {
        self.shared.events.send(event.clone()).unwrap_or(0)
    }

    /// The dialplan `ShowDialPlan` lists from now on.
    pub fn set_dialplan(&self, lines: Vec<DialplanLine>) {
        *lock(&self.shared.dialplan) = lines;
    }

    /// A channel starts `SendFAX` / `ReceiveFAX`: a session on page 1 at 14400 bit/s, listed
    /// by `FAXSessions` until [`end_fax_session`](Self::end_fax_session). Returns its number.
    pub fn start_fax_session(&self, channel: &str, operation: FaxOperation, file: &str) -> u32 {
        lock(&self.shared.fax).start(channel, operation, file)
    }

    /// Moves a session to `page_number` (the page in transfer) with `pages_done` pages through;
    /// `false` when no such session runs.
    pub fn set_fax_page(&self, session: u32, page_number: u32, pages_done: u32) -> bool {
        lock(&self.shared.fax).set_page(session, page_number, pages_done)
    }

    /// The session ends (its channel left the fax application); `false` when none ran.
    pub fn end_fax_session(&self, session: u32) -> bool {
        lock(&self.shared.fax).end(session)
    }

    /// From now on `actions` answer `Permission denied`, as Asterisk answers an action whose
    /// class the user's `write` lacks (`FAXSessions` and `FAXSession` need `call`).
    pub fn deny_actions(&self, actions: &[&str]) {
        *lock(&self.shared.denied) = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    }

    pub fn shutdown(&self) {
        self.stop.cancel();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes one message the way Asterisk's `astman_append` does.
fn wire(headers: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in headers {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    stream
        .write_all(b"Asterisk Call Manager/11.0.0\r\n")
        .await?;
    let mut decoder = Decoder::without_banner();
    let mut logged_in = false;
    let mut buf = vec![0u8; 8192];
    let mut events: Option<tokio::sync::broadcast::Receiver<Message>> = None;
    loop {
        let message = loop {
            match decoder.next_frame() {
                Ok(Some(Frame::Message(m))) => break m,
                Ok(Some(Frame::Banner(_))) => continue,
                Ok(None) => {}
                Err(_) => return Ok(()),
            }
            let read = async {
                match events.as_mut() {
                    Some(rx) => tokio::select! {
                        n = stream.read(&mut buf) => Ok(n),
                        e = rx.recv() => Err(e),
                    },
                    None => Ok(stream.read(&mut buf).await),
                }
            };
            let n = match read.await {
                Ok(n) => n,
                Err(Ok(event)) => {
                    let headers: Vec<(&str, &str)> = event
                        .headers
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    stream.write_all(wire(&headers).as_bytes()).await?;
                    continue;
                }
                // Lagged or closed: Asterisk drops events a slow session cannot take.
                Err(Err(_)) => continue,
            };
            let n = n?;
            if n == 0 {
                return Ok(());
            }
            decoder.push(&buf[..n]);
        };
        let id = message.action_id().unwrap_or_default().to_owned();
        let action = message
            .get("Action")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if action == "login" {
            let ok = message.get("Username") == Some(shared.config.username.as_str())
                && message.get("Secret") == Some(shared.config.secret.as_str());
            if ok {
                logged_in = true;
                let mask = message.get("Events").unwrap_or("on").to_ascii_lowercase();
                let wants_cdr = mask
                    .split(',')
                    .any(|c| matches!(c.trim(), "cdr" | "on" | "all" | "yes"));
                if wants_cdr {
                    events = Some(shared.events.subscribe());
                }
                *lock(&shared.logins) += 1;
                let text = wire(&[
                    ("Response", "Success"),
                    ("ActionID", &id),
                    ("Message", "Authentication accepted"),
                ]);
                stream.write_all(text.as_bytes()).await?;
                continue;
            }
            let text = wire(&[
                ("Response", "Error"),
                ("ActionID", &id),
                ("Message", "Authentication failed"),
            ]);
            stream.write_all(text.as_bytes()).await?;
            // Asterisk closes the session after a failed login.
            return Ok(());
        }
        if !logged_in {
            let text = wire(&[
                ("Response", "Error"),
                ("ActionID", &id),
                ("Message", "Authentication Required"),
            ]);
            stream.write_all(text.as_bytes()).await?;
            continue;
        }
        lock(&shared.actions).push(message.clone());
        if lock(&shared.denied).contains(&action) {
            let text = wire(&[
                ("Response", "Error"),
                ("ActionID", &id),
                ("Message", "Permission denied"),
            ]);
            stream.write_all(text.as_bytes()).await?;
            continue;
        }
        let spool = SimSpool::new(&shared.config.spool);
        match action.as_str() {
            "showdialplan" => {
                let text = show_dialplan(&shared, &id, message.get("Context"));
                stream.write_all(text.as_bytes()).await?;
            }
            "faxsessions" => {
                let text = lock(&shared.fax).list(&id);
                stream.write_all(text.as_bytes()).await?;
            }
            "faxsession" => {
                let text = lock(&shared.fax).one(&id, message.get("SessionNumber"));
                stream.write_all(text.as_bytes()).await?;
            }
            "logoff" => {
                let text = wire(&[
                    ("Response", "Goodbye"),
                    ("ActionID", &id),
                    ("Message", "Thanks for all the fish."),
                ]);
                stream.write_all(text.as_bytes()).await?;
                return Ok(());
            }
            "ping" => {
                let now = chrono::Utc::now();
                let timestamp = format!("{}.{:06}", now.timestamp(), now.timestamp_subsec_micros());
                let text = wire(&[
                    ("Response", "Success"),
                    ("ActionID", &id),
                    ("Ping", "Pong"),
                    ("Timestamp", &timestamp),
                ]);
                stream.write_all(text.as_bytes()).await?;
            }
            "voicemailboxsummary" => {
                let context = message.get("Context").unwrap_or("default");
                let mailbox = message.get("Mailbox").unwrap_or_default();
                let Some(details) = spool.summary(context, mailbox) else {
                    let text = wire(&[
                        ("Response", "Success"),
                        ("ActionID", &id),
                        (
                            "Message",
                            "There is no voicemail user matching the given user.",
                        ),
                    ]);
                    stream.write_all(text.as_bytes()).await?;
                    continue;
                };
                let drop_after = lock(&shared.faults).drop_list_after.take();
                let mut text = wire(&[
                    ("Response", "Success"),
                    ("ActionID", &id),
                    ("EventList", "start"),
                    ("Message", "Voicemail box detail will follow"),
                ]);
                for (i, d) in details.iter().enumerate() {
                    if drop_after == Some(i) {
                        stream.write_all(text.as_bytes()).await?;
                        return Ok(());
                    }
                    let duration = d.duration_secs.unwrap_or_default().to_string();
                    text.push_str(&wire(&[
                        ("Event", "VoicemailBoxDetail"),
                        ("ActionID", &id),
                        ("Folder", &d.folder),
                        ("CallerID", &d.caller_id),
                        ("Date", &d.date),
                        ("Duration", &duration),
                        ("Flag", &d.flag),
                        ("ID", &d.id),
                    ]));
                }
                if drop_after.is_some() {
                    stream.write_all(text.as_bytes()).await?;
                    return Ok(());
                }
                let items = details.len().to_string();
                text.push_str(&wire(&[
                    ("Event", "VoicemailBoxDetailComplete"),
                    ("ActionID", &id),
                    ("EventList", "Complete"),
                    ("ListItems", &items),
                ]));
                stream.write_all(text.as_bytes()).await?;
            }
            "voicemailmove" | "voicemailremove" => {
                let get = |k: &str| message.get(k).unwrap_or_default().to_owned();
                let (verb, done) = if action == "voicemailmove" {
                    (
                        "move",
                        spool.move_message(
                            &get("Context"),
                            &get("Mailbox"),
                            &get("Folder"),
                            &get("ID"),
                            &get("ToFolder"),
                        ),
                    )
                } else {
                    (
                        "remove",
                        spool.remove_message(
                            &get("Context"),
                            &get("Mailbox"),
                            &get("Folder"),
                            &get("ID"),
                        ),
                    )
                };
                let word = if done { "successful" } else { "failed" };
                // app_voicemail passes "Message move successful\n" to astman_send_ack, so
                // the line ends in a bare line feed before Asterisk's own \r\n.
                let text = format!(
                    "Response: Success\r\nActionID: {id}\r\nMessage: Message {verb} {word}\n\r\n\r\n"
                );
                stream.write_all(text.as_bytes()).await?;
            }
            "voicemailrefresh" => {
                let text = wire(&[
                    ("Response", "Success"),
                    ("ActionID", &id),
                    ("Message", "Refresh sent"),
                ]);
                stream.write_all(text.as_bytes()).await?;
            }
            "mailboxcount" => {
                let target = message.get("Mailbox").unwrap_or_default().to_owned();
                let (mailbox, context) = target.split_once('@').unwrap_or((&target, "default"));
                let (urgent, new, old) = spool.counts(context, mailbox);
                let (u, n, o) = (urgent.to_string(), new.to_string(), old.to_string());
                let text = wire(&[
                    ("Response", "Success"),
                    ("ActionID", &id),
                    ("Message", "Mailbox Message Count"),
                    ("Mailbox", &target),
                    ("UrgMessages", &u),
                    ("NewMessages", &n),
                    ("OldMessages", &o),
                ]);
                stream.write_all(text.as_bytes()).await?;
            }
            _ => {
                let name = message.get("Action").unwrap_or_default();
                let text = wire(&[
                    ("Response", "Error"),
                    ("ActionID", &id),
                    (
                        "Message",
                        &format!(
                            "Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
                        ),
                    ),
                ]);
                stream.write_all(text.as_bytes()).await?;
            }
        }
    }
}

/// `ShowDialPlan` for one context (or all of them), framed as Asterisk 22 sends it.
fn show_dialplan(shared: &Shared, id: &str, context: Option<&str>) -> String {
    let dialplan = lock(&shared.dialplan);
    let lines: Vec<&DialplanLine> = dialplan
        .iter()
        .filter(|l| context.is_none_or(|c| l.context == c))
        .collect();
    if lines.is_empty() {
        let message = match context {
            Some(c) => format!("Did not find context {c}"),
            None => "No dialplan".to_owned(),
        };
        return wire(&[
            ("Response", "Error"),
            ("ActionID", id),
            ("Message", &message),
        ]);
    }
    let mut out = wire(&[
        ("Response", "Success"),
        ("ActionID", id),
        ("EventList", "start"),
        ("Message", "DialPlan list will follow"),
    ]);
    for line in &lines {
        let priority = line.priority.to_string();
        out.push_str(&wire(&[
            ("Event", "ListDialplan"),
            ("ActionID", id),
            ("Context", &line.context),
            ("Extension", &line.extension),
            ("Priority", &priority),
            ("Application", &line.application),
            ("AppData", &line.app_data),
            ("Registrar", "pbx_config"),
        ]));
    }
    let items = lines.len().to_string();
    out.push_str(&wire(&[
        ("Event", "ShowDialPlanComplete"),
        ("ActionID", id),
        ("EventList", "Complete"),
        ("ListItems", &items),
    ]));
    out
}
