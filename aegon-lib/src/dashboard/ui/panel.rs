//! The session panel: header, badges, context gauge, tokens and cost, cache efficiency and
//! the last cache rebuild, flow, a sparkline of tokens per minute, a chart of the context fill
//! over the session's life, steps.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Sparkline};
use ratatui::Frame;

use super::feed::short;
use super::{clip, compact, fit, fit_tail, theme};
use crate::dashboard::model::Dashboard;
use crate::dashboard::series::{ContextSample, SessionSeries, MINUTES};
use crate::dashboard::view::View;
use crate::render::text::percent;
use crate::render::text::{duration, inert, str_width, usd};
use crate::session::cost_explained::RebuildCause;
use crate::session::{Activity, Session, Step, StepStatus};

/// Spinner frames, one per 100 ms.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Draws the panel of the session the view shows: its facts, then (room allowing) a sparkline
/// of tokens per minute and a chart of the context fill over the session's life, then steps.
pub fn draw(frame: &mut Frame<'_>, area: Rect, dashboard: &Dashboard, view: &View, now_ms: i64) {
    let block = Block::bordered()
        .title(" Session ")
        .border_style(theme::border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(session) = view.panel_session(dashboard) else {
        frame.render_widget(
            Paragraph::new(Span::styled("no session yet", theme::dim())),
            inner,
        );
        return;
    };
    let head = head_lines(session, dashboard, inner.width, now_ms);
    let height = usize::from(inner.height);
    let head_rows = head.len().min(height);
    let mut y = inner.y;
    let mut take = |rows: usize| -> Rect {
        let r = Rect {
            x: inner.x,
            y,
            width: inner.width,
            height: rows as u16,
        };
        y += rows as u16;
        r
    };
    frame.render_widget(Paragraph::new(head), take(head_rows));
    let mut room = height - head_rows;
    let series = dashboard.series(&session.id);
    // The sparkline when a step still fits below it; the chart when five of its rows and two
    // steps do.
    if let Some(series) = series.filter(|s| s.last_minute().is_some()) {
        if room >= 3 {
            tokens_sparkline(frame, take(1), session, series, now_ms);
            room -= 1;
        }
    }
    if let Some(series) = series.filter(|s| !s.context().is_empty()) {
        if room >= CHART_MIN_ROWS + 3 {
            let rows = (room / 2).clamp(CHART_MIN_ROWS, CHART_MAX_ROWS);
            context_chart(frame, take(rows), session, series);
            room -= rows;
        }
    }
    if room > 0 {
        let mut lines = vec![Line::styled("Steps", theme::dim())];
        lines.extend(step_lines(
            session,
            dashboard,
            inner.width,
            room - 1,
            now_ms,
        ));
        frame.render_widget(Paragraph::new(lines), take(room));
    }
}

/// Rows of the context chart: its title line, the plot, the axis and its labels.
const CHART_MIN_ROWS: usize = 5;
const CHART_MAX_ROWS: usize = 9;

/// `Tok/min ▁▂█▅▁  max 12.3k`: all tokens of the session's responses per minute, up to now for
/// a live session, else up to its last response's minute.
fn tokens_sparkline(
    frame: &mut Frame<'_>,
    row: Rect,
    session: &Session,
    series: &SessionSeries,
    now_ms: i64,
) {
    let last = series.last_minute().unwrap_or(0);
    let end = if session.activity(now_ms) == Activity::Live {
        now_ms.div_euclid(60_000).max(last)
    } else {
        last
    };
    let label = "Tok/min  ";
    let room = usize::from(row.width).saturating_sub(label.len());
    let probe = series.per_minute(end, room.min(MINUTES));
    let max = probe.iter().copied().max().unwrap_or(0);
    let right = format!(" max {}", compact(max));
    let bars = room.saturating_sub(right.len()).min(MINUTES);
    let data = series.per_minute(end, bars);
    let [label_area, spark_area, right_area] = Layout::horizontal([
        Constraint::Length(label.len() as u16),
        Constraint::Length(bars as u16),
        Constraint::Min(0),
    ])
    .areas(row);
    frame.render_widget(
        Paragraph::new(Span::styled(label, theme::dim())),
        label_area,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .style(Style::new().fg(Color::Cyan)),
        spark_area,
    );
    let shown_max = data.iter().copied().max().unwrap_or(0);
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(&format!(" max {}", compact(shown_max)), right_area.width),
            theme::dim(),
        )),
        right_area,
    );
}

