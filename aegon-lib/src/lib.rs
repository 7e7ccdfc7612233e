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
//! - [`lines`]: a rolling-buffer line splitter with absolute offsets and a line-length cap.
//! - [`scan`] and [`record`]: the borrowed input types, parsed leniently: members aegon does not
//!   read are skipped at memchr speed, the rest parsed with serde, strings borrowed from the line.
//! - [`decode`]: one line → events; bad lines become [`EventKind::Malformed`] events, and
//!   damage a line can survive ([`repair`]: lone surrogates, crash padding) is repaired.
//! - [`correlate`]: usage counted once per API response, tool results matched to their calls.
//! - [`pipeline`]: the driver that reads inputs and pushes events to a renderer.
//! - [`render`]: the [`Renderer`] trait, [`render::plain`], [`render::ndjson`] and
//!   [`render::summary`].
//! - [`session`]: the session core: tokens, cost ([`pricing`]), steps, flow, subagents, context
//!   fill, as a pure state machine (the clock is passed in); [`cost_explained`]: cache hits,
//!   cache rebuilds and their likely causes, cost by prompt, subagent and tool.
//! - [`follow`]: follow a file as it grows, like `tail -F`, without threads or clocks;
//!   [`tree`]: the transcripts below a folder.
//! - `watch` (feature `watch`): follow files and watch folder trees, woken by file-system
//!   notifications, with a polling fallback.
//! - `dashboard` (feature `tui`): the `aegon watch` dashboard's state, keys and ratatui widgets.
//! - [`fuzzing`]: the bodies of the `fuzz/` targets, runnable on stable.
//!
//! ## Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `simd-utf8` | yes | SIMD UTF-8 validation of lines (`simdutf8`) |
//! | `tui` | no | `aegon::dashboard` (`ratatui`, no terminal backend) |
//! | `watch` | no | `aegon::watch`: followed files and watched folders (`notify`) |
//! | `markdown` | yes | `aegon::render::markdown`: sessions as GitHub-flavoured Markdown (`pulldown-cmark`, to neutralise raw HTML in assistant text) |
//! | `html` | no | `aegon::render::html`: the self-contained HTML report (`pulldown-cmark`, `sha2`) |
//! | `ledger` | no | `aegon::ledger` (a durable usage index in SQLite: `rusqlite`, `directories`) and `aegon::usage` (reports by day, week, month, session, project and 5-hour block; `jiff`) |
//!
//! With `default-features = false` the library needs only serde, serde_json and memchr: the
//! parser, events, sessions, following and the plain, NDJSON and summary renderers. The
//! terminal (crossterm) lives in the `aegon` binary, which turns `tui` and `watch` on.
//!
//! ## Stability
//!
//! The NDJSON and summary JSON outputs are versioned (`v`, semantic: additions within a version,
//! a bump for removals and retypes; JSON Schemas in `schemas/`). Rust items follow semantic
//! versioning from 1.0; until then a minor version may change them, and the changelog says so.
//!
//! More in `examples/`: `tokens` (tokens and cost), `status_line` (a custom renderer),
//! `on_failure` (follow a file and react to failed tool calls).
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
#![deny(missing_docs)]

pub mod correlate;
pub mod cost_explained;
#[cfg(feature = "tui")]
pub mod dashboard;
pub mod decode;
pub mod event;
pub mod follow;
pub mod fuzzing;
mod hashing;
pub mod histogram;
pub mod leaves;
#[cfg(feature = "ledger")]
pub mod ledger;
pub mod lines;
pub mod pipeline;
pub mod pricing;
pub mod record;
pub mod render;
pub mod repair;
pub mod scan;
pub mod session;
pub mod text;
pub mod timestamp;
pub mod tokens;
pub mod tree;
#[cfg(feature = "ledger")]
pub mod usage;
pub mod utf8;
#[cfg(feature = "watch")]
pub mod watch;

pub use event::{Event, EventKind, Kind, KindSet, Malformed, MalformedReason, Source, TitleSource};
pub use pipeline::{Options, Pipeline, ReadError, Stats};
pub use render::Renderer;
pub use text::Text;
pub use tokens::Tokens;
