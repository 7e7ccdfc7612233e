//! Cost explained: how well each API response used the prompt cache, why a cache was built
//! again, and what the money was spent on.
//!
//! Part of the session core ([`crate::session`]): a pure function of the events, no clock and
//! no I/O. Two users: [`Session`](crate::session::Session) keeps a [`CostExplained`] (the
//! per-session figures of `--summary`), and the NDJSON renderer keeps a [`CacheTracker`] (the
//! per-response fields of usage events). Both decide with the same [`ChainState`], so the
//! stream and the summary agree.
//!
//! # Per response
//!
//! - **Cache hit ratio**: cache reads / all input (uncached + cache reads + cache writes).
//! - **Chains.** Each subagent has its own conversation, and so its own cache prefix: the
//!   main chain and each subagent (an `agentId`, or a 1.0.x inline sidechain run) are
//!   followed apart. "The previous request" below is the previous API response of the same
//!   chain, in stream order.
//! - **Rebuild.** The cache the previous request left is what it read plus what it wrote
//!   (`cached`). A request that reads less than that *missed* `cached − read` tokens; the
//!   tokens it wrote again are `rebuilt = min(write, missed)`. It is a **rebuild** when it
//!   missed at least a tenth of `cached` and rebuilt at least 1,024 tokens (the smallest
//!   prefix Anthropic caches on most models) — [`REBUILD_MIN_TOKENS`], [`REBUILD_MIN_SHARE`].
//!   On the corpus this separates cleanly: of 1,026 consecutive pairs, 960 missed nothing, 11
//!   missed under 5 % (a few hundred tokens, the last turn shaped differently), 38 behind one
//!   API gateway missed 5–8 % each time (the previous turn's write, never read back), and 17
//!   missed 29–100 %. The first request of a chain counts as a rebuild (cause
//!   `first_request`) when it writes at least 1,024 tokens and a tenth of its cacheable input.
//!   A request after one that cached nothing is a first build, not a rebuild.
//! - **Cause**, the first rule that applies:
//!   1. `first_request`: no earlier request in the chain.
//!   2. `model_switch`: another model than the previous request's (caches are per model).
//!   3. `compaction`: the chain was compacted since the previous request (a
//!      `compact_boundary` or a compaction summary): its prefix was replaced on purpose.
//!   4. `expired`: the time since the previous request exceeded the TTL of the latest cache
//!      write of the chain: 1 hour when that write had 1-hour tokens, else 5 minutes
//!      ([`TTL_5M_MS`], [`TTL_1H_MS`]). A gap equal to the TTL is not expired.
//!   5. `retry`: an API error (a retry notice or an error shown to the user) came since the
//!      previous request.
//!   6. `unknown`: a timestamp is missing, so expiry cannot be ruled out.
//!   7. `system_or_tools`: within the TTL, nothing at all was read. The cache prefix is tools,
//!      then system prompt, then messages, so a prefix that missed from its first token
//!      points at the tools or the system prompt (an MCP server's tools arriving, a date or
//!      a memory file in the system prompt). *Inferred* from the counts: an eviction by
//!      Anthropic looks the same.
//!   8. `conversation_changed`: within the TTL, the start of the prefix was read (typically
//!      exactly the tools and system prompt) and the conversation after it was not: something
//!      earlier in the conversation changed. On the corpus this follows interruptions,
//!      background-task notifications and IDE context; the transcript does not say what
//!      changed. *Inferred*, like 7.
//! - **Cost beyond a cache hit**: the rebuilt tokens priced at the cache-write rate minus the
//!   same tokens at the cache-read rate, with the response's model and price factors
//!   ([`Pricing::request_cost`]); writes of both TTLs are taken in the proportion the
//!   response wrote them. Unknown when the response has no price.
//!
//! Limits: the gap is measured between the first lines written of the two responses (when
//! each one's first block finished streaming), not between the requests themselves, so it is
//! off by the difference of their times to first block; another session or chain sharing a
//! prefix (the same tools and system prompt) can keep a cache warm or read part of an expired
//! one; Anthropic may evict a cache before its TTL; 2.1.178+ transcripts carry the API's own
//! `diagnostics.cache_miss_reason`, which aegon does not read yet.
//!
//! # Per session: cost charged back to what caused it
//!
//! Every response's cost goes to exactly one bucket of each breakdown, so each breakdown adds
//! up to the session's cost (in picodollars, exactly):
//!
//! - **Human prompts**: a main-chain response goes to the latest human prompt before it (or
//!   to the session's start, before any prompt); a subagent's responses go to the prompt that
//!   was current when the `Task`/`Agent` call that spawned it was made, or, when that call is
//!   not known (compaction agents, unlinked runs), when the subagent's first response came.
//! - **Subagents**: their own responses, by agent id, with the call that spawned it.
//! - **Tools**: a response is charged to the tools it called, in equal shares, one per call
//!   (two `Read`s and a `Bash`: ⅔ to `Read`); a response that called none (the answers) is
//!   charged to no tool. This is the cost of the responses that decided to call a tool, not
//!   of the tokens the tool's result later adds to every request.
//!
//! Memory: per session, one entry per human prompt (about 150 bytes with its start), per chain
//! and per `Task`/`Agent` call (a few dozen bytes); nothing per response.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use crate::event::{Event, EventKind};
use crate::pricing::Pricing;
use crate::timestamp::parse_millis;
use crate::tokens::{PriceFactors, Tokens};

