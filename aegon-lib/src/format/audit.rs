//! `aegon audit`: what the transcripts of each format hold, against what aegon knows of it —
//! what a user or a contributor runs when an agent update changes its format.
//!
//! Each input is read line by line as the pipeline reads it ([`LineSplitter`], then the
//! format's [`Decoder`], which tells the format from the content and reports unknown kinds and
//! malformed lines as events), and each record is also parsed as a [`serde_json::Value`] and
//! measured with its format's [`Profile`]:
//!
//! - **record kinds** ([`Profile::record_kind`]) and **content block kinds**
//!   ([`Profile::block_kinds`]), with counts;
//! - **key paths**: every key of the record, as a path of at most [`MAX_DEPTH`] keys joined
//!   with `.`, an array's elements written `[]` (`message.content[].type`,
//!   `message.usage.cache_creation.ephemeral_1h_input_tokens`); a path that is not in the
//!   format's known list ([`Profile::known_fields`]) is **new**;
//! - **unknown kinds**: what the decoder turned into [`EventKind::Unknown`] events
//!   (`record_type`, or `record_type/block_type` for a block);
//! - **malformed lines** by [`MalformedReason`], with the first [`EXAMPLES`] places
//!   (`file:line:offset`, the offset of the problem in bytes from the start of the input);
//! - **versions** of the agent ([`Profile::cli_version`]): a record that names no version
//!   belongs to the last version named before it in its input (Codex CLI names it once, in
//!   `session_meta`); per version, the records and the first and last [`Profile::timestamp`].
//!
//! A JSON document (a pretty-printed chat file, an export) is gathered by the decoder; at its
//! end its records ([`Profile::records`]) are measured as above, each placed at the line where
//! the document starts.
//!
//! ## Known fields
//!
//! A format's known list is a text file in its folder (`format/claude/known_fields.txt`): one
//! key path a line, sorted; blank lines and lines starting with `#` are comments. A line
//! ending in `.*` (`message.content[].input.*`) marks the keys below that path as data, not
//! format (tool inputs, file paths used as keys): they are not walked. `aegon audit
//! --write-known FORMAT PATH…` prints the list extended with every path seen in `PATH…`
//! ([`Audit::known_list`]).
//!
//! ## Adding a format
//!
//! One line in [`PROFILES`]: the format, its `record_kind` and `cli_version` functions and its
//! known list (`None` until one is generated: fields are then not checked), with
//! `.blocks(…)`, `.timestamp(…)` or `.records(…)` where the defaults
//! ([`Profile::generic`]) do not fit. A format not in the table is audited with the defaults.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read};
use std::ops::ControlFlow;

use serde_json::{json, Value};

use super::{claude, codex, copilot, gemini, opencode, qwen, sniff_document, Decoder, Format};
use crate::event::{Event, EventKind, MalformedReason};
use crate::source::lines::{Line, LineItem, LineSplitter};

/// The longest key path walked: the top-level key and three levels below it.
pub const MAX_DEPTH: usize = 4;

/// Places kept per malformed reason.
pub const EXAMPLES: usize = 5;

/// Version of the JSON object [`Audit::to_json`] writes (`v`; `schemas/audit.v1.schema.json`).
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// How `aegon audit` measures one format's records: a table of functions, one row per format
/// in [`PROFILES`].
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The format.
    pub format: Format,
    /// The record's kind as the format names it (`assistant`, `system/turn_duration`,
    /// `event_msg/token_count`); `None` when it has none (counted as `(none)`).
    pub record_kind: fn(&Value) -> Option<String>,
    /// The kinds of the blocks a record holds (`assistant/tool_use`); default: none.
    pub block_kinds: fn(&Value) -> Vec<String>,
    /// The agent version the record names, if any.
    pub cli_version: fn(&Value) -> Option<String>,
    /// When the record was written, RFC 3339 (as written, or made from the format's epoch
    /// milliseconds); default: a top-level string `timestamp`.
    pub timestamp: fn(&Value) -> Option<Cow<'_, str>>,
    /// The records of a JSON document of this format; default ([`document_records`]): a
    /// top-level array's elements, else the document itself, then its `messages[]` each
    /// followed by its `parts[]`.
    pub records: fn(&Value) -> Vec<&Value>,
    /// The known key paths (see the [module documentation](self)); `None`: not checked.
    pub known_fields: Option<&'static str>,
}

impl Profile {
    /// A format's profile with its kind and version functions and known list; the other hooks
    /// are the defaults.
    pub const fn new(
        format: Format,
        record_kind: fn(&Value) -> Option<String>,
        cli_version: fn(&Value) -> Option<String>,
        known_fields: Option<&'static str>,
    ) -> Profile {
        Profile {
            format,
            record_kind,
            block_kinds: no_blocks,
            cli_version,
            timestamp: top_level_timestamp,
            records: document_records,
            known_fields,
        }
    }

