//! Session state: a pure state machine fed events, with the clock passed in.
//!
//! [`Sessions::apply`] takes an event and the current time; it does no I/O and reads no clock,
//! so a replay at any speed, a live tail and a test give the same state. Sessions are keyed by
//! session id, since many sessions and subagents interleave on one stream; a subagent's lines
//! (inline sidechains in 1.0.x, `agent-*.jsonl` files later) carry their parent's session id
//! and are attributed to it, and to the `Task`/`Agent` call that started them where the link
//! is written (`toolUseResult.agentId`). Their tokens count once: in the session's totals
//! (they are real API calls) and in the subagent's own tally, never again from the Task
//! result's summary.
//!
//! Memory grows with the number of sessions, models, tools and subagents, never with the bytes
//! read: durations go to [`Histogram`]s, steps and flow keep only the most recent ones. Two
//! indexes are the exception, and hold no text: the correlator's set of API responses seen
//! (exact deduplication across files) and [`LeafIndex`]'s line uuids (to find the session a
//! `summary` describes, 20 bytes per line uuid, exact): together about 20 bytes per transcript line.

pub mod correlate;
pub mod cost_explained;
pub mod histogram;
pub mod leaves;
pub mod named;
pub mod pricing;
pub mod prompt;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use self::cost_explained::CostExplained;
use self::histogram::Histogram;
use self::leaves::{LeafIndex, Resolved};
pub use self::named::Named;
use self::pricing::{ModelId, Pricing, LARGE_CONTEXT_WINDOW};
use self::prompt::command_prompt;
use crate::event::{Event, EventKind, TitleSource};
use crate::text::Text;
use crate::timestamp::parse_millis;
use crate::tokens::{Tokens, Unread};

/// Steps kept per session for display (the oldest are dropped; statistics keep everything).
pub const RECENT_STEPS: usize = 64;

/// Flow nodes kept per session.
pub const FLOW_NODES: usize = 32;

/// A session with no event for this long, and no tool running, is idle.
pub const IDLE_AFTER_MS: i64 = 120_000;

/// A call without a result keeps its session live this long after it started (a long build
/// or test run); after that, one left without a result in an old transcript (Claude Code was
/// closed while it ran) no longer makes the session look busy.
pub const RUNNING_LIVE_MS: i64 = 30 * 60_000;

/// Characters of the first prompt kept.
pub const FIRST_PROMPT_CHARS: usize = 120;

/// The prefix of the keys of 1.0.x inline sidechain runs (`sidechain-1`, `sidechain-2`, …),
/// which have no `agentId`.
pub const INLINE_SIDECHAIN: &str = "sidechain";

/// All sessions seen on a stream.
#[derive(Debug, Default)]
pub struct Sessions {
    /// Boxed: a map node holds eleven entries, and a registry with one session (one of many
    /// kept to be merged) should not hold room for ten more.
    sessions: BTreeMap<String, Box<Session>>,
    /// Prices: each usage event is priced with them when applied, and context windows.
    pricing: Pricing,
    /// Agent id → (session, call id) of the Task call that started it, for subagent lines that
    /// arrive after the link.
    spawned_by: HashMap<String, String>,
    /// Line uuids → sessions, for `summary` titles, which name only a line.
    leaves: LeafIndex,
    /// Input name → the first session a line of it named, for its lines that name none.
    file_sessions: HashMap<Box<str>, Box<str>>,
    last_noted_file: Option<Box<str>>,
    /// Cost per human prompt is not kept (see [`Sessions::without_prompt_costs`]).
    no_prompt_costs: bool,
    /// The model id of the latest usage event and its parts ([`ModelId::parse`], some 1,700
    /// instructions: 1.6% of a summary of distinct history when done for every usage event).
    last_model: Option<(Box<str>, ModelId<'static>)>,
    /// The price and context window of the latest usage event's request, for the model in
    /// `last_model`: consecutive usage events nearly always share model and factors, and the
    /// price table's lookups (string keys in B-trees) took 1.7% of a summary of distinct
    /// history when done for every one, as in [`CacheTracker`](cost_explained::CacheTracker).
    last_price: Option<PriceMemo>,
    /// The workflow run of the latest subagent line's file ([`workflow_run_of_path`]), found
    /// once per file, not per line.
    file_run: RunOfFile,
}

/// A request's price ([`Pricing::request_price`]) with the factors it was looked up with,
/// and its model's context window ([`Pricing::context_window_of`]).
#[derive(Debug)]
struct PriceMemo {
    speed: Option<std::borrow::Cow<'static, str>>,
    service_tier: Option<std::borrow::Cow<'static, str>>,
    inference_geo: Option<std::borrow::Cow<'static, str>>,
    price: self::pricing::DatedPrice,
    window: u64,
}

impl PriceMemo {
    /// Its price, if it is that of a request of its model with `factors` at `at_ms`.
    fn price_for(
        &self,
        factors: &crate::tokens::PriceFactors,
        at_ms: Option<i64>,
    ) -> Option<Option<self::pricing::RequestPrice>> {
        (self.speed == factors.speed
            && self.service_tier == factors.service_tier
            && self.inference_geo == factors.inference_geo
            && self.price.valid.contains(at_ms))
        .then_some(self.price.price)
    }
}

/// How a tool call ended (or has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Still waiting for its result.
    Running,
    /// The result came back without error.
    Ok,
    /// The result came back as an error (including a rejection by the user).
    Error,
    /// The user interrupted it.
    Interrupted,
    /// Left without a result by a new human prompt or the end of input.
    Abandoned,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Call id.
    pub id: String,
    /// Tool name.
    pub tool: String,
    /// When the call was written (ms since the epoch), if known.
    pub started_ms: Option<i64>,
    /// Call → result, when finished and both times are known.
    pub duration_ms: Option<u64>,
    /// How it ended.
    pub status: StepStatus,
    /// The subagent whose call it is (`None` for the main chain).
    pub agent: Option<String>,
}

/// Calls, errors and durations of one tool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolStats {
    /// Calls made.
    pub calls: u64,
    /// Results that were errors.
    pub errors: u64,
    /// Call → result durations.
    pub durations: Histogram,
}

/// Tokens, API calls and cost of one model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelUsage {
    /// Tokens used.
    pub tokens: Tokens,
    /// API responses.
    pub api_calls: u64,
    /// Cost of the usage events that have a price, each priced as its own request
    /// ([`Pricing::request_cost`]: its speed, tier, geo and long-context tier), in picodollars
    /// (10⁻¹² $): whole numbers, so that a total does not depend on the order it was added up
    /// in (one thread or several, files in any order). See [`ModelUsage::cost_usd`].
    pub cost_pico: u128,
    /// Usage events with no price (an unknown model, or a speed, tier or geo the table has
    /// no multiplier for, or a usage aegon could not read whole): while non-zero, the
    /// model's cost is unknown.
    pub unpriced: u64,
    /// Why those events have no price, in words (`model claude-zeta-9`, `service tier flex`,
    /// `usage with no token count aegon knows`: [`Pricing::unpriced_factor`],
    /// [`crate::tokens::Unread::describe`]).
    pub unpriced_why: BTreeSet<String>,
    /// Those of the `unpriced` events whose cost is unknown only because their usage could not
    /// be read whole: their model, speed, tier and geo have a price (an event with neither is
    /// counted as one without a price, the reason named the price's).
    pub unread: u64,
}

impl ModelUsage {
    /// Adds one usage event's cost (dollars, rounded to the picodollar).
    fn add_cost(&mut self, usd: f64) {
        // `as` saturates: NaN → 0, beyond u128::MAX → u128::MAX. A negative cost (an
        // increment that re-prices its response cheaper, `tokens::Repriced`) takes back.
        let pico = crate::session::pricing::to_pico(usd.abs());
        self.cost_pico = if usd < 0.0 {
            self.cost_pico.saturating_sub(pico)
        } else {
            self.cost_pico.saturating_add(pico)
        };
    }

    /// The cost of the priced events in dollars.
    pub fn cost_usd(&self) -> f64 {
        crate::session::pricing::from_pico(self.cost_pico)
    }
}

/// A subagent of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subagent {
    /// Tokens of its own API calls.
    pub tokens: Tokens,
    /// Its API responses.
    pub api_calls: u64,
    /// Its tool calls.
    pub tool_calls: u64,
    /// The call that started it, when the link is known.
    pub spawned_by: Option<String>,
    /// True for a compaction agent (`agent-acompact-*`).
    pub compaction: bool,
}

/// The context window's fill after the latest main-chain API response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFill {
    /// Tokens in the context (all input of the latest response: uncached, read and written).
    pub tokens: u64,
    /// The model's window (1M when the model has it or usage shows it).
    pub window: u64,
    /// True when the latest change was a compaction.
    pub compacted: bool,
}

impl ContextFill {
    /// Fill as a fraction of the window (0.0–1.0, more if over).
    pub fn fraction(&self) -> f64 {
        self.tokens as f64 / self.window.max(1) as f64
    }
}

/// One step of the causal flow of a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowNode {
    /// A human prompt.
    User,
    /// Thinking.
    Think,
    /// Tool calls of one response (several run in parallel).
    Tools(Vec<String>),
    /// Text from the model.
    Assistant,
    /// A compaction.
    Compact,
    /// A subagent's work.
    Subagent(String),
    /// An interruption by the user.
    Interrupt,
    /// An API error shown to the user.
    Error,
}

/// Whether a session is being worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Events within [`IDLE_AFTER_MS`], or a tool running for less than [`RUNNING_LIVE_MS`].
    Live,
    /// Quiet for longer than [`IDLE_AFTER_MS`].
    Idle,
}

/// A session title and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// The title.
    pub text: String,
    /// Where it came from (custom > ai > summary).
    pub source: TitleSource,
}

