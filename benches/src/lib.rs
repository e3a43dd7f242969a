//! Benchmarks for Ringside: criterion benches in `benches/` and side-by-side scripts that
//! compare the media path with sox, ffmpeg and ghostscript. Not part of the daemon.

pub mod process_stats;
pub mod sim_process;
pub mod wakeup_figures;
pub mod wakeup_rig;
