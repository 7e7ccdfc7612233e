//! Claude Code's JSONL transcripts: one JSON record per line, described in the corpus's
//! `FORMAT.md`.
//!
//! - [`scan`] and [`record`]: the borrowed input types, parsed leniently: members aegon does not
//!   read are skipped at memchr speed, the rest parsed with serde, strings borrowed from the line.
//! - [`decode`]: one line → events; bad lines become [`crate::EventKind::Malformed`] events.
//! - [`repair`]: damage a line can survive (lone surrogates, crash padding) is repaired.

pub mod decode;
pub mod record;
pub mod repair;
pub mod scan;
pub(crate) mod validate;

use std::borrow::Cow;

use serde_json::Value;

/// The key paths seen in real Claude Code transcripts, one a line, sorted (what `aegon audit`
/// does not report as new; see [`crate::format::audit`] for the syntax). Generated from the
/// corpus with `scripts/known_fields.sh`.
pub const KNOWN_FIELDS: &str = include_str!("known_fields.txt");

/// The record's kind, as `aegon audit` counts it: the top-level `type`, with the subtype where
/// one names what the record is: `system/<subtype>`, `attachment/<attachment.type>`,
/// `progress/<data.type>` (FORMAT.md §3). `None` for a line without a string `type`.
pub fn record_kind(value: &Value) -> Option<String> {
    let kind = value.get("type")?.as_str()?;
    let sub = match kind {
        "system" => value.get("subtype"),
        "attachment" => value.get("attachment").and_then(|a| a.get("type")),
        "progress" => value.get("data").and_then(|d| d.get("type")),
        _ => None,
    }
    .and_then(Value::as_str);
    Some(match sub {
        Some(sub) => format!("{kind}/{sub}"),
        None => kind.to_owned(),
    })
}

/// The kinds of the content blocks of a record's `message.content[]` (when it is an array), as
/// `<type>/<block type>`: `assistant/tool_use`, `user/tool_result`, …; a block without a
/// string `type` is `<type>/(none)`, a record without one `(none)/<block type>`.
pub fn block_kinds(value: &Value) -> Vec<String> {
    let Some(blocks) = value
        .get("message")
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    blocks
        .iter()
        .map(|b| {
            let block = b.get("type").and_then(Value::as_str).unwrap_or("(none)");
            format!("{kind}/{block}")
        })
        .collect()
}

/// The Claude Code version that wrote the record: its `version` field (on every envelope
/// record, FORMAT.md §3), when a non-empty string.
pub fn cli_version(value: &Value) -> Option<String> {
    value
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// When the record was written: its `timestamp`, or for a `file-history-snapshot` the
/// snapshot's (FORMAT.md §3), as written (RFC 3339).
pub fn timestamp(value: &Value) -> Option<Cow<'_, str>> {
    value
        .get("timestamp")
        .or_else(|| value.get("snapshot").and_then(|s| s.get("timestamp")))
        .and_then(Value::as_str)
        .map(Cow::Borrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_versions_and_times_of_records() {
        let v: Value = serde_json::from_str(
            r#"{"type":"assistant","version":"2.1.39","timestamp":"2026-01-02T03:04:05.678Z",
                "message":{"content":[{"type":"text"},{"type":"tool_use"},{}]}}"#,
        )
        .unwrap();
        assert_eq!(record_kind(&v).as_deref(), Some("assistant"));
        assert_eq!(
            block_kinds(&v),
            ["assistant/text", "assistant/tool_use", "assistant/(none)"]
        );
        assert_eq!(cli_version(&v).as_deref(), Some("2.1.39"));
        assert_eq!(timestamp(&v).as_deref(), Some("2026-01-02T03:04:05.678Z"));
        let sys: Value =
            serde_json::from_str(r#"{"type":"system","subtype":"turn_duration","version":""}"#)
                .unwrap();
        assert_eq!(record_kind(&sys).as_deref(), Some("system/turn_duration"));
        assert_eq!(cli_version(&sys), None);
        let att: Value =
            serde_json::from_str(r#"{"type":"attachment","attachment":{"type":"file"}}"#).unwrap();
        assert_eq!(record_kind(&att).as_deref(), Some("attachment/file"));
        let prog: Value =
            serde_json::from_str(r#"{"type":"progress","data":{"type":"hook_progress"}}"#).unwrap();
        assert_eq!(
            record_kind(&prog).as_deref(),
            Some("progress/hook_progress")
        );
        let snap: Value = serde_json::from_str(
            r#"{"type":"file-history-snapshot","snapshot":{"timestamp":"2026-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(timestamp(&snap).as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(record_kind(&serde_json::json!({"role": "user"})), None);
        assert!(block_kinds(&serde_json::json!({"message": {"content": "text"}})).is_empty());
    }
}
