//! Settings: a TOML file (optional) overlaid by `RINGSIDE_*` environment variables.
//!
//! Every key has a default that works on a fresh machine with no Asterisk yet: SQLite in the
//! data dir, ARI on the local Asterisk, FastAGI and the portal on loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}={value:?} is not valid: {reason}")]
    Env {
        var: &'static str,
        value: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database, uploaded prompts and faxes live.
    pub data_dir: PathBuf,
    pub ari: AriConfig,
    pub database: DatabaseConfig,
    pub agi: AgiConfig,
    pub portal: PortalConfig,
    pub dial: DialConfig,
    pub voicemail: VoicemailConfig,
    pub ami: AmiConfig,
    pub fax: FaxConfig,
    pub wakeup: WakeupConfig,
    pub features: FeaturesConfig,
    pub calls: CallsConfig,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
}

/// Feature codes dialled from phones (`[features]`); the dialplan context `ringside-features`
/// must route the same codes to the `feature` FastAGI script. An empty code is off.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct FeaturesConfig {
    pub dnd_toggle: String,
    pub dnd_on: String,
    pub dnd_off: String,
    /// Followed by the number to forward to.
    pub forward_always_on: String,
    pub forward_always_off: String,
    /// Followed by the number to forward to.
    pub forward_busy_on: String,
    pub forward_busy_off: String,
    /// Followed by the number to forward to.
    pub forward_no_answer_on: String,
    pub forward_no_answer_off: String,
    pub followme_toggle: String,
}

