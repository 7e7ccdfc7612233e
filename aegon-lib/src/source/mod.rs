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

use std::io;

/// A failed read of an input, with where it happened: the error inside the `io::Error`s the
/// library returns or reports for an input ([`crate::pipeline::ReadError::Input`],
/// [`follow::Change::Unreadable`]), which keep the underlying error's
/// [`kind`](io::Error::kind). Reach it with [`InputError::of`].
///
/// Displayed as `NAME: WHAT` or `NAME: WHAT (at byte N, line L)`, e.g.
/// `s.jsonl: Input/output error (os error 5) (at byte 65536, line 212)`.
#[derive(Debug)]
pub struct InputError {
    /// The input's name (its path, as given, for a file).
    pub name: String,
    /// Bytes of the input read before the failure (`None`: before any read, as at opening).
    pub offset: Option<u64>,
    /// The line being read then, counting from 1, when known.
    pub line: Option<u64>,
    /// What failed.
    pub source: io::Error,
}

impl InputError {
    /// `source` as an `io::Error` of the same kind that names the input `name` and, when
    /// given, the byte offset and line where it failed.
    pub fn wrap(
        name: impl Into<String>,
        offset: Option<u64>,
        line: Option<u64>,
        source: io::Error,
    ) -> io::Error {
        let kind = source.kind();
        io::Error::new(
            kind,
            InputError {
                name: name.into(),
                offset,
                line,
                source,
            },
        )
    }

    /// The input error inside `e`, when the library made it with [`InputError::wrap`].
    pub fn of(e: &io::Error) -> Option<&InputError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<InputError>())
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.source)?;
        match (self.offset, self.line) {
            (Some(offset), Some(line)) => write!(f, " (at byte {offset}, line {line})"),
            (Some(offset), None) => write!(f, " (at byte {offset})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

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
