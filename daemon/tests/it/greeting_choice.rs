//! The greeting decision against a model of app_voicemail (Asterisk 22, `leave_voicemail` and
//! `invent_message`), for every reason and every set of existing greeting files: the caller
//! must hear the rule's greeting exactly once, then the instructions and the beep.

use ringside::voicemail::greeting_rule::{
    Announcement, Decision, GreetingKind, GreetingSet, Reason, Status, choose,
};

/// What reaches the caller's ear, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heard {
    Recording(GreetingKind),
    /// `vm-theperson` + the extension's digits.
    ThePersonAtExtension,
    IsOnThePhone,
    IsUnavailable,
    Instructions,
    Beep,
}

fn status_phrase(status: Status) -> Heard {
    match status {
        Status::OnThePhone => Heard::IsOnThePhone,
        Status::Unavailable => Heard::IsUnavailable,
    }
}

/// app_voicemail's greeting logic: `temp` replaces the option's file whenever it exists; with
/// `b`/`u` a missing file is replaced by `invent_message` (greet, or "the person at extension
/// …", then the status phrase); no option and no temp plays nothing; `s` skips the
/// instructions and the beep.
fn app_voicemail(options: &str, existing: GreetingSet) -> Vec<Heard> {
    let busy = options.contains('b');
    let unavail = options.contains('u');
    let mut heard = Vec::new();
    let prefile = if existing.contains(GreetingKind::Temp) {
        Some(GreetingKind::Temp)
    } else if busy {
        Some(GreetingKind::Busy)
    } else if unavail {
        Some(GreetingKind::Unavail)
    } else {
        None
    };
    if let Some(file) = prefile {
        if existing.contains(file) {
            heard.push(Heard::Recording(file));
        } else {
            if existing.contains(GreetingKind::Greet) {
                heard.push(Heard::Recording(GreetingKind::Greet));
            } else {
                heard.push(Heard::ThePersonAtExtension);
            }
            heard.push(if busy {
                Heard::IsOnThePhone
            } else {
                Heard::IsUnavailable
            });
        }
    }
    if !options.contains('s') {
        heard.push(Heard::Instructions);
        heard.push(Heard::Beep);
    }
    heard
}

/// The `[ringside-voicemail]` context: play what the decision says, then `VoiceMail`.
fn dialplan(decision: &Decision, existing: GreetingSet) -> Vec<Heard> {
    let mut heard = Vec::new();
    match decision.play {
        // Playback of a missing file plays nothing.
        Some(Announcement::Recorded(kind)) if existing.contains(kind) => {
            heard.push(Heard::Recording(kind));
        }
        Some(Announcement::Recorded(_)) | None => {}
        Some(Announcement::SystemDefault(status)) => {
            heard.push(Heard::ThePersonAtExtension);
            heard.push(status_phrase(status));
        }
    }
    heard.extend(app_voicemail(decision.vm_options, existing));
    heard
}

/// The rule, stated on its own: temp > busy/unavail > greet > Asterisk's default.
fn rule(reason: Reason, existing: GreetingSet) -> Announcement {
    use GreetingKind::{Busy, Greet, Temp, Unavail};
    let has = |k| existing.contains(k);
    let recorded = Announcement::Recorded;
    match reason {
        _ if has(Temp) => recorded(Temp),
        Reason::Busy if has(Busy) => recorded(Busy),
        Reason::Unavailable if has(Unavail) => recorded(Unavail),
        _ if has(Greet) => recorded(Greet),
        Reason::Busy => Announcement::SystemDefault(Status::OnThePhone),
        Reason::Unavailable | Reason::NoAnswer => Announcement::SystemDefault(Status::Unavailable),
    }
}

/// The greeting sequences that count as hearing `expected` once: the recording alone, the
/// name recording (`greet`) completed by the reason's status phrase as app_voicemail does, or
/// the default with the reason's status phrase.
fn acceptable_greetings(expected: Announcement, reason: Reason) -> Vec<Vec<Heard>> {
    let phrase = match reason {
        Reason::Busy => Heard::IsOnThePhone,
        Reason::Unavailable | Reason::NoAnswer => Heard::IsUnavailable,
    };
    match expected {
        Announcement::Recorded(GreetingKind::Greet) => vec![
            vec![Heard::Recording(GreetingKind::Greet)],
            vec![Heard::Recording(GreetingKind::Greet), phrase],
        ],
        Announcement::Recorded(kind) => vec![vec![Heard::Recording(kind)]],
        Announcement::SystemDefault(status) => {
            vec![vec![Heard::ThePersonAtExtension, status_phrase(status)]]
        }
    }
}

