//! An in-memory `Backend` for router tests: plain-text passwords, seeded users and objects of
//! two users, and a few checks that mimic the daemon's validation.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{TimeZone, Utc};
use ringside_portal::model::*;
use ringside_portal::{Backend, BackendError, BackendResult, FieldError};
use tokio::sync::broadcast;

pub struct Account {
    pub user: User,
    pub password: String,
}

#[derive(Default)]
pub struct Data {
    pub accounts: HashMap<String, Account>,
    pub sessions: HashMap<String, Session>,
    pub followme: HashMap<String, FollowMe>,
    pub call_handling: HashMap<String, CallHandlingSettings>,
    pub greetings: HashMap<(String, GreetingSlot), Bytes>,
    pub wakeups: HashMap<WakeupId, Wakeup>,
    pub attempts: HashMap<WakeupId, Vec<WakeupAttempt>>,
    pub fax_jobs: HashMap<FaxJobId, FaxJob>,
    /// What the phone system reports of each job's transfer (only a job being sent has one).
    pub transfers: HashMap<FaxJobId, FaxTransfer>,
    pub received: HashMap<ReceivedFaxId, ReceivedFax>,
    pub defaults: Option<MenuAccess>,
    pub next_id: i64,
    pub imported: Vec<ImportRow>,
    pub calls: Vec<FakeCall>,
    pub replay: HashMap<String, ReplayRight>,
    /// Users' own wakeup prompts by (owner, own name).
    pub prompts: HashMap<(String, String), Bytes>,
}

/// A call the fake keeps: its entry, the extensions on it, and its recording when it has one
/// (`Some(true)`: the file exists; `Some(false)`: named but missing).
#[derive(Clone)]
pub struct FakeCall {
    pub entry: CallEntry,
    pub parties: Vec<(String, CallDirection)>,
    pub recording: Option<bool>,
}

pub fn call(
    id: &str,
    caller: &str,
    callee: &str,
    status: CallStatus,
    day: u32,
    recording: Option<bool>,
) -> FakeCall {
    let started = Utc
        .with_ymd_and_hms(2026, 12, day, 10, 0, 0)
        .single()
        .expect("valid time");
    FakeCall {
        entry: CallEntry {
            id: id.into(),
            started,
            ended: started,
            started_local: started.format("%Y-%m-%d %H:%M:%S").to_string(),
            caller: caller.into(),
            caller_name: String::new(),
            callee: callee.into(),
            status,
            direction: None,
            extension: String::new(),
            answered_by: String::new(),
            talk_secs: 42,
            duration_secs: 50,
            recorded: recording.is_some(),
        },
        parties: vec![
            (caller.into(), CallDirection::Outgoing),
            (callee.into(), CallDirection::Incoming),
        ],
        recording,
    }
}

/// The recording bytes the fake serves.
pub const RECORDING: &[u8] = b"RIFF-fake-recording";

pub struct FakeBackend {
    pub data: Mutex<Data>,
    pub progress: broadcast::Sender<FaxJob>,
    /// Password checks made (login and password change).
    pub password_checks: AtomicUsize,
    /// Password checks in progress right now, and the most there ever were at once.
    pub checks_running: AtomicUsize,
    pub most_checks_at_once: AtomicUsize,
    /// While true, password checks wait for a permit in `release_checks` (to hold them open).
    pub hold_checks: AtomicBool,
    pub release_checks: tokio::sync::Semaphore,
    /// Told each time a password check starts.
    pub check_started: tokio::sync::Notify,
}

/// Counts a password check while it runs; see [`FakeBackend::password_check`].
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn user(ext: &str, name: &str, access: Access) -> User {
    User {
        extension: ext.into(),
        name: name.into(),
        email: format!("{}@example.org", name.to_lowercase()),
        is_admin: false,
        portal_enabled: true,
        disabled: false,
        access: MenuAccess::all(access),
        wakeup_others: false,
        time_zone: DEFAULT_ZONE.into(),
        must_change_password: false,
        walkthrough: false,
    }
}

/// The zone of users who chose none (the server's default).
pub const DEFAULT_ZONE: &str = "UTC";

/// A zone's canonical name; `Validation` on `time_zone` for anything that is not a zone.
fn checked_zone(zone: &str) -> BackendResult<String> {
    if zone.trim().is_empty() {
        return Ok(DEFAULT_ZONE.into());
    }
    ringside_portal::zone::canonical(zone).ok_or_else(|| {
        BackendError::Validation(vec![FieldError::new(
            "time_zone",
            format!("{zone:?} is not a time zone name such as Europe/Berlin"),
        )])
    })
}

pub fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
        .single()
        .expect("valid time")
}

pub fn wakeup(id: WakeupId, owner: &str) -> Wakeup {
    Wakeup {
        id,
        owner: owner.into(),
        spec: WakeupSpec {
            name: format!("Wake {owner}"),
            prompt: "wakeup-call".into(),
            schedule: WakeupSchedule::Weekly {
                days: vec![chrono::Weekday::Mon],
                time: chrono::NaiveTime::from_hms_opt(6, 30, 0).expect("time"),
            },
            time_zone: "Europe/Berlin".into(),
            members: vec![owner.into()],
            enabled: true,
            calls: WakeupCalls::default(),
        },
        next_due: None,
    }
}

