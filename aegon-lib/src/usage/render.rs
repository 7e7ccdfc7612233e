//! Reports as JSON (ccusage's field names, plus aegon's) and as aligned tables for people.
//!
//! JSON (schema `schemas/usage.v1.schema.json`, version in `v`):
//!
//! ```text
//! {"v":1, "report":"daily", "timezone":"Asia/Kolkata", "weekStart":"monday"?, "groupBy":"model"?,
//!  "daily":[{"date":"2026-01-28", "model":"…"?, "inputTokens":…, "outputTokens":…,
//!            "cacheCreationTokens":…, "cacheCreation5mTokens":…, "cacheCreation1hTokens":…,
//!            "cacheReadTokens":…, "totalTokens":…, "webSearches":…, "totalCost":…|null,
//!            "pricedCost":…, "unpricedModels":[…],
//!            "apiCalls":…, "modelsUsed":[…], "modelBreakdowns":[{"modelName":…, "inputTokens":…,
//!            "outputTokens":…, "cacheCreationTokens":…, "cacheReadTokens":…, "cost":…|null,
//!            "pricedCost":…}]}],
//!  "totals":{…the same token and cost fields…}, "notes":[…]}
//! ```
//!
//! `webSearches` counts the web searches the API ran (not tokens: not in `totalTokens`), billed
//! per search and included in the cost.
//! `totalCost` is in dollars, each response priced as a request of its own (speed, tier, geo,
//! long context, web searches; [`crate::ledger::Entry::cost_pico`]), and `null` when a
//! response has no known price (as `--summary --json`'s `cost_usd`): never a figure that
//! leaves usage out unsaid. `pricedCost` is the dollars of the responses with a known price
//! (equal to `totalCost` when that is not null; else a lower bound), and `unpricedModels` lists
//! the models with a response that has none ([`Usage::no_price`]; a response whose usage
//! could not be read whole has an unknown cost too, without its model listed). A breakdown's
//! `cost` and `pricedCost` are likewise its model's; `unpricedResponses` counts its responses
//! of unknown cost (then `cost` is null) and `unpricedFactors` names why (`speed turbo`,
//! `model NAME`, `service tier NAME`, `inference geo NAME`, or usage aegon could not read
//! whole). `modelsUsed` and the breakdowns name every model with tokens or a response of
//! unknown cost (one whose usage could not be read has no tokens). Session rows add `sessionId`, `projectPath`,
//! `firstActivity`, `lastActivity` (RFC 3339, UTC).

use serde_json::{json, Map, Value};

use super::time::weekday_name;
use super::{total_tokens, By, Report, ReportKind, Usage};
use crate::session::pricing::from_pico;
use crate::tokens::Tokens;

/// Version of the usage JSON (its `v` field).
pub const USAGE_SCHEMA_VERSION: u32 = 1;

fn token_fields(m: &mut Map<String, Value>, t: &Tokens) {
    m.insert("inputTokens".into(), json!(t.input));
    m.insert("outputTokens".into(), json!(t.output));
    m.insert(
        "cacheCreationTokens".into(),
        json!(t.cache_write_5m.saturating_add(t.cache_write_1h)),
    );
    m.insert("cacheCreation5mTokens".into(), json!(t.cache_write_5m));
    m.insert("cacheCreation1hTokens".into(), json!(t.cache_write_1h));
    m.insert("cacheReadTokens".into(), json!(t.cache_read));
    m.insert("totalTokens".into(), json!(total_tokens(t)));
    m.insert("webSearches".into(), json!(t.web_search));
}

/// The token and cost fields of a group (a row or the totals).
pub fn usage_fields(u: &Usage) -> Map<String, Value> {
    let mut m = Map::new();
    token_fields(&mut m, &u.tokens());
    // Unknown (null) when a response has no known price, as `--summary`'s `cost_usd`: never
    // a confident figure that leaves some usage out; the priced part is `pricedCost`.
    m.insert("totalCost".into(), json!(u.cost()));
    m.insert("pricedCost".into(), json!(u.priced_cost()));
    m.insert("unpricedModels".into(), json!(u.no_price()));
    m.insert("apiCalls".into(), json!(u.responses));
    m
}

/// RFC 3339 UTC of `ms` with its milliseconds always written (`2026-01-28T10:00:00.000Z`), in
/// every time a usage report writes (session activity, block times, limit readings): the form
/// Claude Code's transcripts and JavaScript's `toISOString` write, and ccusage gives block ids
/// and times in (its `format_rfc3339_millis`, `YYYY-MM-DDTHH:MM:SS.mmmZ`), so strings of one
/// width sort as times and `aegon usage blocks --json` ids equal ccusage's. A time outside
/// jiff's range (years -9999..=9999) is written as its milliseconds.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.3}"))
}

