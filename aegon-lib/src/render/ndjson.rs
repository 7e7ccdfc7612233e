//! The NDJSON renderer: one JSON object per event, one per line.
//!
//! The schema is documented in the README ("NDJSON events") and versioned by the `v` field
//! ([`SCHEMA_VERSION`]): fields may be added within a version; a field removed, renamed or
//! changed in meaning bumps it. Every object has `v`, `kind`, `session_id`, `timestamp` (as
//! written in the transcript, or null), `source` (`{"file","line","offset"}`), and `uuid`,
//! `agent_id`, `sidechain` when the line has them; then the fields of its kind. Fields of a kind
//! are always present (null when unknown), so consumers can rely on the shape.
//!
//! Usage events also carry their cost and cache figures (`cost_usd`, `cache_hit_ratio`,
//! `gap_ms`, `rebuild`, `rebuild_tokens`, `rebuild_cost_usd`), computed by a
//! [`CacheTracker`] the renderer keeps: the rules of [`crate::session::cost_explained`], with the
//! prices given to [`NdjsonRenderer::with_pricing`] (the built-in table by default).

use std::io::{self, Write};
use std::ops::ControlFlow;

use serde_json::value::RawValue;

use crate::event::{Event, EventKind};
use crate::render::text::result_preview;
use crate::render::{Flow, Renderer};
use crate::session::cost_explained::{CacheTracker, UsageCost};
use crate::session::pricing::Pricing;
use crate::text::{raw_prefix, Text};

/// Version of the NDJSON event schema (the `v` field).
pub const SCHEMA_VERSION: u32 = 1;

/// Characters of a tool result kept in its `preview` field.
pub const PREVIEW_CHARS: usize = 400;

/// Output is written to the underlying writer in blocks of about this size.
const FLUSH_AT: usize = 64 << 10;

/// Writes events as NDJSON to `W`. See the [module documentation](self).
#[derive(Debug)]
pub struct NdjsonRenderer<W: Write> {
    out: W,
    buf: Vec<u8>,
    tracker: CacheTracker,
}

impl<W: Write> NdjsonRenderer<W> {
    /// A renderer writing to `out` (buffered internally; no need for a `BufWriter`), pricing
    /// usage events with the built-in table.
    pub fn new(out: W) -> Self {
        Self::with_pricing(out, Pricing::built_in())
    }

    /// A renderer writing to `out`, pricing usage events with `pricing`.
    pub fn with_pricing(out: W, pricing: Pricing) -> Self {
        NdjsonRenderer {
            out,
            buf: Vec::with_capacity(FLUSH_AT * 2),
            tracker: CacheTracker::new(pricing),
        }
    }

    /// The writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Renderer for NdjsonRenderer<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        let cost = self.tracker.observe(event);
        write_event_with_cost(&mut self.buf, event, cost.as_ref())?;
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(ControlFlow::Continue(()))
    }

    /// An event left out of the stream still counts for the cache rules (a compaction, an API
    /// error, a chain's start), so `-k usage` gives the figures the whole stream gives.
    fn on_skipped(&mut self, event: &Event<'_>) {
        let _ = self.tracker.observe(event);
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.out.flush()
    }
}

/// Appends one event as a JSON object and a newline to `buf`; a usage event's cost fields are
/// null (see [`write_event_with_cost`]).
///
/// U+2028 and U+2029 are written as `\u2028` and `\u2029`, wherever they are (text passed
/// through as written included), so JavaScript's and Python's line readers see one line.
pub fn write_event(buf: &mut Vec<u8>, event: &Event<'_>) -> io::Result<()> {
    write_event_with_cost(buf, event, None)
}

/// Appends one event as a JSON object and a newline to `buf`, a usage event with the cost
/// fields `cost` gives (null where it is `None` or says nothing); line separators escaped as
/// in [`write_event`].
pub fn write_event_with_cost(
    buf: &mut Vec<u8>,
    event: &Event<'_>,
    cost: Option<&UsageCost>,
) -> io::Result<()> {
    let start = buf.len();
    write_object(buf, event, cost)?;
    crate::render::escape_line_separators(buf, start);
    Ok(())
}