/// Everything known about one session.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// The coding agent that wrote the session (from its events; Claude Code by default).
    pub agent: crate::event::Agent,
    /// Best title so far.
    pub title: Option<Title>,
    /// Models used.
    pub models: BTreeSet<String>,
    /// The model of the latest main-chain response: the one the session runs on now (after a
    /// `/model` switch, the new one), whose window [`Session::context`] is measured against.
    /// A subagent's response never sets it. `None` before the first main-chain response.
    pub model: Option<String>,
    /// Working directory (latest).
    pub cwd: Option<String>,
    /// Git branch (latest).
    pub git_branch: Option<String>,
    /// Claude Code version (latest).
    pub version: Option<String>,
    /// Permission mode (latest).
    pub permission_mode: Option<String>,
    /// Tokens by model (main chain and subagents).
    pub usage: BTreeMap<String, ModelUsage>,
    /// Human prompts.
    pub prompts: u64,
    /// User-role text of the main chain not typed by the human ([`EventKind::UserMeta`]:
    /// context the agent injects when a session starts, command wrappers): a session opened,
    /// even when nothing was typed (a Codex rollout that holds only its header and context).
    pub meta: u64,
    /// The start of the first human prompt (what `/resume` shows for an untitled session): its
    /// first line, or the request inside a client's wrapper ([`prompt::prompt_title`]).
    pub first_prompt: Option<String>,
    /// API errors shown to the user.
    pub api_errors: u64,
    /// Automatic retries of failed API requests.
    pub retries: u64,
    /// Interruptions by the user.
    pub interruptions: u64,
    /// Compactions.
    pub compactions: u64,
    /// Tool statistics by tool name.
    pub tools: BTreeMap<String, ToolStats>,
    /// Subagents by agent id.
    pub subagents: BTreeMap<String, Subagent>,
    /// The subagents and workflow runs the session names, and which of them were read
    /// ([`Named`]; settled over the sessions of the run by [`Sessions::end_of_input`]): one
    /// named and not read makes its cost a lower bound ([`Session::unread_subagents`]).
    pub named: Named,
    /// Context fill after the latest main-chain response.
    pub context: Option<ContextFill>,
    /// Earliest timestamp seen (ms) and its text.
    pub first: Option<(i64, String)>,
    /// Latest timestamp seen (ms) and its text.
    pub last: Option<(i64, String)>,
    /// Events applied.
    pub events: u64,
    /// When the latest event was applied (the clock passed in).
    pub last_seen_ms: Option<i64>,
    /// Cache efficiency, rebuilds and their causes, and cost by prompt, subagent and tool.
    pub cost_explained: CostExplained,
    running: BTreeMap<String, Step>,
    recent: VecDeque<Step>,
    flow: VecDeque<FlowNode>,
    /// Message id of the response whose tool calls the last flow node groups.
    flow_message: Option<String>,
    /// A compaction boundary was seen and its summary line has not come yet.
    awaiting_summary: bool,
    /// Inline sidechain runs started (1.0.x).
    inline_runs: u32,
    /// Hash of a Task/Agent call's prompt → its call id, until a sidechain run starts with it.
    task_prompts: HashMap<u64, String>,
    /// [`Session::first_prompt`] is a slash command without arguments (`/init`): the next
    /// prompt with words of the user's own titles the session instead.
    first_prompt_bare: bool,
    /// Requests came whose input is written only in later session totals, and the totals
    /// have not come since ([`Session::awaits_totals`]).
    awaiting_totals: bool,
}

impl Sessions {
    /// No sessions yet, with the built-in prices.
    pub fn new() -> Self {
        Self::default()
    }

    /// No sessions yet, with these prices.
    pub fn with_pricing(pricing: Pricing) -> Self {
        // Every field named, not `..Self::default()`: that built the built-in price table
        // only to drop it (about 140,000 instructions, once per group `--summary` reads: 2% of
        // a summary of distinct history).
        Sessions {
            sessions: BTreeMap::new(),
            pricing,
            spawned_by: HashMap::new(),
            leaves: LeafIndex::default(),
            file_sessions: HashMap::new(),
            last_noted_file: None,
            no_prompt_costs: false,
            last_model: None,
            last_price: None,
            file_run: RunOfFile::default(),
        }
    }

    /// These sessions keep no cost per human prompt ([`CostExplained::prompts`] stays empty;
    /// responses count in [`CostExplained::preamble`]): for a long-lived view that never shows
    /// them (the dashboard), so that memory does not grow with the prompts read (about 250
    /// bytes each). Everything else is unchanged.
    pub fn without_prompt_costs(mut self) -> Self {
        self.no_prompt_costs = true;
        self
    }

    /// The prices in use.
    pub fn pricing(&self) -> &Pricing {
        &self.pricing
    }

    /// Gives back the memory of the price table (for a registry that is only kept to be
    /// [merged](Sessions::merge) into another: the other's prices are the ones that count).
    pub fn release_pricing(&mut self) {
        self.pricing = Pricing::empty();
        self.last_price = None;
    }

    /// Applies one event at time `now_ms` (ms since the epoch, from the caller's clock).
    /// Events without a session id (file snapshots, 1.0.x summaries) are attributed by
    /// [`Sessions::apply_to`].
    pub fn apply(&mut self, event: &Event<'_>, now_ms: i64) {
        if let Some(id) = event.session_id.as_deref() {
            self.apply_to(id, event, now_ms);
        }
    }

    /// Applies `event` to the session `id` (for events that name none, the caller decides:
    /// for instance the session a file is named after).
    pub fn apply_to(&mut self, id: &str, event: &Event<'_>, now_ms: i64) {
        if !self.sessions.contains_key(id) {
            self.sessions.insert(
                id.to_owned(),
                Box::new(Session {
                    id: id.to_owned(),
                    cost_explained: CostExplained::without_prompts(self.no_prompt_costs),
                    ..Session::default()
                }),
            );
        }
        let Some(session) = self.sessions.get_mut(id) else {
            return;
        };
        // Only a subagent's line tells a run (its agent's); the answer is its file's.
        let run = match event.agent_id {
            Some(_) => self.file_run.of(event.source.file),
            None => None,
        };
        session.apply(
            event,
            run,
            now_ms,
            &mut self.spawned_by,
            &self.pricing,
            &mut self.last_model,
            &mut self.last_price,
        );
        if let Some(uuid) = event.uuid.as_deref() {
            let resolved = self.leaves.note(id, uuid);
            self.apply_resolved(resolved);
        }
    }

    /// Applies an event that names no session: a `summary` title goes to the session its
    /// `leafUuid` belongs to, now or once that line is seen (never to a session it does not
    /// describe); one without a leaf, and other events, go to `fallback` (for instance the
    /// session a file is named after), if any.
    pub fn apply_unowned(&mut self, event: &Event<'_>, now_ms: i64, fallback: Option<&str>) {
        if let EventKind::Title {
            title,
            leaf_uuid: Some(leaf),
            ..
        } = &event.kind
        {
            // Resolved now or later, a summary only titles its session (it is not one of the
            // session's events: the order files are read in must not change the counts).
            if let Some(owner) = self.leaves.resolve(leaf, title) {
                self.apply_resolved(vec![Resolved {
                    session_id: owner,
                    title: title.to_string(),
                }]);
            }
            return;
        }
        if let Some(id) = fallback {
            self.apply_to(id, event, now_ms);
        }
    }

    /// Notes that a line of the input `file` names the session `id` (the first one named is
    /// kept, for the lines of that input that name none: [`Sessions::file_session`]).
    pub fn note_file_session(&mut self, file: &str, id: &str) {
        // Lines come file by file: most calls repeat the previous one.
        if self.last_noted_file.as_deref() == Some(file) {
            return;
        }
        self.last_noted_file = Some(Box::from(file));
        if !self.file_sessions.contains_key(file) {
            self.file_sessions.insert(Box::from(file), Box::from(id));
        }
    }

    /// The first session a line of the input `file` named, if any.
    pub fn file_session(&self, file: &str) -> Option<&str> {
        self.file_sessions.get(file).map(|id| &**id)
    }

    /// Remembers which session only about the latest `lines` line uuids belong to (to place
    /// `summary` titles), instead of all of them: for a process that runs for days, so that
    /// its memory does not grow with every line read (20 bytes each).
    pub fn remember_lines(&mut self, lines: usize) {
        self.leaves.set_limit(Some(lines));
    }

    /// Summary titles whose leaf has not been seen (they describe sessions not read).
    pub fn unresolved_summaries(&self) -> usize {
        self.leaves.parked()
    }

    /// Which session each line uuid read belongs to, and the summaries waiting for theirs:
    /// for [`leaves::WaitedLeaves::of`] and [`LeafIndex::find_waited`] before registries are
    /// [merged](Sessions::merge).
    pub fn leaf_index(&self) -> &LeafIndex {
        &self.leaves
    }

    /// Gives the leaf index the waited leaves it holds ([`LeafIndex::set_held`]): merging
    /// registries that all carry those of one waited set places their summaries with a probe
    /// each, not one per registry merged before.
    pub fn set_held_leaves(&mut self, held: leaves::HeldLeaves) {
        self.leaves.set_held(held);
    }

    fn apply_resolved(&mut self, resolved: Vec<Resolved>) {
        for r in resolved {
            if let Some(session) = self.sessions.get_mut(&r.session_id) {
                session.set_title(r.title, TitleSource::Summary);
            }
        }
    }

    /// Adds the sessions of another registry (built from other files, in another thread).
    /// Counts add up; for facts that change over time (cwd, context, flow) the session whose
    /// last event is later wins. Responses are deduplicated within each registry only: give
    /// files that can share API responses (a session, its subagents, copies of it) to the same
    /// one.
    pub fn merge(&mut self, other: Sessions) {
        for (id, theirs) in other.sessions {
            match self.sessions.get_mut(&id) {
                Some(ours) => ours.merge(*theirs),
                None => {
                    self.sessions.insert(id, theirs);
                }
            }
        }
        self.spawned_by.extend(other.spawned_by);
        for (file, id) in other.file_sessions {
            self.file_sessions.entry(file).or_insert(id);
        }
        let resolved = self.leaves.merge(other.leaves);
        self.apply_resolved(resolved);
    }

    /// Closes every running step as abandoned (the input ended), and counts a subagent that a
    /// session names as read when a line of it was read in any session of the run: a resumed
    /// session's copied lines name its original's subagents, whose transcripts carry the
    /// original's session id (tester13 #1: the copy sorted first made the run's cost unknown).
    pub fn end_of_input(&mut self) {
        for s in self.sessions.values_mut() {
            s.close_running(StepStatus::Abandoned);
        }
        Named::settle(self.sessions.values_mut().map(|s| &mut s.named));
    }

    /// The sessions, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values().map(|s| &**s)
    }

    /// One session.
    pub fn get(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id).map(|s| &**s)
    }

    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Sessions, most recently active first.
    pub fn by_recency(&self) -> Vec<&Session> {
        let mut v: Vec<&Session> = self.iter().collect();
        v.sort_by(|a, b| {
            b.last
                .as_ref()
                .map(|l| l.0)
                .cmp(&a.last.as_ref().map(|l| l.0))
                .then(a.id.cmp(&b.id))
        });
        v
    }
}

/// Whether a Task result (`toolUseResult`, raw) records usage of its subagent's own: its
/// `totalTokens` member above 0 (2.0.x – 2.1.x `completed` results; a background run's
/// `async_launched` result has none). Source: marot/spotter 258c7280 (`"totalTokens":43179`).
pub(crate) fn records_usage(raw: &str) -> bool {
    let mut tokens = 0u64;
    let _ = crate::format::claude::scan::for_each_member(raw, |key, value, _| {
        if key == "totalTokens" {
            tokens = value.parse().unwrap_or(0);
        }
        Ok::<(), crate::format::claude::scan::ScanError>(())
    });
    tokens > 0
}

