//! A tmux server of one's own, to run the real binary in a real pseudo-terminal and read its
//! screen as a person would.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket) with one pane running a shell command.
pub struct Pane {
    socket: String,
}

impl Pane {
    /// Runs `command` (a shell command line) in a `width` × `height` pane.
    pub fn start(
        name: &str,
        command: &str,
        env: &[(&str, &Path)],
        width: u16,
        height: u16,
    ) -> Pane {
        let socket = format!("aegon-test-{name}-{}", std::process::id());
        let mut tmux = Command::new("tmux");
        tmux.args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()]);
        for (key, value) in env {
            tmux.arg("-e").arg(format!("{key}={}", value.display()));
        }
        let status = tmux
            .arg(command)
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs (it is on every machine; the README says so)");
        assert!(status.success(), "tmux new-session failed");
        Pane { socket }
    }

    /// Runs a tmux command on this server.
    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p"]).stdout).into_owned()
    }

    /// Waits (up to 15 s) until the screen shows `text`; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never showed; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// A tmux format value of the pane (`alternate_on`, `cursor_flag`, …).
    pub fn format(&self, name: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "0", &format!("#{{{name}}}")]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
