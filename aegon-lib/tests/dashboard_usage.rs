//! The dashboard learns to show time: the Usage view (`u`) and the session panel's sparkline
//! and context chart, on `TestBackend` at fixed sizes, from the real transcripts of
//! fixtures/corpus, checked against figures computed another way (`aegon usage`'s reports,
//! the session core, plain loops over the entries), with the styles where colour carries
//! meaning and without colour.
#![cfg(all(feature = "tui", feature = "ledger"))]

use std::path::PathBuf;
use std::sync::Arc;

use aegon::dashboard::{ui, Action, Dashboard, Key, Screen, UsageData, UsageFigures, View, DAYS};
use aegon::event::EventKind;
use aegon::ledger::{read_fresh, Entries, LimitReading};
use aegon::pipeline::{Options, Pipeline};
use aegon::render::{Flow, Renderer};
use aegon::session::pricing::Pricing;
use aegon::usage::time::{Bound, Period, TimeZone};
use aegon::usage::{report, total_tokens, By, Filter, ReportKind};
use aegon::Event;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/corpus")
        .join(name)
}

const APANLOCO: &str = "apanloco__random__session.jsonl";
/// 2026-04-14T05:44:30Z: seconds after that session's last line (a Tuesday).
const APANLOCO_END_MS: i64 = 1_776_145_470_000;
/// A session with compactions (fixtures/corpus, MANIFEST.tsv).
const COMPACTED: &str = "AlexandreVassard__will-it-rain__claude.jsonl";

fn entries() -> Entries {
    read_fresh(&corpus(), &Pricing::built_in(), &mut |p, e| {
        panic!("{}: {e}", p.display())
    })
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let lines = text(buffer);
    lines.lines().enumerate().find_map(|(y, line)| {
        let at = line.find(needle)?;
        Some((line[..at].chars().count() as u16, y as u16))
    })
}

fn render(dashboard: &Dashboard, view: &mut View, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| ui::draw(frame, dashboard, view))
        .unwrap();
    terminal.backend().buffer().clone()
}

fn usage_view() -> View {
    View {
        screen: Screen::Usage,
        ..View::default()
    }
}

/// A dashboard holding `data`, its clock stopped at `now_ms`.
fn with_usage(data: UsageData, now_ms: i64) -> Dashboard {
    let mut d = Dashboard::with(Pricing::built_in(), Arc::new(move || now_ms));
    d.set_usage(data);
    d
}

fn money(cost: f64) -> String {
    format!("${cost:.2}")
}

/// The cost of `aegon usage`'s report of one kind over `[since, until]` (local dates, UTC).
/// Up to APANLOCO_END_MS, the dashboard's now: the corpus holds later responses too.
fn reported(entries: &Entries, kind: ReportKind, since: &str, until: &str) -> (f64, u64) {
    let filter = Filter {
        since: Some(Bound::Date(since.parse().unwrap())),
        until: Some(if until == "2026-04-14" {
            Bound::Instant(APANLOCO_END_MS)
        } else {
            Bound::Date(until.parse().unwrap())
        }),
        project: None,
        agents: None,
    };
    let r = report(entries, kind, By::Nothing, &filter, &TimeZone::UTC);
    (r.totals.priced_cost(), total_tokens(&r.totals.tokens()))
}

