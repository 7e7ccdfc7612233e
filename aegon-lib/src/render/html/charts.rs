//! The report's charts, drawn as inline SVG by aegon (no script, no library, no request).
//!
//! Each chart is a `<figure>` holding an `<svg>` with a fixed `viewBox`, scaled by CSS to the
//! page's width; colours come from CSS classes, so the charts follow the light or dark theme
//! and print. Text from transcripts (tool names) is escaped like any other.

use std::fmt::Write as _;

use super::escape::push_escaped;
use crate::render::text::{duration, thousands, usd_tick};
use crate::render::transcript::Series;
use crate::session::pricing::{from_pico, to_pico};
use crate::session::Session;
use crate::tokens::Tokens;

const W: f64 = 600.0;
const H: f64 = 170.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 590.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 140.0;
/// Most points drawn on a line (more are thinned, keeping the last).
const MAX_POINTS: usize = 800;
/// Most bars of the tokens-per-response chart (more responses are averaged in groups).
const MAX_BARS: usize = 240;
/// Tools shown in the latency chart.
const MAX_TOOLS: usize = 12;

fn open_figure(out: &mut String, class: &str, caption: &str, height: f64) {
    let _ = write!(
        out,
        "<figure class=\"chart {class}\"><figcaption>{caption}</figcaption>\
         <svg viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"{caption}\" \
         preserveAspectRatio=\"xMinYMin meet\">"
    );
}

fn close_figure(out: &mut String, legend: &str) {
    out.push_str("</svg>");
    out.push_str(legend);
    out.push_str("</figure>\n");
}

fn x_of(ms: i64, t0: i64, span: f64) -> f64 {
    LEFT + (ms - t0) as f64 / span * (RIGHT - LEFT)
}

fn y_of(v: f64, max: f64) -> f64 {
    BOTTOM - v / max * (BOTTOM - TOP)
}

/// Axes: y gridlines at 0, ½ and the top with labels, and the x span as a duration.
fn axes(out: &mut String, max: f64, label: &dyn Fn(f64) -> String, span_ms: Option<f64>) {
    for frac in [0.0, 0.5, 1.0] {
        let y = y_of(max * frac, max);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 4.0,
            label(max * frac)
        );
    }
    if let Some(span) = span_ms {
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{LEFT}\" y=\"{:.1}\">0</text>\
             <text class=\"axis\" x=\"{RIGHT}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            BOTTOM + 16.0,
            BOTTOM + 16.0,
            duration(span as u64)
        );
    }
}

/// Thins `points` to at most [`MAX_POINTS`], keeping the first and the last.
fn thin<T: Copy>(points: &[T]) -> Vec<T> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let step = points.len().div_ceil(MAX_POINTS);
    let mut v: Vec<T> = points.iter().step_by(step).copied().collect();
    if let Some(last) = points.last() {
        v.push(*last);
    }
    v
}

/// Cumulative cost over time.
pub fn cost(out: &mut String, series: &Series) {
    if series.cost.len() < 2 {
        return;
    }
    // In time order (subagent files come after their parent's), then added up in whole
    // picodollars, as the session's cost is, so the top tick reads the figure shown above.
    let mut points = series.cost.clone();
    points.sort_by_key(|p| p.0);
    let mut total_pico = 0u128;
    for p in &mut points {
        total_pico = total_pico.saturating_add(to_pico(p.1));
        p.1 = from_pico(total_pico);
    }
    let total = from_pico(total_pico);
    let t0 = points[0].0;
    let t1 = points[points.len() - 1].0;
    let span = ((t1 - t0) as f64).max(1.0);
    let max = total;
    let max = if max > 0.0 { max } else { 1.0 };
    let caption = if series.cost_incomplete {
        "Cumulative cost (priced models only: a lower bound)"
    } else {
        "Cumulative cost"
    };
    open_figure(out, "cost", caption, H);
    axes(out, max, &|v| usd_tick(v, max / 2.0), Some(span));
    out.push_str("<path class=\"line c-cost\" d=\"");
    for (i, (ms, usd)) in thin(&points).into_iter().enumerate() {
        let _ = write!(
            out,
            "{}{:.1} {:.1}",
            if i == 0 { "M" } else { " L" },
            x_of(ms, t0, span),
            y_of(usd, max)
        );
    }
    out.push_str("\"/>");
    close_figure(out, "");
}

/// Context fill over time, as a share of the window, with compactions marked.
pub fn context(out: &mut String, series: &Series) {
    if series.context.len() < 2 {
        return;
    }
    let mut context = series.context.clone();
    context.sort_by_key(|p| p.0);
    let t0 = context[0].0;
    let t1 = context[context.len() - 1].0;
    let span = ((t1 - t0) as f64).max(1.0);
    // The scale shows the window when the fill comes near it, else the fill alone (a 1M
    // window would flatten a 100k context to nothing).
    let fill_max = context.iter().map(|p| p.1).max().unwrap_or(0) as f64;
    let window_max = context.iter().map(|p| p.2).max().unwrap_or(0) as f64;
    let max = if window_max > 0.0 && window_max <= fill_max * 1.6 {
        window_max.max(fill_max)
    } else {
        (fill_max * 1.15).max(1.0)
    };
    let caption = match window_max {
        w if w > max => format!(
            "Context fill (the window, {} tokens, is above the scale)",
            short_tokens(w as u64)
        ),
        _ => "Context fill".to_owned(),
    };
    open_figure(out, "context", &caption, H);
    axes(out, max, &|v| short_tokens(v as u64), Some(span));
    // The window, as a dashed line where it is known.
    if let Some(window) = context
        .iter()
        .map(|p| p.2)
        .max()
        .filter(|w| *w > 0 && *w as f64 <= max)
    {
        let y = y_of(window as f64, max);
        let _ = write!(
            out,
            "<line class=\"window\" x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>"
        );
    }
    for (ms, _, _) in &series.compactions {
        if (t0..=t1).contains(ms) {
            let x = x_of(*ms, t0, span);
            let _ = write!(
                out,
                "<line class=\"compaction\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{BOTTOM}\"/>"
            );
        }
    }
    out.push_str("<path class=\"line c-context\" d=\"");
    for (i, (ms, tokens, _)) in thin(&context).into_iter().enumerate() {
        let _ = write!(
            out,
            "{}{:.1} {:.1}",
            if i == 0 { "M" } else { " L" },
            x_of(ms, t0, span),
            y_of(tokens as f64, max)
        );
    }
    out.push_str("\"/>");
    close_figure(
        out,
        "<p class=\"legend\"><span class=\"key c-context\"></span>tokens in context \
         <span class=\"key window\"></span>window <span class=\"key compaction\"></span>compaction</p>",
    );
}

