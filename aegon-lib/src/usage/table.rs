//! Aligned tables for people, fitted to a width: the usage reports' and the blocks'.
//!
//! Cells are separated by two spaces; text columns are left-aligned, numbers right-aligned;
//! each row is one line, never wrapped inside a cell. With no width (output piped without
//! `COLUMNS`), every column is written whole: the layout scripts read. With a width (`COLUMNS`,
//! else the terminal's), a table wider than it gives way step by step, stopping at the first
//! layout that fits:
//!
//! 1. **compact**: the columns marked [`Column::compact`] are left out and rows use their
//!    short cells ([`Row::short`]), as ccusage's compact layout (below 100 columns for its
//!    daily/weekly/monthly/session tables, 120 for blocks) leaves out its cache and total-token
//!    columns and abbreviates block times;
//! 2. **cut**: the columns with a [`Cut`] are shortened, widest first, with `…` (keeping their
//!    start, or their end for paths), down to their minimum;
//! 3. **dropped**: the columns with a [`Column::drop_rank`] are left out, lowest rank first,
//!    as many as it takes; a row's cell of a column left out that names the row (a breakdown
//!    row's model, [`Column::into`]) is written in another column where that row has nothing,
//!    cut to the room there is, so that the row still says what it is.
//!
//! Widths are display columns ([`crate::render::text::str_width`]: East Asian wide characters
//! count two). A table still wider than the width after all that is written as it then is.

use crate::render::text::{char_width, inert, str_width};

/// How a column may be shortened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Keep the end of the text (paths), else its start.
    pub keep_end: bool,
    /// The narrowest it is cut to, in display columns (its header is cut too).
    pub min: usize,
}

/// One column: its header and how it gives way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Header text.
    pub header: String,
    /// Right-aligned (numbers).
    pub right: bool,
    /// Left out in the compact layout.
    pub compact: bool,
    /// Shortened with `…` when the compact layout is still too wide.
    pub cut: Option<Cut>,
    /// Left out when cutting is not enough, lowest rank first; 0: never.
    pub drop_rank: u8,
    /// When left out, a row's cell here moves to this column (by index) if the row's cell
    /// there is empty ([`Column::into`]).
    pub into: Option<usize>,
}

impl Column {
    /// A column written whole at every width.
    pub fn new(header: &str, right: bool) -> Column {
        Column {
            header: header.to_owned(),
            right,
            compact: false,
            cut: None,
            drop_rank: 0,
            into: None,
        }
    }

    /// Left out in the compact layout.
    pub fn compact(mut self) -> Column {
        self.compact = true;
        self
    }

    /// Cut with `…` to no less than `min` columns, keeping the end with `keep_end`.
    pub fn cut(mut self, min: usize, keep_end: bool) -> Column {
        self.cut = Some(Cut { keep_end, min });
        self
    }

    /// Left out, at this rank (1 first), when cutting is not enough.
    pub fn drop_rank(mut self, rank: u8) -> Column {
        self.drop_rank = rank;
        self
    }

    /// When left out, each row's cell of this column is written in column `index` instead
    /// where that row's cell is empty (a breakdown row's model under the blank date), cut
    /// with `…` (keeping its start) to what the table has room for, never narrower than that
    /// column already is.
    pub fn into(mut self, index: usize) -> Column {
        self.into = Some(index);
        self
    }
}

/// How a row is shown on a terminal with colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// As it is.
    Plain,
    /// Dim (breakdown rows, gaps).
    Dim,
    /// Bold (header, totals).
    Bold,
}

/// One row: a cell per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Cells, one per column (missing ones are empty).
    pub cells: Vec<String>,
    /// Shorter cells for the compact layout (`None`: the same as [`Row::cells`]).
    pub short: Option<Vec<String>>,
    /// Style.
    pub style: Style,
    /// A rule (`─` under every column) is written before it.
    pub rule_before: bool,
}

impl Row {
    /// A row of `cells` in `style`.
    pub fn new(cells: Vec<String>, style: Style) -> Row {
        Row {
            cells,
            short: None,
            style,
            rule_before: false,
        }
    }
}