/// A line of the context fill (% of the window) over the session's life; compactions are its
/// drops, each marked with a dot.
fn context_chart(frame: &mut Frame<'_>, area: Rect, session: &Session, series: &SessionSeries) {
    let samples = series.context();
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return;
    };
    let peak = samples.iter().map(|s| s.percent()).fold(0.0, f64::max);
    let compactions = session.compactions;
    let mut title = vec![
        Span::styled("Context over time · ", theme::dim()),
        Span::raw(format!(
            "peak {} · now {}",
            percent(peak),
            percent(last.percent())
        )),
    ];
    if compactions > 0 {
        title.push(Span::styled(
            format!(
                " · ⇊ {compactions} compaction{} (•)",
                if compactions == 1 { "" } else { "s" }
            ),
            Style::new().fg(Color::Magenta),
        ));
    }
    let [title_row, plot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(clip(title, title_row.width)), title_row);
    let minutes = |s: &ContextSample| (s.at_ms - first.at_ms) as f64 / 60_000.0;
    let line: Vec<(f64, f64)> = samples.iter().map(|s| (minutes(s), s.percent())).collect();
    let drops: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.compacted)
        .map(|s| (minutes(s), s.percent()))
        .collect();
    let span = minutes(last).max(1.0);
    // The smallest of 10, 25, 50 and 100% that holds the peak, so a low fill is not flat.
    let top = [10.0, 25.0, 50.0]
        .into_iter()
        .find(|&t| peak <= t)
        .unwrap_or(peak.max(100.0));
    let color = theme::context(last.percent() / 100.0);
    let chart = Chart::new(vec![
        Dataset::default()
            .graph_type(GraphType::Line)
            .marker(Marker::Braille)
            .style(Style::new().fg(color))
            .data(&line),
        Dataset::default()
            .graph_type(GraphType::Scatter)
            .marker(Marker::Dot)
            .style(Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD))
            .data(&drops),
    ])
    .x_axis(
        Axis::default()
            .bounds([0.0, span])
            .style(theme::dim())
            .labels([clock(first.at_ms), clock(last.at_ms)]),
    )
    .y_axis(
        Axis::default()
            .bounds([0.0, top])
            .style(theme::dim())
            .labels(["0%".to_owned(), format!("{top:.0}%")]),
    );
    frame.render_widget(chart, plot);
}

/// `HH:MM` (UTC, as the feed's clocks) of `ms`.
fn clock(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The panel's lines for `session` in `width` × `height`, without the charts: its facts, then
/// the steps that fit.
pub fn lines<'a>(
    session: &'a Session,
    dashboard: &'a Dashboard,
    width: u16,
    height: usize,
    now_ms: i64,
) -> Vec<Line<'a>> {
    let mut out = head_lines(session, dashboard, width, now_ms);
    let room = height.saturating_sub(out.len() + 1);
    if room > 0 {
        out.push(Line::styled("Steps", theme::dim()));
        out.extend(step_lines(session, dashboard, width, room, now_ms));
    }
    out
}

/// Title, facts, badges, context, tokens and cost, cache, flow.
fn head_lines<'a>(
    session: &'a Session,
    dashboard: &'a Dashboard,
    width: u16,
    now_ms: i64,
) -> Vec<Line<'a>> {
    let mut out = vec![
        title_line(session, width, now_ms),
        facts_line(session, width),
    ];
    if let Some(badges) = badges_line(session, dashboard, width) {
        out.push(badges);
    }
    out.push(context_line(session, width));
    out.extend(token_lines(session, width));
    out.extend(cache_line(session, width));
    let flow = session.flow_line();
    if !flow.is_empty() {
        out.push(Line::from(vec![
            Span::styled("Flow ", theme::dim()),
            Span::raw(fit_tail(&flow, width.saturating_sub(5))),
        ]));
    }
    out
}