    /// The profile of a format with no row in [`PROFILES`]: the top-level `type` is the kind,
    /// `version` the version, `timestamp` the time; fields are not checked.
    pub const fn generic(format: Format) -> Profile {
        Profile::new(format, top_level_type, top_level_version, None)
    }

    /// With `block_kinds` as the block hook.
    pub const fn blocks(mut self, block_kinds: fn(&Value) -> Vec<String>) -> Profile {
        self.block_kinds = block_kinds;
        self
    }

    /// With `timestamp` as the time hook.
    pub const fn timestamp(mut self, timestamp: fn(&Value) -> Option<Cow<'_, str>>) -> Profile {
        self.timestamp = timestamp;
        self
    }

    /// With `records` as the hook giving a JSON document's records.
    pub const fn records(mut self, records: fn(&Value) -> Vec<&Value>) -> Profile {
        self.records = records;
        self
    }
}

/// Claude Code's profile: kinds with subtypes, content blocks, the snapshot's time.
const CLAUDE: Profile = Profile::new(
    Format::Claude,
    claude::record_kind,
    claude::cli_version,
    Some(claude::KNOWN_FIELDS),
)
.blocks(claude::block_kinds)
.timestamp(claude::timestamp);

/// Codex CLI's known key paths (`format/codex/known_fields.txt`, from the Codex fixtures).
const CODEX_KNOWN: &str = include_str!("codex/known_fields.txt");

/// The formats with hooks of their own, one line each. A format not listed gets
/// [`Profile::generic`].
pub const PROFILES: &[Profile] = &[
    CLAUDE,
    Profile::new(
        Format::Codex,
        codex::record_kind,
        codex::cli_version,
        Some(CODEX_KNOWN),
    ),
    Profile::new(
        Format::OpenCode,
        opencode::record_kind,
        opencode::cli_version,
        Some(include_str!("opencode/known_fields.txt")),
    )
    .timestamp(epoch_ms_created),
    Profile::new(
        Format::Copilot,
        copilot::record_kind,
        copilot::cli_version,
        Some(include_str!("copilot/known_fields.txt")),
    ),
    Profile::new(
        Format::GeminiChat,
        gemini::record_kind,
        gemini::cli_version,
        Some(include_str!("gemini/known_fields_json.txt")),
    ),
    Profile::new(
        Format::GeminiJsonl,
        gemini::record_kind,
        gemini::cli_version,
        Some(include_str!("gemini/known_fields_jsonl.txt")),
    ),
    Profile::new(
        Format::GeminiLogs,
        gemini::record_kind,
        gemini::cli_version,
        None,
    ),
    Profile::new(
        Format::Qwen,
        qwen::record_kind,
        qwen::cli_version,
        Some(include_str!("qwen/known_fields.txt")),
    ),
    // One line per format; each adapter exports `record_kind` and `cli_version`, e.g.
    // Profile::new(Format::Codex, codex::record_kind, codex::cli_version, None),
    // and a document format whose records are not its array or `messages[]` adds
    // `.records(its_records)`. `None`: fields are not checked until a list is generated
    // (`aegon audit --write-known NAME FILES… > format/NAME/known_fields.txt`, then
    // `Some(include_str!("NAME/known_fields.txt"))`).
];

/// The profile of `format`: its row in [`PROFILES`], else [`Profile::generic`].
pub fn profile(format: Format) -> Profile {
    PROFILES
        .iter()
        .copied()
        .find(|p| p.format == format)
        .unwrap_or(Profile::generic(format))
}

/// OpenCode's times: `time.created` (or the export's `info.time.created`), epoch ms.
fn epoch_ms_created(value: &Value) -> Option<Cow<'_, str>> {
    value
        .pointer("/time/created")
        .or_else(|| value.pointer("/info/time/created"))
        .and_then(Value::as_i64)
        .and_then(crate::timestamp::format_millis)
        .map(Cow::Owned)
}

fn no_blocks(_: &Value) -> Vec<String> {
    Vec::new()
}

fn top_level_type(value: &Value) -> Option<String> {
    value.get("type")?.as_str().map(str::to_owned)
}

fn top_level_version(value: &Value) -> Option<String> {
    value
        .get("version")?
        .as_str()
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn top_level_timestamp(value: &Value) -> Option<Cow<'_, str>> {
    value.get("timestamp")?.as_str().map(Cow::Borrowed)
}

