//! The Usage view (`u`): today, this week and this month (every agent); Claude Code's active
//! 5-hour block (its responses alone: the window is Anthropic's limit) as a gauge
//! with its reset, the official limits with their age, burn rate and projection; cost per hour
//! over the last 24 hours and per day over the last 30 days; cost by model and by project.
//!
//! ```text
//! ┌ Usage · Europe/Paris · updated 12s ago ────────────────────────────────────────┐
//! │Today $12.34 · 1.2M tok    Week $45.67 · 9.8M tok    Month $123.45 · 20.1M tok  │
//! │Claude block 10:00 → ~15:00 (estimate)  $8.20 · 3.4M tok                        │
//! │████████████████████████ 2h13m left · resets ~15:00 ░░░░░░░░░░░░░░░░░░░░░░░░░░░│
//! │5-hour  ██████████████ 42% · official, read 3m ago · resets 15:00               │
//! │Burn $4.10/h · 12.3k tok/min → $14.50 · 5.1M tok by 15:00 (projection)          │
//! └────────────────────────────────────────────────────────────────────────────────┘
//! ┌ Cost per hour · 24 h · max $3.20 (14h) ┐┌ Cost per day · 30 days · max $40.12 ──┐
//! │        ▃  █▅                            ││ ▂ ▅ █ …                              │
//! └────────────────────────────────────────┘└──────────────────────────────────────┘
//! ┌ By model · 30 days ────────────────────┐┌ By project · 30 days ─────────────────┐
//! │opus-4-6 $100.23██████████              ││…/web-app $80.11█████████              │
//! └────────────────────────────────────────┘└──────────────────────────────────────┘
//! ```
//!
//! It draws the figures it is given ([`UsageData`]); it reads nothing. Meaning never rests on
//! colour alone: a limit at 80% or more is marked `⚠` and bold, an estimated reset `~` and
//! `(estimate)`, a cost that leaves out a model without a price `+`.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Gauge, Paragraph};
use ratatui::Frame;

use super::{ago, clip, compact, fit, fit_tail, theme};
use crate::dashboard::model::Dashboard;
use crate::dashboard::usage::{Amount, Bucket, Limit, Share, UsageData, UsageFigures};
use crate::render::text::{inert, str_width};

/// Narrowest body with the charts side by side.
const SIDE_BY_SIDE_WIDTH: u16 = 70;

/// Most rows of the by-model and by-project charts.
const SHARE_ROWS: usize = 6;

/// Draws the Usage view in `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, dashboard: &Dashboard, now_ms: i64) {
    let message: [(String, Style); 2] = match dashboard.usage() {
        UsageData::Ready(figures) => return draw_figures(frame, area, figures, now_ms),
        UsageData::NotRead | UsageData::Reading => [
            ("Reading the usage index…".to_owned(), Style::new()),
            (
                "The first time, every transcript is indexed (about 10 s per GB); then only what was appended.".to_owned(),
                theme::dim(),
            ),
        ],
        UsageData::Unavailable(why) => [
            (format!("No usage index: {}", inert(why)), theme::warning()),
            (
                "aegon usage and aegon statusline keep it; aegon watch reads it unless --no-index.".to_owned(),
                theme::dim(),
            ),
        ],
    };
    let block = Block::bordered()
        .title(" Usage ")
        .border_style(theme::border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line<'_>> = message
        .iter()
        .map(|(text, style)| Line::styled(fit(text, inner.width), *style))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_figures(frame: &mut Frame<'_>, area: Rect, f: &UsageFigures, now_ms: i64) {
    let summary_rows = 3 + f.limits.len().max(1) + usize::from(f.block.is_some()) + f.notes.len();
    let summary_height = (summary_rows as u16 + 2).min(area.height);
    let [summary, rest] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Min(0)]).areas(area);
    draw_summary(frame, summary, f, now_ms);
    if rest.height < 5 {
        return;
    }
    let share_rows = f
        .by_model
        .len()
        .max(f.by_project.len())
        .clamp(1, SHARE_ROWS) as u16
        + 2;
    let side_by_side = rest.width >= SIDE_BY_SIDE_WIDTH;
    // Stacked, each chart wants 5 rows and each share list its own rows.
    let charts_min = if side_by_side { 8 } else { 10 };
    let shares_height = if side_by_side {
        share_rows
    } else {
        share_rows * 2
    };
    let (charts, shares) = if rest.height >= charts_min + shares_height {
        let [c, s] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(shares_height)]).areas(rest);
        (c, Some(s))
    } else {
        (rest, None)
    };
    let direction = if side_by_side {
        Direction::Horizontal
    } else {
        Direction::Vertical
    };
    let halves = |area: Rect| -> [Rect; 2] {
        Layout::default()
            .direction(direction)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(area)
    };
    let [hours, days] = halves(charts);
    cost_bars(frame, hours, "Cost per hour · 24 h", &f.hours, "h");
    if side_by_side || charts.height >= 10 {
        cost_bars(frame, days, "Cost per day · 30 days", &f.days, "");
    }
    if let Some(shares) = shares {
        let [models, projects] = halves(shares);
        share_bars(frame, models, "By model · 30 days", &f.by_model, false);
        share_bars(frame, projects, "By project · 30 days", &f.by_project, true);
    }
}

