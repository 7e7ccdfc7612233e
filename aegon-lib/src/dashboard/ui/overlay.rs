//! Overlays: an event's detail, and the keys.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::{centred, fit, theme};
use crate::dashboard::view::View;

/// The keys, as the help overlay lists them.
pub const KEYS: [(&str, &str); 14] = [
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
    ("Ctrl-Z", "suspend to the shell (fg comes back)"),
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

/// Columns of the key column (a space, the key padded to 15, a space).
const KEY_COLUMN: usize = 17;

/// The keys, centred over `area`: as wide as the longest line where that fits, else as wide
/// as `area`, each description wrapped under itself (never cut) at a space where there is one.
pub fn help(frame: &mut Frame<'_>, area: Rect) {
    use crate::render::text::str_width;
    let widest = KEYS
        .iter()
        .map(|(_, what)| KEY_COLUMN + str_width(what) + 1)
        .max()
        .unwrap_or(0);
    let popup_width = u16::try_from(widest + 2)
        .unwrap_or(u16::MAX)
        .min(area.width);
    let room = usize::from(popup_width.saturating_sub(2))
        .saturating_sub(KEY_COLUMN + 1)
        .max(1);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (key, what) in KEYS {
        for (i, part) in wrap(what, room).into_iter().enumerate() {
            let key = if i == 0 { key } else { "" };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {key:<15} "),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(part),
            ]));
        }
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centred(area, popup_width, height);
    let block = Block::bordered()
        .title(" aegon · keys ")
        .title_bottom(" any key closes ")
        .border_style(theme::border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// `text` in lines of at most `width` columns, broken at spaces; a word longer than a line is
/// broken where the line ends.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use crate::render::text::{char_width, str_width};
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && str_width(&line) + sep + str_width(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            if !line.is_empty() && str_width(&line) + char_width(c) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    /// The screen's rows, as text.
    fn rows(width: u16, height: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| help(f, f.area())).unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..height)
            .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
            .collect()
    }

    #[test]
    fn the_help_box_shows_every_word_at_80_and_120_columns() {
        for width in [80u16, 120] {
            let screen = rows(width, 30);
            let all = screen.join("\n");
            assert!(!all.contains('…'), "cut at {width}:\n{all}");
            // Every word of every key's description is on the screen, in order.
            let text: String = screen
                .iter()
                .map(|r| r.trim_matches(|c: char| c == ' ' || c == '│'))
                .collect::<Vec<_>>()
                .join(" ");
            let words: Vec<&str> = text.split_whitespace().collect();
            for (key, what) in KEYS {
                let wanted: Vec<&str> = what.split_whitespace().collect();
                let found = words
                    .windows(wanted.len().max(1))
                    .any(|w| w == wanted.as_slice());
                assert!(
                    found || wanted.is_empty(),
                    "{width}: `{key}` lacks {what:?}\n{all}"
                );
            }
            // The box's right border is on the screen, on every row of it.
            let top = screen.iter().find(|r| r.contains('┌')).unwrap();
            assert!(top.trim_end().ends_with('┐'), "{width}: {top}");
        }
        // At 120 columns the longest line fits on one row; at 80 it wraps.
        let at = |w| rows(w, 30).iter().filter(|r| r.contains('│')).count();
        assert_eq!(at(120), KEYS.len());
        assert!(at(80) > KEYS.len());
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_inside_over_long_words() {
        assert_eq!(
            wrap("usage over time: today", 10),
            ["usage over", "time:", "today"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