fn title_line(session: &Session, width: u16, now_ms: i64) -> Line<'static> {
    let (state, style) = match session.activity(now_ms) {
        Activity::Live => ("● LIVE", theme::ok().add_modifier(Modifier::BOLD)),
        Activity::Idle => ("○ IDLE", theme::dim()),
    };
    let title = session
        .title
        .as_ref()
        .map(|t| t.text.as_str())
        .or(session.first_prompt.as_deref())
        .unwrap_or("(untitled)");
    let room = width.saturating_sub(str_width(state) as u16 + 1);
    let title = fit(&inert(title), room);
    let pad = usize::from(room).saturating_sub(str_width(&title));
    Line::from(vec![
        Span::styled(title, Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(state, style),
    ])
}

fn facts_line(session: &Session, width: u16) -> Line<'static> {
    let mut facts = vec![
        short(&session.id),
        format!("{} events", crate::render::text::thousands(session.events)),
    ];
    // Claude Code, the common case, goes unsaid; another agent is named with its version.
    if session.agent != crate::event::Agent::ClaudeCode {
        let agent = match &session.version {
            Some(v) => format!("{} {v}", session.agent),
            None => session.agent.to_string(),
        };
        facts.insert(1, agent);
    }
    // The model it runs on now (the latest main-chain response's, as the context gauge
    // beside it), else the last of those used (a session of subagents' responses only).
    if let Some(model) = session
        .model
        .as_ref()
        .or_else(|| session.models.iter().next_back())
    {
        facts.push(model.trim_start_matches("claude-").to_owned());
    }
    if let Some(branch) = &session.git_branch {
        facts.push(format!("⎇ {branch}"));
    }
    if let Some(cwd) = &session.cwd {
        let base = cwd
            .rsplit(['/', '\\'])
            .find(|s| !s.is_empty())
            .unwrap_or(cwd);
        facts.push(base.to_owned());
    }
    Line::styled(fit(&inert(&facts.join(" · ")), width), theme::dim())
}

fn badges_line<'a>(session: &Session, dashboard: &'a Dashboard, width: u16) -> Option<Line<'a>> {
    let mut spans: Vec<Span<'a>> = Vec::new();
    let badge = |spans: &mut Vec<Span<'a>>, text: String, style: Style| {
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    };
    match session.permission_mode.as_deref() {
        Some("plan") => badge(&mut spans, " PLAN ".into(), theme::badge(Color::Magenta)),
        Some("acceptEdits") => badge(
            &mut spans,
            " ACCEPT EDITS ".into(),
            theme::badge(Color::Yellow),
        ),
        Some("bypassPermissions") => badge(&mut spans, " BYPASS ".into(), theme::badge(Color::Red)),
        Some("default") | None => {}
        Some(other) => badge(
            &mut spans,
            format!(" {} ", inert(other).to_uppercase()),
            theme::badge(Color::Blue),
        ),
    }
    for pr in dashboard.pull_requests(&session.id) {
        badge(
            &mut spans,
            format!("PR {}", inert(&pr.label)),
            Style::new()
                .fg(Color::Blue)
                .add_modifier(Modifier::UNDERLINED),
        );
    }
    let errors = session.tool_errors();
    if errors > 0 {
        let s = if errors == 1 { "" } else { "s" };
        badge(
            &mut spans,
            format!("✗ {errors} tool error{s}"),
            theme::bad(),
        );
    }
    if session.api_errors > 0 {
        badge(
            &mut spans,
            format!(
                "✗ {} API error{}",
                session.api_errors,
                if session.api_errors == 1 { "" } else { "s" }
            ),
            theme::bad().add_modifier(Modifier::BOLD),
        );
    }
    if session.retries > 0 {
        badge(
            &mut spans,
            format!(
                "↻ {} retr{}",
                session.retries,
                if session.retries == 1 { "y" } else { "ies" }
            ),
            theme::warning(),
        );
    }
    if session.compactions > 0 {
        badge(
            &mut spans,
            format!(
                "⇊ {} compaction{}",
                session.compactions,
                if session.compactions == 1 { "" } else { "s" }
            ),
            Style::new().fg(Color::Magenta),
        );
    }
    if spans.is_empty() {
        return None;
    }
    spans.pop();
    Some(clip(spans, width))
}

