//! `ringside fax`: queue a fax, look at one job, list an extension's faxes, cancel a job.
//! The daemon's fax worker does the sending; these commands only talk to the database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use ringside::flows::fax::{self, DocumentLimits, SendRequest};
use ringside::store::Store;
use ringside::store::fax::{CancelOutcome, Direction, FaxJob};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Queue a PDF or TIFF for sending; prints the job id on the last line.
    Send {
        /// The sender's extension.
        #[arg(long)]
        from: String,
        /// Destination number (digits, optional leading +).
        #[arg(long)]
        to: String,
        /// The document (PDF or TIFF).
        document: PathBuf,
    },
    /// Show one fax job.
    Status { id: i64 },
    /// List an extension's faxes, sent and received, newest first.
    List { extension: String },
    /// Cancel a fax that has not been sent yet (a call in progress is hung up).
    Cancel { id: i64 },
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Store::connect(&config.database_url())
            .await
            .context("cannot open the database")?;
        match command {
            Command::Send { from, to, document } => {
                let job = fax::submit_fax(
                    &store,
                    Arc::new(fax::MediaConverter::default()),
                    &fax::fax_dir(&config.data_dir).join("outgoing"),
                    SendRequest {
                        owner: from,
                        number: to,
                        document,
                        file_name: None,
                    },
                    DocumentLimits::default(),
                    config.fax.retries.saturating_add(1),
                )
                .await?;
                println!(
                    "queued fax to {} from {}: {} page{}, up to {} attempt{}",
                    job.number,
                    job.owner,
                    job.pages_total,
                    plural(job.pages_total),
                    job.max_attempts,
                    plural(job.max_attempts),
                );
                println!("{}", job.id);
            }
            Command::Status { id } => {
                let job = store
                    .fax_job(id)
                    .await?
                    .with_context(|| format!("no fax job {id}"))?;
                print!("{}", describe(&job));
            }
            Command::List { extension } => {
                let jobs = store.fax_jobs_of(&extension).await?;
                if jobs.is_empty() {
                    println!("no faxes for {extension}");
                } else {
                    println!("ID\tDIRECTION\tSTATE\tNUMBER\tPAGES\tATTEMPTS\tWHEN\tERROR");
                    for job in &jobs {
                        println!("{}", list_line(job));
                    }
                }
            }
            Command::Cancel { id } => match store.cancel_fax_job(id, chrono::Utc::now()).await? {
                CancelOutcome::Cancelled => println!("fax job {id} cancelled"),
                CancelOutcome::Requested(state) => {
                    println!("fax job {id} is {state}: the daemon hangs up and cancels it")
                }
                CancelOutcome::AlreadyFinal(state) => {
                    anyhow::bail!("fax job {id} is already {state}; nothing to cancel")
                }
            },
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn pages(job: &FaxJob) -> String {
    match job.direction {
        Direction::Sent => format!("{}/{}", job.pages_sent, job.pages_total),
        Direction::Received => job.pages_total.to_string(),
    }
}

fn party(job: &FaxJob) -> &str {
    match job.direction {
        Direction::Sent => &job.number,
        Direction::Received => job.caller_id.as_deref().unwrap_or(""),
    }
}

fn list_line(job: &FaxJob) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}/{}\t{}\t{}",
        job.id,
        job.direction,
        job.state,
        party(job),
        pages(job),
        job.attempts,
        job.max_attempts,
        job.created_at.format("%Y-%m-%d %H:%M:%S"),
        job.error.as_deref().unwrap_or(""),
    )
}

fn describe(job: &FaxJob) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        if !v.is_empty() {
            out.push_str(&format!("{k}: {v}\n"));
        }
    };
    line("id", &job.id.to_string());
    line("direction", job.direction.as_str());
    line("state", job.state.as_str());
    line("extension", &job.owner);
    match job.direction {
        Direction::Sent => line("to", &job.number),
        Direction::Received => line("from", job.caller_id.as_deref().unwrap_or("")),
    }
    line("pages", &pages(job));
    if job.direction == Direction::Sent {
        line(
            "attempts",
            &format!("{} of {}", job.attempts, job.max_attempts),
        );
        if job.state == ringside::store::fax::JobState::Queued && job.attempts > 0 {
            line(
                "next attempt",
                &job.next_attempt_at
                    .format("%Y-%m-%d %H:%M:%S UTC")
                    .to_string(),
            );
        }
    }
    line("error", job.error.as_deref().unwrap_or(""));
    line("FAXSTATUS", job.fax_status.as_deref().unwrap_or(""));
    line("FAXERROR", job.fax_error.as_deref().unwrap_or(""));
    line(
        "FAXSTATUSSTRING",
        job.fax_status_string.as_deref().unwrap_or(""),
    );
    line(
        "remote station",
        job.remote_station_id.as_deref().unwrap_or(""),
    );
    line("document", job.document_path.as_deref().unwrap_or(""));
    line("tiff", job.tiff_path.as_deref().unwrap_or(""));
    line("pdf", job.pdf_path.as_deref().unwrap_or(""));
    line(
        "created",
        &job.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    if let Some(done) = job.finished_at {
        line(
            "finished",
            &done.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
    }
    out
}
