//! Borrowed input types: one transcript line as Claude Code writes it.
//!
//! A line is parsed in one pass into a flat [`Record`] that holds every field aegon reads, for
//! every record `type`; fields it does not read (`toolUseResult`, `snapshot` contents, a
//! thinking block's `signature`, …) are skipped by the scanner ([`crate::format::claude::scan`])
//! without being decoded or stored. The line's top level and its `message` (blocks, usage) are
//! walked member by member by the scanner. A string or a raw value aegon keeps is read in one
//! pass by the validator (`format::claude::validate`), which checks it as strictly as
//! serde_json and finds its end together (and says whether a string holds escapes: only those
//! are decoded, by serde). Only a value that pass refuses is read as before, its end found by
//! the scanner and the slice given to serde, so a fault is reported in the same words at the
//! same byte. serde also reads numbers that are not a plain run of digits, and a message member
//! by member when it holds a fault. Strings are `Cow<str>` borrowed from the line unless they
//! contain escapes; JSON that is passed through untouched (tool inputs, tool results) is kept
//! as borrowed [`RawJson`]. Unknown fields are ignored and unknown record or block types are
//! kept by name, so a new Claude Code version never makes a line fail to
//! parse: the format evolves without notice (see `shared/corpus/FORMAT.md`).
//!
//! Token counts (`message.usage`) are read by [`crate::format::count`]'s rule: one that is not
//! a whole number from 0 to 2^53 (`1e300`, `-5`, `12.7`, `"12"`) is refused, read as 0 and
//! noted in [`Record::problems`] (the line is partly read), instead of rejecting the line.
//! Other numbers (durations, statuses) are read leniently ([`lenient_u64`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::format::claude::scan::{
    array_end_by_elements, for_each_element, for_each_member, for_each_member_at,
    object_end_by_members, plain_str, value_end, ScanError,
};
use crate::format::claude::validate;
use crate::json::RawJson;
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
    pub error: Option<RawJson<'a>>,
    /// `system` subtype (`compact_boundary`, `api_error`, `turn_duration`, …).
    pub subtype: Option<Cow<'a, str>>,
    /// Text of `system` and `queue-operation` lines (raw: its type is not guaranteed).
    pub content: Option<RawJson<'a>>,
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
    /// `pr-link` records: the pull request's number.
    pub pr_number: Option<u64>,
    /// `pr-link` records: the pull request's address.
    pub pr_url: Option<Cow<'a, str>>,
    /// `pr-link` records: `owner/repo`.
    pub pr_repository: Option<Cow<'a, str>>,
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
    /// `progress` records of `agent_progress` data: the subagent it reports on
    /// (`data.agentId`).
    pub progress_agent_id: Option<Cow<'a, str>>,
    /// `progress` records of `agent_progress` data: the copy of the subagent's line it carries
    /// (`data.message`, an object: for an assistant line its `message` with `id`, `model` and
    /// `usage`, `requestId`, `uuid`, `timestamp`), exactly as written, unread (FORMAT.md §3.2).
    pub progress_copy: Option<&'a str>,
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
    /// Where a `usage` member at the line's top level starts (in the line), when there is
    /// one: aegon reads a response's usage only from `message.usage`, so an assistant line
    /// whose message has none is a response whose tokens it cannot read
    /// ([`crate::tokens::Unread::Elsewhere`]).
    pub usage_elsewhere: Option<usize>,
    /// Members that could not be read as written, and what was done instead (empty on a clean
    /// line). A member of an unexpected *type* is treated as absent without a word (the
    /// format evolves); content that fails to decode, and shapes that lose what a line says
    /// (a `message` that is not an object, content items that are not blocks, a `usage` that
    /// is not an object), are listed here, so the line is reported as partly read.
    pub problems: Vec<Problem>,
}

/// Something in a line that could not be read as written (see [`Record::problems`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset in the line (of the member, or of the fault inside it when known).
    pub offset: usize,
    /// What is wrong, naming the member, and what was kept
    /// (``"`message.content[2]` is a number, not a content block: skipped"``).
    pub message: String,
    /// True when the text is not valid JSON there (as opposed to valid JSON of an unexpected
    /// shape).
    pub syntax: bool,
    /// True when it is about a token count of `message.usage` that could not be read: one
    /// refused ([`crate::format::count`]) or one aegon does not know ([`Usage::other_counts`]).
    /// On a response, its cost is then unknown ([`crate::tokens::Unread`]).
    pub count: bool,
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
///
/// Read leniently: a member of an unexpected type is absent; a `usage` that is not an object
/// and content items that are not blocks are noted in [`Message::notes`].
#[derive(Debug, Default)]
pub struct Message<'a> {
    /// `user` or `assistant` (what a line without `type` is read as).
    pub role: Option<Cow<'a, str>>,
    /// Model name (`claude-opus-4-6`, `<synthetic>`, gateway names, …).
    pub model: Option<Cow<'a, str>>,
    /// API response id, shared by all lines of one response.
    pub id: Option<Cow<'a, str>>,
    /// A string (typed prompt) or a list of content blocks.
    pub content: Option<Content<'a>>,
    /// Token usage of the response (repeated on every line of it).
    pub usage: Option<Usage>,
    /// What could not be read as written (``"`message.usage` is a string, …"``), for
    /// [`Record::problems`].
    pub notes: Vec<String>,
}

/// The message read whole by serde, as it was read before [`Reader::message_scanned`]: the
/// reference the scanner-first reading is tested against.
#[cfg(test)]
impl<'de: 'a, 'a> Deserialize<'de> for Message<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = Message<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut m = Message::default();
                while let Some(key) = map.next_key::<MessageKey>()? {
                    read_message_member(&mut m, key, &mut map)?;
                }
                shape_notes(&mut m);
                Ok(m)
            }
        }
        deserializer.deserialize_map(MessageVisitor)
    }
}

/// Notes in `m.notes` the content items of a message read whole that are not blocks, after
/// the notes made while reading it (as a message read whole has always listed them).
fn shape_notes(m: &mut Message<'_>) {
    if let Some(Content::Blocks(blocks)) = &m.content {
        for (i, block) in blocks.iter().enumerate() {
            match block.shape {
                BlockShape::Object => {}
                BlockShape::Text => m.notes.push(format!(
                    "`message.content[{i}]` is a string, not a content block: read as text"
                )),
                BlockShape::Other(what) => m.notes.push(format!(
                    "`message.content[{i}]` is {what}, not a content block: skipped"
                )),
            }
        }
    }
}

/// The members of a message aegon reads (keys matched without being allocated).
#[derive(Clone, Copy)]
enum MessageKey {
    Role,
    Model,
    Id,
    Content,
    Usage,
    Other,
}

impl MessageKey {
    fn of(name: &str) -> MessageKey {
        match name {
            "role" => MessageKey::Role,
            "model" => MessageKey::Model,
            "id" => MessageKey::Id,
            "content" => MessageKey::Content,
            "usage" => MessageKey::Usage,
            _ => MessageKey::Other,
        }
    }
}

/// The value of one member of a `message`, read from where the message is being read: a member
/// the scanner lent when the message could not be read whole ([`Reader::message_by_members`],
/// each fault noted and the other members kept), or (in tests, as the reference) serde's map
/// access of a message read whole.
trait MessageValue<'a> {
    type Error;
    /// A string member (`role`, `model`, `id`): `None` for another type, or a fault noted.
    fn string(&mut self, name: &str) -> Result<Option<Cow<'a, str>>, Self::Error>;
    /// `content`.
    fn content(&mut self) -> Result<Option<Content<'a>>, Self::Error>;
    /// `usage`: `None` when it could not be read (noted).
    fn usage(&mut self) -> Result<Option<UsageField>, Self::Error>;
    /// A `usage` that is `what`, not an object: noted, with what it does to `m.usage`.
    fn usage_not_object(&mut self, m: &mut Message<'a>, what: &'static str);
    /// A member aegon does not read.
    fn skip(&mut self) -> Result<(), Self::Error>;
}

/// Reads the member `key` of a message into `m`, its value from `value`. The one place that
/// says which members of a message are read and how, for both ways a message is read.
fn read_message_member<'a, V: MessageValue<'a>>(
    m: &mut Message<'a>,
    key: MessageKey,
    value: &mut V,
) -> Result<(), V::Error> {
    match key {
        MessageKey::Role => m.role = value.string("message.role")?,
        MessageKey::Model => m.model = value.string("message.model")?,
        MessageKey::Id => m.id = value.string("message.id")?,
        MessageKey::Content => m.content = value.content()?,
        // A `usage` written but not readable as one (null, another type, a count out of
        // range) is usage with no token count aegon knows: the response is an API call of
        // unknown cost (`Unread::NoCounts`), never dropped with the rest shown complete.
        MessageKey::Usage => match value.usage()? {
            Some(UsageField::Object(u)) => m.usage = Some(u),
            Some(UsageField::Null) => m.usage = Some(Usage::default()),
            Some(UsageField::Other(what)) => {
                value.usage_not_object(m, what);
                m.usage = Some(Usage::default());
            }
            None => m.usage = Some(Usage::default()),
        },
        MessageKey::Other => value.skip()?,
    }
    Ok(())
}

/// The note for a `usage` that is not an object.
fn usage_note(what: &str) -> String {
    format!("`message.usage` is {what}, not an object: no tokens read, the response's cost unknown")
}

/// A message read whole by serde: the members' values from its map access.
#[cfg(test)]
impl<'de, A: MapAccess<'de>> MessageValue<'de> for A {
    type Error = A::Error;
    fn string(&mut self, _: &str) -> Result<Option<Cow<'de, str>>, A::Error> {
        Ok(self.next_value::<LenientStr<'de>>()?.0)
    }
    fn content(&mut self) -> Result<Option<Content<'de>>, A::Error> {
        self.next_value()
    }
    fn usage(&mut self) -> Result<Option<UsageField>, A::Error> {
        self.next_value().map(Some)
    }
    fn usage_not_object(&mut self, m: &mut Message<'de>, what: &'static str) {
        m.notes.push(usage_note(what));
    }
    fn skip(&mut self) -> Result<(), A::Error> {
        self.next_value::<IgnoredAny>().map(|_| ())
    }
}