/// The smallest rebuild, in tokens: the minimum prompt length Anthropic caches on most models.
pub const REBUILD_MIN_TOKENS: u64 = 1_024;

/// The smallest share of what the chain had cached that a request must miss to rebuild.
pub const REBUILD_MIN_SHARE: f64 = 0.10;

/// The 5-minute cache TTL, in ms.
pub const TTL_5M_MS: i64 = 5 * 60_000;

/// The 1-hour cache TTL, in ms.
pub const TTL_1H_MS: i64 = 60 * 60_000;

/// Characters of a human prompt kept to name it.
pub const PROMPT_CHARS: usize = 80;

/// Rebuilds listed per session as the costliest.
pub const COSTLIEST: usize = 3;

/// Picodollars per dollar (costs are added up in whole picodollars, as
/// [`ModelUsage`](crate::session::ModelUsage) does).
const PICO: f64 = 1e12;

/// Why a cache was built again. See the [module documentation](self) for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RebuildCause {
    /// The chain's first request.
    FirstRequest,
    /// Another model than the previous request's.
    ModelSwitch,
    /// A compaction since the previous request.
    Compaction,
    /// The gap since the previous request exceeded the cache's TTL.
    Expired,
    /// An API error since the previous request.
    Retry,
    /// A timestamp is missing: expiry cannot be ruled out.
    Unknown,
    /// Nothing was read within the TTL: the tools or system prompt changed (inferred).
    SystemOrTools,
    /// The tools and system prompt were read, the conversation was not (inferred).
    ConversationChanged,
}

impl RebuildCause {
    /// Every cause, in rule order.
    pub const ALL: [RebuildCause; 8] = [
        RebuildCause::FirstRequest,
        RebuildCause::ModelSwitch,
        RebuildCause::Compaction,
        RebuildCause::Expired,
        RebuildCause::Retry,
        RebuildCause::Unknown,
        RebuildCause::SystemOrTools,
        RebuildCause::ConversationChanged,
    ];

