//! The dashboard on `TestBackend`: each pane and the whole screen at fixed sizes, from real
//! transcripts, with the styles where colour carries meaning.
#![cfg(feature = "tui")]

#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::path::PathBuf;
use std::sync::Arc;

use aegon::dashboard::{
    read_line_at, ui, Action, Dashboard, Detail, Key, Pane, View, FEED_CAPACITY,
};
use aegon::pipeline::{Options, Pipeline};
use aegon::session::pricing::Pricing;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/corpus")
        .join(name)
}

/// A dashboard fed the inputs `(name, bytes)` in order, with its clock stopped at `now_ms`.
fn dashboard_of(inputs: &[(&str, &[u8])], now_ms: i64) -> Dashboard {
    let dashboard = Dashboard::with(Pricing::built_in(), Arc::new(move || now_ms));
    let mut pipeline = Pipeline::new(Options::default(), dashboard);
    for (name, bytes) in inputs {
        let mut input = pipeline.open(*name);
        let _ = pipeline.push(&mut input, bytes).unwrap();
        let _ = pipeline.close(input).unwrap();
    }
    pipeline.finish().unwrap().0
}

/// A dashboard fed fixtures (by file name), in order.
fn load(names: &[&str], now_ms: i64) -> Dashboard {
    let files: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| {
            let path = fixture(n);
            (
                path.to_str().unwrap().to_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    let inputs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    dashboard_of(&inputs, now_ms)
}

fn render(dashboard: &Dashboard, view: &mut View, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| ui::draw(frame, dashboard, view))
        .unwrap();
    terminal.backend().buffer().clone()
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

/// The cells of `buffer` where `needle` starts, as (x, y).
fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let lines = text(buffer);
    lines.lines().enumerate().find_map(|(y, line)| {
        let at = line.find(needle)?;
        let x = line[..at].chars().count();
        Some((x as u16, y as u16))
    })
}

const APANLOCO: &str = "apanloco__random__session.jsonl";
/// 2026-04-14T05:44:30Z: seconds after the session's last line.
const APANLOCO_END_MS: i64 = 1_776_145_470_000;
const FAILING: &str =
    "chiphuyen__sniffly__tests__mock-data__-Users-chip-dev-ai-music__fed8ce56-bc79-401f-a83e-af084253362f.jsonl";
const PARENT: &str = "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__claude-projects__-Users-user-project__b3edadab-bca0-4054-9b41-f7ffa6941260.jsonl";
const SUBAGENT: &str = "kfischer-okarin__scripts-and-tools__src__claude-history__test__fixtures__claude-projects__-Users-user-project__agent-a434715.jsonl";

#[test]
fn whole_screen_shows_feed_panel_list_and_keys() {
    let dashboard = load(&[APANLOCO], APANLOCO_END_MS);
    let mut view = View::default();
    let buffer = render(&dashboard, &mut view, 120, 36);
    let screen = text(&buffer);
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[0].contains("aegon  1 session · 1 live ·"), "{screen}");
    // Newest first: the session's last prompt heads the feed.
    assert!(
        lines[2].starts_with("│05:44:21 USER      a263b894 yes please"),
        "{screen}"
    );
    // The panel: title, state, the numbers of the session core, the flow, the steps.
    let session = dashboard
        .sessions()
        .get("a263b894-c8c2-44af-8845-663362b5a201")
        .unwrap();
    let cost = session.cost().unwrap();
    for expected in [
        "● LIVE".to_owned(),
        format!("{} events", session.events),
        format!("${cost:.2}"),
        "2% 27.0k/1.0M".to_owned(),
        "→ ASST → USER".to_owned(),
        "✓ Bash wc -l /home/da/.claude/projects/".to_owned(),
        "Sessions 1 · 1 live".to_owned(),
        "all sessions".to_owned(),
        "q quit".to_owned(),
    ] {
        assert!(screen.contains(&expected), "{expected} missing:\n{screen}");
    }
    assert_eq!(format!("{cost:.2}"), "0.61", "the session's cost");
    // Colour that carries meaning: prompts green, results of successful calls green, the
    // context gauge green at 2% (27,0xx of 1M, floored as every view floors).
    let (x, y) = find(&buffer, "USER      a263b894 yes").unwrap();
    assert_eq!(buffer[(x, y)].fg, Color::Green);
    let (x, y) = find(&buffer, "✓ Bash 113ms").unwrap();
    assert_eq!(buffer[(x - 19, y)].fg, Color::Green, "RESULT label");
    let (x, y) = find(&buffer, "Context  █").unwrap();
    assert_eq!(buffer[(x + 9, y)].fg, Color::Green);
}