pub fn fax_job(id: FaxJobId, owner: &str, state: FaxState) -> FaxJob {
    FaxJob {
        id,
        owner: owner.into(),
        number: "0301234".into(),
        file_name: "letter.pdf".into(),
        state,
        pages_sent: 0,
        pages_total: Some(2),
        attempts: 0,
        status: String::new(),
        error: String::new(),
        created_at: t0(),
        updated_at: t0(),
    }
}

impl FakeBackend {
    /// Users: 201 Alice and 202 Bob (write), 203 Carol (read), 204 Dave (no access),
    /// 205 Eve (disabled), 206 Fred (portal off), 900 Root (admin). Password: `<name>-pw`
    /// in lower case. Wakeup, fax job and received fax 1 belong to 201, 2 to 202.
    pub fn seeded() -> FakeBackend {
        let mut data = Data {
            next_id: 100,
            ..Data::default()
        };
        let mut add = |u: User| {
            let password = format!("{}-pw", u.name.to_lowercase());
            data.accounts
                .insert(u.extension.clone(), Account { user: u, password });
        };
        add(user("201", "Alice", Access::Write));
        add(user("202", "Bob", Access::Write));
        add(user("203", "Carol", Access::Read));
        add(user("204", "Dave", Access::No));
        add(User {
            disabled: true,
            ..user("205", "Eve", Access::Write)
        });
        add(User {
            portal_enabled: false,
            ..user("206", "Fred", Access::Write)
        });
        add(User {
            is_admin: true,
            ..user("900", "Root", Access::Write)
        });
        for (id, owner) in [(1, "201"), (2, "202")] {
            data.wakeups.insert(id, wakeup(id, owner));
            data.attempts.insert(
                id,
                vec![WakeupAttempt {
                    at: t0(),
                    member: owner.into(),
                    outcome: WakeupOutcome::NoAnswer,
                    detail: format!("attempt-of-{owner}"),
                }],
            );
            data.fax_jobs
                .insert(id, fax_job(id, owner, FaxState::Sending));
            data.received.insert(
                id,
                ReceivedFax {
                    id,
                    owner: owner.into(),
                    from_number: format!("from-{owner}"),
                    pages: 1,
                    received_at: t0(),
                },
            );
        }
        // Calls: 1.1 from 201 to an outside number (recorded), 2.1 from outside to 202
        // (missed, recorded but the file is missing), 3.1 from 201 to 202 (busy).
        data.calls = vec![
            call("1.1", "201", "5551234", CallStatus::Answered, 1, Some(true)),
            call("2.1", "5559876", "202", CallStatus::Missed, 2, Some(false)),
            call("3.1", "201", "202", CallStatus::Busy, 3, None),
        ];
        data.greetings.insert(
            ("202".into(), GreetingSlot::Busy),
            Bytes::from_static(b"RIFF-bob-busy"),
        );
        let (progress, _) = broadcast::channel(64);
        FakeBackend {
            data: Mutex::new(data),
            progress,
            password_checks: AtomicUsize::new(0),
            checks_running: AtomicUsize::new(0),
            most_checks_at_once: AtomicUsize::new(0),
            hold_checks: AtomicBool::new(false),
            release_checks: tokio::sync::Semaphore::new(0),
            check_started: tokio::sync::Notify::new(),
        }
    }

    /// What the daemon's argon2 check costs, as far as the portal can see: it takes a while.
    /// Counts the check and, while `hold_checks` is set, waits to be released.
    async fn password_check(&self) {
        self.password_checks.fetch_add(1, Ordering::SeqCst);
        let now = self.checks_running.fetch_add(1, Ordering::SeqCst) + 1;
        let _running = Running(&self.checks_running);
        self.most_checks_at_once.fetch_max(now, Ordering::SeqCst);
        self.check_started.notify_one();
        if self.hold_checks.load(Ordering::SeqCst) {
            if let Ok(permit) = self.release_checks.acquire().await {
                permit.forget();
            }
        }
    }

    /// Lets `n` held password checks finish.
    pub fn release(&self, n: usize) {
        self.release_checks.add_permits(n);
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().expect("fake backend lock")
    }

    /// Changes a job as the daemon's fax worker would and announces it.
    pub fn publish(&self, job: FaxJob) {
        self.lock().fax_jobs.insert(job.id, job.clone());
        let _ = self.progress.send(job);
    }

    /// The phone system now reports `transfer` for job `id` (`None`: reports nothing).
    pub fn set_transfer(&self, id: FaxJobId, transfer: Option<FaxTransfer>) {
        let mut data = self.lock();
        match transfer {
            Some(t) => data.transfers.insert(id, t),
            None => data.transfers.remove(&id),
        };
    }

    pub fn set_access(&self, ext: &str, menu: Menu, access: Access) {
        let mut data = self.lock();
        let account = data.accounts.get_mut(ext).expect("seeded user");
        account.user.access.set(menu, access);
    }
}

fn followme_default() -> FollowMe {
    FollowMe {
        enabled: false,
        initial_ring_secs: 10,
        steps: Vec::new(),
        confirm: false,
        moh: String::new(),
        caller_id: CallerIdChoice::Caller,
    }
}

fn valid_number(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'))
}

#[async_trait]
impl Backend for FakeBackend {
    async fn verify_login(&self, extension: &str, password: &str) -> BackendResult<Option<User>> {
        self.password_check().await;
        Ok(self
            .lock()
            .accounts
            .get(extension)
            .filter(|a| a.password == password)
            .map(|a| a.user.clone()))
    }

