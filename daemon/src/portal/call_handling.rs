//! Call handling for the portal: the stored settings in the portal's shape and back, schedule
//! texts parsed with the field they came from, and the store's rules as messages next to each
//! field. What the settings do to a call is in [`crate::flows::inbound`].

use ringside_portal::model::{
    CallHandlingSettings, CallHandlingStatus, ForwardSetting, TimeRuleSetting,
};
use ringside_portal::{BackendError, BackendResult, FieldError};

use super::PortalBackend;
use super::errors;
use crate::schedule::{WeeklyWindow, Zone};
use crate::store::{CallHandling, Forward, ForwardKind, TimeRule, check_call_handling};

fn rule_to_api(rule: &Option<TimeRule>) -> Option<TimeRuleSetting> {
    rule.map(|r| TimeRuleSetting {
        window: r.window.to_string(),
        outside: r.outside,
    })
}

fn forward_to_api(f: &Forward) -> ForwardSetting {
    ForwardSetting {
        enabled: f.enabled,
        number: f.number.clone(),
        schedule: rule_to_api(&f.rule),
    }
}

pub fn to_api(h: &CallHandling) -> CallHandlingSettings {
    CallHandlingSettings {
        dnd: h.dnd,
        dnd_allow: h.dnd_allow.clone(),
        dnd_schedule: rule_to_api(&h.dnd_rule),
        forward_always: forward_to_api(&h.forward_always),
        forward_busy: forward_to_api(&h.forward_busy),
        forward_no_answer: forward_to_api(&h.forward_no_answer),
        ring_secs: h.ring_secs,
        time_zone: h.time_zone.clone(),
    }
}

fn forward_field(kind: ForwardKind) -> &'static str {
    match kind {
        ForwardKind::Always => "forward_always",
        ForwardKind::Busy => "forward_busy",
        ForwardKind::NoAnswer => "forward_no_answer",
    }
}

fn rule_from_api(
    field: &str,
    setting: &Option<TimeRuleSetting>,
    problems: &mut Vec<FieldError>,
) -> Option<TimeRule> {
    let setting = setting.as_ref().filter(|s| !s.window.trim().is_empty())?;
    match setting.window.trim().parse::<WeeklyWindow>() {
        Ok(window) => Some(TimeRule {
            window,
            outside: setting.outside,
        }),
        Err(e) => {
            problems.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}

/// The portal's settings as stored ones, after the store's rules.
pub fn from_api(
    extension: &str,
    s: &CallHandlingSettings,
) -> Result<CallHandling, Vec<FieldError>> {
    let mut problems = Vec::new();
    let dnd_rule = rule_from_api("dnd_schedule", &s.dnd_schedule, &mut problems);
    let mut forward = |kind: ForwardKind, f: &ForwardSetting| Forward {
        enabled: f.enabled,
        number: f.number.trim().to_owned(),
        rule: rule_from_api(
            &format!("{}.schedule", forward_field(kind)),
            &f.schedule,
            &mut problems,
        ),
    };
    let forward_always = forward(ForwardKind::Always, &s.forward_always);
    let forward_busy = forward(ForwardKind::Busy, &s.forward_busy);
    let forward_no_answer = forward(ForwardKind::NoAnswer, &s.forward_no_answer);
    // Stored as the zone's own spelling (`europe/berlin` -> `Europe/Berlin`).
    let time_zone = Zone::parse(s.time_zone.trim())
        .map(|z| z.name().to_owned())
        .unwrap_or_else(|_| s.time_zone.trim().to_owned());
    let h = CallHandling {
        extension: extension.to_owned(),
        dnd: s.dnd,
        dnd_allow: s
            .dnd_allow
            .iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
        dnd_rule,
        forward_always,
        forward_busy,
        forward_no_answer,
        ring_secs: s.ring_secs,
        time_zone,
    };
    if let Err(invalid) = check_call_handling(&h) {
        problems.extend(
            invalid
                .problems
                .iter()
                .map(|p| FieldError::new(p.field(), p.to_string())),
        );
    }
    if problems.is_empty() {
        Ok(h)
    } else {
        Err(problems)
    }
}

impl PortalBackend {
    pub(super) async fn call_handling_impl(
        &self,
        extension: &str,
    ) -> BackendResult<CallHandlingSettings> {
        let h = self
            .store
            .call_handling_or_default(extension)
            .await
            .map_err(errors::store)?;
        Ok(to_api(&h))
    }

    pub(super) async fn set_call_handling_impl(
        &self,
        extension: &str,
        settings: &CallHandlingSettings,
    ) -> BackendResult<()> {
        let h = from_api(extension, settings).map_err(BackendError::Validation)?;
        self.store
            .set_call_handling(&h)
            .await
            .map_err(errors::store)?;
        if let Some(changed) = &self.call_handling_changed {
            changed.notify_one();
        }
        Ok(())
    }

    pub(super) async fn call_handling_status_impl(
        &self,
        extension: &str,
    ) -> BackendResult<CallHandlingStatus> {
        let h = self
            .store
            .call_handling_or_default(extension)
            .await
            .map_err(errors::store)?;
        let followme = self
            .store
            .followme(extension)
            .await
            .map_err(errors::store)?
            .is_some_and(|f| f.enabled);
        let on = |f: &Forward| (f.enabled && !f.number.is_empty()).then(|| f.number.clone());
        Ok(CallHandlingStatus {
            dnd: h.dnd,
            forward_always: on(&h.forward_always),
            forward_busy: on(&h.forward_busy),
            forward_no_answer: on(&h.forward_no_answer),
            followme,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_that_does_not_parse_names_its_forward() {
        let mut s = CallHandlingSettings::empty();
        s.forward_busy = ForwardSetting {
            enabled: true,
            number: "2001".into(),
            schedule: Some(TimeRuleSetting {
                window: "soon".into(),
                outside: false,
            }),
        };
        let errors = from_api("1001", &s).expect_err("refused");
        assert_eq!(errors[0].field, "forward_busy.schedule");
    }

    #[test]
    fn stored_settings_read_back_as_given() {
        let mut h = CallHandling::new("1001");
        h.dnd = true;
        h.forward_no_answer = Forward::to("0170555");
        let back = from_api("1001", &to_api(&h)).expect("valid");
        assert_eq!(back, h);
    }
}
