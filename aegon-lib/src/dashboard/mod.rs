//! The `aegon watch` dashboard, without the terminal: state, keys and ratatui widgets
//! (feature `tui`).
//!
//! A [`Dashboard`] is a [`Renderer`](crate::Renderer): events pushed into it update the
//! session core ([`crate::session::Sessions`]) and a bounded [`Feed`] of the latest events
//! ([`FEED_CAPACITY`]; memory does not grow with history). A [`View`] holds what the person
//! looking at it chose (selection, focus, filter, pause, overlays) and turns [`Key`]s into
//! changes. [`ui::draw`] paints both on any ratatui backend; the binary brings the terminal,
//! the threads and the timing, and tests use `TestBackend`.
//!
//! ```
//! use aegon::dashboard::{ui, Dashboard, View};
//! use aegon::pipeline::{Options, Pipeline};
//! use ratatui::{backend::TestBackend, Terminal};
//!
//! let line = br#"{"type":"user","sessionId":"s1","timestamp":"2026-01-01T10:00:00Z","message":{"role":"user","content":"hello"}}"#;
//! let mut pipeline = Pipeline::new(Options::default(), Dashboard::new());
//! let mut input = pipeline.open("demo.jsonl");
//! pipeline.push(&mut input, line).unwrap();
//! pipeline.close(input).unwrap();
//! let (dashboard, _) = pipeline.finish().unwrap();
//!
//! let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();
//! let mut view = View::default();
//! terminal.draw(|frame| ui::draw(frame, &dashboard, &mut view)).unwrap();
//! ```

mod detail;
mod feed;
mod model;
pub mod series;
pub mod ui;
pub mod usage;
mod view;

pub use detail::{read_line_at, Detail};
pub use feed::{Feed, FeedItem, Origin, FEED_CAPACITY, SUMMARY_COLUMNS};
pub use model::{system_clock, Clock, Dashboard, Notice, PullRequest, FEED_KINDS};
pub use series::{ContextSample, Series, SessionSeries, CONTEXT_SAMPLES, MINUTES, SERIES_SESSIONS};
pub use usage::{Amount, BlockFigures, Bucket, Limit, Share, UsageData, UsageFigures, DAYS, HOURS};
pub use view::{Action, Key, Pane, Screen, View};
