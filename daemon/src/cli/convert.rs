//! `ringside convert`: transcode audio files to what Asterisk plays, one file or a batch.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use rayon::prelude::*;
use ringside::media::{OutputFormat, Threads, TranscodeOptions, transcode_file};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  ringside convert greeting.mp3 greeting.wav\n  \
                  ringside convert --format ulaw in.wav out.ulaw\n  \
                  ringside convert --out-dir sounds/ *.mp3"
)]
pub struct Args {
    /// Input file, then output file (single form); or the input files (with --out-dir).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Batch form: convert every FILE into DIR, named after the input with the format's
    /// extension, using every core.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Output format: wav (8 kHz 16-bit mono), ulaw, alaw, sln (raw 16-bit), gsm.
    #[arg(long, default_value = "wav")]
    pub format: OutputFormat,
    /// Scale so the loudest sample is just below full scale.
    #[arg(long)]
    pub normalize: bool,
    /// Remove leading and trailing silence.
    #[arg(long)]
    pub trim_silence: bool,
    /// Refuse inputs larger than this many bytes.
    #[arg(long, value_name = "N", default_value_t = 5_000_000)]
    pub max_bytes: u64,
    /// Refuse inputs longer than this many seconds.
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub max_seconds: u64,
    /// Threads per file: auto (decoding on a second thread for inputs of 5 s or more;
    /// one per file with --out-dir, whose files already share the cores), 1 or 2.
    #[arg(long, value_name = "N", default_value = "auto")]
    pub threads: Threads,
}

impl Args {
    fn options(&self) -> TranscodeOptions {
        TranscodeOptions {
            format: self.format,
            normalize: self.normalize,
            trim_silence: self.trim_silence,
            max_input_bytes: self.max_bytes,
            max_duration: Duration::from_secs(self.max_seconds),
            threads: self.threads,
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = args.options();
    match &args.out_dir {
        None => {
            let [input, output] = args.files.as_slice() else {
                anyhow::bail!(
                    "convert takes IN OUT, or --out-dir DIR FILE... (got {} paths)",
                    args.files.len()
                );
            };
            let report = transcode_file(input, output, &opts)?;
            println!(
                "{} -> {}: {}, {:.2} s",
                input.display(),
                output.display(),
                report.input,
                report.output_duration.as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(dir) => {
            // The files are converted in parallel, one per core; once they fill the cores, a
            // decoding thread per file on top would only compete for the same cores.
            let files_fill_cores = args.files.len() >= rayon::current_num_threads();
            let opts = TranscodeOptions {
                threads: match opts.threads {
                    Threads::Auto if files_fill_cores => Threads::One,
                    chosen => chosen,
                },
                ..opts
            };
            run_batch(&args.files, dir, &opts)
        }
    }
}

fn batch_target(input: &Path, dir: &Path, format: OutputFormat) -> PathBuf {
    let stem = input.file_stem().unwrap_or(input.as_os_str());
    dir.join(stem).with_extension(format.extension())
}

fn run_batch(files: &[PathBuf], dir: &Path, opts: &TranscodeOptions) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {wide_msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let failures: Vec<String> = files
        .par_iter()
        .filter_map(|input| {
            let target = batch_target(input, dir, opts.format);
            let result = transcode_file(input, &target, opts);
            bar.inc(1);
            result.err().map(|e| e.to_string())
        })
        .collect();
    bar.finish_and_clear();
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    println!(
        "converted {} of {} files into {}",
        files.len() - failures.len(),
        files.len(),
        dir.display()
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