impl Default for FeaturesConfig {
    fn default() -> Self {
        Self {
            dnd_toggle: "*76".into(),
            dnd_on: "*78".into(),
            dnd_off: "*79".into(),
            forward_always_on: "*72".into(),
            forward_always_off: "*73".into(),
            forward_busy_on: "*90".into(),
            forward_busy_off: "*91".into(),
            forward_no_answer_on: "*52".into(),
            forward_no_answer_off: "*53".into(),
            followme_toggle: "*21".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AriConfig {
    pub url: String,
    pub username: String,
    pub password: String,
    pub app: String,
    /// How REST calls reach Asterisk: `auto` (the event WebSocket when Asterisk is 20.14,
    /// 21.9, 22.4 or later, else HTTP), `http` or `websocket`.
    pub rest_transport: RestTransport,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; empty means `ringside.db` in the data dir.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AgiConfig {
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    pub listen: SocketAddr,
    /// Mark session cookies `Secure`; leave off when the portal is served over plain HTTP.
    pub secure_cookies: bool,
    /// A request's headers must arrive within this many seconds (also between requests on a
    /// kept-alive connection).
    pub header_read_timeout_secs: u64,
    /// A connection on which nothing is sent or received for this long is closed.
    pub idle_timeout_secs: u64,
    /// Wakeup calls one user may have.
    pub wakeups_per_user: usize,
    /// Follow-me steps one user may set up.
    pub followme_max_steps: usize,
    /// Numbers rung at once in one follow-me step.
    pub followme_max_numbers_per_step: usize,
    /// Longest follow-me in total: the initial ring plus every step's ring time, in seconds.
    pub followme_max_ring_secs: u32,
    /// The IANA zone of users who chose none of their own; empty for this machine's zone.
    pub default_time_zone: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DialConfig {
    /// Dial string for the user's own devices; `{ext}` is replaced by the extension.
    pub extension: String,
    /// Dial string for external numbers; `{number}` is replaced by the number.
    pub external: String,
}

/// The manager interface (AMI) login Ringside uses for voicemail message actions. With no
/// secret the link is off: listing and playing messages still work, changing them does not.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AmiConfig {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub secret: String,
}

impl AmiConfig {
    /// Whether a secret is set: Asterisk has no manager user without one.
    pub fn is_configured(&self) -> bool {
        !self.secret.is_empty()
    }
}

impl Default for AmiConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 5038,
            username: "ringside".into(),
            secret: String::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VoicemailConfig {
    pub spool_dir: PathBuf,
    pub context: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaxConfig {
    pub retries: u32,
    pub retry_delay_secs: u64,
}

/// Call history: CDRs from the manager's `Cdr` events, caught up from `cdr_csv`'s file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CallsConfig {
    /// Calls older than this many days are deleted (checked daily).
    pub keep_days: u32,
    /// `cdr_csv`'s master file, read after any gap in the manager's events; empty for none.
    pub master_csv: PathBuf,
    /// The IANA zone Asterisk writes CDR times in (its local time); empty for this
    /// machine's zone.
    pub cdr_time_zone: String,
    /// Where MixMonitor writes recordings; a CDR's recording is a path inside it.
    pub recordings_dir: PathBuf,
}

impl Default for CallsConfig {
    fn default() -> Self {
        Self {
            keep_days: 365,
            master_csv: PathBuf::from("/var/log/asterisk/cdr-csv/Master.csv"),
            cdr_time_zone: String::new(),
            recordings_dir: PathBuf::from("/var/spool/asterisk/monitor"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WakeupConfig {
    /// A wakeup missed while the daemon was down still fires if it is at most this late.
    pub grace_secs: u64,
    /// Asterisk's sounds directory: users' own prompts go to its `ringside/users` folder,
    /// where Asterisk plays them from.
    pub sounds_dir: PathBuf,
}

/// Prometheus metrics, `/healthz` and `/readyz` on a listener of their own; off unless set.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// How log lines are written: for a person (`text`) or for a log shipper (`json`, one object
/// per line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown log format {other:?} (expected text or json)"
            )),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            ari: AriConfig::default(),
            database: DatabaseConfig::default(),
            agi: AgiConfig::default(),
            portal: PortalConfig::default(),
            dial: DialConfig::default(),
            voicemail: VoicemailConfig::default(),
            ami: AmiConfig::default(),
            fax: FaxConfig::default(),
            wakeup: WakeupConfig::default(),
            features: FeaturesConfig::default(),
            calls: CallsConfig::default(),
            metrics: MetricsConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for AriConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8088/ari".into(),
            username: "ringside".into(),
            password: String::new(),
            app: "ringside".into(),
            rest_transport: RestTransport::Auto,
        }
    }
}

impl Default for AgiConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4573)),
        }
    }
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
            header_read_timeout_secs: 15,
            idle_timeout_secs: 60,
            wakeups_per_user: 20,
            followme_max_steps: 10,
            followme_max_numbers_per_step: 10,
            followme_max_ring_secs: 600,
            default_time_zone: String::new(),
        }
    }
}

impl Default for DialConfig {
    fn default() -> Self {
        Self {
            extension: "PJSIP/{ext}".into(),
            external: "Local/{number}@ringside-outbound".into(),
        }
    }
}

impl Default for VoicemailConfig {
    fn default() -> Self {
        Self {
            spool_dir: PathBuf::from("/var/spool/asterisk/voicemail"),
            context: "default".into(),
        }
    }
}

impl Default for FaxConfig {
    fn default() -> Self {
        Self {
            retries: 3,
            retry_delay_secs: 300,
        }
    }
}

impl Default for WakeupConfig {
    fn default() -> Self {
        Self {
            grace_secs: 600,
            sounds_dir: PathBuf::from("/var/lib/asterisk/sounds"),
        }
    }
}

/// `$XDG_DATA_HOME/ringside`, else `~/.local/share/ringside`, else `./ringside-data`.
fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("ringside");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/ringside");
    }
    PathBuf::from("ringside-data")
}

