//! The session panel: header, badges, context gauge, tokens and cost, flow, steps.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::feed::short;
use super::{clip, compact, fit, theme};
use crate::dashboard::model::Dashboard;
use crate::dashboard::view::View;
use crate::render::text::{duration, inert, str_width};
use crate::session::{Activity, Session, Step, StepStatus};

/// Spinner frames, one per 100 ms.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Draws the panel of the session the view shows.
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
    let lines = lines(
        session,
        dashboard,
        inner.width,
        usize::from(inner.height),
        now_ms,
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The panel's lines for `session` in `width` × `height`.
pub fn lines<'a>(
    session: &'a Session,
    dashboard: &'a Dashboard,
    width: u16,
    height: usize,
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
    let flow = session.flow_line();
    if !flow.is_empty() {
        out.push(Line::from(vec![
            Span::styled("Flow ", theme::dim()),
            Span::raw(fit_tail(&flow, width.saturating_sub(5))),
        ]));
    }
    let room = height.saturating_sub(out.len() + 1);
    if room > 0 {
        out.push(Line::styled("Steps", theme::dim()));
        out.extend(step_lines(session, dashboard, width, room, now_ms));
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
    if let Some(model) = session.models.iter().next_back() {
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
        " {:>3.0}% {}/{}",
        fraction * 100.0,
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
    let cost = match session.cost() {
        Some(c) => format!("${c:.2}"),
        None => format!("≥ ${:.2} (unpriced model)", session.priced_cost()),
    };
    let first = format!(
        "in {}  out {}  cache read {}  write {}",
        compact(tokens.input),
        compact(tokens.output),
        compact(tokens.cache_read),
        compact(tokens.cache_write_5m + tokens.cache_write_1h)
    );
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

/// Running steps first (spinner, elapsed), then finished ones newest first.
fn step_lines(
    session: &Session,
    dashboard: &Dashboard,
    width: u16,
    room: usize,
    now_ms: i64,
) -> Vec<Line<'static>> {
    let mut running: Vec<&Step> = session.running().collect();
    running.sort_by_key(|s| std::cmp::Reverse(s.started_ms));
    // A spinner turns for a live session; an idle one's unfinished calls (Claude Code closed
    // while they ran) show a still mark.
    let frame = if session.activity(now_ms) == Activity::Live {
        SPINNER[usize::try_from(now_ms.rem_euclid(1000) / 100).unwrap_or(0)]
    } else {
        '…'
    };
    let mut out: Vec<Line<'static>> = Vec::new();
    for step in running.into_iter().take(room) {
        let elapsed = step
            .started_ms
            .map(|t| duration(u64::try_from(now_ms - t).unwrap_or(0)))
            .unwrap_or_default();
        out.push(step_line(
            step,
            dashboard,
            frame.to_string(),
            Style::new().fg(Color::Cyan),
            elapsed,
            width,
        ));
    }
    for step in session.recent_steps().collect::<Vec<_>>().into_iter().rev() {
        if out.len() >= room {
            break;
        }
        let (mark, style) = match step.status {
            StepStatus::Ok => ("✓", theme::ok()),
            StepStatus::Error => ("✗", theme::bad()),
            StepStatus::Interrupted => ("⊘", theme::warning()),
            StepStatus::Abandoned => ("…", theme::dim()),
            StepStatus::Running => ("·", theme::dim()),
        };
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
        Some(a) if left > 2 => format!(" {}", fit(a, (left - 1) as u16)),
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

/// The end of `text` in `width` columns, `…` in front when cut (the flow's latest steps).
fn fit_tail(text: &str, width: u16) -> String {
    if str_width(text) <= usize::from(width) {
        return text.to_owned();
    }
    let reversed: String = text.chars().rev().collect();
    let cut = fit(&reversed, width);
    let mut tail: String = cut.trim_end_matches('…').chars().rev().collect();
    if width > 0 {
        tail.insert(0, '…');
    }
    tail
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