/// Tokens of each API response, stacked by kind (averaged in groups when there are many).
pub fn responses(out: &mut String, series: &Series) {
    let n = series.responses.len();
    if n == 0 {
        return;
    }
    let group = n.div_ceil(MAX_BARS);
    let mut responses = series.responses.clone();
    // In time order (those without a time first, in stream order).
    responses.sort_by_key(|r| r.at.unwrap_or(i64::MIN));
    let bars: Vec<Tokens> = responses
        .chunks(group)
        .map(|c| {
            let sum = c
                .iter()
                .fold(Tokens::default(), |t, r| t.saturating_add(r.tokens));
            let k = c.len() as u64;
            Tokens {
                input: sum.input / k,
                output: sum.output / k,
                cache_read: sum.cache_read / k,
                cache_write_5m: sum.cache_write_5m / k,
                cache_write_1h: sum.cache_write_1h / k,
                web_search: 0,
            }
        })
        .collect();
    let total = |t: &Tokens| t.total_input() + t.output;
    let max = bars.iter().map(total).max().unwrap_or(1).max(1) as f64;
    let caption = if group > 1 {
        format!("Tokens per response ({n} responses, each bar the mean of {group})")
    } else {
        format!("Tokens per response ({n} responses)")
    };
    open_figure(out, "responses", &caption, H);
    axes(out, max, &|v| short_tokens(v as u64), None);
    let width = (RIGHT - LEFT) / bars.len() as f64;
    for (i, t) in bars.iter().enumerate() {
        let x = LEFT + i as f64 * width;
        let mut base = 0.0;
        for (value, class) in [
            (t.cache_read, "c-read"),
            (t.cache_write_5m + t.cache_write_1h, "c-write"),
            (t.input, "c-in"),
            (t.output, "c-out"),
        ] {
            if value == 0 {
                continue;
            }
            let v = value as f64;
            let y = y_of(base + v, max);
            let h = v / max * (BOTTOM - TOP);
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x:.2}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{h:.1}\"/>",
                (width * 0.85).max(0.5)
            );
            base += v;
        }
    }
    close_figure(
        out,
        "<p class=\"legend\"><span class=\"key c-read\"></span>cache read \
         <span class=\"key c-write\"></span>cache write <span class=\"key c-in\"></span>input \
         <span class=\"key c-out\"></span>output</p>",
    );
}

/// Tool latency by tool: p50 and p95 on a logarithmic scale.
pub fn latency(out: &mut String, session: &Session) {
    let mut tools: Vec<(&String, u64, u64, u64)> = session
        .tools
        .iter()
        .filter_map(|(name, t)| {
            Some((
                name,
                t.durations.percentile(50.0)?,
                t.durations.percentile(95.0)?,
                t.durations.count(),
            ))
        })
        .collect();
    if tools.is_empty() {
        return;
    }
    tools.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    tools.truncate(MAX_TOOLS);
    let row = 18.0;
    let height = TOP + row * tools.len() as f64 + 24.0;
    let (left, right) = (150.0, 470.0);
    let max_ms = tools.iter().map(|t| t.2).max().unwrap_or(1).max(10);
    let log_max = (max_ms as f64).log10().ceil().max(1.0);
    let x = |ms: u64| left + (ms.max(1) as f64).log10() / log_max * (right - left);
    open_figure(
        out,
        "latency",
        "Tool latency by tool (p50 and p95, log scale)",
        height,
    );
    let mut decade = 1u64;
    for _ in 0..=log_max as u32 {
        let xd = x(decade);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{xd:.1}\" x2=\"{xd:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <text class=\"axis\" x=\"{xd:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            height - 20.0,
            height - 6.0,
            duration(decade)
        );
        decade = decade.saturating_mul(10);
    }
    for (i, (name, p50, p95, count)) in tools.iter().enumerate() {
        let y = TOP + i as f64 * row;
        let mut label = String::new();
        let shown: String = if name.chars().count() > 22 {
            name.chars().take(21).chain(['…']).collect()
        } else {
            (*name).clone()
        };
        push_escaped(&mut label, &shown);
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\
             <rect class=\"c-p95\" x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"4\"/>\
             <rect class=\"c-p50\" x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"10\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{} · {} · n={}</text>",
            left - 6.0,
            y + 11.0,
            y + 5.0,
            x(*p95) - left,
            y + 2.0,
            x(*p50) - left,
            right + 6.0,
            y + 11.0,
            duration(*p50),
            duration(*p95),
            thousands(*count)
        );
    }
    close_figure(
        out,
        "<p class=\"legend\"><span class=\"key c-p50\"></span>p50 \
         <span class=\"key c-p95\"></span>p95</p>",
    );
}

/// `1.2M`, `340k`, `999`.
pub fn short_tokens(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else if n >= 1_000 {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}
