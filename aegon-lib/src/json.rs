//! [`RawJson`]: a JSON value borrowed from a transcript line, exactly as written.
//!
//! Values aegon passes through untouched (tool inputs, tool results, error objects) are kept as
//! the text they were written as and read only where needed. serde_json's
//! [`RawValue`] does that too, but a `&RawValue` can only be made by
//! running serde_json's parser over the bytes; [`RawJson`] can also be made from text the crate
//! has checked itself by other means (a scanner that validates at mask speed), and it converts
//! from a `&RawValue` for free.
//!
//! # Invariant
//!
//! The text of a `RawJson` is one complete, valid JSON value (RFC 8259, as strict as
//! serde_json: no trailing commas, no comments, no `NaN`, strings valid UTF-8 with valid
//! escapes) with no whitespace before or after it. Every constructor keeps it:
//! [`RawJson::from_raw_value`] (serde_json's `RawValue` holds the same invariant),
//! [`RawJson::parse`] (checks with serde_json, and drops surrounding whitespace), deserializing
//! (borrows through `&RawValue`), and the crate-private `RawJson::trusted`, whose callers must
//! have checked the text themselves (debug builds check it again with serde_json).

use std::fmt;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::value::RawValue;

/// One JSON value borrowed as written (see the [module documentation](self) for the invariant).
///
/// `Copy` and one pointer-and-length wide, like `&RawValue`. [`RawJson::get`] gives the text;
/// `Display` writes it as it is; `Debug` writes `RawJson(<text>)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    /// The JSON `null`.
    pub const NULL: RawJson<'static> = RawJson("null");

    /// Borrows the text of a serde_json [`RawValue`] (no check needed: a `RawValue` holds the
    /// same invariant).
    pub fn from_raw_value(raw: &'a RawValue) -> RawJson<'a> {
        // Not read by the crate's validator, which would have counted its surrogate escapes.
        note_surrogate_escape();
        RawJson(raw.get())
    }

    /// Checks that `json` is one JSON value (surrounding whitespace allowed) with serde_json's
    /// parser, and borrows the value without that whitespace.
    ///
    /// # Errors
    /// serde_json's error when `json` is not exactly one valid JSON value (empty, truncated,
    /// trailing characters, invalid escapes, …).
    pub fn parse(json: &'a str) -> serde_json::Result<RawJson<'a>> {
        serde_json::from_str::<&'a RawValue>(json).map(RawJson::from_raw_value)
    }

    /// Wraps text the caller has already checked to be one valid JSON value, as strict as
    /// serde_json, with no surrounding whitespace. The caller must have checked it: nothing is
    /// checked here in release builds (debug builds re-check with serde_json and panic).
    pub(crate) fn trusted(json: &'a str) -> RawJson<'a> {
        debug_assert!(
            serde_json::from_str::<&RawValue>(json).is_ok_and(|v| v.get().len() == json.len()),
            "RawJson::trusted: not one JSON value without surrounding whitespace: {json:?}"
        );
        RawJson(json)
    }

    /// The JSON text exactly as written, borrowed for the input's lifetime.
    pub fn get(&self) -> &'a str {
        self.0
    }
}

thread_local! {
    /// See [`surrogate_escapes`].
    static SURROGATE_ESCAPES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A count, on this thread, of the surrogate escapes (`\uD800` to `\uDFFF`, paired or not)
/// that the record parse's validator ([`crate::format::claude::validate`]) met in the strings
/// it checked, plus one for every [`RawJson`] made without it (from serde_json's `RawValue`,
/// which does not say). Never smaller than the truth: when it has not moved while a record was
/// read, none of the record's raw values can hold a lone surrogate escape, and the search for
/// them ([`crate::format::claude::repair::has_lone_surrogate`], a second pass over every tool
/// input and result) is skipped. Only ever compared before and after a parse on one thread.
pub(crate) fn surrogate_escapes() -> u64 {
    SURROGATE_ESCAPES.with(std::cell::Cell::get)
}

/// Adds one to [`surrogate_escapes`]: a surrogate escape was met, or a raw value was made
/// unchecked.
#[cold]
pub(crate) fn note_surrogate_escape() {
    SURROGATE_ESCAPES.with(|n| n.set(n.get().wrapping_add(1)));
}

impl<'a> From<&'a RawValue> for RawJson<'a> {
    fn from(raw: &'a RawValue) -> Self {
        RawJson::from_raw_value(raw)
    }
}

impl fmt::Display for RawJson<'_> {
    /// Writes the JSON text as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for RawJson<'_> {
    /// `RawJson(<text>)`, the text unquoted, as serde_json's `RawValue` writes itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson")
            .field(&format_args!("{}", self.0))
            .finish()
    }
}

