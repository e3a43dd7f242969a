//! `ringside check`'s checklist, pure: the model of one checked item (passed, failed with the
//! fix, skipped with why), how the list is printed and what makes it pass, and the rules the
//! probes apply: which dialplan contexts Ringside needs, whether an `AGI(agi://…)` reaches
//! `[agi] listen`, which Asterisk versions Ringside supports, where Asterisk's incoming faxes
//! are.
//!
//! Not here: touching anything (the probes in [`probe`] open the database, call ARI and AMI,
//! look at directories and ports). Nothing here repairs: every failure names its fix for the
//! operator to apply.

pub mod probe;

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::config::{Config, RestTransport};

/// How one item came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// What was found, e.g. the Asterisk version.
    Pass(String),
    Fail {
        problem: String,
        fix: String,
    },
    /// Not checked, and why (e.g. no manager login configured); not a failure.
    Skip(String),
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: &'static str,
    pub status: Status,
}

impl Item {
    pub fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Pass(detail.into()),
        }
    }

    pub fn fail(name: &'static str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail {
                problem: problem.into(),
                fix: fix.into(),
            },
        }
    }

    pub fn skip(name: &'static str, why: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Skip(why.into()),
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail { .. })
    }
}

/// The whole checklist, in the order it was checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub items: Vec<Item>,
}

impl Report {
    pub fn push(&mut self, item: Item) {
        self.items.push(item);
    }

    /// Skips are not failures: a setup without a manager login can still be complete.
    pub fn passed(&self) -> bool {
        !self.items.iter().any(Item::failed)
    }

    /// One line per item (`ok`, `FAIL`, `skip`), each failure followed by its fix, and a
    /// closing count.
    pub fn render(&self) -> String {
        let width = self.items.iter().map(|i| i.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for item in &self.items {
            let (mark, text) = match &item.status {
                Status::Pass(detail) => ("ok  ", detail.clone()),
                Status::Fail { problem, .. } => ("FAIL", problem.clone()),
                Status::Skip(why) => ("skip", why.clone()),
            };
            let _ = writeln!(out, "[{mark}] {:width$}  {text}", item.name);
            if let Status::Fail { fix, .. } = &item.status {
                let _ = writeln!(out, "       {:width$}  fix: {fix}", "");
            }
        }
        let count = |f: fn(&Status) -> bool| self.items.iter().filter(|i| f(&i.status)).count();
        let failed = count(|s| matches!(s, Status::Fail { .. }));
        let skipped = count(|s| matches!(s, Status::Skip(_)));
        let passed = count(|s| matches!(s, Status::Pass(_)));
        let _ = writeln!(
            out,
            "{passed} passed, {failed} failed, {skipped} skipped{}",
            if failed == 0 {
                ""
            } else {
                ": fix the failures above and run `ringside check` again"
            }
        );
        out
    }
}

/// A dialplan context Ringside sends calls to or expects calls from, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredContext {
    pub name: String,
    pub why: &'static str,
}

/// The contexts of `dialplan/extensions_ringside.conf` that Ringside's flows use, plus any
/// context the dial strings name (`Local/{number}@ringside-outbound` by default).
pub fn required_contexts(config: &Config) -> Vec<RequiredContext> {
    let mut contexts: Vec<RequiredContext> = [
        (
            "ringside-inbound",
            "calls to users enter Ringside's Stasis app here",
        ),
        (
            "ringside-features",
            "feature codes (*76, *72…) dialled from phones",
        ),
        (
            "ringside-feature-apply",
            "runs the FastAGI `feature` script",
        ),
        (
            crate::flows::followme::VOICEMAIL_CONTEXT,
            "unanswered calls go to voicemail with the greeting Ringside picks",
        ),
        (
            crate::flows::fax::ari_line::FAX_OUT_CONTEXT,
            "outgoing faxes are sent from here",
        ),
        (
            "ringside-fax-in",
            "received faxes are reported to Ringside from here",
        ),
    ]
    .into_iter()
    .map(|(name, why)| RequiredContext {
        name: name.to_owned(),
        why,
    })
    .collect();
    for template in [&config.dial.extension, &config.dial.external] {
        if let Some(context) = local_context(template) {
            if !contexts.iter().any(|c| c.name == context) {
                contexts.push(RequiredContext {
                    name: context.to_owned(),
                    why: "a [dial] string dials through it",
                });
            }
        }
    }
    contexts
}

