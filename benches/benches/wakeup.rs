//! Schedule math cost: next fire of weekly and one-shot rules, including DST gaps.

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ringside::schedule::Rule;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid")
        .with_timezone(&Utc)
}

fn schedule_math(c: &mut Criterion) {
    let berlin: ringside::schedule::Zone = "Europe/Berlin".parse().expect("zone");
    let weekly: Rule = "weekly mon,wed,fri 06:30".parse().expect("rule");
    let gap: Rule = "once 2026-03-29 02:30".parse().expect("rule");
    let after = at("2026-11-23T12:00:00Z");
    c.bench_function("weekly_next_after_berlin", |b| {
        b.iter(|| weekly.next_after(&berlin, std::hint::black_box(after)))
    });
    c.bench_function("one_shot_in_dst_gap_berlin", |b| {
        b.iter(|| gap.next_after(&berlin, std::hint::black_box(at("2026-03-01T00:00:00Z"))))
    });
}

criterion_group!(benches, schedule_math);
criterion_main!(benches);