#[test]
fn usage_figures_match_the_reports_of_aegon_usage() {
    let entries = entries();
    let now = APANLOCO_END_MS;
    let f = UsageFigures::compute(&entries, &[], &TimeZone::UTC, now);
    let day = ReportKind::Period(Period::Day);
    // 2026-04-14 is a Tuesday: the week from Monday the 13th, the month from the 1st.
    let today = reported(&entries, day, "2026-04-14", "2026-04-14");
    let week = reported(&entries, day, "2026-04-13", "2026-04-14");
    let month = reported(&entries, day, "2026-04-01", "2026-04-14");
    assert!(today.0 > 0.0 && month.0 > today.0, "{today:?} {month:?}");
    for (got, want) in [(f.today, today), (f.week, week), (f.month, month)] {
        assert!((got.cost - want.0).abs() < 1e-9, "{got:?} {want:?}");
        assert_eq!(got.tokens, want.1);
    }
    // Each of the 30 days is that day's report; the last is today.
    assert_eq!(f.days.len(), DAYS);
    assert_eq!(f.days.last().unwrap().label, "14");
    assert_eq!(f.days[0].label, "16", "2026-03-16, 29 days back");
    for (i, b) in f.days.iter().enumerate() {
        let date = format!(
            "2026-{}",
            if i < 16 {
                format!("03-{}", 16 + i)
            } else {
                format!("04-{:02}", i - 15)
            }
        );
        let (cost, tokens) = reported(&entries, day, &date, &date);
        assert!(
            (b.amount.cost - cost).abs() < 1e-9,
            "{date}: {b:?} vs {cost}"
        );
        assert_eq!(b.amount.tokens, tokens, "{date}");
    }
    // The 24 hours: a plain loop over the entries, hour by hour back from 05:00.
    let hour0 = now - now.rem_euclid(3_600_000) - 23 * 3_600_000;
    for (i, b) in f.hours.iter().enumerate() {
        let start = hour0 + i as i64 * 3_600_000;
        assert_eq!(b.start_ms, start);
        let tokens: u64 = entries
            .rows
            .iter()
            .filter(|e| e.ts_ms >= start && e.ts_ms < start + 3_600_000)
            .map(|e| total_tokens(&e.tokens))
            .sum();
        assert_eq!(b.amount.tokens, tokens, "hour {}", b.label);
    }
    assert_eq!(f.hours.last().unwrap().label, "05");
    // By model and by project share out the 30 days, no more, no less.
    let thirty = reported(&entries, day, "2026-03-16", "2026-04-14");
    for shares in [&f.by_model, &f.by_project] {
        let cost: f64 = shares.iter().map(|s| s.amount.cost).sum();
        let tokens: u64 = shares.iter().map(|s| s.amount.tokens).sum();
        assert!((cost - thirty.0).abs() < 1e-6, "{cost} vs {}", thirty.0);
        assert_eq!(tokens, thirty.1);
        assert!(shares
            .windows(2)
            .all(|w| w[0].amount.cost >= w[1].amount.cost));
    }
    // The active block holds the responses since its start (a plain sum), and ends 5 h after
    // its start floored to the hour, an estimate without a reading.
    let b = f
        .block
        .as_ref()
        .expect("a block runs: the session ended seconds ago");
    let tokens: u64 = entries
        .rows
        .iter()
        .filter(|e| e.ts_ms >= b.start_ms && e.ts_ms <= now)
        .map(|e| total_tokens(&e.tokens))
        .sum();
    assert_eq!(b.amount.tokens, tokens);
    assert_eq!(b.start_ms % 3_600_000, 0);
    assert_eq!(b.end_ms - b.start_ms, 5 * 3_600_000);
    assert!(b.estimated());
}

#[test]
fn usage_view_at_120_by_40() {
    let entries = entries();
    let now = APANLOCO_END_MS;
    let f = UsageFigures::compute(&entries, &[], &TimeZone::UTC, now - 12_000);
    let (today, thirty) = (f.today, f.days.iter().map(|d| d.amount.cost).sum::<f64>());
    let block = f.block.clone().unwrap();
    let dashboard = with_usage(UsageData::Ready(Box::new(f.clone())), now);
    let buffer = render(&dashboard, &mut usage_view(), 120, 40);
    let screen = text(&buffer);
    for expected in [
        "Usage · UTC · updated 12s ago".to_owned(),
        format!("Today {}", money(today.cost)),
        format!(
            "Claude block {} → ~{} (estimate)  {}",
            block.start_label,
            block.end_label,
            money(block.amount.cost)
        ),
        format!("resets ~{}", block.end_label),
        "Official limits: none recorded yet".to_owned(),
        "(projection)".to_owned(),
        format!("Cost per day · 30 days · total {}", money(thirty)),
        "Cost per hour · 24 h".to_owned(),
        "By model · 30 days".to_owned(),
        "By project · 30 days".to_owned(),
        "u or Esc back to the sessions".to_owned(),
    ] {
        assert!(
            screen.contains(&expected),
            "{expected:?} missing:\n{screen}"
        );
    }
    // The costliest model heads its chart, its dollars on its bar.
    let (x, y) = find(&buffer, "By model").unwrap();
    let row = screen.lines().nth(y as usize + 1).unwrap();
    let row: String = row.chars().skip(x as usize - 2).collect();
    assert!(
        row.starts_with(&format!("│{}", f.by_model[0].name)),
        "{row}\n{screen}"
    );
    let cost = format!(" {}█", money(f.by_model[0].amount.cost));
    assert!(row.contains(&cost), "{screen}");
    // The block's gauge: the time elapsed of the block, in cyan (cells under its label keep
    // the fill as their background).
    let (_, y) = find(&buffer, &format!("resets ~{}", block.end_label)).unwrap();
    let filled = (1..119)
        .filter(|&x| buffer[(x, y)].symbol() == "█" || buffer[(x, y)].bg == Color::Cyan)
        .count();
    let ratio = (now - block.start_ms) as f64 / (block.end_ms - block.start_ms) as f64;
    assert_eq!(
        filled,
        (118.0 * ratio).floor() as usize,
        "{ratio}\n{screen}"
    );
    assert_eq!(buffer[(1, y)].fg, Color::Cyan);
}

