//! What one user may ask of the PBX through the portal: how many wakeup calls, and how wide
//! and how long a follow-me. Each of these makes phones ring, so the portal bounds them per
//! user (`[portal]` settings). Pure checks; the rules every saved setting must pass whoever
//! saves it (number syntax, ring-time ranges) are the store's, not these.

use ringside_portal::FieldError;
use ringside_portal::model::FollowMe;

use crate::config::PortalConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalLimits {
    pub wakeups_per_user: usize,
    pub followme_max_steps: usize,
    pub followme_max_numbers_per_step: usize,
    /// Initial ring plus every step's ring time, in seconds.
    pub followme_max_ring_secs: u32,
}

impl PortalLimits {
    pub fn from_config(config: &PortalConfig) -> PortalLimits {
        PortalLimits {
            wakeups_per_user: config.wakeups_per_user,
            followme_max_steps: config.followme_max_steps,
            followme_max_numbers_per_step: config.followme_max_numbers_per_step,
            followme_max_ring_secs: config.followme_max_ring_secs,
        }
    }

    /// One message per limit the follow-me passes, on the field to change.
    pub fn check_followme(&self, fm: &FollowMe) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if fm.steps.len() > self.followme_max_steps {
            errors.push(FieldError::new(
                "steps",
                format!(
                    "{} steps is too many: at most {} are allowed",
                    fm.steps.len(),
                    self.followme_max_steps
                ),
            ));
        }
        for (i, step) in fm.steps.iter().enumerate() {
            if step.numbers.len() > self.followme_max_numbers_per_step {
                errors.push(FieldError::new(
                    format!("steps[{i}].numbers"),
                    format!(
                        "step {} rings {} numbers at once: at most {} are allowed",
                        i + 1,
                        step.numbers.len(),
                        self.followme_max_numbers_per_step
                    ),
                ));
            }
        }
        let total = fm
            .steps
            .iter()
            .fold(u64::from(fm.initial_ring_secs), |sum, s| {
                sum + u64::from(s.ring_secs)
            });
        if total > u64::from(self.followme_max_ring_secs) {
            errors.push(FieldError::new(
                "steps",
                format!(
                    "follow-me would ring for {total} s in all: at most {} s are allowed",
                    self.followme_max_ring_secs
                ),
            ));
        }
        errors
    }
}

impl Default for PortalLimits {
    fn default() -> Self {
        PortalLimits::from_config(&PortalConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringside_portal::model::{CallerIdChoice, FollowMeStep};

    fn followme(initial: u32, steps: &[(usize, u32)]) -> FollowMe {
        FollowMe {
            enabled: true,
            initial_ring_secs: initial,
            steps: steps
                .iter()
                .map(|(numbers, ring_secs)| FollowMeStep {
                    numbers: (0..*numbers).map(|n| format!("20{n:02}")).collect(),
                    ring_secs: *ring_secs,
                })
                .collect(),
            confirm: false,
            moh: String::new(),
            caller_id: CallerIdChoice::Caller,
        }
    }

    fn fields(fm: &FollowMe) -> Vec<String> {
        PortalLimits::default()
            .check_followme(fm)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn followme_within_every_limit_passes() {
        assert!(fields(&followme(20, &[(10, 30); 10])).is_empty());
    }

    #[test]
    fn too_many_steps_are_refused_on_the_steps() {
        assert_eq!(fields(&followme(0, &[(1, 5); 11])), ["steps"]);
    }

    #[test]
    fn too_many_numbers_in_a_step_are_refused_on_that_step() {
        assert_eq!(
            fields(&followme(10, &[(1, 20), (11, 20)])),
            ["steps[1].numbers"]
        );
    }

    #[test]
    fn too_long_a_ring_in_all_is_refused() {
        assert_eq!(fields(&followme(60, &[(1, 300), (1, 300)])), ["steps"]);
    }
}