/// What fitting a table to its width did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fitted {
    /// The table, one line per row, each ending with `\n`.
    pub text: String,
    /// The compact layout was used.
    pub compact: bool,
    /// Headers of the columns left out.
    pub left_out: Vec<String>,
    /// Headers of the columns cut.
    pub cut: Vec<String>,
}

impl Fitted {
    /// A sentence for the table's footer when it was fitted (`None`: written whole): what was
    /// left out or cut to fit `width` columns.
    pub fn note(&self, width: usize) -> Option<String> {
        if self.left_out.is_empty() && self.cut.is_empty() && !self.compact {
            return None;
        }
        let mut parts = Vec::new();
        if !self.left_out.is_empty() {
            parts.push(format!("{} left out", self.left_out.join(", ")));
        }
        if !self.cut.is_empty() {
            parts.push(format!("{} cut", self.cut.join(", ")));
        }
        if parts.is_empty() {
            parts.push("times shortened".to_owned());
        }
        Some(format!(
            "compact layout for {width} columns: {} (wider COLUMNS shows all; --json has every field)",
            parts.join("; ")
        ))
    }
}

/// `s` cut to `width` display columns with `…` in place of what is left out (its start with
/// `keep_end`, else its end); `s` itself when it fits.
pub fn cut_to(s: &str, width: usize, keep_end: bool) -> String {
    if str_width(s) <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1; // the ellipsis
    let mut take = |c: char| {
        let w = char_width(c);
        if used + w > width {
            return false;
        }
        used += w;
        kept.push(c);
        true
    };
    if keep_end {
        for c in s.chars().rev() {
            if !take(c) {
                break;
            }
        }
        kept.reverse();
        std::iter::once('…').chain(kept).collect()
    } else {
        for c in s.chars() {
            if !take(c) {
                break;
            }
        }
        kept.into_iter().chain(std::iter::once('…')).collect()
    }
}

