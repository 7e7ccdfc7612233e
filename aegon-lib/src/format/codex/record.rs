//! The borrowed shapes of Codex rollout lines, read leniently.
//!
//! One struct, [`Item`], holds the members of every record kind aegon reads: an envelope line
//! (`{"timestamp","type","payload"}`) is an `Item` whose `payload` is another `Item`; a legacy
//! line (a bare Responses-API item, the header, a `record_type` line) is an `Item` itself. The
//! members read as text are [`Str`] (a string, or `None` for any other JSON value: a member
//! of an unexpected type is not an error) or raw JSON ([`RawValue`], parsed only where needed);
//! unknown members are skipped. Strings are borrowed from the line where they have no escapes.

use std::borrow::Cow;
use std::fmt;

use crate::format::Count;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A string member as written (borrowed when it has no escapes), or `None` when the member
/// holds another JSON type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Str<'a>(pub Option<Cow<'a, str>>);

impl<'a> Str<'a> {
    /// The string, if the member was one.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_unit<E>(self) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_none<E>(self) -> Result<Str<'a>, E> {
                Ok(Str(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Str<'a>, D::Error> {
                Str::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Str<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Str<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A count (a duration's parts, a context window): a whole number from 0 to [`crate::format::MAX_COUNT`], or
/// `None` for any other JSON value, by the token counts' rule ([`crate::format::count`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Num(pub Option<u64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Count::deserialize(d).map(|c| Num(c.read()))
    }
}

/// A rollout line, or the payload of an envelope line: the members of every kind aegon reads.
/// Which members a kind has is in the corpus's FORMAT.md §1.3.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Item<'a> {
    /// `type`: the envelope's record type (`session_meta`, `response_item`, `event_msg`,
    /// `turn_context`, `compacted`, `world_state`), or the payload's / bare item's kind.
    #[serde(borrow, rename = "type")]
    pub kind: Str<'a>,
    /// `timestamp`: the line's (envelope), or the session start (`session_meta`, legacy
    /// header).
    #[serde(borrow)]
    pub timestamp: Str<'a>,
    /// `payload` of an envelope line.
    #[serde(borrow)]
    pub payload: Option<Box<Item<'a>>>,
    /// `record_type` of a legacy `{"record_type":"state"}` line.
    #[serde(borrow)]
    pub record_type: Str<'a>,
    /// `instructions` (legacy header, `session_meta` up to 0.77): only its presence is used.
    pub instructions: Option<IgnoredAny>,

    // session_meta / legacy header / turn_context
    /// Session id (`session_meta`, legacy header) or item id (`message`, `reasoning`, …).
    #[serde(borrow)]
    pub id: Str<'a>,
    /// Working directory.
    #[serde(borrow)]
    pub cwd: Str<'a>,
    /// The CLI version (`session_meta`).
    #[serde(borrow)]
    pub cli_version: Str<'a>,
    /// `source`: `"cli"`, `"vscode"`, … or `{"subagent": …}`.
    #[serde(borrow)]
    pub source: Option<&'a RawValue>,
    /// `git{commit_hash,branch,repository_url}`.
    #[serde(borrow)]
    pub git: Option<&'a RawValue>,
    /// The session this one was forked from.
    #[serde(borrow)]
    pub forked_from_id: Str<'a>,
    /// The parent thread of a subagent (later versions write it at the top of `session_meta`).
    #[serde(borrow)]
    pub parent_thread_id: Str<'a>,
    /// `thread_source` (`subagent` for child threads in later versions).
    #[serde(borrow)]
    pub thread_source: Str<'a>,
    /// The model (`turn_context`).
    #[serde(borrow)]
    pub model: Str<'a>,
    /// `service_tier` of a `turn_context` (some versions write it there too): the OpenAI
    /// service tier the turn's requests ran on (`default`, `priority` for Codex's Fast mode,
    /// `flex`).
    #[serde(borrow)]
    pub service_tier: Str<'a>,
    /// `thread_settings` of `event_msg/thread_settings_applied` (0.144): the thread's settings
    /// from then on, of which only `service_tier` is read ([`ThreadSettings`]).
    #[serde(borrow)]
    pub thread_settings: Option<&'a RawValue>,

    // response items
    /// `role` of a `message`: `user`, `assistant`, `developer`.
    #[serde(borrow)]
    pub role: Str<'a>,
    /// `content[]` of a `message`.
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// `summary[]` of a `reasoning` item (a string in `turn_context`: read only for reasoning).
    #[serde(borrow)]
    pub summary: Option<&'a RawValue>,
    /// `encrypted_content` of a `reasoning` item: only its presence is used.
    pub encrypted_content: Option<IgnoredAny>,
    /// Tool name (`function_call`, `custom_tool_call`).
    #[serde(borrow)]
    pub name: Str<'a>,
    /// `arguments` of a `function_call`: a JSON string holding the arguments, as written.
    #[serde(borrow)]
    pub arguments: Option<&'a RawValue>,
    /// `input` of a `custom_tool_call`: raw text (a JSON string), as written.
    #[serde(borrow)]
    pub input: Option<&'a RawValue>,
    /// Call id, pairing calls and outputs.
    #[serde(borrow)]
    pub call_id: Str<'a>,
    /// `output` of a `*_output` item: a string or a list of parts.
    #[serde(borrow)]
    pub output: Option<&'a RawValue>,

    // event messages
    /// `message` of `user_message`, `agent_message`, `error`, `stream_error`, `compacted`.
    #[serde(borrow)]
    pub message: Option<&'a RawValue>,
    /// `info` of `token_count`.
    #[serde(borrow)]
    pub info: Option<&'a RawValue>,
    /// `exit_code` of `exec_command_end`.
    #[serde(borrow)]
    pub exit_code: Option<&'a RawValue>,
    /// `aggregated_output` of `exec_command_end`: the command's stdout and stderr as
    /// captured, a JSON string as written.
    #[serde(borrow)]
    pub aggregated_output: Option<&'a RawValue>,
    /// `stdout` of `exec_command_end` (read when `aggregated_output` is missing).
    #[serde(borrow)]
    pub stdout: Option<&'a RawValue>,
    /// `duration` of `exec_command_end`: `{"secs","nanos"}` (Rust's `Duration` as serde
    /// writes it).
    #[serde(borrow)]
    pub duration: Option<&'a RawValue>,
    /// `success` of `patch_apply_end`.
    #[serde(borrow)]
    pub success: Option<&'a RawValue>,
    /// `reason` of `turn_aborted`.
    #[serde(borrow)]
    pub reason: Option<&'a RawValue>,
    /// `duration_ms` of `task_complete`.
    pub duration_ms: Num,
    /// `user_facing_hint` of `entered_review_mode`.
    #[serde(borrow)]
    pub user_facing_hint: Option<&'a RawValue>,
    /// `thread_name` of `thread_name_updated`.
    #[serde(borrow)]
    pub thread_name: Str<'a>,

    // Usage of a token_count written outside `info` (no Codex build in the corpus does): only
    // noticed, as usage aegon cannot read ([`FLAT_USAGE`]).
    /// `input_tokens` at the payload's top level.
    #[serde(borrow)]
    pub input_tokens: Option<&'a RawValue>,
    /// `cached_input_tokens` at the payload's top level.
    #[serde(borrow)]
    pub cached_input_tokens: Option<&'a RawValue>,
    /// `output_tokens` at the payload's top level.
    #[serde(borrow)]
    pub output_tokens: Option<&'a RawValue>,
    /// `reasoning_output_tokens` at the payload's top level.
    #[serde(borrow)]
    pub reasoning_output_tokens: Option<&'a RawValue>,
    /// `total_tokens` at the payload's top level.
    #[serde(borrow)]
    pub total_tokens: Option<&'a RawValue>,
    /// `total_token_usage` at the payload's top level (not in `info`).
    #[serde(borrow)]
    pub total_token_usage: Option<&'a RawValue>,
    /// `last_token_usage` at the payload's top level (not in `info`).
    #[serde(borrow)]
    pub last_token_usage: Option<&'a RawValue>,
    /// `usage` at the payload's top level.
    #[serde(borrow)]
    pub usage: Option<&'a RawValue>,
}

/// The names of the members a token_count payload may hold usage in outside `info`, in the
/// order [`Item::flat_usage`] gives them.
pub const FLAT_USAGE: [&str; 8] = [
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "total_tokens",
    "total_token_usage",
    "last_token_usage",
    "usage",
];

impl<'a> Item<'a> {
    /// The members of a token_count payload that hold usage outside `info` ([`FLAT_USAGE`]),
    /// with their names, in that order: empty for every token_count of the corpus.
    pub fn flat_usage(&self) -> Vec<(&'static str, &'a RawValue)> {
        [
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
            self.total_tokens,
            self.total_token_usage,
            self.last_token_usage,
            self.usage,
        ]
        .into_iter()
        .zip(FLAT_USAGE)
        .filter_map(|(raw, name)| raw.map(|raw| (name, raw)))
        .collect()
    }
}

/// A part of a message's `content[]` or a reasoning item's `summary[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Part<'a> {
    /// `input_text`, `output_text`, `input_image`, `summary_text`, …
    #[serde(borrow, rename = "type")]
    pub kind: Str<'a>,
    /// The text, a JSON string as written.
    #[serde(borrow)]
    pub text: Option<&'a RawValue>,
    /// `image_url` of an `input_image` part (a `data:` URL).
    #[serde(borrow)]
    pub image_url: Str<'a>,
}

