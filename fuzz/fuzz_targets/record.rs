#![no_main]
//! Fuzz target: see `aegon::fuzzing::record`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::record(data));
