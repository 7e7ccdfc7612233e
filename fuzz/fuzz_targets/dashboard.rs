#![no_main]
//! Fuzz target: see `aegon::fuzzing::dashboard`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::dashboard(data));
