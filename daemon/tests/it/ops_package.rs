//! The Debian package as `ops/build-deb.py` assembles it from `[package.metadata.deb]`,
//! built once around this test binary's own `ringside` (a dev build; the package's layout
//! does not depend on the profile) and read back with `dpkg-deb`: its files, its conffiles,
//! its control fields and what `postinst` does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::missing_dependency;

fn tools_present() -> bool {
    let has = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("dpkg-deb", "--version") {
        missing_dependency("dpkg-deb");
        return false;
    }
    if !has("python3", "--version") {
        missing_dependency("python3");
        return false;
    }
    true
}

/// The package, built on first use; `None` when the tools are missing.
fn package() -> Option<&'static Path> {
    static DEB: OnceLock<Option<PathBuf>> = OnceLock::new();
    DEB.get_or_init(|| {
        if !tools_present() {
            return None;
        }
        // Under target/: replaced by the next run, never left behind in /tmp.
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ops-package");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/build-deb.py");
        let built = Command::new("python3")
            .arg(script)
            .args(["--binary", env!("CARGO_BIN_EXE_ringside")])
            .arg("--out")
            .arg(&out)
            // The debug binary is large and the package is read back at once.
            .args(["--compress", "none"])
            .output()
            .expect("run build-deb.py");
        assert!(
            built.status.success(),
            "build-deb.py failed: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        Some(PathBuf::from(String::from_utf8_lossy(&built.stdout).trim()))
    })
    .as_deref()
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(deb)
        .output()
        .expect("run dpkg-deb");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `dpkg-deb -c`'s listing as (mode, path) pairs, paths without the leading `.`.
fn contents(deb: &Path) -> Vec<(String, String)> {
    dpkg_deb(&["-c"], deb)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let path = fields.get(5)?.strip_prefix('.')?;
            Some((fields[0].to_owned(), path.to_owned()))
        })
        .collect()
}

/// One control file (`postinst`, `conffiles`, …) extracted with `dpkg-deb -e`.
fn control_file(deb: &Path, name: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("DEBIAN");
    let out = Command::new("dpkg-deb")
        .arg("-e")
        .arg(deb)
        .arg(&target)
        .output()
        .expect("run dpkg-deb -e");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(target.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn mode_of<'a>(listing: &'a [(String, String)], path: &str) -> &'a str {
    listing
        .iter()
        .find(|(_, p)| p == path)
        .map(|(mode, _)| mode.as_str())
        .unwrap_or_else(|| panic!("{path} is not in the package: {listing:?}"))
}

#[test]
fn the_package_holds_the_binary_the_unit_and_the_dialplan_files() {
    let Some(deb) = package() else { return };
    let listing = contents(deb);
    assert_eq!(mode_of(&listing, "/usr/bin/ringside"), "-rwxr-xr-x");
    mode_of(&listing, "/usr/lib/systemd/system/ringside.service");
    for file in [
        "extensions_ringside.conf",
        "ari.conf",
        "http.conf",
        "manager.conf",
    ] {
        mode_of(&listing, &format!("/usr/share/ringside/dialplan/{file}"));
    }
}

#[test]
fn the_default_wakeup_prompt_is_shipped_and_installed_into_asterisks_sounds() {
    let Some(deb) = package() else { return };
    assert_eq!(
        mode_of(&contents(deb), "/usr/share/ringside/sounds/wakeup-call.wav"),
        "-rw-r--r--"
    );
    let postinst = control_file(deb, "postinst");
    assert!(
        postinst
            .lines()
            .any(|l| l.contains("/usr/share/ringside/sounds/")
                && l.trim_end().ends_with("/var/lib/asterisk/sounds/ringside/")),
        "{postinst}"
    );
}

#[test]
fn the_config_is_a_conffile_not_readable_by_others() {
    let Some(deb) = package() else { return };
    assert_eq!(
        mode_of(&contents(deb), "/etc/ringside/ringside.toml"),
        "-rw-r-----"
    );
    assert!(
        control_file(deb, "conffiles")
            .lines()
            .any(|l| l == "/etc/ringside/ringside.toml")
    );
}

#[test]
fn postinst_creates_the_ringside_system_user_and_its_data_dir() {
    let Some(deb) = package() else { return };
    let postinst = control_file(deb, "postinst");
    assert!(
        postinst
            .lines()
            .any(|l| l.contains("adduser --system") && l.contains("--group")),
        "{postinst}"
    );
    assert!(
        postinst.lines().any(|l| l.contains("install -d")
            && l.contains("-o ringside")
            && l.trim_end().ends_with("/var/lib/ringside")),
        "{postinst}"
    );
    assert!(!postinst.contains("#DEBHELPER#"), "{postinst}");
}

#[test]
fn the_unit_is_installed_but_not_enabled_by_postinst() {
    let Some(deb) = package() else { return };
    let postinst = control_file(deb, "postinst");
    assert!(!postinst.contains("systemctl enable"), "{postinst}");
    assert!(
        !postinst.contains("deb-systemd-helper enable"),
        "{postinst}"
    );
}

#[test]
fn the_control_file_depends_on_adduser_for_postinst() {
    let Some(deb) = package() else { return };
    let control = control_file(deb, "control");
    assert!(
        control.lines().any(|l| l == "Package: ringside"),
        "{control}"
    );
    assert!(
        control
            .lines()
            .any(|l| l.starts_with("Depends:") && l.contains("adduser")),
        "{control}"
    );
}
