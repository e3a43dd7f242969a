//! Rules for follow-me settings, as a pure check that lists every problem with a message
//! naming the bad value. Used by the CLI and the portal before saving; the call flow can rely
//! on saved settings having passed it.

use super::followme::FollowMeSettings;

pub const MAX_INITIAL_RING_SECS: u32 = 300;
pub const MIN_STEP_RING_SECS: u32 = 1;
pub const MAX_STEP_RING_SECS: u32 = 300;
/// Longest number accepted (E.164 is at most 15 digits; room left for prefixes and `*`/`#`).
pub const MAX_NUMBER_LEN: usize = 32;

/// One broken rule. Steps and numbers are counted from 1, as a person reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowMeProblem {
    #[error("follow-me is enabled but has no steps")]
    NoSteps,
    #[error("initial ring time {0} s is out of range (0 to 300 s)")]
    InitialRing(u32),
    #[error("step {step}: ring time {secs} s is out of range (1 to 300 s)")]
    StepRing { step: usize, secs: u32 },
    #[error("step {step} has no numbers")]
    EmptyStep { step: usize },
    #[error(
        "step {step}: number {number:?} is not valid: use only digits, '*', '#' and '+' (at most 32)"
    )]
    BadNumber { step: usize, number: String },
}

impl FollowMeProblem {
    /// The 1-based step the problem is in, if it is in one.
    pub fn step(&self) -> Option<usize> {
        match self {
            FollowMeProblem::StepRing { step, .. }
            | FollowMeProblem::EmptyStep { step }
            | FollowMeProblem::BadNumber { step, .. } => Some(*step),
            FollowMeProblem::NoSteps | FollowMeProblem::InitialRing(_) => None,
        }
    }
}

/// Every problem found, in the order of the settings' fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidFollowMe {
    pub problems: Vec<FollowMeProblem>,
}

/// A dialable number: 1–32 characters from `0-9 * # +`, kept as written (leading zeros too).
pub fn is_valid_number(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= MAX_NUMBER_LEN
        && number
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'#' | b'+'))
}

/// Checks follow-me settings; disabled settings may have no steps, but what they have must
/// still be valid so that enabling them later is safe.
pub fn check_followme(settings: &FollowMeSettings) -> Result<(), InvalidFollowMe> {
    let mut problems = Vec::new();
    if settings.initial_ring_secs > MAX_INITIAL_RING_SECS {
        problems.push(FollowMeProblem::InitialRing(settings.initial_ring_secs));
    }
    if settings.enabled && settings.steps.is_empty() {
        problems.push(FollowMeProblem::NoSteps);
    }
    for (i, step) in settings.steps.iter().enumerate() {
        let n = i + 1;
        if !(MIN_STEP_RING_SECS..=MAX_STEP_RING_SECS).contains(&step.ring_secs) {
            problems.push(FollowMeProblem::StepRing {
                step: n,
                secs: step.ring_secs,
            });
        }
        if step.numbers.is_empty() {
            problems.push(FollowMeProblem::EmptyStep { step: n });
        }
        for number in step.numbers.iter().filter(|num| !is_valid_number(num)) {
            problems.push(FollowMeProblem::BadNumber {
                step: n,
                number: number.chars().take(64).collect(),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidFollowMe { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(initial: u32, steps: &[(&[&str], u32)]) -> FollowMeSettings {
        FollowMeSettings::ringing("1001", initial, steps)
    }

    fn problems(s: &FollowMeSettings) -> Vec<FollowMeProblem> {
        check_followme(s)
            .err()
            .map(|e| e.problems)
            .unwrap_or_default()
    }

    #[test]
    fn valid_settings_pass() {
        let s = settings(5, &[(&["2001", "2002"], 20), (&["0049301234"], 15)]);
        assert_eq!(check_followme(&s), Ok(()));
    }

    #[test]
    fn enabled_without_steps_is_rejected() {
        assert_eq!(problems(&settings(5, &[])), vec![FollowMeProblem::NoSteps]);
    }

    #[test]
    fn disabled_without_steps_is_accepted() {
        let mut s = settings(0, &[]);
        s.enabled = false;
        assert_eq!(check_followme(&s), Ok(()));
    }

    #[test]
    fn initial_ring_bounds_are_0_and_300() {
        assert_eq!(check_followme(&settings(0, &[(&["2001"], 10)])), Ok(()));
        assert_eq!(check_followme(&settings(300, &[(&["2001"], 10)])), Ok(()));
        assert_eq!(
            problems(&settings(301, &[(&["2001"], 10)])),
            vec![FollowMeProblem::InitialRing(301)]
        );
    }

    #[test]
    fn step_ring_bounds_are_1_and_300() {
        assert_eq!(check_followme(&settings(0, &[(&["2001"], 1)])), Ok(()));
        assert_eq!(check_followme(&settings(0, &[(&["2001"], 300)])), Ok(()));
        assert_eq!(
            problems(&settings(0, &[(&["2001"], 10), (&["2002"], 0)])),
            vec![FollowMeProblem::StepRing { step: 2, secs: 0 }]
        );
        assert_eq!(
            problems(&settings(0, &[(&["2001"], 301)])),
            vec![FollowMeProblem::StepRing { step: 1, secs: 301 }]
        );
    }

    #[test]
    fn step_without_numbers_is_rejected() {
        assert_eq!(
            problems(&settings(0, &[(&[], 10)])),
            vec![FollowMeProblem::EmptyStep { step: 1 }]
        );
    }

    #[test]
    fn number_with_letters_is_rejected_naming_it() {
        let err = check_followme(&settings(0, &[(&["2001", "20O2"], 10)])).expect_err("letter O");
        assert_eq!(
            err.problems,
            vec![FollowMeProblem::BadNumber {
                step: 1,
                number: "20O2".into()
            }]
        );
        assert!(err.to_string().contains("\"20O2\""), "{err}");
    }

    #[test]
    fn star_hash_plus_and_leading_zeros_are_valid_numbers() {
        for n in ["*97", "#1", "+4930123", "0049301234", "0"] {
            assert!(is_valid_number(n), "{n}");
        }
        for n in ["", " 2001", "2001 ", "12-34", &"1".repeat(33)] {
            assert!(!is_valid_number(n), "{n:?}");
        }
    }

    #[test]
    fn every_problem_is_listed() {
        let err = check_followme(&settings(400, &[(&["x"], 0)])).expect_err("three problems");
        assert_eq!(err.problems.len(), 3);
        assert_eq!(err.problems[1].step(), Some(1));
    }
}
