#![no_main]
//! Fuzz target: see `aegon::fuzzing::sessions`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::sessions(data));
