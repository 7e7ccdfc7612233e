//! Renderers: where events go.
//!
//! The [`crate::pipeline::Pipeline`] pushes each event to a [`Renderer`]; a renderer never reads
//! input itself and does not know where lines came from. Implementations here: [`plain`]
//! (coloured lines for a terminal) and [`ndjson`] (one documented JSON object per event);
//! documents written when the input ends: [`summary`], [`markdown`] and `html` (feature
//! `html`), the last two over the transcripts kept by [`transcript`].
//! [`Filtered`] wraps any renderer to pass on only some kinds.

use std::io;
use std::ops::ControlFlow;

use crate::event::{Event, KindSet};
use crate::pipeline::Stats;

#[cfg(feature = "html")]
pub mod html;
pub mod markdown;
pub mod ndjson;
pub mod otlp;
pub mod plain;
pub mod summary;
pub mod text;
pub mod transcript;

/// Whether the driver should go on (`Continue`) or stop reading (`Break`).
pub type Flow = ControlFlow<()>;

/// A sink for events, pushed to by the driver.
pub trait Renderer {
    /// Called for every event, in stream order. An error stops the pipeline (a closed pipe, a
    /// full disk); `Break` stops it quietly.
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow>;

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
}

impl<R: Renderer + ?Sized> Renderer for &mut R {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        (**self).on_event(event)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        (**self).finish(stats)
    }
}

impl<R: Renderer + ?Sized> Renderer for Box<R> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        (**self).on_event(event)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        (**self).finish(stats)
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
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        self.0.finish(stats)?;
        self.1.finish(stats)
    }
}

/// Passes on only events whose kind is in a set.
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
            Ok(ControlFlow::Continue(()))
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        self.inner.finish(stats)
    }
}
