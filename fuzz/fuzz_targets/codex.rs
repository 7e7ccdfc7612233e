#![no_main]
//! Fuzz target: see `aegon::fuzzing::codex`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::codex(data));
