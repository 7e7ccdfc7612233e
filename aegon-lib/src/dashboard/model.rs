//! The dashboard's state: sessions, the feed, pull-request links and notices.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

use memchr::memmem;

use super::feed::{Feed, FeedItem, Origin, SUMMARY_COLUMNS};
use super::series::{ContextSample, Series, SessionSeries};
use super::usage::UsageData;
use crate::event::{Event, EventKind, Kind, KindSet};
use crate::render::plain::{kind_label, push_summary};
use crate::render::summary::apply_to_its_session;
use crate::render::text::push_inert;
use crate::render::{Flow, Renderer};
use crate::session::pricing::Pricing;
use crate::session::Sessions;
use crate::timestamp::{clock_part, parse_millis};

/// Kinds shown in the feed by default: all but the chatter that says little to a person
/// (progress ticks, file snapshots, last-prompt and attachment records, token usage, which
/// the session panel sums up). Sessions are built from every event whatever the feed shows.
pub const FEED_KINDS: KindSet = KindSet::ALL
    .without(Kind::Progress)
    .without(Kind::FileSnapshot)
    .without(Kind::LastPrompt)
    .without(Kind::Attachment)
    .without(Kind::Usage);

/// Line uuids the sessions remember (to place `summary` titles): the latest half million,
/// about 10 MB at most.
pub const LINES_REMEMBERED: usize = 500_000;

/// Notices kept (the newest).
const NOTICES: usize = 50;

/// Pull-request links kept per session (the first seen).
const PULL_REQUESTS: usize = 8;

/// Tool calls whose key argument is remembered for the steps list (the latest).
const STEP_ARGUMENTS: usize = 4_096;

/// Characters of a key argument kept.
const STEP_ARGUMENT_CHARS: usize = 120;

/// The time now, in milliseconds since the Unix epoch, as the dashboard sees it (a replay
/// runs its own clock).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system's clock.
pub fn system_clock() -> Clock {
    Arc::new(crate::timestamp::now_ms)
}

/// A pull request mentioned by a session (in a tool's output or the model's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// `owner/repo#123`.
    pub label: String,
    /// `https://github.com/owner/repo/pull/123`.
    pub url: String,
}

/// Something the person should know that is not an event: a file that could not be read,
/// notifications falling back to polling, the end of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// When it was noted (the dashboard's clock).
    pub at_ms: i64,
    /// What happened.
    pub text: String,
}

