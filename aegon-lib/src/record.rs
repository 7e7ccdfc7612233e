//! Borrowed input types: one transcript line as Claude Code writes it.
//!
//! A line is parsed in one pass into a flat [`Record`] that holds every field aegon reads, for
//! every record `type`; fields it does not read (`toolUseResult`, `snapshot` contents, …) are
//! skipped by serde without being stored. Strings are `Cow<str>` borrowed from the line unless
//! they contain escapes; JSON that is passed through untouched (tool inputs, tool results) is kept
//! as borrowed [`RawValue`]. Unknown fields are ignored and unknown record or block types are kept
//! by name, so a new Claude Code version never makes a line fail to parse: the format evolves
//! without notice (see `shared/corpus/FORMAT.md`).
//!
//! Numbers that feed token totals are read leniently ([`lenient_u64`]): a negative, fractional,
//! huge or non-numeric count saturates or becomes 0 instead of rejecting the line.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One transcript line, with the fields of all record types flattened together.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Record<'a> {
    /// Record type: `user`, `assistant`, `system`, `summary`, … (`None` if absent).
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// This line's id.
    #[serde(borrow)]
    pub uuid: Option<Cow<'a, str>>,
    /// The session the line belongs to (the parent's, for subagent lines).
    #[serde(rename = "sessionId", borrow)]
    pub session_id: Option<Cow<'a, str>>,
    /// When the line was written, as written (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
    /// Subagent id, on lines of a subagent transcript (2.0.60+).
    #[serde(rename = "agentId", borrow)]
    pub agent_id: Option<Cow<'a, str>>,
    /// True on subagent lines (inline sidechains in 1.0.x, subagent files later).
    #[serde(rename = "isSidechain", deserialize_with = "lenient_bool")]
    pub is_sidechain: bool,
    /// Injected user content (caveats, skill bodies), not typed by the human.
    #[serde(rename = "isMeta", deserialize_with = "lenient_bool")]
    pub is_meta: bool,
    /// The user line that carries a compaction summary.
    #[serde(rename = "isCompactSummary", deserialize_with = "lenient_bool")]
    pub is_compact_summary: bool,
    /// A locally generated assistant line reporting a failed API request.
    #[serde(rename = "isApiErrorMessage", deserialize_with = "lenient_bool")]
    pub is_api_error_message: bool,
    /// Anthropic request id, shared by all lines of one API response (absent behind gateways).
    #[serde(rename = "requestId", borrow)]
    pub request_id: Option<Cow<'a, str>>,
    /// The message of `user` and `assistant` lines.
    #[serde(borrow)]
    pub message: Option<Message<'a>>,
    /// HTTP status of a synthetic API error line.
    #[serde(rename = "apiErrorStatus", deserialize_with = "lenient_opt_u64")]
    pub api_error_status: Option<u64>,
    /// `error`: a string on synthetic assistant lines, an object on `system/api_error` lines.
    #[serde(borrow)]
    pub error: Option<&'a RawValue>,
    /// `system` subtype (`compact_boundary`, `api_error`, `turn_duration`, …).
    #[serde(borrow)]
    pub subtype: Option<Cow<'a, str>>,
    /// Text of `system` and `queue-operation` lines (raw: its type is not guaranteed).
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// Level of `system` lines (`info`, `warning`, `error`, …).
    #[serde(borrow)]
    pub level: Option<Cow<'a, str>>,
    /// `system/compact_boundary` details.
    #[serde(rename = "compactMetadata")]
    pub compact_metadata: Option<CompactMetadata<'a>>,
    /// `system/api_error`: which retry this is.
    #[serde(rename = "retryAttempt", deserialize_with = "lenient_opt_u64")]
    pub retry_attempt: Option<u64>,
    /// `system/api_error`: retries allowed.
    #[serde(rename = "maxRetries", deserialize_with = "lenient_opt_u64")]
    pub max_retries: Option<u64>,
    /// `system/api_error`: wait before the next retry.
    #[serde(rename = "retryInMs", deserialize_with = "lenient_opt_u64")]
    pub retry_in_ms: Option<u64>,
    /// `system/turn_duration`: wall time of the turn.
    #[serde(rename = "durationMs", deserialize_with = "lenient_opt_u64")]
    pub duration_ms: Option<u64>,
    /// `summary` records: the title text.
    #[serde(borrow)]
    pub summary: Option<Cow<'a, str>>,
    /// `summary` and `last-prompt` records: the line they refer to.
    #[serde(rename = "leafUuid", borrow)]
    pub leaf_uuid: Option<Cow<'a, str>>,
    /// `ai-title` records.
    #[serde(rename = "aiTitle", borrow)]
    pub ai_title: Option<Cow<'a, str>>,
    /// `custom-title` records.
    #[serde(rename = "customTitle", borrow)]
    pub custom_title: Option<Cow<'a, str>>,
    /// `last-prompt` records.
    #[serde(rename = "lastPrompt", borrow)]
    pub last_prompt: Option<Cow<'a, str>>,
    /// `mode` records.
    #[serde(borrow)]
    pub mode: Option<Cow<'a, str>>,
    /// `permission-mode` records (and some `user` lines).
    #[serde(rename = "permissionMode", borrow)]
    pub permission_mode: Option<Cow<'a, str>>,
    /// `queue-operation` records: `enqueue`, `dequeue`, `remove`.
    #[serde(borrow)]
    pub operation: Option<Cow<'a, str>>,
    /// `file-history-snapshot` records: the user line the snapshot belongs to.
    #[serde(rename = "messageId", borrow)]
    pub message_id: Option<Cow<'a, str>>,
    /// `file-history-snapshot` records: whether it restates an earlier snapshot.
    #[serde(rename = "isSnapshotUpdate", deserialize_with = "lenient_bool")]
    pub is_snapshot_update: bool,
    /// `file-history-snapshot` records: the snapshot (only its file count is read).
    #[serde(borrow)]
    pub snapshot: Option<Snapshot<'a>>,
    /// `progress` records: what is progressing.
    #[serde(borrow)]
    pub data: Option<TypeOnly<'a>>,
    /// `progress` records: the tool call being executed.
    #[serde(rename = "toolUseID", borrow)]
    pub tool_use_id: Option<Cow<'a, str>>,
    /// `progress` records: the enclosing tool call.
    #[serde(rename = "parentToolUseID", borrow)]
    pub parent_tool_use_id: Option<Cow<'a, str>>,
    /// `attachment` records.
    #[serde(borrow)]
    pub attachment: Option<TypeOnly<'a>>,
    /// `user` lines (2.1.x): `typed`, `sdk` or `system`.
    #[serde(rename = "promptSource", borrow)]
    pub prompt_source: Option<Cow<'a, str>>,
    /// `user` lines (2.1.x): who wrote it (`human`, `task-notification`).
    #[serde(borrow)]
    pub origin: Option<Origin<'a>>,
}

