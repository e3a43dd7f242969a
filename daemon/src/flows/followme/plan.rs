//! Follow-me planning: settings -> the ordered steps of legs to ring. Pure, no I/O.
//!
//! Step 0 is the user's own device when `initial_ring_secs > 0`; then each configured step
//! rings all its numbers together for its ring time (ring-all is one step with many numbers,
//! one-by-one is one number per step). A number that is a known extension is dialled with the
//! extension template, anything else with the external template. External legs show the
//! caller ID the settings ask for; extension legs always show the original caller.
//!
//! [`plan_stage`] plans any ringing stage of the inbound call plan the same way: follow-me,
//! a user's own device alone, or a forward to an external number.

use crate::flows::inbound::Ringing;
use crate::store::{CallerIdMode, FollowMeSettings};

/// Dial string templates (`[dial]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialTemplates {
    /// `{ext}` is replaced by the extension, e.g. `PJSIP/{ext}`.
    pub extension: String,
    /// `{number}` is replaced by the number, e.g. `Local/{number}@ringside-outbound`.
    pub external: String,
}

impl From<&crate::config::DialConfig> for DialTemplates {
    fn from(c: &crate::config::DialConfig) -> Self {
        Self {
            extension: c.extension.clone(),
            external: c.external.clone(),
        }
    }
}

impl DialTemplates {
    pub fn extension_endpoint(&self, ext: &str) -> String {
        self.extension
            .replace("{ext}", ext)
            .replace("{number}", ext)
    }
    pub fn external_endpoint(&self, number: &str) -> String {
        self.external
            .replace("{number}", number)
            .replace("{ext}", number)
    }
}

/// One channel to create and dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLeg {
    pub number: String,
    pub endpoint: String,
    /// Caller ID the callee sees (number, name); `None` keeps Asterisk's default.
    pub caller_id: Option<(String, String)>,
    /// The user's own device (its failure to ring means "unavailable").
    pub own_device: bool,
}

/// Legs rung together, for `ring_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub legs: Vec<PlannedLeg>,
    pub ring_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub extension: String,
    pub steps: Vec<PlannedStep>,
    pub confirm: bool,
    pub moh: bool,
}

/// Why a call cannot be planned; the call then goes to the dialplan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("follow-me of {0} is disabled")]
    Disabled(String),
    #[error("follow-me of {0} has nothing to ring (no initial ring and no steps)")]
    NothingToRing(String),
    #[error("follow-me of {extension}: step {step} has no numbers")]
    EmptyStep { extension: String, step: usize },
    #[error("follow-me of {extension}: step {step} rings for 0 seconds")]
    ZeroRingTime { extension: String, step: usize },
    #[error("follow-me of {extension}: {number:?} is not a dialable number")]
    BadNumber { extension: String, number: String },
}

/// The original caller as the inbound channel shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub number: String,
    pub name: String,
}

