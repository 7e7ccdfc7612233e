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
//! - **Agents that count no cache writes** (Codex CLI, Gemini CLI, Qwen Code:
//!   [`Agent::counts_cache_writes`](crate::event::Agent::counts_cache_writes)): their
//!   providers cache prompts without a write, so `cached` is the previous request's reads and
//!   the tokens missed are the rebuild (`rebuilt = missed`, sent again at the input rate); the
//!   same two thresholds apply, and a chain's first request is no rebuild. On the corpus's
//!   Codex session AkashJana18/edgerunner, cached input falls from 117K–287K to 11,008 after
//!   idle gaps: 7 rebuilds.
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
//!   response wrote them (for an agent that counts no writes: the input rate minus the
//!   cache-read rate). Unknown when the response has no price.
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
//!   of the tokens the tool's result later adds to every request. A response's lines come
//!   together, so its cost and its calls meet in the chain's open response; but the usage of
//!   a subagent's response copied in its parent's transcript ([`Event::copied`]) comes apart
//!   from its calls (before them, or in another thread's part of the session): it waits, by
//!   message id, for the calls of that response that came with no usage of theirs (the
//!   correlator counts the response once, by the copy), and the two are joined wherever
//!   they meet, so that the charges are the same whatever the order the files are read in.
//!   A copy whose calls never come (the subagent's transcript not read) is charged to no
//!   tool.
//!
//! Memory: per session, one entry per human prompt (about 150 bytes with its start), per chain
//! and per `Task`/`Agent` call (a few dozen bytes); per response, nothing but for the copied
//! usage and the calls with no usage waiting to be joined (some 50 bytes each).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::event::{Event, EventKind};
use crate::hashing::Generations;
use crate::session::pricing::{DatedPrice, ModelId, Pricing};
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

/// Human prompts a session keeps one by one (with their time and text); later ones are counted
/// with the last kept one ([`PromptCost::later_prompts`]), so that a session's memory (and its
/// `--summary --json` list of prompts) stays flat on a transcript of a million prompts. Real
/// sessions stay far below it (the shared corpus: 34 at most).
pub const PROMPTS_KEPT: usize = 10_000;

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

    /// Its place in [`RebuildCause::ALL`] (and in [`CostExplained::causes`]).
    pub fn index(self) -> usize {
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
    /// The chain's agent counts no cache writes ([`crate::event::Agent::counts_cache_writes`]).
    uncounted_writes: bool,
}

