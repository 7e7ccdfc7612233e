//! A fresh temporary folder for one test, removed with what it holds when the test ends, also
//! when it fails.
//!
//! One file for every test of the workspace: aegon-lib's unit tests (`lib.rs`), its integration
//! tests, aegon-bin's unit tests (`main.rs`) and its integration tests (`tests/common`) include
//! it with `#[path]`, since test code cannot be shared between the two crates otherwise. It
//! needs only `std` and the `tempfile` dev-dependency.
#![allow(dead_code)] // each test binary uses some of it

use std::ffi::OsStr;
use std::path::Path;

/// Environment variable that keeps every [`temp_dir`] of a run (`1`), for a look at what a
/// failing test left: its path is said on stderr.
pub const KEEP_TEMP_ENV: &str = "AEGON_KEEP_TEMP";

/// A fresh, empty folder for one test, `$TMPDIR/aegon-test-NAME-XXXXXX` (a random suffix, so
/// tests, binaries and runs never share one and no stale folder needs clearing first), removed
/// with what it holds when the guard is dropped: at the end of the test, at an early return, and
/// when an assertion fails (the guard is dropped while the panic unwinds), so a run leaves
/// nothing in the temporary folder however it ends. [`KEEP_TEMP_ENV`]`=1` keeps them.
/// The guard derefs to its [`Path`].
pub fn temp_dir(name: &str) -> TempDir {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("aegon-test-{name}-"))
        .tempdir()
        .expect("create a temporary folder");
    if keep() {
        dir.disable_cleanup(true);
        eprintln!("keeping {}", dir.path().display());
    }
    TempDir(dir)
}

fn keep() -> bool {
    std::env::var_os(KEEP_TEMP_ENV).is_some_and(|v| v == "1")
}

/// The folder of [`temp_dir`]: removed on drop unless [`KEEP_TEMP_ENV`] says to keep it.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<OsStr> for TempDir {
    fn as_ref(&self) -> &OsStr {
        self.0.path().as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() && !keep() {
            eprintln!(
                "removing {} ({KEEP_TEMP_ENV}=1 keeps it)",
                self.0.path().display()
            );
        }
    }
}