/// Digits, optionally a leading `+`, and `*`/`#`; nothing that could break a dial string.
pub fn is_dialable(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    !digits.is_empty()
        && digits.len() <= 32
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// Plans the call. `is_extension` says whether a number is a known extension.
pub fn plan(
    settings: &FollowMeSettings,
    caller: &Caller,
    templates: &DialTemplates,
    is_extension: impl Fn(&str) -> bool,
) -> Result<Plan, PlanError> {
    let ext = &settings.extension;
    if !settings.enabled {
        return Err(PlanError::Disabled(ext.clone()));
    }
    if !is_dialable(ext) {
        return Err(PlanError::BadNumber {
            extension: ext.clone(),
            number: ext.clone(),
        });
    }
    let original = (caller.number.clone(), caller.name.clone());
    let mut steps = Vec::new();
    if settings.initial_ring_secs > 0 {
        steps.push(PlannedStep {
            legs: vec![PlannedLeg {
                number: ext.clone(),
                endpoint: templates.extension_endpoint(ext),
                caller_id: Some(original.clone()),
                own_device: true,
            }],
            ring_secs: settings.initial_ring_secs,
        });
    }
    for (i, step) in settings.steps.iter().enumerate() {
        let n = i + 1;
        if step.numbers.is_empty() {
            return Err(PlanError::EmptyStep {
                extension: ext.clone(),
                step: n,
            });
        }
        if step.ring_secs == 0 {
            return Err(PlanError::ZeroRingTime {
                extension: ext.clone(),
                step: n,
            });
        }
        let mut legs = Vec::with_capacity(step.numbers.len());
        for raw in &step.numbers {
            let number = raw.trim();
            if !is_dialable(number) {
                return Err(PlanError::BadNumber {
                    extension: ext.clone(),
                    number: raw.clone(),
                });
            }
            let leg = if number == ext.as_str() || is_extension(number) {
                PlannedLeg {
                    number: number.to_owned(),
                    endpoint: templates.extension_endpoint(number),
                    caller_id: Some(original.clone()),
                    own_device: number == ext.as_str(),
                }
            } else {
                let caller_id = match settings.caller_id {
                    CallerIdMode::Caller => original.clone(),
                    CallerIdMode::Extension => (ext.clone(), caller.name.clone()),
                };
                PlannedLeg {
                    number: number.to_owned(),
                    endpoint: templates.external_endpoint(number),
                    caller_id: Some(caller_id),
                    own_device: false,
                }
            };
            legs.push(leg);
        }
        steps.push(PlannedStep {
            legs,
            ring_secs: step.ring_secs,
        });
    }
    if steps.is_empty() {
        return Err(PlanError::NothingToRing(ext.clone()));
    }
    Ok(Plan {
        extension: ext.clone(),
        steps,
        confirm: settings.confirm,
        moh: settings.moh,
    })
}

/// Plans one ringing stage of the inbound call plan.
pub fn plan_stage(
    ringing: &Ringing,
    caller: &Caller,
    templates: &DialTemplates,
    is_extension: impl Fn(&str) -> bool,
) -> Result<Plan, PlanError> {
    let (extension, leg, ring_secs) = match ringing {
        Ringing::FollowMe(settings) => return plan(settings, caller, templates, is_extension),
        Ringing::Device {
            extension,
            ring_secs,
        } => {
            let leg = PlannedLeg {
                number: extension.clone(),
                endpoint: templates.extension_endpoint(extension),
                caller_id: Some((caller.number.clone(), caller.name.clone())),
                own_device: true,
            };
            (extension, leg, *ring_secs)
        }
        Ringing::External {
            number,
            ring_secs,
            forwarded_by,
            caller_id,
        } => {
            let shown = match caller_id {
                CallerIdMode::Caller => (caller.number.clone(), caller.name.clone()),
                CallerIdMode::Extension => (forwarded_by.clone(), caller.name.clone()),
            };
            let leg = PlannedLeg {
                number: number.clone(),
                endpoint: templates.external_endpoint(number),
                caller_id: Some(shown),
                own_device: false,
            };
            (forwarded_by, leg, *ring_secs)
        }
    };
    if !is_dialable(&leg.number) {
        return Err(PlanError::BadNumber {
            extension: extension.clone(),
            number: leg.number,
        });
    }
    if ring_secs == 0 {
        return Err(PlanError::ZeroRingTime {
            extension: extension.clone(),
            step: 1,
        });
    }
    Ok(Plan {
        extension: extension.clone(),
        steps: vec![PlannedStep {
            legs: vec![leg],
            ring_secs,
        }],
        confirm: false,
        moh: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates() -> DialTemplates {
        DialTemplates {
            extension: "PJSIP/{ext}".into(),
            external: "Local/{number}@ringside-outbound".into(),
        }
    }

    fn settings(initial: u32, steps: &[(&[&str], u32)]) -> FollowMeSettings {
        FollowMeSettings::ringing("1001", initial, steps)
    }

    fn caller() -> Caller {
        Caller {
            number: "5551234".into(),
            name: "Bob".into(),
        }
    }

    fn is_ext(n: &str) -> bool {
        n.len() == 4
    }

    #[test]
    fn initial_ring_is_a_first_step_on_the_own_device() {
        let p = plan(
            &settings(5, &[(&["2001"], 20)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect("plan");
        assert_eq!(p.steps.len(), 2);
        assert_eq!(p.steps[0].ring_secs, 5);
        assert_eq!(p.steps[0].legs[0].endpoint, "PJSIP/1001");
        assert!(p.steps[0].legs[0].own_device);
    }

    #[test]
    fn zero_initial_ring_skips_the_own_device() {
        let p = plan(
            &settings(0, &[(&["2001"], 20)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect("plan");
        assert_eq!(p.steps.len(), 1);
        assert!(!p.steps[0].legs[0].own_device);
    }

    #[test]
    fn ring_all_step_rings_every_number_together() {
        let p = plan(
            &settings(0, &[(&["2001", "2002", "0049301234"], 20)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect("plan");
        let endpoints: Vec<&str> = p.steps[0]
            .legs
            .iter()
            .map(|l| l.endpoint.as_str())
            .collect();
        assert_eq!(
            endpoints,
            [
                "PJSIP/2001",
                "PJSIP/2002",
                "Local/0049301234@ringside-outbound"
            ]
        );
    }

    #[test]
    fn one_by_one_steps_keep_their_order_and_ring_times() {
        let p = plan(
            &settings(0, &[(&["2001"], 10), (&["2002"], 15)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect("plan");
        let order: Vec<(&str, u32)> = p
            .steps
            .iter()
            .map(|s| (s.legs[0].number.as_str(), s.ring_secs))
            .collect();
        assert_eq!(order, [("2001", 10), ("2002", 15)]);
    }

    #[test]
    fn external_leg_shows_the_callers_number_by_default() {
        let p = plan(
            &settings(0, &[(&["0049301234"], 20)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect("plan");
        assert_eq!(
            p.steps[0].legs[0].caller_id,
            Some(("5551234".to_owned(), "Bob".to_owned()))
        );
    }

    #[test]
    fn external_leg_can_show_the_users_extension() {
        let mut s = settings(0, &[(&["0049301234"], 20)]);
        s.caller_id = CallerIdMode::Extension;
        let p = plan(&s, &caller(), &templates(), is_ext).expect("plan");
        assert_eq!(
            p.steps[0].legs[0].caller_id.as_ref().map(|c| c.0.as_str()),
            Some("1001")
        );
    }

    #[test]
    fn extension_leg_always_shows_the_original_caller() {
        let mut s = settings(0, &[(&["2001"], 20)]);
        s.caller_id = CallerIdMode::Extension;
        let p = plan(&s, &caller(), &templates(), is_ext).expect("plan");
        assert_eq!(
            p.steps[0].legs[0].caller_id.as_ref().map(|c| c.0.as_str()),
            Some("5551234")
        );
    }

    #[test]
    fn disabled_settings_do_not_plan() {
        let mut s = settings(5, &[]);
        s.enabled = false;
        assert_eq!(
            plan(&s, &caller(), &templates(), is_ext),
            Err(PlanError::Disabled("1001".into()))
        );
    }

    #[test]
    fn no_initial_ring_and_no_steps_is_nothing_to_ring() {
        assert_eq!(
            plan(&settings(0, &[]), &caller(), &templates(), is_ext),
            Err(PlanError::NothingToRing("1001".into()))
        );
    }

    #[test]
    fn unparseable_number_is_named_in_the_error() {
        let err = plan(
            &settings(0, &[(&["20x1"], 20)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect_err("bad number");
        assert!(err.to_string().contains("20x1"), "{err}");
    }

    #[test]
    fn number_that_could_break_a_dial_string_is_rejected() {
        let err = plan(
            &settings(0, &[(&["2001&PJSIP/666"], 20)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect_err("injection");
        assert!(matches!(err, PlanError::BadNumber { .. }));
    }

    #[test]
    fn empty_step_is_rejected_with_its_position() {
        let err = plan(
            &settings(0, &[(&["2001"], 10), (&[], 10)]),
            &caller(),
            &templates(),
            is_ext,
        )
        .expect_err("empty");
        assert_eq!(
            err,
            PlanError::EmptyStep {
                extension: "1001".into(),
                step: 2
            }
        );
    }

    #[test]
    fn own_device_stage_rings_the_device_for_its_ring_time_with_the_original_caller() {
        let ringing = Ringing::Device {
            extension: "1002".into(),
            ring_secs: 25,
        };
        let p = plan_stage(&ringing, &caller(), &templates(), is_ext).expect("plan");
        assert_eq!(p.extension, "1002");
        assert_eq!(p.steps.len(), 1);
        assert_eq!(p.steps[0].ring_secs, 25);
        let leg = &p.steps[0].legs[0];
        assert_eq!(leg.endpoint, "PJSIP/1002");
        assert!(leg.own_device);
        assert_eq!(leg.caller_id, Some(("5551234".into(), "Bob".into())));
    }

    #[test]
    fn external_forward_stage_shows_the_forwarding_extension_when_asked() {
        let ringing = Ringing::External {
            number: "0170555".into(),
            ring_secs: 60,
            forwarded_by: "1001".into(),
            caller_id: CallerIdMode::Extension,
        };
        let p = plan_stage(&ringing, &caller(), &templates(), is_ext).expect("plan");
        let leg = &p.steps[0].legs[0];
        assert_eq!(leg.endpoint, "Local/0170555@ringside-outbound");
        assert!(!leg.own_device);
        assert_eq!(leg.caller_id, Some(("1001".into(), "Bob".into())));
    }

    #[test]
    fn external_forward_stage_to_an_undialable_number_is_refused() {
        let ringing = Ringing::External {
            number: "0170&PJSIP/666".into(),
            ring_secs: 60,
            forwarded_by: "1001".into(),
            caller_id: CallerIdMode::Caller,
        };
        assert!(matches!(
            plan_stage(&ringing, &caller(), &templates(), is_ext),
            Err(PlanError::BadNumber { .. })
        ));
    }

    #[test]
    fn international_plus_prefix_is_dialable() {
        assert!(is_dialable("+49301234"));
        assert!(!is_dialable("+"));
        assert!(!is_dialable(""));
    }
}
