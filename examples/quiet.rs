//! What the examples do when their reader stops early (`cargo run --example sessions | head -1`):
//! standard output is closed, the next write fails with a broken pipe, and they stop quietly
//! with status 0, as the `aegon` binary does (`println!` would panic instead). Each example
//! writes with `writeln!(out, …)?` in a `run` function and ends `main` with
//! `quiet::exit(run())`.

use std::error::Error;
use std::io;
use std::process::ExitCode;

/// The exit status of an example's `run`: its own, or success when it stopped because its
/// output was closed (a write failed with [`io::ErrorKind::BrokenPipe`]), or failure with the
/// error said on stderr.
pub fn exit(result: Result<ExitCode, Box<dyn Error>>) -> ExitCode {
    let e = match result {
        Ok(code) => return code,
        Err(e) => e,
    };
    let closed = e
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe);
    if closed {
        return ExitCode::SUCCESS;
    }
    eprintln!("{e}");
    ExitCode::FAILURE
}