/// The workflow run a file of a workflow agent's transcript belongs to, by its path: the
/// folder `wf_<runId>` after a `workflows` folder (Claude Code 2.1.1xx writes
/// `SESSION/subagents/workflows/wf_<runId>/agent-<id>.jsonl`; a backup may move the session
/// folder, `subagents/SESSION/workflows/wf_…/`; a flattened copy joins the parts with `__`).
/// Returns the run id as the launching result writes it (`wf_4af3c93a-ada`), or `None` for
/// any other path (`<stdin>` too). Source: austinweitao/claude-backup 3e89eb15 (2.1.167),
/// corpus FORMAT.md §1.
pub fn workflow_run_of_path(path: &str) -> Option<&str> {
    const SEPARATORS: [&str; 3] = ["/", "\\", "__"];
    let mut found = None;
    for (at, _) in path.match_indices("workflows") {
        let after = &path[at + "workflows".len()..];
        let Some(rest) = SEPARATORS.iter().find_map(|sep| after.strip_prefix(sep)) else {
            continue;
        };
        if !rest.starts_with("wf_") {
            continue;
        }
        let end = SEPARATORS
            .iter()
            .filter_map(|sep| rest.find(sep))
            .min()
            .unwrap_or(rest.len());
        if end > "wf_".len() {
            found = Some(&rest[..end]);
        }
    }
    found
}

/// The workflow run of the latest file asked about ([`workflow_run_of_path`]): lines come file
/// by file, so the path is scanned once per file, and each line of the same file costs one
/// compare of its name.
#[derive(Debug, Clone, Default)]
pub struct RunOfFile {
    /// The file last asked about and its run.
    last: Option<(Box<str>, Option<Box<str>>)>,
}

impl RunOfFile {
    /// The workflow run the file `path` belongs to ([`workflow_run_of_path`]).
    pub fn of(&mut self, path: &str) -> Option<&str> {
        if self.last.as_ref().is_none_or(|(file, _)| **file != *path) {
            self.last = Some((Box::from(path), workflow_run_of_path(path).map(Box::from)));
        }
        self.last.as_ref().and_then(|(_, run)| run.as_deref())
    }
}

/// The run id a tool result launching a workflow names (`toolUseResult` of Claude Code
/// 2.1.1xx's `Workflow` tool: `{"status":"async_launched","taskType":"local_workflow",
/// "runId":"wf_…","transcriptDir":"…"}`), or `None` for any other result.
pub(crate) fn workflow_run_launched(raw: &str) -> Option<String> {
    // Every tool result is asked: memchr's SIMD search, built once, where `str::contains`
    // (Two-Way, set up per call) took 1.7% of a summary of the shared corpus.
    static LOCAL_WORKFLOW: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"local_workflow\""));
    if !raw.starts_with('{') || LOCAL_WORKFLOW.find(raw.as_bytes()).is_none() {
        return None;
    }
    let record = crate::format::claude::record::member_string;
    if record(raw, "taskType")?.as_ref() != "local_workflow" {
        return None;
    }
    record(raw, "runId")
        .filter(|run| run.starts_with("wf_"))
        .map(|run| run.into_owned())
}

impl Session {
    /// The ids of the subagents a Task result or `agent_progress` line of this session names
    /// (`agentId`) whose usage was not read ([`Named::unread_subagents`]: no line of them, or
    /// none of the usage their Task result records): their transcripts were not among the
    /// inputs (another folder layout, a file deleted or not named), so their usage is missing
    /// from the session's figures.
    ///
    /// Then the ids of the workflow runs it launched of which no agent's line was read
    /// ([`Named::unread_runs`], `wf_…`).
    pub fn unread_subagents(&self) -> impl Iterator<Item = &str> {
        self.named
            .unread_subagents()
            .chain(self.named.unread_runs())
    }

    /// The ids of the workflow runs this session launched (`toolUseResult.runId`, `wf_…`) of
    /// which no agent's line was read ([`Named::unread_runs`]): their usage is missing from
    /// the session's figures.
    pub fn unread_workflow_runs(&self) -> impl Iterator<Item = &str> {
        self.named.unread_runs()
    }

    /// Applies `event`, of the workflow run `run` when its file is one of a run's agent
    /// ([`workflow_run_of_path`] of its file, found once per file by the caller).
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        event: &Event<'_>,
        run: Option<&str>,
        now_ms: i64,
        spawned_by: &mut HashMap<String, String>,
        pricing: &Pricing,
        last_model: &mut Option<(Box<str>, ModelId<'static>)>,
        last_price: &mut Option<PriceMemo>,
    ) {
        self.events += 1;
        let at = event
            .timestamp
            .as_deref()
            .and_then(|t| parse_millis(t).map(|ms| (ms, t)));
        // A record without a timestamp (Claude Code's `last-prompt`, `permission-mode`, …)
        // in a session that has them does not say when it was written: read from history it
        // is old, and the clock passed in (the time it was read) would make a session ended
        // months ago look live. Sessions without timestamps at all go by the clock.
        if at.is_some() || self.last.is_none() {
            self.last_seen_ms = Some(now_ms);
        }
        if let Some((ms, text)) = at {
            if self.first.as_ref().is_none_or(|f| ms < f.0) {
                self.first = Some((ms, text.to_owned()));
            }
            // Nearly every event is the latest so far: its text goes into the buffer kept.
            match &mut self.last {
                Some((last_ms, last_text)) if ms >= *last_ms => {
                    *last_ms = ms;
                    last_text.clear();
                    last_text.push_str(text);
                }
                Some(_) => {}
                None => self.last = Some((ms, text.to_owned())),
            }
        }
        set_if_some(&mut self.cwd, event.cwd.as_deref());
        set_if_some(
            &mut self.git_branch,
            event.git_branch.as_deref().filter(|b| !b.is_empty()),
        );
        set_if_some(&mut self.version, event.version.as_deref());
        if !matches!(event.kind, EventKind::Malformed(_)) {
            self.agent = event.agent;
        }
        self.named.observe(event, run);
        let agent = self.subagent_key(event);
        if let Some(key) = &agent {
            // The key is copied only for a subagent met for the first time.
            match self.subagents.get_mut(key) {
                Some(sub) => {
                    if sub.spawned_by.is_none() {
                        sub.spawned_by = spawned_by.get(key).cloned();
                    }
                }
                None => {
                    self.subagents.insert(
                        key.clone(),
                        Subagent {
                            compaction: key.starts_with("acompact"),
                            spawned_by: spawned_by.get(key).cloned(),
                            ..Subagent::default()
                        },
                    );
                }
            }
        }
        let ms = at.map(|(ms, _)| ms);
        if matches!(event.kind, EventKind::UserMeta { .. }) && agent.is_none() {
            self.meta += 1;
        }
        match &event.kind {
            EventKind::UserPrompt { text } if agent.is_none() => self.on_prompt(at, text, false),
            EventKind::UserMeta { text } if agent.is_none() => {
                // A slash command sent to the model is the prompt the user typed.
                if let Some(command) = command_prompt(text) {
                    let bare = !command.contains(char::is_whitespace);
                    self.on_prompt(at, &Text::from(command.as_str()), bare);
                }
            }
            EventKind::Thinking { .. } if agent.is_none() => self.push_flow_once(FlowNode::Think),
            EventKind::AssistantText { .. } if agent.is_none() => {
                self.push_flow_once(FlowNode::Assistant)
            }
            EventKind::ToolCall {
                tool_use_id,
                tool,
                message_id,
                input,
            } => {
                if let (Some(id), Some(prompt)) = (tool_use_id, task_prompt(tool, *input)) {
                    self.task_prompts.insert(prompt, id.to_string());
                }
                self.cost_explained.on_tool_call(
                    agent.as_deref(),
                    message_id.as_deref(),
                    tool,
                    tool_use_id.as_deref(),
                    ms,
                );
                match self.tools.get_mut(tool.as_ref()) {
                    Some(stats) => stats.calls += 1,
                    None => {
                        self.tools.insert(
                            tool.to_string(),
                            ToolStats {
                                calls: 1,
                                ..ToolStats::default()
                            },
                        );
                    }
                }
                if let Some(key) = &agent {
                    if let Some(sub) = self.subagents.get_mut(key) {
                        sub.tool_calls += 1;
                    }
                } else {
                    self.push_tool(tool, message_id.as_deref());
                }
                if let Some(id) = tool_use_id {
                    let step = Step {
                        id: id.to_string(),
                        tool: tool.to_string(),
                        started_ms: ms,
                        duration_ms: None,
                        status: StepStatus::Running,
                        agent: agent.clone(),
                    };
                    self.running.insert(id.to_string(), step);
                }
            }
            // A running subagent reported in its parent's transcript (2.1.2x–2.1.7x): listed
            // by name (whether it was read is `Session::named`'s).
            EventKind::Progress {
                agent_id: Some(agent_id),
                ..
            } if agent.is_none() && !self.subagents.contains_key(agent_id.as_ref()) => {
                self.subagents
                    .insert(agent_id.to_string(), Subagent::default());
            }
            EventKind::ToolResult {
                tool_use_id,
                is_error,
                duration_ms,
                spawned_agent_id,
                ..
            } => {
                let Some(id) = tool_use_id else { return };
                if let Some(agent_id) = spawned_agent_id {
                    spawned_by.insert(agent_id.to_string(), id.to_string());
                    let sub = self.subagents.entry(agent_id.to_string()).or_default();
                    sub.spawned_by = Some(id.to_string());
                    if agent.is_none() {
                        self.push_flow(FlowNode::Subagent(agent_id.to_string()));
                    }
                }
                if let Some(mut step) = self.running.remove(id.as_ref()) {
                    step.status = if *is_error {
                        StepStatus::Error
                    } else {
                        StepStatus::Ok
                    };
                    step.duration_ms = duration_ms.or_else(|| match (step.started_ms, ms) {
                        (Some(s), Some(e)) => Some(e.saturating_sub(s).max(0) as u64),
                        _ => None,
                    });
                    if !self.tools.contains_key(&step.tool) {
                        self.tools.insert(step.tool.clone(), ToolStats::default());
                    }
                    if let Some(stats) = self.tools.get_mut(&step.tool) {
                        if *is_error {
                            stats.errors += 1;
                        }
                        if let Some(d) = step.duration_ms {
                            stats.durations.record(d);
                        }
                    }
                    self.remember(step);
                }
            }
            EventKind::Interrupt { .. } => {
                self.interruptions += 1;
                // The interrupted calls are those of the chain the marker is on.
                let agent_of = agent.clone();
                let ids: Vec<String> = self
                    .running
                    .iter()
                    .filter(|(_, s)| s.agent == agent_of)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in ids {
                    if let Some(mut step) = self.running.remove(&id) {
                        step.status = StepStatus::Interrupted;
                        self.remember(step);
                    }
                }
                if agent.is_none() {
                    self.push_flow(FlowNode::Interrupt);
                }
            }
            EventKind::Usage {
                message_id,
                model,
                tokens,
                increment,
                factors,
                repriced,
                unread,
                context,
                window: stated_window,
                ..
            } => {
                if let Some(awaits) = event.awaits_totals() {
                    self.awaiting_totals = awaits;
                }
                // The model's name is copied only the first time it is met, and taken apart
                // once for its price and its window.
                let model = model.as_deref().unwrap_or("unknown");
                if last_model.as_ref().is_none_or(|m| *m.0 != *model) {
                    *last_price = None;
                }
                let id = cost_explained::model_id(last_model, model);
                // Priced now, as its own request: the premium and the speed are per request,
                // and the rates those of its own time (none: the current ones). What
                // `Pricing::request_cost_of` gives, its lookups done again only when the
                // model, the factors or the period of the rates changed. A usage aegon could
                // not read whole has no known cost, never $0.
                let price = match last_price.as_ref().and_then(|m| m.price_for(factors, ms)) {
                    Some(price) => price,
                    None => {
                        let window = match last_price.as_ref() {
                            Some(memo) => memo.window,
                            None => pricing.context_window_of(model, id),
                        };
                        let dated = pricing.request_price(id, factors, ms);
                        *last_price = Some(PriceMemo {
                            speed: factors.speed.clone(),
                            service_tier: factors.service_tier.clone(),
                            inference_geo: factors.inference_geo.clone(),
                            price: dated,
                            window,
                        });
                        dated.price
                    }
                };
                // A later line that re-prices what its response counted before carries it
                // (`repriced`): the one rule of every view.
                let priced = price.and_then(|p| {
                    p.usage_cost(tokens, factors, repriced.as_deref(), |f| {
                        pricing.request_price(id, f, ms).price
                    })
                });
                let cost = priced.filter(|_| unread.is_none());
                // Writes counted as 5-minute ones that a later line says were 1-hour ones.
                let moved = repriced.as_ref().map_or(0, |r| r.moved_to_1h);
                if !self.usage.contains_key(model) {
                    self.usage.insert(model.to_owned(), ModelUsage::default());
                }
                if let Some(usage) = self.usage.get_mut(model) {
                    usage.tokens = usage.tokens.saturating_add(*tokens).moved_to_1h(moved);
                    match cost {
                        Some(cost) => usage.add_cost(cost),
                        None => {
                            usage.unpriced += 1;
                            // Unread usage of a request with a price: that is why; with no
                            // price either, the missing price is (the model is one without).
                            let why = match unread.filter(|_| priced.is_some()) {
                                Some(u) => {
                                    usage.unread += 1;
                                    u.describe().to_owned()
                                }
                                None => pricing.unpriced_factor(id, factors, ms),
                            };
                            if !usage.unpriced_why.contains(&why) {
                                usage.unpriced_why.insert(why);
                            }
                        }
                    }
                    if !increment {
                        usage.api_calls += 1;
                    }
                }
                self.cost_explained.on_usage(
                    agent.as_deref(),
                    at,
                    message_id.as_deref(),
                    model,
                    tokens,
                    factors,
                    *increment,
                    cost,
                    pricing,
                    event.agent.counts_cache_writes(),
                    event.copied,
                );
                if !self.models.contains(model) {
                    self.models.insert(model.to_owned());
                }
                match &agent {
                    Some(key) => {
                        if let Some(sub) = self.subagents.get_mut(key) {
                            sub.tokens = sub.tokens.saturating_add(*tokens).moved_to_1h(moved);
                            if !increment {
                                sub.api_calls += 1;
                            }
                        }
                    }
                    None if !increment => {
                        if self.model.as_deref() != Some(model) {
                            self.model = Some(model.to_owned());
                        }
                        let fill = context.unwrap_or_else(|| tokens.total_input());
                        // The window the transcript states wins over the price table's.
                        let window = stated_window.unwrap_or_else(|| {
                            let window = last_price
                                .as_ref()
                                .map_or_else(|| pricing.context_window_of(model, id), |m| m.window);
                            // Usage beyond the window says the session runs with the large one.
                            if fill > window && window < LARGE_CONTEXT_WINDOW {
                                LARGE_CONTEXT_WINDOW
                            } else {
                                window
                            }
                        });
                        // Counts aegon could not read say nothing of the context: it stays.
                        if !unread.is_some_and(Unread::counts_unknown) {
                            self.context = Some(ContextFill {
                                tokens: fill,
                                window,
                                compacted: false,
                            });
                        }
                    }
                    None => {}
                }
            }
            EventKind::Compact { post_tokens, .. } => {
                self.cost_explained.on_compaction(agent.as_deref());
                self.compactions += 1;
                self.awaiting_summary = true;
                self.reset_context(post_tokens.unwrap_or(0));
                self.push_flow(FlowNode::Compact);
            }
            // 1.0.90 wrote no boundary line: the summary alone marks the compaction.
            EventKind::CompactSummary { .. } if !std::mem::take(&mut self.awaiting_summary) => {
                self.cost_explained.on_compaction(agent.as_deref());
                self.compactions += 1;
                self.reset_context(0);
                self.push_flow(FlowNode::Compact);
            }
            EventKind::ApiError { fatal, .. } => {
                self.cost_explained.on_api_error(agent.as_deref());
                if *fatal {
                    self.api_errors += 1;
                    if agent.is_none() {
                        self.push_flow(FlowNode::Error);
                    }
                } else {
                    self.retries += 1;
                }
            }
            EventKind::Title { title, source, .. } => self.set_title(title.to_string(), *source),
            EventKind::PermissionMode { mode } => self.permission_mode = Some(mode.to_string()),
            _ => {}
        }
    }

