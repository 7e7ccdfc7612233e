//! The feed pane: events newest first, coloured by kind, subagent events marked.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{fit, theme};
use crate::dashboard::feed::FeedItem;
use crate::dashboard::model::Dashboard;
use crate::dashboard::view::{Pane, View};
use crate::render::text::str_width;

/// Draws the feed in `area`. While a row is selected the window stays where it is (new
/// events arrive above it, counted in the title) until the selection leaves it.
pub fn draw(frame: &mut Frame<'_>, area: Rect, dashboard: &Dashboard, view: &mut View) {
    let rows = usize::from(area.height.saturating_sub(2));
    view.feed_rows = rows;
    let visible: Vec<&FeedItem> = view.visible_feed(dashboard).collect();
    let at = view
        .selected
        .and_then(|seq| visible.iter().position(|i| i.seq == seq));
    // A selected row that left the feed (dropped or filtered out): follow the newest again.
    let lost = view.selected.is_some() && at.is_none();
    let start = match at {
        None => 0,
        Some(i) => {
            let top = view
                .feed_top
                .and_then(|seq| visible.iter().position(|item| item.seq == seq))
                .unwrap_or(0);
            if i < top {
                i
            } else if i >= top + rows {
                i + 1 - rows
            } else {
                top
            }
        }
    };
    let top = at.and_then(|_| visible.get(start)).map(|item| item.seq);

    let mut title = String::from(" Feed ");
    if let Some(id) = &view.session {
        title = format!(" Feed · session {} ", short(id));
    }
    if start > 0 {
        title.push_str(&format!("· {start} newer above (Home) "));
    }
    let block = Block::bordered()
        .title(title)
        .border_style(theme::border(view.focus == Pane::Feed));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if visible.is_empty() {
        let empty = if dashboard.feed().is_empty() {
            "waiting for events…"
        } else {
            "no event matches"
        };
        frame.render_widget(Paragraph::new(Span::styled(empty, theme::dim())), inner);
        return;
    }
    let show_session = view.session.is_none();
    let lines: Vec<Line<'_>> = visible
        .iter()
        .skip(start)
        .take(rows)
        .map(|item| {
            let line = row(item, inner.width, show_session);
            if Some(item.seq) == view.selected {
                line.patch_style(theme::selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    view.feed_top = top;
    if lost {
        view.selected = None;
    }
}

/// One feed row in `width` columns: time, kind, session (and subagent), summary.
pub fn row(item: &FeedItem, width: u16, show_session: bool) -> Line<'_> {
    let mut spans = Vec::with_capacity(6);
    let mut used = 0;
    let mut push = |spans: &mut Vec<Span<'static>>, text: String, style: Style| {
        used += str_width(&text);
        spans.push(Span::styled(text, style));
    };
    push(
        &mut spans,
        format!("{} ", item.clock().unwrap_or("--:--:--")),
        theme::dim(),
    );
    push(
        &mut spans,
        format!("{:<9} ", item.label),
        theme::label(item.kind, item.failed),
    );
    if show_session {
        let session = item.session.as_deref().map_or("--------".into(), short);
        push(&mut spans, format!("{session} "), theme::dim());
    }
    if let Some(agent) = &item.agent {
        push(
            &mut spans,
            format!("›{} ", fit(&crate::render::text::inert(agent), 8)),
            Style::new().fg(Color::Magenta),
        );
    }
    let room = usize::from(width).saturating_sub(used);
    let summary = fit(item.summary(), u16::try_from(room).unwrap_or(u16::MAX));
    spans.push(Span::styled(
        summary,
        theme::summary(item.kind, item.failed),
    ));
    Line::from(spans)
}

/// The first 8 characters of a session id.
pub(crate) fn short(id: &str) -> String {
    id.chars()
        .take(8)
        .map(crate::render::text::inert_char)
        .collect()
}
