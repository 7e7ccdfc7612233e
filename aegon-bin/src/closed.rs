//! Runs that never end by themselves (`-f`, `watch` into a pipe, a stream on stdin) end when
//! the program reading their output goes away, as `tail -f` does (GNU coreutils 8.28 and
//! later poll their output for an error): `aegon -f FILE | head -1` ends as soon as `head`
//! does, not at the next line written to an idle session.
//!
//! A closed output is otherwise only seen when aegon next writes (a `BrokenPipe`, which ends
//! it quietly with status 0); this ends it the same way, without waiting for input.

/// When standard output is a pipe or a socket, watches it on a thread of its own and ends the
/// process with status 0 once its reader has gone (`poll` reports `POLLERR` or `POLLHUP`).
/// Nothing is lost: what was not yet written had nowhere to go. On a terminal, a file, or
/// elsewhere than Linux, does nothing.
pub fn end_when_output_closes() {
    #[cfg(target_os = "linux")]
    {
        use rustix::event::{poll, PollFd, PollFlags};
        use rustix::fs::FileType;
        let stdout = std::io::stdout();
        let streamed = rustix::fs::fstat(&stdout).is_ok_and(|st| {
            matches!(
                FileType::from_raw_mode(st.st_mode),
                FileType::Fifo | FileType::Socket
            )
        });
        if !streamed {
            return;
        }
        std::thread::spawn(move || loop {
            // No events asked for: poll waits for the error and hang-up it always reports.
            let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
            match poll(&mut fds, None) {
                Ok(_) => {
                    let revents = fds[0].revents();
                    if revents.intersects(PollFlags::ERR | PollFlags::HUP) {
                        std::process::exit(0);
                    }
                    if !revents.is_empty() {
                        return; // POLLNVAL or other: nothing to watch (never spin).
                    }
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => return,
            }
        });
    }
}