#[cfg(test)]
impl<'de> Deserialize<'de> for MessageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = MessageKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MessageKey, E> {
                Ok(MessageKey::of(v))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `message.usage` as found: an object, `null`, or something else (named).
enum UsageField {
    Object(Usage),
    Null,
    Other(&'static str),
}

impl<'de> Deserialize<'de> for UsageField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UsageVisitor;
        impl<'de> Visitor<'de> for UsageVisitor {
            type Value = UsageField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a usage object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<UsageField, A::Error> {
                Usage::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(UsageField::Object)
            }
            fn visit_unit<E: de::Error>(self) -> Result<UsageField, E> {
                Ok(UsageField::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<UsageField, E> {
                Ok(UsageField::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<UsageField, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<UsageField, E> {
                Ok(UsageField::Other("a boolean"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<UsageField, E> {
                Ok(UsageField::Other("a number"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<UsageField, E> {
                Ok(UsageField::Other("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<UsageField, E> {
                Ok(UsageField::Other("a number"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<UsageField, E> {
                Ok(UsageField::Other("a string"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UsageField, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(UsageField::Other("an array"))
            }
        }
        deserializer.deserialize_any(UsageVisitor)
    }
}

/// A string member read leniently: `None` for a value of another type (skipped).
#[cfg(test)]
struct LenientStr<'a>(Option<Cow<'a, str>>);

#[cfg(test)]
impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient_str(deserializer).map(LenientStr)
    }
}

/// Reads a string leniently: borrowed when it has no escapes, `None` for a value of another
/// type (skipped). Decoding errors (a bad escape) are still errors.
pub fn lenient_str<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct StrVisitor;
    impl<'de> Visitor<'de> for StrVisitor {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
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
    deserializer.deserialize_any(StrVisitor)
}

/// Reads a JSON string as [`Text`] leniently: `None` for a value of another type.
fn lenient_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Text<'de>>, D::Error> {
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    Ok(Text::from_raw(raw))
}

/// Reads an object of type `T` leniently, in one pass: `None` for a value that is not an
/// object (skipped). Errors inside the object are still errors.
fn lenient_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_any(ObjectVisitor(std::marker::PhantomData))
}

/// Reads a list of objects of type `T` leniently: `None` for a value that is not a list;
/// items that are not objects are left out.
fn lenient_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    deserializer.deserialize_any(ListVisitor(std::marker::PhantomData))
}

/// The visitor of [`lenient_object`].
struct ObjectVisitor<T>(std::marker::PhantomData<T>);

/// Implements the visits of a lenient visitor that skip what it does not take.
macro_rules! skip_other_values {
    ($value:ty, $none:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> {
            Ok($none)
        }
        fn visit_none<E: de::Error>(self) -> Result<$value, E> {
            Ok($none)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> {
            Ok($none)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> {
            Ok($none)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> {
            Ok($none)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> {
            Ok($none)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$value, E> {
            Ok($none)
        }
    };
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    skip_other_values!(Option<T>, None);
}

/// The visitor of [`lenient_list`].
struct ListVisitor<T>(std::marker::PhantomData<T>);

/// One item of a lenient list.
struct ListItem<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListItem<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient_object(deserializer).map(ListItem)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Option<Vec<T>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(ListItem(item)) = seq.next_element::<ListItem<T>>()? {
            items.extend(item);
        }
        Ok(Some(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    skip_other_values!(Option<Vec<T>>, None);
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

/// One content block, with the fields of all block types flattened together. A field of an
/// unexpected type is absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Block<'a> {
    /// `text`, `thinking`, `redacted_thinking`, `tool_use`, `tool_result`, `image`, …
    #[serde(rename = "type", borrow, deserialize_with = "lenient_str")]
    pub kind: Option<Cow<'a, str>>,
    /// `text` blocks.
    #[serde(borrow, deserialize_with = "lenient_text")]
    pub text: Option<Text<'a>>,
    /// `thinking` blocks.
    #[serde(borrow, deserialize_with = "lenient_text")]
    pub thinking: Option<Text<'a>>,
    /// `tool_use` blocks: the call id.
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub id: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the tool name.
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub name: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the input, passed through untouched.
    #[serde(borrow)]
    pub input: Option<RawJson<'a>>,
    /// `tool_result` blocks: the call answered.
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub tool_use_id: Option<Cow<'a, str>>,
    /// `tool_result` blocks: a string or a list of blocks, kept raw.
    #[serde(borrow)]
    pub content: Option<RawJson<'a>>,
    /// `tool_result` blocks.
    #[serde(deserialize_with = "lenient_bool")]
    pub is_error: bool,
    /// `image` blocks.
    #[serde(borrow, deserialize_with = "lenient_object")]
    pub source: Option<ImageSource<'a>>,
    /// `redacted_thinking` blocks: opaque data (only its length is read).
    #[serde(deserialize_with = "string_len")]
    pub data: u64,
    /// What the item was in `content`: an object, or a bare string read as a `text` block, or
    /// something else (with no fields).
    #[serde(skip)]
    pub shape: BlockShape,
}

/// What a `content` item was written as.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum BlockShape {
    /// An object: a content block.
    #[default]
    Object,
    /// A bare string, read as a `text` block.
    Text,
    /// Something else (`a number`, `an array`, …): nothing read.
    Other(&'static str),
}

/// One item of a `content` list: a block, a bare string (a text block) or anything else.
struct Item<'a>(Block<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl ItemVisitor {
            fn text<'a>(text: Cow<'a, str>) -> Item<'a> {
                Item(Block {
                    kind: Some(Cow::Borrowed("text")),
                    text: Some(Text::Plain(text)),
                    shape: BlockShape::Text,
                    ..Block::default()
                })
            }
            fn other<'a>(what: &'static str) -> Item<'a> {
                Item(Block {
                    shape: BlockShape::Other(what),
                    ..Block::default()
                })
            }
        }
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a content block")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Block::deserialize(de::value::MapAccessDeserializer::new(map)).map(Item)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Self::text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Self::text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Self::text(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Self::other("null"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Self::other("a boolean"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Self::other("a number"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Self::other("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Self::other("a number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Self::other("an array"))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
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

impl<'a> ImageData<'a> {
    /// The data of a decoded string: borrowed from the line (as written, no escapes in it), or
    /// a copy (it held escapes: its length only).
    #[inline]
    pub fn of(text: Cow<'a, str>) -> ImageData<'a> {
        ImageData {
            len: text.len() as u64,
            base64: match text {
                Cow::Borrowed(text) => Some(text),
                Cow::Owned(_) => None,
            },
        }
    }
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
                Ok(ImageData::of(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                // Not borrowed: the length only.
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
///
/// A token count that is not one ([`crate::format::count`]) is 0 in a usage of a parsed
/// [`Record`] (and noted in its problems, [`Usage::refused_input`] or [`Usage::refused_other`]
/// set); a `Usage` deserialized on its own holds it as `u64::MAX`, which
/// [`crate::tokens::Tokens::from_usage`] counts as 0. Deserialized by hand (member names
/// matched without allocation, as a derived one), so that a member aegon does not know is
/// looked at when its name says it is a token count ([`Usage::other_counts`]); a member
/// written twice is taken from its last occurrence, as the one-pass reader of a
/// [`Record`] and `JSON.parse` take it.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens (a streaming snapshot on early lines of a response in older versions).
    pub output_tokens: u64,
    /// Cache writes, both TTLs together.
    pub cache_creation_input_tokens: u64,
    /// Cache hits.
    pub cache_read_input_tokens: u64,
    /// Cache writes split by TTL (1.0.90+).
    pub cache_creation: Option<CacheCreation>,
    /// Per-iteration usage (2.1.38+); when non-empty, their sum is the response's usage.
    pub iterations: Option<Vec<Usage>>,
    /// `standard` or `fast` (2.1.77+); see [`crate::tokens::PriceFactors`].
    pub speed: Option<Cow<'static, str>>,
    /// `standard`, `priority` or `batch`.
    pub service_tier: Option<Cow<'static, str>>,
    /// Where inference ran (2.1.38+): `us`, `global`, `not_available`, `""`.
    pub inference_geo: Option<Cow<'static, str>>,
    /// Server tools the API ran for the response (1.0.90+), billed apart from tokens.
    /// Outer only: `iterations` elements carry none (FORMAT.md §5).
    pub server_tool_use: Option<ServerToolUse>,
    /// True when a member aegon does not read, whose name ends in `_tokens`, holds a number
    /// above 0 (`audio_input_tokens: 5000`, `cache_creation_24h_input_tokens`): tokens of a
    /// kind aegon has no price for, which make the response's cost unknown
    /// ([`crate::tokens::Unread::OtherCounts`]). Every `*_tokens` member of the real corpus's
    /// usage is one aegon reads; a 0 there is no tokens, and other members (`service_tier`,
    /// `server_tool_use`, `speed`, …) are not counts.
    pub other_counts: bool,
    /// Set by the reader of a [`Record`] when it made a refused input count 0:
    /// `input_tokens`, `cache_read_input_tokens`, `cache_creation_input_tokens` or a
    /// `cache_creation` TTL ([`crate::tokens::Unread::RefusedInput`]).
    pub refused_input: bool,
    /// Set by the reader when it made another refused count 0 (`output_tokens`,
    /// `server_tool_use.web_search_requests`: [`crate::tokens::Unread::Refused`]).
    pub refused_other: bool,
}

/// The members of a usage object ([`Usage`]'s hand-written `Deserialize`).
enum UsageKey {
    Input,
    Output,
    CacheCreationInput,
    CacheRead,
    CacheCreation,
    Iterations,
    Speed,
    ServiceTier,
    InferenceGeo,
    ServerToolUse,
    /// A member aegon does not read whose name ends in `_tokens`.
    OtherCount,
    Other,
}

impl UsageKey {
    #[inline]
    fn of(name: &str) -> UsageKey {
        match name {
            "input_tokens" => UsageKey::Input,
            "output_tokens" => UsageKey::Output,
            "cache_creation_input_tokens" => UsageKey::CacheCreationInput,
            "cache_read_input_tokens" => UsageKey::CacheRead,
            "cache_creation" => UsageKey::CacheCreation,
            "iterations" => UsageKey::Iterations,
            "speed" => UsageKey::Speed,
            "service_tier" => UsageKey::ServiceTier,
            "inference_geo" => UsageKey::InferenceGeo,
            "server_tool_use" => UsageKey::ServerToolUse,
            _ if is_other_count(name) => UsageKey::OtherCount,
            _ => UsageKey::Other,
        }
    }
}

/// Whether `name`, the name of a usage member aegon does not read, says it is a token count.
#[inline]
fn is_other_count(name: &str) -> bool {
    name.ends_with("_tokens")
}

impl<'de> Deserialize<'de> for UsageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = UsageKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UsageKey, E> {
                Ok(UsageKey::of(v))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A member value read by one of the lenient readers, for [`Usage`]'s `Deserialize`.
macro_rules! lenient_value {
    ($name:ident, $t:ty, $read:expr) => {
        struct $name($t);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $read(deserializer).map($name)
            }
        }
    };
}

lenient_value!(TokenCount, u64, token_count);
lenient_value!(LenientCache, Option<CacheCreation>, lenient_object);
lenient_value!(LenientIterations, Option<Vec<Usage>>, lenient_list);
lenient_value!(LenientLabel, Option<Cow<'static, str>>, lenient_label);
lenient_value!(LenientServerTools, Option<ServerToolUse>, lenient_object);

impl<'de> Deserialize<'de> for Usage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UsageVisitor;
        impl<'de> Visitor<'de> for UsageVisitor {
            type Value = Usage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a usage object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Usage, A::Error> {
                let mut u = Usage::default();
                while let Some(key) = map.next_key::<UsageKey>()? {
                    let count = |map: &mut A| map.next_value::<TokenCount>().map(|c| c.0);
                    match key {
                        UsageKey::Input => u.input_tokens = count(&mut map)?,
                        UsageKey::Output => u.output_tokens = count(&mut map)?,
                        UsageKey::CacheCreationInput => {
                            u.cache_creation_input_tokens = count(&mut map)?;
                        }
                        UsageKey::CacheRead => u.cache_read_input_tokens = count(&mut map)?,
                        UsageKey::CacheCreation => {
                            u.cache_creation = map.next_value::<LenientCache>()?.0;
                        }
                        UsageKey::Iterations => {
                            u.iterations = map.next_value::<LenientIterations>()?.0;
                        }
                        UsageKey::Speed => u.speed = map.next_value::<LenientLabel>()?.0,
                        UsageKey::ServiceTier => {
                            u.service_tier = map.next_value::<LenientLabel>()?.0;
                        }
                        UsageKey::InferenceGeo => {
                            u.inference_geo = map.next_value::<LenientLabel>()?.0;
                        }
                        UsageKey::ServerToolUse => {
                            u.server_tool_use = map.next_value::<LenientServerTools>()?.0;
                        }
                        UsageKey::OtherCount => u.other_counts |= map.next_value::<Positive>()?.0,
                        UsageKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(u)
            }
        }
        deserializer.deserialize_map(UsageVisitor)
    }
}

/// `usage.server_tool_use`: how many times the API ran each server tool for the response.
/// `web_fetch_requests` (2.0.60+) is not read: web fetches cost only the tokens they add
/// ([`crate::session::pricing`]).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct ServerToolUse {
    /// Web searches run (`web_search_requests`), each billed a flat fee.
    #[serde(deserialize_with = "token_count")]
    pub web_search_requests: u64,
}

/// `usage.cache_creation`.
#[derive(Debug, Default, Clone)]
pub struct CacheCreation {
    /// Writes with the 5-minute TTL.
    pub ephemeral_5m_input_tokens: u64,
    /// Writes with the 1-hour TTL.
    pub ephemeral_1h_input_tokens: u64,
    /// True when another member holds a number above 0: writes of a TTL aegon has no price
    /// for (`ephemeral_24h_input_tokens`), which make the response's cost unknown
    /// ([`crate::tokens::Unread::CacheTtl`]).
    pub other_ttl: bool,
}

impl<'de> Deserialize<'de> for CacheCreation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CacheVisitor;
        impl<'de> Visitor<'de> for CacheVisitor {
            type Value = CacheCreation;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a cache_creation object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CacheCreation, A::Error> {
                let mut c = CacheCreation::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "ephemeral_5m_input_tokens" => {
                            c.ephemeral_5m_input_tokens =
                                marked(map.next_value::<crate::format::Count>()?);
                        }
                        "ephemeral_1h_input_tokens" => {
                            c.ephemeral_1h_input_tokens =
                                marked(map.next_value::<crate::format::Count>()?);
                        }
                        _ => c.other_ttl |= map.next_value::<Positive>()?.0,
                    }
                }
                Ok(c)
            }
        }
        deserializer.deserialize_map(CacheVisitor)
    }
}

/// Whether a JSON value holds something (a number other than 0, `true`, a non-empty string,
/// array or object; not 0, `null`, `false`, `""`, `[]` or `{}`), as
/// [`positive_number`] tells it from the value's text: under a name aegon does not know that
/// says it is a token count, a count of a kind it cannot read (a string `"5000"` included).
struct Positive(bool);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PositiveVisitor;
        impl<'de> Visitor<'de> for PositiveVisitor {
            type Value = Positive;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Positive, E> {
                Ok(Positive(v > 0))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Positive, E> {
                Ok(Positive(v != 0))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Positive, E> {
                Ok(Positive(v != 0.0))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Positive, E> {
                Ok(Positive(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Positive, E> {
                Ok(Positive(!v.is_empty()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Positive, E> {
                Ok(Positive(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<Positive, E> {
                Ok(Positive(false))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Positive, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Positive, A::Error> {
                let mut any = false;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    any = true;
                }
                Ok(Positive(any))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Positive, A::Error> {
                let mut any = false;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    any = true;
                }
                Ok(Positive(any))
            }
        }
        deserializer.deserialize_any(PositiveVisitor)
    }
}

/// Whether `value` (a JSON value's text) holds something, as [`Positive`] tells it: a number
/// other than 0, `true`, a non-empty string, array or object.
fn positive_number(value: &str) -> bool {
    match value.as_bytes().first() {
        Some(b'0'..=b'9' | b'-') => value.parse::<f64>().is_ok_and(|n| n != 0.0),
        Some(b't') => true,
        Some(b'"') => value.len() > 2,
        Some(b'[' | b'{') => value
            .get(1..value.len().saturating_sub(1))
            .is_some_and(|inner| !inner.trim().is_empty()),
        _ => false,
    }
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
                while let Some(Item(block)) = seq.next_element::<Item<'de>>()? {
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
/// and numbers beyond [`crate::format::MAX_COUNT`] (`1e300`: damage, which saturated would
/// price one line at trillions of dollars) and anything that is not a number (null,
/// strings, …) as 0.
pub fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_u64(deserializer)?.unwrap_or(0))
}

/// Like [`lenient_u64`], with `None` for a value that is not a number or is beyond
/// [`crate::format::MAX_COUNT`].
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
            Ok(crate::format::count_of(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(u64::try_from(v).unwrap_or(0)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.is_nan() || v > crate::format::MAX_COUNT as f64 {
                // Beyond the largest count, or NaN.
                return Ok(None);
            }
            // `as` truncates a fraction and takes a negative number as 0.
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

/// What a refused token count ([`crate::format::Count::Refused`]) is held as in a [`Usage`]
/// between its reading and the [`Reader`], which makes it 0 and notes it
/// ([`Usage::clear_refused`]): beyond [`crate::format::MAX_COUNT`], so never a count.
const REFUSED: u64 = u64::MAX;

/// Reads a token count of a [`Usage`] by [`crate::format::count`]'s rule: absent (`null`) as 0,
/// a refused one as [`REFUSED`].
fn token_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(marked(crate::format::Count::deserialize(deserializer)?))
}

/// A [`crate::format::Count`] as a [`Usage`] holds it.
#[inline]
fn marked(c: crate::format::Count) -> u64 {
    match c {
        crate::format::Count::Read(n) => n,
        crate::format::Count::Absent => 0,
        crate::format::Count::Refused => REFUSED,
    }
}

/// The token counts of a `message.usage`, as paths in it, for naming a refused one
/// ([`crate::format::count::refused_counts`]).
const USAGE_COUNTS: [&str; 13] = [
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
    "iterations[].input_tokens",
    "iterations[].output_tokens",
    "iterations[].cache_creation_input_tokens",
    "iterations[].cache_read_input_tokens",
    "iterations[].cache_creation.ephemeral_5m_input_tokens",
    "iterations[].cache_creation.ephemeral_1h_input_tokens",
    "server_tool_use.web_search_requests",
];

impl Usage {
    /// Makes each refused count ([`REFUSED`]) 0, in the usage and its iterations, marking each
    /// usage object that held one ([`Usage::refused_input`], [`Usage::refused_other`]); true
    /// when there was one. One comparison a count: every usage read passes here.
    #[inline]
    fn clear_refused(&mut self) -> bool {
        let clear = |n: &mut u64, any: &mut bool| {
            if *n == REFUSED {
                *n = 0;
                *any = true;
            }
        };
        let (mut input, mut other) = (false, false);
        clear(&mut self.input_tokens, &mut input);
        clear(&mut self.output_tokens, &mut other);
        clear(&mut self.cache_creation_input_tokens, &mut input);
        clear(&mut self.cache_read_input_tokens, &mut input);
        if let Some(c) = &mut self.cache_creation {
            clear(&mut c.ephemeral_5m_input_tokens, &mut input);
            clear(&mut c.ephemeral_1h_input_tokens, &mut input);
        }
        if let Some(t) = &mut self.server_tool_use {
            clear(&mut t.web_search_requests, &mut other);
        }
        self.refused_input |= input;
        self.refused_other |= other;
        let mut any = input | other;
        if let Some(items) = &mut self.iterations {
            for item in items {
                any |= item.clear_refused();
            }
        }
        any
    }

    /// Whether the usage or one of its iterations holds a count aegon does not know
    /// ([`Usage::other_counts`]).
    #[inline]
    pub fn has_other_counts(&self) -> bool {
        self.other_counts
            || self
                .iterations
                .as_deref()
                .is_some_and(|i| i.iter().any(|u| u.other_counts))
    }
}

/// Label values seen in transcripts (FORMAT.md §5) and in the API's documentation, shared
/// without allocation.
const KNOWN_LABELS: [&str; 8] = [
    "standard",
    "fast",
    "priority",
    "batch",
    "global",
    "us",
    "not_available",
    "",
];

/// A label as kept: one of [`KNOWN_LABELS`] shared, anything else copied.
fn label(v: &str) -> Cow<'static, str> {
    match KNOWN_LABELS.iter().find(|k| **k == v) {
        Some(k) => Cow::Borrowed(*k),
        None => Cow::Owned(v.to_owned()),
    }
}

/// Reads a short label (`usage.speed`, `service_tier`, `inference_geo`) leniently: a string,
/// shared without allocation when it is one of the values Claude Code writes; `None` for `null`
/// and for anything that is not a string.
pub fn lenient_label<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'static, str>>, D::Error> {
    struct LabelVisitor;
    impl<'de> Visitor<'de> for LabelVisitor {
        type Value = Option<Cow<'static, str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(label(v)))
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
/// The top level is walked by [`crate::format::claude::scan`]: members aegon does not read are skipped without
/// being decoded, members it reads are parsed from their own slice. A member of an unexpected
/// type is treated as absent (the format evolves). A member that cannot be decoded, and a
/// `message` of the wrong shape, do not lose the line: the rest is read and the fault is listed
/// in [`Record::problems`]. A line without `type` whose `message.role` is `user` or `assistant`
/// (or whose message holds `usage`: an API response) is read as that record, as other tools'
/// minimal transcripts are written. Duplicate members: the last one wins.
///
/// Errors only when the line is not a JSON object (or its top level cannot be walked: an
/// unterminated string, unbalanced brackets).
pub fn parse_record(line: &str) -> Result<Record<'_>, RecordError> {
    let mut record = Record::default();
    parse_record_into(line, &mut record)?;
    Ok(record)
}

/// [`parse_record`] into `r`, which must be a [`Record::default`] (fields the line does not
/// hold are left as they are). A `Record` is large (about 1.5 KB: every field of every record
/// type); reading into one the caller holds, and lending it on, moves none of it per line.
/// On an error `r` holds what was read before it (to be discarded).
pub fn parse_record_into<'a>(line: &'a str, r: &mut Record<'a>) -> Result<(), RecordError> {
    parse_members(line, r).map_err(|mut e| {
        // Valid JSON that is not an object (`[1,2]`, `"text"`) has the wrong shape.
        let starts_object = line.trim_start().starts_with('{');
        if e.syntax && !starts_object && serde_json::from_str::<IgnoredAny>(line).is_ok() {
            e.syntax = false;
            e.message = "a JSON value that is not an object".to_owned();
        }
        e
    })
}

fn parse_members<'a>(line: &'a str, r: &mut Record<'a>) -> Result<(), RecordError> {
    let mut p = Reader::default();
    for_each_member_at(line, |key, at| {
        // The message (about half of a transcript's bytes) is read where it stands, by the
        // scanner in one pass that also finds its end. When it holds a fault, it is skipped
        // and read member by member, each fault noted.
        if key == "message" && line.as_bytes().get(at) == Some(&b'{') {
            // Read in place (a `Message` is some 300 bytes); one that holds a fault is read
            // again below, replacing what was read of it.
            let message = r.message.insert(Message::default());
            if let Some(end) = p.message_scanned(line, at, message) {
                return Ok(end);
            }
        }
        // Strings and raw values are checked and their ends found in one pass; the rest is
        // found by the scanner, then read.
        macro_rules! with_value {
            (|$value:ident| $read:expr) => {{
                let end = value_end(line, at)?;
                let $value = &line[at..end];
                $read;
                end
            }};
        }
        let end = match Top::of(key) {
            Top::Type => p.string_member(line, key, at, &mut r.kind)?,
            Top::Uuid => p.sized_string_member::<36>(line, key, at, &mut r.uuid)?,
            Top::SessionId => p.sized_string_member::<36>(line, key, at, &mut r.session_id)?,
            Top::Timestamp => p.sized_string_member::<24>(line, key, at, &mut r.timestamp)?,
            Top::AgentId => p.string_member(line, key, at, &mut r.agent_id)?,
            Top::IsSidechain => with_value!(|value| r.is_sidechain = value == "true"),
            Top::IsMeta => with_value!(|value| r.is_meta = value == "true"),
            Top::IsCompactSummary => with_value!(|value| r.is_compact_summary = value == "true"),
            Top::IsApiErrorMessage => with_value!(|value| r.is_api_error_message = value == "true"),
            Top::IsSnapshotUpdate => with_value!(|value| r.is_snapshot_update = value == "true"),
            Top::RequestId => p.sized_string_member::<28>(line, key, at, &mut r.request_id)?,
            Top::Message => with_value!(|value| r.message = p.message(value, at)),
            Top::ApiErrorStatus => {
                with_value!(|value| r.api_error_status = p.number(key, value, at))
            }
            Top::Error => p.raw_member(line, key, at, &mut r.error)?,
            Top::Subtype => p.string_member(line, key, at, &mut r.subtype)?,
            Top::Content => p.raw_member(line, key, at, &mut r.content)?,
            Top::Level => p.string_member(line, key, at, &mut r.level)?,
            Top::CompactMetadata => {
                with_value!(|value| r.compact_metadata = p.object(key, value, at))
            }
            Top::RetryAttempt => with_value!(|value| r.retry_attempt = p.number(key, value, at)),
            Top::MaxRetries => with_value!(|value| r.max_retries = p.number(key, value, at)),
            Top::RetryInMs => with_value!(|value| r.retry_in_ms = p.number(key, value, at)),
            Top::DurationMs => with_value!(|value| r.duration_ms = p.number(key, value, at)),
            Top::Summary => p.string_member(line, key, at, &mut r.summary)?,
            Top::LeafUuid => p.sized_string_member::<36>(line, key, at, &mut r.leaf_uuid)?,
            Top::AiTitle => p.string_member(line, key, at, &mut r.ai_title)?,
            Top::CustomTitle => p.string_member(line, key, at, &mut r.custom_title)?,
            Top::LastPrompt => p.string_member(line, key, at, &mut r.last_prompt)?,
            Top::Mode => p.string_member(line, key, at, &mut r.mode)?,
            Top::PermissionMode => p.string_member(line, key, at, &mut r.permission_mode)?,
            Top::Operation => p.string_member(line, key, at, &mut r.operation)?,
            Top::PrNumber => with_value!(|value| r.pr_number = p.number(key, value, at)),
            Top::PrUrl => p.string_member(line, key, at, &mut r.pr_url)?,
            Top::PrRepository => p.string_member(line, key, at, &mut r.pr_repository)?,
            Top::MessageId => p.sized_string_member::<36>(line, key, at, &mut r.message_id)?,
            Top::Snapshot => match snapshot_at(line, at).filter(|_| one_pass()) {
                Some((snapshot, end)) => {
                    r.snapshot = Some(snapshot);
                    end
                }
                None => with_value!(|value| r.snapshot = p.object(key, value, at)),
            },
            Top::Data => {
                let (kind, end) = p.member_string_at(line, key, at, "type")?;
                if kind.as_deref() == Some("agent_progress") {
                    // Rare (a running subagent's lines): its id and its line's copy read in a
                    // second walk.
                    (r.progress_agent_id, r.progress_copy) = agent_progress(&line[at..end]);
                }
                r.data = kind.map(|kind| TypeOnly { kind: Some(kind) });
                end
            }
            Top::ToolUseID => p.sized_string_member::<30>(line, key, at, &mut r.tool_use_id)?,
            Top::ParentToolUseID => {
                p.sized_string_member::<30>(line, key, at, &mut r.parent_tool_use_id)?
            }
            Top::Attachment => {
                let (kind, end) = p.member_string_at(line, key, at, "type")?;
                r.attachment = kind.map(|kind| TypeOnly { kind: Some(kind) });
                end
            }
            Top::PromptSource => p.string_member(line, key, at, &mut r.prompt_source)?,
            Top::Cwd => p.string_member(line, key, at, &mut r.cwd)?,
            Top::GitBranch => p.string_member(line, key, at, &mut r.git_branch)?,
            Top::Version => p.string_member(line, key, at, &mut r.version)?,
            Top::ToolUseResult => with_value!(|value| r.tool_use_result = Some(value)),
            Top::Origin => {
                let (kind, end) = p.member_string_at(line, key, at, "kind")?;
                r.origin = kind.map(|kind| Origin { kind: Some(kind) });
                end
            }
            Top::Usage => {
                r.usage_elsewhere = Some(at);
                value_end(line, at)?
            }
            Top::Other => value_end(line, at)?,
        };
        Ok::<usize, RecordError>(end)
    })?;
    if r.kind.is_none() {
        // Other tools' minimal lines: no `type`, the message says what it is.
        if let Some(m) = &r.message {
            r.kind = match m.role.as_deref() {
                Some("assistant") => Some(Cow::Borrowed("assistant")),
                Some("user") => Some(Cow::Borrowed("user")),
                None if m.usage.is_some() => Some(Cow::Borrowed("assistant")),
                _ => None,
            };
        }
    }
    r.problems = p.problems;
    Ok(())
}

/// The top-level members of a line that [`parse_members`] reads, by name; `Other` for the rest.
#[derive(Clone, Copy)]
enum Top {
    Type,
    Uuid,
    SessionId,
    Timestamp,
    AgentId,
    IsSidechain,
    IsMeta,
    IsCompactSummary,
    IsApiErrorMessage,
    IsSnapshotUpdate,
    RequestId,
    Message,
    ApiErrorStatus,
    Error,
    Subtype,
    Content,
    Level,
    CompactMetadata,
    RetryAttempt,
    MaxRetries,
    RetryInMs,
    DurationMs,
    Summary,
    LeafUuid,
    AiTitle,
    CustomTitle,
    LastPrompt,
    Mode,
    PermissionMode,
    Operation,
    PrNumber,
    PrUrl,
    PrRepository,
    MessageId,
    Snapshot,
    Data,
    ToolUseID,
    ParentToolUseID,
    Attachment,
    PromptSource,
    Cwd,
    GitBranch,
    Version,
    ToolUseResult,
    Origin,
    Usage,
    Other,
}

impl Top {
    /// The member named `key` (as written). Told apart by length first, then by its bytes
    /// (some 20 members a line, each compared with one to five names at most instead of
    /// with every name in turn).
    #[inline]
    fn of(key: &str) -> Top {
        match key.len() {
            3 => match key {
                "cwd" => Top::Cwd,
                _ => Top::Other,
            },
            4 => match key {
                "type" => Top::Type,
                "uuid" => Top::Uuid,
                "mode" => Top::Mode,
                "data" => Top::Data,
                _ => Top::Other,
            },
            5 => match key {
                "error" => Top::Error,
                "usage" => Top::Usage,
                "level" => Top::Level,
                "prUrl" => Top::PrUrl,
                _ => Top::Other,
            },
            6 => match key {
                "isMeta" => Top::IsMeta,
                "origin" => Top::Origin,
                _ => Top::Other,
            },
            7 => match key {
                "agentId" => Top::AgentId,
                "message" => Top::Message,
                "subtype" => Top::Subtype,
                "content" => Top::Content,
                "summary" => Top::Summary,
                "aiTitle" => Top::AiTitle,
                "version" => Top::Version,
                _ => Top::Other,
            },
            8 => match key {
                "leafUuid" => Top::LeafUuid,
                "prNumber" => Top::PrNumber,
                "snapshot" => Top::Snapshot,
                _ => Top::Other,
            },
            9 => match key {
                "sessionId" => Top::SessionId,
                "timestamp" => Top::Timestamp,
                "requestId" => Top::RequestId,
                "retryInMs" => Top::RetryInMs,
                "operation" => Top::Operation,
                "messageId" => Top::MessageId,
                "toolUseID" => Top::ToolUseID,
                "gitBranch" => Top::GitBranch,
                _ => Top::Other,
            },
            10 => match key {
                "maxRetries" => Top::MaxRetries,
                "durationMs" => Top::DurationMs,
                "lastPrompt" => Top::LastPrompt,
                "attachment" => Top::Attachment,
                _ => Top::Other,
            },
            11 => match key {
                "isSidechain" => Top::IsSidechain,
                "customTitle" => Top::CustomTitle,
                _ => Top::Other,
            },
            12 => match key {
                "retryAttempt" => Top::RetryAttempt,
                "prRepository" => Top::PrRepository,
                "promptSource" => Top::PromptSource,
                _ => Top::Other,
            },
            13 => match key {
                "toolUseResult" => Top::ToolUseResult,
                _ => Top::Other,
            },
            14 => match key {
                "apiErrorStatus" => Top::ApiErrorStatus,
                "permissionMode" => Top::PermissionMode,
                _ => Top::Other,
            },
            15 => match key {
                "compactMetadata" => Top::CompactMetadata,
                "parentToolUseID" => Top::ParentToolUseID,
                _ => Top::Other,
            },
            16 => match key {
                "isCompactSummary" => Top::IsCompactSummary,
                "isSnapshotUpdate" => Top::IsSnapshotUpdate,
                _ => Top::Other,
            },
            17 => match key {
                "isApiErrorMessage" => Top::IsApiErrorMessage,
                _ => Top::Other,
            },
            _ => Top::Other,
        }
    }
}

/// Reads member values, noting what cannot be decoded instead of dropping it silently.
#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
}

impl Reader {
    fn note(&mut self, offset: usize, message: String, syntax: bool) {
        self.problems.push(Problem {
            offset,
            message,
            syntax,
            count: false,
        });
    }

    /// Notes a token count of `message.usage` that could not be read ([`Problem::count`]).
    fn count_note(&mut self, offset: usize, message: String) {
        self.problems.push(Problem {
            offset,
            message,
            syntax: false,
            count: true,
        });
    }

    /// A serde error in `value` (at `at` in the line), for the member `name`.
    fn error(&mut self, name: &str, err: &serde_json::Error, value: &str, at: usize, kept: &str) {
        if let Some(r) = crate::format::claude::repair::lone_surrogates(value) {
            // serde's words for it ("unexpected end of hex escape") hide what is wrong.
            let offset = at + r.first;
            let escape = value.get(r.first..r.first + 6).unwrap_or("\\u");
            self.note(
                offset,
                format!("`{name}` holds a lone surrogate `{escape}`: {kept}"),
                true,
            );
            return;
        }
        let e = RecordError::in_value(err, value, at);
        self.note(
            e.offset,
            format!("`{name}` cannot be read ({}): {kept}", e.message),
            e.syntax,
        );
    }

    /// A string value, borrowed unless it has escapes; `None` for a value of another type, and
    /// for one that cannot be decoded (noted).
    #[inline]
    fn string<'a>(&mut self, key: &str, value: &'a str, at: usize) -> Option<Cow<'a, str>> {
        match decode_string(value) {
            Ok(s) => s,
            Err(e) => self.undecodable(key, &e, value, at),
        }
    }

    /// The top-level string member `key` starting at byte `at` of `line` into `slot`, as
    /// [`Reader::string`] reads it; the offset just past it. A string that is JSON is checked
    /// and its end found in one pass ([`validate::string_end_in`]), and only one with escapes
    /// decoded; anything else (another type, a string that is not JSON) is found by the
    /// scanner and read by [`Reader::string`], as before.
    #[inline]
    fn string_member<'a>(
        &mut self,
        line: &'a str,
        key: &str,
        at: usize,
        slot: &mut Option<Cow<'a, str>>,
    ) -> Result<usize, RecordError> {
        match validate::string_end_in(line, at).filter(|_| one_pass()) {
            Some((end, false)) => {
                *slot = line.get(at + 1..end - 1).map(Cow::Borrowed);
                Ok(end)
            }
            Some((end, true)) => {
                let literal = line.get(at..end).unwrap_or_default();
                *slot = match unescape(literal) {
                    Some(text) => Some(Cow::Owned(text)),
                    None => self.string(key, literal, at),
                };
                Ok(end)
            }
            None => {
                let end = value_end(line, at)?;
                *slot = self.string(key, &line[at..end], at);
                Ok(end)
            }
        }
    }

    /// [`Reader::string_member`] for a member whose value has most often `N` bytes (a uuid's
    /// 36, a timestamp's 24, a request id's 28, a tool call id's 30): a plain string of that
    /// length is taken by [`validate::sized_string_end`] without a search for its end; any
    /// other value is read by [`Reader::string_member`].
    #[inline]
    fn sized_string_member<'a, const N: usize>(
        &mut self,
        line: &'a str,
        key: &str,
        at: usize,
        slot: &mut Option<Cow<'a, str>>,
    ) -> Result<usize, RecordError> {
        if one_pass() {
            if let Some(end) = validate::sized_string_end::<N>(line, at) {
                *slot = line.get(at + 1..end - 1).map(Cow::Borrowed);
                return Ok(end);
            }
        }
        self.string_member(line, key, at, slot)
    }

    /// The top-level raw member `key` (`error`, `content`) starting at byte `at` of `line`
    /// into `slot`, as [`Reader::raw`] reads it; the offset just past it. A value that is JSON
    /// is checked and its end found in one pass ([`validate::value_end_in`]); one that is not
    /// is found by the scanner and read by [`Reader::raw`] (serde says what is wrong).
    #[inline]
    fn raw_member<'a>(
        &mut self,
        line: &'a str,
        key: &str,
        at: usize,
        slot: &mut Option<RawJson<'a>>,
    ) -> Result<usize, RecordError> {
        if let Some(end) = validate::value_end_in(line, at).filter(|_| one_pass()) {
            if let Some(value) = line.get(at..end) {
                *slot = Some(RawJson::trusted(value));
                return Ok(end);
            }
        }
        let end = value_end(line, at)?;
        *slot = self.raw(key, &line[at..end], at);
        Ok(end)
    }

    /// Notes a string that cannot be decoded; `None`.
    #[cold]
    fn undecodable<'a>(
        &mut self,
        key: &str,
        err: &serde_json::Error,
        value: &str,
        at: usize,
    ) -> Option<Cow<'a, str>> {
        self.error(key, err, value, at, "ignored");
        None
    }

    /// Notes the refused token counts of the usage `value` (at `at` in the line), which
    /// [`Usage::clear_refused`] made 0: each named, with the value as written, where it is.
    #[cold]
    fn refused_counts(&mut self, value: &str, at: usize) {
        let found = crate::format::count::refused_counts(value, &USAGE_COUNTS);
        if found.is_empty() {
            // Deeper than the paths name (iterations of iterations).
            self.count_note(
                at,
                "`message.usage` holds a value that is not a token count: read as 0".to_owned(),
            );
        }
        for mut r in found {
            r.field.insert_str(0, "message.usage.");
            self.count_note(at + r.offset, r.message());
        }
    }

    /// Notes the counts of the usage `value` (at `at` in the line) that could not be read:
    /// refused ones (`refused`, [`Reader::refused_counts`]), then ones aegon does not know
    /// (`other`, [`Reader::other_counts`]).
    #[cold]
    fn unread_counts(&mut self, value: &str, at: usize, refused: bool, other: bool) {
        if refused {
            self.refused_counts(value, at);
        }
        if other {
            self.other_counts(value, at);
        }
    }

    /// Notes the token counts aegon does not know in the usage `value` (at `at` in the line;
    /// [`Usage::other_counts`]), in it and in its iterations: each named, with the value as
    /// written, where it is.
    #[cold]
    fn other_counts(&mut self, value: &str, at: usize) {
        let mut found = Vec::new();
        let mut walk = |object: &str, off: usize, path: String| {
            // Best effort: the usage was read, so its text is JSON.
            let _ = for_each_member(object, |key, v, voff| -> Result<(), ScanError> {
                let name = match decoded(&format!("\"{key}\"")) {
                    Ok(name) => name.into_owned(),
                    Err(Fault) => return Ok(()),
                };
                if !matches!(UsageKey::of(&name), UsageKey::OtherCount) {
                    return Ok(());
                }
                if positive_number(v) {
                    found.push((
                        off + voff,
                        format!(
                            "`{path}.{name}` {v} is a token count aegon does not know: not counted"
                        ),
                    ));
                }
                Ok(())
            });
        };
        walk(value, at, "message.usage".to_owned());
        let _ = for_each_member(value, |key, v, voff| -> Result<(), ScanError> {
            let iterations = key == "iterations"
                || decoded(&format!("\"{key}\"")).is_ok_and(|k| k == "iterations");
            if !iterations || !v.starts_with('[') {
                return Ok(());
            }
            let mut i = 0;
            for_each_element(v, |e, eoff| -> Result<(), ScanError> {
                if e.starts_with('{') {
                    walk(
                        e,
                        at + voff + eoff,
                        format!("message.usage.iterations[{i}]"),
                    );
                }
                i += 1;
                Ok(())
            })
        });
        for (offset, message) in found {
            self.count_note(offset, message);
        }
    }

    /// A count, read leniently (see [`lenient_opt_u64`]); `None` for a value that is not a
    /// number, or is not JSON (noted).
    fn number(&mut self, key: &str, value: &str, at: usize) -> Option<u64> {
        if let Ok(n) = value.parse::<u64>() {
            return crate::format::count_of(n);
        }
        let mut de = serde_json::Deserializer::from_str(value);
        match lenient_opt_u64(&mut de).and_then(|n| de.end().map(|()| n)) {
            Ok(n) => n,
            Err(e) => {
                self.error(key, &e, value, at, "ignored");
                None
            }
        }
    }

    /// The value as raw JSON, checked to be JSON (`None` and noted if it is not).
    fn raw<'a>(&mut self, key: &str, value: &'a str, at: usize) -> Option<RawJson<'a>> {
        match checked_raw(value) {
            Ok(raw) => Some(raw),
            Err(e) => {
                self.error(key, &e, value, at, "ignored");
                None
            }
        }
    }

    /// An object of type `T`: `None` for a value of another shape, and for one that is not
    /// JSON (noted).
    fn object<'a, T: Deserialize<'a>>(
        &mut self,
        key: &str,
        value: &'a str,
        at: usize,
    ) -> Option<T> {
        match serde_json::from_str(value) {
            Ok(value) => Some(value),
            // A shape the format does not use there: absent, as any member of another type.
            Err(e) if e.is_data() => None,
            Err(e) => {
                self.error(key, &e, value, at, "ignored");
                None
            }
        }
    }

    /// The top-level member `key` starting at byte `at` of `line`, read as
    /// [`Reader::member_string`] reads it (the string member `inner` of an object), and the
    /// offset just past it. An object is walked member by member once, its values skipped by
    /// the scanner, instead of being skipped whole ([`value_end`]) and then walked. The walk is
    /// taken only where it reads what the two passes read: it found the object's end, and no
    /// value in it is a number or literal holding a quote, a backslash or an opening bracket
    /// (`{"type":todo_reminder",…}`: the member walk ends such a token at the next `,`, where
    /// the skip of the whole object reads its quote as a string's start and ends elsewhere, or
    /// finds it unterminated). Between its members' strings and containers the walk then
    /// passes over bytes that hold no quote or bracket, so the skip of the whole object ends at
    /// the same brace, and the walk of that slice lends the same members. Anything else (not
    /// an object, a fault, such a token) is read as before, its faults reported as before.
    fn member_string_at<'a>(
        &mut self,
        line: &'a str,
        key: &str,
        at: usize,
        inner: &str,
    ) -> Result<(Option<Cow<'a, str>>, usize), RecordError> {
        let b = line.as_bytes();
        if b.get(at) == Some(&b'{') && one_pass() {
            let mut found = None;
            let mut plain = true;
            let walked = object_end_by_members(line, at, |k, v| -> Result<usize, ScanError> {
                let end = value_end(line, v)?;
                if k == inner {
                    found = Some((v, end));
                }
                if !matches!(b.get(v), Some(b'"' | b'{' | b'[')) {
                    plain &= !b[v..end]
                        .iter()
                        .any(|c| matches!(c, b'"' | b'\\' | b'{' | b'['));
                }
                Ok(end)
            });
            if let (Ok(end), true) = (walked, plain) {
                let value = match found {
                    Some((v, e)) => match decode_string(&line[v..e]) {
                        Ok(s) => s,
                        Err(err) => {
                            let name = format!("{key}.{inner}");
                            self.undecodable(&name, &err, &line[v..e], v)
                        }
                    },
                    None => None,
                };
                return Ok((value, end));
            }
        }
        let end = value_end(line, at)?;
        let value = self.member_string(key, &line[at..end], at, inner);
        Ok((value, end))
    }

    /// The string member `inner` of the object `value`, read without decoding the rest of it.
    fn member_string<'a>(
        &mut self,
        key: &str,
        value: &'a str,
        at: usize,
        inner: &str,
    ) -> Option<Cow<'a, str>> {
        if !value.starts_with('{') {
            return None;
        }
        let mut found = None;
        let walked = for_each_member(value, |k, v, off| {
            if k == inner {
                found = Some((v, off));
            }
            Ok::<(), ScanError>(())
        });
        if let Err(e) = walked {
            self.note(
                at + e.offset,
                format!("`{key}` cannot be read ({}): ignored", e.message),
                true,
            );
            return None;
        }
        let (v, off) = found?;
        let name = format!("{key}.{inner}");
        self.string(&name, v, at + off)
    }

    /// The `message` member when it is not read where it stands ([`Reader::message_scanned`]):
    /// an object holding a fault (read member by member), a bare string (read as its text),
    /// `null`, or anything else (noted).
    fn message<'a>(&mut self, value: &'a str, at: usize) -> Option<Message<'a>> {
        match value.as_bytes().first() {
            Some(b'{') => Some(self.message_by_members(value, at)),
            Some(b'"') => match serde_json::from_str::<Text<'a>>(value) {
                Ok(text) => {
                    self.note(
                        at,
                        "`message` is a string, not an object: read as its text".to_owned(),
                        false,
                    );
                    Some(Message {
                        content: Some(Content::Text(text)),
                        ..Message::default()
                    })
                }
                Err(e) => {
                    self.error("message", &e, value, at, "ignored");
                    None
                }
            },
            Some(b'n') if value == "null" => None,
            _ => {
                let what = match value.as_bytes().first() {
                    Some(b'[') => "an array",
                    Some(b't' | b'f') => "a boolean",
                    _ => "a number",
                };
                self.note(
                    at,
                    format!("`message` is {what}, not an object: ignored"),
                    false,
                );
                None
            }
        }
    }

    /// The object `message` starting at byte `at` of `line`, read where it stands by the
    /// scanner in one pass (member by member; members aegon does not read skipped undecoded),
    /// and the offset just past it. `None` when it holds a fault: a value aegon reads that is
    /// not JSON as serde_json reads it, or a fault the scanner finds (then the caller skips it
    /// and [`Reader::message`] reads it member by member, noting each fault where it is).
    ///
    /// What is read is what serde read when it parsed a message whole, with one deliberate
    /// difference: a member written twice in a block is taken from its last occurrence (as
    /// `JSON.parse`, which Claude Code uses, does), where serde rejected the block (a `usage`
    /// and its `cache_creation`, deserialized by hand, take the last as well).
    ///
    /// The message is read into `m`, a [`Message::default`] (when `None` is returned, `m` holds
    /// what was read before the fault, to be discarded).
    fn message_scanned<'a>(
        &mut self,
        line: &'a str,
        at: usize,
        m: &mut Message<'a>,
    ) -> Option<usize> {
        // Where a usage holding a refused count or one aegon does not know is, and which
        // (noted once the message is read).
        let mut refused = None;
        let end = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
            read_member(line, key, v, |name| {
                Ok(Some(match MessageKey::of(name) {
                    MessageKey::Role => string_at(line, v, &mut m.role)?,
                    MessageKey::Model => string_at(line, v, &mut m.model)?,
                    MessageKey::Id => string_at(line, v, &mut m.id)?,
                    MessageKey::Content => content_at(line, v, &mut m.content)?,
                    MessageKey::Usage => {
                        let (usage, end) = usage_field_at(line, v)?;
                        refused = None;
                        match usage {
                            UsageField::Object(mut u) => {
                                let (r, o) = (u.clear_refused(), u.has_other_counts());
                                refused = (r | o).then_some((v, end, r, o));
                                m.usage = Some(u);
                            }
                            // As `read_message_member`: usage with no count aegon knows.
                            UsageField::Null => m.usage = Some(Usage::default()),
                            UsageField::Other(what) => {
                                m.usage = Some(Usage::default());
                                m.notes.push(usage_note(what));
                            }
                        }
                        end
                    }
                    MessageKey::Other => return Ok(None),
                }))
            })
        })
        .ok()?;
        shape_notes(m);
        for note in m.notes.drain(..) {
            self.note(at, note, false);
        }
        if let Some((v, end, r, o)) = refused {
            self.unread_counts(&line[v..end], v, r, o);
        }
        Some(end)
    }

