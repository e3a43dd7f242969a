//! `login_flood`: a burst of parallel portal logins against a running `ringside serve`, with
//! the server's resident memory sampled from `/proc` and the login page fetched meanwhile.
//!
//! `login_flood ADDR PID [N]` sends N (default 1000) JSON logins with wrong passwords at
//! once, each from its own loopback source address (127.0.x.y) so that the per-address login
//! throttle does not turn them away before their password is checked: what is measured is
//! the cost of password checking under a flood. Prints the answers by status, the peak and
//! final RSS, and how the login page answered during the burst. Used by `login-flood.sh`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// The status code of one HTTP/1.1 request sent from `source`, or 0 when it failed.
async fn request(server: SocketAddr, source: Option<IpAddr>, raw: &[u8]) -> u16 {
    let attempt = async {
        let socket = TcpSocket::new_v4()?;
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        let mut stream = socket.connect(server).await?;
        stream.write_all(raw).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    match attempt.await {
        Ok(answer) => String::from_utf8_lossy(&answer)
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0),
        Err(_) => 0,
    }
}

fn login_request(server: SocketAddr, extension: &str) -> Vec<u8> {
    let body = format!(r#"{{"extension":"{extension}","password":"wrong-password-{extension}"}}"#);
    format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// 127.0.x.y for the i-th client, never 127.0.0.1 (where the login page probe comes from).
fn source(i: usize) -> IpAddr {
    let n = i + 2;
    IpAddr::V4(Ipv4Addr::new(127, 0, (n / 250) as u8, (n % 250 + 2) as u8))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(server), Some(pid)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1).and_then(|p| p.parse::<u32>().ok()),
    ) else {
        eprintln!("usage: login_flood ADDR PID [N]");
        return ExitCode::FAILURE;
    };
    let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let Some(before) = rss_kib(pid) else {
        eprintln!("login_flood: no process {pid}");
        return ExitCode::FAILURE;
    };

    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = rss_kib(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let page = format!("GET /login HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    let prober = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = request(server, None, page.as_bytes()).await;
                answers.push((status, started.elapsed()));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answers
        })
    };

    let started = Instant::now();
    let logins: Vec<_> = (0..n)
        .map(|i| {
            let raw = login_request(server, &format!("7{i:05}"));
            tokio::spawn(async move { request(server, Some(source(i)), &raw).await })
        })
        .collect();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for login in logins {
        *by_status.entry(login.await.unwrap_or(0)).or_default() += 1;
    }
    let flood_time = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let probes = prober.await.unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid).unwrap_or(0);

    println!(
        "logins sent:            {n} in parallel, done in {:.1} s",
        flood_time.as_secs_f64()
    );
    for (status, count) in &by_status {
        let label = if *status == 0 {
            "no answer".to_owned()
        } else {
            status.to_string()
        };
        println!("  answered {label}: {count}");
    }
    println!("server RSS before:      {:.1} MiB", before as f64 / 1024.0);
    println!(
        "server RSS peak:        {:.1} MiB",
        peak.load(Ordering::Relaxed) as f64 / 1024.0
    );
    println!("server RSS 0.5 s after: {:.1} MiB", after as f64 / 1024.0);
    let ok = probes.iter().filter(|(s, _)| *s == 200).count();
    let slowest = probes.iter().map(|(_, t)| *t).max().unwrap_or_default();
    println!(
        "login page meanwhile:   {ok} of {} answered 200, slowest {:.0} ms",
        probes.len(),
        slowest.as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
