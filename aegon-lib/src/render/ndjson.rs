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

use crate::event::{Event, EventKind};
use crate::json::RawJson;
use crate::render::text::result_preview;
use crate::render::{Flow, Renderer};
use crate::session::cost_explained::{CacheTracker, UsageCost};
use crate::session::pricing::Pricing;
use crate::text::Text;
use wide::u8x16;

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
    /// The last input name seen and its JSON string: every event of an input has the same.
    file: (String, Vec<u8>),
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
            file: (String::new(), b"\"\"".to_vec()),
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
        let file = event.source.file;
        if self.file.0 != file {
            self.file.0 = file.to_owned();
            self.file.1.clear();
            push_str(&mut self.file.1, file);
        }
        write_object(&mut self.buf, event, cost.as_ref(), Some(&self.file.1));
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
    write_object(buf, event, cost, None);
    Ok(())
}

/// `,"key":` for a key of the schema (plain ASCII: nothing to escape), as one literal.
macro_rules! k {
    ($key:literal) => {
        concat!(",\"", $key, "\":")
    };
}

/// The start of every object: `{"v":1,"kind":"` ([`SCHEMA_VERSION`] is 1).
const HEAD: &[u8] = b"{\"v\":1,\"kind\":\"";
const _: () = assert!(SCHEMA_VERSION == 1, "HEAD spells the schema version out");

