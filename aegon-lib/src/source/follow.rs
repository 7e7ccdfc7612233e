//! Following a file as it grows, like `tail -F`.
//!
//! A [`Tail`] remembers where it stopped in one path. Each [`Tail::poll`] reads what was
//! appended since and pushes it into a [`Pipeline`]: complete lines become events at once, a
//! partial line waits in the pipeline's [`Input`] for its newline. It notices, and reports as a
//! [`Change`]:
//!
//! - a file that does not exist yet (it is waited for) or no longer exists (renamed away or
//!   deleted: its handle is still read, for what its writer appends after, until the path names
//!   a file again or the tail is [parked](Tail::park); then it is waited for again);
//! - truncation (the size fell below what was read): reading starts again from the start;
//! - replacement (rename or delete + create: the path names another file): the old file is
//!   read to its end, then the new one from its start.
//!
//! Polling does no waiting and reads no clock: when to poll (a timer, a file-system
//! notification) is the caller's choice. aegon only ever reads: files are opened read-only,
//! never locked.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::pipeline::{DocumentEnd, Input, Pipeline};
use crate::render::{Flow, Renderer};
use crate::source::InputError;

/// What a poll noticed about the followed path (besides new bytes).
#[derive(Debug)]
pub enum Change {
    /// The file was opened (at the start, or at `offset` when following from the end).
    Opened {
        /// Where reading starts.
        offset: u64,
    },
    /// The file was truncated below what had been read: reading starts again from its start.
    Truncated {
        /// Bytes of a partial line that were dropped (its end will never come).
        dropped_partial: u64,
    },
    /// The path now names another file (renamed away, or deleted and re-created).
    Replaced,
    /// The path no longer names a file; it is waited for (the old file is still read until
    /// it comes back or the tail is parked).
    Vanished,
    /// The path exists but cannot be followed: it is a directory (kind
    /// [`IsADirectory`](io::ErrorKind::IsADirectory)) or another non-file, or it cannot be
    /// opened (the OS error as is; the path comes with the change), or a read of the open file
    /// failed (an [`InputError`] naming the path and the byte offset, reached with
    /// [`InputError::of`]; its kind the OS error's). Reported once until it changes (a failed
    /// read: until a read succeeds).
    Unreadable(io::Error),
}

/// The identity of a file, to notice when a path names another one. Where the platform gives
/// none (`None` on both sides), a path is taken to name the same file as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// A file being followed.
#[derive(Debug)]
struct Open {
    /// The handle; `None` while parked (see [`Tail::park`]).
    file: Option<File>,
    id: Option<FileId>,
    /// Bytes read so far (the file's read position).
    offset: u64,
    input: Input,
    /// The file is one JSON document (a chat its agent rewrites as it grows): decoded after
    /// each read, and read again from its start whenever its size or modification time
    /// changes.
    document: bool,
    /// The modification time the file had when it was last looked at before reading it
    /// (`None` where the platform gives none): a document rewritten to the same size (a
    /// token count or a status changed for one of as many digits) is told by it.
    modified: Option<SystemTime>,
    /// The path no longer names a file (renamed away, or deleted): the handle is still read,
    /// for what its writer appends, until the path names a file again or the tail is parked.
    gone: bool,
    /// A read of the handle failed and was reported; not again until a read succeeds.
    read_failed: bool,
}

/// One followed path. See the [module documentation](self).
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    name: String,
    open: Option<Open>,
    /// Where the first open starts: `None` at 0; `Some(None)` at the length the first look at
    /// the file (the poll that opens it) sees; `Some(Some(n))` at the end it had at `n` bytes
    /// (the size seen when watching began).
    skip: Option<Option<u64>>,
    /// Whether the file was opened, or found missing, before (then every open starts at 0).
    opened_once: bool,
    /// An unreadable path was reported; not again until it changes.
    reported_unreadable: bool,
}

/// Bytes read from a followed file per read call.
const READ_CHUNK: usize = 64 << 10;

impl Tail {
    /// Follows `path` from its start; events name it `name` (usually the path as given).
    pub fn new(path: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        Tail {
            path: path.into(),
            name: name.into(),
            open: None,
            skip: None,
            opened_once: false,
            reported_unreadable: false,
        }
    }

    /// Follows `path` from the end it has when first opened (the length the poll that opens
    /// it sees): only lines appended later are read, at their true line numbers and byte
    /// offsets (the lines skipped are counted), by a decoder that read the lines skipped
    /// where it learns from them ([`Pipeline::skim`]: a Codex rollout's last totals, so a
    /// repeat of them is no new request). A file created later, or re-created, is read from
    /// its start.
    pub fn from_end(mut self) -> Self {
        self.skip = Some(None);
        self
    }