    /// A human prompt on the main chain, at `at`; `bare`: a slash command without arguments.
    fn on_prompt(&mut self, at: Option<(i64, &str)>, text: &Text<'_>, bare: bool) {
        self.prompts += 1;
        if self.first_prompt.is_none() || (self.first_prompt_bare && !bare) {
            self.first_prompt = Some(prompt::prompt_title(text, FIRST_PROMPT_CHARS));
            self.first_prompt_bare = bare;
        }
        self.cost_explained.on_prompt(at, text);
        self.close_running(StepStatus::Abandoned);
        self.push_flow(FlowNode::User);
    }

    /// Takes `text` as the title unless a title of a stronger kind is set (custom > ai >
    /// summary; among equals the last one wins).
    fn set_title(&mut self, text: String, source: TitleSource) {
        let title = Title { text, source };
        if title_rank(Some(&title)) >= title_rank(self.title.as_ref()) {
            self.title = Some(title);
        }
    }

    fn merge(&mut self, theirs: Session) {
        let theirs_later = theirs.last.as_ref().map(|l| l.0) > self.last.as_ref().map(|l| l.0);
        let (ours_rank, theirs_rank) = (
            title_rank(self.title.as_ref()),
            title_rank(theirs.title.as_ref()),
        );
        if theirs_rank > ours_rank || (theirs_rank == ours_rank && theirs_later) {
            self.title = theirs.title.or(self.title.take());
        }
        self.models.extend(theirs.models);
        self.cost_explained.merge(theirs.cost_explained);
        for (model, u) in theirs.usage {
            let ours = self.usage.entry(model).or_default();
            ours.tokens = ours.tokens.saturating_add(u.tokens);
            ours.api_calls += u.api_calls;
            ours.cost_pico = ours.cost_pico.saturating_add(u.cost_pico);
            ours.unpriced += u.unpriced;
            ours.unread += u.unread;
            ours.unpriced_why.extend(u.unpriced_why);
        }
        for (name, t) in theirs.tools {
            let ours = self.tools.entry(name).or_default();
            ours.calls += t.calls;
            ours.errors += t.errors;
            ours.durations.merge(&t.durations);
        }
        for (id, sub) in theirs.subagents {
            let ours = self.subagents.entry(id).or_default();
            ours.tokens = ours.tokens.saturating_add(sub.tokens);
            ours.api_calls += sub.api_calls;
            ours.tool_calls += sub.tool_calls;
            ours.spawned_by = ours.spawned_by.take().or(sub.spawned_by);
            ours.compaction |= sub.compaction;
        }
        self.named.merge(theirs.named);
        self.prompts += theirs.prompts;
        self.meta += theirs.meta;
        self.api_errors += theirs.api_errors;
        self.retries += theirs.retries;
        self.interruptions += theirs.interruptions;
        self.compactions += theirs.compactions;
        self.events += theirs.events;
        let theirs_earlier = match (&theirs.first, &self.first) {
            (Some(t), Some(o)) => t.0 < o.0,
            (Some(_), None) => true,
            (None, _) => false,
        };
        // A bare command's title gives way to a prompt of the user's own words from the
        // other side, whichever came first.
        let take_theirs = match (&theirs.first_prompt, &self.first_prompt) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(_), Some(_)) => match (theirs.first_prompt_bare, self.first_prompt_bare) {
                (false, true) => true,
                (true, false) => false,
                _ => theirs_earlier,
            },
        };
        if take_theirs {
            self.first_prompt = theirs.first_prompt;
            self.first_prompt_bare = theirs.first_prompt_bare;
        }
        if theirs_earlier {
            self.first = theirs.first;
        }
        if theirs_later {
            self.last = theirs.last;
            self.cwd = theirs.cwd.or(self.cwd.take());
            self.git_branch = theirs.git_branch.or(self.git_branch.take());
            self.version = theirs.version.or(self.version.take());
            self.agent = theirs.agent;
            self.permission_mode = theirs.permission_mode.or(self.permission_mode.take());
            self.context = theirs.context.or(self.context.take());
            self.model = theirs.model.or(self.model.take());
            self.flow = theirs.flow;
            self.recent = theirs.recent;
            self.awaiting_totals = theirs.awaiting_totals;
        }
        self.last_seen_ms = self.last_seen_ms.max(theirs.last_seen_ms);
        self.running.extend(theirs.running);
    }

    /// The subagent an event belongs to: its `agentId`; for 1.0.x inline sidechains, the run
    /// the line is in (a sidechain prompt starts a run, linked to the Task call whose prompt it
    /// is).
    fn subagent_key(&mut self, event: &Event<'_>) -> Option<String> {
        match (&event.agent_id, event.sidechain) {
            (Some(id), _) => Some(id.to_string()),
            (None, true) => {
                if let EventKind::UserPrompt { text } | EventKind::UserMeta { text } = &event.kind {
                    self.inline_runs += 1;
                    let key = format!("{INLINE_SIDECHAIN}-{}", self.inline_runs);
                    let spawned_by = self.task_prompts.remove(&hash_text(&text.to_str()));
                    self.subagents.insert(
                        key,
                        Subagent {
                            spawned_by,
                            ..Subagent::default()
                        },
                    );
                }
                Some(format!("{INLINE_SIDECHAIN}-{}", self.inline_runs.max(1)))
            }
            (None, false) => None,
        }
    }

    fn reset_context(&mut self, tokens: u64) {
        if let Some(c) = &mut self.context {
            c.tokens = tokens;
            c.compacted = true;
        }
    }

    fn close_running(&mut self, status: StepStatus) {
        let running = std::mem::take(&mut self.running);
        for (_, mut step) in running {
            step.status = status;
            self.remember(step);
        }
    }

    fn remember(&mut self, step: Step) {
        if self.recent.len() == RECENT_STEPS {
            self.recent.pop_front();
        }
        self.recent.push_back(step);
    }

    fn push_flow(&mut self, node: FlowNode) {
        if self.flow.len() == FLOW_NODES {
            self.flow.pop_front();
        }
        self.flow.push_back(node);
        self.flow_message = None;
    }

    /// Several text or thinking blocks in a row are one step of the flow.
    fn push_flow_once(&mut self, node: FlowNode) {
        if self.flow.back() != Some(&node) {
            self.push_flow(node);
        }
    }

    /// Tool calls of the same response are grouped: they run in parallel.
    fn push_tool(&mut self, tool: &str, message_id: Option<&str>) {
        if let (Some(FlowNode::Tools(tools)), Some(current), Some(id)) = (
            self.flow.back_mut(),
            self.flow_message.as_deref(),
            message_id,
        ) {
            if current == id {
                tools.push(tool.to_owned());
                return;
            }
        }
        self.push_flow(FlowNode::Tools(vec![tool.to_owned()]));
        self.flow_message = message_id.map(str::to_owned);
    }

    /// Tokens over all models.
    pub fn tokens(&self) -> Tokens {
        self.usage
            .values()
            .fold(Tokens::default(), |t, u| t.saturating_add(u.tokens))
    }

    /// API responses over all models.
    pub fn api_calls(&self) -> u64 {
        self.usage.values().map(|u| u.api_calls).sum()
    }

    /// Tool calls over all tools.
    pub fn tool_calls(&self) -> u64 {
        self.tools.values().map(|t| t.calls).sum()
    }

    /// Tool results that were errors.
    pub fn tool_errors(&self) -> u64 {
        self.tools.values().map(|t| t.errors).sum()
    }

    /// Cost in dollars, each API response priced as a request of its own when it was applied
    /// (with the [`Sessions`]' prices), or `None` when one has no known price, while the
    /// session [awaits its totals](Session::awaits_totals) (its requests' input is not
    /// written yet), or when it names a subagent of which no line was read
    /// ([`Session::unread_subagents`]: that usage is missing). [`Session::priced_cost`] is
    /// then a lower bound.
    pub fn cost(&self) -> Option<f64> {
        let unpriced = self.usage.values().any(|u| u.unpriced > 0);
        let complete =
            !unpriced && !self.awaiting_totals && self.unread_subagents().next().is_none();
        complete.then(|| self.priced_cost())
    }

    /// Whether the session's latest requests have input counts written only later, in
    /// session totals that have not come yet ([`crate::event::Event::awaits_totals`]: a
    /// running Copilot CLI session, before its `session.shutdown`). Its cost is unknown
    /// meanwhile, even where the input never ends (a followed file, the dashboard), where no
    /// [`crate::tokens::Unread::NotYetWritten`] marker is read.
    pub fn awaits_totals(&self) -> bool {
        self.awaiting_totals
    }

    /// Cost in dollars of the responses whose price is known (a lower bound when some are
    /// not). Added up exactly: the same whatever the order the responses were read in.
    pub fn priced_cost(&self) -> f64 {
        let pico = self
            .usage
            .values()
            .fold(0u128, |sum, u| sum.saturating_add(u.cost_pico));
        crate::session::pricing::from_pico(pico)
    }

    /// Why the cost is unknown, one phrase per cause, for a person
    /// ([`describe_unpriced`] of [`Session::unpriced_causes`]): `no price for claude-zeta-9,
    /// gpt-x` (models the table lacks), `no price for service tier flex (claude-opus-5)`,
    /// `usage with no token count aegon knows (claude-opus-5)`. Empty when every response has
    /// a price.
    pub fn unpriced_reasons(&self) -> Vec<String> {
        describe_unpriced(&self.unpriced_causes())
    }

    /// The causes of the responses with no price, each with its models: `model` for models
    /// the table lacks, else the factor (`service tier flex`) or what could not be read
    /// ([`crate::tokens::Unread::describe`]); subagents named but not read
    /// ([`crate::tokens::Unread::Subagent`]) with their ids in place of models (theirs are
    /// not known). Merged over sessions by uniting the sets.
    pub fn unpriced_causes(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut causes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for id in self.unread_subagents() {
            causes
                .entry(Unread::Subagent.describe().to_owned())
                .or_default()
                .insert(id.to_owned());
        }
        for (m, u) in self.usage.iter().filter(|(_, u)| u.unpriced > 0) {
            if u.unpriced_why.is_empty() {
                causes
                    .entry("model".to_owned())
                    .or_default()
                    .insert(m.clone());
            }
            for why in &u.unpriced_why {
                let cause = if why.starts_with("model ") {
                    "model"
                } else {
                    why.as_str()
                };
                causes
                    .entry(cause.to_owned())
                    .or_default()
                    .insert(m.clone());
            }
        }
        causes
    }

    /// Models with a response that has no known price: the model is not in the table, or a
    /// speed, service tier or inference geo of the response is not. Not a model whose
    /// responses' cost is unknown only because their usage could not be read whole
    /// ([`ModelUsage::unread`]; tester8 finding 8: a priced model was listed): the session's
    /// cost is unknown then too ([`Session::cost`]), and [`Session::unpriced_reasons`] says why.
    pub fn unpriced_models(&self) -> Vec<&str> {
        self.usage
            .iter()
            .filter(|(_, u)| u.unpriced > u.unread)
            .map(|(m, _)| m.as_str())
            .collect()
    }

    /// True for a session with nothing of its own: no API call, prompt, injected context or
    /// command of its main chain ([`Session::meta`]), tool call or title (a 2.0.x "Warmup"
    /// subagent file names such a session; FORMAT.md §1), and no tokens. A session opened and
    /// left before any request is not empty, whatever the agent: a Claude Code session with a
    /// prompt and no answer, a Codex rollout with only its header and context. Nor is one
    /// whose only usage is the increase of a response counted in another session (a resumed
    /// session holding the final line of a response its parent's file ends partway through):
    /// its tokens and cost are its own.
    pub fn is_empty(&self) -> bool {
        self.api_calls() == 0
            && self.tokens().is_zero()
            && self.prompts == 0
            && self.meta == 0
            && self.tool_calls() == 0
            && self.title.is_none()
            && self.api_errors == 0
    }

    /// Steps still waiting for their result.
    pub fn running(&self) -> impl Iterator<Item = &Step> {
        self.running.values()
    }

    /// The most recent finished steps, oldest first.
    pub fn recent_steps(&self) -> impl Iterator<Item = &Step> {
        self.recent.iter()
    }

    /// The recent flow, oldest first.
    pub fn flow(&self) -> impl Iterator<Item = &FlowNode> {
        self.flow.iter()
    }

    /// The flow as a line: `USER → THINK → [Bash ‖ Read] → ASST`.
    pub fn flow_line(&self) -> String {
        let parts: Vec<String> = self
            .flow
            .iter()
            .map(|n| match n {
                FlowNode::User => "USER".to_owned(),
                FlowNode::Think => "THINK".to_owned(),
                FlowNode::Assistant => "ASST".to_owned(),
                FlowNode::Compact => "COMPACT".to_owned(),
                FlowNode::Interrupt => "INTERRUPT".to_owned(),
                FlowNode::Error => "API-ERROR".to_owned(),
                FlowNode::Subagent(id) => format!("AGENT {id}"),
                FlowNode::Tools(tools) if tools.len() == 1 => tools[0].clone(),
                FlowNode::Tools(tools) => format!("[{}]", tools.join(" ‖ ")),
            })
            .collect();
        parts.join(" → ")
    }

    /// Live or idle at `now_ms`.
    pub fn activity(&self, now_ms: i64) -> Activity {
        let recent = self
            .last_seen_ms
            .is_some_and(|t| now_ms - t <= IDLE_AFTER_MS);
        // A call without a start time started no later than the latest event seen.
        let running = self.running.values().any(|s| {
            s.started_ms
                .or(self.last_seen_ms)
                .is_some_and(|t| now_ms - t <= RUNNING_LIVE_MS)
        });
        if recent || running {
            Activity::Live
        } else {
            Activity::Idle
        }
    }

    /// First to last timestamp.
    pub fn duration_ms(&self) -> Option<u64> {
        match (&self.first, &self.last) {
            (Some(f), Some(l)) => Some((l.0 - f.0).max(0) as u64),
            _ => None,
        }
    }
}