/// Writes the object: every string escaped by [`push_str`] or passed through by
/// [`push_literal`], both of which escape U+2028 and U+2029 as they go (no second pass).
///
/// `file_json` is `event.source.file` already written as a JSON string, when the caller has it.
fn write_object(
    buf: &mut Vec<u8>,
    event: &Event<'_>,
    cost: Option<&UsageCost>,
    file_json: Option<&[u8]>,
) {
    let mut o = Obj { buf };
    o.buf.extend_from_slice(HEAD);
    put(o.buf, event.kind().as_str().as_bytes());
    o.buf.extend_from_slice(b"\",\"agent\":\"");
    put(o.buf, event.agent.as_str().as_bytes());
    o.buf.push(b'"');
    o.opt_str(k!("session_id"), event.session_id.as_deref());
    o.opt_str(k!("timestamp"), event.timestamp.as_deref());
    if let Some(uuid) = &event.uuid {
        o.str(k!("uuid"), uuid);
    }
    if let Some(agent) = &event.agent_id {
        o.str(k!("agent_id"), agent);
    }
    if event.sidechain {
        o.bool(k!("sidechain"), true);
    }
    if event.copied {
        o.bool(k!("copied"), true);
    }
    o.key(k!("source"));
    o.buf.extend_from_slice(b"{\"file\":");
    match file_json {
        Some(json) => put(o.buf, json),
        None => push_str(o.buf, event.source.file),
    }
    o.u64(k!("line"), event.source.line);
    o.u64(k!("offset"), event.source.offset);
    o.buf.push(b'}');
    match &event.kind {
        EventKind::UserPrompt { text }
        | EventKind::UserMeta { text }
        | EventKind::CompactSummary { text } => o.text(k!("text"), text),
        EventKind::Interrupt { text, during_tool } => {
            o.text(k!("text"), text);
            o.bool(k!("during_tool"), *during_tool);
        }
        EventKind::Image {
            media_type,
            data_len,
            ..
        } => {
            o.opt_str(k!("media_type"), media_type.as_deref());
            o.u64(k!("data_len"), *data_len);
        }
        EventKind::AssistantText {
            message_id,
            model,
            text,
        } => {
            o.opt_str(k!("message_id"), message_id.as_deref());
            o.opt_str(k!("model"), model.as_deref());
            o.text(k!("text"), text);
        }
        EventKind::Thinking {
            message_id,
            text,
            redacted,
        } => {
            o.opt_str(k!("message_id"), message_id.as_deref());
            o.text(k!("text"), text);
            o.bool(k!("redacted"), *redacted);
        }
        EventKind::ToolCall {
            message_id,
            tool_use_id,
            tool,
            input,
        } => {
            o.opt_str(k!("message_id"), message_id.as_deref());
            o.opt_str(k!("tool_use_id"), tool_use_id.as_deref());
            o.str(k!("tool"), tool);
            o.raw(k!("input"), *input);
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
            o.opt_str(k!("tool_use_id"), tool_use_id.as_deref());
            o.opt_str(k!("tool"), tool.as_deref());
            o.bool(k!("is_error"), *is_error);
            o.opt_u64(k!("duration_ms"), *duration_ms);
            o.key(k!("preview"));
            match content.and_then(|c| literal_prefix(c.get(), PREVIEW_CHARS)) {
                // A string result: its start, passed through as written.
                Some(start) => {
                    push_literal(o.buf, start.as_bytes(), false);
                    o.buf.push(b'"');
                }
                None => {
                    let preview = content
                        .map(|c| result_preview(c, PREVIEW_CHARS))
                        .unwrap_or_default();
                    push_str(o.buf, &preview);
                }
            }
            o.u64(
                k!("content_bytes"),
                content.map_or(0, |c| c.get().len() as u64),
            );
            o.opt_str(k!("spawned_agent_id"), spawned_agent_id.as_deref());
        }
        EventKind::Usage {
            message_id,
            request_id,
            model,
            tokens,
            increment,
            factors,
            reasoning,
            // An unread usage is said by the line's `malformed` event and a null `cost_usd`;
            // the context and its window are the session's (`--summary`).
            unread: _,
            context: _,
            window: _,
            // Its cost (`cost_usd`) carries the re-pricing (the sessions' cost computes it).
            repriced,
        } => {
            o.opt_str(k!("message_id"), message_id.as_deref());
            o.opt_str(k!("request_id"), request_id.as_deref());
            o.opt_str(k!("model"), model.as_deref());
            o.u64(k!("input"), tokens.input);
            o.u64(k!("output"), tokens.output);
            o.u64(k!("cache_read"), tokens.cache_read);
            // Writes its response's earlier events counted as 5-minute ones that this line
            // says were 1-hour ones move (`tokens::Repriced`): the 5-minute count is then
            // negative, so that summing each field still gives the response's counts.
            let moved = repriced.as_ref().map_or(0, |r| r.moved_to_1h);
            o.i64(
                k!("cache_write_5m"),
                i64::try_from(tokens.cache_write_5m)
                    .unwrap_or(i64::MAX)
                    .saturating_sub(i64::try_from(moved).unwrap_or(i64::MAX)),
            );
            o.u64(
                k!("cache_write_1h"),
                tokens.cache_write_1h.saturating_add(moved),
            );
            o.u64(k!("web_searches"), tokens.web_search);
            o.bool(k!("increment"), *increment);
            o.opt_str(k!("speed"), factors.speed.as_deref());
            o.opt_str(k!("service_tier"), factors.service_tier.as_deref());
            o.opt_str(k!("inference_geo"), factors.inference_geo.as_deref());
            o.u64(k!("prompt_tokens"), factors.prompt_tokens);
            o.opt_u64(k!("reasoning_output"), *reasoning);
            let cache = cost.and_then(|c| c.cache);
            let rebuild = cache.and_then(|c| c.rebuild);
            o.opt_f64(k!("cost_usd"), cost.and_then(|c| c.cost_usd));
            o.opt_f64(k!("cache_hit_ratio"), cache.and_then(|c| c.hit_ratio));
            o.opt_u64(k!("gap_ms"), cache.and_then(|c| c.gap_ms));
            o.opt_str(k!("rebuild"), rebuild.map(|r| r.cause.as_str()));
            o.opt_u64(k!("rebuild_tokens"), rebuild.map(|r| r.tokens));
            o.opt_f64(k!("rebuild_cost_usd"), rebuild.and_then(|r| r.cost_usd));
        }
        EventKind::System {
            subtype,
            level,
            text,
            duration_ms,
        } => {
            o.opt_str(k!("subtype"), subtype.as_deref());
            o.opt_str(k!("level"), level.as_deref());
            o.opt_text(k!("text"), text.as_ref());
            o.opt_u64(k!("duration_ms"), *duration_ms);
        }
        EventKind::Compact {
            trigger,
            pre_tokens,
            post_tokens,
        } => {
            o.opt_str(k!("trigger"), trigger.as_deref());
            o.opt_u64(k!("pre_tokens"), *pre_tokens);
            o.opt_u64(k!("post_tokens"), *post_tokens);
        }
        EventKind::ApiError {
            status,
            text,
            retry_attempt,
            max_retries,
            retry_in_ms,
            fatal,
        } => {
            o.opt_u64(k!("status"), *status);
            o.opt_str(k!("text"), text.as_deref());
            o.opt_u64(k!("retry_attempt"), *retry_attempt);
            o.opt_u64(k!("max_retries"), *max_retries);
            o.opt_u64(k!("retry_in_ms"), *retry_in_ms);
            o.bool(k!("fatal"), *fatal);
        }
        EventKind::Title {
            title,
            source,
            leaf_uuid,
        } => {
            o.str(k!("title"), title);
            o.str(k!("title_source"), source.as_str());
            o.opt_str(k!("leaf_uuid"), leaf_uuid.as_deref());
        }
        EventKind::Progress {
            data_type,
            tool_use_id,
            parent_tool_use_id,
            ..
        } => {
            o.opt_str(k!("data_type"), data_type.as_deref());
            o.opt_str(k!("tool_use_id"), tool_use_id.as_deref());
            o.opt_str(k!("parent_tool_use_id"), parent_tool_use_id.as_deref());
        }
        EventKind::Attachment { attachment_type } => {
            o.opt_str(k!("attachment_type"), attachment_type.as_deref());
        }
        EventKind::FileSnapshot {
            message_id,
            files,
            update,
        } => {
            o.opt_str(k!("message_id"), message_id.as_deref());
            o.u64(k!("files"), *files);
            o.bool(k!("update"), *update);
        }
        EventKind::Queue { operation, text } => {
            o.opt_str(k!("operation"), operation.as_deref());
            o.opt_text(k!("text"), text.as_ref());
        }
        EventKind::LastPrompt { text, leaf_uuid } => {
            o.opt_str(k!("text"), text.as_deref());
            o.opt_str(k!("leaf_uuid"), leaf_uuid.as_deref());
        }
        EventKind::Mode { mode } | EventKind::PermissionMode { mode } => o.str(k!("mode"), mode),
        EventKind::PrLink {
            number,
            url,
            repository,
        } => {
            o.opt_u64(k!("number"), *number);
            o.opt_str(k!("url"), url.as_deref());
            o.opt_str(k!("repository"), repository.as_deref());
        }
        EventKind::Unknown {
            record_type,
            block_type,
        } => {
            o.opt_str(k!("record_type"), record_type.as_deref());
            o.opt_str(k!("block_type"), block_type.as_deref());
        }
        EventKind::Malformed(m) => {
            o.str(k!("reason"), m.reason.as_str());
            o.str(k!("message"), &m.message);
            o.u64(k!("error_offset"), m.error_offset);
            o.u64(k!("len"), m.len);
            o.bool(k!("recovered"), m.recovered);
        }
    }
    o.buf.extend_from_slice(b"}\n");
}

