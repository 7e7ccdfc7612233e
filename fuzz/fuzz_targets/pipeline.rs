#![no_main]
//! Fuzz target: see `aegon::fuzzing::pipeline`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::pipeline(data));
