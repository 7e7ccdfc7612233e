#![no_main]
//! Fuzz target: see `aegon::fuzzing::split_lines`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::split_lines(data));
