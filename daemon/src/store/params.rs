//! How statements spell their parameters, for SQL built with a variable number of them
//! (`IN` lists, multi-row `INSERT`s). The one place that knows the dialects differ here.
//!
//! Numbered `$n` parameters work on both databases and are what a statement that also names
//! fixed parameters (`$1`, `$2`, …) must use. A statement made only of generated parameters
//! uses [`list`] or [`value_rows`], which give SQLite anonymous `?`: SQLite looks a numbered
//! parameter up by name in a list as long as the statement's parameters, so binding many
//! numbered ones costs the square of their number.

use super::Dialect;

/// `$first, $first+1, …` for `n` values.
pub(super) fn numbered(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `n` parameters counted from 1, anonymous on SQLite.
fn each(dialect: Dialect, n: usize) -> impl Iterator<Item = String> {
    (1..=n).map(move |i| match dialect {
        Dialect::Sqlite => "?".to_owned(),
        Dialect::Postgres => format!("${i}"),
    })
}

/// `p1, p2, …` for an `IN` list that is the statement's only parameters.
pub(super) fn list(dialect: Dialect, n: usize) -> String {
    each(dialect, n).collect::<Vec<_>>().join(", ")
}

/// `(p1, p2), (p3, p4)`: `rows` groups of `columns` parameters, the statement's only ones.
pub(super) fn value_rows(dialect: Dialect, rows: usize, columns: usize) -> String {
    let all: Vec<String> = each(dialect, rows * columns).collect();
    all.chunks(columns.max(1))
        .map(|row| format!("({})", row.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_count_on_from_the_first() {
        assert_eq!(numbered(3, 3), "$3, $4, $5");
    }

    #[test]
    fn value_rows_number_every_cell_once_row_after_row_on_postgres() {
        assert_eq!(
            value_rows(Dialect::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(value_rows(Dialect::Postgres, 1, 1), "($1)");
    }

    #[test]
    fn value_rows_and_lists_are_anonymous_on_sqlite() {
        assert_eq!(value_rows(Dialect::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(list(Dialect::Sqlite, 3), "?, ?, ?");
    }
}