/// Writes `,"key":value` pairs into an object being built; `key` is the framed `,"name":`
/// (the [`k!`] macro).
///
/// The string, text and raw-value writers are out of line (`#[inline(never)]`): inlined into
/// every field of every kind they made `write_object` 82 KB of code, larger than the 32 KiB
/// instruction cache the whole per-line path shares; out of line it is 34 KB, and callgrind's
/// cache model counts 14% fewer instruction-cache misses for `--ndjson` (issue 14, bench/filter.sh).
/// Numbers, booleans and keys stay inline (a few instructions each).
struct Obj<'b> {
    buf: &'b mut Vec<u8>,
}

impl Obj<'_> {
    #[inline(always)]
    fn key(&mut self, key: &str) {
        self.buf.extend_from_slice(key.as_bytes());
    }

    #[inline(always)]
    fn null(&mut self, key: &str) {
        self.key(key);
        self.buf.extend_from_slice(b"null");
    }

    #[inline(never)]
    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        push_str(self.buf, value);
    }

    #[inline(never)]
    fn text(&mut self, key: &str, value: &Text<'_>) {
        self.key(key);
        push_text(self.buf, value);
    }

    #[inline(never)]
    fn opt_text(&mut self, key: &str, value: Option<&Text<'_>>) {
        match value {
            Some(v) => self.text(key, v),
            None => self.null(key),
        }
    }

    #[inline(never)]
    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    #[inline(always)]
    fn u64(&mut self, key: &str, value: u64) {
        self.key(key);
        push_u64(self.buf, value);
    }

    fn i64(&mut self, key: &str, value: i64) {
        match u64::try_from(value) {
            Ok(v) => self.u64(key, v),
            Err(_) => {
                self.key(key);
                self.buf.push(b'-');
                push_u64(self.buf, value.unsigned_abs());
            }
        }
    }

    #[inline(always)]
    fn opt_u64(&mut self, key: &str, value: Option<u64>) {
        match value {
            Some(v) => self.u64(key, v),
            None => self.null(key),
        }
    }

    /// A finite number as JSON (shortest form that reads back the same, as serde_json writes
    /// it: both use `ryu`); null otherwise.
    fn opt_f64(&mut self, key: &str, value: Option<f64>) {
        match value.filter(|v| v.is_finite()) {
            Some(v) => {
                self.key(key);
                // serde_json's own float writer (`zmij`, shortest form that reads back the
                // same), called directly.
                put(self.buf, zmij::Buffer::new().format_finite(v).as_bytes());
            }
            None => self.null(key),
        }
    }

    /// `true` or `false` without a branch: five bytes written, the last dropped for `true`.
    #[inline(always)]
    fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        const WORDS: [[u8; 5]; 2] = [*b"false", *b"true "];
        self.buf.extend_from_slice(&WORDS[usize::from(value)]);
        self.buf.truncate(self.buf.len() - usize::from(value));
    }

    #[inline(never)]
    fn raw(&mut self, key: &str, value: Option<RawJson<'_>>) {
        self.key(key);
        match value {
            Some(v) => push_compact(self.buf, v.get().as_bytes()),
            None => self.buf.extend_from_slice(b"null"),
        }
    }
}

/// Appends transcript text as a JSON string: a literal as written is passed through
/// ([`push_literal`]) unless it holds `\u` (re-encoded so a lone surrogate cannot reach the
/// output, as [`Text::write_json`] does); decoded text is escaped ([`push_str`]).
fn push_text(buf: &mut Vec<u8>, text: &Text<'_>) {
    match text {
        Text::Json(raw) if push_literal(buf, raw.as_bytes(), true) => {}
        other => push_str(buf, &other.to_str()),
    }
}

/// Appends `raw`, JSON text as written (a string literal or any value), with U+2028 and U+2029
/// escaped ([`crate::render::escape_line_separators`]'s rule). With `refuse_u` it instead
/// appends nothing and returns false when `raw` holds the two bytes `\u` anywhere (the test
/// [`Text::write_json`] makes before passing a literal through).
///
/// Each test is one search of the whole text (memchr's SIMD searches: `\u` by a `memmem`
/// finder built once, 0xE2 by `memchr`), not a search resumed at every backslash: texts hold
/// many `\n`, and each resumed search was a call and a mispredicted branch or two.
fn push_literal(buf: &mut Vec<u8>, raw: &[u8], refuse_u: bool) -> bool {
    if refuse_u && backslash_u().find(raw).is_some() {
        return false;
    }
    push_scanned(buf, raw);
    true
}

