//! Renderers: where events go.
//!
//! The [`crate::pipeline::Pipeline`] pushes each event to a [`Renderer`]; a renderer never reads
//! input itself and does not know where lines came from. Implementations here: [`plain`]
//! (coloured lines for a terminal) and [`ndjson`] (one documented JSON object per event);
//! documents written when the input ends: [`summary`], `markdown` (feature `markdown`, on by
//! default) and `html` (feature `html`), the last two over the transcripts kept by
//! [`transcript`].
//! [`Filtered`] wraps any renderer to pass on only some kinds.

use std::io;
use std::ops::ControlFlow;

use crate::event::{Event, KindSet};
use crate::pipeline::Stats;

#[cfg(feature = "html")]
pub mod html;
#[cfg(feature = "markdown")]
pub mod markdown;
pub mod ndjson;
pub mod otlp;
pub mod plain;
pub mod summary;
pub mod text;
pub mod transcript;

/// Rewrites every U+2028 (line separator) and U+2029 (paragraph separator) in `buf[from..]`,
/// which holds JSON text, as the escapes `\u2028` and `\u2029`.
///
/// JSON allows both raw inside strings, but JavaScript's and Python's line readers
/// (`str.splitlines`, `readline` interfaces, editors) split lines at them, cutting an NDJSON
/// event in two. Every JSON writer of aegon passes its output through here. The rewrite is
/// exact on any JSON text: outside strings JSON is ASCII, so their UTF-8 bytes (`E2 80 A8`,
/// `E2 80 A9`) can only be those characters inside a string, where the escape means the same.
pub fn escape_line_separators(buf: &mut Vec<u8>, from: usize) {
    let Some(tail) = buf.get(from..) else {
        return;
    };
    let is_separator = |at: usize| matches!(tail.get(at + 2), Some(0xA8 | 0xA9));
    static LEAD: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let lead = LEAD.get_or_init(|| memchr::memmem::Finder::new(b"\xE2\x80"));
    let mut hits = lead.find_iter(tail).filter(|&at| is_separator(at));
    let Some(first) = hits.next() else {
        return;
    };
    let mut out = Vec::with_capacity(tail.len() + 8);
    let mut copied = 0;
    for at in std::iter::once(first).chain(hits) {
        out.extend_from_slice(&tail[copied..at]);
        out.extend_from_slice(if tail[at + 2] == 0xA8 {
            b"\\u2028"
        } else {
            b"\\u2029"
        });
        copied = at + 3;
    }
    out.extend_from_slice(&tail[copied..]);
    buf.truncate(from);
    buf.extend_from_slice(&out);
}

/// `value` as JSON (pretty-printed or compact) with U+2028 and U+2029 escaped
/// ([`escape_line_separators`]).
pub fn json_bytes<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
) -> serde_json::Result<Vec<u8>> {
    let mut buf = if pretty {
        serde_json::to_vec_pretty(value)?
    } else {
        serde_json::to_vec(value)?
    };
    escape_line_separators(&mut buf, 0);
    Ok(buf)
}

/// Whether the driver should go on (`Continue`) or stop reading (`Break`).
pub type Flow = ControlFlow<()>;

/// A sink for events, pushed to by the driver.
pub trait Renderer {
    /// Called for every event, in stream order. An error stops the pipeline (a closed pipe, a
    /// full disk); `Break` stops it quietly.
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow>;

    /// Called instead of [`Renderer::on_event`] for an event a [`Filtered`] leaves out (`-k`,
    /// `-x`): a renderer whose figures depend on the whole stream (the cost and cache fields
    /// of usage events: a compaction or an API error changes a rebuild's cause) notes it
    /// without showing it. Nothing by default.
    fn on_skipped(&mut self, event: &Event<'_>) {
        let _ = event;
    }

    /// Called when the driver has no more input at hand (after each chunk read): write out
    /// anything buffered so a slow stream is shown as it comes.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once after the last input, with the run's counters.
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        let _ = stats;
        self.flush()
    }

    /// Called when the driver has handed over every event of what it was given (at the end
    /// of each [`crate::pipeline::Pipeline::push`], [`crate::pipeline::Pipeline::close`] and
    /// the like), before it reads, waits or reports anything again: a renderer that holds
    /// something across the events of one batch (the dashboard's lock on its state) lets go
    /// of it here. Nothing by default.
    fn pause(&mut self) {}
}

impl<R: Renderer + ?Sized> Renderer for &mut R {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        (**self).on_event(event)
    }
    fn on_skipped(&mut self, event: &Event<'_>) {
        (**self).on_skipped(event)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        (**self).finish(stats)
    }
    fn pause(&mut self) {
        (**self).pause()
    }
}

impl<R: Renderer + ?Sized> Renderer for Box<R> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        (**self).on_event(event)
    }
    fn on_skipped(&mut self, event: &Event<'_>) {
        (**self).on_skipped(event)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        (**self).finish(stats)
    }
    fn pause(&mut self) {
        (**self).pause()
    }
}

/// Sends every event to two renderers (an output and an export, say). The first error stops
/// both; either asking to stop stops the pipeline.
#[derive(Debug)]
pub struct Tee<A, B>(pub A, pub B);

impl<A: Renderer, B: Renderer> Renderer for Tee<A, B> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let a = self.0.on_event(event)?;
        let b = self.1.on_event(event)?;
        Ok(if a.is_break() || b.is_break() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    }
    fn on_skipped(&mut self, event: &Event<'_>) {
        self.0.on_skipped(event);
        self.1.on_skipped(event);
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        self.0.finish(stats)?;
        self.1.finish(stats)
    }
    fn pause(&mut self) {
        self.0.pause();
        self.1.pause();
    }
}

/// Passes on only events whose kind is in a set; the others go to
/// [`Renderer::on_skipped`].
#[derive(Debug)]
pub struct Filtered<R> {
    kinds: KindSet,
    inner: R,
}

impl<R> Filtered<R> {
    /// Wraps `inner`, keeping events of the `kinds` given.
    pub fn new(kinds: KindSet, inner: R) -> Self {
        Filtered { kinds, inner }
    }

    /// The wrapped renderer.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Renderer> Renderer for Filtered<R> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if self.kinds.contains(event.kind()) {
            self.inner.on_event(event)
        } else {
            self.inner.on_skipped(event);
            Ok(ControlFlow::Continue(()))
        }
    }
    fn on_skipped(&mut self, event: &Event<'_>) {
        self.inner.on_skipped(event)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        self.inner.finish(stats)
    }
    fn pause(&mut self) {
        self.inner.pause()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_separators_are_escaped_and_nothing_else_changes() {
        let mut buf = b"keep \xE2\x80\xA8".to_vec();
        let from = buf.len();
        let text = "a\u{2028}b\u{2029}c \u{2014} \u{2027}\u{202A}";
        serde_json::to_writer(&mut buf, text).unwrap();
        escape_line_separators(&mut buf, from);
        let out = String::from_utf8(buf[from..].to_vec()).unwrap();
        assert_eq!(out, "\"a\\u2028b\\u2029c \u{2014} \u{2027}\u{202A}\"");
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text);
        // Bytes before `from` are left alone.
        assert_eq!(&buf[..from], b"keep \xE2\x80\xA8");
        let doc = json_bytes(&serde_json::json!({"t": "x\u{2029}"}), true).unwrap();
        assert!(!doc.windows(3).any(|w| w == b"\xE2\x80\xA9"));
    }
}
