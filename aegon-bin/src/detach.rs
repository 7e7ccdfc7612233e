//! `--detached`: the same command, without `--detached`, in a new terminal window.
//!
//! Where one can be found, in this order: a new tmux window (inside tmux), a new screen
//! window (inside GNU screen), `$TERMINAL -e`, then the usual terminal emulators of a
//! graphical session (`DISPLAY` or `WAYLAND_DISPLAY` set); on macOS, Terminal.app.

use std::ffi::OsString;
use std::process::{Command, ExitCode, Stdio};

use crate::report::warn;

/// Opens the dashboard elsewhere; this process then ends.
pub fn run() -> ExitCode {
    let mut command: Vec<OsString> = match std::env::current_exe() {
        Ok(exe) => vec![exe.into_os_string()],
        Err(e) => {
            warn(&format!("--detached: cannot find aegon's own path: {e}"));
            return ExitCode::from(2);
        }
    };
    command.extend(std::env::args_os().skip(1).filter(|a| a != "--detached"));
    for (name, launcher) in launchers(&command) {
        let Some((program, args)) = launcher.split_first() else {
            continue;
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // tmux, screen and osascript return once the window is open; a terminal emulator runs
        // as long as its window, so it is only started.
        let opened = if matches!(name, "tmux" | "screen" | "Terminal") {
            command.status().is_ok_and(|s| s.success())
        } else {
            command.spawn().is_ok()
        };
        if opened {
            warn(&format!("dashboard opened in a new {name} window"));
            return ExitCode::SUCCESS;
        }
    }
    warn("--detached: no terminal window to open the dashboard in (run inside tmux or screen, or set TERMINAL to your terminal emulator); run it here without --detached");
    ExitCode::from(2)
}

/// Ways to open a window running `command`, the most fitting first.
fn launchers(command: &[OsString]) -> Vec<(&'static str, Vec<OsString>)> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let with = |prefix: &[&str]| -> Vec<OsString> {
        prefix
            .iter()
            .map(OsString::from)
            .chain(command.iter().cloned())
            .collect()
    };
    let mut out = Vec::new();
    if env("TMUX").is_some() {
        out.push(("tmux", with(&["tmux", "new-window", "-n", "aegon", "--"])));
    }
    if env("STY").is_some() {
        out.push(("screen", with(&["screen", "-t", "aegon"])));
    }
    if let Some(terminal) = env("TERMINAL") {
        let mut launcher = vec![terminal, OsString::from("-e")];
        launcher.extend(command.iter().cloned());
        out.push(("terminal", launcher));
    }
    if cfg!(target_os = "macos") {
        let line: Vec<String> = command
            .iter()
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect();
        let script = format!(
            "tell application \"Terminal\" to do script \"{}\"",
            line.join(" ").replace('\\', "\\\\").replace('"', "\\\"")
        );
        out.push(("Terminal", with_args(&["osascript", "-e"], &[script])));
    } else if env("DISPLAY").is_some() || env("WAYLAND_DISPLAY").is_some() {
        out.push(("terminal", with(&["x-terminal-emulator", "-e"])));
        out.push(("GNOME Terminal", with(&["gnome-terminal", "--"])));
        out.push(("Konsole", with(&["konsole", "-e"])));
        out.push(("kitty", with(&["kitty"])));
        out.push(("Alacritty", with(&["alacritty", "-e"])));
        out.push(("WezTerm", with(&["wezterm", "start", "--"])));
        out.push(("xterm", with(&["xterm", "-e"])));
    }
    out
}

fn with_args(prefix: &[&str], rest: &[String]) -> Vec<OsString> {
    prefix
        .iter()
        .map(OsString::from)
        .chain(rest.iter().map(OsString::from))
        .collect()
}

/// `text` quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