/// A `memmem` finder of the two bytes `\u`, built once.
fn backslash_u() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(b"\\u"))
}

/// Appends `raw` with U+2028 and U+2029 escaped, as [`push_literal`] does: copied whole (by
/// [`put`]) when it holds no 0xE2, their lead byte.
fn push_scanned(buf: &mut Vec<u8>, raw: &[u8]) {
    let Some(first) = memchr::memchr(0xE2, raw) else {
        put(buf, raw);
        return;
    };
    let mut copied = 0;
    for at in memchr::memchr_iter(0xE2, &raw[first..]).map(|at| at + first) {
        if raw.get(at + 1) == Some(&0x80) && matches!(raw.get(at + 2), Some(0xA8 | 0xA9)) {
            buf.extend_from_slice(&raw[copied..at]);
            buf.extend_from_slice(if raw[at + 2] == 0xA8 {
                b"\\u2028"
            } else {
                b"\\u2029"
            });
            copied = at + 3;
        }
    }
    buf.extend_from_slice(&raw[copied..]);
}

/// Sixteen bytes of `s` from `at` (`at + 16 <= s.len()`, or this panics: callers check).
#[inline(always)]
fn bytes16(s: &[u8], at: usize) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&s[at..at + 16]);
    a
}

/// Eight bytes of `s` from `at` (`at + 8 <= s.len()`, or this panics: callers check).
#[inline(always)]
fn bytes8(s: &[u8], at: usize) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(&s[at..at + 8]);
    a
}

/// Appends `s` to `buf` as `extend_from_slice` does, but a slice of 4 to 64 bytes by copies of
/// a fixed size (the compiler writes them as one or two moves each, in line) instead of a call
/// to `memcpy`, whose size-class branches, shared by every caller, mispredict about once a call
/// when lengths vary (ids, timestamps, names, numbers). The last piece overlaps the one before
/// it: the bytes written past the end are dropped (`truncate`) and written again by the last
/// piece. Inlined, so each caller's branches are its own.
#[inline(always)]
fn put(buf: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    let start = buf.len();
    if n >= 16 {
        if n > 64 {
            buf.extend_from_slice(s);
            return;
        }
        let mut at = 0;
        while at + 16 <= n {
            buf.extend_from_slice(&bytes16(s, at));
            at += 16;
        }
        if at < n {
            buf.truncate(start + n - 16);
            buf.extend_from_slice(&bytes16(s, n - 16));
        }
    } else if n >= 8 {
        buf.extend_from_slice(&bytes8(s, 0));
        buf.truncate(start + n - 8);
        buf.extend_from_slice(&bytes8(s, n - 8));
    } else if n >= 4 {
        buf.extend_from_slice(&s[..4]);
        buf.truncate(start + n - 4);
        buf.extend_from_slice(&s[n - 4..]);
    } else {
        for &b in s {
            buf.push(b);
        }
    }
}

/// Repeats a byte in every lane of a word (for the eight-bytes-at-a-time scan of [`push_str`]).
const fn lanes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Whether any byte of the word (eight bytes of a string) must be escaped or looked at: a
/// control character (below 0x20), `"`, `\`, or 0xE2 (the lead byte of U+2028 and U+2029).
/// The classic SWAR tests: `(x - 0x01..) & !x & 0x80..` is non-zero exactly when a byte of `x` is
/// zero, and `(x - n..) & !x & 0x80..` when a byte is below `n` (for `n` ≤ 0x80).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    const LO: u64 = lanes(0x01);
    const HI: u64 = lanes(0x80);
    let zero = |x: u64| x.wrapping_sub(LO) & !x;
    let control = w.wrapping_sub(lanes(0x20)) & !w;
    let quote = zero(w ^ lanes(b'"'));
    let backslash = zero(w ^ lanes(b'\\'));
    let e2 = zero(w ^ lanes(0xE2));
    (control | quote | backslash | e2) & HI != 0
}

/// Whether any of the sixteen bytes of `chunk` is one [`word_needs_escape`] looks for (a
/// control character, `"`, `\`, 0xE2), with SIMD compares (the `wide` crate, as the scanner
/// and the validator use it: SSE2 on x86-64, NEON on AArch64). `x = byte ^ 2` turns `"` into
/// 0x20 and keeps control characters below 0x20, and no other byte at or below 0x20, so
/// `min(x, 0x20) == x` finds both (the validator's test).
#[inline(always)]
fn chunk_needs_escape(chunk: [u8; 16]) -> bool {
    let v = u8x16::new(chunk);
    let x = v ^ u8x16::splat(2);
    let quote_or_control = x.min(u8x16::splat(0x20)).cmp_eq(x);
    let special = quote_or_control | v.cmp_eq(u8x16::splat(b'\\')) | v.cmp_eq(u8x16::splat(0xE2));
    special.move_mask() != 0
}

/// The eight bytes of `chunk` (exactly eight) as a word.
#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_ne_bytes(w)
}

