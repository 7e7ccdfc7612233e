//! # aegon-lib
//!
//! Observability for Claude Code sessions: read the JSONL transcripts Claude Code writes under
//! `~/.claude/projects/`, turn each line into typed [`Event`]s, and push them to a
//! [`Renderer`].
//!
//! ```text
//!  bytes ──► lines ──► records ──► events ──► correlate ──► renderer
//!  Read      memchr    borrowed    Event<'a>  usage once,   plain | ndjson | yours
//!            split     serde       (several   tool timing
//!                                  per line)
//! ```
//!
//! The folders follow the pipeline; arrows point down it only:
//!
//! - [`source`]: bytes in: [`source::lines`] (a rolling-buffer line splitter with absolute
//!   offsets and a line-length cap), [`source::follow`] (a file as it grows, like `tail -F`,
//!   without threads or clocks), [`source::tree`] (the transcripts below a folder) and `watch`
//!   (feature `watch`: followed files and watched folders, woken by file-system notifications).
//! - [`format`](mod@format): one folder per agent's transcript format, each turning lines into [`Event`]s;
//!   [`format::claude`] reads Claude Code's: borrowed input types parsed leniently
//!   ([`format::claude::scan`], [`format::claude::record`]), one line → events
//!   ([`format::claude::decode`]; bad lines become [`EventKind::Malformed`] events) and damage a
//!   line can survive ([`format::claude::repair`]).
//! - [`event`], [`tokens`], [`text`], [`json`], [`timestamp`]: the common event model every
//!   format produces ([`json::RawJson`]: JSON passed through as written, such as tool inputs).
//! - [`session`]: the pure session core (the clock is passed in): tokens, cost
//!   ([`session::pricing`]), steps, flow, subagents, context fill; usage counted once per API
//!   response and tool results matched to their calls ([`session::correlate`]); conversation
//!   branches ([`session::leaves`]); cache hits, rebuilds and cost by prompt, subagent and tool
//!   ([`session::cost_explained`]).
//! - [`pipeline`]: the driver that reads inputs and pushes events to a renderer.
//! - [`render`]: the [`Renderer`] trait, [`render::plain`], [`render::ndjson`],
//!   [`render::summary`], OTLP, Markdown and HTML.
//! - `ledger` and `usage` (feature `ledger`): the durable usage index and reports over time.
//! - `dashboard` (feature `tui`): the `aegon watch` dashboard's state, keys and ratatui widgets.
//! - [`fuzzing`]: the bodies of the `fuzz/` targets, runnable on stable.
//!
//! ## Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `simd-utf8` | yes | SIMD UTF-8 validation of lines (`simdutf8`) |
//! | `tui` | no | `aegon::dashboard` (`ratatui`, no terminal backend) |
//! | `watch` | no | `aegon::source::watch`: followed files and watched folders (`notify`) |
//! | `markdown` | yes | `aegon::render::markdown`: sessions as GitHub-flavoured Markdown (`pulldown-cmark`, to neutralise raw HTML in assistant text) |
//! | `html` | no | `aegon::render::html`: the self-contained HTML report (`pulldown-cmark`, `sha2`) |
//! | `ledger` | no | `aegon::ledger` (a durable usage index in SQLite: `rusqlite`, `directories`) and `aegon::usage` (reports by day, week, month, session, project and 5-hour block; `jiff`) |
//!
//! With `default-features = false` (the parser, events, sessions, following and the plain,
//! NDJSON and summary renderers) the library depends on these crates and no others (`cargo
//! tree -e normal --no-default-features --depth 1`; CI keeps this list true): `serde` and
//! `serde_json` (JSON in and out), `memchr` (finding line ends), `wide` (safe SIMD for the
//! transcript scanner), `foldhash` and `twox-hash` (hashing lines met again and the
//! correlator's keys), `itoa` and `zmij` (serde_json's own integer and float writers, called
//! directly by the NDJSON renderer). They bring in serde's derive macros (at build time),
//! `serde_core`, and `bytemuck` and `safe_arch` under wide. The terminal (crossterm) lives in
//! the `aegon` binary, which turns `tui` and `watch` on.
//!
//! ## Stability
//!
//! The NDJSON and summary JSON outputs are versioned (`v`, semantic: additions within a version,
//! a bump for removals and retypes; JSON Schemas in `schemas/`). Rust items follow semantic
//! versioning from 1.0; until then a minor version may change them, and the changelog says so.
//!
//! More in `examples/`: `tokens` (tokens and cost), `status_line` (a custom renderer),
//! `on_failure` (follow a file and react to failed tool calls), `sessions` (calls and cost per
//! session over several files).
//!
//! ## Example: total tokens of a transcript
//!
//! ```
//! use aegon::{Event, EventKind, Pipeline, Options, Renderer, Tokens, render::Flow};
//!
//! #[derive(Default)]
//! struct Totals(Tokens);
//!
//! impl Renderer for Totals {
//!     fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
//!         if let EventKind::Usage { tokens, .. } = &event.kind {
//!             self.0 = self.0.saturating_add(*tokens);
//!         }
//!         Ok(Flow::Continue(()))
//!     }
//! }
//!
//! // Two lines of one API response: its usage counts once, output at its final value.
//! let transcript = concat!(
//!     r#"{"type":"assistant","message":{"id":"msg_1","model":"claude-opus-4-6","content":[{"type":"text","text":"Hi"}],"usage":{"input_tokens":3,"output_tokens":1,"cache_read_input_tokens":100}}}"#, "\n",
//!     r#"{"type":"assistant","message":{"id":"msg_1","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}],"usage":{"input_tokens":3,"output_tokens":42,"cache_read_input_tokens":100}}}"#, "\n",
//! );
//! let mut pipeline = Pipeline::new(Options::default(), Totals::default());
//! pipeline.read_to_end("example", transcript.as_bytes()).unwrap();
//! let (totals, stats) = pipeline.finish().unwrap();
//! assert_eq!((totals.0.input, totals.0.output, totals.0.cache_read), (3, 42, 100));
//! assert_eq!(stats.lines, 2);
//! ```
//!
//! ## Several files into sessions
//!
//! Collect the events with a [`render::summary::SessionCollector`] for per-session figures:
//! it applies each event to its session as `aegon --summary` does (a line that names no
//! session, as in a trimmed export, goes to its file's session; an old `summary` title to the
//! session it names), and [`SessionCollector::listed`](render::summary::SessionCollector::listed)
//! gives the sessions the summary lists, in its order (not the empty session of a warm-up
//! file). Over several files, read them in the order [`source::order::in_first_occurred_order`]
//! gives: an entry (a line, a tool call, an API response) counts once, in the first file that
//! gives it, and a resumed session's file holds a copy of the session it resumes, so read first
//! it would take that session's usage and the session would vanish. The order makes the
//! figures the same in whatever order the files come (`read_dir` has none) and equal to the
//! `aegon` binary's (`aegon --summary --json`; CI compares them on the corpus).
//!
//! A cost aegon does not know (a model without a price, a usage not read whole) is `None`,
//! never $0: [`session::Session::cost`] is `None` then, and
//! [`priced_cost`](session::Session::priced_cost) the lower bound, shown `$1.23+` (or
//! `unknown`) by [`render::text::usd_at_least`]. A renderer of its own prices each usage event
//! with [`session::pricing::Pricing::usage_cost`] and adds them up in a
//! [`session::cost_explained::Charge`], which keeps the two apart.
//!
//! ```no_run
//! use aegon::render::{summary::SessionCollector, text::usd_at_least};
//! use aegon::source::order::in_first_occurred_order;
//! use aegon::{Options, Pipeline};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let files = aegon::source::tree::transcripts_below("projects".as_ref(), |_, _| {});
//! let files = in_first_occurred_order(&files, 4, Options::default());
//! let mut pipeline = Pipeline::new(Options::default(), SessionCollector::default());
//! for path in &files {
//!     let name = path.display().to_string();
//!     let _ = pipeline.read_to_end(&name, std::fs::File::open(path)?)?;
//! }
//! let (sessions, _) = pipeline.finish()?;
//! for s in sessions.listed() {
//!     let cost = usd_at_least(s.priced_cost(), s.cost().is_none());
//!     println!("{}: {} API calls, {cost}", s.id, s.api_calls());
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "tui")]
pub mod dashboard;
pub mod event;
pub mod format;
pub mod fuzzing;
pub mod hashing;
pub mod json;
#[cfg(feature = "ledger")]
pub mod ledger;
pub mod pipeline;
pub mod render;
pub mod session;
pub mod source;
pub mod text;
pub mod timestamp;
pub mod tokens;
#[cfg(feature = "ledger")]
pub mod usage;

// Tests' temporary folders (shared with the integration tests and aegon-bin's).
#[cfg(test)]
#[path = "../tests/support/temp_dir.rs"]
mod temp_dir;

pub use event::{
    Agent, AgentSet, Event, EventKind, Kind, KindSet, Malformed, MalformedReason, ResponseIdentity,
    Source, TitleSource,
};
pub use json::RawJson;
pub use pipeline::{Options, Pipeline, ReadError, Stats};
pub use render::Renderer;
pub use text::Text;
pub use tokens::Tokens;
