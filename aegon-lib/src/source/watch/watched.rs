//! What is known of one followed file between polls, shared by [`super::follow_files`] and
//! [`super::watch_folders`]: its last look (size and modification time), to tell whether it
//! changed without opening it, and when it last grew, to close the handles of quiet files
//! ([`Tail::park`]) so that thousands can be followed under the open-file limit.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::pipeline::Pipeline;
use crate::render::{Flow, Renderer};
use crate::source::follow::{Change, Tail};

/// A file unchanged this long has its handle closed.
pub(super) const PARK_AFTER: Duration = Duration::from_secs(10);

/// One followed file.
pub(super) struct Watched {
    pub(super) tail: Tail,
    /// Size and modification time at the last look, to see whether it changed.
    pub(super) seen: (u64, Option<SystemTime>),
    /// When a poll last read something from it.
    pub(super) last_change: Instant,
    /// Whether it was said that it could not be opened for want of file handles (said once,
    /// until it is read again).
    said_short: bool,
}

impl Watched {
    /// `tail`, last looked at as `seen` (`(0, None)`: never).
    pub(super) fn new(tail: Tail, seen: (u64, Option<SystemTime>)) -> Self {
        Watched {
            tail,
            seen,
            last_change: Instant::now(),
            said_short: false,
        }
    }

    /// Whether its size or modification time differ from the last look.
    pub(super) fn changed(&self) -> bool {
        current_look(self.tail.path()) != self.seen
    }

    /// Reads what is new, reporting changes to `on_change` (but for a file that could not be
    /// opened for want of file handles: that is the caller's to retry, and to say if it stays
    /// so). Also returns whether it could not be opened, or opened again once parked, for want
    /// of file handles (nothing was read): its last look is then kept, so the next look sees
    /// it changed and it is tried again.
    pub(super) fn poll<R: Renderer>(
        &mut self,
        pipeline: &mut Pipeline<R>,
        mut on_change: impl FnMut(&Path, Change),
    ) -> io::Result<(Flow, bool)> {
        // Looked at before reading: a line written while this one is read (or rendered) makes
        // the next look differ. (Looked at after, it was taken as read, and with --poll waited
        // for the file's next write.)
        let look = current_look(self.tail.path());
        let mut short = false;
        let (read, flow) = self.tail.poll(pipeline, |path, change| match change {
            Change::Unreadable(e) if out_of_handles(&e) => short = true,
            change => on_change(path, change),
        })?;
        // Still parked: its handle could not be taken again (out of file handles, say).
        short |= self.tail.is_parked();
        if !short {
            self.seen = look;
            self.said_short = false;
        }
        if read > 0 {
            self.last_change = Instant::now();
        }
        Ok((flow, short))
    }

    /// Says, once until it is read again, that it could not be opened for want of file handles
    /// even after every other handle that could be was given back (the open-file limit is below
    /// the files being written at once): it is tried again at each look.
    pub(super) fn say_out_of_handles(&mut self, notes: &mut dyn FnMut(&str)) {
        if !std::mem::replace(&mut self.said_short, true) {
            notes(&format!(
                "{}: not read for now: out of file handles (the open-file limit, ulimit -n); \
                 tried again at each look",
                self.tail.path().display()
            ));
        }
    }

    /// Closes its handle if nothing was read from it for [`PARK_AFTER`].
    pub(super) fn park_if_quiet(&mut self) {
        if self.last_change.elapsed() >= PARK_AFTER {
            self.tail.park();
        }
    }
}

/// Size and modification time of `path` (`(0, None)` when it cannot be looked at).
pub(super) fn current_look(path: &Path) -> (u64, Option<SystemTime>) {
    std::fs::metadata(path).map_or((0, None), |m| (m.len(), m.modified().ok()))
}

/// Whether `e` says the process (or the system) is out of file handles (`EMFILE`, `ENFILE`:
/// 24 and 23 on Linux, macOS and the BSDs).
pub(super) fn out_of_handles(e: &io::Error) -> bool {
    cfg!(unix) && matches!(e.raw_os_error(), Some(23 | 24))
}
