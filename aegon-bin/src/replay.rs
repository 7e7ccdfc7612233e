//! `aegon replay FILE` and `aegon demo`: a recorded session played with its own timing.
//!
//! Each line waits for the time between its timestamp and the previous line's, divided by the
//! speed; a pause longer than [`MAX_GAP`] (the person went for lunch) is cut to it, so a replay
//! shows work, not waiting. Lines without a timestamp go at once.

use std::io;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aegon::format::claude::record::parse_record;
use aegon::pipeline::Pipeline;
use aegon::render::Renderer;
use aegon::timestamp::{now_ms, parse_millis};

/// The longest wait between two lines, whatever the recording says.
pub const MAX_GAP: Duration = Duration::from_secs(3);

/// The session `aegon demo` plays (real, from the corpus; provenance in fixtures/corpus/MANIFEST.tsv).
pub const DEMO: &[u8] = include_bytes!("../../fixtures/corpus/apanloco__random__session.jsonl");

/// The name the demo's events carry.
pub const DEMO_NAME: &str = "demo/apanloco-random.jsonl";

/// The recording's time as a replay plays it: set at each line, running `speed` times as fast
/// as the wall clock in between (so spinners and LIVE / IDLE mean what they meant).
#[derive(Debug, Default)]
pub struct ReplayClock {
    /// The last line's timestamp (ms since the epoch).
    recorded_ms: AtomicI64,
    /// The wall clock when that line was played.
    played_at_ms: AtomicI64,
}

impl ReplayClock {
    /// The recording's time now.
    pub fn now_ms(&self, speed: f64) -> i64 {
        let played_at = self.played_at_ms.load(Ordering::Relaxed);
        if played_at == 0 {
            return now_ms();
        }
        let recorded = self.recorded_ms.load(Ordering::Relaxed);
        let since = now_ms() - played_at;
        recorded + (since.max(0) as f64 * speed) as i64
    }

    fn set(&self, recorded_ms: i64) {
        self.played_at_ms.store(now_ms(), Ordering::Relaxed);
        self.recorded_ms.store(recorded_ms, Ordering::Relaxed);
    }
}

/// Plays `bytes` (the transcript `name`) into `pipeline`, keeping `clock` (when given) on the
/// recording's time.
pub fn run<R: Renderer>(
    name: &str,
    bytes: &[u8],
    speed: f64,
    clock: Option<&ReplayClock>,
    pipeline: &mut Pipeline<R>,
) -> io::Result<()> {
    let mut input = pipeline.open(name);
    let mut previous: Option<i64> = None;
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        rest = after;
        if let Some(at) = timestamp_of(line) {
            if let Some(before) = previous.filter(|&b| at > b) {
                let wait = Duration::from_secs_f64((at - before) as f64 / 1000.0 / speed);
                std::thread::sleep(wait.min(MAX_GAP));
            }
            previous = Some(previous.map_or(at, |b| b.max(at)));
            if let Some(clock) = clock {
                clock.set(at);
            }
        }
        if pipeline.push(&mut input, line)?.is_break() {
            return Ok(());
        }
        pipeline.renderer().flush()?;
    }
    let _ = pipeline.close(input)?;
    Ok(())
}

/// The line's `timestamp`, in ms since the epoch.
fn timestamp_of(line: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(line).ok()?;
    let record = parse_record(text.trim_end()).ok()?;
    parse_millis(record.timestamp.as_deref()?)
}
