//! Process-wide settings of the SQLite library, applied once before the first connection.
//! Not here: per-connection settings (pragmas), which `Store::connect` sets.

use std::sync::Once;

/// Turns off SQLite's memory statistics.
///
/// With them on (the library's default), every allocation and free inside SQLite takes one
/// global mutex. sqlx steps statements on a worker thread and hands each row's values to the
/// caller's thread, which frees them: the two threads then fight over that mutex for every
/// value, and a 100,000-call export spent about a fifth of its time in futex waits and
/// wake-ups. Ringside never reads the statistics (`sqlite3_memory_used` and its kin).
///
/// SQLite accepts this only before it initialises itself; if something in the process already
/// used SQLite, the call is refused and the library keeps its default, which is correct, only
/// slower.
pub(super) fn configure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is called with an option that takes exactly one `int`
        // argument, as its C signature requires, and at most once per process, before any
        // connection of this process is opened by the store. If SQLite is already initialised
        // it answers SQLITE_MISUSE without changing anything.
        #[allow(unsafe_code)]
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(code = rc, "SQLite kept its memory statistics on");
        }
    });
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn sqlite_keeps_no_memory_statistics_once_a_store_is_open() {
        let store = crate::store::Store::connect("sqlite::memory:")
            .await
            .expect("store");
        sqlx::query("CREATE TABLE t (v TEXT)")
            .execute(store.pool())
            .await
            .expect("create");
        // SAFETY: a read of a counter, no arguments.
        #[allow(unsafe_code)]
        let used = unsafe { libsqlite3_sys::sqlite3_memory_used() };
        assert_eq!(used, 0, "SQLite counted its allocations");
    }
}