    /// Follows `path` from byte `size` (its size when it was last looked at, without opening
    /// it), or rather from the end of the last complete line before it: lines written later are
    /// read, the history before is not counted but taught to the decoder as for
    /// [`Tail::from_end`]. The file is opened at the first poll.
    pub fn from_size(mut self, size: u64) -> Self {
        self.skip = Some(Some(size));
        self
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is open (it exists and was readable at the last poll).
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Whether the path could not be followed at the last poll that looked at it (reported
    /// once as [`Change::Unreadable`]): a directory or other non-file, a file that cannot be
    /// opened, or a failed read of the open one.
    pub fn is_unreadable(&self) -> bool {
        self.reported_unreadable || self.open.as_ref().is_some_and(|o| o.read_failed)
    }

    /// Bytes read from the current file.
    pub fn offset(&self) -> u64 {
        self.open.as_ref().map_or(0, |o| o.offset)
    }

    /// Reads whatever was appended since the last poll into `pipeline`, reporting each
    /// [`Change`] to `on_change`. Returns the bytes read and whether the renderer asked to
    /// stop. Errors are the renderer's (output) errors; input problems are changes: a path that
    /// cannot be followed (a directory, no permission, a failed read) gives
    /// `Ok` and [`Change::Unreadable`] to `on_change`, once (and [`Tail::is_unreadable`]
    /// says so until it can be read).
    pub fn poll<R: Renderer>(
        &mut self,
        pipeline: &mut Pipeline<R>,
        mut on_change: impl FnMut(&Path, Change),
    ) -> io::Result<(u64, Flow)> {
        let mut read = 0;
        let current = std::fs::metadata(&self.path);
        if current.is_err() {
            // Not there at the first look: when it comes, all of it is new.
            self.opened_once = true;
        }
        // Is the open file still the one the path names, and not shorter than what was read?
        if let Some(open) = &mut self.open {
            let same_file = current.as_ref().is_ok_and(|meta| file_id(meta) == open.id);
            if open.file.is_none() && same_file {
                // Parked: take the handle again, where it was.
                if let (Ok(meta), Ok(mut file)) = (&current, File::open(&self.path)) {
                    let at = SeekFrom::Start(open.offset.min(meta.len()));
                    if file.seek(at).is_ok() {
                        open.file = Some(file);
                    }
                }
            }
            match &current {
                Ok(meta) if same_file => {
                    let modified = meta.modified().ok();
                    let touched = std::mem::replace(&mut open.modified, modified) != modified;
                    if open.document && (meta.len() != open.offset || touched) {
                        // Rewritten (another size or modification time): read it whole
                        // again (end_document started the input over, unless the document
                        // was cut off and kept).
                        pipeline.rewind(&mut open.input);
                        open.offset = 0;
                        if let Some(file) = &mut open.file {
                            if let Err(e) = file.seek(SeekFrom::Start(0)) {
                                self.open = None;
                                on_change(&self.path, Change::Unreadable(e));
                                return Ok((read, Flow::Continue(())));
                            }
                        }
                    } else if meta.len() < open.offset {
                        let dropped = pipeline.rewind(&mut open.input);
                        open.offset = 0;
                        let rewound = match &mut open.file {
                            Some(file) => file.seek(SeekFrom::Start(0)).map(drop),
                            None => Err(io::Error::other("file handle lost")),
                        };
                        if let Err(e) = rewound {
                            // Open it again at the next poll.
                            self.open = None;
                            on_change(&self.path, Change::Unreadable(e));
                            return Ok((read, Flow::Continue(())));
                        }
                        on_change(
                            &self.path,
                            Change::Truncated {
                                dropped_partial: dropped,
                            },
                        );
                    }
                }
                // Replaced or gone: what was written to the old file before is still read.
                _ => {
                    let (n, flow) = drain(open, pipeline, &self.path, &mut on_change)?;
                    read += n;
                    if flow.is_break() {
                        return Ok((read, flow));
                    }
                    if current.is_err() && open.file.is_some() {
                        // Renamed away (rotation) or deleted: its writer may still append to
                        // it, so its handle is read on until the path names a file again (or
                        // the tail is parked, which lets a deleted file's space go).
                        if !std::mem::replace(&mut open.gone, true) {
                            on_change(&self.path, Change::Vanished);
                        }
                        return Ok((read, flow));
                    }
                    let Some(old) = self.open.take() else {
                        return Ok((read, flow));
                    };
                    let flow = pipeline.close(old.input)?;
                    if current.is_ok() {
                        on_change(&self.path, Change::Replaced);
                    } else if !old.gone {
                        on_change(&self.path, Change::Vanished);
                    }
                    if flow.is_break() {
                        return Ok((read, flow));
                    }
                }
            }
        }
        if self.open.is_none() {
            match &current {
                Ok(meta) if meta.is_file() => match File::open(&self.path) {
                    Ok(mut file) => {
                        let mut input = pipeline.open(self.name.clone());
                        let mut start = 0;
                        let mut document = false;
                        // Following from the end starts at the length this first look at
                        // the file saw (not one read again later, which would skip what is
                        // written in between).
                        let skip = match (self.skip, self.opened_once) {
                            (Some(limit), false) => Some(limit.unwrap_or(meta.len())),
                            _ => None,
                        };
                        if let Some(limit) = skip {
                            if let Some(end) = document_end(&mut file, limit) {
                                // A JSON document is read whole or not at all: from its
                                // next rewrite on.
                                start = end;
                                document = true;
                            }
                        }
                        if let (Some(limit), false) = (skip, document) {
                            // After the last complete line (a line being written is read
                            // whole), with line numbers counted, so reports stay true.
                            // The history read on the way teaches the decoder what the
                            // lines after it need (a Codex rollout's last totals), also for
                            // a file followed from a size seen earlier (a watched folder's
                            // older files: tester13 #4). That costs nothing at the start:
                            // such a file is opened only once it grows, and its history is
                            // decoded then, once (the line count already reads it whole).
                            // Its last HISTORY_TAIL bytes are kept for a Claude Code
                            // transcript's correlator (`Pipeline::skim_tail`).
                            let mut skim = true;
                            let mut recent = HistoryTail::default();
                            let history = |chunk: &[u8]| {
                                skim = skim && pipeline.skim(&mut input, chunk);
                                recent.push(chunk);
                            };
                            match end_of_last_line(&mut file, limit, history) {
                                Ok((end, lines)) => {
                                    start = end;
                                    let (tail, at) = recent.lines_before(end);
                                    pipeline.skim_tail(&mut input, tail, at);
                                    pipeline.start_at(&mut input, end, lines + 1);
                                }
                                Err(e) => {
                                    on_change(&self.path, Change::Unreadable(e));
                                    return Ok((read, Flow::Continue(())));
                                }
                            }
                        }
                        self.opened_once = true;
                        self.reported_unreadable = false;
                        self.open = Some(Open {
                            file: Some(file),
                            id: file_id(meta),
                            modified: meta.modified().ok(),
                            offset: start,
                            input,
                            document,
                            gone: false,
                            read_failed: false,
                        });
                        on_change(&self.path, Change::Opened { offset: start });
                    }
                    Err(e) => {
                        if !std::mem::replace(&mut self.reported_unreadable, true) {
                            on_change(&self.path, Change::Unreadable(e));
                        }
                    }
                },
                Ok(meta) => {
                    if !std::mem::replace(&mut self.reported_unreadable, true) {
                        let e = if meta.is_dir() {
                            io::Error::new(
                                io::ErrorKind::IsADirectory,
                                "is a directory (follow the transcripts in it: source::tree, or source::watch)",
                            )
                        } else {
                            io::Error::other("not a regular file")
                        };
                        on_change(&self.path, Change::Unreadable(e));
                    }
                }
                // Not there (yet): wait for it.
                Err(_) => {}
            }
        }
        let Some(open) = &mut self.open else {
            return Ok((read, Flow::Continue(())));
        };
        let (n, mut flow) = drain(open, pipeline, &self.path, &mut on_change)?;
        if n > 0 && flow.is_continue() {
            match pipeline.end_document(&mut open.input)? {
                DocumentEnd::NotDocument => {}
                DocumentEnd::Decoded(decoded) => {
                    open.document = true;
                    flow = decoded;
                    pipeline.renderer().flush()?;
                }
                // Read mid-write: read whole again at its next change (or reported as it
                // stands when following stops).
                DocumentEnd::CutOff => open.document = true,
            }
        }
        Ok((read + n, flow))
    }

    /// Closes the file handle but remembers the position, so that thousands of quiet files
    /// can be followed without as many open files. The next poll takes the handle again (or,
    /// if the path now names another file, follows that from its start). A tail with a partial
    /// line pending keeps its handle; one without gives back the buffer its longest line
    /// needed, so a parked tail holds little more than its path.
    pub fn park(&mut self) {
        if let Some(open) = &mut self.open {
            if !open.input.has_partial_line() {
                open.file = None;
                open.input.release_memory();
            }
        }
    }

    /// Whether the path no longer names a file while the old file's handle is still read
    /// (renamed away or deleted; until the path names a file again or the tail is parked).
    pub fn is_gone(&self) -> bool {
        self.open
            .as_ref()
            .is_some_and(|o| o.gone && o.file.is_some())
    }

    /// Whether the file handle is closed by [`Tail::park`].
    pub fn is_parked(&self) -> bool {
        self.open.as_ref().is_some_and(|o| o.file.is_none())
    }

    /// Stops following: a last line without a newline is decoded (and reported if cut off).
    pub fn close<R: Renderer>(&mut self, pipeline: &mut Pipeline<R>) -> io::Result<Flow> {
        match self.open.take() {
            Some(open) => pipeline.close(open.input),
            None => Ok(Flow::Continue(())),
        }
    }
}

/// Reads `file` to its end, or to byte `limit`: the offset just past the last newline, and
/// the number of lines before it. Leaves the file positioned there. Each chunk read is shown
/// to `history` on the way, in order.
/// How much of a file's history before a follower's start is read into the correlator
/// ([`crate::Pipeline::skim_tail`]): the lines of the API response being written when the
/// follower started are within it (Claude Code writes a response's lines back to back, a few
/// content blocks and tool results apart), and reading it costs about a millisecond.
const HISTORY_TAIL: usize = 2 << 20;

/// The last [`HISTORY_TAIL`] bytes (at least) of a file's history, as it is read.
#[derive(Default)]
struct HistoryTail {
    bytes: Vec<u8>,
    /// Offset in the file of `bytes[0]`.
    start: u64,
}

impl HistoryTail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > 2 * HISTORY_TAIL {
            let drop = self.bytes.len() - HISTORY_TAIL;
            self.bytes.drain(..drop);
            self.start += drop as u64;
        }
    }

