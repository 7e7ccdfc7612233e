//! Bytes in: where transcript lines come from, before any format is known.
//!
//! - [`lines`]: a rolling-buffer line splitter with absolute offsets and a line-length cap.
//! - [`utf8`]: UTF-8 validation of a line (SIMD with the `simd-utf8` feature).
//! - [`follow`]: follow a file as it grows, like `tail -F`, without threads or clocks.
//! - [`tree`]: the transcripts below a folder (links followed, loops reported once).
//! - `watch` (feature `watch`): followed files and watched folder trees, woken by file-system
//!   notifications, with a polling fallback.

pub mod follow;
pub mod lines;
pub mod tree;
pub mod utf8;
#[cfg(feature = "watch")]
pub mod watch;