fn all_cases() -> Vec<(Reason, GreetingSet)> {
    Reason::ALL
        .into_iter()
        .flat_map(|r| GreetingSet::all_subsets().map(move |s| (r, s)))
        .collect()
}

fn describe(set: GreetingSet) -> String {
    let names: Vec<_> = set.iter().map(|k| k.file_stem()).collect();
    format!("{{{}}}", names.join(","))
}

#[test]
fn there_are_48_cases() {
    assert_eq!(all_cases().len(), 48);
}

#[test]
fn every_case_plays_the_rules_greeting_once_then_instructions_and_beep() {
    let mut failures = Vec::new();
    for (reason, existing) in all_cases() {
        let decision = choose(reason, existing);
        let heard = dialplan(&decision, existing);
        let expected = rule(reason, existing);
        let ok = heard.ends_with(&[Heard::Instructions, Heard::Beep])
            && acceptable_greetings(expected, reason)
                .iter()
                .any(|greeting| heard[..heard.len() - 2] == greeting[..]);
        if !ok {
            failures.push(format!(
                "{reason:?} with {}: decision {decision:?} makes the caller hear {heard:?}, \
                 rule says {expected:?}",
                describe(existing)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_reports_the_rules_greeting_as_heard() {
    let mut failures = Vec::new();
    for (reason, existing) in all_cases() {
        let decision = choose(reason, existing);
        if decision.heard != rule(reason, existing) {
            failures.push(format!(
                "{reason:?} with {}: heard {:?}, rule {:?}",
                describe(existing),
                decision.heard,
                rule(reason, existing)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_case_passes_the_s_option() {
    for (reason, existing) in all_cases() {
        let decision = choose(reason, existing);
        assert!(
            !decision.vm_options.contains('s'),
            "{reason:?} {}",
            describe(existing)
        );
    }
}

/// The model must be able to tell a wrong dialplan from a right one: playing the greeting
/// ourselves and passing `s` loses the instructions and the beep.
#[test]
fn model_rejects_playing_the_greeting_ourselves_with_option_s() {
    let existing: GreetingSet = [GreetingKind::Busy].into_iter().collect();
    let naive = Decision {
        heard: Announcement::Recorded(GreetingKind::Busy),
        play: Some(Announcement::Recorded(GreetingKind::Busy)),
        vm_options: "s",
    };
    assert_eq!(
        dialplan(&naive, existing),
        vec![Heard::Recording(GreetingKind::Busy)]
    );
}

/// … and playing it ourselves while also passing `b` plays it twice.
#[test]
fn model_hears_a_greeting_twice_when_both_dialplan_and_voicemail_play_it() {
    let existing: GreetingSet = [GreetingKind::Busy].into_iter().collect();
    let doubled = Decision {
        heard: Announcement::Recorded(GreetingKind::Busy),
        play: Some(Announcement::Recorded(GreetingKind::Busy)),
        vm_options: "b",
    };
    assert_eq!(
        dialplan(&doubled, existing),
        vec![
            Heard::Recording(GreetingKind::Busy),
            Heard::Recording(GreetingKind::Busy),
            Heard::Instructions,
            Heard::Beep
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// The same 48 cases end to end: the `[ringside-voicemail]` context from
// `dialplan/extensions_ringside.conf`, interpreted step by step, with its `AGI()` answered by
// the real greeting handler over a FastAGI session and its `VoiceMail()` by the model above.

mod dialplan_run {
    use super::*;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use ringside::agi::{AgiHandler, AgiSession, SessionLimits};
    use ringside::flows::greeting::GreetingHandler;
    use ringside::voicemail::greetings::{GreetingFiles, Mailbox};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// One priority: optional label, application, raw arguments.
    struct Step {
        label: Option<String>,
        app: String,
        args: String,
    }

    fn context_steps(context: &str) -> Vec<Step> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../dialplan/extensions_ringside.conf");
        let text = std::fs::read_to_string(path).expect("dialplan readable");
        let mut steps = Vec::new();
        let mut inside = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                inside = line == format!("[{context}]");
                continue;
            }
            if !inside || line.starts_with(';') || line.is_empty() {
                continue;
            }
            let body = line
                .strip_prefix("exten => _X.,1,")
                .map(|rest| format!("1,{rest}"))
                .or_else(|| line.strip_prefix("same => ").map(str::to_owned))
                .expect("exten or same line");
            let (priority, app_call) = body.split_once(',').expect("priority,app");
            let label = priority
                .strip_prefix("n(")
                .and_then(|l| l.strip_suffix(')'))
                .map(str::to_owned);
            let open = app_call.find('(').expect("app(");
            let args = app_call[open + 1..]
                .strip_suffix(')')
                .expect("app(...)")
                .to_owned();
            steps.push(Step {
                label,
                app: app_call[..open].to_owned(),
                args,
            });
        }
        assert!(!steps.is_empty(), "context [{context}] found");
        steps
    }

    /// Substitutes `${VAR}`, `${IF(c?a:b)}` and `$[expr]` (innermost first), as Asterisk does
    /// before an application sees its arguments.
    fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
        let mut out = text.to_owned();
        loop {
            let Some(start) = innermost(&out) else {
                return out;
            };
            let close_char = if out[start..].starts_with("${") {
                '}'
            } else {
                ']'
            };
            let end = start + 2 + out[start + 2..].find(close_char).expect("closed");
            let inner = &out[start + 2..end];
            let value = if close_char == ']' {
                evaluate(inner)
            } else if let Some(call) = inner.strip_prefix("IF(").and_then(|c| c.strip_suffix(')')) {
                let (cond, choices) = call.split_once('?').expect("IF(c?a:b)");
                let (yes, no) = choices.split_once(':').expect("a:b");
                if cond.trim() == "1" { yes } else { no }.to_owned()
            } else {
                vars.get(inner).cloned().unwrap_or_default()
            };
            out.replace_range(start..=end, &value);
        }
    }

    /// The last `${` or `$[` opening: it contains no further openings.
    fn innermost(text: &str) -> Option<usize> {
        let a = text.rfind("${");
        let b = text.rfind("$[");
        a.max(b)
    }

    /// `"x" = "y"`, `"x" != "y"`, joined by `|`.
    fn evaluate(expr: &str) -> String {
        let any = expr.split('|').any(|part| {
            let (left, op, right) = if let Some((l, r)) = part.split_once("!=") {
                (l, "!=", r)
            } else {
                let (l, r) = part.split_once('=').expect("comparison");
                (l, "=", r)
            };
            let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
            (unquote(left) == unquote(right)) == (op == "=")
        });
        if any { "1" } else { "0" }.to_owned()
    }

    /// Runs the greeting handler on a FastAGI session and collects the variables it sets, as
    /// Asterisk would on the channel.
    async fn agi_greeting(
        files: &GreetingFiles,
        args: &str,
        vars: &mut HashMap<String, String>,
    ) -> &'static str {
        let url_and_args: Vec<&str> = args.split(',').collect();
        let script = url_and_args[0].rsplit('/').next().expect("script");
        let mut header = format!("agi_network: yes\nagi_network_script: {script}\n");
        for (i, arg) in url_and_args[1..].iter().enumerate() {
            header.push_str(&format!("agi_arg_{}: {arg}\n", i + 1));
        }
        header.push('\n');
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let (read, mut write) = tokio::io::split(theirs);
        write.write_all(header.as_bytes()).await.expect("header");
        let handler = GreetingHandler::new(files.clone());
        let server = async move {
            let mut session = AgiSession::open(ours, SessionLimits::default())
                .await
                .expect("header accepted");
            handler.handle(&mut session).await.expect("handled");
        };
        let asterisk = async {
            let mut lines = BufReader::new(read).lines();
            while let Some(line) = lines.next_line().await.expect("readable") {
                let rest = line
                    .strip_prefix("SET VARIABLE ")
                    .expect("only SET VARIABLE");
                let (name, quoted) = rest.split_once(' ').expect("name value");
                let value = quoted
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .expect("quoted")
                    .replace("\\\"", "\"")
                    .replace("\\\\", "\\");
                vars.insert(name.to_owned(), value);
                write.write_all(b"200 result=1\n").await.expect("reply");
            }
        };
        tokio::join!(server, asterisk);
        "SUCCESS"
    }

    /// Executes the context for `exten` and returns what the caller hears.
    async fn run(
        files: &GreetingFiles,
        exten: &str,
        reason: &str,
        existing: GreetingSet,
        agi_reachable: bool,
    ) -> (Vec<Heard>, Vec<String>) {
        let steps = context_steps("ringside-voicemail");
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("EXTEN".into(), exten.into());
        vars.insert("RINGSIDE_REASON".into(), reason.into());
        let mailbox = Mailbox::parse(exten).expect("digits");
        let mut heard = Vec::new();
        let mut voicemail_calls = Vec::new();
        let mut pc = 0;
        while pc < steps.len() {
            let step = &steps[pc];
            let args = substitute(&step.args, &vars);
            pc += 1;
            match step.app.as_str() {
                "NoOp" => {}
                "Set" => {
                    let (name, value) = args.split_once('=').expect("Set(name=value)");
                    vars.insert(name.to_owned(), value.to_owned());
                }
                "AGI" => {
                    let status = if agi_reachable {
                        agi_greeting(files, &args, &mut vars).await
                    } else {
                        "FAILURE"
                    };
                    vars.insert("AGISTATUS".into(), status.into());
                }
                "GotoIf" => {
                    let (cond, label) = args.split_once('?').expect("GotoIf(c?label)");
                    if cond.trim() == "1" {
                        pc = steps
                            .iter()
                            .position(|s| s.label.as_deref() == Some(label))
                            .expect("label exists");
                    }
                }
                "Playback" => {
                    let file = PathBuf::from(&args);
                    if let Some(kind) = GreetingKind::ALL
                        .into_iter()
                        .find(|k| files.greeting_base(&mailbox, *k) == file)
                    {
                        if existing.contains(kind) {
                            heard.push(Heard::Recording(kind));
                        }
                    } else {
                        heard.push(match args.as_str() {
                            "vm-theperson" => Heard::ThePersonAtExtension,
                            "vm-isunavail" => Heard::IsUnavailable,
                            "vm-isonphone" => Heard::IsOnThePhone,
                            other => panic!("unexpected Playback({other})"),
                        });
                    }
                }
                // The digits belong to "the person at extension …".
                "SayDigits" => assert_eq!(args, exten),
                "VoiceMail" => {
                    let (mbox, options) = args.split_once(',').unwrap_or((&args, ""));
                    voicemail_calls.push(mbox.to_owned());
                    heard.extend(app_voicemail(options, existing));
                }
                "Hangup" => break,
                other => panic!("the model does not know {other}()"),
            }
        }
        (heard, voicemail_calls)
    }

    fn spool_with(existing: GreetingSet) -> (tempfile::TempDir, GreetingFiles) {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = GreetingFiles::new(dir.path(), "default").expect("context");
        let mailbox = Mailbox::parse("1001").expect("digits");
        std::fs::create_dir_all(files.mailbox_dir(&mailbox)).expect("mailbox dir");
        for kind in existing.iter() {
            let path = files.greeting_base(&mailbox, kind).with_extension("wav");
            std::fs::write(path, b"x").expect("greeting file");
        }
        (dir, files)
    }

    #[tokio::test]
    async fn every_case_through_the_real_dialplan_and_handler_hears_one_greeting() {
        let mut failures = Vec::new();
        for (reason, existing) in all_cases() {
            let (_dir, files) = spool_with(existing);
            let (heard, calls) = run(&files, "1001", reason.as_str(), existing, true).await;
            let expected = rule(reason, existing);
            let ok = calls == ["1001@default"]
                && heard.ends_with(&[Heard::Instructions, Heard::Beep])
                && acceptable_greetings(expected, reason)
                    .iter()
                    .any(|g| heard[..heard.len() - 2] == g[..]);
            if !ok {
                failures.push(format!(
                    "{reason:?} with {}: heard {heard:?} via {calls:?}, rule says {expected:?}",
                    describe(existing)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[tokio::test]
    async fn unreachable_ringside_falls_back_to_voicemail_with_the_reason_option() {
        let existing: GreetingSet = [GreetingKind::Busy].into_iter().collect();
        let (_dir, files) = spool_with(existing);
        let (heard, calls) = run(&files, "1001", "busy", existing, false).await;
        assert_eq!(calls, ["1001@default"]);
        assert_eq!(
            heard,
            vec![
                Heard::Recording(GreetingKind::Busy),
                Heard::Instructions,
                Heard::Beep
            ]
        );
    }
}
