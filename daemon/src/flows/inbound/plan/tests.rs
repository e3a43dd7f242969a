use std::collections::HashMap;

use chrono::TimeZone;

use super::*;
use crate::store::{Forward, TimeRule};

const CALLER: &str = "5551234";
const BOSS: &str = "5550001";

/// Monday 2026-01-05 10:00 UTC (11:00 in Berlin).
fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0)
        .single()
        .expect("time")
}

/// Saturday 2026-01-10 10:00 UTC.
fn saturday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 10, 0, 0)
        .single()
        .expect("time")
}

fn office_hours(outside: bool) -> TimeRule {
    TimeRule {
        window: "mon-fri,08:00-18:00".parse().expect("window"),
        outside,
    }
}

fn followme(ext: &str) -> FollowMeSettings {
    FollowMeSettings {
        caller_id: CallerIdMode::Extension,
        ..FollowMeSettings::ringing(ext, 5, &[(&["0170555"], 20)])
    }
}

struct Pbx {
    users: HashMap<String, UserSettings>,
}

impl Pbx {
    fn new() -> Self {
        Self {
            users: HashMap::new(),
        }
    }

    fn user(mut self, ext: &str, f: impl FnOnce(&mut CallHandling)) -> Self {
        let mut h = CallHandling::new(ext);
        f(&mut h);
        self.users.insert(
            ext.into(),
            UserSettings {
                handling: Some(h),
                followme: None,
            },
        );
        self
    }

    fn with_followme(mut self, ext: &str) -> Self {
        self.users.entry(ext.into()).or_default().followme = Some(followme(ext));
        self
    }

    fn route_at(&self, ext: &str, caller: &str, now: DateTime<Utc>) -> Route {
        let call = Call {
            extension: ext,
            caller,
            now,
        };
        route(&call, &|n: &str| self.users.get(n).cloned()).expect("plannable")
    }

    fn route(&self, ext: &str) -> Route {
        self.route_at(ext, CALLER, monday_morning())
    }
}

fn voicemail(mailbox: &str, reason: Reason) -> Route {
    Route::Voicemail {
        mailbox: mailbox.into(),
        reason,
    }
}

fn ring(route: &Route) -> &Ring {
    match route {
        Route::Ring(r) => r,
        other => panic!("expected a ringing stage, got {other:?}"),
    }
}

fn device(ext: &str, secs: u32) -> Ringing {
    Ringing::Device {
        extension: ext.into(),
        ring_secs: secs,
    }
}

// --- The precedence table over every combination ---------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dnd {
    Off,
    On,
    OnCallerAllowed,
    OnOutsideItsTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Always {
    Off,
    On,
    OnOutsideItsTime,
}

/// What the call does first, as the precedence says it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum First {
    VoicemailBusy,
    ForwardAlways,
    FollowMe,
    OwnDevice,
}

/// The precedence, written as the table it is: the first row that matches wins.
fn expected_first(dnd: Dnd, always: Always, followme: bool) -> First {
    if dnd == Dnd::On {
        First::VoicemailBusy
    } else if always == Always::On {
        First::ForwardAlways
    } else if followme {
        First::FollowMe
    } else {
        First::OwnDevice
    }
}

/// Where an unanswered stage goes, as the precedence says it.
fn expected_after(reason: Reason, busy_forward: bool, no_answer_forward: bool) -> Option<Reason> {
    let forwarded = match reason {
        Reason::Busy => busy_forward,
        Reason::NoAnswer | Reason::Unavailable => no_answer_forward,
    };
    // `None`: forwarded; `Some(r)`: the user's own voicemail with reason r.
    (!forwarded).then_some(reason)
}