/// `git` of `session_meta` or the legacy header.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Git<'a> {
    /// The branch.
    #[serde(borrow)]
    pub branch: Str<'a>,
}

/// `duration` of `exec_command_end`: Rust's `std::time::Duration` as serde writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Duration {
    /// Whole seconds.
    pub secs: Num,
    /// Nanoseconds past `secs`.
    pub nanos: Num,
}

impl Duration {
    /// The duration in whole milliseconds, from a `duration` member as written; `None` when
    /// it is not `{"secs","nanos"}` with at least `secs` a non-negative integer.
    pub fn millis(raw: &RawValue) -> Option<u64> {
        let d: Duration = serde_json::from_str(raw.get()).ok()?;
        let secs = d.secs.0?;
        let nanos = d.nanos.0.unwrap_or(0);
        secs.checked_mul(1000)?.checked_add(nanos / 1_000_000)
    }
}

/// `info` of a `token_count` event.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Info {
    /// Cumulative usage of the thread.
    pub total_token_usage: Option<Usage>,
    /// The request just made.
    pub last_token_usage: Option<Usage>,
    /// The model's context window.
    pub model_context_window: Num,
}

/// Token counts as Codex writes them: `input_tokens` includes `cached_input_tokens`,
/// `output_tokens` includes `reasoning_output_tokens`, `total_tokens` = input + output.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// All input tokens, cached included.
    pub input_tokens: Count,
    /// Input tokens read from the cache.
    pub cached_input_tokens: Count,
    /// All output tokens, reasoning included.
    pub output_tokens: Count,
    /// Output tokens spent on reasoning.
    pub reasoning_output_tokens: Count,
    /// input + output.
    pub total_tokens: Count,
    /// Input tokens written to the cache (GPT-5.6, billed at its cache-write rate): a part of
    /// `input_tokens`, as `cached_input_tokens` is (getagentseal/codeburn#1075,
    /// agentclientprotocol/codex-acp#509).
    pub cache_write_input_tokens: Count,
    /// The same count under the name some versions write (PixelPaw-Labs/codex-trace#154).
    pub cache_creation_input_tokens: Count,
}

