//! The session list: every session, most recently active first, under an "all sessions" row.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{ago, fit, theme};
use crate::dashboard::model::Dashboard;
use crate::dashboard::view::{Pane, View};
use crate::render::text::inert;
use crate::render::text::str_width;
use crate::session::Activity;

/// Draws the list in `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, dashboard: &Dashboard, view: &View, now_ms: i64) {
    let sessions = view.listed_sessions(dashboard);
    let live = sessions
        .iter()
        .filter(|s| s.activity(now_ms) == Activity::Live)
        .count();
    let block = Block::bordered()
        .title(format!(" Sessions {} · {live} live ", sessions.len()))
        .border_style(theme::border(view.focus == Pane::Sessions));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    if rows == 0 {
        return;
    }
    let chosen = view
        .session
        .as_deref()
        .and_then(|id| sessions.iter().position(|s| s.id == id))
        .map_or(0, |i| i + 1);
    let start = (chosen + 1).saturating_sub(rows);
    // Sessions of several agents: each row names its agent (short, dim) before its title.
    let mixed = sessions
        .iter()
        .any(|s| s.agent != sessions.first().map_or(s.agent, |f| f.agent));
    let mut lines = Vec::with_capacity(rows);
    for index in start..(sessions.len() + 1).min(start + rows) {
        let mut line = if index == 0 {
            Line::from(Span::styled(
                fit("  all sessions", inner.width),
                Style::new().add_modifier(Modifier::BOLD),
            ))
        } else {
            let s = sessions[index - 1];
            let (dot, dot_style) = match s.activity(now_ms) {
                Activity::Live => ("● ", theme::ok()),
                Activity::Idle => ("○ ", theme::dim()),
            };
            let age = s
                .last
                .as_ref()
                .map(|l| ago(now_ms, l.0))
                .unwrap_or_default();
            // What has a price, `+` when a model has none (as the panel and reports say it).
            let cost = crate::render::text::usd_at_least(s.priced_cost(), s.cost().is_none());
            let right = format!(" {age:>4} {cost:>7}");
            let title = s
                .title
                .as_ref()
                .map(|t| t.text.as_str())
                .or(s.first_prompt.as_deref())
                .unwrap_or(&s.id);
            let tag = if mixed {
                format!("{:<9}", agent_tag(s.agent))
            } else {
                String::new()
            };
            let room = inner
                .width
                .saturating_sub(2 + str_width(&right) as u16 + str_width(&tag) as u16);
            let title = fit(&inert(title), room);
            let pad = usize::from(room).saturating_sub(str_width(&title));
            Line::from(vec![
                Span::styled(dot, dot_style),
                Span::styled(tag, theme::dim()),
                Span::raw(title),
                Span::raw(" ".repeat(pad)),
                Span::styled(right, theme::dim()),
            ])
        };
        if index == chosen {
            line = line.patch_style(theme::selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A session list's short name for `agent` (at most 8 columns).
fn agent_tag(agent: crate::event::Agent) -> &'static str {
    use crate::event::Agent;
    match agent {
        Agent::ClaudeCode => "claude",
        Agent::Codex => "codex",
        Agent::GeminiCli => "gemini",
        Agent::OpenCode => "opencode",
        Agent::CopilotCli => "copilot",
        Agent::QwenCode => "qwen",
    }
}