/// The context of a `Local/…@context` dial string (options after `/` dropped).
fn local_context(template: &str) -> Option<&str> {
    let rest = template.strip_prefix("Local/")?;
    let (_, context) = rest.split_once('@')?;
    let context = context.split('/').next().unwrap_or_default();
    (!context.is_empty() && !context.contains('{')).then_some(context)
}

/// Where an `AGI()` application's argument sends the session: host and port of an
/// `agi://host[:port]/script,args` URL (4573 when no port is given); `None` for a local
/// AGI script or a `hagi://` (high-availability) list.
pub fn agi_target(app_data: &str) -> Option<(String, u16)> {
    let url = app_data.trim().strip_prefix("agi://")?;
    let authority = url.split(['/', ',']).next().unwrap_or_default();
    if authority.is_empty() {
        return None;
    }
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']')?;
        let port = match rest.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => 4573,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((authority.to_owned(), 4573)),
    }
}

/// Whether a session sent to `host:port` reaches a FastAGI server listening on `listen`.
/// A host name is taken at its word (only the port is compared): it is resolved on the
/// Asterisk host, not here.
pub fn agi_reaches(listen: SocketAddr, host: &str, port: u16) -> bool {
    if port != listen.port() {
        return false;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => listen.ip().is_unspecified() || ip == listen.ip(),
        Err(_) => true,
    }
}

/// What an Asterisk version means for Ringside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionVerdict {
    Supported,
    /// Asterisk older than 22: the ARI and dialplan Ringside uses are Asterisk 22's.
    TooOld,
    /// `[ari] rest_transport = "websocket"` needs 20.14, 21.9, 22.4 or later.
    NoRestOverWebSocket,
    /// Not a release number (a build from git): nothing can be told.
    Unknown,
}

pub fn judge_version(version: &str, transport: RestTransport) -> VersionVerdict {
    let major = version
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        None => VersionVerdict::Unknown,
        Some(m) if m < 22 => VersionVerdict::TooOld,
        Some(_)
            if transport == RestTransport::Websocket
                && !crate::ari::rest_ws::version_supports_rest_over_ws(version) =>
        {
            VersionVerdict::NoRestOverWebSocket
        }
        Some(_) => VersionVerdict::Supported,
    }
}