    /// The name used in NDJSON and the summary JSON (`first_request`, `expired`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            RebuildCause::FirstRequest => "first_request",
            RebuildCause::ModelSwitch => "model_switch",
            RebuildCause::Compaction => "compaction",
            RebuildCause::Expired => "expired",
            RebuildCause::Retry => "retry",
            RebuildCause::Unknown => "unknown",
            RebuildCause::SystemOrTools => "system_or_tools",
            RebuildCause::ConversationChanged => "conversation_changed",
        }
    }

    /// Words for people (`cache expired`, `first request`, …).
    pub fn label(self) -> &'static str {
        match self {
            RebuildCause::FirstRequest => "first request",
            RebuildCause::ModelSwitch => "model switch",
            RebuildCause::Compaction => "compaction",
            RebuildCause::Expired => "cache expired",
            RebuildCause::Retry => "retry after API error",
            RebuildCause::Unknown => "unknown",
            RebuildCause::SystemOrTools => "system prompt or tools changed?",
            RebuildCause::ConversationChanged => "conversation changed?",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A cache rebuild found in one response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rebuild {
    /// Its most likely cause.
    pub cause: RebuildCause,
    /// Tokens written again (see the [module documentation](self)).
    pub tokens: u64,
    /// What they cost beyond reading them from the cache, in dollars; `None` when the
    /// response has no price.
    pub cost_usd: Option<f64>,
}

/// What the cache rules say about one response (its first usage event).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheFigures {
    /// Cache reads / all input; `None` when the response had no input tokens.
    pub hit_ratio: Option<f64>,
    /// Milliseconds since the chain's previous response (first lines); `None` on a chain's
    /// first response or when a timestamp is missing.
    pub gap_ms: Option<u64>,
    /// The rebuild, when the response is one.
    pub rebuild: Option<Rebuild>,
}

/// What the rules need to know about one chain's previous request. Shared by
/// [`CostExplained`] and [`CacheTracker`].
#[derive(Debug, Clone, Default)]
pub struct ChainState {
    seen: bool,
    last_ms: Option<i64>,
    /// Read + written by the previous request.
    cached: u64,
    model: Box<str>,
    /// Whether the chain's latest cache write had 1-hour tokens.
    ttl_1h: bool,
    compacted: bool,
    errored: bool,
}

impl ChainState {
    /// Notes a compaction of the chain.
    pub fn on_compaction(&mut self) {
        self.compacted = true;
    }

    /// Notes an API error (retry notice or fatal) on the chain.
    pub fn on_api_error(&mut self) {
        self.errored = true;
    }

    /// Applies the rules to a response of the chain (its first usage event: `tokens` whole)
    /// written at `at_ms`, and remembers it as the chain's previous request.
    pub fn observe(
        &mut self,
        at_ms: Option<i64>,
        model: &str,
        tokens: &Tokens,
        factors: &PriceFactors,
        pricing: &Pricing,
    ) -> CacheFigures {
        let written = tokens.cache_write_5m.saturating_add(tokens.cache_write_1h);
        let read = tokens.cache_read;
        let total = tokens.total_input();
        let hit_ratio = (total > 0).then(|| read as f64 / total as f64);
        let gap_ms = match (self.seen, self.last_ms, at_ms) {
            (true, Some(prev), Some(now)) => Some(now.saturating_sub(prev).max(0) as u64),
            _ => None,
        };
        let rebuilt = if !self.seen {
            let cacheable = read.saturating_add(written);
            (written >= REBUILD_MIN_TOKENS
                && written as f64 >= cacheable as f64 * REBUILD_MIN_SHARE)
                .then_some((RebuildCause::FirstRequest, written))
        } else {
            let missed = self.cached.saturating_sub(read);
            let rebuilt = written.min(missed);
            let large = self.cached > 0
                && rebuilt >= REBUILD_MIN_TOKENS
                && missed as f64 >= self.cached as f64 * REBUILD_MIN_SHARE;
            large.then(|| (self.cause(gap_ms, model, read), rebuilt))
        };
        let rebuild = rebuilt.map(|(cause, n)| Rebuild {
            cause,
            tokens: n,
            cost_usd: beyond_hit(n, model, tokens, factors, pricing),
        });
        self.seen = true;
        if at_ms.is_some() {
            self.last_ms = at_ms;
        }
        self.cached = read.saturating_add(written);
        if *self.model != *model {
            self.model = Box::from(model);
        }
        if written > 0 {
            self.ttl_1h = tokens.cache_write_1h > 0;
        }
        self.compacted = false;
        self.errored = false;
        CacheFigures {
            hit_ratio,
            gap_ms,
            rebuild,
        }
    }