impl Serialize for RawJson<'_> {
    /// Serializes as serde_json's [`RawValue`] does: with serde_json's serializers the text is
    /// written verbatim (no reformatting), so the output bytes are those of a `&RawValue`.
    ///
    /// serde_json lets only a `RawValue` request verbatim output, and offers no safe way to make
    /// one from a `&str` without its parser, so this re-reads the text with serde_json (never
    /// failing, by the invariant). No aegon output goes through here: the renderers write
    /// [`RawJson::get`] themselves.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::from_str::<&RawValue>(self.0) {
            Ok(raw) => raw.serialize(serializer),
            Err(e) => Err(S::Error::custom(format_args!(
                "RawJson holds text that is not JSON: {e}"
            ))),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    /// Borrows the value from the input through `&'a RawValue` (the same bounds, so
    /// `#[serde(borrow)]` fields of derived types work): works with serde_json's borrowing
    /// deserializers (`from_str`, `from_slice`), fails as `&RawValue` does with a reader or
    /// another format.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(deserializer).map(RawJson::from_raw_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_raw_value_borrows_the_same_text() {
        let line = r#"{"input": {"command" : "ls -la", "n":[1, 2.5e3]} }"#;
        #[derive(serde::Deserialize)]
        struct Line<'a> {
            #[serde(borrow)]
            input: &'a RawValue,
        }
        let l: Line<'_> = serde_json::from_str(line).unwrap();
        let raw = RawJson::from_raw_value(l.input);
        assert_eq!(raw.get(), r#"{"command" : "ls -la", "n":[1, 2.5e3]}"#);
        // Borrowed from the line, not copied.
        assert_eq!(raw.get().as_ptr(), line[10..].as_ptr());
        assert_eq!(RawJson::from(l.input), raw);
    }

    #[test]
    fn parse_accepts_one_value_and_drops_surrounding_whitespace() {
        let text = " \n\t[1, {\"a\": null}]\r\n ";
        let raw = RawJson::parse(text).unwrap();
        assert_eq!(raw.get(), "[1, {\"a\": null}]");
        assert_eq!(raw.get().as_ptr(), text[3..].as_ptr());
        assert_eq!(
            RawJson::parse("\"caf\\u00e9\"").unwrap().get(),
            "\"caf\\u00e9\""
        );
        assert_eq!(RawJson::parse("-0.5e-3").unwrap().get(), "-0.5e-3");
    }

    #[test]
    fn parse_rejects_what_serde_json_rejects() {
        for bad in [
            "", "   ", "[1,]", "{\"a\":1", "1 2", "NaN", "'x'", "\"\\x\"", "// c\n1", "01",
        ] {
            assert!(RawJson::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn trusted_keeps_the_text() {
        let raw = RawJson::trusted(r#"{"a":[true,false]}"#);
        assert_eq!(raw.get(), r#"{"a":[true,false]}"#);
        assert_eq!(raw, RawJson::parse(r#"{"a":[true,false]}"#).unwrap());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "RawJson::trusted")]
    fn trusted_checks_in_debug_builds() {
        let _ = RawJson::trusted(" 1");
    }

    #[test]
    fn serializes_verbatim() {
        // Spacing, number spelling and escapes as written: a parse-and-reserialize would change
        // every one of them.
        let text = r#"{ "b" : 1.50E+2 , "a":"\u00e9\/" ,"z":[ ] }"#;
        let raw = RawJson::parse(text).unwrap();
        assert_eq!(serde_json::to_string(&raw).unwrap(), text);
        // Inside other values, as a `&RawValue` would be.
        let wrapped = serde_json::to_string(&(raw, Some(raw), None::<RawJson<'_>>)).unwrap();
        assert_eq!(wrapped, format!("[{text},{text},null]"));
        // The pretty printer passes it through too, as it does a `RawValue`.
        let via_raw_value: &RawValue = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&[raw]).unwrap(),
            serde_json::to_string_pretty(&[via_raw_value]).unwrap()
        );
    }

    #[test]
    fn deserializes_borrowed() {
        #[derive(serde::Deserialize)]
        struct Block<'a> {
            #[serde(borrow)]
            input: Option<RawJson<'a>>,
            #[serde(borrow)]
            content: Option<RawJson<'a>>,
        }
        let line = r#"{"content": "x\ny", "input" :{"k":[1,2]} ,"other":0}"#;
        let b: Block<'_> = serde_json::from_str(line).unwrap();
        let input = b.input.unwrap();
        assert_eq!(input.get(), r#"{"k":[1,2]}"#);
        assert_eq!(
            input.get().as_ptr(),
            line[line.find("{\"k").unwrap()..].as_ptr()
        );
        assert_eq!(b.content.unwrap().get(), r#""x\ny""#);
        let absent: Block<'_> = serde_json::from_str(r#"{"input":null}"#).unwrap();
        assert_eq!((absent.input, absent.content), (None, None));
        // A bad value is an error, as it is for `&RawValue`.
        assert!(serde_json::from_str::<Block<'_>>(r#"{"input":[1,}"#).is_err());
    }

    #[test]
    fn display_and_debug() {
        let raw = RawJson::parse(r#"{"a": "b"}"#).unwrap();
        assert_eq!(raw.to_string(), r#"{"a": "b"}"#);
        assert_eq!(format!("{raw:?}"), r#"RawJson({"a": "b"})"#);
        let via_raw_value: &RawValue = serde_json::from_str(r#"{"a": "b"}"#).unwrap();
        assert_eq!(
            format!("{via_raw_value:?}").replacen("RawValue", "RawJson", 1),
            format!("{raw:?}")
        );
        assert_eq!(RawJson::NULL.to_string(), "null");
    }
}