fn context_line(session: &Session, width: u16) -> Line<'static> {
    let Some(context) = session.context.as_ref() else {
        return Line::styled("Context  unknown (no response yet)", theme::dim());
    };
    let fraction = context.fraction();
    let label = format!(
        " {:>4} {}/{}",
        percent(fraction * 100.0),
        compact(context.tokens),
        compact(context.window)
    );
    let bar_width = usize::from(width)
        .saturating_sub(9 + str_width(&label))
        .clamp(0, 40);
    let filled = ((fraction.clamp(0.0, 1.0) * bar_width as f64).round() as usize).min(bar_width);
    let color = theme::context(fraction);
    Line::from(vec![
        Span::styled("Context  ", theme::dim()),
        Span::styled("█".repeat(filled), Style::new().fg(color)),
        Span::styled("░".repeat(bar_width - filled), theme::dim()),
        Span::styled(label, Style::new().fg(color)),
    ])
}

fn token_lines(session: &Session, width: u16) -> Vec<Line<'static>> {
    let tokens = session.tokens();
    // Why the cost is unknown: a model (or speed, tier, geo) without a price, or only usage
    // aegon could not read whole (tester8 finding 8: a priced model was called unpriced).
    let cost = match session.cost() {
        Some(c) => usd(c),
        None => format!(
            "{} ({})",
            crate::render::text::usd_at_least(session.priced_cost(), true),
            match (
                session.unpriced_models().is_empty(),
                session.awaits_totals()
            ) {
                (false, _) => "unpriced model",
                (true, true) => "input not written yet",
                (true, false) if session.unread_subagents().next().is_some() => {
                    "subagent not read"
                }
                (true, false) => "usage not read whole",
            }
        ),
    };
    let mut first = format!(
        "in {}  out {}  cache read {}  write {}",
        compact(tokens.input),
        compact(tokens.output),
        compact(tokens.cache_read),
        compact(tokens.cache_write_5m + tokens.cache_write_1h)
    );
    if tokens.web_search > 0 {
        // Billed per search, in the cost below; not tokens.
        first.push_str(&format!("  searches {}", compact(tokens.web_search)));
    }
    vec![
        Line::from(vec![
            Span::styled("Tokens   ", theme::dim()),
            Span::raw(fit(&first, width.saturating_sub(9))),
        ]),
        Line::from(vec![
            Span::styled("Cost     ", theme::dim()),
            Span::styled(cost, Style::new().add_modifier(Modifier::BOLD)),
            Span::styled(
                format!(
                    "  {} API calls · {} tool calls",
                    session.api_calls(),
                    session.tool_calls()
                ),
                theme::dim(),
            ),
        ]),
    ]
}

