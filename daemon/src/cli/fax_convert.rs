//! `ringside fax-convert IN OUT`: PDF/TIFF to fax TIFF, or fax TIFF to PDF, chosen by OUT's
//! extension. Prints the page count; shows a progress bar when stderr is a terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ringside::media::fax::{
    Compression, FaxOptions, Paper, Resolution, document_to_fax_tiff, fax_tiff_to_pdf,
};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ResolutionArg {
    Fine,
    Standard,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PaperArg {
    A4,
    Letter,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompressionArg {
    G4,
    G3,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input document: PDF or TIFF (recognised by content).
    pub input: PathBuf,
    /// Output file: .tif/.tiff for a fax TIFF, .pdf for a PDF.
    pub output: PathBuf,
    /// Vertical resolution of the fax TIFF.
    #[arg(long, value_enum, default_value = "fine")]
    pub resolution: ResolutionArg,
    /// Paper length of the fax TIFF.
    #[arg(long, value_enum, default_value = "a4")]
    pub paper: PaperArg,
    /// CCITT coding of the fax TIFF.
    #[arg(long, value_enum, default_value = "g4")]
    pub compression: CompressionArg,
}

#[derive(Debug, PartialEq, Eq)]
enum Direction {
    ToFaxTiff,
    ToPdf,
}

fn direction(output: &Path) -> anyhow::Result<Direction> {
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("tif" | "tiff") => Ok(Direction::ToFaxTiff),
        Some("pdf") => Ok(Direction::ToPdf),
        _ => bail!(
            "cannot tell the output format from {}: use a .tif, .tiff or .pdf name",
            output.display()
        ),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let direction = direction(&args.output)?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} pages {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let progress = |done: u32, total: u32| {
        bar.set_length(u64::from(total));
        bar.set_position(u64::from(done));
    };
    let report = match direction {
        Direction::ToFaxTiff => {
            let opts = FaxOptions {
                resolution: match args.resolution {
                    ResolutionArg::Fine => Resolution::Fine,
                    ResolutionArg::Standard => Resolution::Standard,
                },
                paper: match args.paper {
                    PaperArg::A4 => Paper::A4,
                    PaperArg::Letter => Paper::Letter,
                },
                compression: match args.compression {
                    CompressionArg::G4 => Compression::G4,
                    CompressionArg::G3 => Compression::G3,
                },
                ..FaxOptions::default()
            };
            document_to_fax_tiff(&args.input, &args.output, &opts, &progress)
        }
        Direction::ToPdf => fax_tiff_to_pdf(&args.input, &args.output, &progress),
    };
    bar.finish_and_clear();
    let report = report.with_context(|| format!("converting {}", args.input.display()))?;
    println!(
        "{} page{} written to {}",
        report.pages,
        if report.pages == 1 { "" } else { "s" },
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_extension_picks_the_direction() {
        assert_eq!(
            direction(Path::new("out/FAX.TIFF")).expect("tiff"),
            Direction::ToFaxTiff
        );
        assert_eq!(
            direction(Path::new("a.pdf")).expect("pdf"),
            Direction::ToPdf
        );
        assert!(direction(Path::new("a.png")).is_err());
    }
}
