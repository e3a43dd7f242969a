//! `fax_render_loop IN.pdf OUT.tif`: a long-lived process that converts `IN.pdf` to a fax TIFF
//! (G4, fine, two page workers, as the daemon does) each time it reads a line on stdin, and
//! answers with the milliseconds per page of that conversion. The comparison script drives it
//! in turn with ghostscript, so both are measured on the same machine at the same moment; the
//! process stays up between conversions, as the daemon's does, so no start-up is counted.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ringside::media::fax::{FaxOptions, document_to_fax_tiff};

fn no_progress(_: u32, _: u32) {}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: fax_render_loop IN.pdf OUT.tif");
        return ExitCode::FAILURE;
    };
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
        let started = Instant::now();
        let pages = match document_to_fax_tiff(input, output, &FaxOptions::default(), &no_progress)
        {
            Ok(report) => report.pages,
            Err(err) => {
                eprintln!("fax_render_loop: {}: {err}", input.display());
                return ExitCode::FAILURE;
            }
        };
        let per_page = started.elapsed().as_secs_f64() * 1e3 / f64::from(pages.max(1));
        let mut out = stdout.lock();
        if writeln!(out, "{per_page}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
