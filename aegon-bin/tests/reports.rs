//! What the reports (`--html`, `--markdown`, `--summary`) show alike: dollar amounts by one
//! rule, and transcript text that cannot load or run anything.

use std::process::Command;

mod common;

use common::temp_dir;

fn aegon(args: &[&str]) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(args)
        .output()
        .expect("run aegon");
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).expect("UTF-8 output")
}

/// A session of two Opus 4.6 responses: 20 + 1 input and 10 + 1 output tokens.
const SUB_CENT: &str = concat!(
    r#"{"type":"user","sessionId":"s","uuid":"u0","timestamp":"2026-01-01T00:00:00Z","message":{"role":"user","content":"hi"}}"#,
    "\n",
    r#"{"type":"assistant","sessionId":"s","uuid":"u1","parentUuid":"u0","timestamp":"2026-01-01T00:00:01Z","requestId":"r1","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":20,"output_tokens":10}}}"#,
    "\n",
    r#"{"type":"assistant","sessionId":"s","uuid":"u2","parentUuid":"u1","timestamp":"2026-01-01T00:00:02Z","requestId":"r2","message":{"id":"m2","model":"claude-opus-4-6","content":[{"type":"text","text":"y"}],"usage":{"input_tokens":1,"output_tokens":1}}}"#,
    "\n",
);

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?}"));
    &text[from..from + len]
}

#[test]
fn a_sub_cent_session_costs_the_same_in_every_report_and_its_chart_ticks_differ() {
    let dir = temp_dir("reports-sub-cent");
    let file = dir.join("s.jsonl");
    std::fs::write(&file, SUB_CENT).unwrap();
    let file = file.to_str().unwrap();
    // Opus 4.6 list prices: $5 and $25 a million input and output tokens.
    let cost = 21.0 * 5.0 / 1e6 + 11.0 * 25.0 / 1e6;
    assert!(cost > 0.0 && cost < 0.005); // under a cent: never shown as $0.00
    let html = aegon(&["--html", file]);
    let markdown = aegon(&["--markdown", file]);
    let summary = aegon(&["--summary", file]);
    let usd: f64 = between(&html, "class=\"cost\" data-usd=\"", "\"")
        .parse()
        .unwrap();
    assert!((usd - cost).abs() < 1e-9, "{usd} {cost}");
    assert_eq!(
        between(&html, &format!("data-usd=\"{usd:.6}\">"), "<"),
        "&lt;$0.01"
    );
    assert_eq!(between(&markdown, "**Cost** ", " "), "<$0.01");
    assert_eq!(between(&summary, "  cost      ", " "), "<$0.01");
    // The cumulative-cost chart: ticks at 0, half and all of the cost, each readable apart;
    // the top one is the cost to the first decimal that parts the ticks (step $0.00019).
    let chart = between(&html, "<figure class=\"chart cost\">", "</figure>");
    let ticks: Vec<&str> = chart
        .split("<text class=\"axis\"")
        .skip(1)
        .map(|t| between(t, ">", "<"))
        .filter(|t| t.starts_with('$'))
        .collect();
    assert_eq!(
        ticks,
        [
            "$0.0000".to_owned(),
            format!("${:.4}", cost / 2.0),
            format!("${cost:.4}")
        ]
    );
    std::fs::remove_dir_all(&dir).ok();
}
