//! `ringside calls`: a user's call history from the shell, filtered as in the portal, and
//! exported to CSV or XLSX. Works on the same database as a running daemon.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ringside::calls::cdr_zone;
use ringside::calls::export::{ExportFormat, ExportView, export_to_file};
use ringside::cdr::CallFilter;
use ringside::config::Config;
use ringside::schedule::zone::Zone;
use ringside::store::Store;
use ringside::store::calls::CallQuery;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  ringside calls list 1001 --since 2026-12-01 --until 2026-12-05 --status missed\n  \
                  ringside calls list 1001 --number 555\n  \
                  ringside calls export 1001 --format xlsx calls-1001.xlsx"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: CallsCommand,
}

#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// First day (YYYY-MM-DD), in --tz.
    #[arg(long, default_value = "")]
    since: String,
    /// Last day (YYYY-MM-DD, included), in --tz.
    #[arg(long, default_value = "")]
    until: String,
    /// answered, missed, busy or failed.
    #[arg(long, default_value = "")]
    status: String,
    /// incoming, outgoing or internal.
    #[arg(long, default_value = "")]
    direction: String,
    /// Part of the other party's number or name.
    #[arg(long, default_value = "")]
    number: String,
    /// IANA zone for the dates and the times shown; default: this machine's zone.
    #[arg(long, default_value = "")]
    tz: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum CallsCommand {
    /// List an extension's calls, newest first.
    List {
        extension: String,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Export an extension's calls (filtered as `list`) to a CSV or XLSX file.
    Export {
        extension: String,
        #[command(flatten)]
        filter: FilterArgs,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Each call followed by its CDR rows.
        #[arg(long)]
        detail: bool,
        out: PathBuf,
    },
}

fn query(extension: &str, f: &FilterArgs) -> anyhow::Result<(CallQuery, Zone)> {
    let zone = cdr_zone(&f.tz).with_context(|| format!("unknown time zone {:?}", f.tz))?;
    let filter = CallFilter::from_text(&f.since, &f.until, &f.status, &f.direction, &f.number)?;
    let query = CallQuery::filtered(Some(extension.trim().to_owned()), filter, &zone);
    Ok((query, zone))
}

pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(config, args))
}

async fn run_async(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&config.database_url())
        .await
        .context("cannot open the database")?;
    match args.command {
        CallsCommand::List {
            extension,
            filter,
            page,
            per_page,
        } => {
            let (mut q, zone) = query(&extension, &filter)?;
            q.limit = per_page.clamp(1, 1000);
            q.offset = page.max(1).saturating_sub(1).saturating_mul(q.limit);
            let (calls, more) = store.calls_page(&q).await?;
            if calls.is_empty() {
                println!("no calls for {extension} on page {page}");
            }
            for c in &calls {
                let name = if c.caller_name.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.caller_name)
                };
                println!(
                    "{}  {:<8}  {:<8}  {}{} -> {}  {} s{}",
                    c.started.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S"),
                    c.direction.map(|d| d.key()).unwrap_or_default(),
                    c.status.key(),
                    c.caller,
                    name,
                    c.callee,
                    c.talk_secs,
                    if c.recording.is_some() {
                        "  [recorded]"
                    } else {
                        ""
                    },
                );
            }
            if more {
                println!("more on page {}", page.max(1) + 1);
            }
            Ok(ExitCode::SUCCESS)
        }
        CallsCommand::Export {
            extension,
            filter,
            format,
            detail,
            out,
        } => {
            let format = ExportFormat::parse(&format)
                .with_context(|| format!("unknown format {format:?}: use csv or xlsx"))?;
            let (q, zone) = query(&extension, &filter)?;
            let n = export_to_file(&store, &q, &ExportView { zone, detail }, format, &out).await?;
            println!("{n} calls written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
