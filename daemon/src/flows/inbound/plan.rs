//! The inbound call plan: one user's call handling (and that of the users it forwards to)
//! turned into a tree of what to do. Pure: settings, caller and instant in, [`Route`] out.
//!
//! The precedence, for the called user:
//! 1. do-not-disturb on (and its time rule applies), caller not on the allow-list:
//!    voicemail `busy`;
//! 2. forward always (time rule applies): follow the forward;
//! 3. follow-me enabled: ring its steps (own device first for its initial ring), else the own
//!    device for the ring time;
//! 4. then, by how that ended: busy -> forward-busy, else voicemail `busy`; not answered ->
//!    forward-no-answer, else voicemail `no_answer`; unreachable -> forward-no-answer, else
//!    voicemail `unavailable`.
//!
//! A user with no rule at all (no call handling set, follow-me off) is not planned: the call
//! goes back to the dialplan at once. A forward to another user of this PBX applies that
//! user's handling from step 1; to anything else it rings that number. A chain follows at most
//! [`MAX_HOPS`] forwards; a forward back to a user already in the chain is a loop. Either ends
//! in the first user's voicemail ([`Route::Stopped`], which the runner logs).
//!
//! Not here: ringing itself (`followme::machine`), reading settings (`followme::source`).

use chrono::{DateTime, Utc};

use crate::schedule::Zone;
use crate::store::{CallHandling, CallerIdMode, DEFAULT_RING_SECS, FollowMeSettings, ForwardKind};
use crate::voicemail::greeting_rule::Reason;

/// Forwards one call may follow.
pub const MAX_HOPS: usize = 3;
/// How long a forward to an external number rings before the call goes to voicemail.
pub const EXTERNAL_RING_SECS: u32 = 60;

/// A user's settings as the planner needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSettings {
    pub handling: Option<CallHandling>,
    pub followme: Option<FollowMeSettings>,
}

impl UserSettings {
    fn followme_enabled(&self) -> bool {
        self.followme.as_ref().is_some_and(|f| f.enabled)
    }

    /// Whether anything differs from the dialplan's own handling.
    pub fn has_rules(&self) -> bool {
        self.followme_enabled() || self.handling.as_ref().is_some_and(CallHandling::has_rules)
    }
}

/// What rings at one stage of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ringing {
    /// The user's follow-me steps.
    FollowMe(FollowMeSettings),
    /// The user's own device, for `ring_secs`.
    Device { extension: String, ring_secs: u32 },
    /// A number outside this PBX that `forwarded_by` forwards to.
    External {
        number: String,
        ring_secs: u32,
        forwarded_by: String,
        /// The forwarding user's follow-me caller-ID choice.
        caller_id: CallerIdMode,
    },
}

/// Why a chain of forwards was not followed further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStop {
    /// The forward leads back to a user already in the chain (the chain, in order, then the
    /// number it came back to).
    Loop(Vec<String>),
    /// [`MAX_HOPS`] forwards were followed already.
    TooManyHops(Vec<String>),
}

/// One stage and what follows each way it can end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// Whose handling this stage belongs to.
    pub user: String,
    pub ringing: Ringing,
    pub on_busy: Route,
    pub on_no_answer: Route,
    pub on_unavailable: Route,
}

impl Ring {
    /// What follows when the stage ended unanswered for `reason`.
    pub fn next(&self, reason: Reason) -> &Route {
        match reason {
            Reason::Busy => &self.on_busy,
            Reason::NoAnswer => &self.on_no_answer,
            Reason::Unavailable => &self.on_unavailable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Back to the dialplan's next priority (the user has no rules).
    Dialplan,
    Voicemail {
        mailbox: String,
        reason: Reason,
    },
    /// A forward chain that could not be followed: voicemail of `mailbox`, with a log line.
    Stopped {
        mailbox: String,
        reason: Reason,
        why: ChainStop,
    },
    Ring(Box<Ring>),
}

/// A setting that cannot be applied to this call; the caller then continues in the dialplan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("call handling of {extension}: unknown time zone {zone:?}")]
    TimeZone { extension: String, zone: String },
}

/// The call being planned.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The called extension.
    pub extension: &'a str,
    /// The caller's number as the inbound channel shows it.
    pub caller: &'a str,
    pub now: DateTime<Utc>,
}