/// [`raw_prefix`] (the start of a JSON string literal, up to `max_chars` characters, or `None`
/// when a `\u` escape comes first), with runs free of `"` and `\` counted a word at a time:
/// characters are the bytes that are not UTF-8 continuation bytes.
fn literal_prefix(raw: &str, max_chars: usize) -> Option<&str> {
    const LO7: u64 = lanes(0x7F);
    let b = raw.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let (mut i, mut count) = (1, 0);
    while i < b.len() {
        if count >= max_chars {
            // The last character counted may have continuation bytes: they belong to it.
            while b.get(i).is_some_and(|&c| c & 0xC0 == 0x80) {
                i += 1;
            }
            break;
        }
        if count + 8 <= max_chars {
            if let Some(chunk) = b.get(i..i + 8) {
                let w = word(chunk);
                let quote = (w ^ lanes(b'"')).wrapping_sub(lanes(0x01)) & !(w ^ lanes(b'"'));
                let backslash = (w ^ lanes(b'\\')).wrapping_sub(lanes(0x01)) & !(w ^ lanes(b'\\'));
                if (quote | backslash) & lanes(0x80) == 0 {
                    // Continuation bytes are 10xxxxxx: zero after masking with 0xC0 and
                    // flipping 0x80. Exact zero-byte mask, then count.
                    let y = (w & lanes(0xC0)) ^ lanes(0x80);
                    let zero = !(((y & LO7).wrapping_add(LO7)) | y | LO7);
                    count += 8 - zero.count_ones() as usize;
                    i += 8;
                    continue;
                }
            }
        }
        match b[i] {
            b'"' => break,
            b'\\' => {
                if b.get(i + 1) == Some(&b'u') {
                    return None;
                }
                i += 2;
                count += 1;
            }
            c if c & 0xC0 == 0x80 => i += 1,
            _ => {
                i += 1;
                count += 1;
            }
        }
    }
    raw.get(..i.min(b.len()))
}

/// Lower-case hexadecimal digits, as serde_json writes `\u00XX` escapes.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string literal, byte for byte as `serde_json` writes it (`\"`, `\\`,
/// `\b \t \n \f \r`, other control characters as `\u00XX`; everything else as is), and U+2028
/// and U+2029 as `\u2028` and `\u2029`.
///
/// Most strings (ids, timestamps, names, paths) need no escape: they are tested and copied in
/// the same pass, sixteen bytes at a time with SIMD ([`chunk_needs_escape`]) from 16 bytes on,
/// the last chunk overlapping the one before (see [`put`]); from 4 to 15 bytes as two
/// overlapping words ([`word_needs_escape`]). Inlined, so each field's branches are its own.
/// The first chunk that needs an escape, and strings under 4 bytes, go to [`push_str_from`].
#[inline(always)]
fn push_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    buf.push(b'"');
    let start = buf.len();
    if n >= 16 {
        let mut at = 0;
        while at + 16 <= n {
            let chunk = bytes16(bytes, at);
            if chunk_needs_escape(chunk) {
                return push_str_from(buf, bytes, at);
            }
            buf.extend_from_slice(&chunk);
            at += 16;
        }
        if at < n {
            let chunk = bytes16(bytes, n - 16);
            if chunk_needs_escape(chunk) {
                return push_str_from(buf, bytes, at);
            }
            buf.truncate(start + n - 16);
            buf.extend_from_slice(&chunk);
        }
    } else if n >= 4 {
        // Two overlapping pieces of 8 (or 4, doubled into a word) bytes.
        let (first, last) = if n >= 8 {
            (bytes8(bytes, 0), bytes8(bytes, n - 8))
        } else {
            let mut w = [0u8; 8];
            w[..4].copy_from_slice(&bytes[..4]);
            w[4..].copy_from_slice(&bytes[n - 4..]);
            (w, w)
        };
        if word_needs_escape(u64::from_ne_bytes(first))
            | word_needs_escape(u64::from_ne_bytes(last))
        {
            return push_str_from(buf, bytes, 0);
        }
        if n >= 8 {
            buf.extend_from_slice(&first);
            buf.truncate(start + n - 8);
            buf.extend_from_slice(&last);
        } else {
            buf.extend_from_slice(&first[..4]);
            buf.truncate(start + n - 4);
            buf.extend_from_slice(&first[4..]);
        }
    } else {
        return push_str_from(buf, bytes, 0);
    }
    buf.push(b'"');
}

/// The rest of [`push_str`]: `bytes[from..]` escaped byte by byte (runs needing no escape
/// skipped eight bytes at a time and copied whole), then the closing quote; `bytes[..from]`
/// are already in `buf`.
#[inline(never)]
fn push_str_from(buf: &mut Vec<u8>, bytes: &[u8], from: usize) {
    buf.reserve(bytes.len() - from + 1);
    let mut copied = from;
    let mut i = from;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            if !word_needs_escape(u64::from_ne_bytes(w)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0A => b"\\n",
            0x0C => b"\\f",
            0x0D => b"\\r",
            0x00..=0x1F => {
                buf.extend_from_slice(&bytes[copied..i]);
                let hex = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xF)],
                ];
                buf.extend_from_slice(&hex);
                i += 1;
                copied = i;
                continue;
            }
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                buf.extend_from_slice(&bytes[copied..i]);
                buf.extend_from_slice(if bytes[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                copied = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        buf.extend_from_slice(&bytes[copied..i]);
        buf.extend_from_slice(escape);
        i += 1;
        copied = i;
    }
    buf.extend_from_slice(&bytes[copied..]);
    buf.push(b'"');
}

