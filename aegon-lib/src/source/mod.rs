//! Bytes in: where transcript lines come from, before any format is known.
//!
//! - [`lines`]: a rolling-buffer line splitter with absolute offsets and a line-length cap.
//! - [`utf8`]: UTF-8 validation of a line (SIMD with the `simd-utf8` feature).
//! - [`follow`]: follow a file as it grows, like `tail -F`, without threads or clocks.
//! - [`tree`]: the transcripts below a folder (links followed, loops reported once).
//! - [`order`]: several files read into one set of sessions: the order that counts each entry
//!   where it first occurred (a resumed session's copy read before its parent would take the
//!   parent's usage otherwise).
//! - `watch` (feature `watch`): followed files and watched folder trees, woken by file-system
//!   notifications, with a polling fallback.

pub mod follow;

/// What aegon says of a UTF-16 transcript (Windows tools can produce one), wherever it reads
/// one (the filter, `--summary`, `aegon usage`, `aegon audit`): the input is refused.
pub const UTF16_REFUSAL: &str =
    "UTF-16 encoded; Claude Code writes UTF-8. Convert it with: iconv -f UTF-16 -t UTF-8";

/// Whether `head`, the first bytes of an input, begins with a UTF-16 byte-order mark (little
/// or big endian): such an input is refused with [`UTF16_REFUSAL`].
pub fn is_utf16(head: &[u8]) -> bool {
    head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF")
}
pub mod lines;
pub mod order;
pub mod tree;
pub mod utf8;
#[cfg(feature = "watch")]
pub mod watch;