#[test]
fn official_limits_are_gauges_marked_when_high_and_without_colour() {
    let entries = entries();
    let now = APANLOCO_END_MS;
    let readings = [
        LimitReading {
            read_ms: now - 180_000,
            window: "five_hour".into(),
            used_percent: 85.0,
            resets_at_ms: Some(now + 3_600_000),
            session: None,
        },
        LimitReading {
            read_ms: now - 7_200_000,
            window: "seven_day".into(),
            used_percent: 30.0,
            resets_at_ms: Some(now + 3 * 86_400_000),
            session: None,
        },
    ];
    let f = UsageFigures::compute(&entries, &readings, &TimeZone::UTC, now);
    // The official reset wins over the estimate.
    let block = f.block.clone().unwrap();
    assert_eq!(
        (block.end_ms, block.end_source),
        (now + 3_600_000, "official")
    );
    let dashboard = with_usage(UsageData::Ready(Box::new(f)), now);
    let mut buffer = render(&dashboard, &mut usage_view(), 120, 40);
    let screen = text(&buffer);
    let expected = format!("Claude block {} → 06:44 (official)", block.start_label);
    assert!(screen.contains(&expected), "{screen}");
    assert!(
        screen.contains("⚠ 85% · official, read 3m ago · resets 06:44"),
        "{screen}"
    );
    assert!(
        screen.contains("30% · official, read 2h ago · resets Fri 05:44"),
        "{screen}"
    );
    // Red and bold at 85%, green at 30%.
    let (x, y) = find(&buffer, "5-hour").unwrap();
    assert_eq!(buffer[(x + 7, y)].fg, Color::Red, "{screen}");
    let (lx, ly) = find(&buffer, "⚠ 85%").unwrap();
    assert!(buffer[(lx, ly)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(&buffer, "7-day").unwrap();
    assert_eq!(buffer[(x + 7, y)].fg, Color::Green, "{screen}");
    // Without colour: the same text, the gauges still filled, the mark and bold still there.
    ui::monochrome(&mut buffer);
    assert_eq!(text(&buffer), screen);
    assert!(buffer
        .content
        .iter()
        .all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
    assert_eq!(buffer[(x + 7, y)].symbol(), "█");
    assert!(buffer[(lx, ly)].modifier.contains(Modifier::BOLD));
}

#[test]
fn without_an_index_the_view_says_why() {
    let dashboard = with_usage(UsageData::Unavailable("--no-index".into()), 0);
    let screen = text(&render(&dashboard, &mut usage_view(), 100, 12));
    assert!(screen.contains("No usage index: --no-index"), "{screen}");
    let dashboard = with_usage(UsageData::Reading, 0);
    let screen = text(&render(&dashboard, &mut usage_view(), 100, 12));
    assert!(screen.contains("Reading the usage index…"), "{screen}");
}

#[test]
fn u_opens_the_usage_view_and_esc_or_u_closes_it() {
    let dashboard = with_usage(UsageData::NotRead, 0);
    let mut view = View::default();
    assert_eq!(view.on_key(Key::Char('u'), &dashboard), Action::OpenUsage);
    assert_eq!(view.screen, Screen::Usage);
    assert_eq!(view.on_key(Key::Down, &dashboard), Action::Nothing);
    assert_eq!(view.on_key(Key::Char('?'), &dashboard), Action::Redraw);
    let screen = text(&render(&dashboard, &mut view, 100, 24));
    assert!(
        screen.contains("usage over time"),
        "help lists u:\n{screen}"
    );
    view.on_key(Key::Char('x'), &dashboard);
    assert_eq!(view.on_key(Key::Esc, &dashboard), Action::Redraw);
    assert_eq!(view.screen, Screen::Sessions);
    view.on_key(Key::Char('u'), &dashboard);
    view.on_key(Key::Char('u'), &dashboard);
    assert_eq!(view.screen, Screen::Sessions);
    let screen = text(&render(&dashboard, &mut view, 100, 24));
    assert!(screen.contains("u usage"), "the footer lists u:\n{screen}");
    view.on_key(Key::Char('u'), &dashboard);
    assert_eq!(view.on_key(Key::Char('q'), &dashboard), Action::Quit);
}

#[test]
fn tiny_terminals_degrade_and_never_panic() {
    let entries = entries();
    let now = APANLOCO_END_MS;
    let reading = |window: &str, used_percent: f64, resets: i64| LimitReading {
        read_ms: now - 1_000,
        window: window.into(),
        used_percent,
        resets_at_ms: Some(now + resets),
        session: None,
    };
    let readings = [
        reading("a_window_with_a_very_long_name_indeed", f64::NAN, -1),
        reading("five_hour", f64::NAN, 1_000),
        reading("seven_day", 250.0, 1_000),
        reading("seven_day_opus", -3.0, 1_000),
    ];
    let f = UsageFigures::compute(&entries, &readings, &TimeZone::UTC, now);
    let dashboard = with_usage(UsageData::Ready(Box::new(f)), now);
    let sessions = load(&[APANLOCO, COMPACTED], now);
    for width in [1, 2, 5, 10, 19, 20, 21, 30, 40, 50, 69, 70, 71, 100, 250] {
        for height in [1, 2, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 30, 60] {
            render(&dashboard, &mut usage_view(), width, height);
            render(&sessions, &mut View::default(), width, height);
        }
    }
}

/// A dashboard fed fixtures (by file name) in order, its clock stopped at `now_ms`.
fn load(names: &[&str], now_ms: i64) -> Dashboard {
    let mut pipeline = Pipeline::new(
        Options::default(),
        Dashboard::with(Pricing::built_in(), Arc::new(move || now_ms)),
    );
    for name in names {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let mut input = pipeline.open(path.to_str().unwrap());
        let _ = pipeline.push(&mut input, &bytes).unwrap();
        let _ = pipeline.close(input).unwrap();
    }
    pipeline.finish().unwrap().0
}

/// Every usage event's time and tokens, and every compaction's time, as the parser gives them.
#[derive(Default)]
struct Tally {
    usage: Vec<(i64, u64)>,
    compactions: Vec<i64>,
}

impl Renderer for Tally {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        let at = event
            .timestamp
            .as_deref()
            .and_then(aegon::timestamp::parse_millis);
        match (&event.kind, at) {
            (EventKind::Usage { tokens, .. }, Some(at)) => {
                self.usage.push((at, tokens.total_input() + tokens.output))
            }
            (EventKind::Compact { .. }, Some(at)) => self.compactions.push(at),
            _ => {}
        }
        Ok(Flow::Continue(()))
    }
}

fn tally(name: &str) -> Tally {
    let mut p = Pipeline::new(Options::default(), Tally::default());
    let _ = p
        .read_to_end(name, std::fs::File::open(fixture(name)).unwrap())
        .unwrap();
    p.finish().unwrap().0
}

#[test]
fn the_sparkline_is_tokens_per_minute_of_the_session() {
    let dashboard = load(&[APANLOCO], APANLOCO_END_MS);
    let id = "a263b894-c8c2-44af-8845-663362b5a201";
    let session = dashboard.sessions().get(id).unwrap();
    let series = dashboard.series(id).unwrap();
    // Independently: the usage events, minute by minute.
    let t = tally(APANLOCO);
    let end = APANLOCO_END_MS / 60_000;
    let mut want = vec![0u64; 60];
    for (at, tokens) in &t.usage {
        want[(59 - (end - at / 60_000)) as usize] += tokens;
    }
    assert_eq!(series.per_minute(end, 60), want);
    // Every token of the session falls within the hour (it lasted 22 minutes).
    let all = session.tokens();
    assert_eq!(want.iter().sum::<u64>(), all.total_input() + all.output);

    // On screen: the panel alone, 56 wide; the highest minute is a full bar, a quiet minute
    // blank, and the largest minute shown is written after it.
    let view = View::default();
    let mut terminal = Terminal::new(TestBackend::new(56, 30)).unwrap();
    terminal
        .draw(|f| ui::panel::draw(f, f.area(), &dashboard, &view, APANLOCO_END_MS))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let screen = text(&buffer);
    let (x, y) = find(&buffer, "Tok/min").unwrap_or_else(|| panic!("{screen}"));
    let max = *want.iter().max().unwrap();
    let label = format!(" max {:.1}k", max as f64 / 1e3);
    assert!(
        screen
            .lines()
            .nth(y as usize)
            .unwrap()
            .ends_with(&format!("{label}│")),
        "{screen}"
    );
    let bars = 54 - 9 - label.chars().count();
    let shown = &want[60 - bars..];
    for (i, tokens) in shown.iter().enumerate() {
        let cell = &buffer[(x + 9 + i as u16, y)];
        match tokens {
            0 => assert_eq!(cell.symbol(), " ", "minute {i}"),
            t if *t == max => assert_eq!(cell.symbol(), "█", "minute {i}"),
            // At least an eighth of the largest: at least the lowest bar.
            t if t * 8 >= max => assert_ne!(cell.symbol(), " ", "minute {i}"),
            _ => {}
        }
        assert_eq!(cell.fg, Color::Cyan);
    }
    // The context chart: 2.7% of a 1M window (floored, as every view floors a percentage),
    // shown against a 10% scale.
    assert!(
        screen.contains("Context over time · peak 2% · now 2%"),
        "{screen}"
    );
    assert!(screen.contains("│10%"), "{screen}");
}

#[test]
fn the_context_chart_drops_at_each_compaction() {
    let t = tally(COMPACTED);
    assert!(!t.compactions.is_empty(), "the fixture has compactions");
    let now = t.usage.iter().map(|u| u.0).max().unwrap() + 1_000;
    let dashboard = load(&[COMPACTED], now);
    let session = dashboard
        .sessions()
        .iter()
        .find(|s| s.compactions > 0)
        .unwrap();
    let series = dashboard.series(&session.id).unwrap();
    let samples = series.context();
    // One compaction sample per compaction, each lower than the sample before it.
    let drops: Vec<usize> = (1..samples.len())
        .filter(|&i| samples[i].compacted)
        .collect();
    assert_eq!(drops.len() as u64, session.compactions, "{samples:?}");
    assert_eq!(
        drops.iter().map(|&i| samples[i].at_ms).collect::<Vec<_>>(),
        t.compactions
    );
    for &i in &drops {
        assert!(
            samples[i].tokens() < samples[i - 1].tokens(),
            "{:?}",
            &samples[i - 1..=i]
        );
    }
    // The latest sample is the session core's context now.
    let ctx = session.context.as_ref().unwrap();
    assert_eq!(samples.last().unwrap().tokens(), ctx.tokens);
    let peak = samples.iter().map(|s| s.percent()).fold(0.0, f64::max);

    let view = View {
        session: Some(session.id.clone()),
        ..View::default()
    };
    let mut terminal = Terminal::new(TestBackend::new(60, 30)).unwrap();
    terminal
        .draw(|f| ui::panel::draw(f, f.area(), &dashboard, &view, now))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let screen = text(&buffer);
    let n = session.compactions;
    let title = format!(
        "Context over time · peak {} · now {} · ⇊ {n} compaction{}",
        aegon::render::text::percent(peak),
        aegon::render::text::percent(ctx.fraction() * 100.0),
        if n == 1 { "" } else { "s" }
    );
    assert!(screen.contains(&title), "{title}\n{screen}");
    // The drops are dots below the title, in magenta; the line is braille.
    let (_, title_row) = find(&buffer, "Context over time").unwrap();
    let dots: Vec<&ratatui::buffer::Cell> = (0..buffer.area.height)
        .filter(|&y| y > title_row)
        .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
        .map(|p| &buffer[p])
        .filter(|c| c.symbol() == "•")
        .collect();
    assert!(!dots.is_empty() && dots.len() as u64 <= n, "{screen}");
    assert!(dots.iter().all(|c| c.fg == Color::Magenta));
    assert!(
        buffer
            .content
            .iter()
            .any(|c| ('\u{2801}'..='\u{28ff}').contains(&c.symbol().chars().next().unwrap_or(' '))),
        "{screen}"
    );
}