/// `origin` of a `user` line.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Origin<'a> {
    /// `human`, `task-notification`, …
    #[serde(borrow)]
    pub kind: Option<Cow<'a, str>>,
}

/// An object of which only its `type` is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TypeOnly<'a> {
    /// The object's `type`.
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
}

/// `compactMetadata` of a `system/compact_boundary` line.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CompactMetadata<'a> {
    /// `auto` or `manual`.
    #[serde(borrow)]
    pub trigger: Option<Cow<'a, str>>,
    /// Context size before compaction, in tokens.
    #[serde(rename = "preTokens", deserialize_with = "lenient_opt_u64")]
    pub pre_tokens: Option<u64>,
    /// Context size after compaction, in tokens (newer versions).
    #[serde(rename = "postTokens", deserialize_with = "lenient_opt_u64")]
    pub post_tokens: Option<u64>,
}

/// `snapshot` of a `file-history-snapshot` line.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Snapshot<'a> {
    /// Number of files backed up.
    #[serde(rename = "trackedFileBackups", deserialize_with = "count_entries")]
    pub tracked_files: u64,
    /// When the snapshot was taken (the line itself has no `timestamp`).
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
}

/// The `message` of a `user` or `assistant` line.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Message<'a> {
    /// Model name (`claude-opus-4-6`, `<synthetic>`, gateway names, …).
    #[serde(borrow)]
    pub model: Option<Cow<'a, str>>,
    /// API response id, shared by all lines of one response.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// A string (typed prompt) or a list of content blocks.
    #[serde(borrow)]
    pub content: Option<Content<'a>>,
    /// Token usage of the response (repeated on every line of it).
    pub usage: Option<Usage>,
}