/// Minutes of use before a block has a burn rate: `usage::blocks::MIN_RATE_MS`, which
/// computes these figures (a test holds the two equal; the dashboard alone is built without
/// the `ledger` feature that module needs).
const RATE_AFTER_MIN: i64 = 10;

/// `$1.23` (`$123` from 100 up), `+` when a model without a price is left out
/// ([`crate::render::text::usd_short_at_least`]).
fn money(cost: f64, unpriced: bool) -> String {
    crate::render::text::usd_short_at_least(cost, unpriced)
}

/// `2h13m`, `45m`.
fn left(ms: i64) -> String {
    let m = (ms / 60_000).max(0);
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

fn amount_spans(label: &'static str, a: &Amount) -> Vec<Span<'static>> {
    vec![
        Span::styled(label, theme::dim()),
        Span::styled(
            money(a.cost, a.unpriced),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!(" · {} tok   ", compact(a.tokens)), theme::dim()),
    ]
}

fn draw_summary(frame: &mut Frame<'_>, area: Rect, f: &UsageFigures, now_ms: i64) {
    let title = format!(
        " Usage · {} · updated {} ago ",
        inert(&f.zone),
        ago(now_ms, f.computed_ms)
    );
    let block = Block::bordered()
        .title(fit(&title, area.width.saturating_sub(2)))
        .border_style(theme::border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut rows = inner.rows();
    let mut totals = amount_spans("Today ", &f.today);
    totals.extend(amount_spans("Week ", &f.week));
    totals.extend(amount_spans("Month ", &f.month));
    line(frame, &mut rows, totals);

    match &f.block {
        Some(b) => {
            let tilde = if b.estimated() { "~" } else { "" };
            let source = match b.end_source {
                "official" => " (official)",
                "transcript" => " (limit message)",
                _ => " (estimate)",
            };
            line(
                frame,
                &mut rows,
                vec![
                    Span::styled("Claude block ", theme::dim()),
                    Span::raw(format!("{} → {tilde}{}", b.start_label, b.end_label)),
                    Span::styled(source, theme::dim()),
                    Span::raw("  "),
                    Span::styled(
                        money(b.amount.cost, b.amount.unpriced),
                        Style::new().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!(" · {} tok", compact(b.amount.tokens)), theme::dim()),
                ],
            );
            if let Some(row) = rows.next() {
                let span = (b.end_ms - b.start_ms).max(1) as f64;
                let ratio = ((now_ms - b.start_ms) as f64 / span).clamp(0.0, 1.0);
                let label = format!(
                    "{} left · resets {tilde}{}",
                    left(b.end_ms - now_ms),
                    b.end_label
                );
                frame.render_widget(
                    Gauge::default()
                        .ratio(ratio)
                        .label(fit(&label, row.width))
                        .use_unicode(true)
                        .gauge_style(Style::new().fg(Color::Cyan).bg(Color::Reset)),
                    row,
                );
            }
        }
        None => line(
            frame,
            &mut rows,
            vec![Span::styled(
                "No active Claude Code 5-hour block (no Claude Code response in the last 5 hours)",
                theme::dim(),
            )],
        ),
    }

    if f.limits.is_empty() {
        line(
            frame,
            &mut rows,
            vec![Span::styled(
                "Official limits: none recorded yet (aegon statusline records Claude Code's rate_limits)",
                theme::dim(),
            )],
        );
    }
    for limit in &f.limits {
        if let Some(row) = rows.next() {
            limit_row(frame, row, limit, now_ms);
        }
    }

    if let Some(b) = &f.block {
        let mut spans = vec![Span::styled("Burn ", theme::dim())];
        match (b.cost_per_hour, b.tokens_per_minute) {
            (Some(cost), Some(tokens)) => spans.push(Span::raw(format!(
                "{}/h · {} tok/min",
                money(cost, b.amount.unpriced),
                compact(tokens.round() as u64)
            ))),
            // Measured only over 10 minutes or more (`usage::blocks::MIN_RATE_MS`), however
            // many responses came before, as `aegon usage blocks` says it.
            _ => spans.push(Span::styled(
                format!("not yet (after {RATE_AFTER_MIN} min of use)"),
                theme::dim(),
            )),
        }
        if let (Some(cost), Some(tokens)) = (b.projected_cost, b.projected_tokens) {
            spans.push(Span::raw(format!(
                " → {} · {} tok by {}",
                money(cost, b.amount.unpriced),
                compact(tokens),
                b.end_label
            )));
            spans.push(Span::styled(" (projection)", theme::dim()));
        }
        line(frame, &mut rows, spans);
    }
    for note in &f.notes {
        line(
            frame,
            &mut rows,
            vec![Span::styled(inert(note), theme::warning())],
        );
    }
}

/// Draws `spans` on the next of `rows`, if any is left.
fn line(frame: &mut Frame<'_>, rows: &mut impl Iterator<Item = Rect>, spans: Vec<Span<'_>>) {
    if let Some(row) = rows.next() {
        frame.render_widget(Paragraph::new(clip(spans, row.width)), row);
    }
}

/// `5-hour  ██████ 42% · official, read 3m ago · resets 15:00`: a gauge coloured by level
/// (green under 50%, yellow under 80%, red above, which is also marked `⚠` and bold).
fn limit_row(frame: &mut Frame<'_>, row: Rect, limit: &Limit, now_ms: i64) {
    let name = match limit.window.as_str() {
        "five_hour" => "5-hour".to_owned(),
        "seven_day" => "7-day".to_owned(),
        "seven_day_opus" => "7-day Opus".to_owned(),
        "seven_day_sonnet" => "7-day Sonnet".to_owned(),
        other => inert(other).replace('_', " "),
    };
    let name = format!("{} ", fit(&name, 12));
    let name_width = (str_width(&name) as u16).min(row.width);
    let [label_area, gauge_area] =
        Layout::horizontal([Constraint::Length(name_width), Constraint::Min(0)]).areas(row);
    frame.render_widget(Paragraph::new(Span::styled(name, theme::dim())), label_area);
    let read = format!("official, read {} ago", ago(now_ms, limit.read_ms));
    if limit.resets_at_ms.is_some_and(|at| at <= now_ms) {
        let text = format!(
            "reset at {} since the last reading ({read})",
            limit.resets_label.as_deref().unwrap_or("?")
        );
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&text, gauge_area.width), theme::dim())),
            gauge_area,
        );
        return;
    }
    let percent = if limit.used_percent.is_finite() {
        limit.used_percent.max(0.0)
    } else {
        0.0
    };
    let high = percent >= 80.0;
    let mut label = format!(
        "{}{} · {read}",
        if high { "⚠ " } else { "" },
        crate::render::text::percent(percent)
    );
    if let Some(at) = &limit.resets_label {
        label.push_str(&format!(" · resets {at}"));
    }
    let mut label_style = Style::new();
    if high {
        label_style = label_style.add_modifier(Modifier::BOLD);
    }
    frame.render_widget(
        Gauge::default()
            .ratio((percent / 100.0).clamp(0.0, 1.0))
            .label(Span::styled(fit(&label, gauge_area.width), label_style))
            .use_unicode(true)
            .gauge_style(
                Style::new()
                    .fg(theme::context(percent / 100.0))
                    .bg(Color::Reset),
            ),
        gauge_area,
    );
}