impl Config {
    /// Loads the file (if given) and then applies `RINGSIDE_*` variables from the process
    /// environment, which win over the file.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Overlays variables looked up through `get` (injectable so tests need no process env).
    pub fn apply_env(
        &mut self,
        get: impl Fn(&'static str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(var: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env {
                var,
                reason: e.to_string(),
                value,
            })
        }
        macro_rules! string {
            ($var:literal, $field:expr) => {
                if let Some(v) = get($var) {
                    $field = v;
                }
            };
        }
        macro_rules! parse {
            ($var:literal, $field:expr) => {
                if let Some(v) = get($var) {
                    $field = parsed($var, v)?;
                }
            };
        }
        if let Some(v) = get("RINGSIDE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        string!("RINGSIDE_ARI_URL", self.ari.url);
        string!("RINGSIDE_ARI_USERNAME", self.ari.username);
        string!("RINGSIDE_ARI_PASSWORD", self.ari.password);
        string!("RINGSIDE_ARI_APP", self.ari.app);
        parse!("RINGSIDE_ARI_REST_TRANSPORT", self.ari.rest_transport);
        string!("RINGSIDE_DATABASE_URL", self.database.url);
        parse!("RINGSIDE_AGI_LISTEN", self.agi.listen);
        parse!("RINGSIDE_PORTAL_LISTEN", self.portal.listen);
        parse!("RINGSIDE_PORTAL_SECURE_COOKIES", self.portal.secure_cookies);
        parse!(
            "RINGSIDE_PORTAL_HEADER_READ_TIMEOUT_SECS",
            self.portal.header_read_timeout_secs
        );
        parse!(
            "RINGSIDE_PORTAL_IDLE_TIMEOUT_SECS",
            self.portal.idle_timeout_secs
        );
        parse!(
            "RINGSIDE_PORTAL_WAKEUPS_PER_USER",
            self.portal.wakeups_per_user
        );
        parse!(
            "RINGSIDE_PORTAL_FOLLOWME_MAX_STEPS",
            self.portal.followme_max_steps
        );
        parse!(
            "RINGSIDE_PORTAL_FOLLOWME_MAX_NUMBERS_PER_STEP",
            self.portal.followme_max_numbers_per_step
        );
        parse!(
            "RINGSIDE_PORTAL_FOLLOWME_MAX_RING_SECS",
            self.portal.followme_max_ring_secs
        );
        string!(
            "RINGSIDE_PORTAL_DEFAULT_TIME_ZONE",
            self.portal.default_time_zone
        );
        string!("RINGSIDE_DIAL_EXTENSION", self.dial.extension);
        string!("RINGSIDE_DIAL_EXTERNAL", self.dial.external);
        if let Some(v) = get("RINGSIDE_VOICEMAIL_SPOOL_DIR") {
            self.voicemail.spool_dir = PathBuf::from(v);
        }
        string!("RINGSIDE_VOICEMAIL_CONTEXT", self.voicemail.context);
        string!("RINGSIDE_AMI_HOST", self.ami.host);
        parse!("RINGSIDE_AMI_PORT", self.ami.port);
        string!("RINGSIDE_AMI_USERNAME", self.ami.username);
        string!("RINGSIDE_AMI_SECRET", self.ami.secret);
        parse!("RINGSIDE_FAX_RETRIES", self.fax.retries);
        parse!("RINGSIDE_FAX_RETRY_DELAY_SECS", self.fax.retry_delay_secs);
        parse!("RINGSIDE_WAKEUP_GRACE_SECS", self.wakeup.grace_secs);
        if let Some(v) = get("RINGSIDE_WAKEUP_SOUNDS_DIR") {
            self.wakeup.sounds_dir = PathBuf::from(v);
        }
        parse!("RINGSIDE_CALLS_KEEP_DAYS", self.calls.keep_days);
        if let Some(v) = get("RINGSIDE_CALLS_MASTER_CSV") {
            self.calls.master_csv = PathBuf::from(v);
        }
        string!("RINGSIDE_CALLS_CDR_TIME_ZONE", self.calls.cdr_time_zone);
        if let Some(v) = get("RINGSIDE_CALLS_RECORDINGS_DIR") {
            self.calls.recordings_dir = PathBuf::from(v);
        }
        if let Some(v) = get("RINGSIDE_METRICS_LISTEN") {
            self.metrics.listen = if v.trim().is_empty() {
                None
            } else {
                Some(parsed("RINGSIDE_METRICS_LISTEN", v)?)
            };
        }
        parse!("RINGSIDE_LOG_FORMAT", self.log.format);
        Ok(())
    }

    /// The database URL in force: the configured one, or SQLite in the data dir.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ringside.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }
}