/// `message.content`: a plain string or a list of blocks.
#[derive(Debug)]
pub enum Content<'a> {
    /// A plain string.
    Text(Cow<'a, str>),
    /// Content blocks.
    Blocks(Vec<Block<'a>>),
    /// Something else (`null`, a number, …): nothing to show.
    Other,
}

/// One content block, with the fields of all block types flattened together.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Block<'a> {
    /// `text`, `thinking`, `redacted_thinking`, `tool_use`, `tool_result`, `image`, …
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// `text` blocks.
    #[serde(borrow)]
    pub text: Option<Cow<'a, str>>,
    /// `thinking` blocks.
    #[serde(borrow)]
    pub thinking: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the call id.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the tool name.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the input, passed through untouched.
    #[serde(borrow)]
    pub input: Option<&'a RawValue>,
    /// `tool_result` blocks: the call answered.
    #[serde(borrow)]
    pub tool_use_id: Option<Cow<'a, str>>,
    /// `tool_result` blocks: a string or a list of blocks, kept raw.
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// `tool_result` blocks.
    #[serde(deserialize_with = "lenient_bool")]
    pub is_error: bool,
    /// `image` blocks.
    pub source: Option<ImageSource<'a>>,
    /// `redacted_thinking` blocks: opaque data (only its length is read).
    #[serde(deserialize_with = "string_len")]
    pub data: u64,
}

/// `source` of an `image` block.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImageSource<'a> {
    /// `image/png`, `image/jpeg`, …
    #[serde(borrow)]
    pub media_type: Option<Cow<'a, str>>,
    /// Length of the base64 data.
    #[serde(deserialize_with = "string_len")]
    pub data: u64,
}

/// `message.usage` as written on a line.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Usage {
    /// Uncached input tokens.
    #[serde(deserialize_with = "lenient_u64")]
    pub input_tokens: u64,
    /// Output tokens (a streaming snapshot on early lines of a response in older versions).
    #[serde(deserialize_with = "lenient_u64")]
    pub output_tokens: u64,
    /// Cache writes, both TTLs together.
    #[serde(deserialize_with = "lenient_u64")]
    pub cache_creation_input_tokens: u64,
    /// Cache hits.
    #[serde(deserialize_with = "lenient_u64")]
    pub cache_read_input_tokens: u64,
    /// Cache writes split by TTL (1.0.90+).
    pub cache_creation: Option<CacheCreation>,
    /// Per-iteration usage (2.1.38+); when non-empty, their sum is the response's usage.
    pub iterations: Option<Vec<Usage>>,
}

/// `usage.cache_creation`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct CacheCreation {
    /// Writes with the 5-minute TTL.
    #[serde(deserialize_with = "lenient_u64")]
    pub ephemeral_5m_input_tokens: u64,
    /// Writes with the 1-hour TTL.
    #[serde(deserialize_with = "lenient_u64")]
    pub ephemeral_1h_input_tokens: u64,
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = Content<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of content blocks")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
                while let Some(block) = seq.next_element::<Block<'de>>()? {
                    blocks.push(block);
                }
                Ok(Content::Blocks(blocks))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Content::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Content::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Content::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Content::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Content::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Content::Other)
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

/// Reads a count leniently: integers as they are, negative numbers as 0, fractions truncated,
/// numbers beyond `u64` saturated, and anything that is not a number (null, strings, …) as 0.
pub fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_u64(deserializer)?.unwrap_or(0))
}

/// Like [`lenient_u64`], with `None` for a value that is not a number.
pub fn lenient_opt_u64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    struct CountVisitor;
    impl<'de> Visitor<'de> for CountVisitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(u64::try_from(v).unwrap_or(0)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // `as` saturates: NaN → 0, negative → 0, beyond u64::MAX → u64::MAX.
            Ok(Some(v as u64))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(CountVisitor)
}

/// Reads a flag leniently: `true` is true; `false`, `null` and anything else is false.
pub fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct FlagVisitor;
    impl<'de> Visitor<'de> for FlagVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(false)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(false)
        }
    }
    deserializer.deserialize_any(FlagVisitor)
}

/// Reads a string's length in bytes without keeping it (0 for anything that is not a string).
fn string_len<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct LenVisitor;
    impl<'de> Visitor<'de> for LenVisitor {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            Ok(v.len() as u64)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(0)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(0)
        }
    }
    deserializer.deserialize_any(LenVisitor)
}

/// Counts the entries of an object without keeping them (0 for anything else).
fn count_entries<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct CountEntries;
    impl<'de> Visitor<'de> for CountEntries {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
            let mut n = 0;
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(0)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<u64, E> {
            Ok(0)
        }
        fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
            Ok(0)
        }
    }
    deserializer.deserialize_any(CountEntries)
}

/// Parses one line (without its newline) into a [`Record`].
pub fn parse_record(line: &str) -> serde_json::Result<Record<'_>> {
    serde_json::from_str(line)
}