#[test]
fn monochrome_keeps_emphasis_but_no_colour() {
    let dashboard = load(&[FAILING], 0);
    let mut buffer = render(&dashboard, &mut View::default(), 130, 40);
    let before = text(&buffer);
    ui::monochrome(&mut buffer);
    assert_eq!(text(&buffer), before, "the same text");
    assert!(buffer
        .content
        .iter()
        .all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
    // The header's badge had a background: it is reversed now.
    let (x, y) = find(&buffer, " aegon ").unwrap();
    assert!(buffer[(x, y)]
        .modifier
        .contains(ratatui::style::Modifier::REVERSED));
}

#[test]
fn an_hour_later_the_session_is_idle() {
    let dashboard = load(&[APANLOCO], APANLOCO_END_MS + 3_600_000);
    let screen = text(&render(&dashboard, &mut View::default(), 120, 30));
    assert!(screen.contains("○ IDLE"), "{screen}");
    assert!(screen.contains("0 live"), "{screen}");
    assert!(screen.contains(" 1h "), "age in the list:\n{screen}");
}

#[test]
fn failed_calls_are_red_in_the_feed_and_counted_in_the_panel() {
    let dashboard = load(&[FAILING], 0);
    let buffer = render(&dashboard, &mut View::default(), 130, 40);
    let screen = text(&buffer);
    let (x, y) = find(&buffer, "✗ ").expect("a failed result");
    assert_eq!(buffer[(x, y)].fg, Color::Red, "{screen}");
    assert!(screen.contains("✗ 2 tool errors"), "{screen}");
    let (x, y) = find(&buffer, "✗ 2 tool errors").unwrap();
    assert_eq!(buffer[(x, y)].fg, Color::Red);
}

#[test]
fn subagent_events_are_marked_with_their_agent() {
    let dashboard = load(&[PARENT, SUBAGENT], 0);
    let buffer = render(&dashboard, &mut View::default(), 130, 40);
    let screen = text(&buffer);
    let (x, y) = find(&buffer, "›a434715").expect(&screen);
    assert_eq!(buffer[(x, y)].fg, Color::Magenta);
}

#[test]
fn context_gauge_turns_yellow_then_red() {
    for (input, color) in [
        (60_000, Color::Green),
        (120_000, Color::Yellow),
        (190_000, Color::Red),
    ] {
        let line = format!(
            r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","message":{{"id":"m","model":"claude-sonnet-4-5-20250929","role":"assistant","content":[{{"type":"text","text":"hi"}}],"usage":{{"input_tokens":{input},"output_tokens":1}}}}}}"#
        );
        let dashboard = dashboard_of(&[("s.jsonl", line.as_bytes())], 0);
        let buffer = render(&dashboard, &mut View::default(), 120, 20);
        let (x, y) = find(&buffer, "Context  ").unwrap_or_else(|| panic!("{}", text(&buffer)));
        assert_eq!(buffer[(x + 9, y)].fg, color, "{input}:\n{}", text(&buffer));
    }
}

#[test]
fn keys_move_open_filter_pause_and_quit() {
    let dashboard = load(&[APANLOCO], APANLOCO_END_MS);
    let mut view = View::default();
    render(&dashboard, &mut view, 120, 36);
    let newest = dashboard.feed().newest_seq().unwrap();
    // ↓ selects the newest row, then the one below; ↑ twice follows the newest again.
    assert_eq!(view.on_key(Key::Down, &dashboard), Action::Redraw);
    assert_eq!(view.selected, Some(newest));
    assert_eq!(view.on_key(Key::Char('j'), &dashboard), Action::Redraw);
    let second = view.selected.unwrap();
    assert!(second < newest);
    // The panel shows the selected row's session (the only one here).
    assert_eq!(
        view.panel_session(&dashboard).map(|s| s.id.as_str()),
        Some("a263b894-c8c2-44af-8845-663362b5a201")
    );
    view.on_key(Key::Up, &dashboard);
    view.on_key(Key::Char('k'), &dashboard);
    assert_eq!(view.selected, None);
    assert_eq!(view.on_key(Key::Char('k'), &dashboard), Action::Nothing);

    // Enter opens the detail of a tool call, with its full input and its result.
    let call = dashboard
        .feed()
        .newest_first()
        .find(|i| dashboard.feed().summary(i).starts_with("Bash wc -l"))
        .unwrap()
        .seq;
    view.selected = Some(call);
    assert_eq!(
        view.on_key(Key::Enter, &dashboard),
        Action::OpenDetail(call)
    );
    let item = dashboard.feed().get(call).unwrap();
    let detail = Detail::load(&dashboard, item, &|o| read_line_at(&o.file, o.offset));
    assert!(
        detail.title.starts_with("CALL Bash wc -l"),
        "{}",
        detail.title
    );
    let all = detail.lines.join("\n");
    assert!(
        all.contains("command: wc -l /home/da/.claude/projects/"),
        "{all}"
    );
    assert!(all.contains("── RESULT ✓ Bash 113ms"), "{all}");
    assert!(all.contains("91 /home/da/.claude/projects/"), "{all}");
    view.detail = Some(detail);
    let screen = text(&render(&dashboard, &mut view, 120, 36));
    assert!(screen.contains("CALL Bash wc -l"), "{screen}");
    assert!(screen.contains("Esc close"), "{screen}");
    assert_eq!(view.on_key(Key::Esc, &dashboard), Action::Redraw);
    assert!(view.detail.is_none());

    // / types a filter; every row shown matches it; Esc clears it.
    view.on_key(Key::Char('/'), &dashboard);
    for c in "bash".chars() {
        view.on_key(Key::Char(c), &dashboard);
    }
    view.on_key(Key::Enter, &dashboard);
    assert_eq!(view.filter, "bash");
    let shown: Vec<_> = view.visible_feed(&dashboard).collect();
    assert!(!shown.is_empty());
    assert!(shown
        .iter()
        .all(|i| dashboard.feed().summary(i).to_lowercase().contains("bash")));
    let screen = text(&render(&dashboard, &mut view, 120, 36));
    assert!(screen.contains("filter: bash"), "{screen}");
    assert_eq!(view.on_key(Key::Esc, &dashboard), Action::Redraw);
    assert!(view.filter.is_empty());

    // Space pauses: the footer says so; space again resumes.
    view.on_key(Key::Char(' '), &dashboard);
    assert_eq!(view.paused_at, Some(newest));
    let screen = text(&render(&dashboard, &mut view, 120, 36));
    assert!(screen.contains("PAUSED +0"), "{screen}");
    view.on_key(Key::Char(' '), &dashboard);
    assert_eq!(view.paused_at, None);

    // Tab to the session list; ↓ chooses the session: the feed shows only it.
    view.on_key(Key::Tab, &dashboard);
    assert_eq!(view.focus, Pane::Sessions);
    view.on_key(Key::Down, &dashboard);
    assert_eq!(
        view.session.as_deref(),
        Some("a263b894-c8c2-44af-8845-663362b5a201")
    );
    let screen = text(&render(&dashboard, &mut view, 120, 36));
    assert!(screen.contains("Feed · session a263b894"), "{screen}");
    view.on_key(Key::Up, &dashboard);
    assert_eq!(view.session, None);

    // ? shows the keys; any key closes them; q quits, Esc quits when nothing is open.
    view.on_key(Key::Char('?'), &dashboard);
    let screen = text(&render(&dashboard, &mut view, 120, 36));
    assert!(screen.contains("aegon · keys"), "{screen}");
    assert_eq!(view.on_key(Key::Char('x'), &dashboard), Action::Redraw);
    assert!(!view.help);
    assert_eq!(view.on_key(Key::Char('q'), &dashboard), Action::Quit);
    assert_eq!(view.on_key(Key::Esc, &dashboard), Action::Quit);
    assert_eq!(view.on_key(Key::Interrupt, &dashboard), Action::Quit);
}

#[test]
fn a_paused_feed_holds_still_while_events_count() {
    let first = br#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","message":{"role":"user","content":"first"}}
"#;
    let second = br#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:01Z","message":{"role":"user","content":"second"}}
"#;
    let mut pipeline = Pipeline::new(
        Options::default(),
        Dashboard::with(Pricing::built_in(), Arc::new(|| 0)),
    );
    let mut input = pipeline.open("s.jsonl");
    let _ = pipeline.push(&mut input, first).unwrap();
    let mut view = View::default();
    view.on_key(Key::Char(' '), pipeline.renderer());
    let _ = pipeline.push(&mut input, second).unwrap();
    let dashboard = pipeline.renderer();
    let screen = text(&render(dashboard, &mut view, 100, 12));
    assert!(
        screen.contains("first") && !screen.contains("second"),
        "{screen}"
    );
    assert!(screen.contains("PAUSED +1"), "{screen}");
    assert!(screen.contains("2 events"), "{screen}");
}

#[test]
fn small_terminals_degrade_and_never_panic() {
    let dashboard = load(&[APANLOCO], APANLOCO_END_MS);
    let screen = text(&render(&dashboard, &mut View::default(), 15, 3));
    assert!(screen.starts_with("aegon: 15×3 is"), "{screen}");
    let screen = text(&render(&dashboard, &mut View::default(), 50, 12));
    assert!(
        screen.contains("Feed") && !screen.contains("Session"),
        "{screen}"
    );
    let mut view = View {
        help: true,
        ..View::default()
    };
    for width in [1, 2, 5, 19, 20, 21, 40, 69, 70, 71, 100, 250] {
        for height in [1, 2, 4, 5, 6, 8, 12, 30] {
            render(&dashboard, &mut view, width, height);
        }
    }
}

#[test]
fn escape_sequences_in_transcripts_are_drawn_inert() {
    // In a prompt, a folder name, a file name a tool was given, a tool's output, and the
    // detail view of each: colours, a screen clear, an OSC 52 clipboard write, an OSC 8 link,
    // a C1 CSI.
    let lines = br#"{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","cwd":"/tmp/\u001b[2J","message":{"role":"user","content":"\u001b[31mred\u001b]52;c;ZXZpbA==\u0007 \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\ \u009b1m"}}
{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/src/\u001b]52;c;cHduZWQ=\u0007evil.rs"}}],"usage":{"input_tokens":1,"output_tokens":1}}}
{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:02Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"line one\u001b[1A\u001b[2K\rforged\u001b]8;;http://evil\u0007click\u001b]8;;\u0007"}]}}
"#;
    let dir = temp_dir::temp_dir("dash-inert");
    let file = dir.join("s.jsonl");
    std::fs::write(&file, lines).unwrap();
    let name = file.to_str().unwrap();
    let dashboard = dashboard_of(&[(name, lines)], 0);
    let inert = |screen: &str| {
        for c in screen.chars() {
            assert!(
                !c.is_control() || c == '\n',
                "control character {c:?} reached the screen:\n{screen}"
            );
        }
    };
    let mut view = View::default();
    let screen = text(&render(&dashboard, &mut view, 140, 20));
    assert!(
        screen.contains("red") && screen.contains("evil.rs"),
        "{screen}"
    );
    assert!(screen.contains("forged"), "{screen}");
    inert(&screen);
    // The detail of the call (input and result), read back from the file.
    let feed = dashboard.feed();
    let call = feed
        .newest_first()
        .find(|i| feed.tool_use_id(i) == Some("t1") && i.label() == "CALL")
        .unwrap();
    view.detail = Some(Detail::load(&dashboard, call, &|o| {
        read_line_at(&o.file, o.offset)
    }));
    let screen = text(&render(&dashboard, &mut view, 140, 20));
    assert!(screen.contains("file_path: /src/"), "{screen}");
    assert!(screen.contains("forged"), "{screen}");
    inert(&screen);
}