/// `Cache    96.5% hit · ↻ last rebuild 14:02 cache expired (gap 7m) $0.42`: the session's
/// cache hit ratio and its latest rebuild ([`CostExplained::last_rebuild`]) with its time
/// (UTC, as the feed's clocks), cause, the gap since the chain's previous request and its cost
/// beyond a cache hit; `no rebuild` when there was none. Narrower panels get shorter forms
/// (`96% hit · ↻ 14:02 cache expired (gap 7m) $0.42`, `96% hit · ↻ 14:02 expired $0.42`,
/// `96% hit · ↻ expired`), then the last one cut.
/// The rebuild is marked `↻` and in words, its colour adds nothing the text does not say.
/// `None` before the session's first response.
///
/// [`CostExplained::last_rebuild`]: crate::session::cost_explained::CostExplained::last_rebuild
fn cache_line(session: &Session, width: u16) -> Option<Line<'static>> {
    let e = &session.cost_explained;
    let ratio = e.hit_ratio()?;
    let label = || Span::styled("Cache    ", theme::dim());
    let sep = || Span::styled(" · ", theme::dim());
    let precise = Span::raw(format!("{:.1}% hit", ratio * 100.0));
    let rounded = Span::raw(format!("{:.0}% hit", ratio * 100.0));
    let Some(last) = &e.last_rebuild else {
        let variants = [vec![
            label(),
            precise,
            sep(),
            Span::styled("no rebuild", theme::dim()),
        ]];
        return Some(widest_fitting(variants, width));
    };
    let r = &last.rebuild;
    let mark = theme::warning();
    let at = last.at.as_ref().map(|(ms, _)| clock(*ms));
    let cost = r.cost_usd.map(|c| {
        Span::styled(
            format!(" {}", usd(c)),
            Style::new().add_modifier(Modifier::BOLD),
        )
    });
    let gap = match (r.cause, last.gap_ms) {
        (RebuildCause::FirstRequest, _) | (_, None) => None,
        (_, Some(ms)) => Some(Span::styled(
            format!(" (gap {})", gap_words(ms)),
            theme::dim(),
        )),
    };
    let when = |prefix: &str| match &at {
        Some(t) => format!("{prefix}{t} "),
        None => prefix.to_owned(),
    };
    let full = [
        Some(label()),
        Some(precise),
        Some(sep()),
        Some(Span::styled(when("↻ last rebuild "), mark)),
        Some(Span::styled(r.cause.label(), mark)),
        gap.clone(),
        cost.clone(),
    ];
    let timed = [
        Some(label()),
        Some(rounded.clone()),
        Some(sep()),
        Some(Span::styled(when("↻ "), mark)),
        Some(Span::styled(r.cause.label(), mark)),
        gap,
        cost.clone(),
    ];
    let short = [
        Some(label()),
        Some(rounded.clone()),
        Some(sep()),
        Some(Span::styled(when("↻ "), mark)),
        Some(Span::styled(short_cause(r.cause), mark)),
        cost,
    ];
    let shortest = [
        Some(label()),
        Some(rounded),
        Some(sep()),
        Some(Span::styled(format!("↻ {}", short_cause(r.cause)), mark)),
    ];
    let variants = [
        full.into_iter().flatten().collect(),
        timed.into_iter().flatten().collect(),
        short.into_iter().flatten().collect(),
        shortest.into_iter().flatten().collect(),
    ];
    Some(widest_fitting(variants, width))
}

/// The first of `variants` (most detailed first) that fits `width` columns, else the last cut
/// to fit.
fn widest_fitting<const N: usize>(variants: [Vec<Span<'static>>; N], width: u16) -> Line<'static> {
    let fits = |v: &Vec<Span<'static>>| {
        v.iter().map(|s| str_width(&s.content)).sum::<usize>() <= usize::from(width)
    };
    let mut chosen = None;
    let mut last = None;
    for v in variants {
        if chosen.is_none() && fits(&v) {
            chosen = Some(v);
        } else {
            last = Some(v);
        }
    }
    clip(chosen.or(last).unwrap_or_default(), width)
}

/// A cause in a word or two: `expired`, `compaction`, `conversation changed?` (inferred
/// causes keep their question mark).
fn short_cause(cause: RebuildCause) -> &'static str {
    match cause {
        RebuildCause::FirstRequest => "first request",
        RebuildCause::ModelSwitch => "model switch",
        RebuildCause::Compaction => "compaction",
        RebuildCause::Expired => "expired",
        RebuildCause::Retry => "retry",
        RebuildCause::Unknown => "unknown",
        RebuildCause::SystemOrTools => "prompt/tools?",
        RebuildCause::ConversationChanged => "conversation?",
    }
}

