//! The top level of a JSON document's start, as the document formats tell themselves apart.
//!
//! A document's format is told from the keys of its top-level object (or of its top-level
//! array's first element), never from ids met anywhere in its bytes: a Claude Code transcript's
//! assistant lines hold message ids (`msg_01…`) that look like OpenCode's, nested inside
//! `message`. [`probe`] reads the start with serde_json, key by key, and keeps what it saw
//! before the bytes end (a document's start is often cut inside a value).

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// What the start of a JSON document shows of its top level: for an object its keys, for an
/// array its first element's keys.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TopLevel {
    /// The document is an array (the keys below are its first element's).
    pub array: bool,
    /// The first key is `sessionId` (Gemini CLI writes its chat header first).
    pub session_id_first: bool,
    /// A `sessionId` key.
    pub session_id: bool,
    /// A `projectHash` key.
    pub project_hash: bool,
    /// A `messageId` key.
    pub message_id: bool,
    /// A `messages` key.
    pub messages: bool,
    /// The `id` member's value, when it is a string without escapes.
    pub id: Option<String>,
    /// The `info` member's own `id`, when `info` is an object whose `id` is such a string.
    pub info_id: Option<String>,
}

/// The top level of `head`, the start of a JSON document (a UTF-8 byte-order mark and
/// whitespace before it are skipped): what was read of it before `head` ends or stops being
/// JSON. Nothing for what is not an object or an array.
pub(crate) fn probe(head: &[u8]) -> TopLevel {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut top = TopLevel::default();
    let mut de = serde_json::Deserializer::from_slice(head);
    // An error is where the head ends or the JSON is damaged: what was seen before it stays.
    let _ = Probe {
        top: &mut top,
        element: false,
    }
    .deserialize(&mut de);
    top
}

/// A string value's text when it is written without escapes (ids are).
fn plain_string(raw: &RawValue) -> Option<String> {
    let inner = raw.get().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then(|| inner.to_owned())
}

struct Probe<'s> {
    top: &'s mut TopLevel,
    /// Reading the first element of a top-level array.
    element: bool,
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut first = true;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            // Noted as soon as the key is read: the value may be cut off.
            match &*key {
                "sessionId" => {
                    self.top.session_id = true;
                    self.top.session_id_first |= first;
                }
                "projectHash" => self.top.project_hash = true,
                "messageId" => self.top.message_id = true,
                "messages" => self.top.messages = true,
                _ => {}
            }
            first = false;
            match &*key {
                "id" => {
                    let raw: &RawValue = map.next_value()?;
                    self.top.id = plain_string(raw);
                }
                "info" => map.next_value_seed(InfoId(&mut self.top.info_id))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.element {
            // An array inside the top-level array: nothing a format names.
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        self.top.array = true;
        seq.next_element_seed(Probe {
            top: self.top,
            element: true,
        })?;
        // The first element tells; the rest is not read.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// An `info` object's `id`, noted as soon as it is read (the object may be cut off after it).
struct InfoId<'s>(&'s mut Option<String>);

impl<'de> DeserializeSeed<'de> for InfoId<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for InfoId<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "id" {
                let raw: &RawValue = map.next_value()?;
                *self.0 = plain_string(raw);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_kept_up_to_where_the_head_ends() {
        let top = probe(b"\xEF\xBB\xBF {\n  \"sessionId\": \"01b2c6");
        assert!(top.session_id && top.session_id_first && !top.project_hash);
        let top =
            probe(b"{\"a\": 1, \"projectHash\": \"h\", \"sessionId\": \"s\", \"messages\": [1, ");
        assert!(top.session_id && !top.session_id_first && top.project_hash && top.messages);
        let top = probe(b"[{\"sessionId\": 1, \"messageId\": 0}, {\"x\"");
        assert!(top.array && top.session_id && top.message_id);
        let top = probe(br#"{"info": {"title": "t", "id": "ses_x"}, "id": 7}"#);
        assert_eq!((top.info_id.as_deref(), top.id), (Some("ses_x"), None));
        let top = probe(br#"{"info": 3, "id": "x"}"#);
        assert_eq!((top.info_id, top.id.as_deref()), (None, Some("x")));
        let top = probe(b"{\"info\": {\"id\": \"ses_x\", \"title\": \"cut");
        assert_eq!(top.info_id.as_deref(), Some("ses_x"));
        // Nested keys are not the top level's.
        let top = probe(br#"{"message": {"id": "msg_01", "sessionId": "s"}}"#);
        assert_eq!(top, TopLevel::default());
        assert_eq!(probe(b"\"text\""), TopLevel::default());
        assert_eq!(probe(b""), TopLevel::default());
        // Damage ends the look where it is.
        let top = probe(b"{\"projectHash\": \"h\", oops, \"sessionId\": \"s\"}");
        assert!(top.project_hash && !top.session_id);
    }
}
