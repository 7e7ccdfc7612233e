//! Helpers shared by the integration tests: where the repository and its fixtures are.
#![allow(dead_code)] // each test binary uses some of them

pub mod tmux;
// The temporary folders of the whole workspace's tests (aegon-lib's tests include it too).
#[path = "../../../aegon-lib/tests/support/temp_dir.rs"]
mod temp;

pub use temp::{temp_dir, TempDir};

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    aegon_stdout_if(args, |out| out.status.success())
}

/// Runs the built `aegon` with `args`; asserts `ok` of its output (else shows its stderr) and
/// returns its stdout.
fn aegon_stdout_if<I, S>(args: I, ok: impl Fn(&std::process::Output) -> bool) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_aegon"))
        .args(args)
        .output()
        .expect("run aegon");
    assert!(ok(&out), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// [`aegon_stdout`] for a run that may also exit with 1 only to say that usage a session names
/// was not read (a subagent or a workflow run whose transcript is not among the inputs: the
/// fixtures keep one of austinweitao 3e89eb15's three workflow runs); returns its stdout.
pub fn aegon_stdout_lower_bound<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    aegon_stdout_if(args, |out| {
        let unread = String::from_utf8_lossy(&out.stderr)
            .lines()
            .all(|l| l.contains("no line of") && l.contains("was read"));
        out.status.success() || (out.status.code() == Some(1) && unread)
    })
}

/// Whether a test's child must read all of the input [`feed_stdin`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// It reads to the end: a write that fails (the child closed its stdin early) fails the test.
    All,
    /// It may exit before reading it all (a usage error, an input refused at its start, an
    /// output closed by its reader): stdin closed early (a broken pipe) is no failure; any
    /// other write error still is.
    MaybeNotAll,
}

/// The thread writing a child's stdin, from [`feed_stdin`]; [`Feeder::finish`] says how it went.
#[must_use = "finish() fails the test when the child did not read its input"]
pub struct Feeder {
    thread: std::thread::JoinHandle<std::io::Result<()>>,
    reads: Reads,
}

impl Feeder {
    /// Waits for the writer (call it once the child has exited or closed its stdin); panics
    /// when the write failed in a way [`Reads`] does not allow.
    pub fn finish(self) {
        match self.thread.join().expect("the stdin writer panicked") {
            Ok(()) => {}
            Err(e)
                if self.reads == Reads::MaybeNotAll
                    && e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                panic!("writing the child's stdin failed ({e}): it stopped reading its input")
            }
        }
    }
}

/// Writes `input` to the child's piped stdin from a thread, then closes it (end of input). A
/// thread, so that a child writing much output before it has read all its input cannot
/// deadlock with a test that reads that output only after the write.
pub fn feed_stdin(child: &mut Child, input: impl Into<Vec<u8>>, reads: Reads) -> Feeder {
    let mut pipe = child.stdin.take().expect("the child's stdin is piped");
    let input = input.into();
    let thread = std::thread::spawn(move || pipe.write_all(&input));
    Feeder { thread, reads }
}

/// Whether `aegon usage` (or `aegon --summary`) read everything it was given and found no
/// problem but usage it knows was not read: exit status 0, or 1 with every stderr line a note
/// that a subagent or workflow run a session names had no line read (the corpus holds one
/// such session: austinweitao's 3e89eb15, two of whose three workflow runs left no agent's
/// transcript).
pub fn read_all_but_named(out: &Output) -> bool {
    let err = String::from_utf8_lossy(&out.stderr);
    let uncounted = err
        .lines()
        .all(|l| l.contains("no line of") && l.contains("read"));
    out.status.success() || (out.status.code() == Some(1) && uncounted)
}

/// Runs `command` with `input` on its stdin ([`feed_stdin`]) and its stdout and stderr
/// captured; the write checked as `reads` says.
pub fn output_with_stdin(command: &mut Command, input: impl Into<Vec<u8>>, reads: Reads) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn aegon");
    let feeder = feed_stdin(&mut child, input, reads);
    let out = child.wait_with_output().expect("wait for aegon");
    feeder.finish();
    out
}

/// Appends `text` to the file at `path`, creating it if need be.
pub fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for appending")
        .write_all(text.as_bytes())
        .expect("append");
}

/// A running `aegon` (`-f`, `watch`) whose stdout lines arrive on a channel, read by a
/// thread as they come; killed when dropped.
pub struct Running {
    /// The process.
    pub child: Child,
    /// Its stdout, a line at a time.
    pub lines: mpsc::Receiver<String>,
}

impl Running {
    /// Spawns `command` with its stdout piped to [`Running::lines`].
    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).spawn().expect("spawn aegon");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next `n` `user_prompt` events of NDJSON output, other lines passed over (fails
    /// after 10 s).
    pub fn prompt_events(&self, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = Vec::new();
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("only {got:?} of {n} prompts arrived"));
            let v: serde_json::Value = serde_json::from_str(&line).expect("an NDJSON line");
            if v["kind"] == "user_prompt" {
                got.push(v);
            }
        }
        got
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator (xorshift), so that a failing case of a property test can
/// be replayed from its seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (not 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index below `n` (not 0).
    pub fn pick(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}

