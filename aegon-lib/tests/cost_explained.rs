//! Cost explained on the real transcripts of `fixtures/corpus/` (provenance in its
//! MANIFEST.tsv): every breakdown adds up to the session's cost, the NDJSON stream's figures
//! agree with the session core's, and the rebuilds found are the ones an independent reading
//! of the raw JSON finds.

use std::collections::BTreeMap;

use aegon::render::ndjson::NdjsonRenderer;
use aegon::render::summary::SessionCollector;
use aegon::session::cost_explained::RebuildCause;
use aegon::session::Sessions;
use aegon::{Options, Pipeline};
use serde_json::Value;

/// The corpus files, in path order (as `--summary` reads a folder).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

fn sessions() -> Sessions {
    let mut p = Pipeline::new(Options::default(), SessionCollector::default());
    for (name, bytes) in corpus() {
        let _ = p.read_to_end(&name, bytes.as_slice()).unwrap();
    }
    p.finish().unwrap().0.into_sessions()
}

fn ndjson() -> Vec<Value> {
    let mut p = Pipeline::new(Options::default(), NdjsonRenderer::new(Vec::new()));
    for (name, bytes) in corpus() {
        let _ = p.read_to_end(&name, bytes.as_slice()).unwrap();
    }
    let out = p.finish().unwrap().0.into_inner();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_breakdown_adds_up_to_the_session_cost() {
    let sessions = sessions();
    let mut checked = 0;
    for s in sessions.iter().filter(|s| s.api_calls() > 0) {
        let total: u128 = s.usage.values().map(|u| u.cost_pico).sum();
        let unpriced: u64 = s.usage.values().map(|u| u.unpriced).sum();
        let e = &s.cost_explained;
        // By prompt, subagents included.
        let prompts = s.cost_by_prompt();
        let by_prompt: u128 = prompts.iter().map(|p| p.total().pico).sum();
        let unpriced_by_prompt: u64 = prompts.iter().map(|p| p.total().unpriced).sum();
        assert_eq!(by_prompt, total, "{}: by prompt", s.id);
        assert_eq!(unpriced_by_prompt, unpriced, "{}: unpriced by prompt", s.id);
        // Every subagent's cost lands on some prompt.
        let agents: u128 = e.agents.values().map(|a| a.cost.pico).sum();
        let placed: u128 = prompts.iter().map(|p| p.subagents.pico).sum();
        assert_eq!(placed, agents, "{}: subagents", s.id);
        // By tool, answers included.
        let (tools, none) = e.tools();
        let by_tool = tools.values().map(|c| c.pico).sum::<u128>() + none.pico;
        assert_eq!(by_tool, total, "{}: by tool", s.id);
        // And so to the cent in dollars.
        let cents = |pico: u128| (pico as f64 / 1e10).round();
        assert_eq!(cents(by_prompt), cents(total));
        checked += 1;
    }
    assert!(checked >= 18, "sessions with API calls: {checked}");
}

#[test]
fn the_stream_agrees_with_the_session_core() {
    let sessions = sessions();
    let events = ndjson();
    let usage: Vec<&Value> = events.iter().filter(|e| e["kind"] == "usage").collect();
    // Cost: the priced events' sum is the sessions' priced cost.
    let stream: f64 = usage.iter().filter_map(|u| u["cost_usd"].as_f64()).sum();
    let core: f64 = sessions.iter().map(|s| s.priced_cost()).sum();
    assert!((stream - core).abs() < 1e-6, "{stream} vs {core}");
    // Rebuilds by cause.
    let mut from_stream: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for u in &usage {
        if let Some(cause) = u["rebuild"].as_str() {
            let t = from_stream.entry(cause.to_owned()).or_default();
            t.0 += 1;
            t.1 += u["rebuild_tokens"].as_u64().unwrap();
        }
    }
    let mut from_core: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in sessions.iter() {
        for cause in RebuildCause::ALL {
            let t = s.cost_explained.cause(cause);
            if t.rebuilds > 0 {
                let e = from_core.entry(cause.as_str().to_owned()).or_default();
                e.0 += t.rebuilds;
                e.1 += t.tokens;
            }
        }
    }
    assert_eq!(from_stream, from_core);
    // Increments carry no cache figures; first events carry a hit ratio when they had input.
    assert!(usage
        .iter()
        .filter(|u| u["increment"] == true)
        .all(|u| u["cache_hit_ratio"].is_null() && u["rebuild"].is_null()));
}

/// Rebuilds found by reading the raw JSON with a separate script (Python, json module): per
/// file and chain, consecutive API responses (first line of each `message.id`, synthetic
/// errors left out); `missed` = the previous response's read + write − this one's read, and
/// the tokens rebuilt = min(this one's write, missed); the gap between first lines; the
/// compact boundaries and TTLs between them read off the lines.
#[test]
fn rebuilds_match_an_independent_reading() {
    let events = ndjson();
    let found: Vec<(String, String, u64)> = events
        .iter()
        .filter(|e| e["kind"] == "usage" && e["rebuild"].is_string())
        .filter(|e| e["rebuild"] != "first_request")
        .map(|e| {
            (
                e["timestamp"].as_str().unwrap().to_owned(),
                e["rebuild"].as_str().unwrap().to_owned(),
                e["rebuild_tokens"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        // 2.0.60 subagent: 20 min 48 s after a 5-minute write, nothing read.
        ("2025-12-06T18:42:18.880Z", "expired", 37_126),
        // 2.0.74: 17 min 48 s after a 5-minute write.
        ("2025-12-20T09:18:51.817Z", "expired", 8_990),
        // 2.1.22, 1-hour writes, gaps of 1-4 min: the system prompt (18,824) read, the rest not.
        ("2026-01-28T20:08:05.449Z", "conversation_changed", 46_001),
        ("2026-01-28T20:18:45.030Z", "conversation_changed", 92_040),
        ("2026-01-28T20:21:01.348Z", "conversation_changed", 105_314),
        ("2026-02-10T22:59:25.207Z", "conversation_changed", 7_992),
        ("2026-02-11T20:51:16.246Z", "conversation_changed", 89_607),
        // After a compact_boundary: the summary (12,497) written after the system prompt.
        ("2026-02-11T21:18:43.667Z", "compaction", 12_497),
        ("2026-02-11T21:36:44.876Z", "conversation_changed", 55_080),
        ("2026-04-26T22:14:20.673Z", "conversation_changed", 39_165),
        ("2026-04-26T22:33:29.407Z", "compaction", 18_434),
        ("2026-04-26T22:33:33.954Z", "conversation_changed", 18_434),
        ("2026-04-26T22:33:36.555Z", "conversation_changed", 27_794),
        ("2026-04-26T22:33:38.209Z", "conversation_changed", 27_988),
        // 5-minute writes by then, gaps of 5 min 36 s and 6 min 22 s.
        ("2026-04-26T22:53:41.168Z", "expired", 49_658),
        ("2026-04-26T23:07:41.534Z", "expired", 56_091),
        ("2026-06-16T16:29:00.648Z", "conversation_changed", 10_069),
    ];
    let mut found = found;
    found.sort();
    let want: Vec<(String, String, u64)> = want
        .iter()
        .map(|(t, c, n)| (t.to_string(), c.to_string(), *n))
        .collect();
    assert_eq!(found, want);
}

#[test]
fn sessions_without_prompt_costs_keep_no_prompts_and_the_same_totals() {
    // The dashboard's sessions keep no cost per prompt (its memory must not grow with the
    // prompts read); everything else, and the main chain's cost, stay the same.
    let full = sessions();
    let mut p = Pipeline::new(
        Options::default(),
        SessionCollector::from_sessions(Sessions::default().without_prompt_costs()),
    );
    for (name, bytes) in corpus() {
        let _ = p.read_to_end(&name, bytes.as_slice()).unwrap();
    }
    let lean = p.finish().unwrap().0.into_sessions();
    let mut prompts_seen = 0;
    for (a, b) in full.iter().zip(lean.iter()) {
        assert_eq!(a.id, b.id);
        assert!(b.cost_explained.prompts.is_empty(), "{}", b.id);
        prompts_seen += a.cost_explained.prompts.len();
        assert_eq!(a.tokens(), b.tokens(), "{}", b.id);
        assert_eq!(a.cost(), b.cost(), "{}", b.id);
        assert_eq!(a.cost_explained.causes, b.cost_explained.causes, "{}", b.id);
        // The main chain's cost: spread over prompts in one, all in the preamble in the other.
        let mut main = a.cost_explained.preamble.cost;
        for p in &a.cost_explained.prompts {
            main.add_charge(p.cost);
        }
        assert_eq!(main, b.cost_explained.preamble.cost, "{}", b.id);
    }
    assert_eq!(full.iter().count(), lean.iter().count());
    assert!(prompts_seen > 100, "{prompts_seen}");
}
