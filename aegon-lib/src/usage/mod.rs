//! Reports over time: tokens and cost by day, week, month, session, project and 5-hour block
//! (feature `ledger`).
//!
//! A report reads [`Entries`] (one per API response, from the [`crate::ledger`] index or read
//! fresh) and groups them. Instants are UTC; periods are local dates in the zone given
//! ([`time`]). Each entry comes priced as a request of its own, as the session core prices it
//! ([`crate::ledger::Entry::cost_pico`]: its speed, tier, geo and long-context tier), and a
//! group's cost is the sum of its entries' in whole picodollars, so a report's totals equal
//! `aegon --summary`'s whatever the grouping. A response with no known price makes its
//! group's cost a lower bound that says so (`unpriced_models`), never $0.
//!
//! Row and total field names follow ccusage's JSON (`date`/`week`/`month`, `inputTokens`,
//! `outputTokens`, `cacheCreationTokens`, `cacheReadTokens`, `totalTokens`, `totalCost`,
//! `modelsUsed`, `modelBreakdowns`; shared/usage-over-time.md §4.3) so that `jq` scripts
//! written for it port over; [`render`] writes them.

pub mod blocks;
pub mod limits;
pub mod render;
pub mod table;
pub mod time;

use std::collections::{BTreeMap, BTreeSet};

use jiff::tz::TimeZone;

use crate::ledger::Entries;
use crate::session::pricing::from_pico;
use crate::tokens::Tokens;
use time::{local_date, within, Bound, Period};

/// What a report's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// By period.
    Period(Period),
    /// One row per session.
    Sessions,
    /// One row per project (`cwd`).
    Projects,
}

impl ReportKind {
    /// The JSON key of the rows (`daily`, `weekly`, `monthly`, `sessions`, `projects`).
    pub fn json_key(self) -> &'static str {
        match self {
            ReportKind::Period(Period::Day) => "daily",
            ReportKind::Period(Period::Week(_)) => "weekly",
            ReportKind::Period(Period::Month) => "monthly",
            ReportKind::Sessions => "sessions",
            ReportKind::Projects => "projects",
        }
    }

    /// The JSON field naming a row (`date`, `week`, `month`, `sessionId`, `project`).
    pub fn row_field(self) -> &'static str {
        match self {
            ReportKind::Period(Period::Day) => "date",
            ReportKind::Period(Period::Week(_)) => "week",
            ReportKind::Period(Period::Month) => "month",
            ReportKind::Sessions => "sessionId",
            ReportKind::Projects => "project",
        }
    }
}

/// A second grouping within each row (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// None.
    Nothing,
    /// Project (`cwd`).
    Project,
    /// Model.
    Model,
    /// The coding agent that wrote the transcript: `claude-code`, `codex`, … ([`crate::Agent`]).
    Agent,
    /// Who made the call: `main` (the conversation) or `subagent`.
    Subagent,
}

impl By {
    /// The JSON field of the second key (`project`, `model`, `agent`, `subagent`).
    pub fn field(self) -> Option<&'static str> {
        match self {
            By::Nothing => None,
            By::Project => Some("project"),
            By::Model => Some("model"),
            By::Agent => Some("agent"),
            By::Subagent => Some("subagent"),
        }
    }
}

/// Which responses a report counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// From (inclusive): the responses from then on; for [`ReportKind::Sessions`], the
    /// whole sessions whose last activity is then or later (ccusage's rule).
    pub since: Option<Bound>,
    /// To (inclusive): the responses up to then; for [`ReportKind::Sessions`], the whole
    /// sessions whose last activity is then or earlier.
    pub until: Option<Bound>,
    /// Only projects whose path contains this text (or equals it).
    pub project: Option<String>,
    /// Only these coding agents' responses (`None`: all).
    pub agents: Option<crate::event::AgentSet>,
}