/// The report as one JSON value.
pub fn report_json(r: &Report) -> Value {
    let mut doc = Map::new();
    doc.insert("v".into(), json!(USAGE_SCHEMA_VERSION));
    doc.insert("report".into(), json!(r.kind.json_key()));
    doc.insert("timezone".into(), json!(r.zone));
    if let ReportKind::Period(super::time::Period::Week(w)) = r.kind {
        doc.insert("weekStart".into(), json!(weekday_name(w)));
    }
    if let Some(f) = r.by.field() {
        doc.insert("groupBy".into(), json!(f));
    }
    let rows: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            m.insert(r.kind.row_field().into(), json!(row.key));
            if let (Some(f), Some(v)) = (r.by.field(), &row.by) {
                m.insert(f.into(), json!(v));
            }
            if r.kind == ReportKind::Sessions {
                m.insert("projectPath".into(), json!(row.project));
                m.insert(
                    "firstActivity".into(),
                    json!(row.usage.first_ms.map(rfc3339)),
                );
                m.insert("lastActivity".into(), json!(row.usage.last_ms.map(rfc3339)));
            }
            m.extend(usage_fields(&row.usage));
            m.insert("modelsUsed".into(), json!(row.usage.models()));
            let breakdowns: Vec<Value> = row
                .usage
                .by_model
                .iter()
                .filter(|(_, t)| super::used(t))
                .map(|(model, t)| {
                    let mut b = Map::new();
                    b.insert("modelName".into(), json!(model));
                    token_fields(&mut b, &t.tokens);
                    // Unknown (null) while a response has no known cost, as the row's
                    // totalCost (tester8 finding 9: it was the priced part, $0 for a model
                    // without a price); the priced part beside it.
                    b.insert("cost".into(), json!(t.cost()));
                    b.insert("pricedCost".into(), json!(from_pico(t.cost_pico)));
                    b.insert("unpricedResponses".into(), json!(t.unpriced));
                    let why: Vec<&String> = row
                        .usage
                        .unpriced_why
                        .get(model)
                        .map(|w| w.iter().collect())
                        .unwrap_or_default();
                    b.insert("unpricedFactors".into(), json!(why));
                    Value::Object(b)
                })
                .collect();
            m.insert("modelBreakdowns".into(), Value::Array(breakdowns));
            Value::Object(m)
        })
        .collect();
    doc.insert(r.kind.json_key().into(), Value::Array(rows));
    doc.insert("totals".into(), Value::Object(usage_fields(&r.totals)));
    doc.insert("notes".into(), json!(r.notes));
    Value::Object(doc)
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    crate::render::text::thousands(n)
}

/// A model name made short for tables: `claude-` and a trailing date dropped.
pub fn short_model(m: &str) -> String {
    let m = m.strip_prefix("claude-").unwrap_or(m);
    match m.rsplit_once('-') {
        Some((head, date)) if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) => {
            head.to_owned()
        }
        _ => m.to_owned(),
    }
}

/// Dollars for a table ([`crate::render::text::usd_at_least_pico`] of the exact sum: `$1.23`,
/// `<$0.01`), with `+` when some models have no price.
pub fn money(u: &Usage) -> String {
    crate::render::text::usd_at_least_pico(u.priced_cost_pico(), !u.unpriced().is_empty())
}

