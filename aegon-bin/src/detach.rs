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
//!
//! A command line can be read by every user of the machine (`ps`, `/proc/PID/cmdline`), so
//! variables that hold credentials ([`is_secret`]: `OTEL_EXPORTER_OTLP_HEADERS` carries API
//! keys) are not put on it. On Unix they are written to a file only its owner can read
//! (mode 0600, created new, in `$XDG_RUNTIME_DIR` or the temporary folder), whose path the
//! new process is given in [`ENV_FILE`]; it reads the file, deletes it and sets them
//! ([`take_env_file`]) before anything else. Elsewhere they are passed as the others are.

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
    let (public, secret): (Vec<_>, Vec<_>) = std::env::vars_os()
        .filter(|(name, _)| is_passed(name))
        .partition(|(name, _)| !is_secret(name));
    let mut file = None;
    let mut vars = public;
    if !secret.is_empty() {
        match write_env_file(&secret) {
            Some(path) => {
                vars.push((ENV_FILE.into(), path.clone().into_os_string()));
                file = Some(path);
            }
            None => vars.extend(secret),
        }
    }
    let command = with_environment(vars, command);
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
    if let Some(path) = file {
        // No window will read it.
        let _ = std::fs::remove_file(path);
    }
    warn("--detached: no terminal window to open the dashboard in (run inside tmux or screen, or set TERMINAL to your terminal emulator); run it here without --detached");
    ExitCode::from(2)
}

/// The variable that gives the new window's process the path of the file holding the
/// variables kept off its command line (see the module docs).
pub const ENV_FILE: &str = "AEGON_DETACHED_ENV";

/// True for a variable [`PASSED`] or [`PASSED_PREFIXES`] names (never [`ENV_FILE`] itself).
fn is_passed(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| {
        n != ENV_FILE && (PASSED.contains(&n) || PASSED_PREFIXES.iter().any(|p| n.starts_with(p)))
    })
}

/// True for a variable that may hold a credential, kept off the new window's command line:
/// OpenTelemetry's `*_HEADERS` (`OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY`), and any
/// name that says key, token, secret, password or auth.
fn is_secret(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_uppercase();
    name.ends_with("_HEADERS")
        || ["KEY", "TOKEN", "SECRET", "PASSWORD", "AUTH"]
            .iter()
            .any(|w| name.contains(w))
}

/// `vars` as the file [`take_env_file`] reads: `NAME=VALUE` entries, each ended by a NUL
/// byte (a name has no `=` nor NUL, a value no NUL).
#[cfg(unix)]
fn encode_env(vars: &[(OsString, OsString)]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    for (name, value) in vars {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

/// The entries of a file [`encode_env`] wrote; an entry without `=` or with an empty name is
/// skipped.
#[cfg(unix)]
fn decode_env(bytes: &[u8]) -> Vec<(OsString, OsString)> {
    use std::os::unix::ffi::OsStrExt;
    bytes
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=')?;
            (eq > 0).then(|| {
                (
                    std::ffi::OsStr::from_bytes(&entry[..eq]).to_owned(),
                    std::ffi::OsStr::from_bytes(&entry[eq + 1..]).to_owned(),
                )
            })
        })
        .collect()
}