/// Tokens and cost of one model's responses in a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelTotals {
    /// Tokens.
    pub tokens: Tokens,
    /// Cost of the responses with a known price, in picodollars (10⁻¹² $).
    pub cost_pico: u128,
    /// Responses with no known cost (unknown model, or a speed, tier or geo the table has no
    /// multiplier for, or usage aegon could not read whole): while non-zero, the cost is
    /// unknown and `cost_pico` a lower bound.
    pub unpriced: u64,
    /// Those of the `unpriced` responses whose cost is unknown only because their usage could
    /// not be read whole (their model, speed, tier and geo have a price): counted by
    /// [`Usage::add_entry`] from the reason the index names.
    pub unread: u64,
}

impl ModelTotals {
    /// Adds one response: its tokens and its cost in picodollars (`None`: no price known).
    pub fn add(&mut self, tokens: Tokens, cost_pico: Option<u128>) {
        self.tokens = self.tokens.saturating_add(tokens);
        match cost_pico {
            Some(c) => self.cost_pico = self.cost_pico.saturating_add(c),
            None => self.unpriced += 1,
        }
    }

    /// Adds another model total.
    pub fn merge(&mut self, other: &ModelTotals) {
        self.tokens = self.tokens.saturating_add(other.tokens);
        self.cost_pico = self.cost_pico.saturating_add(other.cost_pico);
        self.unpriced += other.unpriced;
        self.unread += other.unread;
    }

    /// The cost in dollars, `None` when a response has no known price.
    pub fn cost(&self) -> Option<f64> {
        (self.unpriced == 0).then(|| from_pico(self.cost_pico))
    }
}

/// Tokens and cost of a group of responses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Tokens and cost by model (`unknown` when the transcript names none).
    pub by_model: BTreeMap<String, ModelTotals>,
    /// API responses that were API calls ([`crate::ledger::Entry::call`]).
    pub responses: u64,
    /// First response, ms since the epoch.
    pub first_ms: Option<i64>,
    /// Last response, ms since the epoch.
    pub last_ms: Option<i64>,
    /// What has no price, by model, for the responses without one whose reason is known
    /// (`speed turbo`, `model NAME`, …; [`crate::ledger::Entry::unpriced`]).
    pub unpriced_why: BTreeMap<String, BTreeSet<String>>,
}

impl Usage {
    /// Adds one response of the index, `e` of `entries`, under `model` (its model's name, or
    /// the name the report shows for none): its tokens, cost and time, counted in `responses`
    /// (API calls) only when it is one ([`crate::ledger::Entry::call`]: Copilot CLI's
    /// `session.shutdown` totals are usage, not a call, as `--summary` counts them), and the
    /// reason a response without a price has none. Every report over the index adds its
    /// responses by this one rule (`aegon usage`, its blocks, the dashboard's Usage view).
    pub fn add_entry(
        &mut self,
        entries: &crate::ledger::Entries,
        e: &crate::ledger::Entry,
        model: &str,
    ) {
        self.add_response(model, e.tokens, e.cost_pico, e.ts_ms, e.call);
        self.note_entry_unpriced(entries, e, model);
    }

    /// [`Usage::add_entry`] of a response without a time ([`Entries::undated_rows`]): counted
    /// as any, its time left out of the first and last ones.
    pub fn add_undated_entry(
        &mut self,
        entries: &crate::ledger::Entries,
        e: &crate::ledger::Entry,
        model: &str,
    ) {
        self.add_untimed(model, e.tokens, e.cost_pico, e.call);
        self.note_entry_unpriced(entries, e, model);
    }

    /// The reason the response `e` of `entries`, added under `model`, has no cost, if it has
    /// none.
    fn note_entry_unpriced(
        &mut self,
        entries: &crate::ledger::Entries,
        e: &crate::ledger::Entry,
        model: &str,
    ) {
        if e.cost_pico.is_none() && e.unpriced != 0 {
            let why = entries.name(e.unpriced);
            if !crate::session::pricing::is_missing_price(why) {
                if let Some(slot) = self.by_model.get_mut(model) {
                    slot.unread += 1;
                }
            }
            self.note_unpriced(model, why);
        }
    }

