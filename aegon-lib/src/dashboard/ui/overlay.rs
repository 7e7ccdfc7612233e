//! Overlays: an event's detail, and the keys.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::{centred, fit, theme};
use crate::dashboard::view::View;

/// The keys, as the help overlay lists them.
pub const KEYS: [(&str, &str); 13] = [
    ("↑ ↓  k j", "move in the feed or the session list"),
    ("PgUp PgDn", "move a page"),
    ("Home g / End G", "newest (and follow) / oldest"),
    ("Enter", "open the selected event: full input and output"),
    ("Tab", "switch between the feed and the session list"),
    ("/", "filter the feed (Enter keeps it, Esc clears it)"),
    ("space", "pause the feed (events still count)"),
    (
        "u",
        "usage over time: today, week, month, 5-hour block, charts (u, Esc back)",
    ),
    ("?", "this help"),
    ("Esc", "close, clear the filter, or quit"),
    ("q", "quit"),
    ("", ""),
    (
        "colours",
        "green ok · red failed · cyan tool call · magenta thinking, agents",
    ),
];

/// The detail of the selected event, scrollable, over `area`.
pub fn detail(frame: &mut Frame<'_>, area: Rect, view: &mut View) {
    let Some(detail) = view.detail.as_ref() else {
        return;
    };
    let rows = usize::from(area.height.saturating_sub(2));
    let total = detail.lines.len();
    let first = detail.scroll.min(total.saturating_sub(1));
    let last = (first + rows).min(total);
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", fit(&detail.title, area.width.saturating_sub(4))),
            Style::new().add_modifier(Modifier::BOLD),
        ))
        .title_bottom(format!(
            " lines {}–{last} of {total} · ↑↓ PgUp PgDn scroll · Esc close ",
            first + 1
        ))
        .border_style(theme::border(true));
    let inner = block.inner(area);
    let lines: Vec<Line<'_>> = detail.lines[first..last]
        .iter()
        .map(|l| Line::raw(fit(l, inner.width)))
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
    view.detail_rows = rows;
}

/// The keys, centred over `area`.
pub fn help(frame: &mut Frame<'_>, area: Rect) {
    let popup = centred(area, 84, KEYS.len() as u16 + 2);
    let lines: Vec<Line<'_>> = KEYS
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {key:<15} "),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    let block = Block::bordered()
        .title(" aegon · keys ")
        .title_bottom(" any key closes ")
        .border_style(theme::border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