/// Plans the call. `settings_of` answers for users of this PBX and `None` for anything else.
pub fn route(
    call: &Call<'_>,
    settings_of: &dyn Fn(&str) -> Option<UserSettings>,
) -> Result<Route, RouteError> {
    let Some(first) = settings_of(call.extension).filter(UserSettings::has_rules) else {
        return Ok(Route::Dialplan);
    };
    let planner = Planner {
        call,
        settings_of,
        first: call.extension,
    };
    planner.user(call.extension, &first, &[call.extension.to_owned()])
}

struct Planner<'a, 'b> {
    call: &'a Call<'b>,
    settings_of: &'a dyn Fn(&str) -> Option<UserSettings>,
    first: &'a str,
}

impl Planner<'_, '_> {
    /// `chain`: the users the call went through, ending with `ext`.
    fn user(&self, ext: &str, s: &UserSettings, chain: &[String]) -> Result<Route, RouteError> {
        let handling = s.handling.clone().unwrap_or_else(|| CallHandling::new(ext));
        let zone = Zone::parse(&handling.time_zone).map_err(|_| RouteError::TimeZone {
            extension: ext.to_owned(),
            zone: handling.time_zone.clone(),
        })?;
        let now = self.call.now;
        let dnd = handling.dnd && handling.dnd_rule.is_none_or(|r| r.applies(&zone, now));
        if dnd && !handling.dnd_allow.iter().any(|n| n == self.call.caller) {
            return Ok(Route::Voicemail {
                mailbox: ext.to_owned(),
                reason: Reason::Busy,
            });
        }
        let active = |kind: ForwardKind| {
            let f = handling.forward(kind);
            f.active(&zone, now).then(|| f.number.clone())
        };
        if let Some(number) = active(ForwardKind::Always) {
            return self.forward(ext, s, &number, Reason::Unavailable, chain);
        }
        let ringing = match &s.followme {
            Some(f) if f.enabled => Ringing::FollowMe(f.clone()),
            _ => Ringing::Device {
                extension: ext.to_owned(),
                ring_secs: handling.ring_secs.unwrap_or(DEFAULT_RING_SECS),
            },
        };
        let no_answer = active(ForwardKind::NoAnswer);
        let on = |forward: Option<String>, reason: Reason| match forward {
            Some(number) => self.forward(ext, s, &number, reason, chain),
            None => Ok(Route::Voicemail {
                mailbox: ext.to_owned(),
                reason,
            }),
        };
        Ok(Route::Ring(Box::new(Ring {
            user: ext.to_owned(),
            ringing,
            on_busy: on(active(ForwardKind::Busy), Reason::Busy)?,
            on_no_answer: on(no_answer.clone(), Reason::NoAnswer)?,
            on_unavailable: on(no_answer, Reason::Unavailable)?,
        })))
    }

    /// `from` forwards the call to `number`; `reason` is the voicemail reason should the
    /// chain stop here.
    fn forward(
        &self,
        from: &str,
        from_settings: &UserSettings,
        number: &str,
        reason: Reason,
        chain: &[String],
    ) -> Result<Route, RouteError> {
        let mut next_chain = chain.to_vec();
        next_chain.push(number.to_owned());
        let stopped = |why| Route::Stopped {
            mailbox: self.first.to_owned(),
            reason,
            why,
        };
        if chain.iter().any(|c| c == number) {
            return Ok(stopped(ChainStop::Loop(next_chain)));
        }
        // `chain` holds the first user plus one entry per forward followed so far.
        if chain.len() > MAX_HOPS {
            return Ok(stopped(ChainStop::TooManyHops(next_chain)));
        }
        match (self.settings_of)(number) {
            Some(target) => self.user(number, &target, &next_chain),
            None => {
                let caller_id = from_settings
                    .followme
                    .as_ref()
                    .map(|f| f.caller_id)
                    .unwrap_or_default();
                let voicemail = |reason| Route::Voicemail {
                    mailbox: from.to_owned(),
                    reason,
                };
                Ok(Route::Ring(Box::new(Ring {
                    user: from.to_owned(),
                    ringing: Ringing::External {
                        number: number.to_owned(),
                        ring_secs: EXTERNAL_RING_SECS,
                        forwarded_by: from.to_owned(),
                        caller_id,
                    },
                    on_busy: voicemail(Reason::Busy),
                    on_no_answer: voicemail(Reason::NoAnswer),
                    on_unavailable: voicemail(Reason::Unavailable),
                })))
            }
        }
    }
}

#[cfg(test)]
mod tests;