    /// A message that could not be read whole (it holds a fault): each member on its own, so
    /// one bad member (a text with a bad escape) does not lose the others (the usage).
    fn message_by_members<'a>(&mut self, value: &'a str, at: usize) -> Message<'a> {
        let mut m = Message::default();
        let walked = for_each_member(value, |key, v, off| {
            let mut member = ScannedMember {
                reader: self,
                value: v,
                at: at + off,
            };
            read_message_member(&mut m, MessageKey::of(key), &mut member)
        });
        if let Err(e) = walked {
            self.note(
                at + e.offset,
                format!(
                    "`message` cannot be read past byte {} ({}): the members before it kept",
                    at + e.offset,
                    e.message
                ),
                true,
            );
        }
        m
    }

    /// A string member of a message, any type but a string being absent.
    fn lenient_string<'a>(
        &mut self,
        name: &str,
        value: &'a str,
        at: usize,
    ) -> Option<Cow<'a, str>> {
        let mut de = serde_json::Deserializer::from_str(value);
        match lenient_str(&mut de) {
            Ok(s) => s,
            Err(e) => {
                self.error(name, &e, value, at, "ignored");
                None
            }
        }
    }

    /// `message.content` serde could not read whole: item by item, the bad ones noted.
    fn content<'a>(&mut self, value: &'a str, at: usize) -> Option<Content<'a>> {
        match serde_json::from_str::<Content<'a>>(value) {
            Ok(content) => {
                if let Content::Blocks(blocks) = &content {
                    for (i, block) in blocks.iter().enumerate() {
                        self.shape_note(i, block.shape, at);
                    }
                }
                return Some(content);
            }
            Err(e) if !value.starts_with('[') => {
                self.error("message.content", &e, value, at, "ignored");
                return None;
            }
            Err(_) => {}
        }
        let mut blocks = Vec::new();
        let mut i = 0;
        let walked = for_each_element(value, |item, off| {
            let off = at + off;
            match serde_json::from_str::<Item<'a>>(item) {
                Ok(Item(block)) => {
                    self.shape_note(i, block.shape, off);
                    blocks.push(block);
                }
                Err(e) => {
                    let name = format!("message.content[{i}]");
                    self.error(&name, &e, item, off, "this block skipped");
                }
            }
            i += 1;
            Ok::<(), ScanError>(())
        });
        if let Err(e) = walked {
            self.note(
                at + e.offset,
                format!(
                    "`message.content` cannot be read past byte {} ({}): the blocks before it kept",
                    at + e.offset,
                    e.message
                ),
                true,
            );
        }
        Some(Content::Blocks(blocks))
    }

    fn shape_note(&mut self, i: usize, shape: BlockShape, at: usize) {
        match shape {
            BlockShape::Object => {}
            BlockShape::Text => self.note(
                at,
                format!("`message.content[{i}]` is a string, not a content block: read as text"),
                false,
            ),
            BlockShape::Other(what) => self.note(
                at,
                format!("`message.content[{i}]` is {what}, not a content block: skipped"),
                false,
            ),
        }
    }
}