/// The default [`Profile::records`]: a top-level array's elements (Gemini CLI's `logs.json`);
/// else the document itself (a chat's or an export's header: its kind, its version), then
/// each element of its `messages` array followed by the elements of that message's `parts`
/// array (OpenCode's export: `{info, messages[{info, parts[]}]}`). The document's own walk
/// covers its `messages[]` too, so those paths appear under both names.
pub fn document_records(doc: &Value) -> Vec<&Value> {
    if let Value::Array(items) = doc {
        return items.iter().collect();
    }
    let mut out = vec![doc];
    for message in doc
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push(message);
        out.extend(
            message
                .get("parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    out
}

/// A format's known key paths, parsed.
#[derive(Debug, Default, Clone)]
pub struct KnownFields {
    /// Paths that are known.
    pub paths: BTreeSet<String>,
    /// Paths whose keys below are data, not walked (written with a trailing `.*`).
    pub opaque: BTreeSet<String>,
    /// The comment lines at the top of the list (kept by [`Audit::known_list`]).
    pub header: Vec<String>,
}

impl KnownFields {
    /// Parses a known list (see the [module documentation](self)).
    pub fn parse(text: &str) -> KnownFields {
        let mut known = KnownFields::default();
        let mut in_header = true;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                if in_header {
                    known.header.push(line.to_owned());
                }
                continue;
            }
            in_header = false;
            if line.is_empty() {
                continue;
            }
            match line.strip_suffix(".*") {
                Some(prefix) => known.opaque.insert(prefix.to_owned()),
                None => known.paths.insert(line.to_owned()),
            };
        }
        known
    }
}

/// Where something was seen: an input, a 1-based line, a byte offset from the input's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The input's name (a path, or `<stdin>`).
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset from the start of the input.
    pub offset: u64,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.offset)
    }
}

/// How often something was seen, and where first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Times seen.
    pub count: u64,
    /// The first place it was seen (inputs in the order read).
    pub first: Place,
}

/// Problem lines of one reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    /// Problems of this reason (a line with two problems of one reason counts twice).
    pub count: u64,
    /// The first [`EXAMPLES`] places, each with the decoder's explanation.
    pub examples: Vec<(Place, String)>,
}

/// The records of one agent version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    /// Records read while this version was in force.
    pub records: u64,
    /// The earliest timestamp among them (milliseconds since the epoch, and as written).
    pub first: Option<(i64, String)>,
    /// The latest.
    pub last: Option<(i64, String)>,
}

/// What was read of one format (or, in [`Audit::unrecognised`], of inputs no format
/// recognised).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Inputs of this format.
    pub files: u64,
    /// Lines read, blank ones included.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Records measured (lines or document records that are JSON objects).
    pub records: u64,
    /// Record kind → records.
    pub kinds: BTreeMap<String, u64>,
    /// Block kind → blocks.
    pub blocks: BTreeMap<String, u64>,
    /// Every key path seen (under [`MAX_DEPTH`], opaque paths not walked).
    pub fields: HashMap<String, Seen>,
    /// Unknown kinds, as the decoder reported them.
    pub unknown: BTreeMap<String, Seen>,
    /// Problem lines by reason ([`MalformedReason::as_str`]).
    pub malformed: BTreeMap<&'static str, Problems>,
    /// Agent version → its records.
    pub versions: BTreeMap<String, Version>,
    /// Records read before any version was named in their input.
    pub without_version: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.files += other.files;
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.records += other.records;
        for (k, n) in other.kinds {
            *self.kinds.entry(k).or_default() += n;
        }
        for (k, n) in other.blocks {
            *self.blocks.entry(k).or_default() += n;
        }
        for (k, s) in other.fields {
            merge_seen(self.fields.entry(k), s);
        }
        for (k, s) in other.unknown {
            match self.unknown.get_mut(&k) {
                Some(mine) => mine.count += s.count,
                None => {
                    self.unknown.insert(k, s);
                }
            }
        }
        for (k, p) in other.malformed {
            let mine = self.malformed.entry(k).or_default();
            mine.count += p.count;
            let room = EXAMPLES.saturating_sub(mine.examples.len());
            mine.examples.extend(p.examples.into_iter().take(room));
        }
        for (k, v) in other.versions {
            let mine = self.versions.entry(k).or_default();
            mine.records += v.records;
            if let Some(first) = v.first {
                widen(&mut mine.first, first, |new, old| new < old);
            }
            if let Some(last) = v.last {
                widen(&mut mine.last, last, |new, old| new > old);
            }
        }
        self.without_version += other.without_version;
    }

    /// The malformed problems counted, all reasons together.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.values().map(|p| p.count).sum()
    }

    fn problem(&mut self, reason: MalformedReason, place: Place, message: &str) {
        let p = self.malformed.entry(reason.as_str()).or_default();
        p.count += 1;
        if p.examples.len() < EXAMPLES {
            p.examples.push((place, message.to_owned()));
        }
    }

    fn measure(
        &mut self,
        profile: &Profile,
        known: Option<&KnownFields>,
        record: &Value,
        place: &Place,
        version: &mut Option<String>,
    ) {
        if !record.is_object() {
            return;
        }
        self.records += 1;
        let kind = (profile.record_kind)(record).unwrap_or_else(|| "(none)".to_owned());
        *self.kinds.entry(kind).or_default() += 1;
        for block in (profile.block_kinds)(record) {
            *self.blocks.entry(block).or_default() += 1;
        }
        if let Some(v) = (profile.cli_version)(record) {
            *version = Some(v);
        }
        match version {
            Some(v) => {
                let entry = self.versions.entry(v.clone()).or_default();
                entry.records += 1;
                let time = (profile.timestamp)(record).and_then(|t| {
                    crate::timestamp::parse_millis(&t).map(|ms| (ms, t.into_owned()))
                });
                if let Some(time) = time {
                    widen(&mut entry.first, time.clone(), |new, old| new < old);
                    widen(&mut entry.last, time, |new, old| new > old);
                }
            }
            None => self.without_version += 1,
        }
        let opaque = known.map(|k| &k.opaque);
        let mut path = String::new();
        walk(record, &mut path, 0, opaque, place, &mut self.fields);
    }
}