    /// The cause of a rebuild on a chain that had a previous request.
    fn cause(&self, gap_ms: Option<u64>, model: &str, read: u64) -> RebuildCause {
        let ttl = if self.ttl_1h { TTL_1H_MS } else { TTL_5M_MS } as u64;
        if *self.model != *model {
            RebuildCause::ModelSwitch
        } else if self.compacted {
            RebuildCause::Compaction
        } else if gap_ms.is_some_and(|g| g > ttl) {
            RebuildCause::Expired
        } else if self.errored {
            RebuildCause::Retry
        } else if gap_ms.is_none() {
            RebuildCause::Unknown
        } else if read == 0 {
            RebuildCause::SystemOrTools
        } else {
            RebuildCause::ConversationChanged
        }
    }
}

/// What `rebuilt` tokens of this response cost beyond reading them from the cache: at the
/// write rates in the proportion the response wrote (5 m and 1 h), minus the read rate.
fn beyond_hit(
    rebuilt: u64,
    model: &str,
    tokens: &Tokens,
    factors: &PriceFactors,
    pricing: &Pricing,
) -> Option<f64> {
    let written = tokens.cache_write_5m.saturating_add(tokens.cache_write_1h);
    if written == 0 || rebuilt == 0 {
        return pricing.request_cost(model, &Tokens::default(), factors);
    }
    let writes = Tokens {
        cache_write_5m: tokens.cache_write_5m,
        cache_write_1h: tokens.cache_write_1h,
        ..Tokens::default()
    };
    let reads = Tokens {
        cache_read: written,
        ..Tokens::default()
    };
    let extra = pricing.request_cost(model, &writes, factors)?
        - pricing.request_cost(model, &reads, factors)?;
    Some(extra.max(0.0) * rebuilt as f64 / written as f64)
}

/// Dollars to whole picodollars (`as` saturates: NaN → 0).
fn pico(usd: f64) -> u128 {
    (usd * PICO).round() as u128
}

/// Picodollars to dollars.
pub fn usd(pico: u128) -> f64 {
    pico as f64 / PICO
}

/// Cost charged to one bucket (a prompt, a tool, a subagent, a cause).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Charge {
    /// Cost of the priced part, in picodollars.
    pub pico: u128,
    /// Usage events (or rebuilds) with no price: while non-zero the cost is unknown.
    pub unpriced: u64,
}

impl Charge {
    fn add(&mut self, cost: Option<f64>) {
        match cost {
            Some(c) => self.pico = self.pico.saturating_add(pico(c)),
            None => self.unpriced += 1,
        }
    }

    fn add_charge(&mut self, other: Charge) {
        self.pico = self.pico.saturating_add(other.pico);
        self.unpriced += other.unpriced;
    }

    /// The cost in dollars, `None` when part of it has no price.
    pub fn cost_usd(&self) -> Option<f64> {
        (self.unpriced == 0).then(|| usd(self.pico))
    }
}

/// Rebuilds of one cause in a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CauseTally {
    /// Rebuilds.
    pub rebuilds: u64,
    /// Tokens written again.
    pub tokens: u64,
    /// Their cost beyond cache hits.
    pub cost: Charge,
}

/// One rebuild, kept among a session's costliest.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildRecord {
    /// When its first line was written (ms), and as written.
    pub at: Option<(i64, String)>,
    /// The subagent whose request it was (`None`: the main chain).
    pub agent: Option<String>,
    /// The response's model.
    pub model: String,
    /// Time since the chain's previous response.
    pub gap_ms: Option<u64>,
    /// The rebuild.
    pub rebuild: Rebuild,
}

/// The cost of one human prompt's main-chain responses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromptCost {
    /// When the prompt was written (ms), and as written.
    pub at: Option<(i64, String)>,
    /// The start of its first line ([`PROMPT_CHARS`] characters).
    pub text: String,
    /// Its main-chain responses' cost.
    pub cost: Charge,
    /// Main-chain API responses.
    pub api_calls: u64,
    /// Main-chain tool calls.
    pub tool_calls: u64,
}