    /// Adds one response: its model, tokens, cost in picodollars (`None`: no price known) and
    /// time (ms since the epoch), counted in `responses` (API calls) only when `call`.
    pub fn add_response(
        &mut self,
        model: &str,
        tokens: Tokens,
        cost_pico: Option<u128>,
        ts_ms: i64,
        call: bool,
    ) {
        self.add_untimed(model, tokens, cost_pico, call);
        self.first_ms = Some(self.first_ms.map_or(ts_ms, |f| f.min(ts_ms)));
        self.last_ms = Some(self.last_ms.map_or(ts_ms, |l| l.max(ts_ms)));
    }

    /// [`Usage::add_response`] without its time.
    fn add_untimed(&mut self, model: &str, tokens: Tokens, cost_pico: Option<u128>, call: bool) {
        match self.by_model.get_mut(model) {
            Some(slot) => slot.add(tokens, cost_pico),
            None => {
                let mut slot = ModelTotals::default();
                slot.add(tokens, cost_pico);
                self.by_model.insert(model.to_owned(), slot);
            }
        }
        self.responses += u64::from(call);
    }

    /// Notes what has no price (`why`, such as `speed turbo`) in a response of `model`
    /// added without a cost.
    pub fn note_unpriced(&mut self, model: &str, why: &str) {
        if !why.is_empty() {
            self.unpriced_why
                .entry(model.to_owned())
                .or_default()
                .insert(why.to_owned());
        }
    }

    /// Adds another group.
    pub fn merge(&mut self, other: &Usage) {
        for (m, t) in &other.by_model {
            self.by_model.entry(m.clone()).or_default().merge(t);
        }
        for (m, why) in &other.unpriced_why {
            self.unpriced_why
                .entry(m.clone())
                .or_default()
                .extend(why.iter().cloned());
        }
        self.responses += other.responses;
        for ms in [other.first_ms, other.last_ms].into_iter().flatten() {
            self.first_ms = Some(self.first_ms.map_or(ms, |f| f.min(ms)));
            self.last_ms = Some(self.last_ms.map_or(ms, |l| l.max(ms)));
        }
    }

    /// All tokens, by kind.
    pub fn tokens(&self) -> Tokens {
        self.by_model
            .values()
            .fold(Tokens::default(), |a, t| a.saturating_add(t.tokens))
    }

    /// Cost in dollars of the responses with a known price (a lower bound while
    /// [`Usage::unpriced`] names a model), added up in whole picodollars.
    pub fn priced_cost(&self) -> f64 {
        from_pico(self.priced_cost_pico())
    }

    /// [`Usage::priced_cost`] in whole picodollars, exactly as added up (what money shown is
    /// rounded from: [`crate::render::text::usd_pico`]).
    pub fn priced_cost_pico(&self) -> u128 {
        self.by_model
            .values()
            .fold(0u128, |a, t| a.saturating_add(t.cost_pico))
    }

    /// Cost in dollars, `None` when a response has no known price.
    pub fn cost(&self) -> Option<f64> {
        self.unpriced().is_empty().then(|| self.priced_cost())
    }

