//! Fuzz target `smimea`: see `src/targets.rs` for what it exercises.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cachet_fuzz::smimea(data));
