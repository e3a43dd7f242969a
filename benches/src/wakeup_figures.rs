//! Figures the wakeup benchmarks report alike: percentiles of lateness and the attempts'
//! outcomes as the store recorded them.

use ringside::store::Store;

/// The `p` percentile (0..=1) of lateness values in microseconds, in milliseconds; NaN for
/// no values.
pub fn percentile_ms(sorted_us: &[i64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    sorted_us[idx.min(sorted_us.len() - 1)] as f64 / 1000.0
}

/// "acknowledged 941, answered 59": how the recorded attempts ended.
pub async fn outcome_summary(store: &Store) -> String {
    let rows = sqlx::query("SELECT outcome, COUNT(*) AS n FROM wakeup_attempts GROUP BY outcome")
        .fetch_all(store.pool())
        .await
        .expect("outcomes");
    rows.iter()
        .map(|r| {
            let o: String = sqlx::Row::try_get(r, "outcome").unwrap_or_default();
            let n: i64 = sqlx::Row::try_get(r, "n").unwrap_or_default();
            format!("{o} {n}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