    /// Models with a response whose cost is unknown (missing from [`Usage::priced_cost`],
    /// which is then a lower bound): the model, or its speed, service tier or inference geo,
    /// is not in the price table, or its usage could not be read whole. Those of the first
    /// kind alone are [`Usage::no_price`].
    pub fn unpriced(&self) -> Vec<String> {
        self.by_model
            .iter()
            .filter(|(_, t)| t.unpriced > 0)
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// Models with a response that has no known price: the model, or its speed, service tier
    /// or inference geo, is not in the price table (the JSON's `unpricedModels`, as
    /// `--summary`'s `unpriced_models`). Not a model whose responses' cost is unknown only
    /// because their usage could not be read whole ([`ModelTotals::unread`]; tester8 finding
    /// 8: a priced model was listed as one without a price).
    pub fn no_price(&self) -> Vec<String> {
        self.by_model
            .iter()
            .filter(|(_, t)| t.unpriced > t.unread)
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// Models that used tokens, or have a response of unknown cost: one whose usage could not
    /// be read has no tokens aegon knows, but was a call to that model (tester8 finding 9: a
    /// model whose every response was so was missing, while `--summary` names it).
    pub fn models(&self) -> Vec<String> {
        self.by_model
            .iter()
            .filter(|(_, t)| used(t))
            .map(|(m, _)| m.clone())
            .collect()
    }
}

/// Whether a model's totals in a group show it used: tokens, or a response of unknown cost
/// ([`Usage::models`], and the JSON's `modelBreakdowns`).
pub(crate) fn used(t: &ModelTotals) -> bool {
    !t.tokens.is_zero() || t.unpriced > 0
}

/// All tokens of `t`: input, output, cache writes and cache reads.
pub fn total_tokens(t: &Tokens) -> u64 {
    t.total_input().saturating_add(t.output)
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The period's key, session id or project.
    pub key: String,
    /// The `--by` value, when grouped by one.
    pub by: Option<String>,
    /// For session rows: the session's project.
    pub project: Option<String>,
    /// Its usage.
    pub usage: Usage,
}

/// A report: rows in order, and totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// What the rows are.
    pub kind: ReportKind,
    /// The second grouping.
    pub by: By,
    /// The zone dates are in.
    pub zone: String,
    /// Rows, oldest (or first) first.
    pub rows: Vec<Row>,
    /// All rows together.
    pub totals: Usage,
    /// Things the reader must know (history deleted from disk, undated responses).
    pub notes: Vec<String>,
    /// Usage known to be missing from the figures ([`missing_notes`] of the sessions the rows
    /// hold: subagents or workflow runs they name of which no line was read), which are then
    /// lower bounds. Apart from `notes`: `aegon usage` says them as it says lines it could not
    /// read (last on stderr, in the JSON's notes, exit status 1), as `aegon --summary` does.
    pub missing: Vec<String>,
}

/// The note for `n` responses priced without their speed, tier and geo or web searches
/// ([`crate::ledger::Entry::estimated`]).
pub fn estimated_note(n: u64) -> String {
    format!(
        "{n} API response{} indexed by an earlier aegon, whose transcripts are gone, priced without what it did not record (at standard speed, service tier and inference geo; no web searches)",
        if n == 1 { "" } else { "s" }
    )
}

/// The note for `n` web searches in a report: they are in its cost, not in its tokens.
pub fn web_searches_note(n: u64) -> String {
    format!(
        "{n} web search{} run by the API: not tokens, billed per search ($10 per 1,000 on Claude models) and included in the cost",
        if n == 1 { "" } else { "es" }
    )
}

/// The note for `n` responses left out of a report for want of a time, `tokens` tokens in all.
/// Said as what aegon could not read, not as a missing field: the line may have a `timestamp`
/// that is not RFC 3339 with a time zone (`2026-11-20 10:00:05` could be local time or UTC, so
/// [`crate::timestamp::parse_millis`] does not guess). The index keeps no text of it, so the
/// note says what is read and what is not, not the value.
pub fn undated_note(n: u64, tokens: u64) -> String {
    format!(
        "{n} API response{} left out ({tokens} tokens): a timestamp aegon could not read (missing, or not RFC 3339 with a time zone, as `2026-11-20T10:00:05Z` or `2026-11-20 10:00:05+01:00`; a time without `Z` or an offset could be local or UTC, so it is not read)",
        if n == 1 { "" } else { "s" }
    )
}

/// How many sessions [`missing_notes`] says one by one; with more, one note says them all.
pub const MISSING_EACH: usize = 5;

/// The notes of the sessions `sessions` (name ids of `entries`) that name subagents or
/// workflow runs of which no line was read ([`Entries::named`]): their usage is not counted,
/// and every figure they are in is a lower bound. In `aegon --summary`'s words
/// ([`crate::session::Named::notes`]), by session id, when at most [`MISSING_EACH`] sessions
/// have them; else one note that counts them and gives the first session's.
pub fn missing_notes(entries: &Entries, sessions: &BTreeSet<u32>) -> Vec<String> {
    if entries.named.is_empty() {
        return Vec::new();
    }
    let named: BTreeMap<&str, &crate::session::Named> = sessions
        .iter()
        .filter_map(|&s| {
            let id = entries.name(s);
            entries.named.get(id).map(|n| (id, n))
        })
        .collect();
    let notes: Vec<String> = named.iter().flat_map(|(id, n)| n.notes(id)).collect();
    if named.len() <= MISSING_EACH {
        return notes;
    }
    let subagents: usize = named.values().map(|n| n.unread_subagents().count()).sum();
    let runs: usize = named.values().map(|n| n.unread_runs().count()).sum();
    let mut what = Vec::new();
    if subagents > 0 {
        what.push(format!(
            "{subagents} subagent{}",
            if subagents == 1 { "" } else { "s" }
        ));
    }
    if runs > 0 {
        what.push(format!(
            "{runs} workflow run{}",
            if runs == 1 { "" } else { "s" }
        ));
    }
    vec![format!(
        "{} sessions name {} whose usage was not read (no line of their transcripts, or none \
         with the usage their Task results record): it is not counted (first: {}); \
         `aegon --summary FILE` says each one",
        named.len(),
        what.join(" and "),
        notes.first().map_or("", String::as_str),
    )]
}

/// Claude Code's default `cleanupPeriodDays`: transcripts older than this are deleted.
pub const CLEANUP_DAYS: i64 = 30;

/// Builds a report of `entries`. See the [module documentation](self).
pub fn report(
    entries: &Entries,
    kind: ReportKind,
    by: By,
    filter: &Filter,
    tz: &TimeZone,
) -> Report {
    let mut groups: BTreeMap<(String, String), (Option<String>, Usage)> = BTreeMap::new();
    let mut totals = Usage::default();
    let mut estimated = 0u64;
    let other_filters = |e: &crate::ledger::Entry| {
        filter.agents.is_none_or(|set| set.contains(e.agent))
            && filter
                .project
                .as_deref()
                .is_none_or(|want| entries.name(e.project).contains(want))
    };
    // The session report keeps or drops whole sessions by their last activity (ccusage's
    // rule, shared/usage-over-time.md §4.1): a session is never cut at --since or --until.
    let whole_sessions =
        kind == ReportKind::Sessions && (filter.since.is_some() || filter.until.is_some());
    let mut last_activity: std::collections::HashMap<u32, i64> = Default::default();
    // Sessions with a dated response (in the other filters): one left out by the range takes
    // its undated responses with it, unsaid.
    let mut dated_sessions: std::collections::HashSet<u32> = Default::default();
    // The sessions of the rows kept, when some session has usage missing.
    let mut covered: BTreeSet<u32> = BTreeSet::new();
    if whole_sessions {
        for e in entries.rows.iter().filter(|e| other_filters(e)) {
            let last = last_activity.entry(e.session).or_insert(e.ts_ms);
            *last = (*last).max(e.ts_ms);
        }
        dated_sessions.extend(last_activity.keys());
        last_activity
            .retain(|_, &mut last| within(last, local_date(last, tz), filter.since, filter.until));
    }
    // A response without a time has no day, but has its session and project: a report by
    // session or project counts it there (as --summary and the status line count it in its
    // session; tester14 #10), unless a range is given that it cannot be placed in (the
    // sessions report places it with its session, kept whole or left out whole by its last
    // activity; the projects report cuts responses at the range). Those not placed are said.
    let ranged = filter.since.is_some() || filter.until.is_some();
    let mut undated_out = (0u64, Tokens::default());
    let mut undated = Vec::new();
    for e in entries.undated_rows.iter().filter(|e| other_filters(e)) {
        let placed = match kind {
            ReportKind::Period(_) => false,
            ReportKind::Sessions if whole_sessions => last_activity.contains_key(&e.session),
            ReportKind::Sessions | ReportKind::Projects => !ranged,
        };
        if placed {
            undated.push(e);
        } else if !(whole_sessions && dated_sessions.contains(&e.session)) {
            undated_out.0 += 1;
            undated_out.1 = undated_out.1.saturating_add(e.tokens);
        }
    }
    let dated = entries.rows.iter().filter(|e| {
        other_filters(e)
            && if whole_sessions {
                last_activity.contains_key(&e.session)
            } else {
                within(e.ts_ms, local_date(e.ts_ms, tz), filter.since, filter.until)
            }
    });
    for (e, timed) in dated
        .map(|e| (e, true))
        .chain(undated.into_iter().map(|e| (e, false)))
    {
        let project = entries.name(e.project);
        let model = match entries.name(e.model) {
            "" => "unknown",
            m => m,
        };
        let key = match kind {
            ReportKind::Period(p) => p.key(local_date(e.ts_ms, tz)),
            ReportKind::Sessions => entries.name(e.session).to_owned(),
            ReportKind::Projects => project.to_owned(),
        };
        let second = match by {
            By::Nothing => String::new(),
            By::Project => project.to_owned(),
            By::Model => model.to_owned(),
            By::Agent => e.agent.as_str().to_owned(),
            By::Subagent => if e.subagent { "subagent" } else { "main" }.to_owned(),
        };
        let slot = groups.entry((key, second)).or_insert_with(|| {
            (
                (kind == ReportKind::Sessions).then(|| project.to_owned()),
                Usage::default(),
            )
        });
        if timed {
            slot.1.add_entry(entries, e, model);
            totals.add_entry(entries, e, model);
        } else {
            slot.1.add_undated_entry(entries, e, model);
            totals.add_undated_entry(entries, e, model);
        }
        estimated += u64::from(e.estimated);
        if !entries.named.is_empty() {
            covered.insert(e.session);
        }
    }
    let mut rows: Vec<Row> = groups
        .into_iter()
        .map(|((key, second), (project, usage))| Row {
            key,
            by: (by != By::Nothing).then_some(second),
            project,
            usage,
        })
        .collect();
    if matches!(kind, ReportKind::Sessions | ReportKind::Projects) {
        // By last activity, as ccusage's session report filters by it.
        rows.sort_by(|a, b| {
            (a.usage.last_ms, &a.key, &a.by).cmp(&(b.usage.last_ms, &b.key, &b.by))
        });
    }
    let mut notes = Vec::new();
    if undated_out.0 > 0 {
        notes.push(undated_note(undated_out.0, total_tokens(&undated_out.1)));
    }
    if estimated > 0 {
        notes.push(estimated_note(estimated));
    }
    let searches = totals.tokens().web_search;
    if searches > 0 {
        notes.push(web_searches_note(searches));
    }
    if let (Some(first), Some(oldest)) = (totals.first_ms, entries.oldest_on_disk_ms) {
        if first < oldest {
            notes.push(format!(
                "the report starts {} but the transcripts still on disk start {}: older usage comes from the index only (Claude Code deletes transcripts after cleanupPeriodDays, {CLEANUP_DAYS} by default)",
                local_date(first, tz),
                local_date(oldest, tz)
            ));
        }
    }
    Report {
        kind,
        by,
        zone: time::zone_name(tz),
        rows,
        totals,
        notes,
        missing: missing_notes(entries, &covered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response of session `session` (a name id; its project 3, model 4) at `ts_ms` (0 for
    /// one without a time), costing a picodollar per token.
    fn entry(session: u32, ts_ms: i64, tokens: Tokens) -> crate::ledger::Entry {
        crate::ledger::Entry {
            ts_ms,
            session,
            project: 3,
            model: 4,
            subagent: false,
            agent: crate::event::Agent::ClaudeCode,
            tokens,
            cost_pico: Some(u128::from(total_tokens(&tokens))),
            estimated: false,
            unpriced: 0,
            call: true,
        }
    }

    /// A response without a time counts in its session and project, not in a day; with a
    /// range, the sessions report places it with its session (kept or left out whole by its
    /// dated responses) and says only those of a session with none; the projects report
    /// leaves it out and says it.
    #[test]
    fn a_response_without_a_time_counts_in_its_session_unless_a_range_cannot_place_it() {
        let entry = |session: u32, ts_ms: i64, output: u64| {
            let tokens = Tokens {
                output,
                ..Tokens::default()
            };
            entry(session, ts_ms, tokens)
        };
        let day = 1_764_500_000_000; // 2025-11-30T10:53:20Z
        let undated_rows = vec![entry(1, 0, 20), entry(2, 0, 300)];
        let entries = Entries {
            names: ["", "s1", "s2", "/p", "claude-opus-4-6"]
                .map(String::from)
                .to_vec(),
            rows: vec![entry(1, day, 1)],
            undated: 2,
            undated_tokens: Tokens {
                output: 320,
                ..Tokens::default()
            },
            undated_rows,
            ..Entries::default()
        };
        let since = |d: &str| Filter {
            since: Some(Bound::Date(d.parse().unwrap())),
            ..Filter::default()
        };
        // (report, filter) → (output of each row, output left out, said)
        let cases = [
            (ReportKind::Sessions, Filter::default(), vec![300, 21], None),
            (ReportKind::Projects, Filter::default(), vec![321], None),
            (
                ReportKind::Sessions,
                since("2025-11-30"),
                vec![21],
                Some(300),
            ),
            (ReportKind::Sessions, since("2025-12-01"), vec![], Some(300)),
            (
                ReportKind::Projects,
                since("2025-11-30"),
                vec![1],
                Some(320),
            ),
            (
                ReportKind::Period(Period::Day),
                Filter::default(),
                vec![1],
                Some(320),
            ),
        ];
        for (kind, filter, want, out) in cases {
            let r = report(&entries, kind, By::Nothing, &filter, &TimeZone::UTC);
            let got: Vec<u64> = r.rows.iter().map(|row| row.usage.tokens().output).collect();
            assert_eq!(got, want, "{kind:?} {filter:?}");
            assert_eq!(r.totals.tokens().output, want.iter().sum::<u64>());
            assert_eq!(
                r.totals.priced_cost_pico(),
                u128::from(want.iter().sum::<u64>())
            );
            let said = out.map(|n| undated_note(1 + u64::from(n == 320), n));
            assert_eq!(r.notes.first(), said.as_ref(), "{kind:?} {filter:?}");
        }
        // The session's time is its dated responses'.
        let r = report(
            &entries,
            ReportKind::Sessions,
            By::Nothing,
            &Filter::default(),
            &TimeZone::UTC,
        );
        assert_eq!(r.rows[1].usage.last_ms, Some(day));
        assert_eq!(r.rows[0].usage.last_ms, None);
    }

    /// Entries of `n` sessions (`s0`…), one response each on 2026-01-0(i+1), each naming
    /// subagent `a{i}` and none of them read.
    fn sessions_naming_unread_subagents(n: usize) -> Entries {
        use crate::session::named::{NamedKind, NAMED};
        let mut entries = Entries {
            names: vec![String::new()],
            ..Entries::default()
        };
        for i in 0..n {
            entries.names.push(format!("s{i}"));
            let mut named = crate::session::Named::new();
            named.add_fact(NamedKind::Subagent, &format!("a{i}"), NAMED);
            entries.named.insert(format!("s{i}"), named);
            entries.rows.push(crate::ledger::Entry {
                ts_ms: 1_767_225_600_000 + i as i64 * 86_400_000,
                session: i as u32 + 1,
                project: 0,
                model: 0,
                subagent: false,
                agent: crate::event::Agent::ClaudeCode,
                tokens: Tokens::default(),
                cost_pico: Some(0),
                estimated: false,
                unpriced: 0,
                call: true,
            });
        }
        entries
    }

    #[test]
    fn usage_known_missing_is_said_for_the_sessions_a_report_covers_each_or_all_in_one() {
        let day = ReportKind::Period(Period::Day);
        let all = Filter::default();
        let entries = sessions_naming_unread_subagents(2);
        let r = report(&entries, day, By::Nothing, &all, &TimeZone::UTC);
        let want: Vec<String> = ["s0", "s1"]
            .iter()
            .flat_map(|s| entries.named[*s].notes(s))
            .collect();
        assert_eq!(r.missing, want);
        assert!(r.missing[0].starts_with("session s0: subagent a0 is named in its Task results"));
        // Not in `notes`: a table's footer would say it and stderr again.
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        // From the second day on: the first session is not covered.
        let since = Filter {
            since: Some(Bound::Date(jiff::civil::date(2026, 1, 2))),
            ..Filter::default()
        };
        let r = report(&entries, day, By::Nothing, &since, &TimeZone::UTC);
        assert_eq!(r.missing, want[1..]);
        // Past MISSING_EACH sessions: one note for all.
        let entries = sessions_naming_unread_subagents(MISSING_EACH + 2);
        let r = report(
            &entries,
            ReportKind::Sessions,
            By::Nothing,
            &all,
            &TimeZone::UTC,
        );
        assert_eq!(r.missing.len(), 1, "{:?}", r.missing);
        let first = &entries.named["s0"].notes("s0")[0];
        assert_eq!(
            r.missing[0],
            format!(
                "7 sessions name 7 subagents whose usage was not read (no line of their \
                 transcripts, or none with the usage their Task results record): it is not \
                 counted (first: {first}); `aegon --summary FILE` says each one"
            )
        );
        // Nothing named: nothing said.
        let mut none = sessions_naming_unread_subagents(1);
        none.named.clear();
        assert!(report(&none, day, By::Nothing, &all, &TimeZone::UTC)
            .missing
            .is_empty());
    }

    #[test]
    fn responses_left_out_for_want_of_a_time_are_said_as_an_unreadable_timestamp() {
        // tester5 item 9: a line with `"timestamp":"2026-11-20 10:00:05"` (no zone) was said to
        // have none.
        let tokens = Tokens {
            input: 1000,
            output: 100,
            ..Tokens::default()
        };
        let entries = Entries {
            undated: 1,
            undated_tokens: tokens,
            undated_rows: vec![entry(1, 0, tokens)],
            ..Entries::default()
        };
        let r = report(
            &entries,
            ReportKind::Period(Period::Day),
            By::Nothing,
            &Filter::default(),
            &TimeZone::UTC,
        );
        assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
        let note = &r.notes[0];
        assert!(
            note.starts_with(
                "1 API response left out (1100 tokens): a timestamp aegon could not read"
            ),
            "{note}"
        );
        assert!(!note.contains("without a timestamp"), "{note}");
        // What is read and what is not, as the parser decides.
        assert!(crate::timestamp::parse_millis("2026-11-20 10:00:05+01:00").is_some());
        assert!(crate::timestamp::parse_millis("2026-11-20T10:00:05Z").is_some());
        assert!(crate::timestamp::parse_millis("2026-11-20 10:00:05").is_none());
    }
}