fn write_object(buf: &mut Vec<u8>, event: &Event<'_>, cost: Option<&UsageCost>) -> io::Result<()> {
    let mut o = Obj { buf };
    o.buf.extend_from_slice(b"{\"v\":");
    push_u64(o.buf, u64::from(SCHEMA_VERSION));
    o.buf.extend_from_slice(b",\"kind\":\"");
    o.buf.extend_from_slice(event.kind().as_str().as_bytes());
    o.buf.extend_from_slice(b"\",\"agent\":\"");
    o.buf.extend_from_slice(event.agent.as_str().as_bytes());
    o.buf.push(b'"');
    o.opt_str("session_id", event.session_id.as_deref())?;
    o.opt_str("timestamp", event.timestamp.as_deref())?;
    if let Some(uuid) = &event.uuid {
        o.str("uuid", uuid)?;
    }
    if let Some(agent) = &event.agent_id {
        o.str("agent_id", agent)?;
    }
    if event.sidechain {
        o.bool("sidechain", true);
    }
    o.key("source");
    o.buf.extend_from_slice(b"{\"file\":");
    serde_json::to_writer(&mut *o.buf, event.source.file)?;
    o.u64("line", event.source.line);
    o.u64("offset", event.source.offset);
    o.buf.push(b'}');
    match &event.kind {
        EventKind::UserPrompt { text }
        | EventKind::UserMeta { text }
        | EventKind::CompactSummary { text } => o.text("text", text)?,
        EventKind::Interrupt { text, during_tool } => {
            o.text("text", text)?;
            o.bool("during_tool", *during_tool);
        }
        EventKind::Image {
            media_type,
            data_len,
            ..
        } => {
            o.opt_str("media_type", media_type.as_deref())?;
            o.u64("data_len", *data_len);
        }
        EventKind::AssistantText {
            message_id,
            model,
            text,
        } => {
            o.opt_str("message_id", message_id.as_deref())?;
            o.opt_str("model", model.as_deref())?;
            o.text("text", text)?;
        }
        EventKind::Thinking {
            message_id,
            text,
            redacted,
        } => {
            o.opt_str("message_id", message_id.as_deref())?;
            o.text("text", text)?;
            o.bool("redacted", *redacted);
        }
        EventKind::ToolCall {
            message_id,
            tool_use_id,
            tool,
            input,
        } => {
            o.opt_str("message_id", message_id.as_deref())?;
            o.opt_str("tool_use_id", tool_use_id.as_deref())?;
            o.str("tool", tool)?;
            o.raw("input", *input);
        }
        EventKind::ToolResult {
            tool_use_id,
            is_error,
            tool,
            duration_ms,
            content,
            spawned_agent_id,
            ..
        } => {
            o.opt_str("tool_use_id", tool_use_id.as_deref())?;
            o.opt_str("tool", tool.as_deref())?;
            o.bool("is_error", *is_error);
            o.opt_u64("duration_ms", *duration_ms);
            o.key("preview");
            match content.and_then(|c| raw_prefix(c.get(), PREVIEW_CHARS)) {
                // A string result: its start, passed through as written.
                Some(start) => {
                    o.buf.extend_from_slice(start.as_bytes());
                    o.buf.push(b'"');
                }
                None => {
                    let preview = content
                        .map(|c| result_preview(c, PREVIEW_CHARS))
                        .unwrap_or_default();
                    serde_json::to_writer(&mut *o.buf, &preview)?;
                }
            }
            o.u64("content_bytes", content.map_or(0, |c| c.get().len() as u64));
            o.opt_str("spawned_agent_id", spawned_agent_id.as_deref())?;
        }
        EventKind::Usage {
            message_id,
            request_id,
            model,
            tokens,
            increment,
            factors,
            reasoning,
        } => {
            o.opt_str("message_id", message_id.as_deref())?;
            o.opt_str("request_id", request_id.as_deref())?;
            o.opt_str("model", model.as_deref())?;
            o.u64("input", tokens.input);
            o.u64("output", tokens.output);
            o.u64("cache_read", tokens.cache_read);
            o.u64("cache_write_5m", tokens.cache_write_5m);
            o.u64("cache_write_1h", tokens.cache_write_1h);
            o.bool("increment", *increment);
            o.opt_str("speed", factors.speed.as_deref())?;
            o.opt_str("service_tier", factors.service_tier.as_deref())?;
            o.opt_str("inference_geo", factors.inference_geo.as_deref())?;
            o.u64("prompt_tokens", factors.prompt_tokens);
            o.opt_u64("reasoning_output", *reasoning);
            let cache = cost.and_then(|c| c.cache);
            let rebuild = cache.and_then(|c| c.rebuild);
            o.opt_f64("cost_usd", cost.and_then(|c| c.cost_usd))?;
            o.opt_f64("cache_hit_ratio", cache.and_then(|c| c.hit_ratio))?;
            o.opt_u64("gap_ms", cache.and_then(|c| c.gap_ms));
            o.opt_str("rebuild", rebuild.map(|r| r.cause.as_str()))?;
            o.opt_u64("rebuild_tokens", rebuild.map(|r| r.tokens));
            o.opt_f64("rebuild_cost_usd", rebuild.and_then(|r| r.cost_usd))?;
        }
        EventKind::System {
            subtype,
            level,
            text,
            duration_ms,
        } => {
            o.opt_str("subtype", subtype.as_deref())?;
            o.opt_str("level", level.as_deref())?;
            o.opt_text("text", text.as_ref())?;
            o.opt_u64("duration_ms", *duration_ms);
        }
        EventKind::Compact {
            trigger,
            pre_tokens,
            post_tokens,
        } => {
            o.opt_str("trigger", trigger.as_deref())?;
            o.opt_u64("pre_tokens", *pre_tokens);
            o.opt_u64("post_tokens", *post_tokens);
        }
        EventKind::ApiError {
            status,
            text,
            retry_attempt,
            max_retries,
            retry_in_ms,
            fatal,
        } => {
            o.opt_u64("status", *status);
            o.opt_str("text", text.as_deref())?;
            o.opt_u64("retry_attempt", *retry_attempt);
            o.opt_u64("max_retries", *max_retries);
            o.opt_u64("retry_in_ms", *retry_in_ms);
            o.bool("fatal", *fatal);
        }
        EventKind::Title {
            title,
            source,
            leaf_uuid,
        } => {
            o.str("title", title)?;
            o.str("title_source", source.as_str())?;
            o.opt_str("leaf_uuid", leaf_uuid.as_deref())?;
        }
        EventKind::Progress {
            data_type,
            tool_use_id,
            parent_tool_use_id,
        } => {
            o.opt_str("data_type", data_type.as_deref())?;
            o.opt_str("tool_use_id", tool_use_id.as_deref())?;
            o.opt_str("parent_tool_use_id", parent_tool_use_id.as_deref())?;
        }
        EventKind::Attachment { attachment_type } => {
            o.opt_str("attachment_type", attachment_type.as_deref())?;
        }
        EventKind::FileSnapshot {
            message_id,
            files,
            update,
        } => {
            o.opt_str("message_id", message_id.as_deref())?;
            o.u64("files", *files);
            o.bool("update", *update);
        }
        EventKind::Queue { operation, text } => {
            o.opt_str("operation", operation.as_deref())?;
            o.opt_text("text", text.as_ref())?;
        }
        EventKind::LastPrompt { text, leaf_uuid } => {
            o.opt_str("text", text.as_deref())?;
            o.opt_str("leaf_uuid", leaf_uuid.as_deref())?;
        }
        EventKind::Mode { mode } | EventKind::PermissionMode { mode } => o.str("mode", mode)?,
        EventKind::PrLink {
            number,
            url,
            repository,
        } => {
            o.opt_u64("number", *number);
            o.opt_str("url", url.as_deref())?;
            o.opt_str("repository", repository.as_deref())?;
        }
        EventKind::Unknown {
            record_type,
            block_type,
        } => {
            o.opt_str("record_type", record_type.as_deref())?;
            o.opt_str("block_type", block_type.as_deref())?;
        }
        EventKind::Malformed(m) => {
            o.str("reason", m.reason.as_str())?;
            o.str("message", &m.message)?;
            o.u64("error_offset", m.error_offset);
            o.u64("len", m.len);
            o.bool("recovered", m.recovered);
        }
    }
    o.buf.extend_from_slice(b"}\n");
    Ok(())
}

