//! Link-time setting for the `ringside` binary: packed relative relocations (`DT_RELR`).
//!
//! A position-independent Rust binary of this size carries ~100k relative relocations that the
//! dynamic loader applies at every start; packed, the table shrinks from megabytes to tens of
//! kilobytes and a one-shot command such as `ringside fax-convert` starts about a millisecond
//! sooner. Only used where the C library understands the packed form (glibc 2.36 and later),
//! read from `ldd --version`; anywhere else the binary links as usual.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let cross = std::env::var("HOST").ok() != std::env::var("TARGET").ok();
    if target_os != "linux" || target_env != "gnu" || cross {
        return;
    }
    if glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The host's glibc version, from the last word of `ldd --version`'s first line
/// (`ldd (Debian GLIBC 2.36-9+deb12u14) 2.36`).
fn glibc_version() -> Option<(u32, u32)> {
    let out = std::process::Command::new("ldd")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    if !first.contains("GLIBC") && !first.contains("GNU libc") {
        return None;
    }
    let (major, minor) = first.split_whitespace().last()?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