/// Everything the dashboard shows. See the [module documentation](super).
pub struct Dashboard {
    sessions: Sessions,
    feed: Feed,
    feed_kinds: KindSet,
    pull_requests: HashMap<String, Vec<PullRequest>>,
    /// Call id → what the call does (command, path, pattern), for the latest calls.
    step_arguments: HashMap<Box<str>, Box<str>>,
    step_order: VecDeque<Box<str>>,
    notices: VecDeque<Notice>,
    clock: Clock,
    events: u64,
    malformed: u64,
    generation: u64,
    status: Option<String>,
    /// The file of the previous event (shared by the rows of one file) and its line, to number
    /// the events of one line.
    last_origin: Option<(Arc<str>, u64, u32)>,
    /// The session id of the previous feed row, shared by the next rows of that session.
    last_session: Option<Arc<str>>,
    /// Tokens per minute and context fill of the latest sessions.
    series: Series,
    /// The Usage view's figures, handed in by the binary.
    usage: UsageData,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("sessions", &self.sessions.len())
            .field("feed", &self.feed.len())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Dashboard {
    /// An empty dashboard with the built-in prices and the system clock.
    pub fn new() -> Self {
        Self::with(Pricing::built_in(), system_clock())
    }

    /// An empty dashboard pricing with `pricing` and telling time with `clock`.
    pub fn with(pricing: Pricing, clock: Clock) -> Self {
        // The dashboard shows no cost per prompt: keep memory flat as prompts are read.
        let mut sessions = Sessions::with_pricing(pricing).without_prompt_costs();
        sessions.remember_lines(LINES_REMEMBERED);
        Dashboard {
            sessions,
            feed: Feed::new(),
            feed_kinds: FEED_KINDS,
            pull_requests: HashMap::new(),
            step_arguments: HashMap::new(),
            step_order: VecDeque::new(),
            notices: VecDeque::new(),
            clock,
            events: 0,
            malformed: 0,
            generation: 0,
            status: None,
            last_origin: None,
            last_session: None,
            series: Series::default(),
            usage: UsageData::NotRead,
        }
    }

    /// Shows only these kinds in the feed (sessions still see every event).
    pub fn set_feed_kinds(&mut self, kinds: KindSet) {
        self.feed_kinds = kinds;
        self.generation += 1;
    }

    /// Replaces the clock (a replay sets its own).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The time now, by the dashboard's clock.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// The sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The feed.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Pull requests a session mentioned, first seen first.
    pub fn pull_requests(&self, session: &str) -> &[PullRequest] {
        self.pull_requests.get(session).map_or(&[], Vec::as_slice)
    }

    /// What a recent tool call does (its command, path or pattern), by call id.
    pub fn step_argument(&self, call_id: &str) -> Option<&str> {
        self.step_arguments.get(call_id).map(|s| &**s)
    }

    /// Notices, oldest first.
    pub fn notices(&self) -> impl DoubleEndedIterator<Item = &Notice> {
        self.notices.iter()
    }

    /// Notes something that is not an event (shown in the footer, kept for the log).
    pub fn notice(&mut self, text: impl Into<String>) {
        if self.notices.len() == NOTICES {
            self.notices.pop_front();
        }
        let at_ms = self.now_ms();
        self.notices.push_back(Notice {
            at_ms,
            text: text.into(),
        });
        self.generation += 1;
    }

    /// What the source is doing, when worth saying (`reading history…`); `None` clears it.
    pub fn set_status(&mut self, status: Option<String>) {
        self.status = status;
        self.generation += 1;
    }

    /// The source's status.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The time series of session `id` (tokens per minute, context fill), when it keeps one
    /// (the [`super::SERIES_SESSIONS`] most recently active sessions do).
    pub fn series(&self, id: &str) -> Option<&SessionSeries> {
        self.series.get(id)
    }

    /// What the Usage view shows.
    pub fn usage(&self) -> &UsageData {
        &self.usage
    }

    /// Hands the Usage view its figures (or why there are none).
    pub fn set_usage(&mut self, usage: UsageData) {
        self.usage = usage;
        self.generation += 1;
    }

    /// Events applied.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Lines that could not be read.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// A number that changes whenever anything shown changes: draw again when it differs.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Applies one event: to its session, and to the feed if its kind is shown.
    pub fn apply(&mut self, event: &Event<'_>) {
        self.events += 1;
        self.generation += 1;
        let timestamp_ms = event.timestamp.as_deref().and_then(parse_millis);
        let now_ms = timestamp_ms.unwrap_or_else(|| self.now_ms());
        apply_to_its_session(&mut self.sessions, event, now_ms);
        self.note_series(event, now_ms);
        if let EventKind::Malformed(_) = event.kind {
            self.malformed += 1;
        }
        if let Some(id) = event.session_id.as_deref() {
            self.note_pull_requests(id, &event.kind);
        }
        // A call's key argument, parsed out of its input once for both the steps list and
        // the feed row (the input can be a whole file being written).
        let argument = match &event.kind {
            EventKind::ToolCall {
                input: Some(input), ..
            } => crate::render::plain::key_argument(input),
            _ => None,
        };
        if let (
            EventKind::ToolCall {
                tool_use_id: Some(id),
                ..
            },
            Some(argument),
        ) = (&event.kind, argument.as_deref())
        {
            self.note_step_argument(id, argument);
        }
        let origin = self.origin(event);
        if self.feed_kinds.contains(event.kind()) {
            let session = event
                .session_id
                .as_deref()
                .map(|id| match &self.last_session {
                    Some(last) if **last == *id => last.clone(),
                    _ => {
                        let new = Arc::<str>::from(id);
                        self.last_session = Some(new.clone());
                        new
                    }
                });
            let item = feed_item(event, timestamp_ms, origin, session, argument.as_deref());
            self.feed.push(item);
        }
    }

    /// Where `event` sits: its file (shared with the previous row's when the same), line and
    /// index within the line.
    fn origin(&mut self, event: &Event<'_>) -> Origin {
        let source = &event.source;
        let (file, index) = match &self.last_origin {
            Some((file, line, index)) if &**file == source.file => {
                let index = if *line == source.line { index + 1 } else { 0 };
                (file.clone(), index)
            }
            _ => (Arc::<str>::from(source.file), 0),
        };
        self.last_origin = Some((file.clone(), source.line, index));
        Origin {
            file,
            line: source.line,
            offset: source.offset,
            index,
        }
    }

    /// Tokens per minute and the context fill after `event` (at `at_ms`), for sessions named
    /// by the event (a line without a session id is left out of the series).
    fn note_series(&mut self, event: &Event<'_>, at_ms: i64) {
        let tokens = match &event.kind {
            EventKind::Usage { tokens, .. } => Some(*tokens),
            EventKind::Compact { .. } | EventKind::CompactSummary { .. } => None,
            _ => return,
        };
        let Some(id) = event.session_id.as_deref() else {
            return;
        };
        let context = self.sessions.get(id).and_then(|s| s.context.as_ref());
        let series = self.series.entry(id, at_ms);
        if let Some(t) = tokens {
            series.add_tokens(at_ms, t.total_input().saturating_add(t.output));
        }
        if let Some(c) = context {
            series.add_context(ContextSample::new(at_ms, c.tokens, c.window, c.compacted));
        }
    }

    fn note_step_argument(&mut self, id: &str, argument: &str) {
        let argument: String = argument
            .chars()
            .take(STEP_ARGUMENT_CHARS)
            .map(crate::render::text::inert_char)
            .collect();
        if self.step_order.len() == STEP_ARGUMENTS {
            if let Some(oldest) = self.step_order.pop_front() {
                self.step_arguments.remove(&oldest);
            }
        }
        self.step_order.push_back(id.into());
        self.step_arguments.insert(id.into(), argument.into());
    }

    fn note_pull_requests(&mut self, session: &str, kind: &EventKind<'_>) {
        if let EventKind::PrLink {
            number,
            url,
            repository,
        } = kind
        {
            // Claude Code's own record of the link: the surest source, written again on
            // resume, so kept once.
            let Some(pr) = linked_pull_request(*number, url.as_deref(), repository.as_deref())
            else {
                return;
            };
            let known = self.pull_requests.entry(session.to_owned()).or_default();
            if known.len() < PULL_REQUESTS && !known.contains(&pr) {
                known.push(pr);
            }
            return;
        }
        let haystack = match kind {
            EventKind::ToolResult {
                content: Some(c), ..
            } => c.get(),
            EventKind::AssistantText {
                text: crate::text::Text::Json(raw),
                ..
            } => raw,
            EventKind::AssistantText {
                text: crate::text::Text::Plain(text),
                ..
            } => text,
            _ => return,
        };
        let found = pull_request_links(haystack);
        if found.is_empty() {
            return;
        }
        let known = self.pull_requests.entry(session.to_owned()).or_default();
        for pr in found {
            if known.len() < PULL_REQUESTS && !known.contains(&pr) {
                known.push(pr);
            }
        }
    }
}

impl Renderer for Dashboard {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        self.apply(event);
        Ok(ControlFlow::Continue(()))
    }
}

