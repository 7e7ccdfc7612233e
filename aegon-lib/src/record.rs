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

use crate::scan::{for_each_member, plain_str, ScanError};
use crate::text::Text;

/// One transcript line, with the fields of all record types flattened together. Built by
/// [`parse_record`].
#[derive(Debug, Default)]
pub struct Record<'a> {
    /// Record type: `user`, `assistant`, `system`, `summary`, … (`None` if absent).
    pub kind: Option<Cow<'a, str>>,
    /// This line's id.
    pub uuid: Option<Cow<'a, str>>,
    /// The session the line belongs to (the parent's, for subagent lines).
    pub session_id: Option<Cow<'a, str>>,
    /// When the line was written, as written (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
    pub timestamp: Option<Cow<'a, str>>,
    /// Subagent id, on lines of a subagent transcript (2.0.60+).
    pub agent_id: Option<Cow<'a, str>>,
    /// True on subagent lines (inline sidechains in 1.0.x, subagent files later).
    pub is_sidechain: bool,
    /// Injected user content (caveats, skill bodies), not typed by the human.
    pub is_meta: bool,
    /// The user line that carries a compaction summary.
    pub is_compact_summary: bool,
    /// A locally generated assistant line reporting a failed API request.
    pub is_api_error_message: bool,
    /// Anthropic request id, shared by all lines of one API response (absent behind gateways).
    pub request_id: Option<Cow<'a, str>>,
    /// The message of `user` and `assistant` lines.
    pub message: Option<Message<'a>>,
    /// HTTP status of a synthetic API error line.
    pub api_error_status: Option<u64>,
    /// `error`: a string on synthetic assistant lines, an object on `system/api_error` lines.
    pub error: Option<&'a RawValue>,
    /// `system` subtype (`compact_boundary`, `api_error`, `turn_duration`, …).
    pub subtype: Option<Cow<'a, str>>,
    /// Text of `system` and `queue-operation` lines (raw: its type is not guaranteed).
    pub content: Option<&'a RawValue>,
    /// Level of `system` lines (`info`, `warning`, `error`, …).
    pub level: Option<Cow<'a, str>>,
    /// `system/compact_boundary` details.
    pub compact_metadata: Option<CompactMetadata<'a>>,
    /// `system/api_error`: which retry this is.
    pub retry_attempt: Option<u64>,
    /// `system/api_error`: retries allowed.
    pub max_retries: Option<u64>,
    /// `system/api_error`: wait before the next retry.
    pub retry_in_ms: Option<u64>,
    /// `system/turn_duration`: wall time of the turn.
    pub duration_ms: Option<u64>,
    /// `summary` records: the title text.
    pub summary: Option<Cow<'a, str>>,
    /// `summary` and `last-prompt` records: the line they refer to.
    pub leaf_uuid: Option<Cow<'a, str>>,
    /// `ai-title` records.
    pub ai_title: Option<Cow<'a, str>>,
    /// `custom-title` records.
    pub custom_title: Option<Cow<'a, str>>,
    /// `last-prompt` records.
    pub last_prompt: Option<Cow<'a, str>>,
    /// `mode` records.
    pub mode: Option<Cow<'a, str>>,
    /// `permission-mode` records (and some `user` lines).
    pub permission_mode: Option<Cow<'a, str>>,
    /// `queue-operation` records: `enqueue`, `dequeue`, `remove`.
    pub operation: Option<Cow<'a, str>>,
    /// `file-history-snapshot` records: the user line the snapshot belongs to.
    pub message_id: Option<Cow<'a, str>>,
    /// `file-history-snapshot` records: whether it restates an earlier snapshot.
    pub is_snapshot_update: bool,
    /// `file-history-snapshot` records: the snapshot (only its file count is read).
    pub snapshot: Option<Snapshot<'a>>,
    /// `progress` records: what is progressing.
    pub data: Option<TypeOnly<'a>>,
    /// `progress` records: the tool call being executed.
    pub tool_use_id: Option<Cow<'a, str>>,
    /// `progress` records: the enclosing tool call.
    pub parent_tool_use_id: Option<Cow<'a, str>>,
    /// `attachment` records.
    pub attachment: Option<TypeOnly<'a>>,
    /// `user` lines (2.1.x): `typed`, `sdk` or `system`.
    pub prompt_source: Option<Cow<'a, str>>,
    /// `user` lines (2.1.x): who wrote it (`human`, `task-notification`).
    pub origin: Option<Origin<'a>>,
    /// Working directory when the line was written.
    pub cwd: Option<Cow<'a, str>>,
    /// Git branch (`""` outside git).
    pub git_branch: Option<Cow<'a, str>>,
    /// Claude Code version.
    pub version: Option<Cow<'a, str>>,
    /// The structured result of a tool call, kept raw and unread (it is large); only a
    /// subagent's `agentId` is looked up in it.
    pub tool_use_result: Option<&'a str>,
}

