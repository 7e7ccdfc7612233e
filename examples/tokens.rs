//! Deduplicated token totals of transcripts, per model, in a few lines of aegon-lib.
//!
//! ```sh
//! cargo run --example tokens -- fixtures/corpus/apanloco__random__session.jsonl
//! ```

use std::collections::BTreeMap;
use std::fs::File;

use aegon::render::Flow;
use aegon::{Event, EventKind, Options, Pipeline, Renderer, Tokens};

/// A renderer that only adds up usage events (each API response counts once).
#[derive(Default)]
struct PerModel(BTreeMap<String, Tokens>);

impl Renderer for PerModel {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        if let EventKind::Usage { model, tokens, .. } = &event.kind {
            let model = model.as_deref().unwrap_or("?").to_owned();
            let sum = self.0.entry(model).or_default();
            *sum = sum.saturating_add(*tokens);
        }
        Ok(Flow::Continue(()))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pipeline = Pipeline::new(Options::default(), PerModel::default());
    for path in std::env::args().skip(1) {
        if let Err(e) = pipeline.read_to_end(&path, File::open(&path)?) {
            eprintln!("{path}: {e:?}");
        }
    }
    let (PerModel(models), stats) = pipeline.finish()?;
    for (model, t) in models {
        println!(
            "{model}: input {} output {} cache read {} write 5m {} write 1h {}",
            t.input, t.output, t.cache_read, t.cache_write_5m, t.cache_write_1h
        );
    }
    println!(
        "{} lines, {} malformed",
        stats.lines,
        stats.malformed.total()
    );
    Ok(())
}