    async fn user(&self, extension: &str) -> BackendResult<Option<User>> {
        Ok(self.lock().accounts.get(extension).map(|a| a.user.clone()))
    }

    async fn create_session(
        &self,
        extension: &str,
        ttl: std::time::Duration,
    ) -> BackendResult<Session> {
        let token = || {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        };
        let now = Utc::now();
        let session = Session {
            id: token(),
            extension: extension.into(),
            csrf_token: token(),
            created_at: now,
            expires_at: now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1)),
        };
        self.lock()
            .sessions
            .insert(session.id.clone(), session.clone());
        Ok(session)
    }

    async fn session(&self, id: &str) -> BackendResult<Option<Session>> {
        Ok(self.lock().sessions.get(id).cloned())
    }

    async fn delete_session(&self, id: &str) -> BackendResult<()> {
        self.lock().sessions.remove(id);
        Ok(())
    }

    async fn change_password(&self, extension: &str, old: &str, new: &str) -> BackendResult<()> {
        if new.len() < 8 {
            return Err(BackendError::Validation(vec![FieldError::new(
                "new_password",
                "use at least 8 characters",
            )]));
        }
        self.password_check().await;
        let mut data = self.lock();
        let account = data
            .accounts
            .get_mut(extension)
            .ok_or(BackendError::NotFound)?;
        if account.password != old {
            return Err(BackendError::WrongPassword);
        }
        account.password = new.into();
        account.user.must_change_password = false;
        Ok(())
    }

    async fn end_other_sessions(&self, extension: &str, keep: &str) -> BackendResult<()> {
        self.lock()
            .sessions
            .retain(|id, s| s.extension != extension || id == keep);
        Ok(())
    }

    async fn set_email(&self, extension: &str, email: &str) -> BackendResult<()> {
        if !email.is_empty() && !email.contains('@') {
            return Err(BackendError::Validation(vec![FieldError::new(
                "email",
                "this is not an email address",
            )]));
        }
        let mut data = self.lock();
        let account = data
            .accounts
            .get_mut(extension)
            .ok_or(BackendError::NotFound)?;
        account.user.email = email.into();
        Ok(())
    }

    async fn end_walkthrough(&self, extension: &str) -> BackendResult<()> {
        let mut data = self.lock();
        let account = data
            .accounts
            .get_mut(extension)
            .ok_or(BackendError::NotFound)?;
        account.user.walkthrough = false;
        Ok(())
    }

    async fn set_time_zone(&self, extension: &str, zone: &str) -> BackendResult<()> {
        let zone = checked_zone(zone)?;
        let mut data = self.lock();
        let account = data
            .accounts
            .get_mut(extension)
            .ok_or(BackendError::NotFound)?;
        account.user.time_zone = zone;
        Ok(())
    }

    async fn followme(&self, extension: &str) -> BackendResult<FollowMe> {
        Ok(self
            .lock()
            .followme
            .get(extension)
            .cloned()
            .unwrap_or_else(followme_default))
    }

    async fn set_followme(&self, extension: &str, followme: &FollowMe) -> BackendResult<()> {
        let errors: Vec<FieldError> = followme
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.numbers.iter().all(|n| valid_number(n)))
            .map(|(i, _)| {
                FieldError::new(
                    format!("steps[{i}].numbers"),
                    "numbers may contain only digits",
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(BackendError::Validation(errors));
        }
        self.lock()
            .followme
            .insert(extension.into(), followme.clone());
        Ok(())
    }

    async fn call_handling(&self, extension: &str) -> BackendResult<CallHandlingSettings> {
        Ok(self
            .lock()
            .call_handling
            .get(extension)
            .cloned()
            .unwrap_or_else(CallHandlingSettings::empty))
    }

    /// The daemon's rules that the portal's tests rely on: numbers are digits, no forward to
    /// oneself, a schedule has days and a time range.
    async fn set_call_handling(
        &self,
        extension: &str,
        settings: &CallHandlingSettings,
    ) -> BackendResult<()> {
        let mut errors = Vec::new();
        if !settings.dnd_allow.iter().all(|n| valid_number(n)) {
            errors.push(FieldError::new("dnd_allow", "not a number"));
        }
        let schedule_ok = |rule: &Option<TimeRuleSetting>| {
            rule.as_ref().is_none_or(|r| {
                r.window
                    .rsplit_once(',')
                    .is_some_and(|(_, range)| range.contains('-') && range.contains(':'))
            })
        };
        if !schedule_ok(&settings.dnd_schedule) {
            errors.push(FieldError::new("dnd_schedule", "not a schedule"));
        }
        for (name, f) in [
            ("forward_always", &settings.forward_always),
            ("forward_busy", &settings.forward_busy),
            ("forward_no_answer", &settings.forward_no_answer),
        ] {
            if (f.enabled || !f.number.is_empty()) && !valid_number(&f.number) {
                errors.push(FieldError::new(name, "not a number"));
            } else if f.number == extension {
                errors.push(FieldError::new(name, "the extension itself"));
            }
            if !schedule_ok(&f.schedule) {
                errors.push(FieldError::new(
                    format!("{name}.schedule"),
                    "not a schedule",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(BackendError::Validation(errors));
        }
        self.lock()
            .call_handling
            .insert(extension.into(), settings.clone());
        Ok(())
    }

    async fn call_handling_status(&self, extension: &str) -> BackendResult<CallHandlingStatus> {
        let data = self.lock();
        let s = data
            .call_handling
            .get(extension)
            .cloned()
            .unwrap_or_else(CallHandlingSettings::empty);
        let on = |f: &ForwardSetting| f.enabled.then(|| f.number.clone());
        Ok(CallHandlingStatus {
            dnd: s.dnd,
            forward_always: on(&s.forward_always),
            forward_busy: on(&s.forward_busy),
            forward_no_answer: on(&s.forward_no_answer),
            followme: data.followme.get(extension).is_some_and(|f| f.enabled),
        })
    }

    async fn greetings(&self, extension: &str) -> BackendResult<GreetingsOverview> {
        let data = self.lock();
        let has = |slot| data.greetings.contains_key(&(extension.to_owned(), slot));
        let slots = GreetingSlot::ALL
            .iter()
            .map(|slot| GreetingInfo {
                slot: *slot,
                exists: has(*slot),
                duration_ms: has(*slot).then_some(2500),
            })
            .collect();
        let pick = |specific: Option<GreetingSlot>| {
            if has(GreetingSlot::Temp) {
                Some(GreetingSlot::Temp)
            } else if specific.is_some_and(has) {
                specific
            } else if has(GreetingSlot::Greet) {
                Some(GreetingSlot::Greet)
            } else {
                None
            }
        };
        let heard_now = vec![
            HeardNow {
                reason: CallReason::Busy,
                slot: pick(Some(GreetingSlot::Busy)),
            },
            HeardNow {
                reason: CallReason::Unavailable,
                slot: pick(Some(GreetingSlot::Unavail)),
            },
            HeardNow {
                reason: CallReason::NoAnswer,
                slot: pick(None),
            },
        ];
        Ok(GreetingsOverview { slots, heard_now })
    }

    async fn upload_greeting(
        &self,
        extension: &str,
        slot: GreetingSlot,
        _file_name: &str,
        audio: Bytes,
    ) -> BackendResult<GreetingInfo> {
        if !audio.starts_with(b"RIFF") {
            return Err(BackendError::Rejected(
                "the file is not audio in a format we can read".into(),
            ));
        }
        self.lock()
            .greetings
            .insert((extension.into(), slot), audio);
        Ok(GreetingInfo {
            slot,
            exists: true,
            duration_ms: Some(2500),
        })
    }

    async fn greeting_wav(&self, extension: &str, slot: GreetingSlot) -> BackendResult<Bytes> {
        self.lock()
            .greetings
            .get(&(extension.into(), slot))
            .cloned()
            .ok_or(BackendError::NotFound)
    }

    async fn delete_greeting(&self, extension: &str, slot: GreetingSlot) -> BackendResult<()> {
        self.lock()
            .greetings
            .remove(&(extension.into(), slot))
            .map(|_| ())
            .ok_or(BackendError::NotFound)
    }

    async fn wakeups(&self, extension: &str) -> BackendResult<Vec<Wakeup>> {
        let mut list: Vec<Wakeup> = self
            .lock()
            .wakeups
            .values()
            .filter(|w| w.owner == extension)
            .cloned()
            .collect();
        list.sort_by_key(|w| w.id);
        Ok(list)
    }

    async fn wakeup(&self, id: WakeupId) -> BackendResult<Option<Wakeup>> {
        Ok(self.lock().wakeups.get(&id).cloned())
    }

    async fn create_wakeup(&self, extension: &str, spec: &WakeupSpec) -> BackendResult<Wakeup> {
        check_wakeup(spec)?;
        let mut data = self.lock();
        check_own_prompt(&data, extension, &spec.prompt)?;
        data.next_id += 1;
        let w = Wakeup {
            id: data.next_id,
            owner: extension.into(),
            spec: spec.clone(),
            next_due: None,
        };
        data.wakeups.insert(w.id, w.clone());
        Ok(w)
    }

    async fn update_wakeup(&self, id: WakeupId, spec: &WakeupSpec) -> BackendResult<Wakeup> {
        check_wakeup(spec)?;
        let mut data = self.lock();
        let current = data.wakeups.get(&id).ok_or(BackendError::NotFound)?;
        // A wakeup keeps the prompt it has, even one deleted since.
        if current.spec.prompt != spec.prompt {
            let owner = current.owner.clone();
            check_own_prompt(&data, &owner, &spec.prompt)?;
        }
        let w = data.wakeups.get_mut(&id).ok_or(BackendError::NotFound)?;
        w.spec = spec.clone();
        Ok(w.clone())
    }

    async fn wakeup_prompts(&self, extension: &str) -> BackendResult<Vec<PromptChoice>> {
        let mut prompts = vec![
            PromptChoice {
                name: ringside_portal::model::DEFAULT_WAKEUP_PROMPT.into(),
                label: "Ringside's default wakeup prompt".into(),
                own_name: None,
            },
            PromptChoice {
                name: "good-morning".into(),
                label: "System sound: good-morning".into(),
                own_name: None,
            },
        ];
        let mut own: Vec<String> = self
            .lock()
            .prompts
            .keys()
            .filter(|(owner, _)| owner == extension)
            .map(|(_, name)| name.clone())
            .collect();
        own.sort();
        prompts.extend(own.into_iter().map(|name| own_prompt(extension, name)));
        Ok(prompts)
    }

    async fn upload_wakeup_prompt(
        &self,
        extension: &str,
        typed: &str,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<PromptChoice> {
        let name = own_prompt_name(typed, file_name)
            .map_err(|m| BackendError::Validation(vec![FieldError::new("name", m)]))?;
        if !audio.starts_with(b"RIFF") {
            return Err(BackendError::Rejected(
                "the file is not audio in a format we can read".into(),
            ));
        }
        self.lock()
            .prompts
            .insert((extension.into(), name.clone()), audio);
        Ok(own_prompt(extension, name))
    }

    async fn delete_wakeup_prompt(&self, extension: &str, own_name: &str) -> BackendResult<()> {
        self.lock()
            .prompts
            .remove(&(extension.into(), own_name.into()))
            .map(|_| ())
            .ok_or(BackendError::NotFound)
    }

    async fn set_wakeup_enabled(&self, id: WakeupId, enabled: bool) -> BackendResult<Wakeup> {
        let mut data = self.lock();
        let w = data.wakeups.get_mut(&id).ok_or(BackendError::NotFound)?;
        w.spec.enabled = enabled;
        Ok(w.clone())
    }

    async fn delete_wakeup(&self, id: WakeupId) -> BackendResult<()> {
        self.lock()
            .wakeups
            .remove(&id)
            .map(|_| ())
            .ok_or(BackendError::NotFound)
    }

    async fn wakeup_attempts(&self, id: WakeupId) -> BackendResult<Vec<WakeupAttempt>> {
        Ok(self.lock().attempts.get(&id).cloned().unwrap_or_default())
    }

    async fn send_fax(
        &self,
        extension: &str,
        number: &str,
        document: FaxDocument,
    ) -> BackendResult<FaxJob> {
        if !valid_number(number) {
            return Err(BackendError::Validation(vec![FieldError::new(
                "number",
                "a fax number has digits only",
            )]));
        }
        let magic_ok = match document.kind {
            FaxDocumentKind::Pdf => document.bytes.starts_with(b"%PDF"),
            FaxDocumentKind::Tiff => {
                document.bytes.starts_with(b"II*\0") || document.bytes.starts_with(b"MM\0*")
            }
        };
        if !magic_ok {
            return Err(BackendError::Rejected(
                "the document is not a readable PDF or TIFF".into(),
            ));
        }
        let mut data = self.lock();
        data.next_id += 1;
        let mut job = fax_job(data.next_id, extension, FaxState::Queued);
        job.number = number.into();
        job.file_name = document.file_name;
        data.fax_jobs.insert(job.id, job.clone());
        Ok(job)
    }

    async fn fax_job(&self, id: FaxJobId) -> BackendResult<Option<FaxJob>> {
        Ok(self.lock().fax_jobs.get(&id).cloned())
    }

    fn fax_progress(&self) -> broadcast::Receiver<FaxJob> {
        self.progress.subscribe()
    }

    async fn fax_transfer(&self, id: FaxJobId) -> BackendResult<Option<FaxTransfer>> {
        let data = self.lock();
        let sending = data
            .fax_jobs
            .get(&id)
            .is_some_and(|j| j.state == FaxState::Sending);
        Ok(data.transfers.get(&id).copied().filter(|_| sending))
    }

    async fn sent_faxes(&self, extension: &str) -> BackendResult<Vec<FaxJob>> {
        Ok(self
            .lock()
            .fax_jobs
            .values()
            .filter(|j| j.owner == extension)
            .cloned()
            .collect())
    }

    async fn received_faxes(&self, extension: &str) -> BackendResult<Vec<ReceivedFax>> {
        Ok(self
            .lock()
            .received
            .values()
            .filter(|f| f.owner == extension)
            .cloned()
            .collect())
    }

    async fn received_fax(&self, id: ReceivedFaxId) -> BackendResult<Option<ReceivedFax>> {
        Ok(self.lock().received.get(&id).cloned())
    }

    async fn sent_fax_document(&self, id: FaxJobId, format: FaxFormat) -> BackendResult<Bytes> {
        let data = self.lock();
        let job = data.fax_jobs.get(&id).ok_or(BackendError::NotFound)?;
        Ok(Bytes::from(format!(
            "{format:?} of sent fax {} of {}",
            job.id, job.owner
        )))
    }

    async fn received_fax_document(
        &self,
        id: ReceivedFaxId,
        format: FaxFormat,
    ) -> BackendResult<Bytes> {
        let data = self.lock();
        let fax = data.received.get(&id).ok_or(BackendError::NotFound)?;
        Ok(Bytes::from(format!(
            "{format:?} of received fax {} of {}",
            fax.id, fax.owner
        )))
    }

    async fn cancel_fax(&self, id: FaxJobId) -> BackendResult<FaxJob> {
        let mut data = self.lock();
        let job = data.fax_jobs.get_mut(&id).ok_or(BackendError::NotFound)?;
        if job.state.is_final() {
            return Err(BackendError::Conflict(
                "this fax is already finished; there is nothing to cancel".into(),
            ));
        }
        job.state = FaxState::Failed;
        job.error = "cancelled by the user".into();
        Ok(job.clone())
    }

    async fn resend_fax(&self, id: FaxJobId) -> BackendResult<FaxJob> {
        let mut data = self.lock();
        let old = data
            .fax_jobs
            .get(&id)
            .cloned()
            .ok_or(BackendError::NotFound)?;
        if old.state != FaxState::Failed {
            return Err(BackendError::Conflict(
                "only a failed fax can be sent again".into(),
            ));
        }
        data.next_id += 1;
        let job = FaxJob {
            id: data.next_id,
            state: FaxState::Queued,
            attempts: 0,
            error: String::new(),
            ..old
        };
        data.fax_jobs.insert(job.id, job.clone());
        Ok(job)
    }

    async fn delete_sent_fax(&self, id: FaxJobId) -> BackendResult<()> {
        let mut data = self.lock();
        let job = data.fax_jobs.get(&id).ok_or(BackendError::NotFound)?;
        if !job.state.is_final() {
            return Err(BackendError::Conflict(
                "this fax is still being sent; cancel it first".into(),
            ));
        }
        data.fax_jobs.remove(&id);
        Ok(())
    }

    async fn delete_received_fax(&self, id: ReceivedFaxId) -> BackendResult<()> {
        self.lock()
            .received
            .remove(&id)
            .map(|_| ())
            .ok_or(BackendError::NotFound)
    }

    async fn list_users(&self, query: &UserQuery) -> BackendResult<UserPage> {
        let data = self.lock();
        let needle = query.search.to_lowercase();
        let mut users: Vec<User> = data
            .accounts
            .values()
            .map(|a| a.user.clone())
            .filter(|u| {
                needle.is_empty()
                    || u.extension.contains(&needle)
                    || u.name.to_lowercase().contains(&needle)
            })
            .collect();
        users.sort_by(|a, b| a.extension.cmp(&b.extension));
        let total = users.len() as u64;
        let skip = ((query.page.max(1) - 1) * query.per_page) as usize;
        let users = users
            .into_iter()
            .skip(skip)
            .take(query.per_page as usize)
            .collect();
        Ok(UserPage { users, total })
    }

    async fn create_user(&self, new: &NewUser) -> BackendResult<CreatedUser> {
        if !(2..=15).contains(&new.extension.len())
            || !new.extension.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(BackendError::Validation(vec![FieldError::new(
                "extension",
                "must be 2 to 15 digits",
            )]));
        }
        let time_zone = checked_zone(&new.time_zone)?;
        let mut data = self.lock();
        if data.accounts.contains_key(&new.extension) {
            return Err(BackendError::Conflict(format!(
                "extension {} already exists",
                new.extension
            )));
        }
        let access = data.defaults.unwrap_or(MenuAccess::all(Access::Write));
        let user = User {
            extension: new.extension.clone(),
            name: new.name.clone(),
            email: new.email.clone(),
            is_admin: new.is_admin,
            portal_enabled: new.portal_enabled,
            disabled: false,
            access,
            wakeup_others: false,
            time_zone,
            must_change_password: false,
            // New users get the first-login walk-through, as in the daemon.
            walkthrough: true,
        };
        let (password, generated) = match &new.password {
            PasswordChoice::Set(p) => (p.clone(), None),
            PasswordChoice::Generate => (
                "generated-secret".to_owned(),
                Some("generated-secret".to_owned()),
            ),
        };
        data.accounts.insert(
            user.extension.clone(),
            Account {
                user: user.clone(),
                password,
            },
        );
        Ok(CreatedUser {
            user,
            generated_password: generated,
        })
    }

    async fn update_user(&self, extension: &str, update: &UserUpdate) -> BackendResult<User> {
        let time_zone = update.time_zone.as_deref().map(checked_zone).transpose()?;
        let mut data = self.lock();
        let account = data
            .accounts
            .get_mut(extension)
            .ok_or(BackendError::NotFound)?;
        let u = &mut account.user;
        u.name = update.name.clone();
        u.email = update.email.clone();
        u.is_admin = update.is_admin;
        u.portal_enabled = update.portal_enabled;
        u.disabled = update.disabled;
        u.access = update.access;
        if let Some(on) = update.wakeup_others {
            u.wakeup_others = on;
        }
        if let Some(zone) = time_zone {
            u.time_zone = zone;
        }
        if let Some(on) = update.must_change_password {
            u.must_change_password = on;
        }
        if let Some(on) = update.walkthrough {
            u.walkthrough = on;
        }
        Ok(u.clone())
    }

    async fn import_users(&self, rows: &[ImportRow]) -> BackendResult<ImportReport> {
        let mut data = self.lock();
        let mut report = ImportReport::default();
        for row in rows {
            if data.accounts.contains_key(&row.extension) {
                report.rejected.push(ImportRejected {
                    line: row.line,
                    extension: row.extension.clone(),
                    reason: "extension already exists".into(),
                });
                continue;
            }
            let time_zone = match checked_zone(&row.time_zone) {
                Ok(zone) => zone,
                Err(_) => {
                    report.rejected.push(ImportRejected {
                        line: row.line,
                        extension: row.extension.clone(),
                        reason: format!("invalid time_zone {:?}", row.time_zone),
                    });
                    continue;
                }
            };
            data.imported.push(row.clone());
            let user = User {
                time_zone,
                ..user(&row.extension, &row.name, Access::Write)
            };
            data.accounts.insert(
                row.extension.clone(),
                Account {
                    user,
                    password: "x".into(),
                },
            );
            let generated = matches!(row.password, PasswordChoice::Generate)
                .then(|| "generated-secret".to_owned());
            report.accepted.push(ImportAccepted {
                line: row.line,
                extension: row.extension.clone(),
                generated_password: generated,
            });
        }
        Ok(report)
    }

    async fn delete_user(&self, extension: &str) -> BackendResult<()> {
        let mut data = self.lock();
        data.accounts
            .remove(extension)
            .ok_or(BackendError::NotFound)?;
        data.sessions.retain(|_, s| s.extension != extension);
        data.wakeups.retain(|_, w| w.owner != extension);
        Ok(())
    }

    async fn suggest_extension(&self) -> BackendResult<Option<String>> {
        let data = self.lock();
        let highest = data
            .accounts
            .keys()
            .filter(|e| (2..=15).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_digit()))
            .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        Ok(highest.and_then(|h| {
            let next = h.parse::<u64>().ok()? + 1;
            let text = format!("{next:0width$}", width = h.len());
            (text.len() == h.len()).then_some(text)
        }))
    }

    async fn reset_password(&self, extension: &str, new: Option<&str>) -> BackendResult<String> {
        let mut data = self.lock();
        let account = data
            .accounts
            .get_mut(extension)
            .ok_or(BackendError::NotFound)?;
        account.password = new.unwrap_or("generated-secret").to_owned();
        Ok(account.password.clone())
    }

    async fn access_defaults(&self) -> BackendResult<MenuAccess> {
        Ok(self
            .lock()
            .defaults
            .unwrap_or(MenuAccess::all(Access::Write)))
    }

    async fn set_access_defaults(&self, access: &MenuAccess) -> BackendResult<()> {
        self.lock().defaults = Some(*access);
        Ok(())
    }

    async fn calls(&self, viewer: &CallViewer, query: &CallsQuery) -> BackendResult<CallsPage> {
        let mut all = calls_matching(&self.lock(), viewer, &query.filter)?;
        // Like the daemon: the start on the wall clock of the filter's zone.
        for call in &mut all {
            call.started_local = ringside_portal::zone::format_in(&call.started, &query.filter.tz);
        }
        let per_page = query.per_page.max(1) as usize;
        let skip = (query.page.max(1) as usize - 1) * per_page;
        Ok(CallsPage {
            calls: all.iter().skip(skip).take(per_page).cloned().collect(),
            page: query.page.max(1),
            per_page: per_page as u32,
            has_more: all.len() > skip + per_page,
        })
    }

    async fn call_detail(
        &self,
        viewer: &CallViewer,
        tz: &str,
        id: &str,
    ) -> BackendResult<CallDetail> {
        if !tz.is_empty() && !KNOWN_ZONES.contains(&tz) {
            return Err(BackendError::Rejected(format!("unknown time zone {tz:?}")));
        }
        let (call, own) = self.visible_call(viewer, id)?;
        let entry = view_of(&call, own.then_some(viewer.extension.as_str()))
            .unwrap_or_else(|| call.entry.clone());
        Ok(CallDetail {
            records: vec![CallRecord {
                start: entry.started,
                answer: None,
                end: entry.ended,
                source: entry.caller.clone(),
                destination: entry.callee.clone(),
                caller_id: String::new(),
                channel: format!("PJSIP/{}-00000001", entry.caller),
                destination_channel: format!("PJSIP/{}-00000002", entry.callee),
                application: "Dial".into(),
                data: String::new(),
                disposition: "ANSWERED".into(),
                duration_secs: entry.duration_secs,
                billable_secs: entry.talk_secs,
                unique_id: call.entry.id.clone(),
            }],
            recording: call.recording.map(|available| CallRecordingInfo {
                available,
                may_replay: self.may_replay(viewer, own),
            }),
            call: entry,
        })
    }

    async fn call_recording(&self, viewer: &CallViewer, id: &str) -> BackendResult<CallFile> {
        let (call, own) = self.visible_call(viewer, id)?;
        match call.recording {
            None => Err(BackendError::NotFound),
            Some(_) if !self.may_replay(viewer, own) => Err(BackendError::NotFound),
            Some(false) => Err(BackendError::Gone(
                "the recording of this call is missing from the server".into(),
            )),
            Some(true) => Ok(file(
                "audio/wav",
                &format!("call-{id}.wav"),
                RECORDING.to_vec(),
            )),
        }
    }

    async fn export_calls(
        &self,
        viewer: &CallViewer,
        filter: &CallsFilter,
        format: CallExportFormat,
    ) -> BackendResult<CallFile> {
        let all = calls_matching(&self.lock(), viewer, filter)?;
        let mut text = String::from("start,status,from,to,call id\n");
        for c in &all {
            text.push_str(&format!(
                "{},{},{},{},{}\n",
                c.started_local,
                c.status.key(),
                c.caller,
                c.callee,
                c.id
            ));
        }
        Ok(file(
            format.content_type(),
            &format!("calls.{}", format.extension()),
            text.into_bytes(),
        ))
    }

    async fn replay_right(&self, extension: &str) -> BackendResult<ReplayRight> {
        let data = self.lock();
        if !data.accounts.contains_key(extension) {
            return Err(BackendError::NotFound);
        }
        Ok(data.replay.get(extension).copied().unwrap_or_default())
    }

    async fn set_replay_right(&self, extension: &str, right: ReplayRight) -> BackendResult<()> {
        let mut data = self.lock();
        if !data.accounts.contains_key(extension) {
            return Err(BackendError::NotFound);
        }
        data.replay.insert(extension.to_owned(), right);
        Ok(())
    }

    async fn system_status(&self) -> BackendResult<SystemStatus> {
        Ok(SystemStatus {
            ari: LinkStatus {
                up: true,
                since: Some(t0()),
            },
            agi: LinkStatus {
                up: false,
                since: None,
            },
            agi_listen: "127.0.0.1:4573".into(),
            queued_fax_jobs: 3,
            pending_wakeups: 7,
            version: "0.1.0-test".into(),
        })
    }
}

impl FakeBackend {
    fn visible_call(&self, viewer: &CallViewer, id: &str) -> BackendResult<(FakeCall, bool)> {
        let data = self.lock();
        let call = data
            .calls
            .iter()
            .find(|c| c.entry.id == id)
            .cloned()
            .ok_or(BackendError::NotFound)?;
        let own = call.parties.iter().any(|(e, _)| *e == viewer.extension);
        if !own && !viewer.admin_view {
            return Err(BackendError::NotFound);
        }
        Ok((call, own))
    }

    fn may_replay(&self, viewer: &CallViewer, own: bool) -> bool {
        viewer.admin_view
            || self
                .lock()
                .replay
                .get(&viewer.extension)
                .copied()
                .unwrap_or_default()
                .allows(own)
    }
}

fn view_of(call: &FakeCall, extension: Option<&str>) -> Option<CallEntry> {
    let mut entry = call.entry.clone();
    if let Some(ext) = extension {
        let (_, direction) = call.parties.iter().find(|(e, _)| e == ext)?;
        entry.direction = Some(*direction);
        entry.extension = ext.to_owned();
    }
    Some(entry)
}

fn calls_matching(
    data: &Data,
    viewer: &CallViewer,
    f: &CallsFilter,
) -> BackendResult<Vec<CallEntry>> {
    if !f.tz.is_empty() && !KNOWN_ZONES.contains(&f.tz.as_str()) {
        return Err(BackendError::Rejected(format!(
            "unknown time zone {:?}",
            f.tz
        )));
    }
    let extension = if viewer.admin_view {
        f.extension.clone()
    } else {
        Some(viewer.extension.clone())
    };
    let mut out: Vec<CallEntry> = data
        .calls
        .iter()
        .filter_map(|c| view_of(c, extension.as_deref()))
        .filter(|e| f.status.is_none_or(|s| e.status == s))
        .filter(|e| f.direction.is_none_or(|d| e.direction == Some(d)))
        .filter(|e| {
            f.number
                .as_deref()
                .is_none_or(|n| e.caller.contains(n) || e.callee.contains(n))
        })
        .filter(|e| f.since.is_none_or(|d| e.started.date_naive() >= d))
        .filter(|e| f.until.is_none_or(|d| e.started.date_naive() <= d))
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.started));
    Ok(out)
}