/// `origin` of a `user` line (only its `kind` is read).
#[derive(Debug, Default)]
pub struct Origin<'a> {
    /// `human`, `task-notification`, …
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
    Text(Text<'a>),
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
    pub text: Option<Text<'a>>,
    /// `thinking` blocks.
    #[serde(borrow)]
    pub thinking: Option<Text<'a>>,
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
    /// The base64 data: its length, and the text borrowed from the line.
    #[serde(borrow)]
    pub data: ImageData<'a>,
}

/// `source.data` of an `image` block.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImageData<'a> {
    /// Length of the data in bytes (0 when it is not a string).
    pub len: u64,
    /// The base64 text as written, borrowed from the line; `None` when it is not a string or
    /// holds JSON escapes (base64 never needs one).
    pub base64: Option<&'a str>,
}

impl<'de: 'a, 'a> Deserialize<'de> for ImageData<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = ImageData<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ImageData {
                    len: v.len() as u64,
                    base64: Some(v),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ImageData {
                    len: v.len() as u64,
                    base64: None,
                })
            }
            // Anything but a string has no data (length 0), and is not an error.
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ImageData::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ImageData::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ImageData::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ImageData::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ImageData::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ImageData::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ImageData::default())
            }
        }
        deserializer.deserialize_any(DataVisitor)
    }
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
    /// `standard` or `fast` (2.1.77+); see [`crate::tokens::PriceFactors`].
    #[serde(deserialize_with = "lenient_label")]
    pub speed: Option<Cow<'static, str>>,
    /// `standard`, `priority` or `batch`.
    #[serde(deserialize_with = "lenient_label")]
    pub service_tier: Option<Cow<'static, str>>,
    /// Where inference ran (2.1.38+): `us`, `global`, `not_available`, `""`.
    #[serde(deserialize_with = "lenient_label")]
    pub inference_geo: Option<Cow<'static, str>>,
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
                Ok(Content::Text(Text::Plain(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Text::Plain(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Text::Plain(Cow::Owned(v))))
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

/// Reads a short label (`usage.speed`, `service_tier`, `inference_geo`) leniently: a string,
/// shared without allocation when it is one of the values Claude Code writes; `None` for `null`
/// and for anything that is not a string.
pub fn lenient_label<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'static, str>>, D::Error> {
    /// Values seen in transcripts (FORMAT.md §5) and in the API's documentation.
    const KNOWN: [&str; 8] = [
        "standard",
        "fast",
        "priority",
        "batch",
        "global",
        "us",
        "not_available",
        "",
    ];
    struct LabelVisitor;
    impl<'de> Visitor<'de> for LabelVisitor {
        type Value = Option<Cow<'static, str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(match KNOWN.iter().find(|k| **k == v) {
                Some(k) => Cow::Borrowed(*k),
                None => Cow::Owned(v.to_owned()),
            }))
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
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
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
    deserializer.deserialize_any(LabelVisitor)
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

/// Why a line could not be read as a record, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Byte offset of the problem in the line.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// Not JSON at all (as opposed to JSON of an unexpected shape).
    pub syntax: bool,
    /// The line ended too early.
    pub eof: bool,
}

impl From<ScanError> for RecordError {
    fn from(e: ScanError) -> Self {
        RecordError {
            offset: e.offset,
            message: e.message.to_owned(),
            syntax: true,
            eof: e.eof,
        }
    }
}

impl RecordError {
    /// An error serde found in the value starting at `value_offset` of the line.
    fn in_value(err: &serde_json::Error, value: &str, value_offset: usize) -> RecordError {
        use serde_json::error::Category;
        let text = err.to_string();
        // serde's own " at line 1 column N" is replaced by the offset in the line.
        let message = match text.rfind(" at line ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        let column = if err.classify() == Category::Eof {
            value.len()
        } else {
            err.column().saturating_sub(1).min(value.len())
        };
        RecordError {
            offset: value_offset + column,
            message,
            syntax: matches!(err.classify(), Category::Syntax | Category::Eof),
            eof: err.classify() == Category::Eof,
        }
    }
}