/// A vertical bar chart of `buckets` (the last one, now, highlighted), the costliest named in
/// the title, their labels on an axis below where they fit.
fn cost_bars(frame: &mut Frame<'_>, area: Rect, title: &str, buckets: &[Bucket], unit: &str) {
    let max = buckets
        .iter()
        .max_by(|a, b| a.amount.cost.total_cmp(&b.amount.cost));
    let total: f64 = buckets.iter().map(|b| b.amount.cost).sum();
    let unpriced = buckets.iter().any(|b| b.amount.unpriced);
    let mut title = format!(" {title} · total {}", money(total, unpriced));
    if let Some(m) = max.filter(|m| m.amount.cost > 0.0) {
        title.push_str(&format!(
            " · max {} ({}{unit})",
            money(m.amount.cost, m.amount.unpriced),
            m.label
        ));
    }
    title.push(' ');
    let block = Block::bordered()
        .title(fit(&title, area.width.saturating_sub(2)))
        .border_style(theme::border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 2 || buckets.is_empty() {
        return;
    }
    let [bars_area, axis] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let n = buckets.len() as u16;
    let width = inner.width;
    let (bar_width, gap) = if width + 1 >= 2 * n {
        ((width + 1) / n - 1, 1)
    } else {
        (1, 0)
    };
    let slot = bar_width + gap;
    let shown = usize::from(((width + gap) / slot).min(n));
    // Centred in what is left over.
    let used = (shown as u16 * slot).saturating_sub(gap);
    let margin = (width - used.min(width)) / 2;
    let bars_area = Rect {
        x: bars_area.x + margin,
        width: bars_area.width - margin,
        ..bars_area
    };
    let shown_buckets = &buckets[buckets.len() - shown..];
    let bars: Vec<Bar<'_>> = shown_buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let style = if i + 1 == shown {
                Style::new().fg(Color::Cyan)
            } else {
                Style::new().fg(Color::Blue)
            };
            Bar::default()
                .value((b.amount.cost * 1_000.0).round().max(0.0) as u64)
                .text_value(String::new())
                .style(style)
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(gap)
            .bar_set(ratatui::symbols::bar::NINE_LEVELS),
        bars_area,
    );
    // Labels under their bars, every k-th from the newest, where two columns and a space fit.
    let k = usize::from(3u16.div_ceil(slot)).max(1);
    let mut row: Vec<char> = vec![' '; usize::from(width - margin)];
    for (i, b) in shown_buckets.iter().enumerate() {
        if (shown - 1 - i) % k != 0 {
            continue;
        }
        let x = usize::from(slot) * i + usize::from(bar_width.saturating_sub(2) / 2);
        let label: Vec<char> = b.label.chars().collect();
        if x + label.len() <= row.len() {
            row[x..x + label.len()].copy_from_slice(&label);
        }
    }
    let row: String = row.into_iter().collect();
    let axis = Rect {
        x: axis.x + margin,
        width: axis.width - margin,
        ..axis
    };
    frame.render_widget(Paragraph::new(Span::styled(row, theme::dim())), axis);
}