#[test]
fn precedence_holds_for_every_combination_of_settings_and_outcomes() {
    let dnds = [
        Dnd::Off,
        Dnd::On,
        Dnd::OnCallerAllowed,
        Dnd::OnOutsideItsTime,
    ];
    let alwayses = [Always::Off, Always::On, Always::OnOutsideItsTime];
    let mut checked = 0;
    for dnd in dnds {
        for always in alwayses {
            for fm in [false, true] {
                for busy_fwd in [false, true] {
                    for na_fwd in [false, true] {
                        let mut pbx = Pbx::new()
                            .user("1001", |h| {
                                h.dnd = dnd != Dnd::Off;
                                if dnd == Dnd::OnCallerAllowed {
                                    h.dnd_allow = vec![CALLER.into()];
                                }
                                if dnd == Dnd::OnOutsideItsTime {
                                    // DND only outside office hours; it is Monday morning.
                                    h.dnd_rule = Some(office_hours(true));
                                }
                                if always != Always::Off {
                                    h.forward_always = Forward::to("2001");
                                }
                                if always == Always::OnOutsideItsTime {
                                    h.forward_always.rule = Some(office_hours(true));
                                }
                                if busy_fwd {
                                    h.forward_busy = Forward::to("2002");
                                }
                                if na_fwd {
                                    h.forward_no_answer = Forward::to("2003");
                                }
                                h.ring_secs = Some(25);
                            })
                            .user("2001", |_| {})
                            .user("2002", |_| {})
                            .user("2003", |_| {});
                        if fm {
                            pbx = pbx.with_followme("1001");
                        }
                        let context = format!(
                            "dnd {dnd:?}, always {always:?}, follow-me {fm}, busy fwd {busy_fwd}, no-answer fwd {na_fwd}"
                        );
                        let route = pbx.route("1001");
                        match expected_first(dnd, always, fm) {
                            First::VoicemailBusy => {
                                assert_eq!(route, voicemail("1001", Reason::Busy), "{context}");
                            }
                            First::ForwardAlways => {
                                assert_eq!(ring(&route).ringing, device("2001", 20), "{context}");
                            }
                            first @ (First::FollowMe | First::OwnDevice) => {
                                let stage = ring(&route);
                                let want = if first == First::FollowMe {
                                    Ringing::FollowMe(followme("1001"))
                                } else {
                                    device("1001", 25)
                                };
                                assert_eq!(stage.ringing, want, "{context}");
                                for reason in Reason::ALL {
                                    let next = stage.next(reason);
                                    match expected_after(reason, busy_fwd, na_fwd) {
                                        Some(r) => {
                                            assert_eq!(
                                                *next,
                                                voicemail("1001", r),
                                                "{context}, {reason:?}"
                                            )
                                        }
                                        None => {
                                            let to = if reason == Reason::Busy {
                                                "2002"
                                            } else {
                                                "2003"
                                            };
                                            assert_eq!(
                                                ring(next).ringing,
                                                device(to, 20),
                                                "{context}, {reason:?}"
                                            );
                                        }
                                    }
                                }
                            }
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 2 * 2 * 2);
}

// --- Single rules, one behaviour each ---------------------------------------------------

#[test]
fn user_without_any_rule_goes_back_to_the_dialplan() {
    let pbx = Pbx::new().user("1001", |_| {});
    assert_eq!(pbx.route("1001"), Route::Dialplan);
}

#[test]
fn unknown_extension_goes_back_to_the_dialplan() {
    assert_eq!(Pbx::new().route("1001"), Route::Dialplan);
}

#[test]
fn disabled_followme_alone_is_no_rule() {
    let mut pbx = Pbx::new().with_followme("1001");
    if let Some(f) = pbx.users.get_mut("1001").and_then(|u| u.followme.as_mut()) {
        f.enabled = false;
    }
    assert_eq!(pbx.route("1001"), Route::Dialplan);
}

#[test]
fn followme_alone_rings_its_steps_then_voicemail_as_today() {
    let pbx = Pbx::new().with_followme("1001");
    let route = pbx.route("1001");
    let stage = ring(&route);
    assert_eq!(stage.ringing, Ringing::FollowMe(followme("1001")));
    assert_eq!(stage.on_no_answer, voicemail("1001", Reason::NoAnswer));
}

#[test]
fn ring_time_alone_rings_the_own_device_for_that_long() {
    let pbx = Pbx::new().user("1001", |h| h.ring_secs = Some(7));
    assert_eq!(ring(&pbx.route("1001")).ringing, device("1001", 7));
}

#[test]
fn dnd_allow_list_lets_a_listed_caller_ring_through() {
    let pbx = Pbx::new().user("1001", |h| {
        h.dnd = true;
        h.dnd_allow = vec![BOSS.into()];
    });
    assert_eq!(
        ring(&pbx.route_at("1001", BOSS, monday_morning())).ringing,
        device("1001", 20)
    );
}

#[test]
fn dnd_inside_its_window_sends_callers_to_voicemail_busy() {
    let pbx = Pbx::new().user("1001", |h| {
        h.dnd = true;
        h.dnd_rule = Some(office_hours(false));
    });
    assert_eq!(pbx.route("1001"), voicemail("1001", Reason::Busy));
}

#[test]
fn dnd_limited_to_office_hours_does_not_apply_on_saturday() {
    let pbx = Pbx::new().user("1001", |h| {
        h.dnd = true;
        h.dnd_rule = Some(office_hours(false));
    });
    assert!(matches!(
        pbx.route_at("1001", CALLER, saturday()),
        Route::Ring(_)
    ));
}

#[test]
fn forward_outside_office_hours_applies_on_saturday() {
    let pbx = Pbx::new().user("1001", |h| {
        h.forward_always = Forward::to("0170555");
        h.forward_always.rule = Some(office_hours(true));
    });
    let stage = pbx.route_at("1001", CALLER, saturday());
    assert!(matches!(
        ring(&stage).ringing,
        Ringing::External { ref number, .. } if number == "0170555"
    ));
}

#[test]
fn time_rules_are_read_in_the_users_time_zone() {
    // Monday 2026-01-05 07:30 UTC is 08:30 in Berlin: inside office hours there, not in UTC.
    let at = Utc
        .with_ymd_and_hms(2026, 1, 5, 7, 30, 0)
        .single()
        .expect("time");
    let berlin = Pbx::new().user("1001", |h| {
        h.dnd = true;
        h.dnd_rule = Some(office_hours(false));
        h.time_zone = "Europe/Berlin".into();
    });
    assert_eq!(
        berlin.route_at("1001", CALLER, at),
        voicemail("1001", Reason::Busy)
    );
    let utc = Pbx::new().user("1001", |h| {
        h.dnd = true;
        h.dnd_rule = Some(office_hours(false));
    });
    assert!(matches!(utc.route_at("1001", CALLER, at), Route::Ring(_)));
}

#[test]
fn forward_that_is_off_keeps_its_number_but_does_not_forward() {
    let pbx = Pbx::new().user("1001", |h| {
        h.forward_always = Forward::to("2001");
        h.forward_always.enabled = false;
        h.ring_secs = Some(20);
    });
    assert_eq!(ring(&pbx.route("1001")).ringing, device("1001", 20));
}

#[test]
fn external_forward_uses_the_followme_caller_id_choice() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("0170555"))
        .with_followme("1001");
    let stage = pbx.route("1001");
    assert_eq!(
        ring(&stage).ringing,
        Ringing::External {
            number: "0170555".into(),
            ring_secs: EXTERNAL_RING_SECS,
            forwarded_by: "1001".into(),
            caller_id: CallerIdMode::Extension,
        }
    );
}

#[test]
fn unanswered_external_forward_ends_in_the_forwarding_users_voicemail() {
    let pbx = Pbx::new().user("1001", |h| h.forward_busy = Forward::to("0170555"));
    let first = pbx.route("1001");
    let external = ring(ring(&first).next(Reason::Busy));
    assert_eq!(
        *external.next(Reason::NoAnswer),
        voicemail("1001", Reason::NoAnswer)
    );
}

#[test]
fn forward_to_another_user_applies_that_users_dnd() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("1002"))
        .user("1002", |h| h.dnd = true);
    assert_eq!(pbx.route("1001"), voicemail("1002", Reason::Busy));
}

#[test]
fn forward_to_another_user_applies_that_users_ring_time_and_forwards() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_no_answer = Forward::to("1002"))
        .user("1002", |h| {
            h.ring_secs = Some(9);
            h.forward_busy = Forward::to("0170555");
        });
    let first = pbx.route("1001");
    let second = ring(ring(&first).next(Reason::NoAnswer));
    assert_eq!(second.ringing, device("1002", 9));
    assert!(matches!(
        ring(second.next(Reason::Busy)).ringing,
        Ringing::External { ref forwarded_by, .. } if forwarded_by == "1002"
    ));
}