/// A subagent's own cost, and when it first answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentCost {
    /// Its responses' cost.
    pub cost: Charge,
    /// The first response's time (ms).
    pub first_ms: Option<i64>,
}

/// The response of a chain whose tool calls are still being collected.
#[derive(Debug, Clone, Default)]
struct OpenResponse {
    message: Option<u64>,
    cost: Charge,
    tools: Vec<Box<str>>,
}

/// A session's cost explained. See the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct CostExplained {
    /// Cache reads over all responses (main chain and subagents).
    pub cache_read: u64,
    /// All input over all responses: uncached, cache reads and cache writes.
    pub input: u64,
    /// Rebuilds by cause, in [`RebuildCause::ALL`] order.
    pub causes: [CauseTally; 8],
    /// The costliest rebuilds, costliest first (at most [`COSTLIEST`]).
    pub costliest: Vec<RebuildRecord>,
    /// Main-chain responses before the first human prompt.
    pub preamble: PromptCost,
    /// Human prompts in the order written, each with its main-chain responses.
    pub prompts: Vec<PromptCost>,
    /// Subagents' own cost, by agent key (as in [`Session::subagents`](crate::session::Session)).
    pub agents: BTreeMap<String, AgentCost>,
    /// `Task`/`Agent` call id → when it was made (ms).
    pub task_calls: HashMap<String, Option<i64>>,
    /// Tools' charges, by tool name, for responses already closed (see [`CostExplained::tools`]).
    tools: BTreeMap<String, Charge>,
    /// Responses that called no tool, closed.
    no_tool: Charge,
    chains: HashMap<Option<String>, ChainState>,
    open: HashMap<Option<String>, OpenResponse>,
}

impl CostExplained {
    /// A human prompt on the main chain.
    pub(crate) fn on_prompt(&mut self, at: Option<(i64, &str)>, text: &crate::text::Text<'_>) {
        let (start, _) = text.prefix(PROMPT_CHARS);
        let line = start
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_owned();
        self.prompts.push(PromptCost {
            at: at.map(|(ms, t)| (ms, t.to_owned())),
            text: line,
            ..PromptCost::default()
        });
    }

    fn current_prompt(&mut self) -> &mut PromptCost {
        match self.prompts.last_mut() {
            Some(p) => p,
            None => &mut self.preamble,
        }
    }

    /// A compaction on `chain`.
    pub(crate) fn on_compaction(&mut self, chain: Option<&str>) {
        self.chain(chain).on_compaction();
    }

    /// An API error on `chain`.
    pub(crate) fn on_api_error(&mut self, chain: Option<&str>) {
        self.chain(chain).on_api_error();
    }

    fn chain(&mut self, chain: Option<&str>) -> &mut ChainState {
        let key = chain.map(str::to_owned);
        self.chains.entry(key).or_default()
    }

    /// A tool call on `chain`, part of the response `message_id`; `call_id` and `at_ms` are
    /// noted for `Task`/`Agent` calls.
    pub(crate) fn on_tool_call(
        &mut self,
        chain: Option<&str>,
        message_id: Option<&str>,
        tool: &str,
        call_id: Option<&str>,
        at_ms: Option<i64>,
    ) {
        if matches!(tool, "Task" | "Agent") {
            if let Some(id) = call_id {
                self.task_calls.insert(id.to_owned(), at_ms);
            }
        }
        if chain.is_none() {
            self.current_prompt().tool_calls += 1;
        }
        self.open_response(chain, message_id)
            .tools
            .push(Box::from(tool));
    }

    /// The open response of `chain`, a new one when `message_id` names another (the previous
    /// one is closed: its cost goes to its tools).
    fn open_response(
        &mut self,
        chain: Option<&str>,
        message_id: Option<&str>,
    ) -> &mut OpenResponse {
        let message = message_id.map(hash_str);
        let key = chain.map(str::to_owned);
        let open = self.open.entry(key).or_default();
        if message.is_some() && open.message != message {
            let closed = std::mem::take(open);
            open.message = message;
            close(&mut self.tools, &mut self.no_tool, closed);
        }
        open
    }