/// Writes `,"key":value` pairs into an object being built.
struct Obj<'b> {
    buf: &'b mut Vec<u8>,
}

impl Obj<'_> {
    /// `,"key":` (keys are plain ASCII: no escaping needed).
    fn key(&mut self, key: &str) {
        self.buf.extend_from_slice(b",\"");
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn str(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.key(key);
        serde_json::to_writer(&mut *self.buf, value)?;
        Ok(())
    }

    fn text(&mut self, key: &str, value: &Text<'_>) -> io::Result<()> {
        self.key(key);
        value.write_json(self.buf)?;
        Ok(())
    }

    fn opt_text(&mut self, key: &str, value: Option<&Text<'_>>) -> io::Result<()> {
        match value {
            Some(v) => self.text(key, v),
            None => {
                self.key(key);
                self.buf.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn opt_str(&mut self, key: &str, value: Option<&str>) -> io::Result<()> {
        match value {
            Some(v) => self.str(key, v),
            None => {
                self.key(key);
                self.buf.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn u64(&mut self, key: &str, value: u64) {
        self.key(key);
        push_u64(self.buf, value);
    }

    fn opt_u64(&mut self, key: &str, value: Option<u64>) {
        match value {
            Some(v) => self.u64(key, v),
            None => {
                self.key(key);
                self.buf.extend_from_slice(b"null");
            }
        }
    }

    /// A finite number as JSON (shortest form that reads back the same); null otherwise.
    fn opt_f64(&mut self, key: &str, value: Option<f64>) -> io::Result<()> {
        self.key(key);
        match value.filter(|v| v.is_finite()) {
            Some(v) => serde_json::to_writer(&mut *self.buf, &v)?,
            None => self.buf.extend_from_slice(b"null"),
        }
        Ok(())
    }

    fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn raw(&mut self, key: &str, value: Option<&RawValue>) {
        self.key(key);
        match value {
            Some(v) => push_compact(self.buf, v.get().as_bytes()),
            None => self.buf.extend_from_slice(b"null"),
        }
    }
}

/// Appends the JSON value `raw` as written, but on one line: a value from a pretty-printed
/// document (Gemini CLI's chat files, exports) has line breaks between its tokens, which are
/// dropped with the whitespace around them. JSON strings hold no raw line break, so a value
/// without one is copied as is.
fn push_compact(buf: &mut Vec<u8>, raw: &[u8]) {
    if memchr::memchr2(b'\n', b'\r', raw).is_none() {
        buf.extend_from_slice(raw);
        return;
    }
    let (mut in_string, mut escaped) = (false, false);
    for &b in raw {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        buf.push(b);
    }
}

/// Appends the decimal digits of `n`.
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::push_compact;

    #[test]
    fn pretty_printed_raw_values_come_out_on_one_line() {
        let pretty = "{\n  \"a\": [1, 2],\n  \"b\": \"x y\\\" \\n z\"\r\n}";
        let mut out = Vec::new();
        push_compact(&mut out, pretty.as_bytes());
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, "{\"a\":[1,2],\"b\":\"x y\\\" \\n z\"}");
        let same: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            same,
            serde_json::from_str::<serde_json::Value>(pretty).unwrap()
        );
        let mut kept = Vec::new();
        push_compact(&mut kept, b"{\"a\": 1}");
        assert_eq!(kept, b"{\"a\": 1}", "a one-line value is copied as written");
    }
}
