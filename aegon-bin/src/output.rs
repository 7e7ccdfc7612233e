//! `-o FILE` of `--html` and `--markdown`: the report is named FILE only once it is written,
//! and FILE stays what it was (a link, a device, a pipe, a file with its mode and its other
//! names).
//!
//! What FILE is decides how it is written:
//!
//! - **missing, or a regular file**: the report is written to a file beside it
//!   (`.NAME.aegon-PID.tmp`, in the same folder so that renaming it is one atomic step) and
//!   renamed over it at the end; a run that read nothing leaves an earlier report as it was.
//!   The new file takes the old one's permissions (a private 0600 report stays private) and,
//!   where allowed, its owner.
//! - **a symbolic link** (to either of the above): the same, at the file the link leads to, so
//!   the link stays a link (as editors save through links). A dangling link is written through
//!   too: its target is created.
//! - **a regular file with other hard links**: renaming would leave the other names on the old
//!   report, so the finished report is copied into the file instead.
//! - **anything else** (`/dev/null`, a terminal, a FIFO, a process substitution), and any
//!   path under `/dev` or `/proc` (`/dev/stdout` leads to whatever the shell opened, a
//!   regular file included): written in place, as a shell's `>` does; renaming over it would
//!   replace a device or a pipe with a regular file, or a file the shell holds open.
//! - **a folder**: refused (`-o` takes a file name; `aegon html` writes folders).

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Symbolic links followed before a dangling chain is given up (as Linux's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// An `-o FILE` being written: see the [module documentation](self). Dropped before
/// [`PendingOutput::replace`], it removes its temporary file and FILE is left as it was.
#[derive(Debug)]
pub struct PendingOutput {
    /// FILE as given (for messages).
    dest: PathBuf,
    /// How the written report becomes FILE.
    how: How,
}

#[derive(Debug)]
enum How {
    /// Written in place (not a regular file): nothing left to do.
    InPlace,
    /// Written to `temp`, renamed to `to` (FILE, or the file its links lead to).
    Rename { temp: PathBuf, to: PathBuf },
    /// Written to `temp`, copied into `to`, a file with other hard links.
    CopyInto { temp: PathBuf, to: PathBuf },
}

impl PendingOutput {
    /// Opens where the report is written for `dest` (its folder must exist, as for `dest`).
    ///
    /// Errors: `dest` is a folder, its folder is missing or not writable, or a link loop.
    pub fn create(dest: &Path) -> io::Result<(File, PendingOutput)> {
        let pending = |how| PendingOutput {
            dest: dest.to_path_buf(),
            how,
        };
        let existing = match std::fs::metadata(dest) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let Some(meta) = existing else {
            let to = dangling_target(dest)?;
            let (file, temp) = create_beside(&to, None)?;
            return Ok((file, pending(How::Rename { temp, to })));
        };
        if meta.is_dir() {
            return Err(io::Error::other(
                "is a folder (-o takes a file name; `aegon html PATH -o OUT/` writes a folder)",
            ));
        }
        if !meta.is_file() || names_a_descriptor(dest) {
            // A device, a FIFO, a terminal, /dev/stdout: the kernel follows its links.
            let file = OpenOptions::new().write(true).truncate(true).open(dest)?;
            return Ok((file, pending(How::InPlace)));
        }
        let to = std::fs::canonicalize(dest)?;
        let (file, temp) = create_beside(&to, Some(&meta))?;
        let how = if hard_links(&meta) > 1 {
            How::CopyInto { temp, to }
        } else {
            How::Rename { temp, to }
        };
        Ok((file, pending(how)))
    }

    /// Gives the written report its name (the file was flushed and closed by then).
    ///
    /// Errors: a sentence naming the file when the rename or the copy fails (the temporary
    /// file is removed).
    pub fn replace(self) -> Result<(), String> {
        let done = match &self.how {
            How::InPlace => Ok(()),
            How::Rename { temp, to } => std::fs::rename(temp, to),
            How::CopyInto { temp, to } => copy_into(temp, to),
        };
        done.map_err(|e| format!("{}: {e}", self.dest.display()))
        // Drop removes the temporary file when it is still there.
    }

    /// The file that was to be written, as given.
    pub fn dest(&self) -> &Path {
        &self.dest
    }
}

impl Drop for PendingOutput {
    fn drop(&mut self) {
        if let How::Rename { temp, .. } | How::CopyInto { temp, .. } = &self.how {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Whether `dest` names an open descriptor or a device by its path (`/dev/stdout`,
/// `/dev/fd/3`, `/proc/self/fd/1`): written in place even when it leads to a regular file
/// (`-o /dev/stdout > report.html`), since the shell holds that file open.
fn names_a_descriptor(dest: &Path) -> bool {
    dest.starts_with("/dev") || dest.starts_with("/proc")
}

/// The path a missing `dest` is created at: `dest` itself, or, when `dest` is a link whose
/// chain ends at a missing file, that file (relative targets read from each link's folder).
fn dangling_target(dest: &Path) -> io::Result<PathBuf> {
    let mut path = dest.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(folder) if target.is_relative() => folder.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Creates `.NAME.aegon-PID.tmp` beside `to`, with the permissions (and, where allowed, the
/// owner) of the file `old` describes.
fn create_beside(to: &Path, old: Option<&std::fs::Metadata>) -> io::Result<(File, PathBuf)> {
    let name = to
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?;
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".aegon-{}.tmp", std::process::id()));
    let temp = to.with_file_name(temp_name);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if let Some(old) = old {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        // Created no more open than the old file (the umask may narrow it further, so the
        // exact mode is set below); a private report is never readable in between.
        options.mode(old.permissions().mode() & 0o777);
    }
    let file = options.open(&temp)?;
    if let Some(old) = old {
        let kept = keep_metadata(&file, old);
        if let Err(e) = kept {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    }
    Ok((file, temp))
}

/// Gives `file` the permissions of `old` and, where the process may (root, or the same
/// owner), its owner and group; a change of owner that is refused is not an error.
fn keep_metadata(file: &File, old: &std::fs::Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    }
    file.set_permissions(old.permissions())
}

/// Names of the file `meta` describes (1 where the system does not say).
fn hard_links(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// Copies the finished report at `temp` into `to` (truncated first), keeping `to`'s inode
/// and so its other names.
fn copy_into(temp: &Path, to: &Path) -> io::Result<()> {
    let mut from = File::open(temp)?;
    let mut into = OpenOptions::new().write(true).truncate(true).open(to)?;
    io::copy(&mut from, &mut into)?;
    into.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A fresh folder, removed when dropped (also when the test fails).
    fn scratch(name: &str) -> crate::temp_dir::TempDir {
        crate::temp_dir::temp_dir(&format!("output-{name}"))
    }

    fn write(dest: &Path, text: &str) -> Result<(), String> {
        let (mut file, pending) = PendingOutput::create(dest).map_err(|e| e.to_string())?;
        file.write_all(text.as_bytes()).unwrap();
        drop(file);
        pending.replace()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_and_a_regular_file_are_replaced_whole() {
        let dir = scratch("plain");
        let file = dir.join("r.md");
        write(&file, "first").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "first");
        write(&file, "second, longer").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "second, longer");
        assert_eq!(names(&dir), ["r.md"]);
    }

    #[test]
    fn a_report_dropped_unfinished_leaves_the_old_one() {
        let dir = scratch("dropped");
        let file = dir.join("r.md");
        std::fs::write(&file, "good").unwrap();
        let (mut out, pending) = PendingOutput::create(&file).unwrap();
        out.write_all(b"half").unwrap();
        drop(pending);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "good");
        assert_eq!(names(&dir), ["r.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn links_stay_links_and_their_target_gets_the_report() {
        let dir = scratch("links");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/target.md"), "old").unwrap();
        std::os::unix::fs::symlink("sub/target.md", dir.join("link")).unwrap();
        std::os::unix::fs::symlink("link", dir.join("link2")).unwrap();
        write(&dir.join("link2"), "new").unwrap();
        assert!(std::fs::symlink_metadata(dir.join("link2"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::symlink_metadata(dir.join("link"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(dir.join("sub/target.md")).unwrap(),
            "new"
        );
        assert_eq!(names(&dir.join("sub")), ["target.md"]);
        // A dangling link: its target is created, the link kept.
        std::os::unix::fs::symlink("sub/missing.md", dir.join("dangling")).unwrap();
        write(&dir.join("dangling"), "made").unwrap();
        assert!(std::fs::symlink_metadata(dir.join("dangling"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(dir.join("sub/missing.md")).unwrap(),
            "made"
        );
        // A loop is an error, not a hang.
        std::os::unix::fs::symlink("loop-b", dir.join("loop-a")).unwrap();
        std::os::unix::fs::symlink("loop-a", dir.join("loop-b")).unwrap();
        assert!(write(&dir.join("loop-a"), "x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_old_files_mode_and_other_names_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let private = dir.join("private.md");
        std::fs::write(&private, "secret").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&private, "report").unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Group-writable survives the umask too.
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o664)).unwrap();
        write(&private, "report 2").unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o664);
        // A second name of the same file sees the new report.
        std::fs::hard_link(&private, dir.join("other-name.md")).unwrap();
        write(&private, "report 3").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("other-name.md")).unwrap(),
            "report 3"
        );
        assert_eq!(names(&dir), ["other-name.md", "private.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place_and_stays_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let dir = scratch("fifo");
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let path = fifo.clone();
        let reader = std::thread::spawn(move || std::fs::read_to_string(path).unwrap());
        write(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
        assert_eq!(names(&dir), ["fifo"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place_and_a_folder_refused() {
        use std::os::unix::fs::FileTypeExt;
        let dir = scratch("device");
        // A null device of our own (as /dev/null, which a rename once replaced): making one
        // needs root, as CI runs; elsewhere only the folder case is checked.
        let null = dir.join("null");
        let made = std::process::Command::new("mknod")
            .args(["-m", "666"])
            .arg(&null)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if made {
            write(&null, "gone").unwrap();
            assert!(std::fs::symlink_metadata(&null)
                .unwrap()
                .file_type()
                .is_char_device());
            assert_eq!(names(&dir), ["null"]);
        } else {
            eprintln!("mknod refused (not root): the device case is not checked here");
        }
        let err = write(&dir, "x").unwrap_err();
        assert!(err.contains("is a folder"), "{err}");
    }
}