/// Appends the JSON value `raw` as written, but on one line: a value from a pretty-printed
/// document (Gemini CLI's chat files, exports) has line breaks between its tokens, which are
/// dropped with the whitespace around them. JSON strings hold no raw line break, so a value
/// without one is copied as is.
fn push_compact(buf: &mut Vec<u8>, raw: &[u8]) {
    if memchr::memchr2(b'\n', b'\r', raw).is_none() {
        push_scanned(buf, raw);
        return;
    }
    let from = buf.len();
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
    crate::render::escape_line_separators(buf, from);
}

/// `10^k` for `k` in `0..=8` (for [`digit_count`]).
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The two decimal digits of each number under 100, as serde_json's `itoa` keeps them.
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Decimal digits of `n` (1 to 8: `n` under 10⁸), without a branch: the bit length times
/// log₁₀ 2 (1233 / 4096) is the digit count or one more, which a power of ten settles
/// (Sean Anderson's "Bit Twiddling Hacks", IntegerLog10).
#[inline(always)]
fn digit_count(n: u64) -> usize {
    let n = n | 1; // same count; 0 is written as one digit
    let bits = 64 - n.leading_zeros() as usize; // 1..=27
    let t = (bits * 1233) >> 12; // 0..=8
    t + 1 - usize::from(n < POW10[t])
}

/// Appends the decimal digits of `n`, as serde_json (`itoa`) writes them. Under 10⁸ (line
/// numbers, offsets, token counts: nearly every number written) without a branch on the value:
/// eight digits from four two-digit pairs, shifted so that the first significant one leads,
/// written as one word and cut to [`digit_count`]. `itoa` from 10⁸ on.
#[inline(always)]
fn push_u64(buf: &mut Vec<u8>, n: u64) {
    if n >= POW10[8] {
        put(buf, itoa::Buffer::new().format(n).as_bytes());
        return;
    }
    let (high, low) = ((n / 10_000) as usize, (n % 10_000) as usize);
    let [a, b] = DIGIT_PAIRS[high / 100];
    let [c, d] = DIGIT_PAIRS[high % 100];
    let [e, f] = DIGIT_PAIRS[low / 100];
    let [g, h] = DIGIT_PAIRS[low % 100];
    let count = digit_count(n);
    let digits = u64::from_be_bytes([a, b, c, d, e, f, g, h]) << (8 * (8 - count));
    buf.extend_from_slice(&digits.to_be_bytes());
    buf.truncate(buf.len() - (8 - count));
}

#[cfg(test)]
mod tests {
    use super::{
        literal_prefix, push_compact, push_literal, push_str, push_text, push_u64, put, write_event,
    };
    use crate::event::{Event, EventKind};
    use crate::render::{escape_line_separators, Flow, Renderer};
    use crate::text::raw_prefix;
    use crate::text::Text;
    use crate::{Options, Pipeline};
    use proptest::prelude::*;
    use std::ops::ControlFlow;

    /// The right value for a string: serde_json's own serialization, line separators escaped
    /// as every JSON writer of aegon does.
    fn serde_str(s: &str) -> Vec<u8> {
        let mut out = serde_json::to_vec(s).unwrap();
        escape_line_separators(&mut out, 0);
        out
    }

    /// The right value for transcript text: `Text::write_json` (serde_json for decoded or
    /// re-encoded text), line separators escaped.
    fn serde_text(t: &Text<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        t.write_json(&mut out).unwrap();
        escape_line_separators(&mut out, 0);
        out
    }

    fn ours(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        push_str(&mut out, s);
        out
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        let mut edges = vec![0, u64::MAX, u64::MAX - 1];
        for k in 0..20 {
            let p = 10u64.pow(k);
            edges.extend([p - 1, p, p + 1, p.saturating_mul(5), p.saturating_mul(9)]);
        }
        // Every bit length, at and around each power of two.
        for bit in 0..64 {
            let p = 1u64 << bit;
            edges.extend([p - 1, p, p + 1]);
        }
        for n in edges {
            let mut buf = b"x".to_vec();
            push_u64(&mut buf, n);
            assert_eq!(buf[1..], serde_json::to_vec(&n).unwrap(), "{n}");
        }
    }

