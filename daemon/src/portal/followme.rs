//! Follow-me for the portal: the stored settings in the portal's shape and back, and the
//! store's rule check turned into messages next to each form field. The call flow itself is
//! in [`crate::flows::followme`].

use ringside_portal::model::{CallerIdChoice, FollowMe, FollowMeStep};
use ringside_portal::{BackendError, BackendResult, FieldError};

use super::PortalBackend;
use super::errors;
use crate::store::{
    self, CallerIdMode, FollowMeProblem, FollowMeSettings, InvalidFollowMe, check_followme,
};

/// The music-on-hold class the daemon plays when a user asks for music instead of ringing.
/// The store keeps a yes/no, so this is the only class a user can choose.
pub const MOH_CLASS: &str = "default";

/// What a user who never saved follow-me sees: off, own phones ring 20 s first.
fn unset() -> FollowMe {
    FollowMe {
        enabled: false,
        initial_ring_secs: 20,
        steps: Vec::new(),
        confirm: false,
        moh: String::new(),
        caller_id: CallerIdChoice::Caller,
    }
}

pub fn to_api(settings: FollowMeSettings) -> FollowMe {
    FollowMe {
        enabled: settings.enabled,
        initial_ring_secs: settings.initial_ring_secs,
        steps: settings
            .steps
            .into_iter()
            .map(|s| FollowMeStep {
                numbers: s.numbers,
                ring_secs: s.ring_secs,
            })
            .collect(),
        confirm: settings.confirm,
        moh: if settings.moh {
            MOH_CLASS.to_owned()
        } else {
            String::new()
        },
        caller_id: match settings.caller_id {
            CallerIdMode::Caller => CallerIdChoice::Caller,
            CallerIdMode::Extension => CallerIdChoice::Extension,
        },
    }
}

/// The portal's follow-me as stored settings, after the checks the store's type cannot
/// express (the music-on-hold class) and the store's own rules.
pub fn from_api(extension: &str, fm: &FollowMe) -> Result<FollowMeSettings, Vec<FieldError>> {
    let mut problems = Vec::new();
    let moh = match fm.moh.trim() {
        "" => false,
        MOH_CLASS => true,
        _ => {
            problems.push(FieldError::new(
                "moh",
                format!("only the \"{MOH_CLASS}\" music-on-hold class is available; leave it empty for ringing"),
            ));
            false
        }
    };
    let settings = FollowMeSettings {
        extension: extension.to_owned(),
        enabled: fm.enabled,
        initial_ring_secs: fm.initial_ring_secs,
        steps: fm
            .steps
            .iter()
            .map(|s| store::FollowMeStep {
                numbers: s.numbers.clone(),
                ring_secs: s.ring_secs,
            })
            .collect(),
        confirm: fm.confirm,
        moh,
        caller_id: match fm.caller_id {
            CallerIdChoice::Caller => CallerIdMode::Caller,
            CallerIdChoice::Extension => CallerIdMode::Extension,
        },
    };
    if let Err(invalid) = check_followme(&settings) {
        problems.extend(field_errors(&invalid));
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

/// One message per broken rule, on the field the portal shows it next to. Steps are counted
/// from 1 by the store and from 0 in the portal's field names.
pub fn field_errors(invalid: &InvalidFollowMe) -> Vec<FieldError> {
    invalid
        .problems
        .iter()
        .map(|problem| {
            let field = match problem {
                FollowMeProblem::NoSteps => "steps".to_owned(),
                FollowMeProblem::InitialRing(_) => "initial_ring_secs".to_owned(),
                FollowMeProblem::StepRing { step, .. } => {
                    format!("steps[{}].ring_secs", step.saturating_sub(1))
                }
                FollowMeProblem::EmptyStep { step } | FollowMeProblem::BadNumber { step, .. } => {
                    format!("steps[{}].numbers", step.saturating_sub(1))
                }
            };
            FieldError::new(field, problem.to_string())
        })
        .collect()
}

impl PortalBackend {
    pub(super) async fn followme_impl(&self, extension: &str) -> BackendResult<FollowMe> {
        let stored = self
            .store
            .followme(extension)
            .await
            .map_err(errors::store)?;
        Ok(stored.map(to_api).unwrap_or_else(unset))
    }

    pub(super) async fn set_followme_impl(
        &self,
        extension: &str,
        followme: &FollowMe,
    ) -> BackendResult<()> {
        let too_much = self.limits.check_followme(followme);
        if !too_much.is_empty() {
            return Err(BackendError::Validation(too_much));
        }
        let settings = from_api(extension, followme).map_err(BackendError::Validation)?;
        self.store
            .set_followme(&settings)
            .await
            .map_err(errors::store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn followme(steps: &[(&[&str], u32)]) -> FollowMe {
        FollowMe {
            enabled: true,
            initial_ring_secs: 10,
            steps: steps
                .iter()
                .map(|(numbers, ring_secs)| FollowMeStep {
                    numbers: numbers.iter().map(|n| n.to_string()).collect(),
                    ring_secs: *ring_secs,
                })
                .collect(),
            confirm: true,
            moh: String::new(),
            caller_id: CallerIdChoice::Extension,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn valid_followme_round_trips_with_leading_zeros() {
        let fm = followme(&[(&["0171555", "2002"], 20), (&["0049301234"], 15)]);
        let settings = from_api("201", &fm).expect("valid");
        assert_eq!(settings.steps[0].numbers[0], "0171555");
        assert_eq!(to_api(settings), fm);
    }

    #[test]
    fn bad_number_in_second_step_is_reported_on_that_steps_numbers() {
        let errors =
            from_api("201", &followme(&[(&["2001"], 20), (&["20O2"], 20)])).expect_err("letter O");
        assert_eq!(fields(&errors), vec!["steps[1].numbers"]);
        assert!(errors[0].message.contains("20O2"), "{errors:?}");
    }

    #[test]
    fn ring_time_out_of_range_is_reported_on_that_steps_ring_secs() {
        let errors = from_api("201", &followme(&[(&["2001"], 0)])).expect_err("0 s");
        assert_eq!(fields(&errors), vec!["steps[0].ring_secs"]);
    }

    #[test]
    fn enabled_without_steps_is_reported_on_steps() {
        let errors = from_api("201", &followme(&[])).expect_err("no steps");
        assert_eq!(fields(&errors), vec!["steps"]);
    }

    #[test]
    fn initial_ring_too_long_is_reported_on_its_field() {
        let mut fm = followme(&[(&["2001"], 20)]);
        fm.initial_ring_secs = 301;
        let errors = from_api("201", &fm).expect_err("301 s");
        assert_eq!(fields(&errors), vec!["initial_ring_secs"]);
    }

    #[test]
    fn default_moh_class_is_kept_and_others_are_rejected() {
        let mut fm = followme(&[(&["2001"], 20)]);
        fm.moh = MOH_CLASS.into();
        assert!(from_api("201", &fm).expect("default class").moh);
        fm.moh = "jazz".into();
        let errors = from_api("201", &fm).expect_err("unknown class");
        assert_eq!(fields(&errors), vec!["moh"]);
    }
}