/// The real Claude Code 2.1.39 session with two subagents in fixtures/corpus (from
/// marot/spotter): its id.
pub const SUBAGENTS_SESSION: &str = "258c7280-ae70-4798-800f-63464d01a85d";

/// One file of that session by the suffix of its fixture name: `""` for the session's own file,
/// `"__subagents__agent-a881341"` for a subagent's.
pub fn subagents_session_fixture(suffix: &str) -> PathBuf {
    fixture(&format!(
        "marot__spotter__test__fixtures__transcripts__{SUBAGENTS_SESSION}{suffix}.jsonl"
    ))
}

/// That session laid out in a fresh data folder: `-p/SESSION.jsonl` beside
/// `-p/SESSION/FOLDER/agent-*.jsonl` (`subagents`, as Claude Code writes it, or another folder).
pub struct SessionWithSubagents {
    /// The data folder (removed when dropped).
    pub data: TempDir,
    /// `-p`, the project folder.
    pub project: PathBuf,
    /// `SESSION/FOLDER`.
    pub agents: PathBuf,
    /// The session's own file.
    pub main: PathBuf,
    /// The two subagents' files.
    pub subagents: Vec<PathBuf>,
}

/// [`SessionWithSubagents`] in a fresh temporary folder named after `name`, the subagents in
/// `SESSION/folder/`.
pub fn session_with_subagents(name: &str, folder: &str) -> SessionWithSubagents {
    let data = temp_dir(name);
    let project = data.join("-p");
    let agents = project.join(SUBAGENTS_SESSION).join(folder);
    std::fs::create_dir_all(&agents).unwrap();
    let main = project.join(format!("{SUBAGENTS_SESSION}.jsonl"));
    std::fs::copy(subagents_session_fixture(""), &main).unwrap();
    let mut subagents = Vec::new();
    for agent in ["agent-a881341", "agent-acompact-fffbd0"] {
        let to = agents.join(format!("{agent}.jsonl"));
        std::fs::copy(
            subagents_session_fixture(&format!("__subagents__{agent}")),
            &to,
        )
        .unwrap();
        subagents.push(to);
    }
    SessionWithSubagents {
        data,
        project,
        agents,
        main,
        subagents,
    }
}

/// The binary with `args`, its usage index in `data` (`AEGON_DATA_DIR`) and nothing of the
/// machine's read by default: no home, Codex or XDG data folder, a Claude Code folder that does
/// not exist, `NO_COLOR` unset, stdin empty.
pub fn aegon_isolated(data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aegon"));
    c.args(args)
        .env("AEGON_DATA_DIR", data)
        .env("HOME", "/nonexistent-aegon-home")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("CLAUDE_CONFIG_DIR", data.join("no-claude-here"))
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    c
}

/// A session resumed into a new one, as Claude Code writes it (bugs/08 at full size), in
/// `project`: `a45c4be1-….jsonl`, the real session in fixtures/corpus (Yael-Peretz, 956 lines,
/// 2026-06-16), and `cccccccc-….jsonl`, its first 400 lines copied under the new session id
/// (same uuids, message ids) followed by the new session's own work: the real
/// leolin84200704 session (1,338 lines) moved to 2026-06-17 and given the new id; that own
/// work alone also in `own_alone` (a file out of the folders read). Returns (original,
/// resumed).
pub fn resumed_pair(project: &Path, own_alone: &Path) -> (PathBuf, PathBuf) {
    const ORIGINAL: &str = "a45c4be1-aecf-446c-936c-788f3e331a16";
    const RESUMED: &str = "cccccccc-0000-4000-8000-000000000001";
    std::fs::create_dir_all(project).unwrap();
    let original_text = std::fs::read_to_string(fixture(
        "Yael-Peretz__jgive-campaign-donation__transcript.jsonl",
    ))
    .unwrap();
    let copied: String = original_text
        .lines()
        .take(400)
        .map(|l| l.replace(ORIGINAL, RESUMED) + "\n")
        .collect();
    let own = std::fs::read_to_string(fixture(
        "leolin84200704__posthog-impact-dashboard__claude-session.jsonl",
    ))
    .unwrap()
    .replace("0c182e15-59de-4856-8a94-00f26880354c", RESUMED)
    .replace("\"2026-04-26T", "\"2026-06-17T");
    let original = project.join(format!("{ORIGINAL}.jsonl"));
    let resumed = project.join(format!("{RESUMED}.jsonl"));
    std::fs::write(&original, original_text).unwrap();
    std::fs::write(&resumed, copied + &own).unwrap();
    std::fs::write(own_alone, own).unwrap();
    (original, resumed)
}

/// Sets `path`'s modification time to `secs` seconds ago.
pub fn written_ago(path: &Path, secs: u64) {
    let then = std::time::SystemTime::now() - Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}
