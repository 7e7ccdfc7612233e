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