impl ChainState {
    /// Notes whether the chain's agent counts the tokens it writes to the cache (Claude Code
    /// does, Codex CLI and Gemini CLI do not): without such counts, every token missed is a
    /// rebuild (see the [module documentation](self)).
    pub fn set_counts_writes(&mut self, counts: bool) {
        self.uncounted_writes = !counts;
    }

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
            if self.uncounted_writes {
                // Nothing cached before: the first request's prompt is no rebuild.
                None
            } else {
                let cacheable = read.saturating_add(written);
                (written >= REBUILD_MIN_TOKENS
                    && written as f64 >= cacheable as f64 * REBUILD_MIN_SHARE)
                    .then_some((RebuildCause::FirstRequest, written))
            }
        } else {
            let missed = self.cached.saturating_sub(read);
            // Without write counts, what was missed was sent again at the input rate.
            let rebuilt = if self.uncounted_writes {
                missed
            } else {
                written.min(missed)
            };
            let large = self.cached > 0
                && rebuilt >= REBUILD_MIN_TOKENS
                && missed as f64 >= self.cached as f64 * REBUILD_MIN_SHARE;
            large.then(|| (self.cause(gap_ms, model, read), rebuilt))
        };
        let rebuild = rebuilt.map(|(cause, n)| Rebuild {
            cause,
            tokens: n,
            cost_usd: if self.uncounted_writes {
                beyond_hit_uncached(n, model, factors, at_ms, pricing)
            } else {
                beyond_hit(n, model, tokens, factors, at_ms, pricing)
            },
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
/// write rates in the proportion the response wrote (5 m and 1 h), minus the read rate, the
/// rates of the response's time `at_ms` (none: the current ones).
fn beyond_hit(
    rebuilt: u64,
    model: &str,
    tokens: &Tokens,
    factors: &PriceFactors,
    at_ms: Option<i64>,
    pricing: &Pricing,
) -> Option<f64> {
    let written = tokens.cache_write_5m.saturating_add(tokens.cache_write_1h);
    if written == 0 || rebuilt == 0 {
        return pricing.request_cost_at(model, &Tokens::default(), factors, at_ms);
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
    let extra = pricing.request_cost_at(model, &writes, factors, at_ms)?
        - pricing.request_cost_at(model, &reads, factors, at_ms)?;
    Some(extra.max(0.0) * rebuilt as f64 / written as f64)
}

/// What `missed` tokens of this response cost beyond reading them from the cache, for an
/// agent that counts no cache writes: at the input rate minus the cache-read rate.
fn beyond_hit_uncached(
    missed: u64,
    model: &str,
    factors: &PriceFactors,
    at_ms: Option<i64>,
    pricing: &Pricing,
) -> Option<f64> {
    let input = Tokens {
        input: missed,
        ..Tokens::default()
    };
    let reads = Tokens {
        cache_read: missed,
        ..Tokens::default()
    };
    let extra = pricing.request_cost_at(model, &input, factors, at_ms)?
        - pricing.request_cost_at(model, &reads, factors, at_ms)?;
    Some(extra.max(0.0))
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
    /// Adds one usage event's (or rebuild's) cost in dollars, `None` when it has no price.
    pub fn add(&mut self, cost: Option<f64>) {
        match cost {
            // A negative cost (an increment that re-prices its response cheaper,
            // `tokens::Repriced`) takes back.
            Some(c) if c < 0.0 => self.pico = self.pico.saturating_sub(pico(-c)),
            Some(c) => self.pico = self.pico.saturating_add(pico(c)),
            None => self.unpriced += 1,
        }
    }

    /// Adds another bucket's charge.
    pub fn add_charge(&mut self, other: Charge) {
        self.pico = self.pico.saturating_add(other.pico);
        self.unpriced += other.unpriced;
    }

    /// The cost in dollars, `None` when part of it has no price.
    pub fn cost_usd(&self) -> Option<f64> {
        (self.unpriced == 0).then(|| usd(self.pico))
    }

    /// The cost in dollars of what has a price: the cost when [`Charge::cost_usd`] is known, a
    /// lower bound when it is not (`unpriced > 0`), as
    /// [`usd_at_least`](crate::render::text::usd_at_least) shows one: `$1.23+`, `unknown`.
    pub fn priced_usd(&self) -> f64 {
        usd(self.pico)
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

impl CauseTally {
    /// Counts one rebuild (of this tally's cause, or of any for a total).
    pub fn add(&mut self, rebuild: &Rebuild) {
        self.rebuilds += 1;
        self.tokens = self.tokens.saturating_add(rebuild.tokens);
        self.cost.add(rebuild.cost_usd);
    }
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
    /// Prompts after this one counted with it: 0 but for the last kept prompt of a session
    /// with more than [`PROMPTS_KEPT`], whose figures then cover it and every later prompt.
    pub later_prompts: u64,
}

impl PromptCost {
    /// Counts `later` (a prompt after this one, and those counted with it) with this one.
    fn fold(&mut self, later: PromptCost) {
        self.cost.add_charge(later.cost);
        self.api_calls += later.api_calls;
        self.tool_calls += later.tool_calls;
        self.later_prompts += 1 + later.later_prompts;
    }
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
    /// A usage event of it came (else its cost, if any, is a copy's joined to it).
    usage: bool,
}

/// A session's cost explained. See the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct CostExplained {
    /// Cache reads over all usage events, increments included (main chain and subagents).
    pub cache_read: u64,
    /// All input over all usage events, increments included: uncached, cache reads and
    /// cache writes.
    pub input: u64,
    /// Rebuilds by cause, in [`RebuildCause::ALL`] order.
    pub causes: [CauseTally; 8],
    /// The costliest rebuilds, costliest first (at most [`COSTLIEST`]).
    pub costliest: Vec<RebuildRecord>,
    /// The latest rebuild (by time; in stream order when times are missing).
    pub last_rebuild: Option<RebuildRecord>,
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
    /// The cost of copied usage ([`Event::copied`]) of responses whose calls were not met
    /// yet, by message id (hashed): joined to them when they come ([`CostExplained::tools`]
    /// charges what is left to no tool).
    copied: HashMap<u64, Charge, foldhash::fast::RandomState>,
    /// The calls of closed responses that called tools and came with no usage, by message id
    /// (hashed): a copied usage of the same response is charged to them.
    unbilled: HashMap<u64, Vec<Box<str>>, foldhash::fast::RandomState>,
    /// Per chain (`None`: the main one). Looked up for every usage event and tool call:
    /// hashed with foldhash, a fraction of std's SipHash.
    chains: HashMap<Option<String>, ChainState, foldhash::fast::RandomState>,
    /// The open response of each chain, as `chains`.
    open: HashMap<Option<String>, OpenResponse, foldhash::fast::RandomState>,
    /// Prompts are not kept (see [`CostExplained::without_prompts`]).
    no_prompts: bool,
}

impl CostExplained {
    /// A session's cost explained that keeps no cost per prompt when `drop` is true: every
    /// main-chain response then counts in [`CostExplained::preamble`] (for views that never
    /// show prompts, so that memory does not grow with them).
    pub fn without_prompts(drop: bool) -> Self {
        CostExplained {
            no_prompts: drop,
            ..CostExplained::default()
        }
    }

    /// A human prompt on the main chain.
    pub(crate) fn on_prompt(&mut self, at: Option<(i64, &str)>, text: &crate::text::Text<'_>) {
        if self.no_prompts {
            return;
        }
        if self.prompts.len() >= PROMPTS_KEPT {
            if let Some(last) = self.prompts.last_mut() {
                last.later_prompts += 1;
            }
            return;
        }
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
            if let Some(copied) = message.and_then(|m| self.copied.remove(&m)) {
                open.cost = copied;
            }
            match closed.message {
                // A subagent's response that called tools with no usage of its own: its calls
                // are kept for a copy of its usage met later (its cost, a copy's joined at
                // opening if any, is charged now).
                Some(message)
                    if chain.is_some()
                        && !closed.usage
                        && !closed.tools.is_empty()
                        && self.unbilled.len() < UNBILLED_KEPT =>
                {
                    let tools = closed.tools.clone();
                    close(&mut self.tools, &mut self.no_tool, closed);
                    self.unbilled.entry(message).or_default().extend(tools);
                }
                _ => close(&mut self.tools, &mut self.no_tool, closed),
            }
        }
        open
    }

    /// The cost `cost` of a copied usage of the response `message_id` on `chain`: to the
    /// chain's open response when it is that one, to the calls of it met already with no
    /// usage, else kept until they come.
    fn on_copied(&mut self, chain: Option<&str>, message_id: Option<&str>, cost: Option<f64>) {
        let mut charge = Charge::default();
        charge.add(cost);
        let Some(message) = message_id.map(hash_str) else {
            self.no_tool.add_charge(charge);
            return;
        };
        if let Some(open) = self.open.get_mut(&chain.map(str::to_owned)) {
            if open.message == Some(message) {
                open.cost.add_charge(charge);
                return;
            }
        }
        if !self.join_copied(message, charge) {
            self.copied.entry(message).or_default().add_charge(charge);
        }
    }

    /// Charges `cost`, a copied usage of the response `message` (hashed), to its calls met
    /// with no usage: in an open response, or closed ([`CostExplained::unbilled`]). False,
    /// changing nothing, when none was met.
    fn join_copied(&mut self, message: u64, cost: Charge) -> bool {
        if let Some(open) = self
            .open
            .values_mut()
            .find(|o| o.message == Some(message) && !o.usage)
        {
            open.cost.add_charge(cost);
            return true;
        }
        let Some(tools) = self.unbilled.get(&message) else {
            return false;
        };
        let response = OpenResponse {
            message: Some(message),
            cost,
            tools: tools.clone(),
            usage: true,
        };
        close(&mut self.tools, &mut self.no_tool, response);
        true
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
        counts_writes: bool,
        copied: bool,
    ) -> Option<CacheFigures> {
        if copied {
            self.on_copied(chain, message_id, cost);
        } else {
            let open = self.open_response(chain, message_id);
            open.cost.add(cost);
            open.usage = true;
        }
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
        // An increment carries only what grew, so summing every event gives the session's
        // totals: input and cache reads that arrive only on one (Copilot CLI's shutdown
        // totals, FORMAT.md §4) count in the hit ratio too.
        self.cache_read = self.cache_read.saturating_add(tokens.cache_read);
        self.input = self.input.saturating_add(tokens.total_input());
        if increment {
            return None;
        }
        let state = self.chain(chain);
        state.set_counts_writes(counts_writes);
        let figures = state.observe(at.map(|(ms, _)| ms), model, tokens, factors, pricing);
        if let Some(rebuild) = figures.rebuild {
            self.causes[rebuild.cause.index()].add(&rebuild);
            let record = RebuildRecord {
                at: at.map(|(ms, t)| (ms, t.to_owned())),
                agent: chain.map(str::to_owned),
                model: model.to_owned(),
                gap_ms: figures.gap_ms,
                rebuild,
            };
            self.note_last(&record);
            self.keep_costliest(record);
        }
        Some(figures)
    }

    fn note_last(&mut self, record: &RebuildRecord) {
        let later = match (&self.last_rebuild, &record.at) {
            (Some(last), Some(at)) => last.at.as_ref().is_none_or(|l| at.0 >= l.0),
            _ => true,
        };
        if later {
            self.last_rebuild = Some(record.clone());
        }
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
        for copied in self.copied.values() {
            none.add_charge(*copied);
        }
        (tools, none)
    }

    /// Adds another registry's figures for the same session (see
    /// [`Sessions::merge`](crate::session::Sessions::merge)).
    pub(crate) fn merge(&mut self, mut theirs: CostExplained) {
        // Copied usage of one side joins the calls with no usage of the other first.
        let joined = |from: &mut CostExplained, into: &mut CostExplained| {
            for (message, cost) in std::mem::take(&mut from.copied) {
                if !into.join_copied(message, cost) {
                    from.copied.insert(message, cost);
                }
            }
        };
        joined(&mut theirs, self);
        joined(self, &mut theirs);
        for (message, tools) in std::mem::take(&mut theirs.unbilled) {
            self.unbilled.entry(message).or_default().extend(tools);
        }
        for (message, cost) in std::mem::take(&mut theirs.copied) {
            self.copied.entry(message).or_default().add_charge(cost);
        }
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
        if let Some(r) = &theirs.last_rebuild {
            self.note_last(r);
        }
        self.preamble.cost.add_charge(theirs.preamble.cost);
        self.preamble.api_calls += theirs.preamble.api_calls;
        self.preamble.tool_calls += theirs.preamble.tool_calls;
        self.prompts.extend(theirs.prompts);
        // Stable: prompts without a time keep their place after the timed ones of their side.
        self.prompts
            .sort_by_key(|p| p.at.as_ref().map_or(i64::MAX, |a| a.0));
        if self.prompts.len() > PROMPTS_KEPT {
            let later = self.prompts.split_off(PROMPTS_KEPT);
            if let Some(last) = self.prompts.last_mut() {
                for p in later {
                    last.fold(p);
                }
            }
        }
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

/// Closed responses of subagents that called tools with no usage of their own kept per session
/// for a copied usage to join ([`CostExplained::unbilled`]): 65,536 (some 4 MB at most). Only a
/// subagent whose usage its parent's transcript copied has such responses, one per copied
/// response; beyond, a copy met later is charged to no tool.
const UNBILLED_KEPT: usize = 65_536;

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
    use std::hash::BuildHasher;
    // Compared within one process only: foldhash with a fixed seed (std's SipHash before).
    foldhash::quality::FixedState::with_seed(0x0e55_a9e1_d000_0001).hash_one(s)
}

/// The cost fields of one usage event on the NDJSON stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageCost {
    /// The event's own cost (an increment's too), `None` when it has no price.
    pub cost_usd: Option<f64>,
    /// The cache figures, on a response's first usage event only.
    pub cache: Option<CacheFigures>,
}

/// Chains whose previous request a [`CacheTracker`] remembers: the latest hundred thousand or
/// so (a chain forgotten looks like a new one: its next rebuild is called `first_request`).
pub const CHAINS_REMEMBERED: usize = 100_000;

/// The per-stream state that gives NDJSON usage events their cost and cache figures: the same
/// rules as [`CostExplained`], keyed by session and chain, without the rest of a session.
/// Memory: about 80 bytes per chain, for the latest [`CHAINS_REMEMBERED`].
#[derive(Debug)]
pub struct CacheTracker {
    pricing: Pricing,
    /// By a 64-bit hash of session and chain.
    chains: Generations<ChainState>,
    /// 1.0.x inline sidechain runs started, by session (hash).
    inline_runs: Generations<u32>,
    /// The model of the latest usage event, as written and taken apart: consecutive events
    /// nearly always name the same model, whose id is then not parsed again.
    last_model: Option<(Box<str>, ModelId<'static>)>,
    /// The price of the latest usage event's request, with its model and factors:
    /// consecutive events nearly always share both, and the price table's lookups (string
    /// keys in B-trees, cold in the cache by the next event) are not done again.
    last_price: Option<LastPrice>,
    /// The price looked up before `last_price`: a session's main model and its subagents'
    /// one take turns (on the shared corpus 240 lookups for 1,352 usage events with one price
    /// kept, 0.6% of the filter's time on distinct history; issue 14).
    other_price: Option<LastPrice>,
}

/// A request's price ([`Pricing::request_price`]), the times it holds for, and the factors
/// it was looked up with.
#[derive(Debug)]
struct LastPrice {
    /// The model as written.
    model: Box<str>,
    speed: Option<Cow<'static, str>>,
    service_tier: Option<Cow<'static, str>>,
    inference_geo: Option<Cow<'static, str>>,
    price: DatedPrice,
}

impl Default for CacheTracker {
    fn default() -> Self {
        CacheTracker::new(Pricing::built_in())
    }
}

impl CacheTracker {
    /// A tracker pricing with `pricing`.
    pub fn new(pricing: Pricing) -> Self {
        CacheTracker {
            pricing,
            chains: Generations::with_limit(Some(CHAINS_REMEMBERED)),
            inline_runs: Generations::with_limit(Some(CHAINS_REMEMBERED)),
            last_model: None,
            last_price: None,
            other_price: None,
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
                repriced,
                unread,
                ..
            } => {
                let model = model.as_deref().unwrap_or("unknown");
                // Priced at the rates of the request's own time (none: the current ones).
                let at = event.timestamp.as_deref().and_then(parse_millis);
                let fits = |last: &LastPrice| {
                    *last.model == *model
                        && last.speed == factors.speed
                        && last.service_tier == factors.service_tier
                        && last.inference_geo == factors.inference_geo
                        && last.price.valid.contains(at)
                };
                let price = match (&self.last_price, &self.other_price) {
                    (Some(last), _) if fits(last) => last.price.price,
                    (_, Some(other)) if fits(other) => {
                        let price = other.price.price;
                        std::mem::swap(&mut self.last_price, &mut self.other_price);
                        price
                    }
                    _ => {
                        let id = model_id(&mut self.last_model, model);
                        let price = self.pricing.request_price(id, factors, at);
                        let last = LastPrice {
                            model: Box::from(model),
                            speed: factors.speed.clone(),
                            service_tier: factors.service_tier.clone(),
                            inference_geo: factors.inference_geo.clone(),
                            price,
                        };
                        self.other_price = self.last_price.replace(last);
                        price.price
                    }
                };
                // A usage aegon could not read whole has no known cost, never $0. A later
                // line that re-prices its response carries it, as in every view.
                let cost_usd = price.filter(|_| unread.is_none()).and_then(|p| {
                    p.usage_cost(tokens, factors, repriced.as_deref(), |f| {
                        let id = model_id(&mut self.last_model, model);
                        self.pricing.request_price(id, f, at).price
                    })
                });
                let cache = if *increment {
                    None
                } else {
                    let key = self.chain_key(event);
                    chain_mut(&mut self.chains, key).map(|chain| {
                        chain.set_counts_writes(event.agent.counts_cache_writes());
                        chain.observe(at, model, tokens, factors, &self.pricing)
                    })
                };
                Some(UsageCost { cost_usd, cache })
            }
            EventKind::Compact { .. } | EventKind::CompactSummary { .. } => {
                let key = self.chain_key(event);
                if let Some(chain) = chain_mut(&mut self.chains, key) {
                    chain.on_compaction();
                }
                None
            }
            EventKind::ApiError { .. } => {
                let key = self.chain_key(event);
                if let Some(chain) = chain_mut(&mut self.chains, key) {
                    chain.on_api_error();
                }
                None
            }
            EventKind::UserPrompt { .. } | EventKind::UserMeta { .. }
                if event.sidechain && event.agent_id.is_none() =>
            {
                // A 1.0.x inline sidechain prompt starts a new run (as the session core counts).
                let session = fnv(
                    FNV_START,
                    event.session_id.as_deref().unwrap_or("").as_bytes(),
                );
                let runs = self.inline_runs.get(&session).copied().unwrap_or(0);
                self.inline_runs.insert(session, runs + 1);
                None
            }
            _ => None,
        }
    }

    /// A hash of the event's session and chain (the agent id, or the inline run).
    fn chain_key(&self, event: &Event<'_>) -> u64 {
        let session = fnv(
            FNV_START,
            event.session_id.as_deref().unwrap_or("").as_bytes(),
        );
        match (&event.agent_id, event.sidechain) {
            (Some(id), _) => fnv(fnv(session, b"\x01"), id.as_bytes()),
            (None, true) => {
                let run = self.inline_runs.get(&session).copied().unwrap_or(0).max(1);
                fnv(fnv(session, b"\x02"), &run.to_le_bytes())
            }
            (None, false) => session,
        }
    }
}

/// `model` taken apart ([`ModelId::parse`]), parsed only when it is not `last`'s model (then
/// it becomes `last`).
pub(crate) fn model_id<'l>(
    last: &'l mut Option<(Box<str>, ModelId<'static>)>,
    model: &str,
) -> &'l ModelId<'static> {
    let kept = match last.take() {
        Some(kept) if *kept.0 == *model => kept,
        _ => {
            let id = ModelId::parse(model);
            let id = ModelId {
                name: Cow::Owned(id.name.into_owned()),
                endpoint: id.endpoint,
            };
            (Box::from(model), id)
        }
    };
    &last.insert(kept).1
}

/// The state of the chain `key`, a new one if it is not known.
fn chain_mut(chains: &mut Generations<ChainState>, key: u64) -> Option<&mut ChainState> {
    if !chains.contains_key(&key) {
        chains.insert(key, ChainState::default());
    }
    chains.get_mut(&key)
}

/// The FNV-1a offset basis.
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `bytes`, from `h`: cheap for the short ids hashed once per event (a 64-bit
/// hash: a collision between two of a stream's chains is vanishingly unlikely).
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One human prompt's cost with the subagents it spawned ([`Session::cost_by_prompt`](crate::session::Session::cost_by_prompt)).
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::event::Source;
    use crate::format::claude::decode::bare_event;
    use crate::session::Sessions;

    /// Opus 4.6 at Anthropic's list prices: $5 input, $25 output, 5-minute writes 1.25×
    /// ($6.25), 1-hour writes 2× ($10), reads 0.1× ($0.50), per million tokens.
    const OPUS: &str = "claude-opus-4-6";

    #[test]
    fn a_model_id_is_parsed_again_only_when_the_model_changes() {
        let mut last = None;
        let models = [
            "claude-opus-4-1-20250805",
            "claude-opus-4-1-20250805",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-opus-4-1-20250805",
            "Claude-Sonnet-4.5",
            "",
        ];
        for model in models {
            assert_eq!(
                *model_id(&mut last, model),
                ModelId::parse(model),
                "{model}"
            );
            assert_eq!(last.as_ref().map(|(m, _)| &**m), Some(model));
        }
    }

    fn t(read: u64, w5: u64, w1h: u64) -> Tokens {
        Tokens {
            input: 3,
            output: 10,
            cache_read: read,
            cache_write_5m: w5,
            cache_write_1h: w1h,
            web_search: 0,
        }
    }

    /// A chain whose first request cached 100,000 tokens (1-hour writes when `one_hour`) at
    /// t = 0, and what the second request, `gap_ms` later, is judged.
    fn second(one_hour: bool, gap_ms: Option<i64>, model: &str, second: Tokens) -> CacheFigures {
        second_after(one_hour, gap_ms, model, second, |_| {})
    }

    fn second_after(
        one_hour: bool,
        gap_ms: Option<i64>,
        model: &str,
        second: Tokens,
        between: impl FnOnce(&mut ChainState),
    ) -> CacheFigures {
        let p = Pricing::built_in();
        let f = PriceFactors::default();
        let mut c = ChainState::default();
        let first = if one_hour {
            t(90_000, 0, 10_000)
        } else {
            t(90_000, 10_000, 0)
        };
        c.observe(Some(0), OPUS, &first, &f, &p);
        between(&mut c);
        c.observe(gap_ms, model, &second, &f, &p)
    }

    #[test]
    fn without_write_counts_the_cached_input_missed_is_the_rebuild() {
        // corpus-agents codex/AkashJana18__edgerunner__codex-session.jsonl, lines 733 and 738
        // (gpt-5.6-sol): 274,137 input of which 263,936 cached, then 65.9 s later 275,364 of
        // which only 11,008 cached. Missed: 263,936 - 11,008 = 252,928 tokens, sent at the
        // input rate; the prompt is over 272K, so the long-context rates ($10 input, $1
        // cached): 252,928 x $9 / 1M = $2.276352 beyond a cache hit.
        let p = Pricing::built_in();
        let tokens = |input: u64, cached: u64, output: u64| Tokens {
            input: input - cached,
            output,
            cache_read: cached,
            ..Tokens::default()
        };
        let factors = |prompt: u64| PriceFactors {
            prompt_tokens: prompt,
            ..PriceFactors::default()
        };
        let run = |counts_writes: bool| {
            let mut c = ChainState::default();
            c.set_counts_writes(counts_writes);
            let first = c.observe(
                Some(0),
                "gpt-5.6-sol",
                &tokens(274_137, 263_936, 873),
                &factors(274_137),
                &p,
            );
            // Nothing was cached before a chain's first request: no rebuild.
            assert_eq!(first.rebuild, None);
            c.observe(
                Some(65_911),
                "gpt-5.6-sol",
                &tokens(275_364, 11_008, 1_066),
                &factors(275_364),
                &p,
            )
        };
        let r = run(false).rebuild.expect("a rebuild");
        assert_eq!(r.tokens, 252_928);
        assert!((r.cost_usd.unwrap() - 2.276_352).abs() < 1e-9, "{r:?}");
        // Read as if writes were counted (none written): nothing rebuilt, as before.
        assert_eq!(run(true).rebuild, None);
    }

    fn cause(f: &CacheFigures) -> Option<RebuildCause> {
        f.rebuild.map(|r| r.cause)
    }

    /// Rebuilt from scratch: nothing read, the whole prefix and 2,000 new tokens written.
    fn rebuilt(one_hour: bool) -> Tokens {
        if one_hour {
            t(0, 0, 102_000)
        } else {
            t(0, 102_000, 0)
        }
    }

    #[test]
    fn the_first_request_of_a_chain() {
        let p = Pricing::built_in();
        let mut c = ChainState::default();
        let f = c.observe(
            Some(0),
            OPUS,
            &t(0, 0, 20_000),
            &PriceFactors::default(),
            &p,
        );
        let r = f.rebuild.unwrap();
        assert_eq!((r.cause, r.tokens), (RebuildCause::FirstRequest, 20_000));
        // 20,000 × ($10 − $0.50) per million.
        assert!((r.cost_usd.unwrap() - 0.19).abs() < 1e-12);
        assert_eq!(f.gap_ms, None);
        // A first request that writes little beside a large read is no rebuild.
        let mut c = ChainState::default();
        let f = c.observe(
            Some(0),
            OPUS,
            &t(160_000, 0, 2_500),
            &PriceFactors::default(),
            &p,
        );
        assert_eq!(f.rebuild, None);
        assert!((f.hit_ratio.unwrap() - 160_000.0 / 162_503.0).abs() < 1e-12);
    }

    #[test]
    fn a_cache_read_whole_is_no_rebuild_nor_a_small_miss() {
        // Everything cached read back, new content written: the normal turn.
        let f = second(false, Some(10_000), OPUS, t(100_000, 30_000, 0));
        assert_eq!(f.rebuild, None);
        assert_eq!(f.gap_ms, Some(10_000));
        // 8 % of the prefix missed (as behind one gateway on the corpus): under a tenth.
        assert_eq!(
            second(false, Some(10_000), OPUS, t(92_000, 10_000, 0)).rebuild,
            None
        );
        // 10 % missed: a rebuild.
        let f = second(false, Some(10_000), OPUS, t(90_000, 12_000, 0));
        assert_eq!(f.rebuild.map(|r| r.tokens), Some(10_000));
    }

    #[test]
    fn expiry_after_five_minutes_with_5m_writes() {
        let under = second(false, Some(TTL_5M_MS - 1), OPUS, rebuilt(false));
        assert_eq!(cause(&under), Some(RebuildCause::SystemOrTools));
        let at = second(false, Some(TTL_5M_MS), OPUS, rebuilt(false));
        assert_eq!(
            cause(&at),
            Some(RebuildCause::SystemOrTools),
            "equal is not over"
        );
        let over = second(false, Some(TTL_5M_MS + 1), OPUS, rebuilt(false));
        assert_eq!(cause(&over), Some(RebuildCause::Expired));
        let r = over.rebuild.unwrap();
        // Missed 100,000, wrote 102,000: 100,000 rebuilt × ($6.25 − $0.50) per million.
        assert_eq!(r.tokens, 100_000);
        assert!((r.cost_usd.unwrap() - 0.575).abs() < 1e-12);
        assert_eq!(over.gap_ms, Some(TTL_5M_MS as u64 + 1));
    }

    #[test]
    fn expiry_after_an_hour_with_1h_writes() {
        let six_minutes = second(true, Some(6 * 60_000), OPUS, rebuilt(true));
        assert_eq!(cause(&six_minutes), Some(RebuildCause::SystemOrTools));
        let under = second(true, Some(TTL_1H_MS - 1), OPUS, rebuilt(true));
        assert_eq!(cause(&under), Some(RebuildCause::SystemOrTools));
        let over = second(true, Some(TTL_1H_MS + 1), OPUS, rebuilt(true));
        assert_eq!(cause(&over), Some(RebuildCause::Expired));
        // 100,000 × ($10 − $0.50) per million.
        assert!((over.rebuild.unwrap().cost_usd.unwrap() - 0.95).abs() < 1e-12);
        // The TTL is the latest write's: a later request writing 5-minute tokens shortens it.
        let p = Pricing::built_in();
        let f = PriceFactors::default();
        let mut c = ChainState::default();
        c.observe(Some(0), OPUS, &t(0, 0, 50_000), &f, &p);
        c.observe(Some(1_000), OPUS, &t(50_000, 5_000, 0), &f, &p);
        let late = c.observe(Some(1_000 + TTL_5M_MS + 1), OPUS, &t(0, 60_000, 0), &f, &p);
        assert_eq!(cause(&late), Some(RebuildCause::Expired));
    }

    #[test]
    fn compaction_model_switch_retry_and_inferred_changes() {
        let compacted = second_after(false, Some(1_000), OPUS, t(15_000, 20_000, 0), |c| {
            c.on_compaction()
        });
        let r = compacted.rebuild.unwrap();
        // Missed 85,000 but wrote 20,000: only what was written counts.
        assert_eq!((r.cause, r.tokens), (RebuildCause::Compaction, 20_000));
        let switched = second(false, Some(1_000), "claude-sonnet-4-6", rebuilt(false));
        assert_eq!(cause(&switched), Some(RebuildCause::ModelSwitch));
        // Sonnet 4.6's rates: 100,000 × ($3.75 − $0.30) per million.
        assert!((switched.rebuild.unwrap().cost_usd.unwrap() - 0.345).abs() < 1e-12);
        let retried = second_after(false, Some(60_000), OPUS, rebuilt(false), |c| {
            c.on_api_error()
        });
        assert_eq!(cause(&retried), Some(RebuildCause::Retry));
        // Expiry wins over a retry: the cache was gone whatever else happened.
        let both = second_after(false, Some(TTL_5M_MS + 1), OPUS, rebuilt(false), |c| {
            c.on_api_error()
        });
        assert_eq!(cause(&both), Some(RebuildCause::Expired));
        // The tools and system prompt read, the conversation not.
        let partial = second(false, Some(60_000), OPUS, t(18_000, 84_000, 0));
        assert_eq!(cause(&partial), Some(RebuildCause::ConversationChanged));
        // Without a time, expiry cannot be ruled out.
        let untimed = second(false, None, OPUS, rebuilt(false));
        assert_eq!(cause(&untimed), Some(RebuildCause::Unknown));
        // A model with no price: the rebuild is found, its cost unknown.
        let unpriced = second(false, Some(1_000), "MiniMax-M3", rebuilt(false));
        assert_eq!(unpriced.rebuild.map(|r| r.cost_usd), Some(None));
    }

    /// Builds events the way the decoder emits them, for one session `s1`.
    struct Stream {
        sessions: Sessions,
    }

    impl Stream {
        fn push(
            &mut self,
            ts: &'static str,
            agent: Option<&'static str>,
            kind: EventKind<'static>,
        ) {
            self.push_copied(ts, agent, kind, false);
        }

        /// [`Stream::push`] of an event read from a copy ([`Event::copied`]) when `copied`.
        fn push_copied(
            &mut self,
            ts: &'static str,
            agent: Option<&'static str>,
            kind: EventKind<'static>,
            copied: bool,
        ) {
            let source = Source {
                file: "t",
                line: 1,
                offset: 0,
            };
            let event = Event {
                session_id: Some(Cow::Borrowed("s1")),
                timestamp: Some(Cow::Borrowed(ts)),
                agent_id: agent.map(Cow::Borrowed),
                sidechain: agent.is_some(),
                copied,
                ..bare_event(source, kind)
            };
            self.sessions.apply(&event, parse_millis(ts).unwrap_or(0));
        }
    }

    /// The tracker keeps a price only for the times it holds: a request on the other side of
    /// a price change is priced at its own time's rates ([S5.5]: Sonnet 5.5's cache reads
    /// $0.20/Mtok until 2026-10-07, $0.10 since; no timestamp: the current rates).
    #[test]
    fn tracker_costs_follow_each_events_time() {
        let mut tracker = CacheTracker::new(Pricing::built_in());
        let tokens = Tokens {
            cache_read: 1_000_000,
            ..Tokens::default()
        };
        let source = Source {
            file: "t",
            line: 1,
            offset: 0,
        };
        let mut costs = Vec::new();
        for ts in [
            Some("2026-10-06T12:00:00.000Z"),
            Some("2026-10-08T12:00:00.000Z"),
            Some("2026-10-06T23:59:59.999Z"),
            None,
            Some("2026-10-07T00:00:00.000Z"),
        ] {
            let kind = request("claude-sonnet-5-5", tokens, PriceFactors::default());
            let event = Event {
                timestamp: ts.map(Cow::Borrowed),
                ..bare_event(source, kind)
            };
            let cost = tracker.observe(&event).and_then(|c| c.cost_usd).unwrap();
            costs.push((cost * 100.0).round() / 100.0);
        }
        // 1,000,000 reads × $0.20 or $0.10 per million.
        assert_eq!(costs, [0.2, 0.1, 0.2, 0.1, 0.1]);
        // The same with another model's request between each two: the price kept from two
        // requests before holds only for its own times too.
        let mut tracker = CacheTracker::new(Pricing::built_in());
        let mut costs = Vec::new();
        for ts in [
            Some("2026-10-06T12:00:00.000Z"),
            Some("2026-10-06T13:00:00.000Z"),
            Some("2026-10-08T12:00:00.000Z"),
            Some("2026-10-06T23:59:59.999Z"),
            None,
            Some("2026-10-07T00:00:00.000Z"),
        ] {
            for model in [OPUS, "claude-sonnet-5-5"] {
                let kind = request(model, tokens, PriceFactors::default());
                let event = Event {
                    timestamp: ts.map(Cow::Borrowed),
                    ..bare_event(source, kind)
                };
                let cost = tracker.observe(&event).and_then(|c| c.cost_usd).unwrap();
                if model != OPUS {
                    costs.push((cost * 100.0).round() / 100.0);
                }
            }
        }
        assert_eq!(costs, [0.2, 0.2, 0.1, 0.2, 0.1, 0.1]);
    }

    /// The tracker looks a request's price up again when the model or a price factor changes
    /// from one usage event to the next: each event's cost is the price table's for its own
    /// model and factors (a price kept from the event before would be wrong).
    #[test]
    fn tracker_costs_follow_each_events_model_and_factors() {
        let pricing = Pricing::built_in();
        let mut tracker = CacheTracker::new(pricing.clone());
        let tokens = Tokens {
            input: 1_000,
            output: 2_000,
            cache_read: 300_000,
            ..Tokens::default()
        };
        let batch = Some(Cow::Borrowed("batch"));
        let cases = [
            (OPUS, None, None),
            (OPUS, None, None),
            (OPUS, batch.clone(), None),
            ("claude-sonnet-4-5", batch.clone(), None),
            ("claude-sonnet-4-5", None, None),
            ("claude-sonnet-4-5", None, Some(Cow::Borrowed("fast"))),
            ("claude-opus-4-6", None, Some(Cow::Borrowed("fast"))),
            ("no-such-model", None, None),
            (OPUS, None, None),
            // Two models taking turns (the two prices kept), then their factors changing.
            ("claude-sonnet-4-5", None, None),
            (OPUS, None, None),
            ("claude-sonnet-4-5", None, None),
            ("claude-sonnet-4-5", batch.clone(), None),
            (OPUS, None, None),
            (OPUS, batch.clone(), None),
            ("claude-sonnet-4-5", batch.clone(), None),
            (OPUS, None, None),
        ];
        let source = Source {
            file: "t",
            line: 1,
            offset: 0,
        };
        let mut costs = Vec::new();
        for (model, service_tier, speed) in cases {
            let factors = PriceFactors {
                service_tier,
                speed,
                prompt_tokens: tokens.total_input(),
                ..PriceFactors::default()
            };
            let kind = request(model, tokens, factors.clone());
            let cost = tracker
                .observe(&bare_event(source, kind))
                .and_then(|c| c.cost_usd);
            assert_eq!(
                cost,
                pricing.request_cost(model, &tokens, &factors),
                "{model}"
            );
            costs.push(cost);
        }
        // The cases price differently (else the test could not see a stale price).
        assert_ne!(costs[1], costs[2]);
        assert_ne!(costs[2], costs[3]);
        assert_ne!(costs[4], costs[5]);
        assert_eq!(costs[7], None);
    }

    /// A request of `model` with no message id: what the tracker prices alone.
    fn request(model: &'static str, tokens: Tokens, factors: PriceFactors) -> EventKind<'static> {
        EventKind::Usage {
            message_id: None,
            request_id: None,
            model: Some(Cow::Borrowed(model)),
            tokens,
            increment: true,
            factors,
            reasoning: None,
            unread: None,
            context: None,
            window: None,
            repriced: None,
        }
    }

    fn usage(id: &'static str, tokens: Tokens, increment: bool) -> EventKind<'static> {
        EventKind::Usage {
            message_id: Some(Cow::Borrowed(id)),
            request_id: None,
            model: Some(Cow::Borrowed(OPUS)),
            tokens,
            increment,
            factors: PriceFactors::default(),
            reasoning: None,
            unread: None,
            context: None,
            window: None,
            repriced: None,
        }
    }

    fn call(id: &'static str, tool: &'static str, message: &'static str) -> EventKind<'static> {
        EventKind::ToolCall {
            message_id: Some(Cow::Borrowed(message)),
            tool_use_id: Some(Cow::Borrowed(id)),
            tool: Cow::Borrowed(tool),
            input: None,
        }
    }

    fn prompt(text: &'static str) -> EventKind<'static> {
        EventKind::UserPrompt { text: text.into() }
    }

    /// Output-only usage: $25 per million output tokens on Opus 4.6, so `n` tokens cost
    /// n × 25 µ$.
    fn out(n: u64) -> Tokens {
        Tokens {
            output: n,
            ..Tokens::default()
        }
    }

    #[test]
    fn cost_is_charged_to_prompts_subagents_and_tools() {
        let mut s = Stream {
            sessions: Sessions::new(),
        };
        s.push(
            "2026-01-01T00:00:00.000Z",
            None,
            usage("m0", out(1_000), false),
        );
        s.push(
            "2026-01-01T00:00:01.000Z",
            None,
            prompt("first\nsecond line"),
        );
        // A response whose first line is a tool call (blocks come before the line's usage),
        // then a second call and a later line adding output.
        s.push("2026-01-01T00:00:02.000Z", None, call("c1", "Read", "m1"));
        s.push(
            "2026-01-01T00:00:02.000Z",
            None,
            usage("m1", out(3_000), false),
        );
        s.push("2026-01-01T00:00:02.500Z", None, call("c2", "Bash", "m1"));
        s.push("2026-01-01T00:00:03.000Z", None, call("c3", "Read", "m1"));
        s.push(
            "2026-01-01T00:00:03.000Z",
            None,
            usage("m1", out(3_000), true),
        );
        s.push("2026-01-01T00:00:04.000Z", None, call("task", "Task", "m2"));
        s.push(
            "2026-01-01T00:00:04.000Z",
            None,
            usage("m2", out(2_000), false),
        );
        s.push("2026-01-01T00:00:09.000Z", None, prompt("next"));
        s.push(
            "2026-01-01T00:00:10.000Z",
            None,
            usage("m3", out(4_000), false),
        );
        // The subagent's file is read after the main one: its lines come last, yet its cost
        // belongs to the prompt whose Task call spawned it.
        s.push(
            "2026-01-01T00:00:05.000Z",
            Some("a1"),
            usage("s1", out(8_000), false),
        );
        s.push(
            "2026-01-01T00:00:11.000Z",
            None,
            EventKind::ToolResult {
                tool_use_id: Some(Cow::Borrowed("task")),
                is_error: false,
                tool: None,
                duration_ms: None,
                content: None,
                spawned_agent_id: Some(Cow::Borrowed("a1")),
                raw_result: None,
            },
        );
        let sess = s.sessions.get("s1").unwrap();
        let pico_per_token = 25_000_000u128; // $25 per million = 25 µ$ = 25,000,000 p$.
        let total: u128 = sess.usage.values().map(|u| u.cost_pico).sum();
        assert_eq!(total, 21_000 * pico_per_token);
        let by_prompt = sess.cost_by_prompt();
        let got: Vec<(usize, u128, u128, usize)> = by_prompt
            .iter()
            .map(|p| {
                (
                    p.index,
                    p.prompt.cost.pico,
                    p.subagents.pico,
                    p.subagent_count,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (0, 1_000 * pico_per_token, 0, 0),
                (1, 8_000 * pico_per_token, 8_000 * pico_per_token, 1),
                (2, 4_000 * pico_per_token, 0, 0),
            ]
        );
        assert_eq!(by_prompt[1].prompt.text, "first");
        assert_eq!(
            (
                by_prompt[1].prompt.api_calls,
                by_prompt[1].prompt.tool_calls
            ),
            (2, 4)
        );
        assert_eq!(sess.subagent_prompt("a1"), 1);
        // m1 (6,000 tokens) in thirds: two to Read, one to Bash; m2 to Task; m0, m3 and the
        // subagent's answer to no tool.
        let (tools, none) = sess.cost_explained.tools();
        assert_eq!(tools["Read"].pico, 4_000 * pico_per_token);
        assert_eq!(tools["Bash"].pico, 2_000 * pico_per_token);
        assert_eq!(tools["Task"].pico, 2_000 * pico_per_token);
        assert_eq!(none.pico, 13_000 * pico_per_token);
    }

    /// A subagent's responses copied in its parent's transcript (`agent_progress`): the
    /// copies' usage comes before its own calls (the parent read first; its own usage lines
    /// then add nothing), or in another part of the session (`--summary -j2`), or alone (its
    /// transcript missing). Its responses are charged to their calls as when its own lines
    /// come alone, whatever the order and however the parts are merged; copies whose calls
    /// never come are charged to no tool.
    #[test]
    fn copied_usage_is_charged_to_its_responses_calls_in_any_order() {
        const T: &str = "2026-01-01T00:00:05.000Z";
        let a1 = Some("a1");
        let own = |s: &mut Stream| {
            s.push(T, a1, call("c1", "Read", "s1"));
            s.push(T, a1, call("c2", "Bash", "s1"));
        };
        let copies = |s: &mut Stream| {
            s.push_copied(T, a1, usage("s1", out(6_000), false), true);
            s.push_copied(T, a1, usage("s2", out(2_000), false), true);
        };
        let stream = || Stream {
            sessions: Sessions::new(),
        };
        let charges = |s: &Sessions| {
            let (tools, none) = s.get("s1").unwrap().cost_explained.tools();
            let tools: Vec<(String, u128)> = tools.into_iter().map(|(t, c)| (t, c.pico)).collect();
            (tools, none.pico)
        };
        // Its own lines alone: s1 (Read, then its usage, then Bash) and s2 (text).
        let mut alone = stream();
        alone.push(T, a1, call("c1", "Read", "s1"));
        alone.push(T, a1, usage("s1", out(6_000), false));
        alone.push(T, a1, call("c2", "Bash", "s1"));
        alone.push(T, a1, usage("s2", out(2_000), false));
        let want = charges(&alone.sessions);
        let p = 25_000_000u128;
        assert_eq!(
            want,
            (
                vec![
                    ("Bash".to_owned(), 3_000 * p),
                    ("Read".to_owned(), 3_000 * p)
                ],
                2_000 * p
            )
        );
        // The copies first, on one stream.
        let mut first = stream();
        copies(&mut first);
        own(&mut first);
        assert_eq!(charges(&first.sessions), want);
        // In two parts, merged either way.
        for copies_first in [true, false] {
            let (mut a, mut b) = (stream(), stream());
            copies(&mut a);
            own(&mut b);
            if !copies_first {
                std::mem::swap(&mut a, &mut b);
            }
            a.sessions.merge(b.sessions);
            assert_eq!(charges(&a.sessions), want, "copies first: {copies_first}");
        }
        // Its transcript missing: what the copies hold, to no tool.
        let mut missing = stream();
        copies(&mut missing);
        assert_eq!(charges(&missing.sessions), (vec![], 8_000 * p));
    }

    #[test]
    fn the_session_keeps_its_costliest_rebuilds_and_tallies_causes() {
        let mut s = Stream {
            sessions: Sessions::new(),
        };
        let steps: [(&'static str, &'static str, Tokens); 5] = [
            ("2026-01-01T00:00:00.000Z", "r1", t(0, 0, 40_000)),
            ("2026-01-01T00:00:10.000Z", "r2", t(40_000, 0, 1_000)),
            // 2 hours later: expired, 41,000 rebuilt.
            ("2026-01-01T02:00:10.000Z", "r3", t(0, 0, 42_000)),
            ("2026-01-01T02:00:20.000Z", "r4", t(42_000, 0, 500)),
            // Conversation changed: 20,000 of 42,500 read.
            ("2026-01-01T02:00:30.000Z", "r5", t(20_000, 0, 23_000)),
        ];
        for (ts, id, tokens) in steps {
            s.push(ts, None, usage(id, tokens, false));
        }
        let e = &s.sessions.get("s1").unwrap().cost_explained;
        let kept: Vec<(RebuildCause, u64)> = e
            .costliest
            .iter()
            .map(|r| (r.rebuild.cause, r.rebuild.tokens))
            .collect();
        assert_eq!(
            kept,
            [
                (RebuildCause::Expired, 41_000),
                (RebuildCause::FirstRequest, 40_000),
                (RebuildCause::ConversationChanged, 22_500),
            ]
        );
        assert_eq!(e.cause(RebuildCause::Expired).rebuilds, 1);
        let last = e.last_rebuild.as_ref().unwrap();
        assert_eq!(
            (last.rebuild.cause, last.gap_ms),
            (RebuildCause::ConversationChanged, Some(10_000))
        );
        let all = e.rebuilds();
        assert_eq!((all.rebuilds, all.tokens), (3, 103_500));
        // 103,500 × ($10 − $0.50) per million.
        assert!((all.cost.cost_usd().unwrap() - 0.98325).abs() < 1e-9);
        let read: u64 = 40_000 + 42_000 + 20_000;
        let input: u64 = steps.iter().map(|(_, _, t)| t.total_input()).sum();
        assert!((e.hit_ratio().unwrap() - read as f64 / input as f64).abs() < 1e-12);
    }
}