/// Writes `vars` to a new file only its owner can read, in `$XDG_RUNTIME_DIR` (a folder of
/// the user's own) or else the temporary folder; its path, or `None` when it cannot be
/// written (the variables are then passed on the command line, as before, and a warning says
/// so).
#[cfg(unix)]
fn write_env_file(vars: &[(OsString, OsString)]) -> Option<std::path::PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty() && std::path::Path::new(d).is_dir())
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let bytes = encode_env(vars);
    let mut last = None;
    for attempt in 0..8u32 {
        let path = dir.join(format!(
            "aegon-detached-{}-{:08x}.env",
            std::process::id(),
            nanos.wrapping_add(attempt)
        ));
        // `create_new`: never an existing file or a symlink planted there.
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match opened {
            Ok(mut file) => {
                if let Err(e) = file.write_all(&bytes) {
                    let _ = std::fs::remove_file(&path);
                    last = Some(e);
                    break;
                }
                return Some(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    let why = last.map_or_else(|| "no free name".to_owned(), |e| e.to_string());
    warn(&format!(
        "--detached: cannot write a private file in {} ({why}): credentials such as OTEL_EXPORTER_OTLP_HEADERS go on the new window's command line",
        dir.display()
    ));
    None
}

#[cfg(not(unix))]
fn write_env_file(_: &[(OsString, OsString)]) -> Option<std::path::PathBuf> {
    None
}

/// In the process `--detached` started: when [`ENV_FILE`] names a file, reads the variables
/// it holds, deletes it and sets them, then unsets [`ENV_FILE`]. Called first thing in
/// `main`, while the process has one thread (setting variables is not thread-safe). A file
/// that is missing, is not a regular file, or can be read by others is not used (a warning
/// says why): the dashboard then runs without those variables.
pub fn take_env_file() {
    let Some(path) = std::env::var_os(ENV_FILE) else {
        return;
    };
    std::env::remove_var(ENV_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = std::path::PathBuf::from(path);
        // Only a file `--detached` wrote is read and deleted: never another file the
        // variable was pointed at.
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("aegon-detached-") && n.ends_with(".env"));
        let read = std::fs::symlink_metadata(&path).and_then(|meta| {
            if !ours || !meta.file_type().is_file() || meta.permissions().mode() & 0o077 != 0 {
                return Err(std::io::Error::other(
                    "not a file --detached wrote (aegon-detached-*.env, readable by its owner alone)",
                ));
            }
            let bytes = std::fs::read(&path)?;
            let _ = std::fs::remove_file(&path);
            Ok(bytes)
        });
        match read {
            Ok(bytes) => {
                for (name, value) in decode_env(&bytes) {
                    if is_passed(&name) {
                        std::env::set_var(name, value);
                    }
                }
            }
            Err(e) => warn(&format!(
                "{ENV_FILE}: {}: {e}; going on without the variables it held",
                path.display()
            )),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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
/// each of `vars` that [`PASSED`] or [`PASSED_PREFIXES`] names (or [`ENV_FILE`]), as
/// `NAME=VALUE`.
fn with_environment(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    command: Vec<OsString>,
) -> Vec<OsString> {
    let vars: Vec<(OsString, OsString)> = vars
        .into_iter()
        .filter(|(name, _)| is_passed(name) || name == ENV_FILE)
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

    #[test]
    fn credentials_are_told_by_their_names() {
        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            "AEGON_API_KEY",
            "OTEL_EXPORTER_OTLP_TOKEN",
            "AEGON_SECRET",
            "OTEL_EXPORTER_OTLP_PASSWORD",
            "otel_exporter_otlp_headers",
        ] {
            assert!(is_secret(OsString::from(name).as_os_str()), "{name}");
        }
        for name in [
            "HOME",
            "CLAUDE_CONFIG_DIR",
            "AEGON_DATA_DIR",
            "OTEL_SERVICE_NAME",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_RESOURCE_ATTRIBUTES",
            "TZ",
        ] {
            assert!(!is_secret(OsString::from(name).as_os_str()), "{name}");
        }
        // The file's own variable is never passed on as a variable aegon reads.
        assert!(!is_passed(OsString::from(ENV_FILE).as_os_str()));
        assert!(is_passed(OsString::from("AEGON_DATA_DIR").as_os_str()));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_gives_back_every_variable_byte_for_byte() {
        use std::os::unix::ffi::OsStringExt;
        let vars = vec![
            (
                OsString::from("OTEL_EXPORTER_OTLP_HEADERS"),
                OsString::from("x-honeycomb-team=KEY,authorization=Bearer a=b"),
            ),
            (OsString::from("AEGON_EMPTY"), OsString::new()),
            // Not UTF-8: a path as Unix allows it.
            (
                OsString::from("AEGON_DATA_DIR"),
                OsString::from_vec(b"/tmp/\xff\xfe=dir".to_vec()),
            ),
        ];
        assert_eq!(decode_env(&encode_env(&vars)), vars);
        // Entries without a name or without `=` are skipped, not misread.
        assert_eq!(
            decode_env(b"=x\0NONAME\0A=1\0\0"),
            vec![(OsString::from("A"), OsString::from("1"))]
        );
    }
}
