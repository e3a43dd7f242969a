//! What the benchmark process itself has used, read from `/proc/self`: peak memory and CPU
//! time. Linux only; a field that cannot be read is 0.

use std::time::Duration;

/// A `/proc/self/status` field in kB, for example `VmHWM:` (peak resident set).
pub fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Peak resident set of this process in KiB.
pub fn peak_rss_kib() -> u64 {
    proc_status_kb("VmHWM:")
}

/// User + system CPU time of this process.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // Linux reports in clock ticks of 1/100 s (USER_HZ).
    Duration::from_millis(ticks * 10)
}
