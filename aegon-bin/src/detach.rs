//! `--detached`: the same command, without `--detached`, in a new terminal window.
//!
//! Where one can be found, in this order: a new tmux window (inside tmux), a new screen
//! window (inside GNU screen), `$TERMINAL -e`, then the usual terminal emulators of a
//! graphical session (`DISPLAY` or `WAYLAND_DISPLAY` set); on macOS, Terminal.app.
//!
//! The new window does not start with this process's environment: tmux and screen start it
//! with their server's (the one they had when the server started), Terminal.app and
//! GNOME Terminal with their own. So the command runs under `env`, given the variables aegon
//! reads ([`PASSED`], [`PASSED_PREFIXES`]) as they are here, and told to unset those of
//! [`PASSED`] that are not set here: `CLAUDE_CONFIG_DIR=/tmp/x aegon watch --detached` watches
//! `/tmp/x` in the new window too. (`env` rather than tmux's `new-window -e`: tmux 3.0 and
//! later only, and every launcher needs the same.)

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
    let command = with_environment(std::env::vars_os(), command);
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

/// The variables aegon reads that name where things are or how to show them: the home
/// folder, Claude Code's and the other agents' folders, the usage index's, colour, the time
/// zone of the usage reports. `TERM` and `COLUMNS` are not passed: they belong to the new
/// window's terminal.
pub const PASSED: &[&str] = &[
    "HOME",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "XDG_DATA_HOME",
    "AEGON_DATA_DIR",
    "NO_COLOR",
    "TZ",
];

/// Every variable whose name starts with one of these is passed too: aegon's own, and
/// OpenTelemetry's (`--otlp-export` reads `OTEL_EXPORTER_OTLP_*`, `OTEL_SERVICE_NAME`, …).
pub const PASSED_PREFIXES: &[&str] = &["AEGON_", "OTEL_"];

/// `command` run under `env`: each variable of [`PASSED`] not set in `vars` unset (`-u`), then
/// each of `vars` that [`PASSED`] or [`PASSED_PREFIXES`] names, as `NAME=VALUE`.
fn with_environment(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    command: Vec<OsString>,
) -> Vec<OsString> {
    let vars: Vec<(OsString, OsString)> = vars
        .into_iter()
        .filter(|(name, _)| {
            name.to_str().is_some_and(|n| {
                PASSED.contains(&n) || PASSED_PREFIXES.iter().any(|p| n.starts_with(p))
            })
        })
        .collect();
    let mut out = vec![OsString::from("env")];
    for name in PASSED {
        if !vars.iter().any(|(n, _)| n == name) {
            out.push("-u".into());
            out.push(name.into());
        }
    }
    for (name, value) in vars {
        let mut pair = name;
        pair.push("=");
        pair.push(value);
        out.push(pair);
    }
    out.extend(command);
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_runs_with_the_variables_aegon_reads() {
        let os = |s: &str| OsString::from(s);
        let vars = [
            ("HOME", "/home/me"),
            ("CLAUDE_CONFIG_DIR", "/tmp/x y"),
            ("AEGON_DATA_DIR", "/tmp/a=b"),
            ("OTEL_SERVICE_NAME", "svc"),
            ("PATH", "/bin"),
            ("TERM", "xterm"),
            ("COLUMNS", "80"),
        ]
        .map(|(n, v)| (os(n), os(v)));
        let got = with_environment(vars, vec![os("/bin/aegon"), os("watch")]);
        let want = [
            "env",
            "-u",
            "CODEX_HOME",
            "-u",
            "XDG_DATA_HOME",
            "-u",
            "NO_COLOR",
            "-u",
            "TZ",
            "HOME=/home/me",
            "CLAUDE_CONFIG_DIR=/tmp/x y",
            "AEGON_DATA_DIR=/tmp/a=b",
            "OTEL_SERVICE_NAME=svc",
            "/bin/aegon",
            "watch",
        ]
        .map(os);
        assert_eq!(got, want);
    }
}
