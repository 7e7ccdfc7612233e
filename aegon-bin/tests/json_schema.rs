//! The published JSON Schemas (`schemas/*.schema.json`) against what aegon writes: every
//! NDJSON event of every fixture (and of bad input) and the summary of all of them must
//! validate, with a real JSON Schema validator; and a drifted document must not.

mod common;

use serde_json::Value;

use common::{aegon_stdout, fixtures, root, temp_dir};

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name} is not a schema: {e}"))
}

fn check(validator: &jsonschema::Validator, what: &str, doc: &Value) {
    if let Err(e) = validator.validate(doc) {
        panic!("{what} does not fit its schema: {e}\n{doc}");
    }
}

#[test]
fn every_event_of_every_fixture_validates() {
    let events = validator("event.v1.schema.json");
    let mut kinds = std::collections::BTreeSet::new();
    let mut n = 0;
    for file in fixtures() {
        let out = aegon_stdout(["--ndjson".as_ref(), "-q".as_ref(), file.as_os_str()]);
        for line in out.lines() {
            let event: Value = serde_json::from_str(line).unwrap();
            check(&events, &format!("{}", file.display()), &event);
            kinds.insert(event["kind"].as_str().unwrap_or_default().to_owned());
            n += 1;
        }
    }
    assert!(n > 8_000, "{n} events");
    assert!(kinds.len() >= 18, "kinds seen: {kinds:?}");
}

#[test]
fn malformed_events_validate() {
    let events = validator("event.v1.schema.json");
    let dir = temp_dir("jsonschema");
    let file = dir.join("bad.jsonl");
    std::fs::write(
        &file,
        b"{\"type\":\"user\"\n\xff\xfe{}\n[1,2]\n\0\0\0\n{\"type\":\"user\",\"message\":\"bare\"}\n\0{\"type\":\"pr-link\",\"prNumber\":1}\n{\"type\":\"user\",\"message\":{\"content\":\"cut",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["--ndjson", "-q"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut malformed = 0;
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        check(&events, "a bad line's event", &event);
        malformed += usize::from(event["kind"] == "malformed");
    }
    assert!(malformed >= 4, "{text}");
}

#[test]
fn the_summary_of_every_fixture_validates() {
    let summary = validator("summary.v1.schema.json");
    let mut args = vec!["--summary".into(), "--json".into(), "-q".into()];
    args.extend(fixtures().into_iter().map(|f| f.into_os_string()));
    let doc: Value = serde_json::from_str(&common::aegon_stdout_lower_bound(&args)).unwrap();
    check(&summary, "the summary of the fixtures", &doc);
    assert!(doc["sessions"].as_array().unwrap().len() > 10);
    // One file alone goes through the single-threaded path.
    let one = fixtures().into_iter().next().unwrap();
    let doc: Value = serde_json::from_str(&aegon_stdout([
        "--summary".as_ref(),
        "--json".as_ref(),
        one.as_os_str(),
    ]))
    .unwrap();
    check(&summary, "the summary of one file", &doc);
}

#[test]
fn drifted_documents_do_not_validate() {
    let events = validator("event.v1.schema.json");
    let good: Value = serde_json::json!({
        "v": 1, "kind": "user_prompt", "agent": "claude-code", "session_id": "s", "timestamp": null,
        "source": {"file": "f", "line": 1, "offset": 0}, "text": "hi"
    });
    assert!(events.is_valid(&good));
    for drift in [
        serde_json::json!({"v": 2}),
        serde_json::json!({"text": 5}),
        serde_json::json!({"extra": true}),
        serde_json::json!({"kind": "no_such_kind"}),
        serde_json::json!({"agent": "no-such-agent"}),
    ] {
        let mut doc = good.clone();
        for (k, v) in drift.as_object().unwrap() {
            doc[k] = v.clone();
        }
        assert!(!events.is_valid(&doc), "accepted {doc}");
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("session_id");
    assert!(!events.is_valid(&missing), "accepted {missing}");
    let summary = validator("summary.v1.schema.json");
    assert!(!summary.is_valid(&serde_json::json!({"v": 1, "sessions": []})));
}

#[test]
fn the_audit_of_the_fixtures_and_of_bad_input_validates() {
    let audit = validator("audit.v1.schema.json");
    let doc: Value = serde_json::from_str(&aegon_stdout([
        "audit".as_ref(),
        "--json".as_ref(),
        root().join("fixtures/corpus").as_os_str(),
    ]))
    .unwrap();
    check(&audit, "the audit of the fixtures", &doc);
    assert!(!doc["formats"][0]["versions"].as_array().unwrap().is_empty());
    // Everything optional present: new fields, unknown kinds, malformed lines, an empty
    // file and a document no format recognises.
    let dir = temp_dir("jsonschema-audit");
    std::fs::write(
        dir.join("bad.jsonl"),
        b"{\"type\":\"new-kind\",\"zz\":1,\"version\":\"1\"}\nnot json\n\xff\n{\"type\":\"user\"",
    )
    .unwrap();
    std::fs::write(dir.join("empty.jsonl"), b"").unwrap();
    std::fs::write(dir.join("doc.jsonl"), b"{\n\"x\": 1\n}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(["audit", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    check(&audit, "the audit of bad input", &doc);
    assert_eq!(doc["empty_files"], 1, "{doc}");
    assert_eq!(doc["unrecognised"]["files"], 1, "{doc}");
    assert!(!doc["formats"][0]["new_fields"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!doc["formats"][0]["unknown_kinds"]
        .as_array()
        .unwrap()
        .is_empty());
    let mut drifted = doc.clone();
    drifted["formats"][0]["extra"] = true.into();
    assert!(!audit.is_valid(&drifted));
}