/// A gap in the largest unit that says it: `45s`, `7m`, `1h05m`.
fn gap_words(ms: u64) -> String {
    let s = ms / 1_000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        _ => format!("{}h{:02}m", s / 3_600, (s / 60) % 60),
    }
}

/// Running steps first (spinner, elapsed), then finished ones newest first.
///
/// A call without its result in a session that is no longer live (Claude Code closed while it
/// ran, or the transcript is old) is not running any more: it is shown as `--summary` reports
/// it at the end of input, abandoned (a dim `…`, no time), not with a spinner or an age.
fn step_lines(
    session: &Session,
    dashboard: &Dashboard,
    width: u16,
    room: usize,
    now_ms: i64,
) -> Vec<Line<'static>> {
    let mut running: Vec<&Step> = session.running().collect();
    running.sort_by_key(|s| std::cmp::Reverse(s.started_ms));
    let live = session.activity(now_ms) == Activity::Live;
    let mut out: Vec<Line<'static>> = Vec::new();
    for step in running.into_iter().take(room) {
        let line = if live {
            let frame = SPINNER[usize::try_from(now_ms.rem_euclid(1000) / 100).unwrap_or(0)];
            let elapsed = step
                .started_ms
                .map(|t| duration(u64::try_from(now_ms - t).unwrap_or(0)))
                .unwrap_or_default();
            step_line(
                step,
                dashboard,
                frame.to_string(),
                Style::new().fg(Color::Cyan),
                elapsed,
                width,
            )
        } else {
            let (mark, style) = finished_mark(StepStatus::Abandoned);
            step_line(
                step,
                dashboard,
                mark.to_owned(),
                style,
                String::new(),
                width,
            )
        };
        out.push(line);
    }
    for step in session.recent_steps().collect::<Vec<_>>().into_iter().rev() {
        if out.len() >= room {
            break;
        }
        let (mark, style) = finished_mark(step.status);
        let took = step.duration_ms.map(duration).unwrap_or_default();
        out.push(step_line(
            step,
            dashboard,
            mark.to_owned(),
            style,
            took,
            width,
        ));
    }
    out
}

/// The mark and style of a step that ended with `status`.
fn finished_mark(status: StepStatus) -> (&'static str, Style) {
    match status {
        StepStatus::Ok => ("✓", theme::ok()),
        StepStatus::Error => ("✗", theme::bad()),
        StepStatus::Interrupted => ("⊘", theme::warning()),
        StepStatus::Abandoned => ("…", theme::dim()),
        StepStatus::Running => ("·", theme::dim()),
    }
}

/// ` ✓ Bash npm test ›agent      1.2s`: mark, tool, what it did, subagent, time.
fn step_line(
    step: &Step,
    dashboard: &Dashboard,
    mark: String,
    style: Style,
    time: String,
    width: u16,
) -> Line<'static> {
    let agent = step
        .agent
        .as_deref()
        .map(|a| format!(" ›{}", fit(&inert(a), 8)))
        .unwrap_or_default();
    let room = usize::from(width).saturating_sub(str_width(&time) + 4 + str_width(&agent));
    let name = fit(&inert(&step.tool), room as u16);
    let left = room.saturating_sub(str_width(&name));
    let argument = match dashboard.step_argument(&step.id) {
        Some(a) if left > 2 => format!(" {}", fit(&a, (left - 1) as u16)),
        _ => String::new(),
    };
    let pad = left.saturating_sub(str_width(&argument));
    Line::from(vec![
        Span::styled(format!(" {mark} "), style),
        Span::styled(name, Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(argument, theme::dim()),
        Span::styled(agent, Style::new().fg(Color::Magenta)),
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(time, theme::dim()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_keeps_its_latest_steps() {
        assert_eq!(fit_tail("USER → THINK → Bash → ASST", 12), "…Bash → ASST");
        assert_eq!(fit_tail("USER → ASST", 20), "USER → ASST");
    }
}
