//! What `SIGHUP` does: reads the config file again and says which sections changed. No
//! running service re-reads its settings, so every change needs a restart; saying so
//! clearly (and naming the sections) beats silently running on old settings.
//!
//! Not here: the signal handling itself (the `serve` command).

use crate::config::Config;

/// The config sections whose values differ, by their TOML names (`data_dir` for the
/// top-level key).
pub fn changed_sections(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("data_dir", old.data_dir != new.data_dir);
    check("ari", old.ari != new.ari);
    check("database", old.database != new.database);
    check("agi", old.agi != new.agi);
    check("portal", old.portal != new.portal);
    check("dial", old.dial != new.dial);
    check("voicemail", old.voicemail != new.voicemail);
    check("ami", old.ami != new.ami);
    check("fax", old.fax != new.fax);
    check("wakeup", old.wakeup != new.wakeup);
    check("metrics", old.metrics != new.metrics);
    check("log", old.log != new.log);
    if changed.is_empty() && old != new {
        changed.push("other settings");
    }
    changed
}

/// Reads the settings again (`load`) and logs what a restart would change.
pub fn on_hangup(
    running: &Config,
    load: impl FnOnce() -> Result<Config, crate::config::ConfigError>,
) {
    match load() {
        Err(err) => tracing::error!(
            %err,
            "SIGHUP: the configuration is not valid; the daemon keeps running with its current settings"
        ),
        Ok(new) => {
            let changed = changed_sections(running, &new);
            if changed.is_empty() {
                tracing::info!("SIGHUP: configuration unchanged; nothing to reload");
            } else {
                tracing::warn!(
                    changed = %changed.join(", "),
                    "SIGHUP: configuration changed; nothing is reloaded while running: restart the daemon (systemctl restart ringside) to apply it"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_settings_change_no_section() {
        assert!(changed_sections(&Config::default(), &Config::default()).is_empty());
    }

    #[test]
    fn each_changed_section_is_named() {
        let old = Config::default();
        let mut new = old.clone();
        new.portal.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 9999));
        new.fax.retries = 7;
        assert_eq!(changed_sections(&old, &new), vec!["portal", "fax"]);
    }
}