impl Usage {
    /// `total_tokens`, or input + output when it is not written (or refused).
    pub fn total(&self) -> u64 {
        self.total_tokens.read().unwrap_or_else(|| {
            self.input_tokens
                .get()
                .saturating_add(self.output_tokens.get())
        })
    }

    /// Input tokens written to the cache (either name; both written: the larger).
    pub fn cache_writes(&self) -> u64 {
        self.cache_write_input_tokens
            .get()
            .max(self.cache_creation_input_tokens.get())
    }

    /// True when a count was written that is not one ([`Count::Refused`]).
    pub fn refused(&self) -> bool {
        [
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
            self.total_tokens,
            self.cache_write_input_tokens,
            self.cache_creation_input_tokens,
        ]
        .iter()
        .any(|c| c.is_refused())
    }
}

/// The token counts of a token_count event's `info`, as paths in it, for naming a refused
/// one ([`crate::format::count::refused_counts`]).
pub const INFO_COUNTS: [&str; 10] = [
    "total_token_usage.input_tokens",
    "total_token_usage.cached_input_tokens",
    "total_token_usage.output_tokens",
    "total_token_usage.reasoning_output_tokens",
    "total_token_usage.total_tokens",
    "last_token_usage.input_tokens",
    "last_token_usage.cached_input_tokens",
    "last_token_usage.output_tokens",
    "last_token_usage.reasoning_output_tokens",
    "last_token_usage.total_tokens",
];

/// The part of `thread_settings_applied.thread_settings` aegon reads: `service_tier`
/// (`"default"` or `"priority"` in what antiburn PR #269 measured on 1,034 rollouts; sticky for
/// the thread until the next such event). A value that is not a string reads as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThreadSettings<'a> {
    /// `service_tier`.
    #[serde(borrow)]
    pub service_tier: Str<'a>,
}

/// The subagent facts of a `session_meta.source`: whether it names a subagent, and its parent
/// thread when written (`{"subagent":{"thread_spawn":{"parent_thread_id":…}}}`).
pub fn subagent_source(source: &RawValue) -> (bool, Option<String>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(source.get()) else {
        return (false, None);
    };
    let Some(sub) = value.get("subagent") else {
        return (false, None);
    };
    let parent = sub
        .get("thread_spawn")
        .and_then(|t| t.get("parent_thread_id"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    (true, parent)
}

#[cfg(test)]
mod tests {
    use super::Num;

    #[test]
    fn counts_beyond_two_to_the_53_are_no_count() {
        // Written out, not computed from MAX_COUNT: 2^53 = 9007199254740992.
        for (written, read) in [
            ("9007199254740992", Some(9_007_199_254_740_992_u64)),
            ("9007199254740992.0", Some(9_007_199_254_740_992)),
            ("9007199254740993", None),
            ("18446744073709551615", None),
            ("1e300", None),
            ("12", Some(12)),
            ("12.5", None),
            ("-3", None),
            ("\"12\"", None),
        ] {
            let got: Num = serde_json::from_str(written).unwrap();
            assert_eq!(got.0, read, "{written}");
        }
    }
}