/// Parses one line (without its newline) into a [`Record`].
///
/// The top level is walked by [`crate::scan`]: members aegon does not read are skipped without
/// being decoded, members it reads are parsed from their own slice. A member of an unexpected
/// type is treated as absent (the format evolves), except `message`, without which a `user` or
/// `assistant` line means nothing: that is an error. Duplicate members: the last one wins.
pub fn parse_record(line: &str) -> Result<Record<'_>, RecordError> {
    parse_members(line).map_err(|mut e| {
        // Valid JSON that is not an object (`[1,2]`, `"text"`) has the wrong shape.
        if e.syntax && serde_json::from_str::<IgnoredAny>(line).is_ok() {
            e.syntax = false;
            e.message = "a JSON value that is not an object".to_owned();
        }
        e
    })
}

fn parse_members(line: &str) -> Result<Record<'_>, RecordError> {
    let mut r = Record::default();
    for_each_member(line, |key, value, at| {
        match key {
            "type" => r.kind = string(value),
            "uuid" => r.uuid = string(value),
            "sessionId" => r.session_id = string(value),
            "timestamp" => r.timestamp = string(value),
            "agentId" => r.agent_id = string(value),
            "isSidechain" => r.is_sidechain = value == "true",
            "isMeta" => r.is_meta = value == "true",
            "isCompactSummary" => r.is_compact_summary = value == "true",
            "isApiErrorMessage" => r.is_api_error_message = value == "true",
            "isSnapshotUpdate" => r.is_snapshot_update = value == "true",
            "requestId" => r.request_id = string(value),
            "message" => {
                r.message = Some(
                    serde_json::from_str(value)
                        .map_err(|e| RecordError::in_value(&e, value, at))?,
                )
            }
            "apiErrorStatus" => r.api_error_status = number(value),
            "error" => r.error = raw(value),
            "subtype" => r.subtype = string(value),
            "content" => r.content = raw(value),
            "level" => r.level = string(value),
            "compactMetadata" => r.compact_metadata = serde_json::from_str(value).ok(),
            "retryAttempt" => r.retry_attempt = number(value),
            "maxRetries" => r.max_retries = number(value),
            "retryInMs" => r.retry_in_ms = number(value),
            "durationMs" => r.duration_ms = number(value),
            "summary" => r.summary = string(value),
            "leafUuid" => r.leaf_uuid = string(value),
            "aiTitle" => r.ai_title = string(value),
            "customTitle" => r.custom_title = string(value),
            "lastPrompt" => r.last_prompt = string(value),
            "mode" => r.mode = string(value),
            "permissionMode" => r.permission_mode = string(value),
            "operation" => r.operation = string(value),
            "messageId" => r.message_id = string(value),
            "snapshot" => r.snapshot = serde_json::from_str(value).ok(),
            "data" => {
                r.data = member_string(value, "type").map(|kind| TypeOnly { kind: Some(kind) })
            }
            "toolUseID" => r.tool_use_id = string(value),
            "parentToolUseID" => r.parent_tool_use_id = string(value),
            "attachment" => {
                r.attachment =
                    member_string(value, "type").map(|kind| TypeOnly { kind: Some(kind) })
            }
            "promptSource" => r.prompt_source = string(value),
            "cwd" => r.cwd = string(value),
            "gitBranch" => r.git_branch = string(value),
            "version" => r.version = string(value),
            "toolUseResult" => r.tool_use_result = Some(value),
            "origin" => {
                r.origin = member_string(value, "kind").map(|kind| Origin { kind: Some(kind) })
            }
            _ => {}
        }
        Ok::<(), RecordError>(())
    })?;
    Ok(r)
}

/// A string value, borrowed unless it has escapes; `None` for anything else.
fn string(value: &str) -> Option<Cow<'_, str>> {
    if let Some(plain) = plain_str(value) {
        return Some(Cow::Borrowed(plain));
    }
    if !value.starts_with('"') {
        return None;
    }
    #[derive(Deserialize)]
    struct Str<'a>(#[serde(borrow)] Cow<'a, str>);
    serde_json::from_str::<Str<'_>>(value).ok().map(|s| s.0)
}

/// A count, read leniently (see [`lenient_opt_u64`]); `None` for a value that is not a number.
fn number(value: &str) -> Option<u64> {
    if let Ok(n) = value.parse::<u64>() {
        return Some(n);
    }
    let mut de = serde_json::Deserializer::from_str(value);
    lenient_opt_u64(&mut de).ok().flatten()
}

/// The value as raw JSON (checked to be JSON).
fn raw(value: &str) -> Option<&RawValue> {
    serde_json::from_str(value).ok()
}

/// The string member `key` of the object `value`, read without decoding the rest of it.
pub fn member_string<'a>(value: &'a str, key: &str) -> Option<Cow<'a, str>> {
    let mut found = None;
    let _ = for_each_member(value, |k, v, _| {
        if k == key {
            found = string(v);
        }
        Ok::<(), ScanError>(())
    });
    found
}