fn merge_seen(entry: std::collections::hash_map::Entry<'_, String, Seen>, s: Seen) {
    match entry {
        std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().count += s.count,
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(s);
        }
    }
}

/// Keeps `new` in `slot` when there is none or `better(new, old)` (by milliseconds).
fn widen(slot: &mut Option<(i64, String)>, new: (i64, String), better: fn(i64, i64) -> bool) {
    if slot.as_ref().is_none_or(|old| better(new.0, old.0)) {
        *slot = Some(new);
    }
}

/// Notes the keys of `value`'s objects (at `depth` keys deep) under `path`.
fn walk(
    value: &Value,
    path: &mut String,
    depth: usize,
    opaque: Option<&BTreeSet<String>>,
    place: &Place,
    fields: &mut HashMap<String, Seen>,
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                if len > 0 {
                    path.push('.');
                }
                path.push_str(key);
                match fields.get_mut(path.as_str()) {
                    Some(seen) => seen.count += 1,
                    None => {
                        fields.insert(
                            path.clone(),
                            Seen {
                                count: 1,
                                first: place.clone(),
                            },
                        );
                    }
                }
                if depth + 1 < MAX_DEPTH && opaque.is_none_or(|o| !o.contains(path.as_str())) {
                    walk(child, path, depth + 1, opaque, place, fields);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("[]");
            for item in items {
                walk(item, path, depth, opaque, place, fields);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

/// The path `path` hangs from (`a.b[].c` → `a.b`), or `None` for a top-level key.
fn parent(path: &str) -> Option<&str> {
    let (head, _) = path.rsplit_once('.')?;
    Some(head.trim_end_matches("[]"))
}

/// One format's findings, as [`Audit::reports`] gives them.
#[derive(Debug)]
pub struct Report<'a> {
    /// The format.
    pub format: Format,
    /// What was read.
    pub tally: &'a Tally,
    /// Whether the format has a known list (else no field is new).
    pub fields_checked: bool,
    /// Key paths not in the known list whose parent is known (the keys below a new path are
    /// new too, and not listed), sorted.
    pub new_fields: Vec<(&'a str, &'a Seen)>,
}

impl Report<'_> {
    /// Whether anything was found that aegon does not know: a new field, an unknown kind or
    /// a malformed line.
    pub fn anything_new(&self) -> bool {
        !self.new_fields.is_empty()
            || !self.tally.unknown.is_empty()
            || !self.tally.malformed.is_empty()
    }
}

/// A run of `aegon audit`: inputs are read into it, then [`Audit::reports`] or
/// [`Audit::to_json`].
#[derive(Debug)]
pub struct Audit {
    max_line: usize,
    forced: Option<Format>,
    known: HashMap<Format, KnownFields>,
    formats: BTreeMap<Format, Tally>,
    /// What was read of inputs no format recognised (a JSON document of no known format).
    pub unrecognised: Tally,
    /// Inputs with nothing but blank lines (or no bytes).
    pub empty_files: u64,
    /// Files met in a folder and not read, with why ([`Audit::skip`]), in the order given.
    pub skipped: Vec<(String, String)>,
}

/// One input being read by an [`Audit`].
#[derive(Debug)]
pub struct AuditInput {
    splitter: LineSplitter,
    state: InputState,
}

#[derive(Debug)]
struct InputState {
    name: String,
    decoder: Decoder,
    tally: Tally,
    /// The first non-blank line: where a document starts.
    first: Option<Place>,
    /// The version in force.
    version: Option<String>,
    /// Whether the input's lines are measured as records (a line format, once known).
    profile: Option<Profile>,
}

impl Audit {
    /// An audit reporting lines longer than `max_line` bytes as too long, reading every input
    /// as `forced` when given (else telling each format from its content).
    pub fn new(max_line: usize, forced: Option<Format>) -> Audit {
        let known = PROFILES
            .iter()
            .filter_map(|p| Some((p.format, KnownFields::parse(p.known_fields?))))
            .collect();
        Audit {
            max_line,
            forced,
            known,
            formats: BTreeMap::new(),
            unrecognised: Tally::default(),
            empty_files: 0,
            skipped: Vec::new(),
        }
    }

    /// Notes a file met in a folder and not read (a `.json` file no format recognises, one
    /// read only when named): listed in the findings, so that no file is skipped unseen.
    pub fn skip(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.skipped.push((name.into(), why.into()));
    }

    /// Starts an input called `name`.
    pub fn open(&self, name: impl Into<String>) -> AuditInput {
        AuditInput {
            splitter: LineSplitter::new(self.max_line),
            state: InputState {
                name: name.into(),
                decoder: Decoder::new(self.forced),
                tally: Tally::default(),
                first: None,
                version: None,
                profile: None,
            },
        }
    }

    /// Feeds a chunk of `input`'s bytes.
    pub fn push(&self, input: &mut AuditInput, chunk: &[u8]) {
        let AuditInput { splitter, state } = input;
        state.tally.bytes += chunk.len() as u64;
        let _ = splitter.push(chunk, |item| {
            state.item(item, &self.known, self.max_line);
            ControlFlow::Continue(())
        });
    }

    /// Ends `input`: its last line and, for a JSON document, its records are measured, and
    /// what was read is added to its format's findings.
    pub fn close(&mut self, input: AuditInput) {
        let AuditInput {
            mut splitter,
            mut state,
        } = input;
        let _ = splitter.finish(|item| {
            state.item(item, &self.known, self.max_line);
            ControlFlow::Continue(())
        });
        let format = state.finish(&self.known);
        let mut tally = state.tally;
        tally.files = 1;
        match format {
            Some(format) => self.formats.entry(format).or_default().merge(tally),
            None if tally.malformed.is_empty() && tally.records == 0 => self.empty_files += 1,
            None => self.unrecognised.merge(tally),
        }
    }

    /// Reads `reader` to its end as the input `name`. Errors: reading failed (what was read
    /// before is kept); a UTF-16 input is refused whole, as the filter refuses it
    /// ([`crate::source::UTF16_REFUSAL`]), and not counted.
    pub fn read(&mut self, name: &str, mut reader: impl Read) -> io::Result<()> {
        let mut buf = vec![0u8; 256 << 10];
        let first = loop {
            match reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if crate::source::is_utf16(&buf[..first]) {
            return Err(io::Error::other(crate::source::UTF16_REFUSAL));
        }
        let mut input = self.open(name);
        if first > 0 {
            self.push(&mut input, &buf[..first]);
        }
        let result = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => self.push(&mut input, &buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.close(input);
        result
    }

    /// Each format's findings, in [`Format`] order.
    pub fn reports(&self) -> Vec<Report<'_>> {
        self.formats
            .iter()
            .map(|(&format, tally)| {
                let known = self.known.get(&format);
                let new_fields = match known {
                    Some(k) => {
                        let is_new = |p: &str| !k.paths.contains(p);
                        let mut new: Vec<(&str, &Seen)> = tally
                            .fields
                            .iter()
                            .filter(|(p, _)| is_new(p) && parent(p).is_none_or(|q| !is_new(q)))
                            .map(|(p, s)| (p.as_str(), s))
                            .collect();
                        new.sort_by(|a, b| a.0.cmp(b.0));
                        new
                    }
                    None => Vec::new(),
                };
                Report {
                    format,
                    tally,
                    fields_checked: known.is_some(),
                    new_fields,
                }
            })
            .collect()
    }

    /// The known list of `format` extended with every key path seen in it (comments at the
    /// top and `.*` lines kept), sorted: the text of its `known_fields.txt`.
    pub fn known_list(&self, format: Format) -> String {
        let known = self.known.get(&format).cloned().unwrap_or_default();
        let mut lines: BTreeSet<String> = known.paths;
        lines.extend(known.opaque.iter().map(|p| format!("{p}.*")));
        if let Some(tally) = self.formats.get(&format) {
            lines.extend(tally.fields.keys().cloned());
        }
        let mut out = String::new();
        for h in &known.header {
            out.push_str(h);
            out.push('\n');
        }
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// The findings as one JSON object (`schemas/audit.v1.schema.json`; shape in the README).
    pub fn to_json(&self) -> Value {
        let formats: Vec<Value> = self
            .reports()
            .iter()
            .map(|r| {
                let mut v = tally_json(r.tally);
                v["format"] = json!(r.format.as_str());
                v["agent"] = json!(r.format.agent().as_str());
                v["fields_checked"] = json!(r.fields_checked);
                v["new_fields"] = r
                    .new_fields
                    .iter()
                    .map(|(path, seen)| {
                        json!({"path": path, "count": seen.count, "first": place_json(&seen.first)})
                    })
                    .collect();
                v
            })
            .collect();
        json!({
            "v": AUDIT_SCHEMA_VERSION,
            "formats": formats,
            "unrecognised": {
                "files": self.unrecognised.files,
                "lines": self.unrecognised.lines,
                "malformed": malformed_json(&self.unrecognised),
            },
            "empty_files": self.empty_files,
            "skipped": self
                .skipped
                .iter()
                .map(|(file, why)| json!({"file": file, "reason": why}))
                .collect::<Vec<_>>(),
        })
    }
}

fn place_json(p: &Place) -> Value {
    json!({"file": p.file, "line": p.line, "offset": p.offset})
}

fn malformed_json(t: &Tally) -> Value {
    t.malformed
        .iter()
        .map(|(reason, p)| {
            let examples: Vec<Value> = p
                .examples
                .iter()
                .map(|(place, message)| {
                    let mut v = place_json(place);
                    v["message"] = json!(message);
                    v
                })
                .collect();
            json!({"reason": reason, "count": p.count, "examples": examples})
        })
        .collect()
}

fn tally_json(t: &Tally) -> Value {
    let versions: Vec<Value> = sorted_versions(t)
        .into_iter()
        .map(|(name, v)| {
            json!({
                "version": name,
                "records": v.records,
                "first": v.first.as_ref().map(|f| &f.1),
                "last": v.last.as_ref().map(|l| &l.1),
            })
        })
        .collect();
    let unknown: Vec<Value> = t
        .unknown
        .iter()
        .map(|(kind, s)| json!({"kind": kind, "count": s.count, "first": place_json(&s.first)}))
        .collect();
    json!({
        "files": t.files,
        "lines": t.lines,
        "bytes": t.bytes,
        "records": t.records,
        "kinds": t.kinds,
        "blocks": t.blocks,
        "unknown_kinds": unknown,
        "malformed": malformed_json(t),
        "versions": versions,
        "records_without_version": t.without_version,
    })
}

/// A tally's versions, oldest version first (numeric parts compared as numbers: 2.1.9 before
/// 2.1.39).
pub fn sorted_versions(t: &Tally) -> Vec<(&str, &Version)> {
    let mut v: Vec<(&str, &Version)> = t.versions.iter().map(|(k, v)| (k.as_str(), v)).collect();
    v.sort_by(|a, b| version_key(a.0).cmp(&version_key(b.0)).then(a.0.cmp(b.0)));
    v
}

fn version_key(v: &str) -> Vec<(u8, u64, &str)> {
    v.split(['.', '-', '+'])
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (0, n, ""),
            Err(_) => (1, 0, part),
        })
        .collect()
}

impl InputState {
    fn place(&self, line: u64, offset: u64) -> Place {
        Place {
            file: self.name.clone(),
            line,
            offset,
        }
    }

    fn item(&mut self, item: LineItem<'_>, known: &HashMap<Format, KnownFields>, max: usize) {
        self.tally.lines += 1;
        let line = match item {
            LineItem::Line(line) => line,
            LineItem::TooLong {
                number,
                offset,
                len,
                ..
            } => {
                let place = self.place(number, offset);
                self.tally.problem(
                    MalformedReason::TooLong,
                    place,
                    &format!(
                        "a line of {len} bytes, over the {max}-byte limit (--max-line); not read"
                    ),
                );
                return;
            }
        };
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        if self.first.is_none() {
            self.first = Some(self.place(line.number, line.offset));
        }
        let InputState {
            name,
            decoder,
            tally,
            ..
        } = self;
        let _ = decoder.line(name, line, &mut |event| {
            note_event(tally, &event);
            ControlFlow::Continue(())
        });
        if self.profile.is_none() && self.decoder.document().is_none() {
            self.profile = self.decoder.format().map(profile);
        }
        if let Some(profile) = self.profile {
            if let Some(record) = parse_line(&line) {
                let place = self.place(line.number, line.offset);
                self.tally.measure(
                    &profile,
                    known.get(&profile.format),
                    &record,
                    &place,
                    &mut self.version,
                );
            }
        }
    }

    /// Ends the input: a gathered document is decoded and its records measured. Returns the
    /// input's format, if one was told.
    fn finish(&mut self, known: &HashMap<Format, KnownFields>) -> Option<Format> {
        let mut format = self.decoder.format();
        let mut document = None;
        if let Some(text) = self.decoder.document() {
            let head = &text[..text.len().min(64 << 10)];
            format = format.or_else(|| sniff_document(head));
            document = serde_json::from_slice::<Value>(text).ok();
        }
        let InputState {
            name,
            decoder,
            tally,
            ..
        } = self;
        let _ = decoder.finish(name, &mut |event| {
            note_event(tally, &event);
            ControlFlow::Continue(())
        });
        if let (Some(doc), Some(format)) = (document, format) {
            let profile = profile(format);
            let place = self.first.clone().unwrap_or_else(|| self.place(1, 0));
            for record in (profile.records)(&doc) {
                self.tally.measure(
                    &profile,
                    known.get(&format),
                    record,
                    &place,
                    &mut self.version,
                );
            }
        }
        format
    }
}

/// Counts an event's unknown kind or problem.
fn note_event(tally: &mut Tally, event: &Event<'_>) {
    let place = || Place {
        file: event.source.file.to_owned(),
        line: event.source.line,
        offset: event.source.offset,
    };
    match &event.kind {
        EventKind::Malformed(m) => {
            let mut at = place();
            at.offset = m.error_offset;
            tally.problem(m.reason, at, &m.message);
        }
        EventKind::Unknown {
            record_type,
            block_type,
        } => {
            let record = record_type.as_deref().unwrap_or("(none)");
            let kind = match block_type {
                Some(block) => format!("{record}/{block}"),
                None => record.to_owned(),
            };
            match tally.unknown.get_mut(&kind) {
                Some(seen) => seen.count += 1,
                None => {
                    tally.unknown.insert(
                        kind,
                        Seen {
                            count: 1,
                            first: place(),
                        },
                    );
                }
            }
        }
        _ => {}
    }
}

/// A line as JSON: as it is, else with invalid UTF-8 replaced and NUL or control padding
/// around the record cut off; `None` when it still is not JSON.
fn parse_line(line: &Line<'_>) -> Option<Value> {
    if let Ok(v) = serde_json::from_slice(line.bytes) {
        return Some(v);
    }
    let text = String::from_utf8_lossy(line.bytes);
    let trimmed = text.trim_matches(|c: char| c.is_control() || c.is_whitespace());
    serde_json::from_str(trimmed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(text: &[u8]) -> Audit {
        let mut a = Audit::new(1 << 20, None);
        a.read("t.jsonl", text).unwrap();
        a
    }

    #[test]
    fn paths_are_keys_joined_with_dots_arrays_as_brackets_at_most_four_deep() {
        let v: Value = serde_json::from_str(
            r#"{"a":{"b":{"c":{"d":{"e":1}}}},"l":[{"x":1},[{"y":2}]],"s":"t"}"#,
        )
        .unwrap();
        let mut fields = HashMap::new();
        let place = Place {
            file: "f".into(),
            line: 1,
            offset: 0,
        };
        walk(&v, &mut String::new(), 0, None, &place, &mut fields);
        let mut got: Vec<&str> = fields.keys().map(String::as_str).collect();
        got.sort();
        assert_eq!(
            got,
            ["a", "a.b", "a.b.c", "a.b.c.d", "l", "l[].x", "l[][].y", "s"]
        );
        let opaque: BTreeSet<String> = ["a.b".to_owned()].into();
        let mut fields = HashMap::new();
        walk(
            &v,
            &mut String::new(),
            0,
            Some(&opaque),
            &place,
            &mut fields,
        );
        assert!(fields.contains_key("a.b") && !fields.contains_key("a.b.c"));
        assert_eq!(parent("l[][].y"), Some("l"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), None);
    }

    #[test]
    fn known_lists_have_paths_opaque_paths_and_a_header() {
        let k = KnownFields::parse("# head\n# more\na\n\na.b.*\n# later\nc\n");
        assert_eq!(k.header, ["# head", "# more"]);
        assert_eq!(k.paths, ["a".to_owned(), "c".to_owned()].into());
        assert_eq!(k.opaque, ["a.b".to_owned()].into());
    }

    #[test]
    fn kinds_versions_new_fields_unknown_and_malformed() {
        let a = audit(
            b"{\"type\":\"user\",\"version\":\"2.1.9\",\"timestamp\":\"2026-01-01T00:00:02Z\",\"uuid\":\"u\",\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n\
              {\"type\":\"summary\",\"summary\":\"t\",\"timestamp\":\"2026-01-01T00:00:01Z\"}\n\
              {\"type\":\"brand-new\",\"version\":\"2.1.10\",\"zzNew\":{\"deep\":1}}\n\
              not json\n",
        );
        let reports = a.reports();
        assert_eq!(reports.len(), 1);
        let r = &reports[0];
        assert_eq!(r.format, Format::Claude);
        assert_eq!(r.tally.records, 3);
        assert_eq!(r.tally.lines, 4);
        assert_eq!(r.tally.kinds["user"], 1);
        assert_eq!(r.tally.kinds["brand-new"], 1);
        assert_eq!(r.tally.unknown["brand-new"].count, 1);
        assert_eq!(r.tally.unknown["brand-new"].first.line, 3);
        // The summary names no version: it belongs to the one before it.
        let v = &r.tally.versions["2.1.9"];
        assert_eq!(v.records, 2);
        assert_eq!(v.first.as_ref().unwrap().1, "2026-01-01T00:00:01Z");
        assert_eq!(v.last.as_ref().unwrap().1, "2026-01-01T00:00:02Z");
        let order: Vec<&str> = sorted_versions(r.tally).iter().map(|v| v.0).collect();
        assert_eq!(order, ["2.1.9", "2.1.10"]);
        let p = &r.tally.malformed["invalid_json"];
        assert_eq!(p.count, 1);
        assert_eq!(p.examples[0].0.line, 4);
        if r.fields_checked {
            let new: Vec<&str> = r.new_fields.iter().map(|f| f.0).collect();
            assert!(new.contains(&"zzNew"), "{new:?}");
            assert!(!new.contains(&"zzNew.deep"), "{new:?}");
        }
    }

    #[test]
    fn empty_inputs_and_unrecognised_documents() {
        let mut a = Audit::new(1 << 20, None);
        a.read("empty", &b"\n\n"[..]).unwrap();
        a.read("doc.json", &b"{\n  \"what\": 1\n}"[..]).unwrap();
        assert_eq!(a.empty_files, 1);
        assert_eq!(a.unrecognised.files, 1);
        assert_eq!(a.unrecognised.malformed["unexpected_shape"].count, 1);
        assert!(a.reports().is_empty());
    }

    #[test]
    fn chunk_sizes_do_not_change_the_findings() {
        let text: &[u8] = b"{\"type\":\"user\",\"version\":\"2.1.9\",\"zz\":[{\"a\":1}]}\n\
            {\"type\":\"odd\"}\nnot json\n\n{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\"}]}}";
        let whole = audit(text).to_json();
        for size in [1, 2, 7, 64] {
            let mut a = Audit::new(1 << 20, None);
            let mut input = a.open("t.jsonl");
            for chunk in text.chunks(size) {
                a.push(&mut input, chunk);
            }
            a.close(input);
            assert_eq!(a.to_json(), whole, "chunks of {size}");
        }
        assert_eq!(whole["formats"][0]["records"], 3);
        assert_eq!(whole["formats"][0]["blocks"]["assistant/text"], 1);
    }

    #[test]
    fn a_format_without_a_row_gets_the_generic_profile() {
        let p = Profile::generic(Format::Claude);
        let v = serde_json::json!({"type": "x", "version": "1.2", "timestamp": "t"});
        assert_eq!((p.record_kind)(&v).as_deref(), Some("x"));
        assert_eq!((p.cli_version)(&v).as_deref(), Some("1.2"));
        assert_eq!((p.timestamp)(&v).as_deref(), Some("t"));
        assert!((p.block_kinds)(&v).is_empty());
        let doc = serde_json::json!({"messages": [{"a": 1}, {"parts": [{"c": 3}, {"d": 4}]}]});
        let records = (p.records)(&doc);
        assert_eq!(records.len(), 5);
        assert_eq!(records[0], &doc);
        assert_eq!(records[2], &doc["messages"][1]);
        assert_eq!(records[4], &doc["messages"][1]["parts"][1]);
        let list = serde_json::json!([1, 2, 3]);
        assert_eq!((p.records)(&list).len(), 3);
        assert_eq!((p.records)(&v), [&v]);
        assert!(p.known_fields.is_none());
        assert!(profile(Format::Claude).known_fields.is_some());
    }

    #[test]
    fn too_long_lines_are_problems_with_their_place() {
        let mut a = Audit::new(16, None);
        a.read(
            "t",
            &b"{\"type\":\"user\"}\n{\"type\":\"user\",\"pad\":\"xxxxxxxxxx\"}\n"[..],
        )
        .unwrap();
        let r = &a.reports()[0];
        let p = &r.tally.malformed["too_long"];
        assert_eq!(
            (p.count, p.examples[0].0.line, p.examples[0].0.offset),
            (1, 2, 16)
        );
    }
}
