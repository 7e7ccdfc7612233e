//! The floor for the filter benchmark (`bench/filter.sh`): read a file (or stdin) through a
//! 256 KiB buffer as aegon does, split it into lines with memchr and parse each line with a bare
//! borrowed serde_json parse (`IgnoredAny`: no allocation, no tree), the same serde_json version
//! aegon builds with. Prints the number of lines that parsed to stderr; writes nothing else.
//!
//! ```sh
//! cargo build --release -p aegon-lib --example bareparse
//! target/release/examples/bareparse FILE
//! ```
//!
//! Built as an example of aegon-lib (declared in its Cargo.toml) so it shares aegon's lockfile and
//! adds no crate to CI; it lives in `bench/` because it is a benchmark, not an example of the API.

use std::io::Read;

fn main() -> std::io::Result<()> {
    let mut input: Box<dyn Read> = match std::env::args_os().nth(1) {
        Some(path) => Box::new(std::fs::File::open(path)?),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut buf = vec![0u8; 256 << 10];
    let mut filled = 0; // bytes of buf holding a line not yet ended
    let (mut ok, mut bad) = (0u64, 0u64);
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // a line longer than the buffer
        }
        let n = input.read(&mut buf[filled..])?;
        let end = filled + n;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &buf[filled..end]) {
            let line = &buf[start..filled + nl];
            match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
                Ok(_) => ok += 1,
                Err(_) => bad += 1,
            }
            start = filled + nl + 1;
        }
        if n == 0 {
            if start < end
                && serde_json::from_slice::<serde::de::IgnoredAny>(&buf[start..end]).is_ok()
            {
                ok += 1;
            }
            break;
        }
        buf.copy_within(start..end, 0);
        filled = end - start;
    }
    eprintln!("{ok} lines parsed, {bad} not JSON");
    Ok(())
}
