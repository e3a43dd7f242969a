//! What to do with a REST request whose answer was lost with the event WebSocket it travelled
//! on. Asterisk may or may not have carried it out, so the request is repeated over HTTP only
//! where doing it twice cannot do harm, and a refusal of the repeat that says "already so"
//! counts as the first attempt's success. Pure: no I/O.

/// How a request may be repeated after its answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeat {
    /// Doing it twice is doing it once: reads, setting a variable.
    AsIs,
    /// An action on a channel, bridge or playback that exists: a repeat refused with 404, 409
    /// or 412 (gone, already done, no longer in Stasis) means the lost attempt took effect.
    DoneIfRefused,
    /// Creates a resource under the id it names: a repeat refused with 409 means it exists,
    /// and its description is read from this path.
    ReadBackOnConflict(String),
    /// Doing it twice does it twice (an originate without an id rings a phone again).
    Never,
}

/// Classifies `method path` (the path below `/ari`, `query` its parameters).
pub fn repeat_after_lost_answer(method: &str, path: &str, query: &[(&str, String)]) -> Repeat {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", _) => Repeat::AsIs,
        ("DELETE", _) => Repeat::DoneIfRefused,
        ("POST", ["channels", "create"]) => query
            .iter()
            .find(|(k, _)| *k == "channelId")
            .map_or(Repeat::Never, |(_, id)| {
                Repeat::ReadBackOnConflict(format!("/channels/{id}"))
            }),
        ("POST", ["channels"]) => Repeat::Never,
        ("POST", ["channels", _]) | ("POST", ["bridges", _]) => {
            Repeat::ReadBackOnConflict(path.to_owned())
        }
        ("POST", ["channels", _, "variable"]) => Repeat::AsIs,
        ("POST", ["channels", _, "play", playback]) => {
            Repeat::ReadBackOnConflict(format!("/playbacks/{playback}"))
        }
        // Without an id a repeated play would play twice, a repeated snoop spy twice.
        ("POST", ["channels", _, "play" | "snoop" | "externalMedia" | "record"]) => Repeat::Never,
        ("POST", ["channels", _, _]) | ("POST", ["bridges", _, _]) => Repeat::DoneIfRefused,
        _ => Repeat::Never,
    }
}

/// Whether a repeat refused with `status` means the lost attempt took effect.
pub fn refusal_means_done(repeat: &Repeat, status: u16) -> bool {
    match repeat {
        Repeat::DoneIfRefused => matches!(status, 404 | 409 | 412),
        Repeat::ReadBackOnConflict(_) => status == 409,
        Repeat::AsIs | Repeat::Never => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(method: &str, path: &str) -> Repeat {
        repeat_after_lost_answer(method, path, &[])
    }

    #[test]
    fn reads_and_setting_a_variable_are_repeated_as_they_are() {
        assert_eq!(classify("GET", "/channels/c1"), Repeat::AsIs);
        assert_eq!(classify("GET", "/asterisk/ping"), Repeat::AsIs);
        assert_eq!(classify("POST", "/channels/c1/variable"), Repeat::AsIs);
    }

    #[test]
    fn actions_on_named_channels_and_bridges_count_a_refusal_as_done() {
        for (method, path) in [
            ("POST", "/channels/c1/dial"),
            ("POST", "/channels/c1/continue"),
            ("POST", "/channels/c1/answer"),
            ("POST", "/bridges/b1/addChannel"),
            ("DELETE", "/channels/c1"),
            ("DELETE", "/bridges/b1"),
        ] {
            assert_eq!(
                classify(method, path),
                Repeat::DoneIfRefused,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn creating_under_a_named_id_reads_the_resource_back_on_conflict() {
        let query = [("channelId", "leg-1".to_owned())];
        assert_eq!(
            repeat_after_lost_answer("POST", "/channels/create", &query),
            Repeat::ReadBackOnConflict("/channels/leg-1".into())
        );
        assert_eq!(
            classify("POST", "/channels/leg-1"),
            Repeat::ReadBackOnConflict("/channels/leg-1".into())
        );
        assert_eq!(
            classify("POST", "/bridges/b1"),
            Repeat::ReadBackOnConflict("/bridges/b1".into())
        );
        assert_eq!(
            classify("POST", "/channels/c1/play/p1"),
            Repeat::ReadBackOnConflict("/playbacks/p1".into())
        );
    }

    #[test]
    fn what_would_happen_twice_is_never_repeated() {
        assert_eq!(classify("POST", "/channels"), Repeat::Never);
        assert_eq!(classify("POST", "/channels/create"), Repeat::Never);
        assert_eq!(classify("POST", "/channels/c1/play"), Repeat::Never);
        assert_eq!(classify("POST", "/channels/c1/snoop"), Repeat::Never);
    }

    #[test]
    fn only_refusals_that_say_already_so_mean_done() {
        assert!(refusal_means_done(&Repeat::DoneIfRefused, 409));
        assert!(refusal_means_done(&Repeat::DoneIfRefused, 404));
        assert!(!refusal_means_done(&Repeat::DoneIfRefused, 400));
        assert!(!refusal_means_done(&Repeat::DoneIfRefused, 500));
        let create = Repeat::ReadBackOnConflict("/channels/x".into());
        assert!(refusal_means_done(&create, 409));
        assert!(!refusal_means_done(&create, 404));
        assert!(!refusal_means_done(&Repeat::AsIs, 409));
    }
}