    /// A usage event on `chain`, priced `cost` (`None`: no price); returns the cache figures
    /// of a response's first usage event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_usage(
        &mut self,
        chain: Option<&str>,
        at: Option<(i64, &str)>,
        message_id: Option<&str>,
        model: &str,
        tokens: &Tokens,
        factors: &PriceFactors,
        increment: bool,
        cost: Option<f64>,
        pricing: &Pricing,
    ) -> Option<CacheFigures> {
        self.open_response(chain, message_id).cost.add(cost);
        match chain {
            None => {
                let p = self.current_prompt();
                p.cost.add(cost);
                if !increment {
                    p.api_calls += 1;
                }
            }
            Some(agent) => {
                let a = self.agents.entry(agent.to_owned()).or_default();
                a.cost.add(cost);
                if a.first_ms.is_none() {
                    a.first_ms = at.map(|(ms, _)| ms);
                }
            }
        }
        if increment {
            return None;
        }
        self.cache_read = self.cache_read.saturating_add(tokens.cache_read);
        self.input = self.input.saturating_add(tokens.total_input());
        let figures =
            self.chain(chain)
                .observe(at.map(|(ms, _)| ms), model, tokens, factors, pricing);
        if let Some(rebuild) = figures.rebuild {
            let tally = &mut self.causes[rebuild.cause.index()];
            tally.rebuilds += 1;
            tally.tokens = tally.tokens.saturating_add(rebuild.tokens);
            tally.cost.add(rebuild.cost_usd);
            self.keep_costliest(RebuildRecord {
                at: at.map(|(ms, t)| (ms, t.to_owned())),
                agent: chain.map(str::to_owned),
                model: model.to_owned(),
                gap_ms: figures.gap_ms,
                rebuild,
            });
        }
        Some(figures)
    }

    fn keep_costliest(&mut self, record: RebuildRecord) {
        self.costliest.push(record);
        self.costliest.sort_by(costliest_first);
        self.costliest.truncate(COSTLIEST);
    }

    /// Cache reads / all input over the session's responses; `None` without input.
    pub fn hit_ratio(&self) -> Option<f64> {
        (self.input > 0).then(|| self.cache_read as f64 / self.input as f64)
    }

    /// All rebuilds: their number, tokens and cost beyond cache hits.
    pub fn rebuilds(&self) -> CauseTally {
        self.causes.iter().fold(CauseTally::default(), |mut t, c| {
            t.rebuilds += c.rebuilds;
            t.tokens = t.tokens.saturating_add(c.tokens);
            t.cost.add_charge(c.cost);
            t
        })
    }

    /// The tally of one cause.
    pub fn cause(&self, cause: RebuildCause) -> CauseTally {
        self.causes[cause.index()]
    }

    /// Cost by tool (each response's cost in equal shares per call), and the cost of the
    /// responses that called no tool. Responses still open are included.
    pub fn tools(&self) -> (BTreeMap<String, Charge>, Charge) {
        let mut tools = self.tools.clone();
        let mut none = self.no_tool;
        for open in self.open.values() {
            close(&mut tools, &mut none, open.clone());
        }
        (tools, none)
    }

    /// Adds another registry's figures for the same session (see
    /// [`Sessions::merge`](crate::session::Sessions::merge)).
    pub(crate) fn merge(&mut self, theirs: CostExplained) {
        let (their_tools, their_none) = theirs.tools();
        self.cache_read = self.cache_read.saturating_add(theirs.cache_read);
        self.input = self.input.saturating_add(theirs.input);
        for (ours, t) in self.causes.iter_mut().zip(theirs.causes) {
            ours.rebuilds += t.rebuilds;
            ours.tokens = ours.tokens.saturating_add(t.tokens);
            ours.cost.add_charge(t.cost);
        }
        for r in theirs.costliest {
            self.keep_costliest(r);
        }
        self.preamble.cost.add_charge(theirs.preamble.cost);
        self.preamble.api_calls += theirs.preamble.api_calls;
        self.preamble.tool_calls += theirs.preamble.tool_calls;
        self.prompts.extend(theirs.prompts);
        // Stable: prompts without a time keep their place after the timed ones of their side.
        self.prompts
            .sort_by_key(|p| p.at.as_ref().map_or(i64::MAX, |a| a.0));
        for (id, a) in theirs.agents {
            let ours = self.agents.entry(id).or_default();
            ours.cost.add_charge(a.cost);
            ours.first_ms = match (ours.first_ms, a.first_ms) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
        }
        for (id, at) in theirs.task_calls {
            self.task_calls.entry(id).or_insert(at);
        }
        for (name, c) in their_tools {
            self.tools.entry(name).or_default().add_charge(c);
        }
        self.no_tool.add_charge(their_none);
        for (chain, state) in theirs.chains {
            self.chains.entry(chain).or_insert(state);
        }
    }

    /// The prompt (index into [`CostExplained::prompts`]; `None`: before the first) current
    /// at `at_ms`.
    pub fn prompt_at(&self, at_ms: i64) -> Option<usize> {
        self.prompts
            .iter()
            .rposition(|p| p.at.as_ref().is_some_and(|a| a.0 <= at_ms))
    }
}

