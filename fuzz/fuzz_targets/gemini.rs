#![no_main]
//! Fuzz target: see `aegon::fuzzing::gemini`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::gemini(data));
