//! The header (what is watched, counts, source status) and the footer (keys, pause, filter,
//! the latest notice).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{clip, theme};
use crate::dashboard::model::Dashboard;
use crate::dashboard::view::View;
use crate::render::text::{str_width, thousands};
use crate::session::Activity;

/// A notice shows in the footer this long.
const NOTICE_SHOWN_MS: i64 = 30_000;

/// The top line.
pub fn header(frame: &mut Frame<'_>, area: Rect, dashboard: &Dashboard, view: &View, now_ms: i64) {
    let sessions = view.listed_sessions(dashboard);
    let live = sessions
        .iter()
        .filter(|s| s.activity(now_ms) == Activity::Live)
        .count();
    let mut spans = vec![
        Span::styled(" aegon ", theme::badge(Color::Cyan)),
        Span::raw(format!(
            " {} session{} · {live} live · {} events",
            sessions.len(),
            if sessions.len() == 1 { "" } else { "s" },
            thousands(dashboard.events())
        )),
    ];
    if dashboard.malformed() > 0 {
        spans.push(Span::styled(
            format!(" · {} problem lines", thousands(dashboard.malformed())),
            theme::bad(),
        ));
    }
    if let Some(status) = dashboard.status() {
        spans.push(Span::styled(format!(" · {status}"), theme::warning()));
    }
    frame.render_widget(Paragraph::new(clip(spans, area.width)), area);
}

/// The bottom line: keys on the left; pause, filter and the latest notice on the right.
pub fn footer(frame: &mut Frame<'_>, area: Rect, dashboard: &Dashboard, view: &View, now_ms: i64) {
    let key = |k: &'static str| Span::styled(k, Style::new().add_modifier(Modifier::BOLD));
    let text = |t: &'static str| Span::styled(t, theme::dim());
    let mut spans = if view.editing_filter {
        vec![
            key(" / "),
            Span::raw(format!("{}▏", view.filter)),
            text("  Enter keep · Esc clear"),
        ]
    } else if view.screen == crate::dashboard::view::Screen::Usage && !view.help {
        vec![
            key(" u"),
            text(" or "),
            key("Esc"),
            text(" back to the sessions  "),
            key("?"),
            text(" help  "),
            key("q"),
            text(" quit"),
        ]
    } else if view.detail.is_some() {
        vec![
            key(" ↑↓ PgUp PgDn"),
            text(" scroll  "),
            key("Esc"),
            text(" close"),
        ]
    } else {
        vec![
            key(" ↑↓"),
            text(" move  "),
            key("⏎"),
            text(" detail  "),
            key("Tab"),
            text(" pane  "),
            key("/"),
            text(" filter  "),
            key("␣"),
            text(" pause  "),
            key("u"),
            text(" usage  "),
            key("?"),
            text(" help  "),
            key("q"),
            text(" quit"),
        ]
    };
    let mut right: Vec<Span<'_>> = Vec::new();
    if let Some(at) = view.paused_at {
        let new = dashboard
            .feed()
            .newest_seq()
            .unwrap_or(0)
            .saturating_sub(at);
        right.push(Span::styled(
            format!(" PAUSED +{new} "),
            theme::badge(Color::Yellow),
        ));
        right.push(Span::raw(" "));
    }
    if !view.filter.is_empty() && !view.editing_filter {
        right.push(Span::styled(
            format!("filter: {} ", view.filter),
            theme::warning(),
        ));
    }
    if let Some(notice) = dashboard.notices().next_back() {
        if now_ms - notice.at_ms <= NOTICE_SHOWN_MS {
            right.push(Span::styled(
                format!("{} ", crate::render::text::inert(&notice.text)),
                theme::warning(),
            ));
        }
    }
    let right_width: usize = right.iter().map(|s| str_width(&s.content)).sum();
    let width = usize::from(area.width);
    if !right.is_empty() {
        // The right side wins: a notice matters more than the key reminder.
        let room_left = width.saturating_sub(right_width.min(width * 2 / 3) + 1);
        spans = clip(spans, room_left as u16).spans;
        let used: usize = spans.iter().map(|s| str_width(&s.content)).sum();
        let pad = width.saturating_sub(used + right_width.min(width - used));
        spans.push(Span::raw(" ".repeat(pad.min(width.saturating_sub(used)))));
        spans.extend(right);
    }
    frame.render_widget(Paragraph::new(clip(spans, area.width)), area);
}