#[test]
fn the_feed_is_bounded_whatever_the_history() {
    let mut lines = Vec::new();
    for i in 0..FEED_CAPACITY + 500 {
        lines.extend_from_slice(
            format!(
                r#"{{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","message":{{"role":"user","content":"prompt {i}"}}}}"#
            )
            .as_bytes(),
        );
        lines.push(b'\n');
    }
    let dashboard = dashboard_of(&[("s.jsonl", &lines)], 0);
    assert_eq!(dashboard.feed().len(), FEED_CAPACITY);
    assert_eq!(dashboard.events(), (FEED_CAPACITY + 500) as u64);
    assert_eq!(
        dashboard.sessions().get("s").unwrap().prompts,
        (FEED_CAPACITY + 500) as u64
    );
    let newest = dashboard.feed().newest_first().next().unwrap();
    assert_eq!(
        dashboard.feed().summary(newest),
        format!("prompt {}", FEED_CAPACITY + 499)
    );
}

/// One pane drawn alone at `width` × `height`.
fn pane(width: u16, height: u16, draw: impl FnOnce(&mut ratatui::Frame<'_>)) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(draw).unwrap();
    terminal.backend().buffer().clone()
}

#[test]
fn panes_alone_at_fixed_sizes() {
    let dashboard = load(&[APANLOCO], APANLOCO_END_MS);
    let mut view = View::default();
    let feed = pane(72, 7, |f| {
        ui::feed::draw(f, f.area(), &dashboard, &mut view)
    });
    let panel = pane(56, 14, |f| {
        ui::panel::draw(f, f.area(), &dashboard, &view, APANLOCO_END_MS)
    });
    let list = pane(48, 4, |f| {
        ui::list::draw(f, f.area(), &dashboard, &view, APANLOCO_END_MS)
    });
    assert_eq!(
        text(&feed),
        "\
┌ Feed ────────────────────────────────────────────────────────────────┐
│05:44:21 USER      a263b894 yes please                                │
│05:44:16 SYSTEM    a263b894 stop_hook_summary                         │
│05:44:16 ASST      a263b894 Found it — it's a JSONL file at:…         │
│05:44:13 RESULT    a263b894 ✓ Bash 113ms 91 /home/da/.claude/projects…│
│05:44:13 CALL      a263b894 Bash wc -l /home/da/.claude/projects/-hom…│
└──────────────────────────────────────────────────────────────────────┘
"
    );
    // The numbers are the session core's (aegon --summary shows the same: in 42, out 6,911,
    // cache read 506,652, write 1h 18,495, $0.61, 22 API calls, 12 tool calls; cache hit
    // 506,652 / 525,189 = 96.5%, its one rebuild the first request at 05:25:41, 6,892 1-hour
    // tokens × ($10 − $0.50) per million = $0.065).
    assert_eq!(
        text(&panel),
        "\
┌ Session ─────────────────────────────────────────────┐
│hi!                                             ● LIVE│
│a263b894 · 115 events · opus-4-6 · ⎇ HEAD · random    │
│Context  █░░░░░░░░░░░░░░░░░░░░░░░░░░░░   2% 27.0k/1.0M│
│Tokens   in 42  out 6.9k  cache read 506.7k  write 18…│
│Cost     $0.61  22 API calls · 12 tool calls          │
│Cache    96% hit · ↻ 05:25 first request $0.07        │
│Flow … ASST → USER → THINK → Glob → Bash → ASST → USER│
│Tok/min                ▁▁ ▅▁█       ▁ ▂▁  ▄ max 153.1k│
│Steps                                                 │
│ ✓ Bash wc -l /home/da/.claude/projects/-home-d… 113ms│
│ ✓ Glob **/* in /home/da/.claude/projects/-home-… 81ms│
│ ✓ Bash git add index.html LICENSE && git commi… 178ms│
└──────────────────────────────────────────────────────┘
"
    );
    assert_eq!(
        text(&list),
        "\
┌ Sessions 1 · 1 live ─────────────────────────┐
│  all sessions                                │
│● hi!                               8s   $0.61│
└──────────────────────────────────────────────┘
"
    );
    // Styles that carry meaning: LIVE and ✓ green, the chosen list row reversed.
    let (x, y) = find(&panel, "● LIVE").unwrap();
    assert_eq!(panel[(x, y)].fg, Color::Green);
    let (x, y) = find(&panel, "✓ Bash wc").unwrap();
    assert_eq!(panel[(x, y)].fg, Color::Green);
    let (x, y) = find(&list, "all sessions").unwrap();
    assert!(list[(x, y)]
        .modifier
        .contains(ratatui::style::Modifier::REVERSED));
    let (x, y) = find(&list, "● hi!").unwrap();
    assert_eq!(list[(x, y)].fg, Color::Green);
}

#[test]
fn a_selected_window_holds_still_while_events_arrive() {
    let line = |i: usize| {
        format!(
            r#"{{"type":"user","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","message":{{"role":"user","content":"prompt {i}"}}}}
"#
        )
    };
    let mut pipeline = Pipeline::new(
        Options::default(),
        Dashboard::with(Pricing::built_in(), Arc::new(|| 0)),
    );
    let mut input = pipeline.open("s.jsonl");
    for i in 0..50 {
        let _ = pipeline.push(&mut input, line(i).as_bytes()).unwrap();
    }
    let mut view = View::default();
    render(pipeline.renderer(), &mut view, 100, 12);
    for _ in 0..3 {
        view.on_key(Key::Down, pipeline.renderer());
    }
    let before = text(&render(pipeline.renderer(), &mut view, 100, 12));
    assert!(before.contains("prompt 49"), "{before}");
    for i in 50..55 {
        let _ = pipeline.push(&mut input, line(i).as_bytes()).unwrap();
    }
    let after = text(&render(pipeline.renderer(), &mut view, 100, 12));
    assert!(
        !after.contains("prompt 54"),
        "new rows stay above:\n{after}"
    );
    assert!(after.contains("5 newer above (Home)"), "{after}");
    let rows = |screen: &str| -> Vec<String> {
        screen
            .lines()
            .skip(2)
            .take(8)
            .map(|l| l.chars().take(50).collect())
            .collect()
    };
    assert_eq!(rows(&before), rows(&after), "the same rows, in place");
    // Home follows the newest again.
    view.on_key(Key::Home, pipeline.renderer());
    let now = text(&render(pipeline.renderer(), &mut view, 100, 12));
    assert!(now.contains("prompt 54"), "{now}");
}

const POSTHOG: &str = "leolin84200704__posthog-impact-dashboard__claude-session.jsonl";

/// The panel's row that starts with `Cache`, trimmed of its borders.
fn cache_row(buffer: &Buffer) -> String {
    text(buffer)
        .lines()
        .find_map(|l| l.trim_start_matches('│').strip_prefix("Cache"))
        .map(|l| format!("Cache{}", l.trim_end_matches('│').trim_end()))
        .unwrap_or_default()
}

#[test]
fn the_panel_tells_cache_efficiency_and_the_last_rebuild_at_every_width() {
    // The session's last rebuild, read from the transcript by hand: the main chain's response
    // at 23:01:19.313 cached 72,365 read + 51 written = 72,416 tokens (5-minute writes); the
    // next, at 23:07:41.534 (6 min 22 s later: past the 5-minute TTL), read 16,325 and wrote
    // 61,449, so it rebuilt 72,416 − 16,325 = 56,091 tokens at Opus 4.7's 5-minute write rate
    // ($6.25) instead of its read rate ($0.50): 56,091 × $5.75 / 1e6 = $0.3225.
    let dashboard = load(&[POSTHOG], 0);
    let session = dashboard.sessions().iter().next().unwrap();
    let ratio = session.cost_explained.hit_ratio().unwrap() * 100.0;
    let view = View::default();
    let panel = |width: u16, height: u16| {
        pane(width, height, |f| {
            ui::panel::draw(f, f.area(), &dashboard, &view, 0)
        })
    };
    let wide = panel(100, 16);
    assert_eq!(
        cache_row(&wide),
        format!("Cache    {ratio:.1}% hit · ↻ last rebuild 23:07 cache expired (gap 6m) $0.32")
    );
    assert_eq!(format!("{ratio:.1}"), "96.9", "--summary's 0.9695");
    // Narrower: shorter forms, never a cut word while one fits.
    for (width, row) in [
        (
            70,
            "Cache    97% hit · ↻ 23:07 cache expired (gap 6m) $0.32",
        ),
        (56, "Cache    97% hit · ↻ 23:07 expired $0.32"),
        (40, "Cache    97% hit · ↻ expired"),
        (24, "Cache    97% hit · ↻ …"),
    ] {
        assert_eq!(cache_row(&panel(width, 16)), row, "{width} columns");
    }
    // A tiny panel: no cache row when the head does not fit, and no panic.
    for (width, height) in [(3, 3), (12, 4), (20, 6), (20, 9)] {
        panel(width, height);
    }
    assert_eq!(cache_row(&panel(20, 12)), "Cache    97% hit …");
    // The rebuild is marked in colour (yellow, a warning) and in text: under NO_COLOR the
    // symbol and the words stay, the cost stays bold.
    let (x, y) = find(&wide, "↻ last rebuild").unwrap();
    assert_eq!(wide[(x, y)].fg, Color::Yellow);
    let mut mono = wide.clone();
    ui::monochrome(&mut mono);
    assert_eq!(cache_row(&mono), cache_row(&wide));
    assert_eq!(mono[(x, y)].fg, Color::Reset);
    let (x, y) = find(&mono, "$0.32").unwrap();
    assert!(mono[(x, y)]
        .modifier
        .contains(ratatui::style::Modifier::BOLD));
}

#[test]
fn a_session_without_rebuilds_says_so() {
    // Two responses a second apart: the first writes 500 tokens (under the 1,024 a rebuild
    // needs), the second reads them back and writes 100: 500 read of 600 + 6 of input.
    let lines = br#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","message":{"id":"m1","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":3,"output_tokens":1,"cache_creation_input_tokens":500}}}
{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m2","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":3,"output_tokens":1,"cache_read_input_tokens":500,"cache_creation_input_tokens":100}}}
"#;
    let dashboard = dashboard_of(&[("s.jsonl", lines)], 0);
    let view = View::default();
    let buffer = pane(60, 14, |f| {
        ui::panel::draw(f, f.area(), &dashboard, &view, 0)
    });
    // 500 / (3 + 500 + 3 + 500 + 100) = 45.2%.
    assert_eq!(cache_row(&buffer), "Cache    45.2% hit · no rebuild");
}

#[test]
fn a_codex_session_beside_a_claude_one_names_its_agent() {
    // The review child of a real Codex rollout (fixtures/agents/codex, provenance in its
    // README) read beside a real Claude Code session: the list names each row's agent, the
    // panel of the Codex session names Codex and its version, and its numbers are the session
    // core's.
    let codex = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/codex/0h-n0__local-voice-assistant-codex__.codex__sessions__2025__12__26__rollout-2025-12-26T01-48-36-019b5669-8da8-7bc3-bed8-e1c1b805dad5.jsonl",
    );
    let codex_bytes = std::fs::read(&codex).unwrap();
    let claude_bytes = std::fs::read(fixture(APANLOCO)).unwrap();
    let dashboard = dashboard_of(
        &[
            (codex.to_str().unwrap(), &codex_bytes[..]),
            ("apanloco.jsonl", &claude_bytes[..]),
        ],
        APANLOCO_END_MS,
    );
    let id = "019b5669-8da8-7bc3-bed8-e1c1b805dad5";
    let session = dashboard.sessions().get(id).unwrap();
    assert_eq!(session.agent, aegon::Agent::Codex);
    let mut view = View::default();
    let screen = text(&render(&dashboard, &mut view, 140, 40));
    assert!(screen.contains("Sessions 2"), "{screen}");
    let list: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("○ codex") || l.contains("● codex") || l.contains("claude "))
        .collect();
    assert!(
        list.iter().any(|l| l.contains("codex    ")),
        "no codex row:\n{screen}"
    );
    assert!(
        list.iter().any(|l| l.contains("claude   ")),
        "no claude row:\n{screen}"
    );
    // Choose the Codex session: its panel says so, with its version and its cost.
    view.session = Some(id.to_owned());
    let screen = text(&render(&dashboard, &mut view, 140, 40));
    assert!(screen.contains("019b5669 · codex 0.77.0 ·"), "{screen}");
    let cost = session.cost().unwrap();
    assert!(screen.contains(&format!("${cost:.2}")), "{screen}");
}

/// A call left without its result (the transcript ends on its tool_use line) is running while
/// the session is live, and abandoned once it is not: as `--summary` reports it at the end of
/// input, never with the age of the call (a tester saw `5203h` on a months-old transcript).
#[test]
fn a_call_without_its_result_is_abandoned_once_the_session_is_not_live() {
    // The fixture up to its last call's line (line 92, `Bash wc -l …`, 05:44:13.142Z).
    let bytes = std::fs::read(fixture(APANLOCO)).unwrap();
    let cut: Vec<&[u8]> = bytes.split(|&b| b == b'\n').take(92).collect();
    assert!(String::from_utf8_lossy(cut[91]).contains(r#""name":"Bash","input":{"command":"wc -l"#));
    let mut lines = cut.join(&b'\n');
    lines.push(b'\n');
    let call_ms: i64 = 1_776_145_453_142;
    let name = fixture(APANLOCO).to_str().unwrap().to_owned();
    let steps_of = |now_ms: i64| {
        let dashboard = dashboard_of(&[(name.as_str(), &lines)], now_ms);
        let panel = pane(56, 14, |f| {
            ui::panel::draw(f, f.area(), &dashboard, &View::default(), now_ms)
        });
        let (x, y) = find(&panel, "Bash wc -l").expect("the call in the steps");
        let row: String = (1..55).map(|x| panel[(x, y)].symbol()).collect();
        (
            row,
            panel[(x - 2, y)].symbol().to_owned(),
            panel[(x - 2, y)].fg,
        )
    };

    // Ten seconds after the call: live, a spinner and the time it has run.
    let (row, mark, fg) = steps_of(call_ms + 10_000);
    assert!(row.trim_end().ends_with("10.0s"), "{row}");
    assert!("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏".contains(mark.as_str()), "{row}");
    assert_eq!(fg, Color::Cyan);

    // 5,203 hours later: idle. What --summary says of the same input: the call abandoned, no
    // duration.
    let mut pipeline = Pipeline::new(
        Options::default(),
        aegon::render::summary::SessionCollector::new(Pricing::built_in()),
    );
    let mut input = pipeline.open(name.as_str());
    let _ = pipeline.push(&mut input, &lines).unwrap();
    let _ = pipeline.close(input).unwrap();
    let mut sessions = pipeline.finish().unwrap().0.into_sessions();
    sessions.end_of_input();
    let session = sessions.iter().next().unwrap();
    let last = session.recent_steps().last().unwrap();
    assert_eq!(
        (last.tool.as_str(), last.status, last.duration_ms),
        ("Bash", aegon::session::StepStatus::Abandoned, None)
    );
    let (row, mark, fg) = steps_of(call_ms + 5_203 * 3_600_000);
    assert!(!row.contains("5203h"), "no age: {row}");
    assert_eq!((mark.as_str(), fg), ("…", Color::DarkGray), "{row}");
}

/// The timestamps (ms) a file's lines carry, read here from its JSON (not by aegon).
fn timestamps_of(bytes: &[u8]) -> Vec<i64> {
    let millis = |t: &str| {
        let n = |a: usize, b: usize| t.get(a..b).and_then(|s| s.parse::<i64>().ok());
        let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
        let (hh, mm, ss) = (n(11, 13)?, n(14, 16)?, n(17, 19)?);
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000)
    };
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["timestamp"].as_str().and_then(millis))
        .collect()
}

/// Two real sessions a day apart, the newer file read first (as the watcher reads history
/// when the older file was written to last, e.g. a line appended to it later), with the clock
/// at 2026-02-11 22:00 UTC.
const NEWER: &str =
    "marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d.jsonl";
const OLDER: &str = "marot__spotter__test__fixtures__transcripts__short.jsonl";
const FEB_11_22H: i64 = 1_770_847_200_000;

fn history_of(names: &[&str], now_ms: i64) -> Pipeline<Dashboard> {
    let mut dashboard = Dashboard::with(Pricing::built_in(), Arc::new(move || now_ms));
    dashboard.set_history(true);
    let mut pipeline = Pipeline::new(Options::default(), dashboard);
    for name in names {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let mut input = pipeline.open(path.to_str().unwrap());
        let _ = pipeline.push(&mut input, &bytes).unwrap();
        let _ = pipeline.close(input).unwrap();
    }
    pipeline.renderer().set_history(false);
    pipeline
}

#[test]
fn history_read_file_by_file_is_listed_newest_first_by_time() {
    let newer = timestamps_of(&std::fs::read(fixture(NEWER)).unwrap());
    let older = timestamps_of(&std::fs::read(fixture(OLDER)).unwrap());
    // The files are a day apart: every line of one is older than every line of the other.
    assert!(older.iter().max() < newer.iter().min());
    let mut pipeline = history_of(&[NEWER, OLDER], FEB_11_22H);
    let dashboard = pipeline.renderer();
    let rows: Vec<Option<i64>> = dashboard
        .feed()
        .newest_first()
        .map(|r| r.timestamp_ms())
        .collect();
    assert!(rows.len() > 100, "{} rows", rows.len());
    let times: Vec<i64> = rows.iter().flatten().copied().collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "rows newest first by time"
    );
    // The top row is the newer file's last event (second resolution: the reader above).
    assert_eq!(times[0] / 1000 * 1000, *newer.iter().max().unwrap());
    assert!(times.last() < newer.iter().min());

    // Live rows are appended as they come, whatever their time (here one from the older
    // session's day): the newest arrival is on top.
    let live = br#"{"type":"user","sessionId":"s-live","timestamp":"2026-02-10T12:00:00Z","message":{"role":"user","content":"late line"}}
"#;
    let mut input = pipeline.open("live.jsonl");
    let _ = pipeline.push(&mut input, live).unwrap();
    let feed = pipeline.renderer().feed();
    let top = feed.newest_first().next().unwrap();
    assert_eq!(feed.summary(top), "late line");
}

#[test]
fn rows_of_another_day_show_their_date() {
    // The older session's last line, read off its text: `2026-02-10T21:16:12…`.
    let older_text = std::fs::read_to_string(fixture(OLDER)).unwrap();
    let last = older_text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["timestamp"].as_str().map(str::to_owned))
        .max()
        .unwrap();
    assert!(last.starts_with("2026-02-10T21:16:12"), "{last}");
    let mut pipeline = history_of(&[NEWER, OLDER], FEB_11_22H);
    let dashboard = pipeline.renderer();
    // Select the older session's newest row: the window ends on it, today's rows above.
    let boundary = dashboard
        .feed()
        .newest_first()
        .find(|r| {
            r.timestamp_ms()
                .is_some_and(|t| t < FEB_11_22H - 86_400_000 / 2)
        })
        .unwrap()
        .seq;
    let mut view = View {
        selected: Some(boundary),
        ..View::default()
    };
    let feed = text(&pane(100, 8, |f| {
        ui::feed::draw(f, f.area(), dashboard, &mut view)
    }));
    let rows: Vec<&str> = feed.lines().skip(1).take(6).collect();
    assert!(rows[5].starts_with("│02-10 21:16:12 "), "{feed}");
    for row in &rows[..5] {
        // Today's rows: blanks where the date goes, so the times line up.
        assert!(row.starts_with("│      2"), "{feed}");
    }
    // Only today on screen: no date column.
    let mut view = View::default();
    let feed = text(&pane(100, 8, |f| {
        ui::feed::draw(f, f.area(), dashboard, &mut view)
    }));
    assert!(
        feed.lines().nth(1).unwrap().starts_with("│21:46:25 "),
        "{feed}"
    );
}

/// Enter on any event of a JSON document (a Gemini CLI chat, an OpenCode export) shows that
/// event: its message has no line of its own, so the document is read again whole. Each
/// prompt's detail holds the prompt's text and each call's its id, as the JSON has them.
#[test]
fn the_detail_of_a_json_documents_event_is_found_in_the_document() {
    let agents = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents");
    let gemini = agents.join("gemini/7567491__ren__.gemini__tmp__cd8c738c7a1a18392f8c7b8478cd36a4fd00c22700c909f29113a59918ee224a__chats__session-2026-01-03T08-29-d667b4d8.json");
    let opencode = agents.join("opencode/w12z__Cap__opencode-session.json");
    for path in [gemini, opencode] {
        let bytes = std::fs::read(&path).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        // Prompts and call ids, read from the JSON here.
        let mut prompts = Vec::new();
        let mut call_ids = Vec::new();
        for m in json["messages"].as_array().unwrap() {
            if m["type"] == "user" {
                prompts.push(m["content"].as_str().unwrap_or_default().to_owned());
            }
            for c in m["toolCalls"].as_array().into_iter().flatten() {
                call_ids.push(c["id"].as_str().unwrap().to_owned());
            }
            if m["info"]["role"] == "user" {
                for p in m["parts"].as_array().unwrap() {
                    if p["type"] == "text" {
                        prompts.push(p["text"].as_str().unwrap().to_owned());
                    }
                }
            }
            for p in m["parts"].as_array().into_iter().flatten() {
                if let Some(id) = p["callID"].as_str() {
                    call_ids.push(id.to_owned());
                }
            }
        }
        let name = path.to_str().unwrap();
        let dashboard = dashboard_of(&[(name, &bytes)], i64::MAX / 2);
        let (mut users, mut calls, mut others) = (0, 0, 0);
        for item in dashboard.feed().newest_first() {
            // Some of each (each detail reads the document whole: slow in a debug build).
            let tally = match item.label() {
                "USER" => &mut users,
                "CALL" => &mut calls,
                _ => &mut others,
            };
            if *tally >= 5 {
                continue;
            }
            if item.label() != "USER" && item.label() != "CALL" {
                *tally += 1;
            }
            let detail = Detail::load(&dashboard, item, &|o| read_line_at(&o.file, o.offset));
            let all = detail.lines.join("\n");
            assert!(!all.contains("no longer holds"), "{name}: {all}");
            if item.label() == "USER" {
                users += 1;
                assert!(
                    prompts
                        .iter()
                        .any(|p| all.contains(p.lines().next().unwrap_or_default())),
                    "{name}: {all}"
                );
            }
            if let (Some(id), "CALL") = (dashboard.feed().tool_use_id(item), item.label()) {
                calls += 1;
                assert!(call_ids.contains(&id.to_string()), "{name}: {id}");
                assert!(all.contains(&format!("call id: {id}")), "{name}: {all}");
            }
        }
        assert!(users > 0, "{name}: some prompts shown");
        assert!(calls > 0 || call_ids.is_empty(), "{name}: some calls shown");
    }
}

/// tester6 §10, built as its repro builds it: three Sonnet 4.5 responses, then `/model` and an
/// Opus 4.6 response of 300,000 input tokens, then a subagent's Haiku 4.5 response. The panel
/// named `sonnet-4-5` (the session's models in name order), while the context gauge beside it
/// already showed Opus 4.6's 1M window. It names the latest main-chain response's model.
#[test]
fn the_panel_names_the_model_of_the_latest_main_chain_response() {
    let sid = "aeaeaeae-0000-4000-8000-000000000001";
    let line = |ts: &str, input: u64, model: &str, n: u32, agent: Option<&str>| {
        let mut v = serde_json::json!({"parentUuid": null, "isSidechain": agent.is_some(),
            "type": "assistant", "cwd": "/home/u/proj", "sessionId": sid,
            "version": "2.1.100", "gitBranch": "main",
            "message": {"model": model, "id": format!("msg_{n}"), "type": "message",
                "role": "assistant", "content": [{"type": "text", "text": "ok"}],
                "usage": {"input_tokens": input, "output_tokens": 100,
                    "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}},
            "requestId": format!("req_{n}"), "uuid": format!("a-{n}"), "timestamp": ts});
        if let Some(a) = agent {
            v["agentId"] = serde_json::json!(a);
        }
        format!("{v}\n")
    };
    let user = |ts: &str, text: &str| {
        format!(
            "{}\n",
            serde_json::json!({"parentUuid": null, "isSidechain": false, "type": "user",
                "cwd": "/home/u/proj", "sessionId": sid, "version": "2.1.100",
                "gitBranch": "main", "message": {"role": "user", "content": text},
                "uuid": format!("u-{ts}"), "timestamp": ts})
        )
    };
    let mut main = user("2026-11-30T14:00:00.000Z", "go");
    for k in 1..=3 {
        let ts = format!("2026-11-30T14:0{k}:00.000Z");
        main.push_str(&line(&ts, 50_000, "claude-sonnet-4-5", k, None));
    }
    main.push_str(&user("2026-11-30T14:05:00.000Z", "now opus"));
    main.push_str(&line(
        "2026-11-30T14:06:00.000Z",
        300_000,
        "claude-opus-4-6",
        4,
        None,
    ));
    let sub = line(
        "2026-11-30T14:07:00.000Z",
        5_000,
        "claude-haiku-4-5",
        5,
        Some("a1"),
    );
    // 2026-11-30T14:08:00Z.
    let now = 1_796_047_680_000;
    let dashboard = dashboard_of(
        &[
            (&format!("{sid}.jsonl"), main.as_bytes()),
            ("agent-a1.jsonl", sub.as_bytes()),
        ],
        now,
    );
    let session = dashboard.sessions().get(sid).unwrap();
    assert_eq!(session.model.as_deref(), Some("claude-opus-4-6"));
    let mut view = View::default();
    let screen = text(&render(&dashboard, &mut view, 160, 30));
    let facts = screen
        .lines()
        .find(|l| l.contains(" events · "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(facts.contains(" · opus-4-6 · "), "{facts}");
    assert!(
        !facts.contains("sonnet") && !facts.contains("haiku"),
        "{facts}"
    );
    // The gauge beside it: 300,000 input tokens of Opus 4.6's 1M window.
    assert!(screen.contains("300.0k/1.0M"), "{screen}");
}

/// A followed Copilot CLI session that has not shut down (no `session.shutdown` yet): its
/// requests count only output tokens, their input comes with the shutdown, so the session
/// pane and the list show the cost as a lower bound (`+`), as `--summary` calls it unknown
/// (a followed file never reaches its end, where the pending marker is read). The shutdown
/// line, when it comes, makes it whole. The real session of fixtures/agents/copilot
/// (provenance in fixtures/agents/README.md): $0.2174 before the shutdown, $0.7555 after.
#[test]
fn a_followed_copilot_session_shows_its_cost_as_a_lower_bound_until_it_shuts_down() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/agents/copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl",
    );
    let whole = std::fs::read_to_string(&path).unwrap();
    let at = whole.find(r#"{"type":"session.shutdown""#).unwrap();
    let (running, shutdown) = whole.split_at(at);
    // 2026-04-02T04:50:40Z: seconds after its last message (04:50:21), live.
    let now_ms = 1_775_105_440_000;
    let dashboard = Dashboard::with(Pricing::built_in(), Arc::new(move || now_ms));
    let mut pipeline = Pipeline::new(Options::default(), dashboard);
    let mut input = pipeline.open(path.to_str().unwrap());
    let _ = pipeline.push(&mut input, running.as_bytes()).unwrap();
    let screens = |dashboard: &Dashboard| {
        let view = View::default();
        let panel = pane(72, 14, |f| {
            ui::panel::draw(f, f.area(), dashboard, &view, now_ms)
        });
        let list = pane(56, 4, |f| {
            ui::list::draw(f, f.area(), dashboard, &view, now_ms)
        });
        (text(&panel), text(&list))
    };
    let (panel, list) = screens(pipeline.renderer());
    assert!(
        panel.contains("Cost     $0.22+ (input not written yet)"),
        "{panel}"
    );
    assert!(list.contains("$0.22+│"), "{list}");
    let session = pipeline.renderer().sessions().iter().next().unwrap();
    assert!(session.awaits_totals());
    assert_eq!(session.cost(), None);
    assert!((session.priced_cost() - 0.2174).abs() < 1e-4);
    // The shutdown comes: the totals are in, the cost known.
    let _ = pipeline.push(&mut input, shutdown.as_bytes()).unwrap();
    let (panel, list) = screens(pipeline.renderer());
    assert!(panel.contains("Cost     $0.76  17 API calls"), "{panel}");
    assert!(list.contains("$0.76│"), "{list}");
    let session = pipeline.renderer().sessions().iter().next().unwrap();
    assert!(!session.awaits_totals());
    assert!((session.cost().unwrap() - 0.7555).abs() < 1e-4);
}
