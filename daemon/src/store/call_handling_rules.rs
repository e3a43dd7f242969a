//! Rules for call handling settings, as a pure check that lists every problem with the
//! field it is in and the bad value. Used by the CLI, the portal and the feature codes before
//! saving. Not here: parsing a schedule's text (`schedule::window`), whose errors the edges
//! report under their own field name.

use super::call_handling::{CallHandling, ForwardKind};
use super::followme_rules::is_valid_number;
use crate::schedule::Zone;

pub const MIN_RING_SECS: u32 = 1;
pub const MAX_RING_SECS: u32 = 300;
/// Caller numbers one user may let through do-not-disturb.
pub const MAX_ALLOW_LIST: usize = 50;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallHandlingProblem {
    #[error(
        "forward {}: {number:?} is not a valid number: use only digits, '*', '#' and '+' (at most 32)",
        .kind.as_str()
    )]
    BadForwardNumber { kind: ForwardKind, number: String },
    #[error("forward {}: is on but has no number", .kind.as_str())]
    NoForwardNumber { kind: ForwardKind },
    #[error("forward {}: {number:?} is the extension itself", .kind.as_str())]
    ForwardToSelf { kind: ForwardKind, number: String },
    #[error("dnd allow-list: {0:?} is not a number")]
    BadAllowEntry(String),
    #[error("dnd allow-list has {0} entries; at most 50")]
    AllowListTooLong(usize),
    #[error("ring time {0} s is out of range (1 to 300 s)")]
    RingTime(u32),
    #[error("time zone {0:?} is unknown: use an IANA name such as Europe/Berlin")]
    TimeZone(String),
}

impl CallHandlingProblem {
    /// The field the problem is in, as the API and the CLI name it.
    pub fn field(&self) -> &'static str {
        match self {
            CallHandlingProblem::BadForwardNumber { kind, .. }
            | CallHandlingProblem::NoForwardNumber { kind }
            | CallHandlingProblem::ForwardToSelf { kind, .. } => match kind {
                ForwardKind::Always => "forward_always",
                ForwardKind::Busy => "forward_busy",
                ForwardKind::NoAnswer => "forward_no_answer",
            },
            CallHandlingProblem::BadAllowEntry(_) | CallHandlingProblem::AllowListTooLong(_) => {
                "dnd_allow"
            }
            CallHandlingProblem::RingTime(_) => "ring_secs",
            CallHandlingProblem::TimeZone(_) => "time_zone",
        }
    }
}

/// Every problem found, in the order of the settings' fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidCallHandling {
    pub problems: Vec<CallHandlingProblem>,
}

/// Checks call handling settings. A forward that is off may keep an empty number, but a
/// number it keeps must be valid so that turning it on later is safe.
pub fn check_call_handling(h: &CallHandling) -> Result<(), InvalidCallHandling> {
    let mut problems = Vec::new();
    if h.dnd_allow.len() > MAX_ALLOW_LIST {
        problems.push(CallHandlingProblem::AllowListTooLong(h.dnd_allow.len()));
    }
    for entry in h.dnd_allow.iter().filter(|n| !is_valid_number(n)) {
        problems.push(CallHandlingProblem::BadAllowEntry(entry.clone()));
    }
    for kind in ForwardKind::ALL {
        let f = h.forward(kind);
        if f.number.is_empty() {
            if f.enabled {
                problems.push(CallHandlingProblem::NoForwardNumber { kind });
            }
        } else if !is_valid_number(&f.number) {
            problems.push(CallHandlingProblem::BadForwardNumber {
                kind,
                number: f.number.clone(),
            });
        } else if f.number == h.extension {
            problems.push(CallHandlingProblem::ForwardToSelf {
                kind,
                number: f.number.clone(),
            });
        }
    }
    if let Some(secs) = h.ring_secs {
        if !(MIN_RING_SECS..=MAX_RING_SECS).contains(&secs) {
            problems.push(CallHandlingProblem::RingTime(secs));
        }
    }
    if Zone::parse(&h.time_zone).is_err() {
        problems.push(CallHandlingProblem::TimeZone(h.time_zone.clone()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidCallHandling { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::call_handling::Forward;

    fn problems(h: &CallHandling) -> Vec<CallHandlingProblem> {
        check_call_handling(h)
            .err()
            .map(|e| e.problems)
            .unwrap_or_default()
    }

    #[test]
    fn empty_settings_are_valid() {
        assert_eq!(check_call_handling(&CallHandling::new("1001")), Ok(()));
    }

    #[test]
    fn forward_to_an_invalid_number_names_the_forward_and_the_number() {
        let mut h = CallHandling::new("1001");
        h.forward_busy = Forward::to("55x1");
        let p = problems(&h);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field(), "forward_busy");
        assert!(p[0].to_string().contains("\"55x1\""), "{}", p[0]);
    }

    #[test]
    fn forward_to_oneself_is_refused() {
        let mut h = CallHandling::new("1001");
        h.forward_always = Forward::to("1001");
        assert_eq!(
            problems(&h),
            vec![CallHandlingProblem::ForwardToSelf {
                kind: ForwardKind::Always,
                number: "1001".into()
            }]
        );
    }

    #[test]
    fn forward_on_without_a_number_is_refused() {
        let mut h = CallHandling::new("1001");
        h.forward_no_answer.enabled = true;
        assert_eq!(problems(&h)[0].field(), "forward_no_answer");
    }

    #[test]
    fn allow_list_entry_that_is_not_a_number_is_named() {
        let mut h = CallHandling::new("1001");
        h.dnd_allow = vec!["5551234".into(), "boss".into()];
        assert_eq!(
            problems(&h),
            vec![CallHandlingProblem::BadAllowEntry("boss".into())]
        );
    }

    #[test]
    fn ring_time_outside_1_to_300_seconds_is_refused() {
        let mut h = CallHandling::new("1001");
        h.ring_secs = Some(0);
        assert_eq!(problems(&h), vec![CallHandlingProblem::RingTime(0)]);
        h.ring_secs = Some(301);
        assert_eq!(problems(&h), vec![CallHandlingProblem::RingTime(301)]);
    }

    #[test]
    fn unknown_time_zone_is_refused() {
        let mut h = CallHandling::new("1001");
        h.time_zone = "Mars/Olympus".into();
        assert_eq!(problems(&h)[0].field(), "time_zone");
    }
}