/// The table of `columns` and `rows` (text made inert), fitted to `width` display columns
/// (`None`: written whole) as the [module documentation](self) says, with ANSI styles when
/// `color`.
pub fn fit(columns: &[Column], rows: &[Row], width: Option<usize>, color: bool) -> Fitted {
    let n = columns.len();
    let cells = |row: &Row, short: bool| -> Vec<String> {
        let src = match (&row.short, short) {
            (Some(s), true) => s,
            _ => &row.cells,
        };
        (0..n)
            .map(|i| inert(src.get(i).map_or("", String::as_str)))
            .collect()
    };
    let header: Vec<String> = columns.iter().map(|c| inert(&c.header)).collect();
    let full: Vec<Vec<String>> = rows.iter().map(|r| cells(r, false)).collect();
    let natural = |table: &[Vec<String>], keep: &[bool]| -> Vec<usize> {
        (0..n)
            .map(|i| {
                if !keep[i] {
                    return 0;
                }
                std::iter::once(&header[i])
                    .chain(table.iter().map(|r| &r[i]))
                    .map(|c| str_width(c))
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    let total = |widths: &[usize], keep: &[bool]| -> usize {
        let shown = keep.iter().filter(|k| **k).count();
        widths.iter().sum::<usize>() + 2 * shown.saturating_sub(1)
    };
    let mut keep = vec![true; n];
    let mut table = full;
    let mut widths = natural(&table, &keep);
    let mut fitted = Fitted::default();
    if let Some(limit) = width.filter(|&w| total(&widths, &keep) > w) {
        // 1. Compact.
        fitted.compact = true;
        table = rows.iter().map(|r| cells(r, true)).collect();
        for (i, c) in columns.iter().enumerate() {
            if c.compact {
                keep[i] = false;
                if !c.header.is_empty() {
                    fitted.left_out.push(c.header.clone());
                }
            }
        }
        widths = natural(&table, &keep);
        // 2. Cut, widest first.
        let mut cut_any = vec![false; n];
        while total(&widths, &keep) > limit {
            let widest = (0..n)
                .filter(|&i| keep[i] && columns[i].cut.is_some_and(|c| widths[i] > c.min))
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
            match widest {
                Some(i) => {
                    widths[i] -= 1;
                    cut_any[i] = true;
                }
                None => break,
            }
        }
        // 3. Drop, lowest rank first; what was cut for a dropped column is given back.
        let mut ranks: Vec<(u8, usize)> = (0..n)
            .filter(|&i| columns[i].drop_rank > 0 && keep[i])
            .map(|i| (columns[i].drop_rank, i))
            .collect();
        ranks.sort_unstable();
        for (_, i) in ranks {
            if total(&widths, &keep) <= limit {
                break;
            }
            keep[i] = false;
            cut_any[i] = false;
            widths[i] = 0;
            fitted.left_out.push(columns[i].header.clone());
        }
        // A dropped column's cells that name their row move where the row has nothing.
        for from in (0..n).filter(|&i| !keep[i] && columns[i].drop_rank > 0) {
            let Some(to) = columns[from].into.filter(|&t| t < n && keep[t]) else {
                continue;
            };
            let room = limit.saturating_sub(total(&widths, &keep));
            let widest = widths[to] + room;
            for row in table.iter_mut() {
                if row[to].is_empty() && !row[from].is_empty() {
                    let moved = cut_to(row[from].trim_start(), widest, false);
                    widths[to] = widths[to].max(str_width(&moved));
                    row[to] = moved;
                }
            }
        }
        // Give the cut columns back what dropping freed, in column order.
        let natural_widths = natural(&table, &keep);
        for i in 0..n {
            if keep[i] && cut_any[i] {
                let room = limit.saturating_sub(total(&widths, &keep));
                widths[i] = (widths[i] + room).min(natural_widths[i]);
                cut_any[i] = widths[i] < natural_widths[i];
            }
        }
        for i in 0..n {
            if cut_any[i] {
                let keep_end = columns[i].cut.is_some_and(|c| c.keep_end);
                for row in table.iter_mut() {
                    row[i] = cut_to(&row[i], widths[i], keep_end);
                }
                fitted.cut.push(columns[i].header.clone());
            }
        }
    }
    let header_cut: Vec<String> = (0..n)
        .map(|i| cut_to(&header[i], widths[i], false))
        .collect();
    let line = |cells: &[String]| -> String {
        let mut line = String::new();
        let mut first = true;
        for i in (0..n).filter(|&i| keep[i]) {
            if !first {
                line.push_str("  ");
            }
            first = false;
            let pad = " ".repeat(widths[i].saturating_sub(str_width(&cells[i])));
            if columns[i].right {
                line.push_str(&pad);
                line.push_str(&cells[i]);
            } else {
                line.push_str(&cells[i]);
                line.push_str(&pad);
            }
        }
        line.trim_end().to_owned()
    };
    let styled = |out: &mut String, text: &str, style: Style| {
        match (color, style) {
            (true, Style::Dim) => out.push_str(&format!("\x1b[2m{text}\x1b[0m")),
            (true, Style::Bold) => out.push_str(&format!("\x1b[1m{text}\x1b[0m")),
            _ => out.push_str(text),
        }
        out.push('\n');
    };
    let mut out = String::new();
    styled(&mut out, &line(&header_cut), Style::Bold);
    for (row, cells) in rows.iter().zip(&table) {
        if row.rule_before {
            let rule: Vec<String> = (0..n)
                .filter(|&i| keep[i])
                .map(|i| "─".repeat(widths[i]))
                .collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
        styled(&mut out, &line(cells), row.style);
    }
    fitted.text = out;
    fitted
}

/// `text` (one paragraph) as lines of at most `width` display columns, broken at spaces (a
/// word longer than the width gets a line of its own); `None`: one line. Each line ends with
/// `\n`. For the prose under a fitted table.
pub fn wrap(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return format!("{text}\n");
    };
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && str_width(&line) + 1 + str_width(word) > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The width tables are fitted to: `COLUMNS` when it is a positive number (as `ls`, ccusage
/// and other tools take it, whether the output is a terminal or not), else the terminal's
/// width when the output is one (`terminal`), else none: piped output without `COLUMNS` is
/// written whole.
pub fn table_width(columns: Option<&std::ffi::OsStr>, terminal: Option<usize>) -> Option<usize> {
    columns
        .and_then(|v| v.to_str())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or(terminal.filter(|&w| w > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column::new("Date", false),
            Column::new("Models", false).cut(6, false).drop_rank(1),
            Column::new("Input", true).drop_rank(2),
            Column::new("Cache", true).compact(),
            Column::new("Cost", true),
        ]
    }

    fn rows() -> Vec<Row> {
        vec![
            Row::new(
                [
                    "2026-01-28",
                    "opus-4-5, sonnet-4-5",
                    "1,234",
                    "99,999,999",
                    "$1.00",
                ]
                .map(str::to_owned)
                .to_vec(),
                Style::Plain,
            ),
            Row {
                rule_before: true,
                ..Row::new(
                    ["Total", "", "1,234", "99,999,999", "$1.00"]
                        .map(str::to_owned)
                        .to_vec(),
                    Style::Bold,
                )
            },
        ]
    }

    fn widest(text: &str) -> usize {
        text.lines().map(str_width).max().unwrap_or(0)
    }

    #[test]
    fn whole_without_a_width_and_fitted_step_by_step_with_one() {
        // Whole: 10 + 20 + 5 + 10 + 5 + 4 separators of 2 = 58 columns.
        let whole = fit(&cols(), &rows(), None, false);
        assert_eq!(
            whole.text.lines().next(),
            Some("Date        Models                Input       Cache   Cost")
        );
        assert_eq!(widest(&whole.text), 58);
        assert_eq!(fit(&cols(), &rows(), Some(58), false), whole);
        // 57: compact (Cache left out): 10 + 20 + 5 + 5 + 6 = 46.
        let compact = fit(&cols(), &rows(), Some(57), false);
        assert_eq!(compact.left_out, ["Cache"]);
        assert!(compact.cut.is_empty());
        assert_eq!(widest(&compact.text), 46);
        assert!(compact
            .text
            .contains("2026-01-28  opus-4-5, sonnet-4-5  1,234  $1.00"));
        // 40: Models cut to 14 columns, its end replaced by "…".
        let cut = fit(&cols(), &rows(), Some(40), false);
        assert_eq!(cut.cut, ["Models"]);
        assert!(cut
            .text
            .contains("2026-01-28  opus-4-5, son…  1,234  $1.00"));
        assert_eq!(widest(&cut.text), 40);
        // 30: Models at its minimum (6) gives 32: it is left out instead (10+5+5+4 = 24).
        let dropped = fit(&cols(), &rows(), Some(30), false);
        assert_eq!(dropped.left_out, ["Cache", "Models"]);
        assert!(dropped.cut.is_empty());
        assert!(dropped.text.contains("2026-01-28  1,234  $1.00"));
        // 10: nothing else can go; written as it then is (Date and Cost are kept).
        let least = fit(&cols(), &rows(), Some(10), false);
        assert_eq!(least.left_out, ["Cache", "Models", "Input"]);
        assert!(least.text.contains("2026-01-28  $1.00"));
        assert!(least
            .note(10)
            .unwrap()
            .starts_with("compact layout for 10 columns: Cache, Models, Input left out ("));
        assert_eq!(whole.note(80), None);
        // No line is ever wider than asked while something could still go, and every row
        // stays one line.
        for w in 17..70 {
            let f = fit(&cols(), &rows(), Some(w), false);
            assert!(widest(&f.text) <= w, "{w}:\n{}", f.text);
            assert_eq!(f.text.lines().count(), 4, "{w}");
        }
    }

    #[test]
    fn a_row_named_only_in_a_column_left_out_is_named_in_another() {
        // tester12 #3: a breakdown row is blank but for its model and its numbers; with
        // Models left out it was a bare row of numbers. Its model moves under the blank date.
        let columns = vec![
            Column::new("Date", false),
            Column::new("Models", false)
                .cut(6, false)
                .drop_rank(1)
                .into(0),
            Column::new("Output", true).drop_rank(2),
            Column::new("Cost", true),
        ];
        let row = |cells: [&str; 4], style| Row::new(cells.map(str::to_owned).to_vec(), style);
        let rows = vec![
            row(
                ["2026-06-16", "sonnet-4-6", "199,263", "$16.78"],
                Style::Plain,
            ),
            row(["", "└ sonnet-4-6", "199,263", "$16.78"], Style::Dim),
            row(
                ["2026-08-04", "opus-5, sonnet-4-6", "16,053", "$1.39"],
                Style::Plain,
            ),
            row(["", "└ opus-5", "1,000", "$0.39"], Style::Dim),
            row(["", "└ sonnet-4-6", "15,053", "$1.00"], Style::Dim),
        ];
        // 30: Models left out (10 + 7 + 6 + 4 = 27), the models under the dates, whole as
        // there is room for them (12 ≤ 13).
        let f = fit(&columns, &rows, Some(30), false);
        assert_eq!(f.left_out, ["Models"]);
        let lines: Vec<&str> = f.text.lines().collect();
        assert_eq!(lines[1], "2026-06-16    199,263  $16.78");
        assert_eq!(lines[2], "└ sonnet-4-6  199,263  $16.78");
        assert_eq!(lines[4], "└ opus-5        1,000   $0.39");
        assert!(widest(&f.text) <= 30, "{}", f.text);
        // 25: Output goes too; the names are cut to the room left (25 - 6 - 2 = 17: whole).
        let f = fit(&columns, &rows, Some(25), false);
        assert_eq!(f.left_out, ["Models", "Output"]);
        assert!(f.text.contains("\n└ sonnet-4-6  $16.78\n"), "{}", f.text);
        // 18: no room beyond the date's 10 columns: cut to them, still a model's start.
        let f = fit(&columns, &rows, Some(18), false);
        assert!(f.text.contains("\n└ sonnet-…  $16.78\n"), "{}", f.text);
        assert!(f.text.contains("\n└ opus-5     $0.39\n"), "{}", f.text);
        assert!(widest(&f.text) <= 18, "{}", f.text);
        // A row with a date keeps it; the whole table without a width is as it was.
        assert!(f.text.contains("\n2026-08-04   $1.39\n"), "{}", f.text);
        let whole = fit(&columns, &rows, None, false);
        assert_eq!(
            whole.text.lines().nth(4),
            Some("            └ opus-5              1,000   $0.39")
        );
    }

    #[test]
    fn cuts_keep_the_start_or_the_end_and_count_wide_characters() {
        assert_eq!(cut_to("/home/me/project", 10, true), "…e/project");
        assert_eq!(cut_to("/home/me/project", 10, false), "/home/me/…");
        assert_eq!(cut_to("short", 10, false), "short");
        // 日本 is 4 columns: a cut to 4 keeps one wide character and the ellipsis (3).
        assert_eq!(cut_to("日本語", 4, false), "日…");
        assert_eq!(str_width(&cut_to("日本語", 4, false)), 3);
    }

    #[test]
    fn prose_wraps_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", None), "a bb ccc dddd\n");
        assert_eq!(wrap("a bb ccc dddd", Some(6)), "a bb\nccc\ndddd\n");
        assert_eq!(wrap("a bb ccc dddd", Some(8)), "a bb ccc\ndddd\n");
        assert_eq!(wrap("toolongword x", Some(4)), "toolongword\nx\n");
    }

    #[test]
    fn columns_then_the_terminal_then_none() {
        use std::ffi::OsStr;
        assert_eq!(table_width(Some(OsStr::new("80")), Some(200)), Some(80));
        assert_eq!(table_width(Some(OsStr::new("80")), None), Some(80));
        assert_eq!(table_width(Some(OsStr::new("wide")), Some(100)), Some(100));
        assert_eq!(table_width(Some(OsStr::new("0")), None), None);
        assert_eq!(table_width(None, Some(120)), Some(120));
        assert_eq!(table_width(None, None), None);
    }
}