    #[test]
    fn a_byte_to_escape_is_found_at_any_place_of_a_long_string() {
        // Strings of 16 bytes and more are tested sixteen bytes at a time, the last chunk
        // overlapping, and from 4 to 15 bytes as two overlapping words: every place of every
        // chunk and word, and the bytes next to the special ones.
        let specials = [
            "\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{2028}", "\u{2029}", " ", "!", "#", "\u{7f}",
            "é", "\u{2027}",
        ];
        for len in 0..70 {
            for at in 0..len {
                for special in specials {
                    let s = format!("{}{special}{}", "a".repeat(at), "b".repeat(len - at));
                    assert_eq!(ours(&s), serde_str(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn put_appends_as_extend_from_slice_does() {
        let source: Vec<u8> = (0..200u8).map(|b| b.wrapping_mul(37)).collect();
        for before in [0, 1, 3, 17] {
            for len in 0..source.len() {
                for from in [0, 1, 5] {
                    let s = &source[from..(from + len).min(source.len())];
                    let mut ours = vec![b'x'; before];
                    put(&mut ours, s);
                    let mut want = vec![b'x'; before];
                    want.extend_from_slice(s);
                    assert_eq!(ours, want, "before {before}, len {len}, from {from}");
                }
            }
        }
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them() {
        // Costs and ratios as the tracker computes them, and the edges of the shortest form.
        let values = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1.0 / 3.0,
            2.0 / 3.0,
            0.000_015,
            3.75e-6,
            1e-7,
            1e21,
            1e22,
            123_456_789.125,
            f64::MIN_POSITIVE,
            f64::MAX,
            5e-324,
            0.3 * 3.0,
        ];
        for v in values {
            let mut line = Vec::new();
            let mut o = super::Obj { buf: &mut line };
            o.opt_f64(",\"x\":", Some(v));
            o.opt_f64(",\"y\":", Some(f64::NAN));
            let want = format!(",\"x\":{},\"y\":null", serde_json::to_string(&v).unwrap());
            assert_eq!(String::from_utf8(line).unwrap(), want);
        }
    }

    #[test]
    fn booleans_are_written_as_serde_json_writes_them() {
        for v in [true, false, true] {
            let mut line = b"[".to_vec();
            let mut o = super::Obj { buf: &mut line };
            o.bool(",\"b\":", v);
            o.bool(",\"n\":", !v);
            assert_eq!(
                String::from_utf8(line).unwrap(),
                format!("[,\"b\":{v},\"n\":{}", !v)
            );
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every_char: String = (0u8..0x80).map(char::from).collect();
        every_char.push_str("\u{80}\u{9f}é日本😀\u{2027}\u{2028}\u{2029}\u{202a}\u{fffd}");
        let cases = [
            "",
            "plain",
            "exactly8",
            "\u{2028}",
            "a\u{2029}",
            "\u{1b}[31mred\u{1b}[0m",
            "tab\tnew\nline\r\u{c}\u{8}\u{0}\u{7f}",
            "quote \" and back \\ slash at the end\\",
            "ends in a separator after eight bytes\u{2028}",
            "\u{e2}\u{80}", // the characters, not the bytes
            every_char.as_str(),
        ];
        for s in cases {
            assert_eq!(ours(s), serde_str(s), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn any_integer_is_written_as_serde_json_writes_it(n in any::<u64>(), small in 0u64..200_000_000) {
            for v in [n, small, n >> (n % 64)] {
                let mut buf = b"x".to_vec();
                push_u64(&mut buf, v);
                prop_assert_eq!(&buf[1..], &serde_json::to_vec(&v).unwrap()[..]);
            }
        }

        #[test]
        fn literals_pass_through_with_separators_escaped(s in any::<String>(), seps in "[\u{2028}\u{2029}a\u{2027}é]{0,6}") {
            // A string literal as serde_json writes it, raw separators put in: passed through
            // with only the separators escaped, and not at all when it holds `\u`.
            let mut literal = String::from_utf8(serde_json::to_vec(&s).unwrap()).unwrap();
            literal.insert_str(1, &seps);
            let mut out = Vec::new();
            let passed = push_literal(&mut out, literal.as_bytes(), true);
            prop_assert_eq!(passed, !literal.contains("\\u"));
            if passed {
                let mut want = literal.clone().into_bytes();
                escape_line_separators(&mut want, 0);
                prop_assert_eq!(&out, &want);
            } else {
                prop_assert!(out.is_empty());
            }
        }

        #[test]
        fn literal_prefixes_agree_with_raw_prefix(s in "[a-z é日😀\"\\\\\n\u{1}]{0,80}", max in 0usize..40, odd in 0usize..5) {
            let mut literal = String::from_utf8(serde_json::to_vec(&s).unwrap()).unwrap();
            let extra = ["\\ud800", "\\n", "é日本😀", "\\\\u", ""][odd];
            literal.insert_str(1, extra);
            prop_assert_eq!(literal_prefix(&literal, max), raw_prefix(&literal, max));
        }

        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in any::<String>()) {
            prop_assert_eq!(ours(&s), serde_str(&s));
        }

        #[test]
        fn strings_of_awkward_characters(chars in proptest::collection::vec(
            prop_oneof![
                (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
                Just('"'), Just('\\'), Just('a'), Just('\u{7f}'), Just('é'),
                Just('\u{2028}'), Just('\u{2029}'), Just('\u{2027}'), Just('\u{20ac}'),
                Just('😀'),
            ],
            0..40,
        )) {
            let s: String = chars.into_iter().collect();
            prop_assert_eq!(ours(&s), serde_str(&s));
        }

        #[test]
        fn literals_pass_through_or_are_reencoded_as_before(s in any::<String>(), odd in 0usize..6) {
            // A literal as a transcript writes it, with an escape serde_json would not write.
            let mut literal = String::from_utf8(serde_json::to_vec(&s).unwrap()).unwrap();
            let extra = ["\\ud800", "\\u2028", "\u{2028}", "\\/", "\\\\u", ""][odd];
            literal.insert_str(1, extra);
            let text = Text::Json(&literal);
            let mut out = Vec::new();
            push_text(&mut out, &text);
            prop_assert_eq!(&out, &serde_text(&text));
            let back: String = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(back, text.to_str().into_owned());
        }
    }

    /// Checks each event's line against serde_json: valid JSON on one line, no raw line
    /// separator, and every string field and text byte for byte as serde_json (or
    /// `Text::write_json`) writes it.
    #[derive(Default)]
    struct Check {
        events: usize,
        texts: usize,
    }

    impl Renderer for Check {
        fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
            let mut line = Vec::new();
            write_event(&mut line, event)?;
            let text = String::from_utf8(line.clone()).expect("UTF-8");
            assert_eq!(text.find('\n'), Some(text.len() - 1), "{text}");
            assert!(!text.contains(['\u{2028}', '\u{2029}']), "{text}");
            let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(value["source"]["file"], event.source.file);
            let field = |key: &str, json: Vec<u8>| {
                let mut want = format!("\"{key}\":").into_bytes();
                want.extend_from_slice(&json);
                assert!(
                    line.windows(want.len()).any(|w| w == want.as_slice()),
                    "{key}: want {} in {text}",
                    String::from_utf8_lossy(&want)
                );
            };
            field("file", serde_str(event.source.file));
            for (key, v) in [
                ("session_id", &event.session_id),
                ("timestamp", &event.timestamp),
                ("uuid", &event.uuid),
                ("agent_id", &event.agent_id),
            ] {
                if let Some(v) = v {
                    field(key, serde_str(v));
                }
            }
            match &event.kind {
                EventKind::UserPrompt { text }
                | EventKind::UserMeta { text }
                | EventKind::CompactSummary { text }
                | EventKind::Interrupt { text, .. }
                | EventKind::AssistantText { text, .. }
                | EventKind::Thinking { text, .. }
                | EventKind::System {
                    text: Some(text), ..
                }
                | EventKind::Queue {
                    text: Some(text), ..
                } => {
                    field("text", serde_text(text));
                    assert_eq!(value["text"], *text.to_str());
                    self.texts += 1;
                }
                EventKind::ToolCall { tool, .. } => field("tool", serde_str(tool)),
                EventKind::ToolResult {
                    content: Some(c), ..
                } => {
                    for max in [0, 1, 7, 8, 9, 63, 400] {
                        assert_eq!(literal_prefix(c.get(), max), raw_prefix(c.get(), max));
                    }
                }
                _ => {}
            }
            self.events += 1;
            Ok(ControlFlow::Continue(()))
        }
    }

    fn check_files(paths: impl IntoIterator<Item = std::path::PathBuf>) -> Check {
        let mut pipeline = Pipeline::new(Options::default(), Check::default());
        for path in paths {
            let file = std::fs::File::open(&path).unwrap();
            let name = path.display().to_string();
            assert!(pipeline.read_to_end(&name, file).is_ok(), "{name}");
        }
        pipeline.finish().unwrap().0
    }

    fn jsonl_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                jsonl_under(&path, out);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }

    #[test]
    fn real_events_are_written_as_serde_json_writes_them() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut paths = Vec::new();
        for dir in ["corpus", "bugs", "agents"] {
            jsonl_under(&fixtures.join(dir), &mut paths);
        }
        paths.sort();
        let check = check_files(paths);
        assert!(check.events > 5_000, "{} events", check.events);
        assert!(check.texts > 1_000, "{} texts", check.texts);
    }

    #[test]
    fn odd_strings_come_out_as_valid_json() {
        // Control characters, lone surrogates (replaced), escaped and raw line separators,
        // escaped slashes and a backslash before `u`, in every field that holds text.
        let dir = crate::temp_dir::temp_dir("ndjson-odd");
        let path = dir.join("odd\u{2028}name \"q\".jsonl");
        let odd =
            r#"a\u0000\u001b[1m\ud800 \udc00x\ud83d\ude00 \u2028\u2029 \/ C:\\users \"q\" \t"#;
        let (ls, ps) = ('\u{2028}', '\u{2029}');
        let lines = [
            format!(
                r#"{{"type":"user","sessionId":"s{odd}","uuid":"u1","timestamp":"t{odd}","message":{{"role":"user","content":"{odd}{ls}raw"}}}}"#
            ),
            format!(
                r#"{{"type":"assistant","sessionId":"s","uuid":"u2","message":{{"id":"m{odd}","role":"assistant","model":"x","content":[{{"type":"text","text":"{odd}"}},{{"type":"tool_use","id":"t{odd}","name":"B{odd}","input":{{"command":"{odd}{ps}"}}}}]}}}}"#
            ),
            format!(
                r#"{{"type":"user","sessionId":"s","uuid":"u3","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":"{odd}{ls}"}}]}}}}"#
            ),
            format!(r#"{{"type":"system","subtype":"x{odd}","content":"{odd}","uuid":"u4"}}"#),
            format!(r#"{{"type":"summary","summary":"{odd}","leafUuid":"l{odd}"}}"#),
            format!("{{\"type\":\"user\",\"message\":\"{ls}{odd}"),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let check = check_files([path]);
        assert!(check.events >= 6, "{} events", check.events);
        assert!(check.texts >= 3, "{} texts", check.texts);
    }

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