fn set_if_some(slot: &mut Option<String>, value: Option<&str>) {
    if let Some(v) = value {
        if slot.as_deref() != Some(v) {
            *slot = Some(v.to_owned());
        }
    }
}

/// The prompt of a `Task`/`Agent` call, hashed (only compared, never shown).
fn task_prompt(tool: &str, input: Option<crate::json::RawJson<'_>>) -> Option<u64> {
    if tool != "Task" && tool != "Agent" {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Input<'a> {
        #[serde(borrow)]
        prompt: crate::text::Text<'a>,
    }
    let input: Input<'_> = serde_json::from_str(input?.get()).ok()?;
    Some(hash_text(&input.prompt.to_str()))
}

/// How strong a title is: custom > ai > summary > none.
fn title_rank(title: Option<&Title>) -> u8 {
    match title.map(|t| t.source) {
        Some(TitleSource::Custom) => 3,
        Some(TitleSource::Ai) => 2,
        Some(TitleSource::Summary) => 1,
        None => 0,
    }
}

fn hash_text(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.trim().hash(&mut h);
    h.finish()
}

/// [`Session::unpriced_causes`] in words, one phrase per cause: `no price for A, B` for the
/// models the table lacks, `no price for service tier flex (A)` for a factor, `usage with no
/// token count aegon knows (A)` for a usage not read whole. A model written as `""` is named
/// so, not left blank.
pub fn describe_unpriced(causes: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let shown = |ms: &BTreeSet<String>| {
        ms.iter()
            .map(|m| if m.is_empty() { "\"\"" } else { m.as_str() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut reasons = Vec::new();
    if let Some(ms) = causes.get("model") {
        reasons.push(format!("no price for {}", shown(ms)));
    }
    for (why, ms) in causes.iter().filter(|(w, _)| *w != "model") {
        let factor = ["speed ", "service tier ", "inference geo "]
            .iter()
            .any(|p| why.starts_with(p));
        let why = if factor {
            format!("no price for {why}")
        } else {
            why.clone()
        };
        reasons.push(format!("{why} ({})", shown(ms)));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::event::Source;
    use crate::format::claude::decode::bare_event;
    use crate::tokens::PriceFactors;

    /// Events in, state out: each test builds a small stream the way the decoder emits it.
    struct Stream {
        sessions: Sessions,
    }

    fn at(s: &'static str) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(s))
    }

    impl Stream {
        fn new() -> Self {
            Stream {
                sessions: Sessions::new(),
            }
        }

        fn push(
            &mut self,
            ts: &'static str,
            agent: Option<&'static str>,
            kind: EventKind<'static>,
        ) -> &mut Self {
            let source = Source {
                file: "t",
                line: 1,
                offset: 0,
            };
            let event = Event {
                session_id: at("s1"),
                timestamp: at(ts),
                agent_id: agent.map(Cow::Borrowed),
                sidechain: agent.is_some(),
                cwd: at("/repo"),
                git_branch: at("main"),
                version: at("2.1.39"),
                ..bare_event(source, kind)
            };
            let now = parse_millis(ts).unwrap();
            self.sessions.apply(&event, now);
            self
        }

        fn session(&self) -> &Session {
            self.sessions.get("s1").unwrap()
        }
    }

    fn prompt() -> EventKind<'static> {
        EventKind::UserPrompt { text: "go".into() }
    }

    fn call(id: &'static str, tool: &'static str, message: &'static str) -> EventKind<'static> {
        EventKind::ToolCall {
            message_id: at(message),
            tool_use_id: at(id),
            tool: Cow::Borrowed(tool),
            input: None,
        }
    }

    fn result(id: &'static str, is_error: bool) -> EventKind<'static> {
        EventKind::ToolResult {
            tool_use_id: at(id),
            is_error,
            tool: None,
            duration_ms: None,
            content: None,
            spawned_agent_id: None,
            raw_result: None,
        }
    }

    fn usage(model: &'static str, input: u64, output: u64, increment: bool) -> EventKind<'static> {
        priced_usage(model, input, output, increment, PriceFactors::default())
    }

    fn priced_usage(
        model: &'static str,
        input: u64,
        output: u64,
        increment: bool,
        factors: PriceFactors,
    ) -> EventKind<'static> {
        EventKind::Usage {
            message_id: at("m"),
            request_id: None,
            model: at(model),
            tokens: Tokens {
                input,
                output,
                cache_read: 1000,
                ..Tokens::default()
            },
            increment,
            factors,
            reasoning: None,
            unread: None,
            context: None,
            window: None,
            repriced: None,
        }
    }

    #[test]
    fn steps_pair_by_id_with_durations_and_statuses() {
        let mut s = Stream::new();
        s.push("2026-01-01T00:00:00.000Z", None, prompt())
            .push("2026-01-01T00:00:01.000Z", None, call("a", "Bash", "m1"))
            .push("2026-01-01T00:00:01.100Z", None, call("b", "Read", "m1"))
            .push("2026-01-01T00:00:01.300Z", None, result("b", false))
            .push("2026-01-01T00:00:04.000Z", None, result("a", true))
            .push("2026-01-01T00:00:05.000Z", None, call("c", "Bash", "m2"));
        let sess = s.session();
        assert_eq!(sess.running().count(), 1, "c is still running");
        assert_eq!(sess.tools["Bash"].calls, 2);
        assert_eq!(sess.tools["Bash"].errors, 1);
        let p50 = sess.tools["Bash"].durations.percentile(50.0).unwrap();
        assert!(p50.abs_diff(3000) <= 30, "3 s to within 1 %: {p50}");
        let read = sess.tools["Read"].durations.percentile(50.0).unwrap();
        assert!(read.abs_diff(200) <= 2, "200 ms to within 1 %: {read}");
        let done: Vec<_> = sess
            .recent_steps()
            .map(|st| (st.id.as_str(), st.status))
            .collect();
        assert_eq!(done, [("b", StepStatus::Ok), ("a", StepStatus::Error)]);
        assert_eq!(sess.flow_line(), "USER → [Bash ‖ Read] → Bash");
        assert_eq!(
            sess.activity(parse_millis("2026-01-01T00:10:00.000Z").unwrap()),
            Activity::Live,
            "a tool runs"
        );
        assert_eq!(
            sess.activity(parse_millis("2026-01-01T01:00:00.000Z").unwrap()),
            Activity::Idle,
            "a call left without a result an hour ago"
        );
        // A new human prompt abandons what was left running.
        s.push("2026-01-01T00:01:00.000Z", None, prompt());
        let sess = s.session();
        assert_eq!(sess.running().count(), 0);
        assert_eq!(
            sess.recent_steps().last().map(|st| st.status),
            Some(StepStatus::Abandoned)
        );
        assert_eq!(sess.prompts, 2);
        assert_eq!(
            sess.activity(parse_millis("2026-01-01T00:10:00.000Z").unwrap()),
            Activity::Idle
        );
    }

    fn meta(text: &'static str) -> EventKind<'static> {
        EventKind::UserMeta { text: text.into() }
    }

    /// Claude Code 1.0.98's message for a typed `/orchestrator create TODO app by Next.js`
    /// (corpus d-kimuson fe5e1c67, line 1).
    const ORCHESTRATOR: &str = "<command-message>orchestrator is running…</command-message>\n<command-name>/orchestrator</command-name>\n<command-args>create TODO app by Next.js</command-args>";

    #[test]
    fn a_slash_command_sent_to_the_model_is_a_prompt() {
        let mut s = Stream::new();
        s.push("2026-01-01T00:00:00.000Z", None, meta(ORCHESTRATOR))
            // The command's expanded body (isMeta) is not another prompt.
            .push(
                "2026-01-01T00:00:00.100Z",
                None,
                meta("You are an orchestrator…"),
            )
            .push(
                "2026-01-01T00:00:05.000Z",
                None,
                usage("claude-sonnet-4-5", 100, 10, false),
            )
            .push("2026-01-01T00:01:00.000Z", None, prompt())
            .push(
                "2026-01-01T00:01:05.000Z",
                None,
                usage("claude-sonnet-4-5", 200, 20, false),
            );
        let sess = s.session();
        assert_eq!(sess.prompts, 2);
        assert_eq!(
            sess.first_prompt.as_deref(),
            Some("/orchestrator create TODO app by Next.js")
        );
        let prompts = &sess.cost_explained.prompts;
        assert_eq!(prompts.len(), 2);
        assert_eq!(prompts[0].text, "/orchestrator create TODO app by Next.js");
        assert_eq!(
            prompts[0].at.as_ref().map(|a| a.1.as_str()),
            Some("2026-01-01T00:00:00.000Z"),
            "counted at the command's time"
        );
        assert_eq!(prompts[0].api_calls, 1, "the answer is the command's");
        assert_eq!(sess.cost_explained.preamble.api_calls, 0);
        assert_eq!(sess.flow_line(), "USER → USER");
    }

    /// A transcript of a million prompts kept memory growing with them (and a `--summary
    /// --json` list of a million entries): past `PROMPTS_KEPT`, prompts are counted with the
    /// last kept one, and the figures still add up to the session's.
    #[test]
    fn prompts_past_the_kept_number_are_counted_with_the_last_kept_one() {
        use crate::session::cost_explained::PROMPTS_KEPT;
        let n = PROMPTS_KEPT + 3;
        let mut s = Stream::new();
        for i in 0..n {
            let t = 2 * i;
            let at = |sec: usize| {
                format!(
                    "2026-01-01T{:02}:{:02}:{:02}.000Z",
                    sec / 3600,
                    sec / 60 % 60,
                    sec % 60
                )
            };
            // The stream takes `'static` times: leaked, in a test.
            s.push(at(t).leak(), None, prompt()).push(
                at(t + 1).leak(),
                None,
                usage("claude-sonnet-4-5", 100, 10, false),
            );
        }
        let sess = s.session();
        assert_eq!(sess.prompts, n as u64);
        let kept = &sess.cost_explained.prompts;
        assert_eq!(kept.len(), PROMPTS_KEPT);
        let last = &kept[PROMPTS_KEPT - 1];
        assert_eq!(last.later_prompts, 3);
        assert_eq!(
            last.api_calls, 4,
            "its own response and the three later ones"
        );
        assert!(kept[..PROMPTS_KEPT - 1]
            .iter()
            .all(|p| p.later_prompts == 0));
        let by_prompt = sess.cost_by_prompt();
        let calls: u64 = by_prompt.iter().map(|p| p.prompt.api_calls).sum();
        assert_eq!(calls, n as u64);
        let pico: u128 = by_prompt.iter().map(|p| p.total().pico).sum();
        let one = by_prompt[1].total().pico;
        assert!(one > 0);
        assert_eq!(pico, one * n as u128, "every response counted once");
        assert_eq!(by_prompt[PROMPTS_KEPT].total().pico, one * 4);
    }

    #[test]
    fn a_local_command_or_a_subagents_is_not_a_prompt() {
        let mut s = Stream::new();
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            meta("<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args>opus</command-args>"),
        )
        .push(
            "2026-01-01T00:00:00.100Z",
            None,
            meta("<local-command-stdout>Set model to opus</local-command-stdout>"),
        )
        .push("2026-01-01T00:00:01.000Z", Some("a1"), meta(ORCHESTRATOR))
        .push("2026-01-01T00:01:00.000Z", None, prompt())
        .push("2026-01-01T00:01:05.000Z", None, usage("claude-opus-4-6", 1, 1, false));
        let sess = s.session();
        assert_eq!(sess.prompts, 1);
        assert_eq!(sess.first_prompt.as_deref(), Some("go"));
    }

    #[test]
    fn a_bare_command_titles_a_session_only_until_words_are_typed() {
        let mut s = Stream::new();
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            meta("<command-message>init is analyzing your codebase…</command-message>\n<command-name>init</command-name>\n<command-args></command-args>"),
        )
        .push("2026-01-01T00:00:02.000Z", None, usage("claude-opus-4-6", 1, 1, false));
        assert_eq!(s.session().first_prompt.as_deref(), Some("/init"));
        s.push("2026-01-01T00:01:00.000Z", None, prompt());
        assert_eq!(s.session().prompts, 2);
        assert_eq!(s.session().first_prompt.as_deref(), Some("go"));
        // Merged with an earlier part that has only a bare command: the words still win.
        let mut early = Stream::new();
        early
            .push(
                "2025-12-31T00:00:00.000Z",
                None,
                meta("<command-name>/review</command-name>"),
            )
            .push(
                "2025-12-31T00:00:01.000Z",
                None,
                usage("claude-opus-4-6", 1, 1, false),
            );
        let mut ours = early.sessions;
        ours.merge(s.sessions);
        let sess = ours.get("s1").unwrap();
        assert_eq!(sess.first_prompt.as_deref(), Some("go"));
        assert_eq!(sess.prompts, 3);
    }

    /// An event of `kind` without a timestamp, applied when the clock says `now`.
    fn untimed(s: &mut Stream, now: &str, kind: EventKind<'static>) {
        let source = Source {
            file: "t",
            line: 2,
            offset: 0,
        };
        let event = Event {
            session_id: at("s1"),
            ..bare_event(source, kind)
        };
        s.sessions.apply(&event, parse_millis(now).unwrap());
    }

    #[test]
    fn records_without_timestamps_do_not_make_an_old_session_live() {
        // A session that ended long ago, read now: its last records (Claude Code's
        // `last-prompt`, `permission-mode`) carry no timestamp.
        let mut s = Stream::new();
        s.push("2026-04-16T16:41:00.000Z", None, prompt());
        let now = "2026-11-29T18:00:00.000Z";
        untimed(
            &mut s,
            now,
            EventKind::Unknown {
                record_type: Some("last-prompt".into()),
                block_type: None,
            },
        );
        assert_eq!(s.session().events, 2);
        assert_eq!(
            s.session().activity(parse_millis(now).unwrap()),
            Activity::Idle
        );
        // A call left without a result and without a start time: idle too.
        untimed(&mut s, now, call("a", "Bash", "m1"));
        assert_eq!(s.session().running().count(), 1);
        assert_eq!(
            s.session().activity(parse_millis(now).unwrap()),
            Activity::Idle
        );
        // A session whose records have no timestamps at all goes by when they arrive.
        let mut bare = Stream::new();
        untimed(&mut bare, now, prompt());
        let later = parse_millis(now).unwrap();
        assert_eq!(bare.session().activity(later + 1_000), Activity::Live);
        assert_eq!(
            bare.session().activity(later + IDLE_AFTER_MS + 1),
            Activity::Idle
        );
    }

    #[test]
    fn interruptions_close_the_running_calls_as_interrupted() {
        let mut s = Stream::new();
        s.push("2026-01-01T00:00:00.000Z", None, call("a", "Bash", "m1"))
            .push(
                "2026-01-01T00:00:02.000Z",
                None,
                EventKind::Interrupt {
                    text: "[Request interrupted by user for tool use]".into(),
                    during_tool: true,
                },
            );
        let sess = s.session();
        assert_eq!(sess.interruptions, 1);
        assert_eq!(
            sess.recent_steps().next().map(|st| st.status),
            Some(StepStatus::Interrupted)
        );
    }

    #[test]
    fn tokens_by_model_api_calls_and_cost() {
        let mut s = Stream::new();
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            usage("claude-sonnet-4-20250514", 10, 100, false),
        )
        .push(
            "2026-01-01T00:00:01.000Z",
            None,
            usage("claude-sonnet-4-20250514", 0, 50, true),
        )
        .push(
            "2026-01-01T00:00:02.000Z",
            None,
            usage("claude-opus-4-6", 5, 5, false),
        );
        let sess = s.session();
        assert_eq!(sess.api_calls(), 2);
        assert_eq!(sess.tokens().output, 155);
        assert_eq!(
            sess.tokens().cache_read,
            3000,
            "increments carry their own counts"
        );
        // Sonnet 4: 10×3 + 150×15 + 2000×0.3; Opus 4.6: 5×5 + 5×25 + 1000×0.5 (per million).
        let want =
            (10.0 * 3.0 + 150.0 * 15.0 + 2000.0 * 0.3 + 5.0 * 5.0 + 5.0 * 25.0 + 1000.0 * 0.5)
                / 1e6;
        assert!((sess.cost().unwrap() - want).abs() < 1e-9);
        s.push(
            "2026-01-01T00:00:03.000Z",
            None,
            usage("MiniMax-M3", 1, 1, false),
        );
        assert_eq!(
            s.session().cost(),
            None,
            "an unknown model makes the cost unknown, not $0"
        );
        assert_eq!(s.session().unpriced_models(), ["MiniMax-M3"]);
        assert!((s.session().priced_cost() - want).abs() < 1e-9);
    }

    /// Each response is priced at the rates of its own time: Sonnet 5.5's cache reads cost
    /// $0.20/Mtok until 2026-10-07 and $0.10 since ([S5.5] in the pricing module).
    #[test]
    fn responses_are_priced_at_the_rates_of_their_time() {
        let mut s = Stream::new();
        s.push("2026-10-06T12:00:00.000Z", None, prompt())
            .push(
                "2026-10-06T12:00:01.000Z",
                None,
                usage("claude-sonnet-5-5", 0, 0, false),
            )
            .push(
                "2026-10-08T12:00:01.000Z",
                None,
                usage("claude-sonnet-5-5", 0, 0, false),
            );
        // 1,000 reads each: 1000 × 0.20 / 10⁶ + 1000 × 0.10 / 10⁶ = $0.0003 (not $0.0002).
        let cost = s.session().cost().unwrap();
        assert!((cost - 0.0003).abs() < 1e-12, "{cost}");
        // Cost explained prices the same way: its prompts add up to the session's cost.
        let explained: f64 = s
            .session()
            .cost_by_prompt()
            .iter()
            .filter_map(|p| p.total().cost_usd())
            .sum();
        assert!((explained - cost).abs() < 1e-12, "{explained}");
    }

    #[test]
    fn costs_add_up_the_same_in_any_order_and_split() {
        // Costs whose sum as floats depends on the order they are added in (245.54362499999996
        // forward, 245.54362500000005 backward).
        let events: Vec<EventKind<'static>> = (0..60u64)
            .map(|i| {
                let input = (i * 7919 * 104_729) % 1_000_000 + 1;
                usage("claude-opus-4-6", input, input / 7, false)
            })
            .collect();
        let run = |order: &[usize]| {
            let mut s = Stream::new();
            for &i in order {
                s.push("2026-01-01T00:00:00.000Z", None, events[i].clone());
            }
            s
        };
        let forward: Vec<usize> = (0..events.len()).collect();
        let backward: Vec<usize> = forward.iter().rev().copied().collect();
        let a = run(&forward).session().cost().unwrap();
        let b = run(&backward).session().cost().unwrap();
        assert_eq!(a.to_bits(), b.to_bits());
        // Split between two collectors (as parallel workers do) and merged.
        let mut first = run(&forward[..25]);
        let second = run(&forward[25..]);
        first.sessions.merge(second.sessions);
        assert_eq!(first.session().cost().unwrap().to_bits(), a.to_bits());
    }

    #[test]
    fn each_response_is_priced_with_its_own_modifiers() {
        let fast = PriceFactors {
            speed: Some(Cow::Borrowed("fast")),
            prompt_tokens: 1_000,
            ..PriceFactors::default()
        };
        let long = PriceFactors {
            prompt_tokens: 250_000,
            ..PriceFactors::default()
        };
        let mut s = Stream::new();
        // A fast Opus 4.6 response whose later line adds output (an increment): 6× for both.
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            priced_usage("claude-opus-4-6", 10, 100, false, fast.clone()),
        )
        .push(
            "2026-01-01T00:00:01.000Z",
            None,
            priced_usage("claude-opus-4-6", 0, 300, true, fast),
        )
        // Two Sonnet 4.5 requests, one above 200K input tokens (long-context rates for it
        // alone: $6 in, $22.50 out, reads $0.60) and one below.
        .push(
            "2026-01-01T00:00:02.000Z",
            None,
            priced_usage("claude-sonnet-4-5-20250929", 20, 40, false, long),
        )
        .push(
            "2026-01-01T00:00:03.000Z",
            None,
            usage("claude-sonnet-4-5-20250929", 20, 40, false),
        );
        // By hand, per million: Opus fast 6 × (10×5 + 400×25 + 2000×0.5);
        // Sonnet long 20×6 + 40×22.5 + 1000×0.6; Sonnet standard 20×3 + 40×15 + 1000×0.3.
        let want =
            (6.0 * (50.0 + 10_000.0 + 1_000.0) + (120.0 + 900.0 + 600.0) + (60.0 + 600.0 + 300.0))
                / 1e6;
        let got = s.session().cost().unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        // A fast request on a model with no fast price is unpriced, not billed as standard.
        s.push(
            "2026-01-01T00:00:04.000Z",
            None,
            priced_usage(
                "claude-sonnet-4-6",
                1,
                1,
                false,
                PriceFactors {
                    speed: Some(Cow::Borrowed("fast")),
                    ..PriceFactors::default()
                },
            ),
        );
        assert_eq!(s.session().cost(), None);
        assert_eq!(s.session().unpriced_models(), ["claude-sonnet-4-6"]);
    }

    /// tester8 finding 8: a response whose usage could not be read whole has an unknown cost,
    /// but its model keeps its price: not listed among the models without one, its reason
    /// named; a model with no price is listed, also when its usage could not be read either
    /// (the missing price is then its reason).
    #[test]
    fn unread_usage_of_a_priced_model_is_an_unknown_cost_not_an_unpriced_model() {
        let unread = |model: &'static str| match usage(model, 0, 0, false) {
            EventKind::Usage {
                message_id,
                request_id,
                model,
                factors,
                reasoning,
                context,
                ..
            } => EventKind::Usage {
                message_id,
                request_id,
                model,
                tokens: Tokens::default(),
                increment: false,
                factors,
                reasoning,
                unread: Some(crate::tokens::Unread::NoCounts),
                context,
                window: None,
                repriced: None,
            },
            _ => unreachable!(),
        };
        let mut s = Stream::new();
        s.push(
            "2026-01-01T00:00:01.000Z",
            None,
            usage("claude-opus-4-6", 10, 20, false),
        )
        .push("2026-01-01T00:00:02.000Z", None, unread("claude-opus-4-6"));
        assert_eq!(s.session().cost(), None);
        assert!(s.session().unpriced_models().is_empty());
        assert_eq!(s.session().usage["claude-opus-4-6"].unread, 1);
        assert_eq!(
            s.session().unpriced_reasons(),
            ["usage with no token count aegon knows (claude-opus-4-6)"]
        );
        s.push("2026-01-01T00:00:03.000Z", None, unread("claude-zeta-9"));
        assert_eq!(s.session().unpriced_models(), ["claude-zeta-9"]);
        assert_eq!(s.session().usage["claude-zeta-9"].unread, 0);
        assert_eq!(
            s.session().unpriced_reasons(),
            [
                "no price for claude-zeta-9",
                "usage with no token count aegon knows (claude-opus-4-6)"
            ]
        );
    }

    /// Consecutive usage events reuse their predecessor's price while model, factors and the
    /// period of the rates stay the same: a sequence that changes each of them in turn, back
    /// and forth, costs what pricing every event on its own gives, and its context window is
    /// the latest model's.
    #[test]
    fn a_price_looked_up_once_is_reused_only_while_it_holds() {
        let fast = PriceFactors {
            speed: Some(Cow::Borrowed("fast")),
            ..PriceFactors::default()
        };
        let events = [
            (
                "2026-10-06T12:00:00.000Z",
                "claude-sonnet-5-5",
                PriceFactors::default(),
            ),
            (
                "2026-10-06T12:00:01.000Z",
                "claude-sonnet-5-5",
                PriceFactors::default(),
            ),
            // The rates of Sonnet 5.5 change on 2026-10-07.
            (
                "2026-10-08T12:00:00.000Z",
                "claude-sonnet-5-5",
                PriceFactors::default(),
            ),
            ("2026-10-08T12:00:01.000Z", "claude-opus-4-6", fast.clone()),
            (
                "2026-10-08T12:00:02.000Z",
                "claude-opus-4-6",
                PriceFactors::default(),
            ),
            ("2026-10-08T12:00:03.000Z", "claude-opus-4-6", fast.clone()),
            (
                "2026-10-08T12:00:04.000Z",
                "claude-sonnet-5-5",
                PriceFactors::default(),
            ),
            // Another model, with the same factors, within the period of the price before.
            (
                "2026-10-08T12:00:04.500Z",
                "claude-opus-4-6",
                PriceFactors::default(),
            ),
            (
                "2026-10-06T12:00:05.000Z",
                "claude-sonnet-5-5",
                PriceFactors::default(),
            ),
            (
                "2026-10-08T12:00:06.000Z",
                "claude-opus-4-6[1m]",
                PriceFactors::default(),
            ),
        ];
        let pricing = Pricing::built_in();
        let mut s = Stream::new();
        let mut want = 0.0;
        for (i, (at, model, factors)) in events.iter().enumerate() {
            let input = 1_000 * (i as u64 + 1);
            let kind = priced_usage(model, input, 10, false, factors.clone());
            let EventKind::Usage { tokens, .. } = &kind else {
                unreachable!()
            };
            want += pricing
                .request_cost_of(
                    &ModelId::parse(model),
                    tokens,
                    factors,
                    crate::timestamp::parse_millis(at),
                )
                .unwrap();
            s.push(at, None, kind);
            let window = s.session().context.as_ref().map(|c| c.window);
            assert_eq!(window, Some(pricing.context_window(model)), "{i}: {model}");
        }
        let got = s.session().cost().unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }

    /// tester6 §10: after `/model`, the session runs on the new model; a subagent's response
    /// (another model) does not change it.
    #[test]
    fn the_current_model_is_the_latest_main_chain_responses() {
        let mut s = Stream::new();
        assert_eq!(s.sessions.get("s1").map(|x| x.model.clone()), None);
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            usage("claude-sonnet-4-5", 50_000, 100, false),
        )
        .push(
            "2026-01-01T00:00:01.000Z",
            None,
            usage("claude-opus-4-6", 300_000, 100, false),
        );
        assert_eq!(s.session().model.as_deref(), Some("claude-opus-4-6"));
        s.push(
            "2026-01-01T00:00:02.000Z",
            Some("a1"),
            usage("claude-haiku-4-5", 5, 1, false),
        );
        assert_eq!(s.session().model.as_deref(), Some("claude-opus-4-6"));
        // The set of models used is unchanged by this: all three, by name.
        assert_eq!(s.session().models.len(), 3);
    }

    #[test]
    fn context_fill_follows_the_main_chain_and_compaction() {
        let mut s = Stream::new();
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            usage("claude-opus-4-5-20251101", 150_000, 10, false),
        );
        let ctx = s.session().context.clone().unwrap();
        assert_eq!((ctx.tokens, ctx.window), (151_000, 200_000));
        // A subagent's usage does not move the main context.
        s.push(
            "2026-01-01T00:00:01.000Z",
            Some("a1"),
            usage("claude-opus-4-5-20251101", 5, 1, false),
        );
        assert_eq!(s.session().context.as_ref().unwrap().tokens, 151_000);
        // Usage beyond 200k says the window is the large one.
        s.push(
            "2026-01-01T00:00:02.000Z",
            None,
            usage("claude-opus-4-5-20251101", 250_000, 10, false),
        );
        assert_eq!(
            s.session().context.as_ref().unwrap().window,
            LARGE_CONTEXT_WINDOW
        );
        s.push(
            "2026-01-01T00:00:03.000Z",
            None,
            EventKind::Compact {
                trigger: at("auto"),
                pre_tokens: Some(251_000),
                post_tokens: Some(30_000),
            },
        )
        .push(
            "2026-01-01T00:00:03.100Z",
            None,
            EventKind::CompactSummary {
                text: "summary".into(),
            },
        );
        let sess = s.session();
        assert_eq!(
            sess.compactions, 1,
            "boundary and summary are one compaction"
        );
        let ctx = sess.context.clone().unwrap();
        assert_eq!((ctx.tokens, ctx.compacted), (30_000, true));
        // 1.0.90: a summary alone is a compaction.
        s.push(
            "2026-01-01T00:00:04.000Z",
            None,
            EventKind::CompactSummary {
                text: "again".into(),
            },
        );
        assert_eq!(s.session().compactions, 2);
    }

    #[test]
    fn subagents_count_once_and_are_linked_to_their_call() {
        let mut s = Stream::new();
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            call("task1", "Task", "m1"),
        )
        .push(
            "2026-01-01T00:00:01.000Z",
            Some("a1"),
            usage("claude-sonnet-4-6", 10, 20, false),
        )
        .push(
            "2026-01-01T00:00:02.000Z",
            Some("a1"),
            call("x", "Read", "m9"),
        )
        .push(
            "2026-01-01T00:00:09.000Z",
            None,
            EventKind::ToolResult {
                tool_use_id: at("task1"),
                is_error: false,
                tool: None,
                duration_ms: None,
                content: None,
                spawned_agent_id: at("a1"),
                raw_result: None,
            },
        );
        let sess = s.session();
        let sub = &sess.subagents["a1"];
        assert_eq!(
            (sub.api_calls, sub.tokens.output, sub.tool_calls),
            (1, 20, 1)
        );
        assert_eq!(sub.spawned_by.as_deref(), Some("task1"));
        assert_eq!(sess.tokens().output, 20, "once, in the session's totals");
        assert_eq!(sess.flow_line(), "Task → AGENT a1");
    }

    #[test]
    fn a_summary_titles_its_session_the_same_whichever_comes_first() {
        use crate::pipeline::{Options, Pipeline};
        use crate::render::summary::SessionCollector;
        let prompt = r#"{"type":"user","sessionId":"s1","uuid":"00000000-0000-4000-8000-000000000001","timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"hi"}}"#;
        let summary = r#"{"type":"summary","summary":"Fixing things","leafUuid":"00000000-0000-4000-8000-000000000001"}"#;
        let read = |lines: [&str; 2]| {
            let mut p = Pipeline::new(Options::default(), SessionCollector::default());
            let _ = p.read_to_end("t", format!("{}\n{}\n", lines[0], lines[1]).as_bytes());
            let sessions = p.finish().unwrap().0.into_sessions();
            let s = sessions.get("s1").unwrap();
            (s.events, s.title.as_ref().map(|t| t.text.clone()))
        };
        let leaf_first = read([prompt, summary]);
        assert_eq!(leaf_first, (1, Some("Fixing things".to_owned())));
        assert_eq!(read([summary, prompt]), leaf_first);
    }

    #[test]
    fn titles_by_priority_last_one_wins() {
        let mut s = Stream::new();
        let title = |t: &'static str, source| EventKind::Title {
            title: Cow::Borrowed(t),
            source,
            leaf_uuid: None,
        };
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            title("ai one", TitleSource::Ai),
        )
        .push(
            "2026-01-01T00:00:01.000Z",
            None,
            title("summary", TitleSource::Summary),
        );
        assert_eq!(s.session().title.as_ref().unwrap().text, "ai one");
        s.push(
            "2026-01-01T00:00:02.000Z",
            None,
            title("custom", TitleSource::Custom),
        )
        .push(
            "2026-01-01T00:00:03.000Z",
            None,
            title("ai two", TitleSource::Ai),
        );
        assert_eq!(s.session().title.as_ref().unwrap().text, "custom");
        s.push(
            "2026-01-01T00:00:04.000Z",
            None,
            title("custom two", TitleSource::Custom),
        );
        assert_eq!(s.session().title.as_ref().unwrap().text, "custom two");
        let sess = s.session();
        assert_eq!(
            (sess.cwd.as_deref(), sess.git_branch.as_deref()),
            (Some("/repo"), Some("main"))
        );
        assert_eq!(sess.duration_ms(), Some(4000));
    }

    /// A workflow agent's file tells its run by its path in each layout seen (FORMAT.md §1:
    /// austinweitao/claude-backup 3e89eb15, 2.1.167, and the corpus's flattened name of it).
    #[test]
    fn a_workflow_agent_file_tells_its_run_by_its_path() {
        let s = "3e89eb15-32e7-43f8-8734-8d47310263ea";
        for path in [
            format!("/h/.claude/projects/p/{s}/subagents/workflows/wf_4af3c93a-ada/agent-a3.jsonl"),
            format!("backup/projects/p/subagents/{s}/workflows/wf_4af3c93a-ada/agent-a3.jsonl"),
            format!("C:\\p\\{s}\\subagents\\workflows\\wf_4af3c93a-ada\\agent-a3.jsonl"),
            format!("corpus/x__subagents__{s}__workflows__wf_4af3c93a-ada__agent-a3.jsonl"),
        ] {
            assert_eq!(
                workflow_run_of_path(&path),
                Some("wf_4af3c93a-ada"),
                "{path}"
            );
        }
        for path in [
            "<stdin>",
            "p/s/subagents/agent-a881341.jsonl",
            "p/workflows/scripts/wf_x.js",
            "p/s/subagents/workflows/wf_/agent-a3.jsonl",
        ] {
            assert_eq!(workflow_run_of_path(path), None, "{path}");
        }
    }
}