/// What a `+` cost leaves out, for a table's footer: `1 claude-opus-4-6 response (no price
/// for speed turbo)`, one part per model, joined by `; `; empty when all is priced.
pub fn unpriced_note(u: &Usage) -> String {
    u.by_model
        .iter()
        .filter(|(_, t)| t.unpriced > 0)
        .map(|(model, t)| {
            // A missing price is said as one (`no price for speed turbo`); another reason
            // the cost is unknown (usage not read whole, counts not written yet) as itself.
            let why = u
                .unpriced_why
                .get(model)
                .map(|w| {
                    w.iter()
                        .map(|why| match why.as_str() {
                            "no known price" => "no price known".to_owned(),
                            why if crate::session::pricing::is_missing_price(why) => {
                                format!("no price for {why}")
                            }
                            why => why.to_owned(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| "no price known".to_owned());
            format!(
                "{} {model} response{} ({why})",
                t.unpriced,
                if t.unpriced == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Table options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// ANSI colours (bold header and totals, dim breakdown rows).
    pub color: bool,
    /// A sub-row per model under each row.
    pub breakdown: bool,
    /// The width to fit the table to, in display columns ([`super::table::table_width`]:
    /// `COLUMNS`, else the terminal's); `None`: written whole (piped output).
    pub width: Option<usize>,
}

/// The report as an aligned table for people, text made inert, fitted to `options.width`
/// ([`super::table`]): past it, the compact layout leaves out Cache write, Cache read and
/// Total tokens (as ccusage's does), then Models (and a project named in a row) are cut with
/// `…`, then Models, Input and Output are left out in that order, as many as it takes (a
/// `--breakdown` row's model then written under its blank date, so it still says which
/// model it is).
pub fn report_table(r: &Report, options: TableOptions) -> String {
    use super::table::{fit, wrap, Column, Row, Style};
    let first = match r.kind {
        ReportKind::Period(super::time::Period::Day) => "Date",
        ReportKind::Period(super::time::Period::Week(_)) => "Week",
        ReportKind::Period(super::time::Period::Month) => "Month",
        ReportKind::Sessions => "Session",
        ReportKind::Projects => "Project",
    };
    let mut columns = vec![match r.kind {
        // A project is a path: its end says most.
        ReportKind::Projects => Column::new(first, false).cut(12, true),
        _ => Column::new(first, false),
    }];
    if let Some(f) = r.by.field() {
        let mut f = f.to_owned();
        f[..1].make_ascii_uppercase();
        columns.push(Column::new(&f, false).cut(8, r.by == By::Project));
    }
    columns.extend([
        // Left out, a breakdown row's model is written under its blank date.
        Column::new("Models", false)
            .cut(6, false)
            .drop_rank(1)
            .into(0),
        Column::new("Input", true).drop_rank(2),
        Column::new("Output", true).drop_rank(3),
        Column::new("Cache write", true).compact(),
        Column::new("Cache read", true).compact(),
        Column::new("Total tokens", true).compact(),
        Column::new("Cost", true),
    ]);
    let numbers = |u: &Usage| {
        let t = u.tokens();
        vec![
            thousands(t.input),
            thousands(t.output),
            thousands(t.cache_write_5m.saturating_add(t.cache_write_1h)),
            thousands(t.cache_read),
            thousands(total_tokens(&t)),
            money(u),
        ]
    };
    let mut rows: Vec<Row> = Vec::new();
    for row in &r.rows {
        let key = if r.kind == ReportKind::Sessions {
            row.key.chars().take(8).collect()
        } else {
            row.key.clone()
        };
        let mut cells = vec![key];
        if r.by != By::Nothing {
            cells.push(row.by.clone().unwrap_or_default());
        }
        let models: Vec<String> = row.usage.models().iter().map(|m| short_model(m)).collect();
        cells.push(models.join(", "));
        cells.extend(numbers(&row.usage));
        rows.push(Row::new(cells, Style::Plain));
        if options.breakdown {
            for (model, t) in row
                .usage
                .by_model
                .iter()
                .filter(|(_, t)| !t.tokens.is_zero())
            {
                let mut one = Usage::default();
                one.by_model.insert(model.clone(), *t);
                let mut cells = vec![String::new()];
                if r.by != By::Nothing {
                    cells.push(String::new());
                }
                let name = short_model(model);
                let at = cells.len();
                cells.push(format!("  └ {name}"));
                cells.extend(numbers(&one));
                // Narrow: no indent, so that a cut keeps two more of the model's name.
                let mut short = cells.clone();
                short[at] = format!("└ {name}");
                rows.push(Row {
                    short: Some(short),
                    ..Row::new(cells, Style::Dim)
                });
            }
        }
    }
    let mut total = vec!["Total".to_owned()];
    if r.by != By::Nothing {
        total.push(String::new());
    }
    total.push(String::new());
    total.extend(numbers(&r.totals));
    rows.push(Row {
        rule_before: true,
        ..Row::new(total, Style::Bold)
    });
    let fitted = fit(&columns, &rows, options.width, options.color);
    let mut out = fitted.text.clone();
    let mut footer = format!("times in {}", r.zone);
    let unpriced = unpriced_note(&r.totals);
    if !unpriced.is_empty() {
        footer.push_str(&format!("; + cost without {unpriced}"));
    }
    out.push_str(&wrap(&footer, options.width));
    if let Some(note) = options.width.and_then(|w| fitted.note(w)) {
        out.push_str(&wrap(&note, options.width));
    }
    for note in &r.notes {
        out.push_str(&wrap(&format!("note: {note}"), options.width));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::ModelTotals;

    /// A missing price is said as one; a cost unknown for another reason (usage not read
    /// whole, Copilot CLI's counts not written yet) is said as that reason, not as a price the
    /// table lacks ("no price for input and cache tokens not written yet" read as nonsense).
    #[test]
    fn the_footer_says_each_reason_a_cost_is_unknown_in_its_own_words() {
        let mut u = Usage::default();
        let totals = ModelTotals {
            unpriced: 2,
            ..ModelTotals::default()
        };
        u.by_model.insert("claude-opus-5".to_owned(), totals);
        let not_written = crate::tokens::Unread::NotYetWritten.describe();
        u.unpriced_why.insert(
            "claude-opus-5".to_owned(),
            ["speed turbo".to_owned(), not_written.to_owned()].into(),
        );
        assert_eq!(
            unpriced_note(&u),
            format!("2 claude-opus-5 responses ({not_written}, no price for speed turbo)")
        );
        u.unpriced_why.clear();
        assert_eq!(
            unpriced_note(&u),
            "2 claude-opus-5 responses (no price known)"
        );
    }
}