#[test]
fn forward_to_a_user_without_rules_rings_that_user_then_its_voicemail() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("1002"))
        .user("1002", |_| {});
    let stage = pbx.route("1001");
    assert_eq!(ring(&stage).ringing, device("1002", DEFAULT_RING_SECS));
    assert_eq!(
        *ring(&stage).next(Reason::NoAnswer),
        voicemail("1002", Reason::NoAnswer)
    );
}

#[test]
fn forward_loop_ends_in_the_first_users_voicemail() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("1002"))
        .user("1002", |h| h.forward_always = Forward::to("1001"));
    assert_eq!(
        pbx.route("1001"),
        Route::Stopped {
            mailbox: "1001".into(),
            reason: Reason::Unavailable,
            why: ChainStop::Loop(vec!["1001".into(), "1002".into(), "1001".into()]),
        }
    );
}

#[test]
fn loop_through_a_busy_forward_keeps_the_busy_reason() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("1002"))
        .user("1002", |h| h.forward_busy = Forward::to("1001"));
    let first = pbx.route("1001");
    assert!(matches!(
        ring(&first).next(Reason::Busy),
        Route::Stopped { mailbox, reason: Reason::Busy, why: ChainStop::Loop(_) } if mailbox == "1001"
    ));
}

#[test]
fn chain_of_three_forwards_is_followed() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("1002"))
        .user("1002", |h| h.forward_always = Forward::to("1003"))
        .user("1003", |h| h.forward_always = Forward::to("1004"))
        .user("1004", |_| {});
    assert_eq!(ring(&pbx.route("1001")).ringing, device("1004", 20));
}

#[test]
fn fourth_forward_is_not_followed() {
    let pbx = Pbx::new()
        .user("1001", |h| h.forward_always = Forward::to("1002"))
        .user("1002", |h| h.forward_always = Forward::to("1003"))
        .user("1003", |h| h.forward_always = Forward::to("1004"))
        .user("1004", |h| h.forward_always = Forward::to("1005"))
        .user("1005", |_| {});
    assert!(matches!(
        pbx.route("1001"),
        Route::Stopped { mailbox, why: ChainStop::TooManyHops(_), .. } if mailbox == "1001"
    ));
}

#[test]
fn unknown_time_zone_cannot_be_planned() {
    let mut pbx = Pbx::new().user("1001", |h| h.dnd = true);
    if let Some(h) = pbx.users.get_mut("1001").and_then(|u| u.handling.as_mut()) {
        h.time_zone = "Mars/Olympus".into();
    }
    let call = Call {
        extension: "1001",
        caller: CALLER,
        now: monday_morning(),
    };
    assert!(matches!(
        route(&call, &|n: &str| pbx.users.get(n).cloned()),
        Err(RouteError::TimeZone { .. })
    ));
}
