//! UTF-8 validation of whole lines, the one pass over every byte that parsing cannot skip.

/// The line as text, or the length of its longest valid prefix (where the first bad byte is).
///
/// With the `simd-utf8` feature (on by default) this uses SIMD instructions where the CPU has
/// them; the answer is the same either way.
pub fn validate(bytes: &[u8]) -> Result<&str, usize> {
    #[cfg(feature = "simd-utf8")]
    {
        simdutf8::compat::from_utf8(bytes).map_err(|e| e.valid_up_to())
    }
    #[cfg(not(feature = "simd-utf8"))]
    {
        std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn agrees_with_std_on_valid_and_invalid_text() {
        let long_ascii = "a".repeat(100);
        let cases: [&[u8]; 6] = [
            b"",
            b"plain ascii",
            "caf\u{e9} \u{1F600} long enough to reach the SIMD path of the validator".as_bytes(),
            b"bad \xff byte after a prefix that is long enough for the vector loop to run",
            b"truncated \xe2\x82",
            long_ascii.as_bytes(),
        ];
        for bytes in cases {
            let std = std::str::from_utf8(bytes).map_err(|e| e.valid_up_to());
            assert_eq!(validate(bytes), std, "{bytes:?}");
        }
    }
}
