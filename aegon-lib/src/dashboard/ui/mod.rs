//! Drawing the dashboard with ratatui: [`draw`] lays out the panes; one file per pane.
//!
//! ```text
//! ┌ aegon · 3 sessions · 1 live · 1,234 events ────────────────────────────────────┐
//! │ Feed (newest first)                    │ Session: title, LIVE, badges, context, │
//! │                                        │ tokens and cost, flow, steps           │
//! │                                        ├────────────────────────────────────────┤
//! │                                        │ Sessions (most recently active first)  │
//! └ keys ──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! `u` shows the [`usage`] view in the body instead.
//!
//! Below [`SPLIT_MIN_WIDTH`] columns only the feed is shown; below [`MIN_WIDTH`] ×
//! [`MIN_HEIGHT`] a one-line notice asks for a larger terminal.

mod bars;
pub mod feed;
pub mod list;
pub mod overlay;
pub mod panel;
pub mod theme;
pub mod usage;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::model::Dashboard;
use super::view::{Screen, View};
use crate::render::text::{char_width, str_width};

/// Narrowest terminal drawn.
pub const MIN_WIDTH: u16 = 20;
/// Lowest terminal drawn.
pub const MIN_HEIGHT: u16 = 5;
/// Narrowest terminal with the session panel beside the feed.
pub const SPLIT_MIN_WIDTH: u16 = 70;

/// Draws the whole dashboard into `frame`. Records the page sizes in `view`.
pub fn draw(frame: &mut Frame<'_>, dashboard: &Dashboard, view: &mut View) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!("aegon: {}×{} is too small", area.width, area.height);
        frame.render_widget(Paragraph::new(Line::raw(fit(&text, area.width))), area);
        return;
    }
    let now_ms = dashboard.now_ms();
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    bars::header(frame, header, dashboard, view, now_ms);
    bars::footer(frame, footer, dashboard, view, now_ms);
    if view.screen == Screen::Usage {
        usage::draw(frame, body, dashboard, now_ms);
    } else if body.width >= SPLIT_MIN_WIDTH {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        let list_height = (right.height / 3).clamp(4, 12);
        let [top, bottom] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(list_height)]).areas(right);
        feed::draw(frame, left, dashboard, view);
        panel::draw(frame, top, dashboard, view, now_ms);
        list::draw(frame, bottom, dashboard, view, now_ms);
    } else {
        feed::draw(frame, body, dashboard, view);
    }
    if view.detail.is_some() {
        overlay::detail(frame, body, view);
    }
    if view.help {
        overlay::help(frame, body);
    }
}

/// Takes the colours out of a drawn frame (for `NO_COLOR` or `--color never`), keeping bold,
/// underline and reverse; a cell whose background carried a colour (a badge) is reversed
/// instead, so it still stands out.
pub fn monochrome(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        if cell.bg != Color::Reset {
            cell.modifier.insert(Modifier::REVERSED);
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

/// `text` cut to `width` columns, with `…` where it was cut.
pub(crate) fn fit(text: &str, width: u16) -> String {
    let width = usize::from(width);
    let mut used = 0;
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let w = char_width(c);
        let room = if chars.peek().is_some() {
            width.saturating_sub(1)
        } else {
            width
        };
        if used + w > room {
            if width > 0 {
                out.push('…');
            }
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

/// The end of `text` in `width` columns, `…` in front when cut (the flow's latest steps).
pub(crate) fn fit_tail(text: &str, width: u16) -> String {
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

/// `spans` as one line cut to `width` columns (the span that crosses the edge ends in `…`).
pub(crate) fn clip(spans: Vec<Span<'_>>, width: u16) -> Line<'_> {
    let mut left = usize::from(width);
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        if left == 0 {
            break;
        }
        let w = str_width(&span.content);
        if w <= left {
            left -= w;
            out.push(span);
        } else {
            out.push(Span::styled(fit(&span.content, left as u16), span.style));
            left = 0;
        }
    }
    Line::from(out)
}

/// `1234` → `1.2k`, `1234567` → `1.2M`.
pub(crate) fn compact(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

/// How long ago `then_ms` was, shortly: `5s`, `12m`, `3h`, `2d`.
pub(crate) fn ago(now_ms: i64, then_ms: i64) -> String {
    let s = (now_ms - then_ms).max(0) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A rectangle of `width` × `height` centred in `area` (clipped to it).
pub(crate) fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_text_with_an_ellipsis() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello world", 5), "hell…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn compact_numbers_and_ages() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_234), "1.2k");
        assert_eq!(compact(114_951_736), "115.0M");
        assert_eq!(ago(10_000, 5_000), "5s");
        assert_eq!(ago(3_700_000, 0), "1h");
        assert_eq!(ago(0, 10), "0s");
    }
}
