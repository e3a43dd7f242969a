//! `portal_load`: requests per second a running `ringside serve` answers on one portal path,
//! over keep-alive connections, for one logged-in user.
//!
//! `portal_load ADDR EXT PASSWORD PATH [CONNECTIONS] [SECONDS]` logs in through the JSON API,
//! then keeps CONNECTIONS (default 50) connections busy with `GET PATH` for SECONDS (default
//! 10) and prints the answers per second, their p50/p99 latency and any status other than
//! 200. Used by `portal-metrics-cost.sh`; not a general HTTP client (HTTP/1.1 with
//! `Content-Length` bodies only, as the portal answers).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Reads one answer: its status and how long it took from the request's first byte.
async fn exchange(
    stream: &mut BufReader<TcpStream>,
    request: &[u8],
) -> std::io::Result<(u16, Vec<u8>, Vec<String>)> {
    stream.get_mut().write_all(request).await?;
    let mut status_line = String::new();
    stream.read_line(&mut status_line).await?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        headers.push(line);
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok((status, body, headers))
}

/// The session cookie (`name=value`) from logging in.
async fn log_in(addr: SocketAddr, ext: &str, password: &str) -> Result<String, String> {
    let body = format!("{{\"extension\":\"{ext}\",\"password\":\"{password}\"}}");
    let request = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let mut stream = BufReader::new(stream);
    let (status, _, headers) = exchange(&mut stream, request.as_bytes())
        .await
        .map_err(|e| format!("login: {e}"))?;
    if status != 200 {
        return Err(format!("login answered {status}"));
    }
    headers
        .iter()
        .filter_map(|h| h.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .and_then(|(_, v)| v.trim().split(';').next().map(str::to_owned))
        .ok_or_else(|| "login set no cookie".to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(addr), Some(ext), Some(password), Some(path)) =
        (args.first(), args.get(1), args.get(2), args.get(3))
    else {
        eprintln!("usage: portal_load ADDR EXT PASSWORD PATH [CONNECTIONS] [SECONDS]");
        return ExitCode::FAILURE;
    };
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        eprintln!("portal_load: {addr} is not an address such as 127.0.0.1:8080");
        return ExitCode::FAILURE;
    };
    let connections: usize = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(50);
    let seconds: u64 = args.get(5).and_then(|v| v.parse().ok()).unwrap_or(10);
    let cookie = match log_in(addr, ext, password).await {
        Ok(cookie) => cookie,
        Err(err) => {
            eprintln!("portal_load: {err}");
            return ExitCode::FAILURE;
        }
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n");
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone().into_bytes();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut other = 0u64;
            let Ok(stream) = TcpStream::connect(addr).await else {
                return (times, 1);
            };
            let mut stream = BufReader::new(stream);
            while Instant::now() < until {
                let started = Instant::now();
                match exchange(&mut stream, &request).await {
                    Ok((200, _, _)) => times.push(started.elapsed()),
                    Ok(_) => other += 1,
                    Err(_) => {
                        other += 1;
                        break;
                    }
                }
            }
            (times, other)
        }));
    }
    let mut times = Vec::new();
    let mut other = 0;
    for task in tasks {
        if let Ok((t, o)) = task.await {
            times.extend(t);
            other += o;
        }
    }
    times.sort_unstable();
    println!(
        "{path}: {:.0} answers/s over {connections} connections for {seconds} s, p50 {:.2} ms, \
         p99 {:.2} ms, {other} not 200",
        times.len() as f64 / seconds as f64,
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
    );
    if times.is_empty() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
