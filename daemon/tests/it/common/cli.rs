//! Running the real `ringside` binary against a temp data dir (and so a fresh SQLite file).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// What one `ringside` run printed and how it ended.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `ringside ARGS` with only the data dir configured (no inherited RINGSIDE_* settings),
/// feeding `stdin` when given.
pub fn ringside(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    ringside_with_env(data_dir, &[], args, stdin)
}

/// Like [`ringside`] with extra environment variables (e.g. `RINGSIDE_DATABASE_URL`).
pub fn ringside_with_env(
    data_dir: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringside"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("RINGSIDE_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start the ringside binary");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait for ringside");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
