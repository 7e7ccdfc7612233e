//! Reports over time: tokens and cost by day, week, month, session, project and 5-hour block
//! (feature `ledger`).
//!
//! A report reads [`Entries`] (one per API response, from the [`crate::ledger`] index or read
//! fresh) and groups them. Instants are UTC; periods are local dates in the zone given
//! ([`time`]). Costs are computed here from the token counts per model with a
//! [`Pricing`] table, so a model with no known price makes the cost a lower bound that says so
//! (`unpriced_models`), never $0.
//!
//! Row and total field names follow ccusage's JSON (`date`/`week`/`month`, `inputTokens`,
//! `outputTokens`, `cacheCreationTokens`, `cacheReadTokens`, `totalTokens`, `totalCost`,
//! `modelsUsed`, `modelBreakdowns`; shared/usage-over-time.md §4.3) so that `jq` scripts
//! written for it port over; [`render`] writes them.

pub mod blocks;
pub mod limits;
pub mod render;
pub mod time;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use crate::ledger::Entries;
use crate::pricing::Pricing;
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
    /// Agent: `main` or `subagent`.
    Agent,
}

impl By {
    /// The JSON field of the second key (`project`, `model`, `agent`).
    pub fn field(self) -> Option<&'static str> {
        match self {
            By::Nothing => None,
            By::Project => Some("project"),
            By::Model => Some("model"),
            By::Agent => Some("agent"),
        }
    }
}

/// Which responses a report counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// From (inclusive).
    pub since: Option<Bound>,
    /// To (inclusive).
    pub until: Option<Bound>,
    /// Only projects whose path contains this text (or equals it).
    pub project: Option<String>,
}

/// Tokens and cost of a group of responses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Tokens by model (`unknown` when the transcript names none).
    pub by_model: BTreeMap<String, Tokens>,
    /// API responses.
    pub responses: u64,
    /// First response, ms since the epoch.
    pub first_ms: Option<i64>,
    /// Last response, ms since the epoch.
    pub last_ms: Option<i64>,
}

impl Usage {
    /// Adds one response.
    pub fn add(&mut self, model: &str, tokens: Tokens, ts_ms: i64) {
        let slot = self.by_model.entry(model.to_owned()).or_default();
        *slot = slot.saturating_add(tokens);
        self.responses += 1;
        self.first_ms = Some(self.first_ms.map_or(ts_ms, |f| f.min(ts_ms)));
        self.last_ms = Some(self.last_ms.map_or(ts_ms, |l| l.max(ts_ms)));
    }

    /// Adds another group.
    pub fn merge(&mut self, other: &Usage) {
        for (m, t) in &other.by_model {
            let slot = self.by_model.entry(m.clone()).or_default();
            *slot = slot.saturating_add(*t);
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
            .fold(Tokens::default(), |a, t| a.saturating_add(*t))
    }

    /// Cost of the models with a known price, in dollars.
    pub fn priced_cost(&self, pricing: &Pricing) -> f64 {
        self.by_model
            .iter()
            .filter_map(|(m, t)| pricing.cost(m, t))
            .fold(0.0, |a, c| a + c)
    }

    /// Models with no known price (their cost is missing from [`Usage::priced_cost`]).
    pub fn unpriced(&self, pricing: &Pricing) -> Vec<String> {
        self.by_model
            .iter()
            .filter(|(m, t)| !t.is_zero() && pricing.rates(m).is_none())
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// Models that used tokens.
    pub fn models(&self) -> Vec<String> {
        self.by_model
            .iter()
            .filter(|(_, t)| !t.is_zero())
            .map(|(m, _)| m.clone())
            .collect()
    }
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
    for e in &entries.rows {
        let project = entries.name(e.project);
        if let Some(want) = &filter.project {
            if !project.contains(want.as_str()) {
                continue;
            }
        }
        let date = local_date(e.ts_ms, tz);
        if !within(e.ts_ms, date, filter.since, filter.until) {
            continue;
        }
        let model = match entries.name(e.model) {
            "" => "unknown",
            m => m,
        };
        let key = match kind {
            ReportKind::Period(p) => p.key(date),
            ReportKind::Sessions => entries.name(e.session).to_owned(),
            ReportKind::Projects => project.to_owned(),
        };
        let second = match by {
            By::Nothing => String::new(),
            By::Project => project.to_owned(),
            By::Model => model.to_owned(),
            By::Agent => if e.subagent { "subagent" } else { "main" }.to_owned(),
        };
        let slot = groups.entry((key, second)).or_insert_with(|| {
            (
                (kind == ReportKind::Sessions).then(|| project.to_owned()),
                Usage::default(),
            )
        });
        slot.1.add(model, e.tokens, e.ts_ms);
        totals.add(model, e.tokens, e.ts_ms);
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
    if entries.undated > 0 {
        notes.push(format!(
            "{} API response{} without a timestamp left out ({} tokens)",
            entries.undated,
            if entries.undated == 1 { "" } else { "s" },
            total_tokens(&entries.undated_tokens)
        ));
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
    }
}