/// Closes a response: its cost to its tools in equal shares (the remainder of the division
/// to the first), or to `none`.
fn close(tools: &mut BTreeMap<String, Charge>, none: &mut Charge, response: OpenResponse) {
    let n = response.tools.len();
    if n == 0 {
        none.add_charge(response.cost);
        return;
    }
    let share = response.cost.pico / n as u128;
    let mut rest = response.cost.pico - share * n as u128;
    for tool in response.tools {
        let t = tools.entry(tool.into_string()).or_default();
        t.pico = t.pico.saturating_add(share + std::mem::take(&mut rest));
        t.unpriced += response.cost.unpriced;
    }
}

fn costliest_first(a: &RebuildRecord, b: &RebuildRecord) -> std::cmp::Ordering {
    let cost = |r: &RebuildRecord| r.rebuild.cost_usd.map_or(0, pico);
    cost(b)
        .cmp(&cost(a))
        .then(b.rebuild.tokens.cmp(&a.rebuild.tokens))
        .then(a.at.as_ref().map(|x| x.0).cmp(&b.at.as_ref().map(|x| x.0)))
}

fn hash_str(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The cost fields of one usage event on the NDJSON stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageCost {
    /// The event's own cost (an increment's too), `None` when it has no price.
    pub cost_usd: Option<f64>,
    /// The cache figures, on a response's first usage event only.
    pub cache: Option<CacheFigures>,
}

/// The per-stream state that gives NDJSON usage events their cost and cache figures: the same
/// rules as [`CostExplained`], keyed by session and chain, without the rest of a session.
/// Memory: about 80 bytes per chain seen (sessions × their subagents).
#[derive(Debug, Default)]
pub struct CacheTracker {
    pricing: Pricing,
    chains: HashMap<u64, ChainState>,
    /// 1.0.x inline sidechain runs started, by session (hash).
    inline_runs: HashMap<u64, u32>,
}

impl CacheTracker {
    /// A tracker pricing with `pricing`.
    pub fn new(pricing: Pricing) -> Self {
        CacheTracker {
            pricing,
            ..Self::default()
        }
    }

    /// Applies `event`; for a usage event, returns its cost fields.
    pub fn observe(&mut self, event: &Event<'_>) -> Option<UsageCost> {
        match &event.kind {
            EventKind::Usage {
                model,
                tokens,
                increment,
                factors,
                ..
            } => {
                let model = model.as_deref().unwrap_or("unknown");
                let cost_usd = self.pricing.request_cost(model, tokens, factors);
                let cache = if *increment {
                    None
                } else {
                    let at = event.timestamp.as_deref().and_then(parse_millis);
                    let key = self.chain_key(event);
                    let chain = self.chains.entry(key).or_default();
                    Some(chain.observe(at, model, tokens, factors, &self.pricing))
                };
                Some(UsageCost { cost_usd, cache })
            }
            EventKind::Compact { .. } | EventKind::CompactSummary { .. } => {
                let key = self.chain_key(event);
                self.chains.entry(key).or_default().on_compaction();
                None
            }
            EventKind::ApiError { .. } => {
                let key = self.chain_key(event);
                self.chains.entry(key).or_default().on_api_error();
                None
            }
            EventKind::UserPrompt { .. } | EventKind::UserMeta { .. }
                if event.sidechain && event.agent_id.is_none() =>
            {
                // A 1.0.x inline sidechain prompt starts a new run (as the session core counts).
                let session = hash_str(event.session_id.as_deref().unwrap_or(""));
                *self.inline_runs.entry(session).or_default() += 1;
                None
            }
            _ => None,
        }
    }

    /// A hash of the event's session and chain (the agent id, or the inline run).
    fn chain_key(&self, event: &Event<'_>) -> u64 {
        let session = event.session_id.as_deref().unwrap_or("");
        let mut h = std::collections::hash_map::DefaultHasher::new();
        session.hash(&mut h);
        match (&event.agent_id, event.sidechain) {
            (Some(id), _) => (1u8, id.as_ref()).hash(&mut h),
            (None, true) => {
                let run = self
                    .inline_runs
                    .get(&hash_str(session))
                    .copied()
                    .unwrap_or(0)
                    .max(1);
                (2u8, run).hash(&mut h)
            }
            (None, false) => 0u8.hash(&mut h),
        }
        h.finish()
    }
}

/// One human prompt's cost with the subagents it spawned ([`Session::cost_by_prompt`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PromptCharge<'a> {
    /// 0 for the session's start (before any prompt), `n` for the `n`th prompt.
    pub index: usize,
    /// The prompt and its main-chain responses.
    pub prompt: &'a PromptCost,
    /// The cost of the subagents charged to it.
    pub subagents: Charge,
    /// How many subagents were charged to it.
    pub subagent_count: usize,
}

