#![no_main]
//! Fuzz target: see `aegon::fuzzing::audit`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| aegon::fuzzing::audit(data));