/// Asterisk's incoming fax directory: `fax/incoming` in Asterisk's spool, the parent of the
/// voicemail spool (`/var/spool/asterisk/voicemail` → `/var/spool/asterisk/fax/incoming`),
/// where `ringside-fax-in` has `ReceiveFAX` write.
pub fn fax_incoming_dir(voicemail_spool: &Path) -> PathBuf {
    voicemail_spool
        .parent()
        .unwrap_or(Path::new("/var/spool/asterisk"))
        .join("fax")
        .join("incoming")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(items: Vec<Item>) -> Report {
        Report { items }
    }

    #[test]
    fn a_report_with_skips_but_no_failure_passes() {
        let r = report(vec![Item::pass("a", "fine"), Item::skip("b", "no AMI")]);
        assert!(r.passed());
    }

    #[test]
    fn one_failure_fails_the_report() {
        let r = report(vec![
            Item::pass("a", "fine"),
            Item::fail("b", "broken", "mend"),
        ]);
        assert!(!r.passed());
    }

    #[test]
    fn a_failure_is_printed_with_its_fix_under_it() {
        let text = report(vec![Item::fail("spool", "not writable", "chown it")]).render();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("[FAIL] spool"), "{text}");
        assert!(lines[0].ends_with("not writable"), "{text}");
        assert!(lines[1].trim_start().starts_with("fix: chown it"), "{text}");
    }

    #[test]
    fn the_closing_line_counts_each_outcome() {
        let text = report(vec![
            Item::pass("a", "x"),
            Item::skip("b", "y"),
            Item::fail("c", "z", "w"),
        ])
        .render();
        assert!(
            text.lines()
                .last()
                .is_some_and(|l| l.starts_with("1 passed, 1 failed, 1 skipped")),
            "{text}"
        );
    }

    #[test]
    fn every_context_of_the_shipped_dialplan_is_checked_or_optional() {
        // `ringside-record` is a subroutine an operator calls only to record calls.
        const OPTIONAL: &[&str] = &["ringside-record"];
        let shipped = include_str!("../../../dialplan/extensions_ringside.conf");
        let in_file: std::collections::BTreeSet<String> = shipped
            .lines()
            .filter_map(|l| l.trim().strip_prefix('[')?.split_once(']'))
            .map(|(name, _)| name.to_owned())
            .filter(|name| !OPTIONAL.contains(&name.as_str()))
            .collect();
        let checked: std::collections::BTreeSet<String> = required_contexts(&Config::default())
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(checked, in_file);
    }

    #[test]
    fn the_default_dial_strings_add_the_outbound_context() {
        let names: Vec<String> = required_contexts(&Config::default())
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(names.contains(&"ringside-outbound".to_owned()), "{names:?}");
        assert!(
            names.contains(&"ringside-voicemail".to_owned()),
            "{names:?}"
        );
    }

    #[test]
    fn a_dial_string_without_a_local_channel_adds_no_context() {
        let mut config = Config::default();
        config.dial.external = "PJSIP/{number}@trunk".into();
        let names: Vec<String> = required_contexts(&config)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(
            !names.contains(&"ringside-outbound".to_owned()),
            "{names:?}"
        );
    }

    #[test]
    fn an_agi_url_gives_its_host_and_port() {
        assert_eq!(
            agi_target("agi://127.0.0.1:4573/greeting,${EXTEN},${RINGSIDE_REASON}"),
            Some(("127.0.0.1".into(), 4573))
        );
    }

    #[test]
    fn an_agi_url_without_a_port_uses_fastagis_port() {
        assert_eq!(
            agi_target("agi://pbx-helper/feature,1"),
            Some(("pbx-helper".into(), 4573))
        );
    }

    #[test]
    fn a_local_agi_script_has_no_target() {
        assert_eq!(agi_target("my-script.agi,1"), None);
    }

    #[test]
    fn an_ipv6_agi_url_gives_its_host_and_port() {
        assert_eq!(agi_target("agi://[::1]:4600/x"), Some(("::1".into(), 4600)));
    }

    #[test]
    fn a_listener_on_every_address_is_reached_through_loopback() {
        assert!(agi_reaches(
            "0.0.0.0:4573".parse().expect("address"),
            "127.0.0.1",
            4573
        ));
    }

    #[test]
    fn another_port_does_not_reach_the_listener() {
        assert!(!agi_reaches(
            "127.0.0.1:4574".parse().expect("address"),
            "127.0.0.1",
            4573
        ));
    }

    #[test]
    fn another_address_does_not_reach_a_loopback_listener() {
        assert!(!agi_reaches(
            "127.0.0.1:4573".parse().expect("address"),
            "10.0.0.5",
            4573
        ));
    }

    #[test]
    fn asterisk_22_is_supported() {
        assert_eq!(
            judge_version("22.11.0", RestTransport::Auto),
            VersionVerdict::Supported
        );
    }

    #[test]
    fn asterisk_20_is_too_old() {
        assert_eq!(
            judge_version("20.14.0", RestTransport::Auto),
            VersionVerdict::TooOld
        );
    }

    #[test]
    fn rest_over_the_websocket_needs_22_4() {
        assert_eq!(
            judge_version("22.3.0", RestTransport::Websocket),
            VersionVerdict::NoRestOverWebSocket
        );
    }

    #[test]
    fn a_git_build_cannot_be_judged() {
        assert_eq!(
            judge_version("GIT-master-abc", RestTransport::Auto),
            VersionVerdict::Unknown
        );
    }

    #[test]
    fn the_fax_incoming_dir_is_in_asterisks_spool() {
        assert_eq!(
            fax_incoming_dir(Path::new("/var/spool/asterisk/voicemail")),
            PathBuf::from("/var/spool/asterisk/fax/incoming")
        );
    }
}