/// A horizontal bar chart of the costliest `shares`, named on the left, dollars on the bars.
fn share_bars(frame: &mut Frame<'_>, area: Rect, title: &str, shares: &[Share], paths: bool) {
    let block = Block::bordered()
        .title(fit(&format!(" {title} "), area.width.saturating_sub(2)))
        .border_style(theme::border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    if shares.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(fit("no usage", inner.width), theme::dim())),
            inner,
        );
        return;
    }
    let rows = usize::from(inner.height).min(shares.len());
    let names: Vec<String> = shares[..rows]
        .iter()
        .map(|s| {
            let name = inert(&s.name);
            if paths {
                fit_tail(&name, inner.width / 3)
            } else {
                fit(&name, inner.width / 3)
            }
        })
        .collect();
    let label_width = names.iter().map(|n| str_width(n)).max().unwrap_or(0);
    let bars: Vec<Bar<'_>> = shares[..rows]
        .iter()
        .zip(names)
        .map(|(s, name)| {
            let pad = label_width.saturating_sub(str_width(&name));
            Bar::default()
                .value((s.amount.cost * 1_000.0).round().max(0.0) as u64)
                .text_value(money(s.amount.cost, s.amount.unpriced))
                .label(Line::raw(format!("{name}{}", " ".repeat(pad))))
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .direction(Direction::Horizontal)
            .data(BarGroup::default().bars(&bars))
            .bar_width(1)
            .bar_gap(0)
            .bar_style(Style::new().fg(Color::Blue))
            .value_style(Style::new().add_modifier(Modifier::BOLD)),
        inner,
    );
}

#[cfg(all(test, feature = "ledger"))]
mod tests {
    #[test]
    fn the_burn_rate_wait_is_the_blocks_own() {
        assert_eq!(
            super::RATE_AFTER_MIN * 60_000,
            crate::usage::blocks::MIN_RATE_MS
        );
    }
}