impl PromptCharge<'_> {
    /// Main chain and subagents together.
    pub fn total(&self) -> Charge {
        let mut c = self.prompt.cost;
        c.add_charge(self.subagents);
        c
    }
}

impl crate::session::Session {
    /// The prompt a subagent's cost is charged to (0: the session's start, `n`: the `n`th
    /// prompt): the one current when its spawning `Task`/`Agent` call was made, else when it
    /// first answered.
    pub fn subagent_prompt(&self, agent: &str) -> usize {
        let e = &self.cost_explained;
        let call_ms = self
            .subagents
            .get(agent)
            .and_then(|s| s.spawned_by.as_deref())
            .and_then(|call| e.task_calls.get(call).copied().flatten());
        let at = call_ms.or_else(|| e.agents.get(agent).and_then(|a| a.first_ms));
        at.and_then(|ms| e.prompt_at(ms)).map_or(0, |i| i + 1)
    }

    /// The session's cost by human prompt, the session's start first (index 0: responses
    /// before any prompt), each with the subagents charged to it. The totals add up to the
    /// session's cost.
    pub fn cost_by_prompt(&self) -> Vec<PromptCharge<'_>> {
        let e = &self.cost_explained;
        let mut out: Vec<PromptCharge<'_>> = std::iter::once(&e.preamble)
            .chain(e.prompts.iter())
            .enumerate()
            .map(|(index, prompt)| PromptCharge {
                index,
                prompt,
                subagents: Charge::default(),
                subagent_count: 0,
            })
            .collect();
        for (id, a) in &e.agents {
            let i = self.subagent_prompt(id);
            if let Some(p) = out.get_mut(i) {
                p.subagents.add_charge(a.cost);
                p.subagent_count += 1;
            }
        }
        out
    }
}