/// The feed's summary of a tool call: what [`push_summary`] writes for it (the tool, a space and
/// the key argument, inert, in [`SUMMARY_COLUMNS`]), from the key argument already parsed.
fn call_summary(out: &mut String, tool: &str, argument: Option<&str>) {
    let used = push_inert(out, tool, SUMMARY_COLUMNS);
    if let Some(argument) = argument {
        out.push(' ');
        push_inert(out, argument, SUMMARY_COLUMNS.saturating_sub(used + 1));
    }
}

/// A feed row for `event`; `argument` is a tool call's key argument
/// ([`crate::render::plain::key_argument`] of its input).
fn feed_item(
    event: &Event<'_>,
    timestamp_ms: Option<i64>,
    origin: Origin,
    session: Option<Arc<str>>,
    argument: Option<&str>,
) -> FeedItem {
    let mut summary = String::new();
    match &event.kind {
        EventKind::Malformed(m) => summary.push_str(&format!(
            "{}:{}: byte {}: {}",
            event.source.file, event.source.line, m.error_offset, m.message
        )),
        EventKind::ToolCall { tool, .. } => call_summary(&mut summary, tool, argument),
        kind => {
            push_summary(&mut summary, kind, SUMMARY_COLUMNS);
        }
    }
    let (failed, tool_use_id) = match &event.kind {
        EventKind::ToolCall { tool_use_id, .. } => (false, tool_use_id.as_deref()),
        EventKind::ToolResult {
            is_error,
            tool_use_id,
            ..
        } => (*is_error, tool_use_id.as_deref()),
        EventKind::ApiError { .. } | EventKind::Malformed(_) => (true, None),
        _ => (false, None),
    };
    let agent = match (event.agent_id.as_deref(), event.sidechain) {
        (Some(agent), _) => Some(agent.into()),
        (None, true) => Some(crate::session::INLINE_SIDECHAIN.into()),
        (None, false) => None,
    };
    FeedItem {
        seq: 0,
        kind: event.kind(),
        label: kind_label(&event.kind),
        clock: event
            .timestamp
            .as_deref()
            .and_then(clock_part)
            .map(Into::into),
        timestamp_ms,
        session,
        agent,
        summary: summary.into(),
        failed,
        tool_use_id: tool_use_id.map(Into::into),
        origin,
    }
}

