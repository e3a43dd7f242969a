#!/usr/bin/env python3
"""Builds ringside's Debian package with dpkg-deb from `[package.metadata.deb]` in
daemon/Cargo.toml, the metadata `cargo deb` reads: the same assets, conffiles, maintainer
scripts and systemd unit (installed, not enabled), without needing cargo-deb.

Usage: ops/build-deb.py [--binary PATH] [--out DIR] [--compress xz|gzip|none]

--binary replaces the `target/release/ringside` asset (e.g. a debug build for a test);
--out is where `ringside_<version>_<arch>.deb` is written (default target/debian). Prints
the package's path. Needs python3 (3.11+) and dpkg-deb; dpkg-shlibdeps, when installed,
computes the shared-library dependencies as cargo-deb's `$auto` does.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATE = ROOT / "daemon"

# With `enable = false, start = false`, cargo-deb's snippet only makes systemd see the unit.
SYSTEMD_SNIPPET = """if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi"""


def fail(message):
    print(f"build-deb: {message}", file=sys.stderr)
    sys.exit(1)


def shlib_depends(binary):
    """`libc6 (>= 2.34), …` for the binary, or "" without dpkg-shlibdeps."""
    if shutil.which("dpkg-shlibdeps") is None:
        return ""
    with tempfile.TemporaryDirectory() as work:
        debian = Path(work) / "debian"
        debian.mkdir()
        (debian / "control").write_text(
            "Source: ringside\n\nPackage: ringside\nArchitecture: any\n"
        )
        result = subprocess.run(
            ["dpkg-shlibdeps", "-O", f"-e{binary}"],
            cwd=work,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        print(f"build-deb: dpkg-shlibdeps failed, no library dependencies: {result.stderr.strip()}",
              file=sys.stderr)
        return ""
    for line in result.stdout.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.split("=", 1)[1].strip()
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "debian")
    parser.add_argument("--compress", choices=["xz", "gzip", "none"], default="xz")
    args = parser.parse_args()

    crate = tomllib.loads((CRATE / "Cargo.toml").read_text())
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())
    package = crate["package"]
    meta = package["metadata"]["deb"]
    version = workspace["workspace"]["package"]["version"]
    name = package["name"]
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()

    with tempfile.TemporaryDirectory() as work:
        tree = Path(work) / "pkg"
        tree.mkdir()
        binary = None
        for source, dest, mode in meta["assets"]:
            if source.startswith("target/release/"):
                paths = [(args.binary or ROOT / source).resolve()]
                binary = paths[0]
            else:
                paths = sorted(Path(p) for p in glob.glob(str(CRATE / source)))
            if not paths or not all(p.is_file() for p in paths):
                fail(f"asset {source} not found (build it first, or pass --binary)")
            for path in paths:
                target = tree / dest
                if dest.endswith("/"):
                    target = target / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                target.chmod(int(mode, 8))

        units = meta.get("systemd-units", {})
        unit_dir = CRATE / units["unit-scripts"] if units else None
        if unit_dir:
            systemd = tree / "usr/lib/systemd/system"
            systemd.mkdir(parents=True)
            for unit in sorted(unit_dir.glob("*.service")):
                shutil.copyfile(unit, systemd / unit.name)
                (systemd / unit.name).chmod(0o644)

        control = tree / "DEBIAN"
        control.mkdir()
        scripts = CRATE / meta["maintainer-scripts"]
        for script in ["preinst", "postinst", "prerm", "postrm"]:
            if (scripts / script).is_file():
                text = (scripts / script).read_text()
                snippet = SYSTEMD_SNIPPET if unit_dir and script == "postinst" else ""
                (control / script).write_text(text.replace("#DEBHELPER#", snippet))
                (control / script).chmod(0o755)
        conffiles = meta.get("conf-files", [])
        if conffiles:
            (control / "conffiles").write_text("".join(f"{c}\n" for c in conffiles))

        depends = [d.strip() for d in meta.get("depends", "$auto").split(",")]
        auto = shlib_depends(binary) if binary else ""
        depends = [auto if d == "$auto" else d for d in depends]
        depends = ", ".join(d for d in depends if d)
        size_kib = sum(
            (p.stat().st_size + 1023) // 1024 for p in tree.rglob("*") if p.is_file()
        )
        description = package["description"]
        extended = meta.get("extended-description", "").strip()
        lines = [
            f"Package: {name}",
            f"Version: {version}",
            f"Architecture: {arch}",
            f"Maintainer: {meta['maintainer']}",
            f"Installed-Size: {size_kib}",
        ]
        if depends:
            lines.append(f"Depends: {depends}")
        lines += [
            f"Section: {meta.get('section', 'misc')}",
            f"Priority: {meta.get('priority', 'optional')}",
            f"Homepage: {workspace['workspace']['package'].get('repository', '')}",
            f"Description: {description}",
        ]
        if extended:
            lines.append(f" {extended}")
        (control / "control").write_text("\n".join(lines) + "\n")

        args.out.mkdir(parents=True, exist_ok=True)
        deb = args.out / f"{name}_{version}_{arch}.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", f"-Z{args.compress}", "--build", str(tree), str(deb)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(deb)


if __name__ == "__main__":
    main()