/// A member of a message that serde could not read whole, lent by the scanner: its value is
/// read on its own, a fault noted at its offset (`at`, in the line) and the member left out.
struct ScannedMember<'r, 'a> {
    reader: &'r mut Reader,
    value: &'a str,
    at: usize,
}

impl<'a> MessageValue<'a> for ScannedMember<'_, 'a> {
    type Error = ScanError;
    fn string(&mut self, name: &str) -> Result<Option<Cow<'a, str>>, ScanError> {
        Ok(self.reader.lenient_string(name, self.value, self.at))
    }
    fn content(&mut self) -> Result<Option<Content<'a>>, ScanError> {
        Ok(self.reader.content(self.value, self.at))
    }
    fn usage(&mut self) -> Result<Option<UsageField>, ScanError> {
        Ok(match serde_json::from_str::<UsageField>(self.value) {
            Ok(mut usage) => {
                if let UsageField::Object(u) = &mut usage {
                    let (r, o) = (u.clear_refused(), u.has_other_counts());
                    if r | o {
                        self.reader.unread_counts(self.value, self.at, r, o);
                    }
                }
                Some(usage)
            }
            Err(e) => {
                let (value, at) = (self.value, self.at);
                self.reader
                    .error("message.usage", &e, value, at, "no tokens read");
                None
            }
        })
    }
    fn usage_not_object(&mut self, _: &mut Message<'a>, what: &'static str) {
        // Noted where the member is; a `usage` read before it is kept.
        self.reader.note(self.at, usage_note(what), false);
    }
    fn skip(&mut self) -> Result<(), ScanError> {
        Ok(())
    }
}

/// A value the scanner-first reading of a `message` ([`Reader::message_scanned`]) does not
/// take as written: not JSON as serde_json reads it there, or a fault the scanner found. The
/// message is then read member by member ([`Reader::message_by_members`]), which notes what is
/// wrong where.
struct Fault;

impl From<ScanError> for Fault {
    fn from(_: ScanError) -> Fault {
        Fault
    }
}

/// Nesting of `usage.iterations` read by the scanner before a message is left to serde
/// (whose own limit, 128 brackets, stops it there): the scanner's reading recurses.
const MAX_ITERATION_DEPTH: usize = 60;

/// Whether the one-pass readings of strings and raw values ([`decoded_at`], [`raw_at`],
/// [`Reader::string_member`], …) are taken: always, but in tests that compare them with the
/// readings they replaced (the scanner's end, then a check or a decode of the slice).
#[cfg(not(test))]
#[inline(always)]
fn one_pass() -> bool {
    true
}

#[cfg(test)]
thread_local! {
    static ONE_PASS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

#[cfg(test)]
fn one_pass() -> bool {
    ONE_PASS.with(std::cell::Cell::get)
}

/// The value `value` as raw JSON, checked to be JSON as strictly as serde_json reads it. Every
/// raw value of a record (tool inputs and results, `error`, `content`) is made here.
fn checked_raw(value: &str) -> Result<RawJson<'_>, serde_json::Error> {
    // The validator agrees with serde_json on every input (its tests); serde reads only what
    // it rejects, for the words and the place of the fault.
    if validate::is_json_value(value) {
        return Ok(RawJson::trusted(value));
    }
    RawJson::parse(value)
}

/// The JSON string literal `value` (quotes included), when it is one as strictly as serde_json
/// reads it as raw JSON (escapes well formed, no control characters; a lone surrogate escape
/// is let through, as serde_json lets it through a raw value); `None` otherwise.
fn checked_string_literal(value: &str) -> Option<&str> {
    validate::is_json_string(value).then_some(value)
}

/// The value starting at byte `at` of `line`, and the offset just past it.
#[inline]
fn scanned(line: &str, at: usize) -> Result<(&str, usize), Fault> {
    let end = value_end(line, at)?;
    Ok((&line[at..end], end))
}

/// True when `s` holds a control character (U+0000 to U+001F), which JSON strings may not.
#[inline]
fn has_control(s: &str) -> bool {
    s.as_bytes()
        .chunks(32)
        .any(|chunk| chunk.iter().fold(false, |any, &c| any | (c < 0x20)))
}

/// Reads the member whose key is `key` (its text as written) and whose value starts at `v`
/// with `read`, given the member's name; `read` returns the offset past the value, or `None`
/// for a name it does not read. A name aegon reads has no escapes, so the key is offered as
/// written first; a key written with escapes is then decoded (as serde decoded it) and offered
/// again. A member not read is skipped undecoded.
#[inline]
fn read_member(
    line: &str,
    key: &str,
    v: usize,
    mut read: impl FnMut(&str) -> Result<Option<usize>, Fault>,
) -> Result<usize, Fault> {
    if let Some(end) = read(key)? {
        return Ok(end);
    }
    if key.bytes().any(|c| c < 0x20 || c == b'\\') {
        if let Some(end) = read(&decoded(&format!("\"{key}\""))?)? {
            return Ok(end);
        }
    }
    Ok(value_end(line, v)?)
}

/// The string literal `value` decoded as serde decodes a string (borrowed unless it has
/// escapes; a bad escape, a lone surrogate or a control character is a fault).
#[inline]
fn decoded(value: &str) -> Result<Cow<'_, str>, Fault> {
    if let Some(inner) = plain_str(value) {
        // A raw control character is a fault to serde.
        return if has_control(inner) {
            Err(Fault)
        } else {
            Ok(Cow::Borrowed(inner))
        };
    }
    match decode_string(value) {
        Ok(Some(s)) => Ok(s),
        _ => Err(Fault),
    }
}

/// Checks a value a lenient reader takes as absent (or as a default): a string must decode, a
/// number must be in range (as serde reads numbers it is given), an array or object must be
/// JSON.
fn checked_other(value: &str) -> Result<(), Fault> {
    match value.as_bytes().first() {
        Some(b'"') => decoded(value).map(drop),
        Some(b'[' | b'{') => checked_raw(value).map(drop).map_err(|_| Fault),
        _ => count(value).map(drop),
    }
}

/// A token count read as [`token_count`] reads it (a refused one as [`REFUSED`]): a run of
/// digits (JSON's grammar: no leading zero, no sign) directly, anything else by serde from its
/// own slice.
#[inline]
fn count(value: &str) -> Result<u64, Fault> {
    let b = value.as_bytes();
    // Up to 19 digits cannot overflow a u64.
    if (1..=19).contains(&b.len())
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || b.len() == 1)
    {
        let n = b.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0'));
        return Ok(crate::format::count_of(n).unwrap_or(REFUSED));
    }
    let mut de = serde_json::Deserializer::from_str(value);
    crate::format::Count::deserialize(&mut de)
        .and_then(|n| de.end().map(|()| marked(n)))
        .map_err(|_| Fault)
}

/// The count starting at byte `at` of `line`, as [`count`] reads the value the scanner finds
/// there, and the offset just past it. A run of one to seven digits (no leading zero) followed
/// by a byte that ends a value (`,` `}` `]` or whitespace) is read from one 8-byte word without
/// a loop: its digits located by a bit mask of the bytes that are not digits, converted by
/// three multiplications (the SWAR method of simdjson and fast_float). That is the token the
/// scanner would end at that byte, and the count [`count`] would read from it. Anything else
/// (more digits, a sign, a fraction, fewer than 8 bytes left in the line) is read as before.
#[inline]
fn count_at(line: &str, at: usize) -> Result<(u64, usize), Fault> {
    if let Some(read) = short_count_at(line.as_bytes(), at) {
        return Ok(read);
    }
    let (value, end) = scanned(line, at)?;
    Ok((count(value)?, end))
}

/// The count starting at byte `at` of `b` and the offset just past it, when it is a run of one
/// to seven digits read as [`count_at`] describes; `None` for anything else (which
/// [`count_at`] reads by the scanner).
#[inline(always)]
fn short_count_at(b: &[u8], at: usize) -> Option<(u64, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let word = u64::from_le_bytes(*b.get(at..)?.first_chunk::<8>()?);
    if !one_pass() {
        return None;
    }
    // Nonzero in each byte that is not an ASCII digit: its high nibble is not 3, or adding
    // 6 to it leaves 0x3f. (A carry out of a byte of 0xfa or more can only disturb the
    // bytes after it, past the first that is not a digit.)
    let other = ((word & (0xf0 * ONES)) ^ (0x30 * ONES))
        | ((word.wrapping_add(6 * ONES) & (0xf0 * ONES)) ^ (0x30 * ONES));
    // The high bit of each nonzero byte (no carry between bytes: 0x7f + 0x7f < 0x100).
    let flags = (((other & (0x7f * ONES)) + 0x7f * ONES) | other) & (0x80 * ONES);
    let n = (flags.trailing_zeros() / 8) as usize;
    if (1..8).contains(&n)
        && matches!(b[at + n], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
        && (n == 1 || b[at] != b'0')
    {
        // (At most seven digits: always within the rule, below 2^53.)
        return Some((eight_digits(word << (8 * (8 - n))), at + n));
    }
    None
}

/// The number written by 8 ASCII digits (or zero bytes, read as 0) in `word`, its first byte the
/// most significant digit (fast_float's `parse_eight_digits_unrolled`): pairs of digits, then
/// fours, then the eight, each step one multiplication.
#[inline]
fn eight_digits(word: u64) -> u64 {
    let v = (word & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    (v & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32
}

/// The string member starting at `at` into `slot` (`None` for another type, as
/// [`lenient_str`] reads it); the offset just past it.
#[inline]
fn string_at<'a>(
    line: &'a str,
    at: usize,
    slot: &mut Option<Cow<'a, str>>,
) -> Result<usize, Fault> {
    if line.as_bytes().get(at) == Some(&b'"') && one_pass() {
        let (s, end) = decoded_at(line, at)?;
        *slot = Some(s);
        return Ok(end);
    }
    let (value, end) = scanned(line, at)?;
    *slot = string_or_absent(value)?;
    Ok(end)
}

/// The string literal starting at `at` (`line[at]` is its opening quote) decoded as
/// [`decoded`] decodes it, and the offset just past it, in one pass over its bytes when it is
/// JSON ([`validate::string_end_in`] finds its end, checks it and says whether it holds
/// escapes; only a string with escapes is then decoded, by serde). A string that is not JSON
/// is read as before (the scanner's end, then [`decoded`]), which makes it a fault.
#[inline]
fn decoded_at(line: &str, at: usize) -> Result<(Cow<'_, str>, usize), Fault> {
    match validate::string_end_in(line, at).filter(|_| one_pass()) {
        Some((end, false)) => Ok((Cow::Borrowed(line.get(at + 1..end - 1).ok_or(Fault)?), end)),
        Some((end, true)) => {
            let value = line.get(at..end).ok_or(Fault)?;
            if let Some(text) = unescape(value) {
                return Ok((Cow::Owned(text), end));
            }
            Ok((serde_string(value).map_err(|_| Fault)?, end))
        }
        None => {
            let (value, end) = scanned(line, at)?;
            Ok((decoded(value)?, end))
        }
    }
}

/// A string decoded, `None` for a value of another type (as [`lenient_str`] reads it).
#[inline]
fn string_or_absent(value: &str) -> Result<Option<Cow<'_, str>>, Fault> {
    if value.starts_with('"') {
        decoded(value).map(Some)
    } else {
        checked_other(value).map(|()| None)
    }
}

thread_local! {
    /// An empty buffer of content blocks kept from the last message whose blocks were handed
    /// back ([`give_back_blocks`]), so that the next message's blocks do not each begin with an
    /// allocation and end with a free (one of each per message with blocks: 3,407 on the shared
    /// corpus's 6,867 lines, with their instruction-cache misses, in the per-line path).
    static SPARE_BLOCKS: std::cell::Cell<Vec<Block<'static>>> =
        const { std::cell::Cell::new(Vec::new()) };
}

/// Blocks' buffers larger than this are not kept (a message of many blocks is rare).
const SPARE_BLOCKS_MAX: usize = 64;

/// A buffer for a message's content blocks: the one handed back last on this thread, or a new
/// one.
fn spare_blocks<'a>() -> Vec<Block<'a>> {
    recycle_blocks(SPARE_BLOCKS.take())
}

/// Hands back the buffer of a message's blocks, once they are read, for the next message on
/// this thread ([`spare_blocks`]). The blocks left in it are dropped.
pub(crate) fn give_back_blocks(blocks: Vec<Block<'_>>) {
    if blocks.capacity() <= SPARE_BLOCKS_MAX {
        SPARE_BLOCKS.set(recycle_blocks(blocks));
    }
}

/// `blocks` emptied, its buffer kept for blocks borrowed from another line: collecting an
/// emptied vector's iterator into one of the same element layout reuses its allocation (the
/// standard library's in-place collection; were it not to, a new empty vector is made and the
/// buffer freed, which is only slower).
// `filter_map` to nothing, not `filter`: the items' type changes (another lifetime).
#[allow(clippy::unnecessary_filter_map)]
fn recycle_blocks<'b>(mut blocks: Vec<Block<'_>>) -> Vec<Block<'b>> {
    blocks.clear();
    blocks.into_iter().filter_map(|_| None).collect()
}

/// `message.content` starting at `at` into `slot`, as [`Content`]'s `Deserialize` reads it
/// (`null` absent); the offset just past it.
fn content_at<'a>(
    line: &'a str,
    at: usize,
    slot: &mut Option<Content<'a>>,
) -> Result<usize, Fault> {
    if line.as_bytes().get(at) == Some(&b'[') {
        let mut blocks = spare_blocks();
        let end = array_end_by_elements(line, at, |v| -> Result<usize, Fault> {
            let (block, end) = item_at(line, v)?;
            blocks.push(block);
            Ok(end)
        })?;
        *slot = Some(Content::Blocks(blocks));
        return Ok(end);
    }
    if let Some((end, escaped)) = validate::string_end_in(line, at).filter(|_| one_pass()) {
        let literal = line.get(at..end).ok_or(Fault)?;
        // Read as a string, a lone surrogate escape is a fault (serde decoded this string).
        if escaped && crate::format::claude::repair::has_lone_surrogate(literal) {
            return Err(Fault);
        }
        *slot = Some(Content::Text(Text::Json(literal)));
        return Ok(end);
    }
    let (value, end) = scanned(line, at)?;
    *slot = if value.starts_with('"') {
        let literal = checked_string_literal(value).ok_or(Fault)?;
        // Read as a string, a lone surrogate escape is a fault (serde decoded this string).
        if literal.as_bytes().contains(&b'\\')
            && crate::format::claude::repair::has_lone_surrogate(literal)
        {
            return Err(Fault);
        }
        Some(Content::Text(Text::Json(literal)))
    } else {
        checked_other(value)?;
        (value != "null").then_some(Content::Other)
    };
    Ok(end)
}