    /// The whole lines kept that end before byte `end` (the start of the first line to count),
    /// and the offset of the first: a line cut at the front of what was kept is left out.
    fn lines_before(&self, end: u64) -> (&[u8], u64) {
        let len = usize::try_from(end.saturating_sub(self.start))
            .map_or(self.bytes.len(), |n| n.min(self.bytes.len()));
        let kept = &self.bytes[..len];
        let from = if self.start == 0 {
            0
        } else {
            memchr::memchr(b'\n', kept).map_or(len, |nl| nl + 1)
        };
        (&kept[from..], self.start + from as u64)
    }
}

fn end_of_last_line(
    file: &mut File,
    limit: u64,
    mut history: impl FnMut(&[u8]),
) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; READ_CHUNK];
    let (mut pos, mut end, mut lines) = (0u64, 0u64, 0u64);
    while pos < limit {
        let want = usize::try_from(limit - pos).map_or(buf.len(), |left| left.min(buf.len()));
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        history(chunk);
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(last) = memchr::memrchr(b'\n', chunk) {
            end = pos + last as u64 + 1;
        }
        pos += n as u64;
    }
    file.seek(SeekFrom::Start(end))?;
    Ok((end, lines))
}

/// When `file` is one JSON document (its first line opens one that a document format
/// recognises, as the pipeline's decoder judges it: [`crate::format::sniff_document`]),
/// the size to start after (`limit`, at most the file's length), the file left there; `None`
/// otherwise (the file left at its start). A JSONL transcript is never taken for a document,
/// whatever ids its lines hold.
fn document_end(file: &mut File, limit: u64) -> Option<u64> {
    let mut head = Vec::new();
    let read = (&mut *file)
        .take(crate::source::tree::SNIFF_BYTES as u64)
        .read_to_end(&mut head);
    let rewound = file.seek(SeekFrom::Start(0));
    if read.is_err() || rewound.is_err() || crate::format::sniff_document(&head).is_none() {
        return None;
    }
    let len = file.metadata().ok()?.len();
    let end = limit.min(len);
    file.seek(SeekFrom::Start(end)).ok()?;
    Some(end)
}

/// Reads `open` to its current end into the pipeline. A read error ends the drain quietly
/// (the next poll sees whether the file is still there).
fn drain<R: Renderer>(
    open: &mut Open,
    pipeline: &mut Pipeline<R>,
    path: &Path,
    on_change: &mut impl FnMut(&Path, Change),
) -> io::Result<(u64, Flow)> {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut read = 0u64;
    while let Some(file) = &mut open.file {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Tried again at the next poll; reported once until a read succeeds.
                if !std::mem::replace(&mut open.read_failed, true) {
                    let e =
                        InputError::wrap(path.display().to_string(), Some(open.offset), None, e);
                    on_change(path, Change::Unreadable(e));
                }
                break;
            }
        };
        open.read_failed = false;
        open.offset += n as u64;
        read += n as u64;
        if pipeline.push(&mut open.input, &buf[..n])?.is_break() {
            return Ok((read, Flow::Break(())));
        }
    }
    if read > 0 {
        pipeline.renderer().flush()?;
    }
    Ok((read, Flow::Continue(())))
}