/// Which transport REST calls use (`[ari] rest_transport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestTransport {
    /// The WebSocket when Asterisk's version supports it, else HTTP.
    #[default]
    Auto,
    /// Always HTTP.
    Http,
    /// Always the WebSocket (while it is up; HTTP otherwise).
    Websocket,
}

impl FromStr for RestTransport {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "http" => Ok(Self::Http),
            "websocket" | "ws" => Ok(Self::Websocket),
            other => Err(format!(
                "unknown REST transport {other:?} (expected auto, http or websocket)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;

    fn env(pairs: &[(&'static str, &str)]) -> impl Fn(&'static str) -> Option<String> {
        let map: HashMap<&'static str, String> =
            pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_match_the_documented_operator_surface() {
        let c = Config::default();
        assert_eq!(c.ari.url, "http://127.0.0.1:8088/ari");
        assert_eq!(c.ari.app, "ringside");
        assert_eq!(c.agi.listen.to_string(), "127.0.0.1:4573");
        assert_eq!(c.portal.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.dial.extension, "PJSIP/{ext}");
        assert_eq!(c.dial.external, "Local/{number}@ringside-outbound");
        assert_eq!(
            c.voicemail.spool_dir,
            Path::new("/var/spool/asterisk/voicemail")
        );
        assert_eq!(c.voicemail.context, "default");
        assert_eq!((c.fax.retries, c.fax.retry_delay_secs), (3, 300));
    }

    #[test]
    fn empty_database_url_means_sqlite_in_the_data_dir() {
        let c = Config {
            data_dir: PathBuf::from("/srv/rs"),
            ..Config::default()
        };
        assert_eq!(c.database_url(), "sqlite:///srv/rs/ringside.db?mode=rwc");
    }

    #[test]
    fn toml_sections_set_their_keys() {
        let c = Config::from_toml(
            "data_dir = \"/d\"\n[ari]\nurl = \"http://pbx:8088/ari\"\napp = \"x\"\n[dial]\nexternal = \"Local/{number}@trunk\"\n[fax]\nretries = 5\n",
        )
        .expect("valid toml");
        assert_eq!(c.data_dir, Path::new("/d"));
        assert_eq!(c.ari.url, "http://pbx:8088/ari");
        assert_eq!(c.ari.app, "x");
        assert_eq!(c.ari.username, "ringside");
        assert_eq!(c.dial.external, "Local/{number}@trunk");
        assert_eq!(c.fax.retries, 5);
    }

    #[test]
    fn unknown_toml_key_is_rejected_by_name() {
        let err = Config::from_toml("[ari]\nurll = \"x\"\n").expect_err("typo must fail");
        assert!(err.contains("urll"), "{err}");
    }

    #[test]
    fn environment_wins_over_the_file() {
        let mut c = Config::from_toml("[ari]\nurl = \"http://file/ari\"\n").expect("valid");
        c.apply_env(env(&[
            ("RINGSIDE_ARI_URL", "http://env/ari"),
            ("RINGSIDE_AGI_LISTEN", "0.0.0.0:4600"),
            ("RINGSIDE_FAX_RETRY_DELAY_SECS", "60"),
        ]))
        .expect("valid env");
        assert_eq!(c.ari.url, "http://env/ari");
        assert_eq!(c.agi.listen.to_string(), "0.0.0.0:4600");
        assert_eq!(c.fax.retry_delay_secs, 60);
    }

    #[test]
    fn rest_transport_comes_from_the_file_or_the_environment() {
        let mut c = Config::from_toml("[ari]\nrest_transport = \"http\"\n").expect("valid");
        assert_eq!(c.ari.rest_transport, RestTransport::Http);
        c.apply_env(env(&[("RINGSIDE_ARI_REST_TRANSPORT", "websocket")]))
            .expect("valid env");
        assert_eq!(c.ari.rest_transport, RestTransport::Websocket);
        assert_eq!(Config::default().ari.rest_transport, RestTransport::Auto);
    }

    #[test]
    fn metrics_listener_is_off_unless_set_in_the_file_or_the_environment() {
        assert_eq!(Config::default().metrics.listen, None);
        let mut c = Config::from_toml("[metrics]\nlisten = \"127.0.0.1:9464\"\n").expect("valid");
        assert_eq!(c.metrics.listen.map(|a| a.port()), Some(9464));
        c.apply_env(env(&[("RINGSIDE_METRICS_LISTEN", "0.0.0.0:9100")]))
            .expect("valid env");
        assert_eq!(c.metrics.listen.map(|a| a.port()), Some(9100));
        c.apply_env(env(&[("RINGSIDE_METRICS_LISTEN", "")]))
            .expect("valid env");
        assert_eq!(c.metrics.listen, None);
    }

    #[test]
    fn bad_metrics_listen_address_is_an_error_naming_the_variable() {
        let mut c = Config::default();
        let err = c
            .apply_env(env(&[("RINGSIDE_METRICS_LISTEN", "nowhere")]))
            .expect_err("invalid address");
        assert!(err.to_string().contains("RINGSIDE_METRICS_LISTEN"), "{err}");
    }

    #[test]
    fn log_format_is_text_unless_json_is_asked_for() {
        assert_eq!(Config::default().log.format, LogFormat::Text);
        let mut c = Config::from_toml("[log]\nformat = \"json\"\n").expect("valid");
        assert_eq!(c.log.format, LogFormat::Json);
        c.apply_env(env(&[("RINGSIDE_LOG_FORMAT", "text")]))
            .expect("valid env");
        assert_eq!(c.log.format, LogFormat::Text);
        assert!(Config::from_toml("[log]\nformat = \"xml\"\n").is_err());
    }

    #[test]
    fn ami_defaults_to_the_local_manager_and_is_off_without_a_secret() {
        let c = Config::default();
        assert_eq!((c.ami.host.as_str(), c.ami.port), ("127.0.0.1", 5038));
        assert_eq!(c.ami.username, "ringside");
        assert!(!c.ami.is_configured());
    }

    #[test]
    fn ami_settings_come_from_the_file_or_the_environment() {
        let mut c = Config::from_toml("[ami]\nhost = \"pbx\"\nsecret = \"s\"\n").expect("valid");
        assert!(c.ami.is_configured());
        c.apply_env(env(&[
            ("RINGSIDE_AMI_PORT", "15038"),
            ("RINGSIDE_AMI_SECRET", "t"),
        ]))
        .expect("valid env");
        assert_eq!(
            (c.ami.host.as_str(), c.ami.port, c.ami.secret.as_str()),
            ("pbx", 15038, "t")
        );
    }

    #[test]
    fn bad_environment_value_names_the_variable() {
        let mut c = Config::default();
        let err = c
            .apply_env(env(&[("RINGSIDE_PORTAL_LISTEN", "not-an-address")]))
            .expect_err("must fail");
        assert!(err.to_string().contains("RINGSIDE_PORTAL_LISTEN"), "{err}");
    }

    #[test]
    fn transport_names_parse() {
        assert_eq!("auto".parse(), Ok(RestTransport::Auto));
        assert_eq!("HTTP".parse(), Ok(RestTransport::Http));
        assert_eq!("websocket".parse(), Ok(RestTransport::Websocket));
        assert!("carrier-pigeon".parse::<RestTransport>().is_err());
    }
}
