//! The feed pane: events newest first, coloured by kind, subagent events marked.
//!
//! Rows show the time of day (UTC, as written). When a row on screen is of another day than
//! today (by the dashboard's clock, UTC), rows of other days show their date before the time
//! (`11-28 19:27:41`, the year too when another year is on screen) and today's rows leave that
//! room blank, so that yesterday never reads as the latest activity (as lnav and hl write the
//! date on every line; here only when it tells something).

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{fit, theme};
use crate::dashboard::feed::{Feed, FeedItem};
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
    let dates = Dates::of(
        visible.iter().skip(start).take(rows).copied(),
        dashboard.now_ms(),
    );
    let lines: Vec<Line<'_>> = visible
        .iter()
        .skip(start)
        .take(rows)
        .map(|item| {
            let line = row(dashboard.feed(), item, inner.width, show_session, dates);
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

/// How the rows on screen write their date: not at all (all of today, or of no known
/// day), as `MM-DD`, or as `YYYY-MM-DD` (a row of another year on screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    /// Today's day number (days since 1970-01-01, UTC).
    today: i64,
    /// Width of the date written before the time (0, 5 or 10), blank on today's rows.
    width: usize,
}

impl Dates {
    /// No date column (every row of today).
    pub const NONE: Dates = Dates { today: 0, width: 0 };

    /// The date column for `rows` (those on screen) when it is `now_ms` (UTC).
    pub fn of<'a>(rows: impl Iterator<Item = &'a FeedItem>, now_ms: i64) -> Dates {
        let today = now_ms.div_euclid(DAY_MS);
        let year = |ms: i64| crate::timestamp::format_millis(ms).map(|t| t[..4].to_owned());
        let this_year = year(now_ms);
        let mut width = 0;
        for ms in rows.filter_map(FeedItem::timestamp_ms) {
            if ms.div_euclid(DAY_MS) == today {
                continue;
            }
            width = width.max(if year(ms) == this_year { 5 } else { 10 });
        }
        Dates { today, width }
    }

    /// The date and a space to write before the time of a row at `ms`: blanks for today's
    /// rows (and rows without a time), nothing when no row on screen is of another day.
    fn prefix(self, ms: Option<i64>) -> String {
        if self.width == 0 {
            return String::new();
        }
        let date = ms
            .filter(|ms| ms.div_euclid(DAY_MS) != self.today)
            .and_then(crate::timestamp::format_millis);
        match date {
            // `YYYY-MM-DD…`: its last `width` characters of the date.
            Some(t) => format!("{} ", &t[10 - self.width..10]),
            None => " ".repeat(self.width + 1),
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// One feed row (`item`, a row of `feed`) in `width` columns: (date,) time, kind, session
/// (and subagent), summary.
pub fn row<'a>(
    feed: &'a Feed,
    item: &'a FeedItem,
    width: u16,
    show_session: bool,
    dates: Dates,
) -> Line<'a> {
    let mut spans = Vec::with_capacity(6);
    let mut used = 0;
    let mut push = |spans: &mut Vec<Span<'static>>, text: String, style: Style| {
        used += str_width(&text);
        spans.push(Span::styled(text, style));
    };
    push(
        &mut spans,
        format!(
            "{}{} ",
            dates.prefix(item.timestamp_ms()),
            item.clock().unwrap_or("--:--:--")
        ),
        theme::dim(),
    );
    push(
        &mut spans,
        format!("{:<9} ", item.label()),
        theme::label(item.kind, item.failed),
    );
    if show_session {
        let session = feed.session(item).map_or("--------".into(), short);
        push(&mut spans, format!("{session} "), theme::dim());
    }
    if let Some(agent) = feed.agent(item) {
        push(
            &mut spans,
            format!("›{} ", fit(&crate::render::text::inert(agent), 8)),
            Style::new().fg(Color::Magenta),
        );
    }
    let room = usize::from(width).saturating_sub(used);
    let summary = fit(feed.summary(item), u16::try_from(room).unwrap_or(u16::MAX));
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
