//! The NDJSON schema, held to a strict mirror: every line aegon writes for every fixture must
//! parse into these types, which reject unknown fields and missing ones. A field added, renamed
//! or retyped in the renderer without updating this mirror (and the README's schema) fails here.

use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

/// Fields every event has (`uuid`, `agent_id`, `sidechain`, `copied` only when the line has
/// them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Common {
    v: u32,
    kind: String,
    agent: String,
    session_id: Option<String>,
    timestamp: Option<String>,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    sidechain: Option<bool>,
    #[serde(default)]
    copied: Option<bool>,
    source: SourceRef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SourceRef {
    file: String,
    line: u64,
    offset: u64,
}

/// The kind-specific fields. `Option` fields must be present (possibly null): serde treats a
/// missing `Option` as `None`, so presence is checked separately in [`kind_fields_present`].
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)]
enum Kind {
    UserPrompt {
        text: String,
    },
    UserMeta {
        text: String,
    },
    CompactSummary {
        text: String,
    },
    Interrupt {
        text: String,
        during_tool: bool,
    },
    Image {
        media_type: Option<String>,
        data_len: u64,
    },
    AssistantText {
        message_id: Option<String>,
        model: Option<String>,
        text: String,
    },
    Thinking {
        message_id: Option<String>,
        text: String,
        redacted: bool,
    },
    ToolCall {
        message_id: Option<String>,
        tool_use_id: Option<String>,
        tool: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: Option<String>,
        tool: Option<String>,
        is_error: bool,
        duration_ms: Option<u64>,
        preview: String,
        content_bytes: u64,
        spawned_agent_id: Option<String>,
    },
    Usage {
        message_id: Option<String>,
        request_id: Option<String>,
        model: Option<String>,
        input: u64,
        output: u64,
        cache_read: u64,
        cache_write_5m: i64,
        cache_write_1h: u64,
        web_searches: u64,
        increment: bool,
        speed: Option<String>,
        service_tier: Option<String>,
        inference_geo: Option<String>,
        prompt_tokens: u64,
        reasoning_output: Option<u64>,
        cost_usd: Option<f64>,
        cache_hit_ratio: Option<f64>,
        gap_ms: Option<u64>,
        rebuild: Option<RebuildCause>,
        rebuild_tokens: Option<u64>,
        rebuild_cost_usd: Option<f64>,
    },
    System {
        subtype: Option<String>,
        level: Option<String>,
        text: Option<String>,
        duration_ms: Option<u64>,
    },
    Compact {
        trigger: Option<String>,
        pre_tokens: Option<u64>,
        post_tokens: Option<u64>,
    },
    ApiError {
        status: Option<u64>,
        text: Option<String>,
        retry_attempt: Option<u64>,
        max_retries: Option<u64>,
        retry_in_ms: Option<u64>,
        fatal: bool,
    },
    Title {
        title: String,
        title_source: TitleSource,
        leaf_uuid: Option<String>,
    },
    Progress {
        data_type: Option<String>,
        tool_use_id: Option<String>,
        parent_tool_use_id: Option<String>,
    },
    Attachment {
        attachment_type: Option<String>,
    },
    FileSnapshot {
        message_id: Option<String>,
        files: u64,
        update: bool,
    },
    Queue {
        operation: Option<String>,
        text: Option<String>,
    },
    LastPrompt {
        text: Option<String>,
        leaf_uuid: Option<String>,
    },
    Mode {
        mode: String,
    },
    PermissionMode {
        mode: String,
    },
    PrLink {
        number: Option<u64>,
        url: Option<String>,
        repository: Option<String>,
    },
    Unknown {
        record_type: Option<String>,
        block_type: Option<String>,
    },
    Malformed {
        reason: Reason,
        message: String,
        error_offset: u64,
        len: u64,
        recovered: bool,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TitleSource {
    Custom,
    Ai,
    Summary,
}

/// Why a response built its cache again (`rebuild`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RebuildCause {
    FirstRequest,
    ModelSwitch,
    Compaction,
    Expired,
    Retry,
    Unknown,
    SystemOrTools,
    ConversationChanged,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reason {
    InvalidJson,
    UnexpectedShape,
    InvalidUtf8,
    NulBytes,
    TooLong,
    Truncated,
    RunTogether,
    ByteOrderMark,
}

/// Every kind-specific key, by kind: each must be present on every event of that kind.
fn kind_fields_present(kind: &str) -> &'static [&'static str] {
    match kind {
        "user_prompt" | "user_meta" | "compact_summary" => &["text"],
        "interrupt" => &["text", "during_tool"],
        "image" => &["media_type", "data_len"],
        "assistant_text" => &["message_id", "model", "text"],
        "thinking" => &["message_id", "text", "redacted"],
        "tool_call" => &["message_id", "tool_use_id", "tool", "input"],
        "tool_result" => &[
            "tool_use_id",
            "tool",
            "is_error",
            "duration_ms",
            "preview",
            "content_bytes",
            "spawned_agent_id",
        ],
        "usage" => &[
            "message_id",
            "request_id",
            "model",
            "input",
            "output",
            "cache_read",
            "cache_write_5m",
            "cache_write_1h",
            "web_searches",
            "increment",
            "speed",
            "service_tier",
            "inference_geo",
            "prompt_tokens",
            "reasoning_output",
            "cost_usd",
            "cache_hit_ratio",
            "gap_ms",
            "rebuild",
            "rebuild_tokens",
            "rebuild_cost_usd",
        ],
        "system" => &["subtype", "level", "text", "duration_ms"],
        "compact" => &["trigger", "pre_tokens", "post_tokens"],
        "api_error" => &[
            "status",
            "text",
            "retry_attempt",
            "max_retries",
            "retry_in_ms",
            "fatal",
        ],
        "title" => &["title", "title_source", "leaf_uuid"],
        "progress" => &["data_type", "tool_use_id", "parent_tool_use_id"],
        "attachment" => &["attachment_type"],
        "file_snapshot" => &["message_id", "files", "update"],
        "queue" => &["operation", "text"],
        "last_prompt" => &["text", "leaf_uuid"],
        "mode" | "permission_mode" => &["mode"],
        "pr_link" => &["number", "url", "repository"],
        "unknown" => &["record_type", "block_type"],
        "malformed" => &["reason", "message", "error_offset", "len", "recovered"],
        other => panic!("kind {other:?} is not in the schema"),
    }
}

const COMMON_KEYS: &[&str] = &[
    "v",
    "kind",
    "agent",
    "session_id",
    "timestamp",
    "uuid",
    "agent_id",
    "sidechain",
    "copied",
    "source",
];

fn check_line(line: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = value.as_object().ok_or("not an object")?;
    let mut common = serde_json::Map::new();
    let mut rest = serde_json::Map::new();
    for (k, v) in obj {
        if COMMON_KEYS.contains(&k.as_str()) {
            common.insert(k.clone(), v.clone());
        } else {
            rest.insert(k.clone(), v.clone());
        }
    }
    for required in ["v", "kind", "agent", "session_id", "timestamp", "source"] {
        if !common.contains_key(required) {
            return Err(format!("missing {required}"));
        }
    }
    let common: Common =
        serde_json::from_value(Value::Object(common)).map_err(|e| e.to_string())?;
    if common.v != 1 {
        return Err(format!("schema version {}", common.v));
    }
    if common.sidechain == Some(false) {
        return Err("sidechain is written only when true".into());
    }
    if common.copied.is_some() && (common.copied == Some(false) || common.kind != "usage") {
        return Err("copied is written only when true, on usage".into());
    }
    for key in kind_fields_present(&common.kind) {
        if !rest.contains_key(*key) {
            return Err(format!("{} without {key}", common.kind));
        }
    }
    rest.insert("kind".into(), Value::String(common.kind.clone()));
    serde_json::from_value::<Kind>(Value::Object(rest))
        .map_err(|e| format!("{}: {e}", common.kind))?;
    Ok(())
}

mod common;

use common::{output_with_stdin, Reads};

#[test]
fn every_event_of_every_fixture_fits_the_strict_schema() {
    let files = common::fixtures();
    let mut kinds_seen = std::collections::BTreeSet::new();
    for path in files {
        let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
            .arg("--ndjson")
            .arg(&path)
            .output()
            .unwrap();
        for (n, line) in String::from_utf8(out.stdout).unwrap().lines().enumerate() {
            if let Err(e) = check_line(line) {
                panic!("{}: output line {}: {e}\n{line}", path.display(), n + 1);
            }
            let v: Value = serde_json::from_str(line).unwrap();
            kinds_seen.insert(v["kind"].as_str().unwrap().to_owned());
        }
    }
    // The real corpus exercises nearly every kind.
    for kind in [
        "user_prompt",
        "assistant_text",
        "thinking",
        "tool_call",
        "tool_result",
        "usage",
        "compact",
        "api_error",
        "title",
    ] {
        assert!(
            kinds_seen.contains(kind),
            "no {kind} event in the corpus output"
        );
    }
}

#[test]
fn malformed_events_fit_the_schema_too() {
    // Made by this test: a bad JSON line, a non-object, NUL bytes, and a truncated tail.
    let out = output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_aegon")).arg("--ndjson"),
        b"{\"type\":\n[1]\n{\"a\":\"\0\"}\n{\"type\":\"user\"",
        Reads::All,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reasons = Vec::new();
    for l in text.lines() {
        check_line(l).unwrap();
        let v: Value = serde_json::from_str(l).unwrap();
        if v["kind"] == "malformed" {
            reasons.push(v["reason"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        reasons,
        ["invalid_json", "unexpected_shape", "nul_bytes", "truncated"]
    );
}

#[test]
fn pr_links_and_partly_read_lines_fit_the_schema() {
    // Made by this test: a pr-link record, one without a URL, a padded record, a bare-string
    // message.
    let out = output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_aegon")).arg("--ndjson"),
        b"{\"type\":\"pr-link\",\"sessionId\":\"s\",\"prNumber\":5,\"prUrl\":\"https://github.com/o/r/pull/5\",\"prRepository\":\"o/r\"}\n\
              {\"type\":\"pr-link\",\"prNumber\":6}\n\
              {\"type\":\"user\",\"message\":{\"content\":\"a\"}}\0\0\n\
              {\"type\":\"user\",\"message\":\"b\"}\n",
        Reads::All,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut kinds = Vec::new();
    for l in text.lines() {
        check_line(l).unwrap();
        let v: Value = serde_json::from_str(l).unwrap();
        kinds.push(v["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        kinds,
        [
            "pr_link",
            "pr_link",
            "malformed",
            "user_prompt",
            "malformed",
            "user_prompt"
        ]
    );
}

#[test]
fn the_mirror_rejects_drift() {
    // An extra field, a missing field and a wrong type are all caught.
    let base = r#"{"v":1,"kind":"mode","agent":"claude-code","session_id":null,"timestamp":null,"source":{"file":"f","line":1,"offset":0},"mode":"normal"}"#;
    assert!(check_line(base).is_ok());
    assert!(
        check_line(&base.replace(r#""mode":"normal""#, r#""mode":"normal","extra":1"#)).is_err()
    );
    assert!(check_line(&base.replace(r#","mode":"normal""#, "")).is_err());
    assert!(check_line(&base.replace(r#""mode":"normal""#, r#""mode":5"#)).is_err());
    assert!(check_line(&base.replace(r#""session_id":null,"#, "")).is_err());
}