/// The pull request a `pr-link` record names: from its URL when that is a GitHub pull-request
/// address, else from its repository and number; `None` when it names none.
fn linked_pull_request(
    number: Option<u64>,
    url: Option<&str>,
    repository: Option<&str>,
) -> Option<PullRequest> {
    if let Some(pr) = url.and_then(|u| pull_request_links(u).into_iter().next()) {
        return Some(pr);
    }
    let number = number?;
    match (url, repository) {
        (Some(url), Some(repo)) => Some(PullRequest {
            label: format!("{repo}#{number}"),
            url: url.to_owned(),
        }),
        (None, Some(repo)) => {
            let url = format!("https://github.com/{repo}/pull/{number}");
            pull_request_links(&url).into_iter().next()
        }
        (Some(url), None) => Some(PullRequest {
            label: format!("#{number}"),
            url: url.to_owned(),
        }),
        (None, None) => None,
    }
}

/// GitHub pull-request URLs in `text` (JSON-escaped text is fine: the URL has no escapes).
pub(crate) fn pull_request_links(text: &str) -> Vec<PullRequest> {
    const HOST: &str = "github.com/";
    // Built once: a searcher costs more to build than most texts take to search.
    static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(HOST));
    let mut found = Vec::new();
    for start in FINDER.find_iter(text.as_bytes()) {
        let rest = &text[start + HOST.len()..];
        let mut parts = rest.splitn(4, '/');
        let (Some(owner), Some(repo), Some("pull"), Some(tail)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let number: String = tail.chars().take_while(char::is_ascii_digit).collect();
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        if number.is_empty() || number.len() > 9 || !name_ok(owner) || !name_ok(repo) {
            continue;
        }
        let pr = PullRequest {
            label: format!("{owner}/{repo}#{number}"),
            url: format!("https://github.com/{owner}/{repo}/pull/{number}"),
        };
        if !found.contains(&pr) {
            found.push(pr);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_link_records_name_their_pull_request() {
        let pr = linked_pull_request(
            Some(55),
            Some("https://github.com/episode6/collins/pull/55"),
            Some("episode6/collins"),
        );
        assert_eq!(
            pr.map(|p| (p.label, p.url)),
            Some((
                "episode6/collins#55".to_owned(),
                "https://github.com/episode6/collins/pull/55".to_owned()
            ))
        );
        // No URL: built from the repository; a URL elsewhere than GitHub is kept as written.
        assert_eq!(
            linked_pull_request(Some(7), None, Some("o/r")).map(|p| p.url),
            Some("https://github.com/o/r/pull/7".to_owned())
        );
        assert_eq!(
            linked_pull_request(
                Some(3),
                Some("https://git.example/o/r/-/merge_requests/3"),
                Some("o/r")
            )
            .map(|p| p.label),
            Some("o/r#3".to_owned())
        );
        assert_eq!(linked_pull_request(None, None, Some("o/r")), None);
        assert_eq!(linked_pull_request(Some(1), None, Some("bad repo")), None);
    }

    /// The feed's tool-call summary, built from the key argument parsed once, is what the
    /// plain renderer's summary writes, for every tool call of the real corpus.
    #[test]
    fn call_summaries_are_the_plain_summaries() {
        struct Compare {
            calls: usize,
        }
        impl Renderer for Compare {
            fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
                if let EventKind::ToolCall { tool, input, .. } = &event.kind {
                    let mut plain = String::new();
                    push_summary(&mut plain, &event.kind, SUMMARY_COLUMNS);
                    let argument = input.and_then(crate::render::plain::key_argument);
                    let mut ours = String::new();
                    call_summary(&mut ours, tool, argument.as_deref());
                    assert_eq!(ours, plain, "{}:{}", event.source.file, event.source.line);
                    self.calls += 1;
                }
                Ok(ControlFlow::Continue(()))
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
        let mut pipeline = crate::pipeline::Pipeline::new(
            crate::pipeline::Options::default(),
            Compare { calls: 0 },
        );
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                let file = std::fs::File::open(&path).unwrap();
                let _ = pipeline
                    .read_to_end(&path.display().to_string(), file)
                    .unwrap();
            }
        }
        let (compare, _) = pipeline.finish().unwrap();
        assert!(compare.calls > 1_000, "{} calls", compare.calls);
        // Edge cases: a wide argument cut with `…`, control characters, no argument.
        let long = "x".repeat(400);
        let mut s = String::new();
        call_summary(&mut s, "Bash", Some(&long));
        assert_eq!(s.chars().count(), SUMMARY_COLUMNS);
        assert!(s.ends_with('…') && s.starts_with("Bash xx"));
        s.clear();
        call_summary(&mut s, "Read", None);
        assert_eq!(s, "Read");
    }

    #[test]
    fn finds_pull_request_links_once_each() {
        let text = r#"Created https://github.com/acme/web-app/pull/42\nsee github.com/acme/web-app/pull/42 and https://github.com/o/r/pull/7."#;
        let prs = pull_request_links(text);
        assert_eq!(
            prs.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["acme/web-app#42", "o/r#7"]
        );
        assert_eq!(prs[0].url, "https://github.com/acme/web-app/pull/42");
        assert!(pull_request_links("github.com/acme/web-app/issues/42").is_empty());
        assert!(pull_request_links("github.com/a b/c/pull/1").is_empty());
        assert!(pull_request_links("github.com/a/b/pull/").is_empty());
    }
}