/// One item of `message.content` starting at `at`, as [`Item`]'s `Deserialize` reads it: a
/// block, a bare string (a text block) or anything else (named); the offset just past it.
fn item_at(line: &str, at: usize) -> Result<(Block<'_>, usize), Fault> {
    match line.as_bytes().get(at) {
        Some(b'{') => return block_at(line, at),
        Some(b'"') if one_pass() => {
            let (text, end) = decoded_at(line, at)?;
            let block = Block {
                kind: Some(Cow::Borrowed("text")),
                text: Some(Text::Plain(text)),
                shape: BlockShape::Text,
                ..Block::default()
            };
            return Ok((block, end));
        }
        _ => {}
    }
    let (value, end) = scanned(line, at)?;
    let block = match value.as_bytes().first() {
        Some(b'"') => Block {
            kind: Some(Cow::Borrowed("text")),
            text: Some(Text::Plain(decoded(value)?)),
            shape: BlockShape::Text,
            ..Block::default()
        },
        first => {
            checked_other(value)?;
            let what = match first {
                Some(b'[') => "an array",
                Some(b'n') => "null",
                Some(b't' | b'f') => "a boolean",
                _ => "a number",
            };
            Block {
                shape: BlockShape::Other(what),
                ..Block::default()
            }
        }
    };
    Ok((block, end))
}

/// The content block (an object) starting at `at`, member by member (the last of a member
/// written twice wins); the offset just past it.
fn block_at(line: &str, at: usize) -> Result<(Block<'_>, usize), Fault> {
    let mut b = Block::default();
    let end = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
        read_member(line, key, v, |name| {
            Ok(Some(match name {
                "type" => string_at(line, v, &mut b.kind)?,
                "text" => text_at(line, v, &mut b.text)?,
                "thinking" => text_at(line, v, &mut b.thinking)?,
                "id" => string_at(line, v, &mut b.id)?,
                "name" => string_at(line, v, &mut b.name)?,
                "tool_use_id" => string_at(line, v, &mut b.tool_use_id)?,
                "input" => raw_at(line, v, &mut b.input)?,
                "content" => raw_at(line, v, &mut b.content)?,
                "is_error" => {
                    let (value, end) = scanned(line, v)?;
                    b.is_error = value == "true";
                    if !b.is_error {
                        checked_other(value)?;
                    }
                    end
                }
                "source" if line.as_bytes().get(v) == Some(&b'{') => {
                    let (source, end) = image_source_at(line, v)?;
                    b.source = Some(source);
                    end
                }
                "source" => {
                    let (value, end) = scanned(line, v)?;
                    checked_other(value)?;
                    b.source = None;
                    end
                }
                "data" if line.as_bytes().get(v) == Some(&b'"') && one_pass() => {
                    let (data, end) = decoded_at(line, v)?;
                    b.data = data.len() as u64;
                    end
                }
                "data" => {
                    let (value, end) = scanned(line, v)?;
                    b.data = if value.starts_with('"') {
                        decoded(value)?.len() as u64
                    } else {
                        checked_other(value)?;
                        0
                    };
                    end
                }
                _ => return Ok(None),
            }))
        })
    })?;
    Ok((b, end))
}

/// A `text` or `thinking` member starting at `at` into `slot`, as [`lenient_text`] reads it:
/// the string literal as written, `None` for another type; the offset just past it.
#[inline]
fn text_at<'a>(line: &'a str, at: usize, slot: &mut Option<Text<'a>>) -> Result<usize, Fault> {
    if let Some((end, _)) = validate::string_end_in(line, at).filter(|_| one_pass()) {
        *slot = Some(Text::Json(line.get(at..end).ok_or(Fault)?));
        return Ok(end);
    }
    if let Some(end) = validate::value_end_in(line, at).filter(|_| one_pass()) {
        // JSON, not a string (one is read above): absent.
        *slot = None;
        return Ok(end);
    }
    let (value, end) = scanned(line, at)?;
    *slot = if value.starts_with('"') {
        Some(Text::Json(checked_string_literal(value).ok_or(Fault)?))
    } else {
        checked_raw(value).map_err(|_| Fault)?;
        None
    };
    Ok(end)
}

/// A raw member (`input`, a tool result's `content`) starting at `at` into `slot` (`null`
/// absent); the offset just past it.
#[inline]
fn raw_at<'a>(line: &'a str, at: usize, slot: &mut Option<RawJson<'a>>) -> Result<usize, Fault> {
    if let Some(end) = validate::value_end_in(line, at).filter(|_| one_pass()) {
        // Checked and its end found in one pass; the scanner would end it at the same byte.
        let value = line.get(at..end).ok_or(Fault)?;
        *slot = (value != "null").then(|| RawJson::trusted(value));
        return Ok(end);
    }
    let (value, end) = scanned(line, at)?;
    *slot = if value == "null" {
        None
    } else {
        Some(checked_raw(value).map_err(|_| Fault)?)
    };
    Ok(end)
}

/// The `source` object of an image block starting at `at`, as [`ImageSource`]'s `Deserialize`
/// reads it; the offset just past it.
fn image_source_at(line: &str, at: usize) -> Result<(ImageSource<'_>, usize), Fault> {
    let mut s = ImageSource::default();
    let end = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
        read_member(line, key, v, |name| {
            Ok(Some(match name {
                "media_type" if line.as_bytes().get(v) == Some(&b'"') && one_pass() => {
                    let (media_type, end) = decoded_at(line, v)?;
                    s.media_type = Some(media_type);
                    end
                }
                "media_type" => {
                    let (value, end) = scanned(line, v)?;
                    s.media_type = match value {
                        "null" => None,
                        // Not read leniently: another type is a fault, as it was to serde.
                        _ if value.starts_with('"') => Some(decoded(value)?),
                        _ => return Err(Fault),
                    };
                    end
                }
                "data" if line.as_bytes().get(v) == Some(&b'"') && one_pass() => {
                    let (data, end) = decoded_at(line, v)?;
                    s.data = ImageData::of(data);
                    end
                }
                "data" => {
                    let (value, end) = scanned(line, v)?;
                    s.data = if value.starts_with('"') {
                        ImageData::of(decoded(value)?)
                    } else {
                        checked_other(value)?;
                        ImageData::default()
                    };
                    end
                }
                _ => return Ok(None),
            }))
        })
    })?;
    Ok((s, end))
}

/// The `snapshot` object of a `file-history-snapshot` line starting at byte `at` of `line`,
/// as [`Snapshot`]'s `Deserialize` reads it (through [`Reader::object`]), and the offset just
/// past it, without serde: the object checked as serde_json checks JSON
/// ([`validate::value_end_in`]), then walked by the scanner, the entries of
/// `trackedFileBackups` counted. `None` (read by serde as before) for anything serde might read
/// otherwise: a key written with an escape (serde decodes keys, and refuses a lone surrogate),
/// `trackedFileBackups` or `timestamp` written twice (serde refuses the object), a `timestamp`
/// that is not a plain string or `null` (an escape to decode, or another type, which loses
/// the snapshot), a value that is not JSON.
fn snapshot_at(line: &str, at: usize) -> Option<(Snapshot<'_>, usize)> {
    if line.as_bytes().get(at) != Some(&b'{') {
        return None;
    }
    let end = validate::value_end_in(line, at)?;
    let mut s = Snapshot::default();
    let (mut files, mut timestamp) = (false, false);
    let walked = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
        if key.contains('\\') {
            return Err(Fault);
        }
        match key {
            "trackedFileBackups" => {
                if std::mem::replace(&mut files, true) {
                    return Err(Fault);
                }
                if line.as_bytes().get(v) == Some(&b'{') {
                    let mut n = 0;
                    let end = object_end_by_members(line, v, |k, e| -> Result<usize, Fault> {
                        if k.contains('\\') {
                            return Err(Fault);
                        }
                        n += 1;
                        Ok(value_end(line, e)?)
                    })?;
                    s.tracked_files = n;
                    return Ok(end);
                }
                Ok(value_end(line, v)?)
            }
            "timestamp" => {
                if std::mem::replace(&mut timestamp, true) {
                    return Err(Fault);
                }
                let end = value_end(line, v)?;
                let value = &line[v..end];
                s.timestamp = match plain_str(value) {
                    Some(text) => Some(Cow::Borrowed(text)),
                    None if value == "null" => None,
                    None => return Err(Fault),
                };
                Ok(end)
            }
            _ => Ok(value_end(line, v)?),
        }
    });
    (walked.ok()? == end).then_some((s, end))
}

/// `message.usage` starting at `at`, as [`UsageField`]'s `Deserialize` reads it; the offset
/// just past it.
fn usage_field_at(line: &str, at: usize) -> Result<(UsageField, usize), Fault> {
    if line.as_bytes().get(at) == Some(&b'{') {
        let (usage, end) = usage_at(line, at, 0)?;
        return Ok((UsageField::Object(usage), end));
    }
    let (value, end) = scanned(line, at)?;
    checked_other(value)?;
    let field = match value.as_bytes().first() {
        Some(b'n') => UsageField::Null,
        Some(b't' | b'f') => UsageField::Other("a boolean"),
        Some(b'"') => UsageField::Other("a string"),
        Some(b'[') => UsageField::Other("an array"),
        _ => UsageField::Other("a number"),
    };
    Ok((field, end))
}

/// A usage object starting at `at` (`depth` levels of `iterations` deep), as [`Usage`]'s
/// `Deserialize` reads it, member by member (the last of a member written twice wins); the
/// offset just past it. Written as Claude Code writes it, it is read by
/// [`compact_usage_at`]; anything else by [`usage_by_members`].
#[inline]
fn usage_at(line: &str, at: usize, depth: usize) -> Result<(Usage, usize), Fault> {
    if depth <= MAX_ITERATION_DEPTH && one_pass() {
        if let Some(read) = compact_usage_at(line, at, depth) {
            return Ok(read);
        }
    }
    usage_by_members(line, at, depth)
}

/// A member of a usage object that [`compact_usage_at`] reads, told by its key written as
/// Claude Code writes it: quotes, name, colon.
#[derive(Clone, Copy)]
enum CompactUsageKey {
    Input,
    Output,
    CacheCreationInput,
    CacheRead,
    CacheCreation,
    Iterations,
    ServerToolUse,
    Speed,
    ServiceTier,
    InferenceGeo,
    /// `type` (`"message"` in each `iterations` element): not read.
    Type,
}

impl CompactUsageKey {
    /// The member whose key starts `rest` (`"input_tokens":`, …) and the length of that key
    /// with its colon; `None` for any other key, or one written otherwise (escapes,
    /// whitespace). Told apart by the name's first letter, then compared whole, each name as
    /// a constant array (compared inline, a word or two at a time, not by `memcmp`).
    #[inline(always)]
    fn at(rest: &[u8]) -> Option<(CompactUsageKey, usize)> {
        use CompactUsageKey as K;
        macro_rules! first {
            ($($key:literal => $member:expr),+) => {{
                $(if let Some(n) = starts_with(rest, $key) {
                    return Some(($member, n));
                })+
                None
            }};
        }
        match rest.get(1)? {
            b'i' => first!(
                b"\"input_tokens\":" => K::Input,
                b"\"iterations\":" => K::Iterations,
                b"\"inference_geo\":" => K::InferenceGeo
            ),
            b'c' => first!(
                b"\"cache_creation_input_tokens\":" => K::CacheCreationInput,
                b"\"cache_read_input_tokens\":" => K::CacheRead,
                b"\"cache_creation\":" => K::CacheCreation
            ),
            b'o' => first!(b"\"output_tokens\":" => K::Output),
            b's' => first!(
                b"\"service_tier\":" => K::ServiceTier,
                b"\"server_tool_use\":" => K::ServerToolUse,
                b"\"speed\":" => K::Speed
            ),
            b't' => first!(b"\"type\":" => K::Type),
            _ => None,
        }
    }
}

/// `Some(N)` when `rest` starts with the `N` bytes of `literal` (compared as arrays of a size
/// known when compiled: inline word compares); `None` otherwise.
#[inline(always)]
fn starts_with<const N: usize>(rest: &[u8], literal: &[u8; N]) -> Option<usize> {
    (rest.first_chunk::<N>() == Some(literal)).then_some(N)
}

/// A usage object starting at `at` read as [`usage_by_members`] reads it, when it is written
/// as Claude Code writes it (compact JSON, the members aegon reads and `type`, each key without
/// escapes, counts, labels and the nested objects and array in their usual forms); `None` for
/// anything else, which [`usage_by_members`] then reads (a fault included).
///
/// The generic walk costs some 2,800 instructions per usage object (callgrind, the corpus; a
/// scan of each key, a comparison with each name in turn, a closure per member); here each
/// key is compared whole with the one or three names its first letter allows, and each value
/// is read by the reader [`usage_by_members`] uses for it ([`count_at`], [`label`]). Every
/// member it reads is read as there, so the usage is the same (a member written twice: the
/// last wins in both).
fn compact_usage_at(line: &str, at: usize, depth: usize) -> Option<(Usage, usize)> {
    let b = line.as_bytes();
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let mut u = Usage::default();
    let mut i = at + 1;
    if b.get(i) == Some(&b'}') {
        return Some((u, i + 1));
    }
    loop {
        let (member, key) = CompactUsageKey::at(b.get(i..)?)?;
        i += key;
        i = match member {
            CompactUsageKey::Input => compact_count_at(line, i, &mut u.input_tokens)?,
            CompactUsageKey::Output => compact_count_at(line, i, &mut u.output_tokens)?,
            CompactUsageKey::CacheCreationInput => {
                compact_count_at(line, i, &mut u.cache_creation_input_tokens)?
            }
            CompactUsageKey::CacheRead => {
                compact_count_at(line, i, &mut u.cache_read_input_tokens)?
            }
            CompactUsageKey::CacheCreation => {
                let (c, end) = compact_cache_creation_at(line, i)?;
                u.cache_creation = Some(c);
                end
            }
            CompactUsageKey::Iterations => {
                let (items, end) = compact_iterations_at(line, i, depth)?;
                u.iterations = Some(items);
                end
            }
            CompactUsageKey::ServerToolUse => {
                let (t, end) = compact_server_tool_use_at(line, i)?;
                u.server_tool_use = Some(t);
                end
            }
            CompactUsageKey::Speed => compact_label_at(line, i, &mut u.speed)?,
            CompactUsageKey::ServiceTier => compact_label_at(line, i, &mut u.service_tier)?,
            CompactUsageKey::InferenceGeo => compact_label_at(line, i, &mut u.inference_geo)?,
            // Not a name ending in `_tokens`: skipped as there (by the scanner, which ends
            // the string Claude Code writes there where it is read here).
            CompactUsageKey::Type => match starts_with(b.get(i..)?, b"\"message\"") {
                Some(n) => i + n,
                None => value_end(line, i).ok()?,
            },
        };
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Some((u, i + 1)),
            _ => return None,
        }
    }
}

/// The count starting at `at` into `slot`, read by [`count_at`] as [`usage_by_members`] reads
/// it; the offset just past it, or `None` for a fault (which [`usage_by_members`] then meets).
#[inline(always)]
fn compact_count_at(line: &str, at: usize, slot: &mut u64) -> Option<usize> {
    let (n, end) = match short_count_at(line.as_bytes(), at) {
        Some(read) => read,
        None => count_at(line, at).ok()?,
    };
    *slot = n;
    Some(end)
}

/// `usage.cache_creation` starting at `at` as [`cache_creation_at`] reads it, when it is an
/// object of the two TTLs aegon reads (either order), written compactly; `None` otherwise.
#[inline]
fn compact_cache_creation_at(line: &str, at: usize) -> Option<(CacheCreation, usize)> {
    let b = line.as_bytes();
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let mut c = CacheCreation::default();
    let mut i = at + 1;
    if b.get(i) == Some(&b'}') {
        return Some((c, i + 1));
    }
    loop {
        let rest = b.get(i..)?;
        const FIVE_MINUTES: &[u8; 28] = b"\"ephemeral_5m_input_tokens\":";
        const ONE_HOUR: &[u8; 28] = b"\"ephemeral_1h_input_tokens\":";
        let slot = if starts_with(rest, FIVE_MINUTES).is_some() {
            &mut c.ephemeral_5m_input_tokens
        } else if starts_with(rest, ONE_HOUR).is_some() {
            &mut c.ephemeral_1h_input_tokens
        } else {
            return None;
        };
        // (Both keys are the same length.)
        i = compact_count_at(line, i + FIVE_MINUTES.len(), slot)?;
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Some((c, i + 1)),
            _ => return None,
        }
    }
}

/// `usage.server_tool_use` starting at `at` as [`server_tool_use_at`] reads it, when it is an
/// object of `web_search_requests` (a count) and `web_fetch_requests` (a JSON integer, which
/// is all that reader checks of it), written compactly; `None` otherwise.
#[inline]
fn compact_server_tool_use_at(line: &str, at: usize) -> Option<(ServerToolUse, usize)> {
    let b = line.as_bytes();
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let mut t = ServerToolUse::default();
    let mut i = at + 1;
    if b.get(i) == Some(&b'}') {
        return Some((t, i + 1));
    }
    loop {
        let rest = b.get(i..)?;
        const SEARCHES: &[u8; 22] = b"\"web_search_requests\":";
        const FETCHES: &[u8; 21] = b"\"web_fetch_requests\":";
        if starts_with(rest, SEARCHES).is_some() {
            i = compact_count_at(line, i + SEARCHES.len(), &mut t.web_search_requests)?;
        } else if starts_with(rest, FETCHES).is_some() {
            i = integer_end(b, i + FETCHES.len())?;
        } else {
            return None;
        }
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Some((t, i + 1)),
            _ => return None,
        }
    }
}

