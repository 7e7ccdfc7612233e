//! Helpers shared by the integration tests: where the repository and its fixtures are.
#![allow(dead_code)] // each test binary uses some of them

pub mod tmux;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A corpus fixture by file name.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/corpus").join(name)
}

/// Every corpus fixture (`fixtures/corpus/*.jsonl`), sorted.
pub fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/corpus"))
        .expect("fixtures/corpus")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the corpus fixtures, found {}",
        files.len()
    );
    files
}

/// Runs the built `aegon` with `args`; asserts it succeeded and returns its stdout.
pub fn aegon_stdout<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(args)
        .output()
        .expect("run aegon");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A fresh, empty folder for one test, `$TMPDIR/aegon-test-PID-NAME` (what a run before left
/// there is removed first). `name` tells the tests of one test binary apart; the process id
/// tells binaries and runs apart.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aegon-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary folder");
    dir
}