fn file(content_type: &str, name: &str, bytes: Vec<u8>) -> CallFile {
    let length = bytes.len() as u64;
    CallFile {
        content_type: content_type.into(),
        file_name: name.into(),
        length: Some(length),
        body: Box::pin(futures_util::stream::once(
            async move { Ok(Bytes::from(bytes)) },
        )),
    }
}

/// Time zones the fake knows; the daemon reads the system's tz database.
const KNOWN_ZONES: &[&str] = &["UTC", "Europe/Berlin", "Europe/London", "America/New_York"];

/// The daemon's wakeup rules that the portal's tests rely on (the contract checks keep them
/// in step): a name, and a time zone that exists.
/// Where the fake says users' prompts are, like the daemon's sounds folder.
const OWN_PROMPTS: &str = "ringside/users/";

fn own_prompt(owner: &str, name: String) -> PromptChoice {
    PromptChoice {
        name: format!("{OWN_PROMPTS}{owner}/{name}"),
        label: format!("Your prompt: {name}"),
        own_name: Some(name),
    }
}

/// A prompt among users' uploads must be the wakeup owner's own.
fn check_own_prompt(data: &Data, owner: &str, prompt: &str) -> BackendResult<()> {
    let Some((prompt_owner, name)) = prompt
        .strip_prefix(OWN_PROMPTS)
        .and_then(|rest| rest.split_once('/'))
    else {
        return Ok(());
    };
    if prompt_owner == owner && data.prompts.contains_key(&(owner.into(), name.into())) {
        Ok(())
    } else {
        Err(BackendError::Validation(vec![FieldError::new(
            "prompt",
            format!("prompt {prompt:?} does not exist"),
        )]))
    }
}

fn check_wakeup(spec: &WakeupSpec) -> BackendResult<()> {
    let mut errors = Vec::new();
    if spec.name.is_empty() {
        errors.push(FieldError::new("name", "give the wakeup call a name"));
    }
    if !KNOWN_ZONES.contains(&spec.time_zone.as_str()) {
        errors.push(FieldError::new("time_zone", "unknown time zone"));
    }
    let ranges = [
        ("ring_secs", spec.calls.ring_secs, 5..=300),
        ("retries", spec.calls.retries, 0..=10),
        (
            "retry_interval_mins",
            spec.calls.retry_interval_mins,
            1..=120,
        ),
        ("snooze_mins", spec.calls.snooze_mins, 1..=60),
    ];
    for (field, value, range) in ranges {
        if value.is_some_and(|v| !range.contains(&v)) {
            errors.push(FieldError::new(field, "out of range"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BackendError::Validation(errors))
    }
}