/// The offset just past the JSON integer without a sign starting at `at` (`0`, or a digit
/// other than 0 followed by digits), when one starts there; `None` otherwise.
#[inline]
fn integer_end(b: &[u8], at: usize) -> Option<usize> {
    let digits = b
        .get(at..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    match digits {
        0 => None,
        1 => Some(at + 1),
        _ if b[at] == b'0' => None,
        _ => Some(at + digits),
    }
}

/// `usage.iterations` starting at `at` (in a usage `depth` levels deep) as
/// [`usage_by_members`] reads it, when it is an array of usage objects each of which
/// [`compact_usage_at`] reads, written compactly; `None` otherwise.
fn compact_iterations_at(line: &str, at: usize, depth: usize) -> Option<(Vec<Usage>, usize)> {
    let b = line.as_bytes();
    if b.get(at) != Some(&b'[') {
        return None;
    }
    let mut i = at + 1;
    if b.get(i) == Some(&b']') {
        return Some((Vec::new(), i + 1));
    }
    // (One element is the usual: one request.)
    let mut items = Vec::with_capacity(1);
    if depth + 1 > MAX_ITERATION_DEPTH {
        return None;
    }
    loop {
        let (item, end) = compact_usage_at(line, i, depth + 1)?;
        items.push(item);
        match b.get(end) {
            Some(b',') => i = end + 1,
            Some(b']') => return Some((items, end + 1)),
            _ => return None,
        }
    }
}

/// A label (`speed`, `service_tier`, `inference_geo`) starting at `at` into `slot` as
/// [`label_at`] reads it, when it is a string of lowercase ASCII letters, digits and
/// underscores (no escape, nothing to decode: the string is its text); the offset just past
/// it, or `None` for anything else.
#[inline]
fn compact_label_at(line: &str, at: usize, slot: &mut Option<Cow<'static, str>>) -> Option<usize> {
    let b = line.as_bytes();
    let rest = b.get(at..)?;
    // The labels Claude Code writes most, each a whole string literal (both quotes).
    let known = starts_with(rest, b"\"standard\"")
        .map(|n| ("standard", n))
        .or_else(|| starts_with(rest, b"\"\"").map(|n| ("", n)));
    if let Some((text, n)) = known {
        *slot = Some(Cow::Borrowed(text));
        return Some(at + n);
    }
    if rest.first() != Some(&b'"') {
        return None;
    }
    let len = rest[1..]
        .iter()
        .take_while(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_'))
        .count();
    let end = at + 1 + len;
    if b.get(end) != Some(&b'"') {
        return None;
    }
    *slot = Some(label(line.get(at + 1..end)?));
    Some(end + 1)
}

/// A usage object starting at `at` (`depth` levels of `iterations` deep), as [`Usage`]'s
/// `Deserialize` reads it, member by member (the last of a member written twice wins); the
/// offset just past it. Any usage object, however written.
fn usage_by_members(line: &str, at: usize, depth: usize) -> Result<(Usage, usize), Fault> {
    if depth > MAX_ITERATION_DEPTH {
        return Err(Fault);
    }
    let mut u = Usage::default();
    let end = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
        // Whether the member is one aegon does not read named as a token count (decided by
        // the last name offered: the decoded one, when the key has escapes).
        let mut other_count = false;
        let end = read_member(line, key, v, |name| {
            other_count = false;
            let slot = match name {
                "input_tokens" => &mut u.input_tokens,
                "output_tokens" => &mut u.output_tokens,
                "cache_creation_input_tokens" => &mut u.cache_creation_input_tokens,
                "cache_read_input_tokens" => &mut u.cache_read_input_tokens,
                "cache_creation" if line.as_bytes().get(v) == Some(&b'{') => {
                    let (c, end) = cache_creation_at(line, v)?;
                    u.cache_creation = Some(c);
                    return Ok(Some(end));
                }
                "iterations" if line.as_bytes().get(v) == Some(&b'[') => {
                    let mut items = Vec::new();
                    let end = array_end_by_elements(line, v, |e| -> Result<usize, Fault> {
                        if line.as_bytes().get(e) == Some(&b'{') {
                            let (item, end) = usage_at(line, e, depth + 1)?;
                            items.push(item);
                            return Ok(end);
                        }
                        // Items that are not objects are left out.
                        let (value, end) = scanned(line, e)?;
                        checked_other(value)?;
                        Ok(end)
                    })?;
                    u.iterations = Some(items);
                    return Ok(Some(end));
                }
                "server_tool_use" if line.as_bytes().get(v) == Some(&b'{') => {
                    let (t, end) = server_tool_use_at(line, v)?;
                    u.server_tool_use = Some(t);
                    return Ok(Some(end));
                }
                "cache_creation" | "iterations" | "server_tool_use" => {
                    let (value, end) = scanned(line, v)?;
                    checked_other(value)?;
                    match name {
                        "cache_creation" => u.cache_creation = None,
                        "iterations" => u.iterations = None,
                        _ => u.server_tool_use = None,
                    }
                    return Ok(Some(end));
                }
                "speed" => return label_at(line, v, &mut u.speed).map(Some),
                "service_tier" => return label_at(line, v, &mut u.service_tier).map(Some),
                "inference_geo" => return label_at(line, v, &mut u.inference_geo).map(Some),
                _ => {
                    other_count = is_other_count(name);
                    return Ok(None);
                }
            };
            let (n, end) = count_at(line, v)?;
            *slot = n;
            Ok(Some(end))
        })?;
        if other_count {
            u.other_counts |= positive_number(&line[v..end]);
        }
        Ok(end)
    })?;
    Ok((u, end))
}

/// `usage.cache_creation` (an object) starting at `at`; the offset just past it.
fn cache_creation_at(line: &str, at: usize) -> Result<(CacheCreation, usize), Fault> {
    let mut c = CacheCreation::default();
    let end = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
        let mut known = false;
        let end = read_member(line, key, v, |name| {
            let slot = match name {
                "ephemeral_5m_input_tokens" => &mut c.ephemeral_5m_input_tokens,
                "ephemeral_1h_input_tokens" => &mut c.ephemeral_1h_input_tokens,
                _ => return Ok(None),
            };
            let (n, end) = count_at(line, v)?;
            *slot = n;
            known = true;
            Ok(Some(end))
        })?;
        // Another member (its name decoded, when escaped) holding writes: a TTL with no price.
        if !known {
            c.other_ttl |= positive_number(&line[v..end]);
        }
        Ok(end)
    })?;
    Ok((c, end))
}

/// `usage.server_tool_use` (an object) starting at `at`; the offset just past it.
fn server_tool_use_at(line: &str, at: usize) -> Result<(ServerToolUse, usize), Fault> {
    let mut t = ServerToolUse::default();
    let end = object_end_by_members(line, at, |key, v| -> Result<usize, Fault> {
        let mut read = false;
        let end = read_member(line, key, v, |name| {
            if name != "web_search_requests" {
                return Ok(None);
            }
            let (n, end) = count_at(line, v)?;
            t.web_search_requests = n;
            read = true;
            Ok(Some(end))
        })?;
        // A member skipped (`web_fetch_requests`) is checked as serde's `IgnoredAny` checks
        // it (`1.` is no number): a fault sends the message to serde, which says it.
        if !read && !validate::is_json_value(&line[v..end]) {
            return Err(Fault);
        }
        Ok(end)
    })?;
    Ok((t, end))
}

/// A label member starting at `at` into `slot`, as [`lenient_label`] reads it; the offset
/// just past it.
fn label_at(line: &str, at: usize, slot: &mut Option<Cow<'static, str>>) -> Result<usize, Fault> {
    if line.as_bytes().get(at) == Some(&b'"') && one_pass() {
        let (text, end) = decoded_at(line, at)?;
        *slot = Some(label(&text));
        return Ok(end);
    }
    let (value, end) = scanned(line, at)?;
    *slot = if value.starts_with('"') {
        Some(label(&decoded(value)?))
    } else {
        checked_other(value)?;
        None
    };
    Ok(end)
}

/// A JSON string value decoded: borrowed unless it has escapes; `Ok(None)` for a value that is
/// not a string; an error for a string that cannot be decoded.
#[inline]
fn decode_string(value: &str) -> Result<Option<Cow<'_, str>>, serde_json::Error> {
    if let Some(plain) = plain_str(value) {
        return Ok(Some(Cow::Borrowed(plain)));
    }
    if !value.starts_with('"') {
        return Ok(None);
    }
    serde_string(value).map(Some)
}

/// The JSON string literal `literal` (quotes included) decoded, when [`validate::string_end_in`]
/// has taken it (escapes well formed, no control byte) and every `\u` escape is a character:
/// a code point outside the surrogates, or a high surrogate followed by a low one. `None` for
/// any other surrogate escape (serde decides: it refuses a lone surrogate, in its own words).
/// What serde_json decodes a taken literal to, without its deserializer: a Windows `cwd`
/// (`C:\\Users\\…`, a tenth of the corpus's lines) cost ~2,500 instructions through serde.
fn unescape(literal: &str) -> Option<String> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\\', &b[i..]) {
        out.push_str(inner.get(i..i + k)?);
        let at = i + k;
        let c = match *b.get(at + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = hex4(b, at + 2)?;
                match high {
                    0xd800..=0xdbff => {
                        if b.get(at + 6..at + 8) != Some(b"\\u") {
                            return None;
                        }
                        let low = hex4(b, at + 8)?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return None;
                        }
                        i = at + 12;
                        out.push(char::from_u32(
                            0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00),
                        )?);
                        continue;
                    }
                    0xdc00..=0xdfff => return None,
                    _ => {
                        i = at + 6;
                        out.push(char::from_u32(high)?);
                        continue;
                    }
                }
            }
            _ => return None,
        };
        out.push(c);
        i = at + 2;
    }
    out.push_str(inner.get(i..)?);
    Some(out)
}

/// The four hex digits at `b[at..at + 4]` as a number.
#[inline]
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    digits
        .iter()
        .try_fold(0u32, |n, &d| Some(n << 4 | char::from(d).to_digit(16)?))
}

/// The JSON string literal `value` decoded by serde_json (borrowed unless it has escapes).
fn serde_string(value: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Str<'a>(#[serde(borrow)] Cow<'a, str>);
    serde_json::from_str::<Str<'_>>(value).map(|s| s.0)
}

/// The string member `key` of the object `value`, read without decoding the rest of it (`None`
/// when it is absent or not a string). A string serde cannot decode (a lone surrogate) is
/// decoded leniently, the bad escapes as U+FFFD, rather than dropped.
pub fn member_string<'a>(value: &'a str, key: &str) -> Option<Cow<'a, str>> {
    let mut found = None;
    let _ = for_each_member(value, |k, v, _| {
        if k == key {
            found = lenient_string(v);
        }
        Ok::<(), ScanError>(())
    });
    found
}

/// The JSON value `v` as a string (`None` when it is not one), a string serde cannot decode (a
/// lone surrogate) decoded leniently, the bad escapes as U+FFFD.
fn lenient_string(v: &str) -> Option<Cow<'_, str>> {
    decode_string(v)
        .unwrap_or_else(|_| Some(Cow::Owned(crate::text::decode_prefix(v, usize::MAX).0)))
}

