//! Transcript formats: one folder per agent, each turning lines into the common [`crate::Event`]s.
//!
//! - [`claude`]: Claude Code's JSONL transcripts (`~/.claude/projects/**/*.jsonl`).

pub mod claude;