/// `agentId` (as [`member_string`] reads it) and `message` (when an object, exactly as
/// written) of an `agent_progress` line's `data` object, in one walk of it; `None` for either
/// when it is absent or of another type.
fn agent_progress(data: &str) -> (Option<Cow<'_, str>>, Option<&str>) {
    let (mut agent, mut copy) = (None, None);
    let _ = for_each_member(data, |k, v, _| {
        match k {
            "agentId" => agent = lenient_string(v),
            "message" if v.starts_with('{') => copy = Some(v),
            "message" => copy = None,
            _ => {}
        }
        Ok::<(), ScanError>(())
    });
    (agent, copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message's blocks handed back leave their buffer, emptied, for the next message on the
    /// thread: same allocation, no block of the line before, and content read into it as into
    /// a new one.
    #[test]
    fn content_blocks_reuse_the_last_buffer() {
        let first = String::from(
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"a"},{"type":"tool_use","id":"t","name":"Bash","input":{}}]}}"#,
        );
        let mut r = parse_record(&first).unwrap();
        let Some(Content::Blocks(blocks)) = r.message.as_mut().and_then(|m| m.content.take())
        else {
            panic!("blocks")
        };
        let (ptr, cap) = (blocks.as_ptr() as usize, blocks.capacity());
        give_back_blocks(blocks);
        drop(r);
        drop(first);
        let second = r#"{"type":"user","message":{"content":[{"type":"text","text":"b"}]}}"#;
        let r = parse_record(second).unwrap();
        let Some(Content::Blocks(blocks)) = r.message.as_ref().and_then(|m| m.content.as_ref())
        else {
            panic!("blocks")
        };
        assert_eq!((blocks.as_ptr() as usize, blocks.capacity()), (ptr, cap));
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            blocks[0].text.as_ref().map(|t| t.to_str()).as_deref(),
            Some("b")
        );
        // A large buffer is not kept.
        give_back_blocks(Vec::with_capacity(SPARE_BLOCKS_MAX + 1));
        assert!(spare_blocks().capacity() <= SPARE_BLOCKS_MAX);
    }

    #[test]
    fn member_strings_are_repaired_not_dropped() {
        assert_eq!(
            member_string(r#"{"agentId":"a\ud83d","x":1}"#, "agentId").as_deref(),
            Some("a\u{fffd}")
        );
        assert_eq!(member_string(r#"{"agentId":7}"#, "agentId"), None);
    }

    #[test]
    fn problems_name_the_member_and_the_byte() {
        let r = parse_record(r#"{"type":"user","uuid":"a\qb","message":{"content":"x"}}"#).unwrap();
        assert_eq!(r.uuid, None);
        assert_eq!(r.problems.len(), 1);
        assert!(r.problems[0].message.starts_with("`uuid` cannot be read"));
        assert_eq!(r.problems[0].offset, 25);
        assert!(r.problems[0].syntax);
        // A lone surrogate is the parser's to repair before this: here it is only reported.
        let r = parse_record(r#"{"type":"user","cwd":"\ud800"}"#).unwrap();
        assert_eq!(r.problems[0].offset, 22);
        assert!(
            r.problems[0].message.contains("lone surrogate `\\ud800`"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn a_message_read_in_place_leaves_the_members_after_it_readable() {
        // A message serde reads whole, then members after it (read where the message ended).
        let r = parse_record(
            r#"{"type":"assistant","message":{"model":"m","id":"x","content":[{"type":"text","text":"}]\"{"}]} , "uuid":"u1","version":"2"}"#,
        )
        .unwrap();
        let m = r.message.as_ref().unwrap();
        assert_eq!(
            (m.model.as_deref(), m.id.as_deref()),
            (Some("m"), Some("x"))
        );
        assert_eq!(
            (r.uuid.as_deref(), r.version.as_deref()),
            (Some("u1"), Some("2"))
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        // A message serde cannot read whole (a bad escape) is skipped and read member by
        // member, as before: its model kept, the members after it read, the fault reported.
        let r = parse_record(
            r#"{"type":"assistant","message":{"model":"m","content":[{"type":"text","text":"a\qb"}]},"uuid":"u2"}"#,
        )
        .unwrap();
        assert_eq!(r.message.as_ref().unwrap().model.as_deref(), Some("m"));
        assert_eq!(r.uuid.as_deref(), Some("u2"));
        assert!(!r.problems.is_empty());
        // A message cut off ends the line as a truncated one, as the scanner reports it.
        assert!(
            parse_record(r#"{"type":"assistant","message":{"model":"m","content":[{"#).is_err()
        );
    }

    /// A message as the pipeline sees it: the content string's text decoded (the scanner keeps
    /// it as its JSON literal, serde decoded it), everything else as read.
    fn shown(m: Option<Message<'_>>) -> String {
        let mut m = m.map(|mut m| {
            if let Some(Content::Text(t)) = &m.content {
                m.content = Some(Content::Text(Text::Plain(Cow::Owned(
                    t.to_str().into_owned(),
                ))));
            }
            m
        });
        format!("{:?}", m.take())
    }

    /// The message `value` read as it was before the scanner read it: serde whole, member by
    /// member when serde cannot (the reference).
    fn by_serde(value: &str) -> (String, Vec<Problem>) {
        let mut p = Reader::default();
        let m = match serde_json::from_str::<Message<'_>>(value) {
            Ok(mut m) => {
                for note in m.notes.drain(..) {
                    p.note(0, note, false);
                }
                // Refused counts and counts aegon does not know, noted where the (last)
                // usage is, as the reader notes them.
                let (r, o) = m.usage.as_mut().map_or((false, false), |u| {
                    (u.clear_refused(), u.has_other_counts())
                });
                if r | o {
                    let mut last = None;
                    for_each_member(value, |k, v, off| {
                        let key: String = serde_json::from_str(&format!("\"{k}\"")).unwrap();
                        if key == "usage" {
                            last = Some((v, off));
                        }
                        Ok::<(), ScanError>(())
                    })
                    .unwrap();
                    let (v, off) = last.unwrap();
                    p.unread_counts(v, off, r, o);
                }
                m
            }
            Err(_) => p.message_by_members(value, 0),
        };
        (shown(Some(m)), p.problems)
    }

    /// The message `value` read as [`parse_members`] reads it now.
    fn by_scanner(value: &str) -> (String, Vec<Problem>, bool) {
        let mut p = Reader::default();
        let mut m = Message::default();
        let (m, scanned) = match p.message_scanned(value, 0, &mut m) {
            Some(end) => {
                assert_eq!(end, value.len(), "{value}");
                (m, true)
            }
            None => (p.message_by_members(value, 0), false),
        };
        (shown(Some(m)), p.problems, scanned)
    }

    /// xorshift: a pseudo-random number below `n`.
    fn pick(state: &mut u64, n: usize) -> usize {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state % n as u64) as usize
    }

    fn one<'s>(state: &mut u64, pool: &[&'s str]) -> &'s str {
        pool[pick(state, pool.len())]
    }

    /// A value of any type, now and then (1 in 60) one serde rejects.
    fn any_value(state: &mut u64) -> String {
        match pick(state, 60) {
            0 => one(state, FAULTY),
            _ => one(state, ANY),
        }
        .to_owned()
    }

    /// A count, now and then (1 in 60) one JSON's grammar does not allow.
    fn count_value(state: &mut u64) -> String {
        match pick(state, 60) {
            0 => one(state, FAULTY_COUNTS),
            _ => one(state, COUNTS),
        }
        .to_owned()
    }

    /// Values of every type, with escapes that decode.
    const ANY: &[&str] = &[
        r#""user""#,
        r#""assistant""#,
        r#""""#,
        r#""a\nb \"q\" \\""#,
        r#""\u00e9t\u00e9 \ud83d\ude00""#,
        r#""\/x""#,
        "null",
        "true",
        "false",
        "0",
        "7",
        "-2",
        "1.5e3",
        r#"[1,"x",{"a":[]}]"#,
        r#"{"k":"v","n":{"m":null}}"#,
        "[]",
        "{}",
    ];

    /// Values serde rejects where a value is read: a bad escape, a lone surrogate (decoded),
    /// a raw control character, a number out of range or not in JSON's grammar, a bad literal,
    /// a bad array or object.
    const FAULTY: &[&str] = &[
        r#""a\qb""#,
        r#""\ud800x""#,
        "\"tab\there\"",
        "tru",
        "01",
        "1e999",
        "[1,]",
        r#"{"a":}"#,
    ];

    /// Counts: plain digits, the forms serde reads leniently, and some it rejects.
    const COUNTS: &[&str] = &[
        "0",
        "5",
        "1234567",
        "9999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234",
        "-3",
        "-0",
        "2.9",
        "1e3",
        "0.0",
        "null",
        r#""12""#,
        "true",
        "[1]",
        r#"{"a":1}"#,
    ];

    /// Counts JSON's grammar does not allow.
    const FAULTY_COUNTS: &[&str] = &["01", "+1", "1.", "-", "1e999"];

    /// `members` written as an object in random order, with random spaces, each key written
    /// plain or (one time in 8) with an escape serde decodes.
    fn object(state: &mut u64, members: Vec<(&str, String)>) -> String {
        let mut members = members;
        for i in (1..members.len()).rev() {
            members.swap(i, pick(state, i + 1));
        }
        let space = |state: &mut u64| [" ", "", "", ""][pick(state, 4)];
        let mut out = String::from("{");
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(space(state));
            let key = if pick(state, 8) == 0 {
                format!("\\u{:04x}{}", key.as_bytes()[0], &key[1..])
            } else {
                key.to_string()
            };
            out.push_str(&format!(
                "\"{key}\"{}:{}{value}",
                space(state),
                space(state)
            ));
        }
        out.push_str(space(state));
        out.push('}');
        out
    }

    /// Writes a value for a member.
    type ValueOf<'f> = dyn Fn(&mut u64) -> String + 'f;

    /// Some of `names`, each with a value from its pool (no name twice).
    fn some_members<'n>(
        state: &mut u64,
        names: &[(&'n str, &ValueOf<'_>)],
    ) -> Vec<(&'n str, String)> {
        names
            .iter()
            .flat_map(|(name, value)| {
                let keep = pick(state, 3) != 0;
                keep.then(|| (*name, value(state)))
            })
            .collect()
    }

    fn usage(state: &mut u64, depth: usize) -> String {
        let count = count_value;
        let other = |s: &mut u64| {
            one(
                s,
                &[
                    "5000", "0", r#""7""#, "2.5", "-3", "0.0", "1e2", "[1]", "null", "{}",
                ],
            )
            .to_owned()
        };
        let label = |state: &mut u64| {
            one(
                state,
                &[
                    r#""standard""#,
                    r#""fast""#,
                    r#""us""#,
                    r#""odd\u0021""#,
                    r#""""#,
                    "null",
                    "3",
                ],
            )
            .to_owned()
        };
        let cache = |state: &mut u64| match pick(state, 4) {
            0 => any_value(state),
            _ => {
                let members = some_members(
                    state,
                    &[
                        ("ephemeral_5m_input_tokens", &count),
                        ("ephemeral_1h_input_tokens", &count),
                        // A TTL aegon does not know holds writes when it is a number
                        // above 0 (`other_ttl`): both readings must agree on which.
                        ("other", &|s: &mut u64| {
                            one(s, &["1", r#""x""#, "0", "2.5", "-3", "0.0", "1e2", "[1]"])
                                .to_owned()
                        }),
                    ],
                );
                object(state, members)
            }
        };
        let iterations = |state: &mut u64| match pick(state, 3) {
            0 if depth < 2 => {
                let items: Vec<String> = (0..pick(state, 3))
                    .map(|_| match pick(state, 4) {
                        0 => one(state, &["1", "null", r#""x""#, "[]"]).to_owned(),
                        _ => usage(state, depth + 1),
                    })
                    .collect();
                format!("[{}]", items.join(","))
            }
            1 => any_value(state),
            _ => "[]".to_owned(),
        };
        let members = some_members(
            state,
            &[
                ("input_tokens", &count),
                ("output_tokens", &count),
                ("cache_creation_input_tokens", &count),
                ("cache_read_input_tokens", &count),
                ("cache_creation", &cache),
                ("iterations", &iterations),
                ("speed", &label),
                ("service_tier", &label),
                ("inference_geo", &label),
                // Members aegon does not read: a name ending in `_tokens` holding a number
                // above 0 is a count of a kind it does not know (`other_counts`); zero, not a
                // number, or another name is not. Both readings must agree on which.
                ("audio_input_tokens", &other),
                ("cache_creation_24h_input_tokens", &other),
                ("total_tokens", &other),
                ("tokens", &other),
                ("server_tool_use", &|s: &mut u64| match pick(s, 4) {
                    0 => one(s, &["null", "[]", "3", r#"{"web_fetch_requests":2}"#]).to_owned(),
                    1 => any_value(s),
                    _ => {
                        let members = some_members(
                            s,
                            &[
                                ("web_search_requests", &count),
                                ("web_fetch_requests", &count),
                            ],
                        );
                        object(s, members)
                    }
                }),
            ],
        );
        object(state, members)
    }

    fn block(state: &mut u64) -> String {
        let any = any_value;
        let string = |state: &mut u64| match pick(state, 3) {
            0 => any_value(state),
            _ => one(
                state,
                &[
                    r#""text""#,
                    r#""tool_use""#,
                    r#""thinking""#,
                    r#""x\ty""#,
                    r#""Bash""#,
                ],
            )
            .to_owned(),
        };
        let source = |state: &mut u64| match pick(state, 3) {
            0 => any_value(state),
            _ => {
                let media = |s: &mut u64| {
                    one(
                        s,
                        &[r#""image/png""#, "null", r#""a\/b""#, "3", r#""a\qb""#],
                    )
                    .to_owned()
                };
                let data = |s: &mut u64| {
                    one(
                        s,
                        &[
                            r#""iVBORw0KGgo=""#,
                            r#""ab\/cd""#,
                            "null",
                            "5",
                            "[1]",
                            r#""x\u0000""#,
                        ],
                    )
                    .to_owned()
                };
                let members = some_members(
                    state,
                    &[
                        ("type", &|_: &mut u64| r#""base64""#.to_owned()),
                        ("media_type", &media),
                        ("data", &data),
                    ],
                );
                object(state, members)
            }
        };
        let members = some_members(
            state,
            &[
                ("type", &string),
                ("text", &any),
                ("thinking", &any),
                ("id", &string),
                ("name", &string),
                ("tool_use_id", &string),
                ("input", &any),
                ("content", &any),
                ("is_error", &any),
                ("source", &source),
                ("data", &any),
                // Read by nobody: skipped (always valid here: the scanner does not look
                // inside members it skips, serde did).
                ("signature", &|s: &mut u64| {
                    one(s, &[r#""EuYBCkQ=""#, r#"{"a":[1,2]}"#]).to_owned()
                }),
            ],
        );
        object(state, members)
    }

    fn message(state: &mut u64) -> String {
        let any = any_value;
        let content = |state: &mut u64| match pick(state, 4) {
            0 => any_value(state),
            _ => {
                let items: Vec<String> = (0..pick(state, 4))
                    .map(|_| match pick(state, 6) {
                        0 => any_value(state),
                        _ => block(state),
                    })
                    .collect();
                format!("[{}]", items.join(" ,"))
            }
        };
        let usage_member = |state: &mut u64| match pick(state, 5) {
            0 => any_value(state),
            _ => usage(state, 0),
        };
        let mut members = some_members(
            state,
            &[
                ("role", &any),
                ("model", &any),
                ("id", &any),
                ("content", &content),
                ("usage", &usage_member),
                ("stop_reason", &|s: &mut u64| {
                    one(s, &[r#""end_turn""#, "null"]).to_owned()
                }),
                ("container", &|s: &mut u64| {
                    one(s, &[r#"{"id":"c","x":[{}]}"#, "null"]).to_owned()
                }),
            ],
        );
        // A message's members may be written twice: the last wins, for serde as for the scanner.
        if pick(state, 6) == 0 {
            members.push(("usage", usage(state, 0)));
        }
        if pick(state, 6) == 0 {
            members.push(("content", content(state)));
        }
        object(state, members)
    }

    #[test]
    fn the_scanner_reads_messages_as_serde_did() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let (mut scanned, mut faults) = (0, 0);
        // Messages whose usage holds a count aegon does not know, or a refused one, read by
        // the scanner and by serde (the fallback): [scanned, fallback].
        let (mut other, mut refused) = ([0; 2], [0; 2]);
        for _ in 0..20_000 {
            let value = message(&mut state);
            let (want_message, want_problems) = by_serde(&value);
            let (got_message, got_problems, read) = by_scanner(&value);
            let way = usize::from(!read);
            other[way] += usize::from(got_message.contains("other_counts: true"));
            refused[way] += usize::from(
                got_message.contains("refused_input: true")
                    || got_message.contains("refused_other: true"),
            );
            // The one-pass readings of strings and raw values read what the scanner's end and a
            // check of the slice read, faults too.
            assert_eq!(
                with_one_pass(false, || by_scanner(&value)),
                (got_message.clone(), got_problems.clone(), read),
                "{value}"
            );
            assert_eq!(got_message, want_message, "{value}");
            assert_eq!(got_problems, want_problems, "{value}");
            // A message serde read whole is read by the scanner in one pass.
            if serde_json::from_str::<Message<'_>>(&value).is_ok() {
                assert!(read, "{value}");
            }
            if read {
                scanned += 1;
            } else {
                faults += 1;
            }
        }
        // Both ways are exercised, with and without counts that could not be read.
        assert!(scanned > 5_000 && faults > 1_000, "{scanned} {faults}");
        assert!(other[0] > 500 && other[1] > 100, "{other:?}");
        assert!(refused[0] > 500 && refused[1] > 100, "{refused:?}");
    }

    /// `f` run with the one-pass readings on or off (see [`one_pass`]).
    fn with_one_pass<T>(on: bool, f: impl FnOnce() -> T) -> T {
        ONE_PASS.with(|c| c.set(on));
        let out = f();
        ONE_PASS.with(|c| c.set(true));
        out
    }

    /// `line` read as [`parse_record`] reads it and as it read it before the one-pass readings
    /// (each value's end found by the scanner, then the slice checked or decoded): the same
    /// record, the same problems (words, offsets, syntax flags), the same error.
    #[track_caller]
    fn reads_alike(line: &str) {
        let now = with_one_pass(true, || format!("{:?}", parse_record(line)));
        let before = with_one_pass(false, || format!("{:?}", parse_record(line)));
        assert_eq!(now, before, "{line}");
    }

    /// Every line of the real inputs (corpus, fault fixtures, fuzz regressions), damaged
    /// copies of a sample of them (a byte replaced, inserted, removed; cut short; a stretch
    /// doubled), and every cut of a few whole lines.
    #[test]
    fn one_pass_readings_read_real_and_damaged_lines_as_before() {
        use crate::format::claude::validate::tests::{inputs, mutate, next};
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let (mut lines, mut damaged, mut cuts) = (0, 0, 0);
        for (_, text) in inputs() {
            for line in text.split('\n') {
                reads_alike(line);
                lines += 1;
                if line.len() <= 20_000 && next(&mut state) % 4 == 0 {
                    let mut copy = line.to_owned();
                    for _ in 0..8 {
                        copy = mutate(&copy, &mut state);
                        reads_alike(&copy);
                        damaged += 1;
                    }
                }
                if line.len() <= 4_000 && next(&mut state) % 40 == 0 {
                    for cut in (0..=line.len()).filter(|&c| line.is_char_boundary(c)) {
                        reads_alike(&line[..cut]);
                        cuts += 1;
                    }
                }
            }
        }
        assert!(
            lines > 5_000 && damaged > 5_000 && cuts > 10_000,
            "{lines} lines, {damaged} damaged, {cuts} cuts"
        );
    }

    /// Values of every kind where each one-pass reading reads (top-level strings and raw
    /// values, a message's strings, texts, tool inputs and results, labels, image sources),
    /// each right and damaged: the same record and problems as before.
    #[test]
    fn one_pass_readings_read_each_member_as_before() {
        let values = [
            r#""plain""#,
            r#""a\nb \"q\" \u00e9""#,
            r#""\ud800""#,
            r#""\ud83d\ude00""#,
            r#""a\qb""#,
            "\"tab\there\"",
            "\"ctl\u{1}\"",
            r#""unterminated"#,
            r#""\u12""#,
            "null",
            "true",
            "truex",
            "12",
            "12x",
            "01",
            "1e999",
            r#"{"a":[1,"x",{"b":null}]}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":tru}"#,
            r#"[{"type":"text","text":"t\n"}]"#,
            r#"[1,2"#,
            "[}",
            "x",
        ];
        let members = [
            "type", "uuid", "cwd", "error", "content", "summary", "data", "origin", "level",
        ];
        let blocks = [
            "text", "thinking", "input", "content", "id", "name", "type", "data", "is_error",
        ];
        for value in values {
            for after in ["", " ", ",\"uuid\":\"u\"", "x"] {
                for member in members {
                    reads_alike(&format!(r#"{{"{member}":{value}{after}}}"#));
                }
                for member in blocks {
                    reads_alike(&format!(
                        r#"{{"type":"assistant","message":{{"content":[{{"{member}":{value}{after}}}],"model":{value}}}}}"#
                    ));
                }
                reads_alike(&format!(
                    r#"{{"message":{{"role":{value},"content":{value}{after},"usage":{{"speed":{value},"input_tokens":1}}}}}}"#
                ));
                reads_alike(&format!(
                    r#"{{"message":{{"content":[{value}{after},{{"type":"image","source":{{"media_type":{value},"data":{value}}}}}]}}}}"#
                ));
            }
        }
    }

    /// The usage objects of the real inputs (each line's `"usage":{…}`, found by the scanner)
    /// and variants of the shapes Claude Code writes: members reordered, doubled, unknown
    /// (`*_tokens` or not), keys with escapes, whitespace, odd numbers (a sign, a fraction, an
    /// exponent, a leading zero, past 2^53, 20 digits), labels that are null, escaped or
    /// unknown, nested `iterations`, empty and other-typed nested values; each also damaged
    /// (a byte replaced, inserted, removed; cut short; a stretch doubled). Whenever
    /// [`compact_usage_at`] reads one, [`usage_by_members`] reads it alike (the same usage,
    /// the same end); and it reads every usage of the corpus but a few, or it would not pay.
    #[test]
    fn compact_usage_reads_as_the_generic_walk() {
        use crate::format::claude::validate::tests::{inputs, mutate, next};
        let mut objects = Vec::new();
        for (_, text) in inputs() {
            for line in text.split('\n') {
                let mut from = 0;
                while let Some(k) = line[from..].find("\"usage\":{") {
                    let at = from + k + "\"usage\":".len();
                    if let Ok(end) = value_end(line, at) {
                        objects.push(line[at..end].to_owned());
                    }
                    from = at;
                }
            }
        }
        let real = objects.len();
        let taken_real = objects
            .iter()
            .filter(|o| compact_usage_at(o, 0, 0).is_some())
            .count();
        assert!(
            real > 1_000 && taken_real * 100 >= real * 95,
            "{taken_real} of {real} real usage objects read by the compact path"
        );
        let newest = r#"{"input_tokens":2,"cache_creation_input_tokens":8083,"cache_read_input_tokens":11261,"output_tokens":251,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":8083,"ephemeral_5m_input_tokens":0},"inference_geo":"","iterations":[{"input_tokens":6,"output_tokens":1667,"cache_read_input_tokens":16325,"cache_creation_input_tokens":42982,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":42982},"type":"message"}],"speed":"standard"}"#;
        let older = r#"{"input_tokens":3,"cache_creation_input_tokens":4778,"cache_read_input_tokens":15588,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":4778},"output_tokens":9,"service_tier":"standard"}"#;
        let members = [
            r#""input_tokens":1"#,
            r#""input_tokens":0"#,
            r#""input_tokens":12345678"#,
            r#""input_tokens":123456789012345678901"#,
            r#""input_tokens":9007199254740993"#,
            r#""input_tokens":-1"#,
            r#""input_tokens":1.0"#,
            r#""input_tokens":1e3"#,
            r#""input_tokens":01"#,
            r#""input_tokens":null"#,
            r#""input_tokens":"5""#,
            r#""output_tokens":7"#,
            r#""output_tokens": 7"#,
            r#""cache_read_input_tokens":40"#,
            r#""cache_creation_input_tokens":3"#,
            r#""input\u005ftokens":9"#,
            r#""audio_input_tokens":5000"#,
            r#""audio_input_tokens":0"#,
            r#""note":"x""#,
            r#""type":"message""#,
            r#""type":"other""#,
            r#""type":null"#,
            r#""service_tier":"standard""#,
            r#""service_tier":"priority""#,
            r#""service_tier":"Standard""#,
            r#""service_tier":"st\u0061ndard""#,
            r#""service_tier":null"#,
            r#""service_tier":3"#,
            r#""speed":"fast""#,
            r#""speed":"""#,
            r#""inference_geo":"""#,
            r#""inference_geo":"not_available""#,
            r#""inference_geo":"eu-west""#,
            r#""cache_creation":{}"#,
            r#""cache_creation":null"#,
            r#""cache_creation":[]"#,
            r#""cache_creation":{"ephemeral_5m_input_tokens":1,"ephemeral_5m_input_tokens":2}"#,
            r#""cache_creation":{"ephemeral_24h_input_tokens":7}"#,
            r#""cache_creation":{"ephemeral_1h_input_tokens":1e2}"#,
            r#""server_tool_use":{}"#,
            r#""server_tool_use":{"web_search_requests":2,"web_fetch_requests":1.5}"#,
            r#""server_tool_use":{"web_fetch_requests":01}"#,
            r#""server_tool_use":{"web_fetch_requests":10,"web_search_requests":-2}"#,
            r#""iterations":[]"#,
            r#""iterations":null"#,
            r#""iterations":[1,{"input_tokens":2}]"#,
            r#""iterations":[{"input_tokens":2},{"output_tokens":3,"iterations":[{"input_tokens":4}]}]"#,
            r#""iterations":[{"input_tokens":2} ]"#,
        ];
        for _ in 0..3_000 {
            objects.push(String::new());
        }
        let mut state = 0x1234_5678_9abc_def1u64;
        let pick = |state: &mut u64, n: usize| (next(state) % n as u64) as usize;
        for object in objects.iter_mut().skip(real) {
            // Members of the two shapes, some replaced, some added, in some order.
            let base = if next(&mut state) % 2 == 0 {
                newest
            } else {
                older
            };
            let mut parts: Vec<String> = Vec::new();
            for_each_member(base, |key, value, _| {
                parts.push(format!("\"{key}\":{value}"));
                Ok::<(), ScanError>(())
            })
            .unwrap();
            for _ in 0..pick(&mut state, 4) {
                let at = pick(&mut state, parts.len() + 1);
                parts.insert(at, members[pick(&mut state, members.len())].to_owned());
            }
            if next(&mut state) % 3 == 0 {
                let (a, b) = (pick(&mut state, parts.len()), pick(&mut state, parts.len()));
                parts.swap(a, b);
            }
            if next(&mut state) % 4 == 0 {
                let at = pick(&mut state, parts.len());
                parts.remove(at);
            }
            *object = format!("{{{}}}", parts.join(","));
        }
        let mut damaged = Vec::new();
        for object in &objects {
            if next(&mut state) % 3 == 0 {
                let mut copy = object.clone();
                for _ in 0..4 {
                    copy = mutate(&copy, &mut state);
                    damaged.push(copy.clone());
                }
            }
        }
        objects.extend(damaged);
        objects
            .extend([newest, older, "{}", "{ }", "[]", "{\"input_tokens\":1,}"].map(String::from));
        let mut taken = 0;
        for object in &objects {
            let Some((usage, end)) = compact_usage_at(object, 0, 0) else {
                continue;
            };
            taken += 1;
            let Ok((by_members, generic_end)) = usage_by_members(object, 0, 0) else {
                panic!("{object}: read by the compact path as {usage:?}, a fault to the walk")
            };
            assert_eq!(
                (format!("{usage:?}"), end),
                (format!("{by_members:?}"), generic_end),
                "{object}"
            );
        }
        assert!(
            taken > real + 500 && taken < objects.len(),
            "{taken} of {} read by the compact path",
            objects.len()
        );
    }

    #[test]
    fn usage_where_aegon_reads_none_and_unknown_cache_ttls_are_marked() {
        let line = r#"{"type":"assistant","message":{"id":"m","usage":{"output_tokens":1,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_24h_input_tokens":7}}},"usage":{"input_tokens":3}}"#;
        let r = parse_record(line).unwrap();
        assert_eq!(r.usage_elsewhere, line.rfind(r#"{"input_tokens""#));
        let usage = r.message.unwrap().usage.unwrap();
        assert!(usage.cache_creation.unwrap().other_ttl);
        // Read by serde alone (the fallback reading), the same.
        let u: Usage = serde_json::from_str(
            r#"{"cache_creation":{"ephemeral_24h_input_tokens":7,"ephemeral_1h_input_tokens":2}}"#,
        )
        .unwrap();
        let c = u.cache_creation.unwrap();
        assert!(c.other_ttl);
        assert_eq!(c.ephemeral_1h_input_tokens, 2);
        // A zero (or null, false, "", [], {}) in another member holds no writes; anything
        // else there (a string "5", tester11 #7) holds writes of a kind aegon cannot read.
        let u: Usage = serde_json::from_str(
            r#"{"cache_creation":{"ephemeral_24h_input_tokens":0,"note":null,"x":"","y":[]}}"#,
        )
        .unwrap();
        assert!(!u.cache_creation.unwrap().other_ttl);
        let u: Usage =
            serde_json::from_str(r#"{"cache_creation":{"ephemeral_24h_input_tokens":"5"}}"#)
                .unwrap();
        assert!(u.cache_creation.unwrap().other_ttl);
        let r = parse_record(r#"{"type":"assistant","message":{"usage":{"output_tokens":1}}}"#)
            .unwrap();
        assert_eq!(r.usage_elsewhere, None);
    }

    #[test]
    fn token_counts_aegon_does_not_know_are_marked_and_named() {
        // tester8 #1: a `*_tokens` member aegon does not read, holding something (a number
        // other than 0, or a string, tester11 #7), in the usage or an iteration; a zero and a
        // member of another name are not.
        let usage = r#"{"input_tokens":1,"output_tokens":2,"audio_input_tokens":5000,"total_tokens":0,"x_tokens":"9","tokens":4,"iterations":[{"input_tokens":1,"output_tokens":1,"image_tokens":3}]}"#;
        let line = format!(r#"{{"type":"assistant","message":{{"id":"m","usage":{usage}}}}}"#);
        let r = parse_record(&line).unwrap();
        let u = r.message.unwrap().usage.unwrap();
        assert!(u.other_counts && u.has_other_counts());
        assert!(u.iterations.as_ref().unwrap()[0].other_counts);
        let problems: Vec<(usize, &str)> = r
            .problems
            .iter()
            .map(|p| (p.offset, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    line.find("5000").unwrap(),
                    "`message.usage.audio_input_tokens` 5000 is a token count aegon does not know: not counted"
                ),
                (
                    line.find("\"9\"").unwrap(),
                    "`message.usage.x_tokens` \"9\" is a token count aegon does not know: not counted"
                ),
                (
                    line.find("3}]").unwrap(),
                    "`message.usage.iterations[0].image_tokens` 3 is a token count aegon does not know: not counted"
                ),
            ]
        );
        assert!(r.problems.iter().all(|p| p.count && !p.syntax));
        // Read by serde alone (the fallback reading), the same marks.
        let by_serde: Usage = serde_json::from_str(usage).unwrap();
        assert_eq!(format!("{by_serde:?}"), format!("{u:?}"));
        // Only in an iteration: marked there, and the usage has one.
        let u: Usage =
            serde_json::from_str(r#"{"iterations":[{"output_tokens":1,"a_tokens":1e2}]}"#).unwrap();
        assert!(!u.other_counts && u.has_other_counts());
        // Zeros, null, false, empty values and the names aegon reads: nothing.
        let u: Usage = serde_json::from_str(
            r#"{"input_tokens":1,"audio_input_tokens":0,"b_tokens":false,"c_tokens":null,"d_tokens":[],"e_tokens":"","service_tier":"standard","speed":"fast"}"#,
        )
        .unwrap();
        assert!(!u.has_other_counts());
        // Anything else under such a name (tester11 #7): a count aegon cannot read.
        for held in ["-1", "[1]", "{\"n\":1}", "true", "\"5000\""] {
            let u: Usage = serde_json::from_str(&format!(r#"{{"b_tokens":{held}}}"#)).unwrap();
            assert!(u.has_other_counts(), "{held}");
        }
    }

    #[test]
    fn refused_counts_mark_their_usage_input_or_other() {
        let read = |usage: &str| {
            let line = format!(r#"{{"type":"assistant","message":{{"usage":{usage}}}}}"#);
            let u = parse_record(&line).unwrap().message.unwrap().usage.unwrap();
            (u.refused_input, u.refused_other, u.output_tokens)
        };
        assert_eq!(
            read(r#"{"input_tokens":1,"output_tokens":"71"}"#),
            (false, true, 0)
        );
        assert_eq!(
            read(r#"{"input_tokens":-1,"output_tokens":71}"#),
            (true, false, 71)
        );
        assert_eq!(
            read(r#"{"output_tokens":7,"cache_creation":{"ephemeral_1h_input_tokens":2.5}}"#),
            (true, false, 7)
        );
        assert_eq!(
            read(r#"{"output_tokens":7,"server_tool_use":{"web_search_requests":"1"}}"#),
            (false, true, 7)
        );
        assert_eq!(
            read(r#"{"input_tokens":1,"output_tokens":null}"#),
            (false, false, 0)
        );
        // In an iteration: that iteration is marked.
        let line = r#"{"type":"assistant","message":{"usage":{"iterations":[{"input_tokens":1e300,"output_tokens":3}]}}}"#;
        let u = parse_record(line).unwrap().message.unwrap().usage.unwrap();
        assert!(!u.refused_input && u.iterations.unwrap()[0].refused_input);
    }

    #[test]
    fn a_member_written_twice_in_a_block_or_usage_takes_the_last() {
        // Serde rejected these (a duplicate field): the block was skipped, the usage lost,
        // each with a note. The last one now wins, as in JSON.parse; the usage's own
        // `Deserialize` (hand-written) takes the last too, so only the block is noted there.
        let value = r#"{"content":[{"type":"text","text":"a","text":"b"}],"usage":{"input_tokens":1,"input_tokens":2,"cache_creation":{"ephemeral_5m_input_tokens":3,"ephemeral_5m_input_tokens":4}}}"#;
        let (_, before) = by_serde(value);
        assert_eq!(before.len(), 1, "{before:?}");
        let (usage, _) = usage_at(&value[value.find("{\"input").unwrap()..], 0, 0)
            .ok()
            .unwrap();
        let by_serde: Usage =
            serde_json::from_str(&value[value.find("{\"input").unwrap()..value.len() - 1]).unwrap();
        assert_eq!(format!("{usage:?}"), format!("{by_serde:?}"));
        let mut p = Reader::default();
        let mut m = Message::default();
        p.message_scanned(value, 0, &mut m).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let Some(Content::Blocks(blocks)) = &m.content else {
            panic!("{m:?}")
        };
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            blocks[0].text.as_ref().map(|t| t.to_str()).as_deref(),
            Some("b")
        );
        let usage = m.usage.unwrap();
        assert_eq!(usage.input_tokens, 2);
        assert_eq!(usage.cache_creation.unwrap().ephemeral_5m_input_tokens, 4);
    }

    #[test]
    fn counts_follow_json_number_grammar() {
        // The independent reading: JSON's grammar (RFC 8259 §6) and the token count rule
        // (a whole number from 0 to 2^53 = 9007199254740992; anything else refused, held as
        // u64::MAX until the reader notes it). `None`: not JSON, a fault.
        const R: u64 = u64::MAX;
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("42", Some(42)),
            ("2e2", Some(200)),
            ("7.0", Some(7)),
            ("9007199254740992", Some(9_007_199_254_740_992)),
            ("null", Some(0)),
            ("-7", Some(R)),
            ("3.99", Some(R)),
            ("9007199254740993", Some(R)),
            ("18446744073709551615", Some(R)),
            ("99999999999999999999", Some(R)),
            ("1e300", Some(R)),
            ("\"5\"", Some(R)),
            ("01", None),
            ("+1", None),
            ("00", None),
            ("1.", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(count(text).ok(), *want, "{text}");
        }
    }

    #[test]
    fn unread_members_of_a_message_are_skipped_unread() {
        // As at the top level: a member aegon does not read is skipped by its brackets and
        // quotes, not checked to be JSON (serde's whole parse rejected the message for it).
        let r = parse_record(
            r#"{"type":"assistant","message":{"model":"m","stop_reason":tru,"content":[{"type":"thinking","thinking":"t","signature":"a\qb"}]},"uuid":"u"}"#,
        )
        .unwrap();
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let Some(Content::Blocks(blocks)) = r.message.as_ref().and_then(|m| m.content.as_ref())
        else {
            panic!("{:?}", r.message)
        };
        assert_eq!(
            blocks[0].thinking.as_ref().map(|t| t.to_str()).as_deref(),
            Some("t")
        );
        assert_eq!(r.uuid.as_deref(), Some("u"));
    }

    #[test]
    fn not_an_object_is_said_only_of_values_that_are_not_objects() {
        assert_eq!(
            parse_record("[1,2]").unwrap_err().message,
            "a JSON value that is not an object"
        );
        // An object with a fault inside is not "not an object".
        let e = parse_record(r#"{"type":"user","a":[}"#).unwrap_err();
        assert_ne!(e.message, "a JSON value that is not an object");
    }

    /// Counts read from one word agree with the scanner's token read by [`count`]: every
    /// length of digits, leading zeros, signs, fractions, exponents, each followed by every
    /// kind of byte and cut at every length (fewer than 8 bytes left too).
    #[test]
    fn counts_from_one_word_read_as_the_token() {
        let numbers = [
            "0",
            "00",
            "01",
            "7",
            "42",
            "999",
            "1234567",
            "12345678",
            "99999999",
            "100000000",
            "9007199254740993",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "-0",
            "1.5",
            "1e3",
            "1E+2",
            "2.",
            "x",
            "",
            "\"7\"",
            "null",
            "true",
            "0x10",
        ];
        let after = [
            ",", "}", "]", " ", "\t", "\r", "\n", "x", "\"", ":", "0", ".5", "é", "{", "\\",
        ];
        let mut state = 0x1234_abcd_5678_ef01u64;
        let mut lines: Vec<String> = Vec::new();
        for n in numbers {
            for a in after {
                lines.push(format!("{n}{a}}}}}}}}}}}"));
            }
        }
        for _ in 0..20_000 {
            let digits = (crate::format::claude::validate::tests::next(&mut state) % 21) as usize;
            let mut n: String = (0..digits)
                .map(|_| {
                    char::from(
                        b'0' + (crate::format::claude::validate::tests::next(&mut state) % 10)
                            as u8,
                    )
                })
                .collect();
            n.push_str(
                after[(crate::format::claude::validate::tests::next(&mut state)
                    % after.len() as u64) as usize],
            );
            n.push_str("        ");
            lines.push(n);
        }
        let mut fast = 0;
        for line in &lines {
            for cut in (0..=line.len()).filter(|&c| line.is_char_boundary(c)) {
                let line = &line[..cut];
                let now = with_one_pass(true, || count_at(line, 0).ok());
                let before = with_one_pass(false, || count_at(line, 0).ok());
                assert_eq!(now, before, "{line:?}");
                fast += usize::from(now.is_some_and(|(n, _)| n != REFUSED) && line.len() >= 8);
            }
        }
        assert!(fast > 10_000, "{fast}");
    }

    #[test]
    fn eight_digits_are_the_number_they_write() {
        let mut state = 0x0bad_cafe_dead_beefu64;
        for i in 0..200_000u64 {
            let v = match i {
                0..=99_999 => i,
                _ => crate::format::claude::validate::tests::next(&mut state) % 100_000_000,
            };
            let word = u64::from_le_bytes(format!("{v:08}").as_bytes().try_into().unwrap());
            assert_eq!(eight_digits(word), v);
            // Leading digits shifted off and zero bytes in their place.
            let shown = format!("{v}");
            let n = shown.len();
            let mut bytes = [b'?'; 8];
            bytes[..n].copy_from_slice(shown.as_bytes());
            let word = u64::from_le_bytes(bytes) << (8 * (8 - n));
            assert_eq!(eight_digits(word), v, "{shown}");
        }
    }

    /// `data`, `attachment` and `origin` walked once read as skipped whole and walked: the
    /// shape that withdrew the first one-walk (a token holding a quote, which the member walk
    /// ends at a comma and the skip of the whole object reads as a string's start), tokens with
    /// brackets or backslashes, faults inside and after the object, members written twice.
    #[test]
    fn objects_walked_once_read_as_before() {
        let line =
            r#"{"type":"attachment","attachment":{"type":todo_reminder","content":[]},"uuid":"u"}"#;
        let at = line.find(":{").unwrap() + 1;
        // The two readings of that object differ: the case is a real one.
        let walked = object_end_by_members(line, at, |_, v| value_end(line, v)).ok();
        assert!(walked.is_some());
        assert_ne!(walked, value_end(line, at).ok());
        reads_alike(line);
        let objects = [
            r#"{"type":todo_reminder","content":[]}"#,
            r#"{"type":todo_reminder","content":"x"}"#,
            r#"{"type":"hook_progress","n":1x"y"}"#,
            r#"{"n":tru{e,"type":"p"}"#,
            r#"{"n":tru[e],"type":"p"}"#,
            r#"{"n":1\,"type":"p"}"#,
            r#"{"n":1\"x","type":"p"}"#,
            r#"{"kind":"human","type":"a\ud800"}"#,
            r#"{"type":"a\ud800","kind":"a\qb"}"#,
            r#"{"type":"a","type":"b","kind":"c","kind":7}"#,
            r#"{"type":"a",}"#,
            r#"{"type":"a" "x":1}"#,
            r#"{"type":{"type":"nested"},"kind":["k"]}"#,
            r#"{"type":"a","content":{"x":"}\"{"}}"#,
            r#"{"type":"#,
            r#"{}"#,
            r#"[]"#,
            r#""type""#,
            "7",
        ];
        for object in objects {
            for member in ["data", "attachment", "origin", "snapshot"] {
                for after in ["", r#","uuid":"u"}"#, "}", r#" , "x":"}"}"#, "x"] {
                    let close = if after.is_empty() { "}" } else { "" };
                    reads_alike(&format!(
                        r#"{{"type":"progress","{member}":{object}{after}{close}"#
                    ));
                }
            }
        }
    }

    /// Snapshots read without serde as serde read them: entries counted, the timestamp, and
    /// the shapes left to serde (escaped keys, members written twice, a timestamp of another
    /// type or with an escape, faults).
    #[test]
    fn snapshots_read_as_serde_read_them() {
        let snapshots = [
            r#"{"messageId":"m","trackedFileBackups":{"a.rs":{"backupFileName":"x","version":1},"b":null},"timestamp":"2025-01-01T00:00:00.000Z"}"#,
            r#"{"trackedFileBackups":{},"timestamp":null}"#,
            r#"{"trackedFileBackups":[1,2],"timestamp":"t"}"#,
            r#"{"trackedFileBackups":"x"}"#,
            r#"{"trackedFileBackups":{"a":1,"a":2}}"#,
            r#"{"trackedFileBackups":{"a\ud800":1}}"#,
            r#"{"trackedFileBackups":{"a\n":1}}"#,
            r#"{"trackedFileBackups":{"a":1},"trackedFileBackups":{}}"#,
            r#"{"timestamp":"a","timestamp":"b"}"#,
            r#"{"timestamp":7}"#,
            r#"{"timestamp":"a\nb"}"#,
            r#"{"timestamp":"a\ud800"}"#,
            r#"{"time\u0073tamp":"a"}"#,
            r#"{"trackedFileBackups":{"a":tru}}"#,
            r#"{"trackedFileBackups":{"a":1,}}"#,
            r#"{"trackedFileBackups":{"a":"ctl\u0001"},"x":01}"#,
            "{\"timestamp\":\"tab\there\"}",
            r#"{"trackedFileBackups":{"a":1}"#,
            r#"[1]"#,
            "null",
        ];
        for snapshot in snapshots {
            for after in ["}", r#","uuid":"u"}"#, " }", "x}"] {
                let line =
                    format!(r#"{{"type":"file-history-snapshot","snapshot":{snapshot}{after}"#);
                reads_alike(&line);
            }
        }
        let line = format!(r#"{{"snapshot":{}}}"#, snapshots[0]);
        let r = parse_record(&line).unwrap();
        let s = r.snapshot.unwrap();
        assert_eq!(
            (s.tracked_files, s.timestamp.as_deref()),
            (2, Some("2025-01-01T00:00:00.000Z"))
        );
    }

    /// Strings with every escape, surrogate pairs, lone and misordered surrogates, decoded as
    /// serde_json decodes them; refused (left to serde) only where serde refuses them.
    #[test]
    fn unescaped_strings_are_what_serde_decodes() {
        let pieces = [
            "a",
            "é",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\f",
            "\\n",
            "\\r",
            "\\t",
            "\\u0041",
            "\\u00e9",
            "\\u20AC",
            "\\ud83d\\ude00",
            "\\ud83d",
            "\\ude00",
            "\\ud83d\\u0041",
            "\\ude00\\ud83d",
            "\\uDBFF\\uDFFF",
            "\\u0000",
            "\\uffff",
            "C:",
            "\\\\Users",
        ];
        let mut state = 0x51a7_e5ed_0123_4567u64;
        for case in 0..30_000 {
            let n = case % 7;
            let mut literal = String::from("\"");
            for _ in 0..n {
                let k = crate::format::claude::validate::tests::next(&mut state) as usize;
                literal.push_str(pieces[k % pieces.len()]);
            }
            literal.push('"');
            let want = serde_string(&literal).ok().map(Cow::into_owned);
            let got = unescape(&literal);
            match &got {
                Some(text) => assert_eq!(Some(text), want.as_ref(), "{literal}"),
                // Left to serde: only surrogate escapes it may refuse.
                None => assert!(
                    literal.contains("\\ud") || literal.contains("\\uD"),
                    "{literal}"
                ),
            }
            if want.is_none() {
                assert_eq!(got, None, "{literal}");
            }
        }
    }
}
