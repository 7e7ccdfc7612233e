//! The usage ledger: a durable, incremental index of every API response in the transcripts
//! (feature `ledger`).
//!
//! Claude Code deletes transcripts older than `cleanupPeriodDays` (30 by default), and reading
//! gigabytes again on every status-line refresh is far too slow; the ledger keeps what was read
//! in SQLite (through `rusqlite`, SQLite compiled in), in the user's data directory
//! ([`default_path`]).
//!
//! - **Incremental.** Per transcript file it keeps the device, inode, bytes consumed and the
//!   line number there. An update parses only what was appended since ([`crate::Pipeline::start_at`]);
//!   a partial last line is not consumed (unless it is already a whole JSON value, or holds
//!   crash padding, a byte no writer writes: then it is read, and the newline that follows
//!   later is skipped). A file shorter than what was consumed
//!   (truncated), with another inode (replaced), or whose up to 4 KiB before what was consumed
//!   changed (written over in place: [`Reread::Overwritten`]; a fingerprint of them is kept,
//!   so the check is one small read), or that was modified after its row was written without
//!   growing (written over in place further back, at the same size: its modification time,
//!   from the metadata read anyway) is read again from its start, and what the earlier
//!   readings found in it is replaced by what it holds now, in the transaction that records the
//!   new reading (a response also read from another file stays, as that file's): a file on
//!   disk counts what it holds, as a read without the index counts it. A deleted file keeps
//!   its history. What left the index that way (responses its earlier readings counted that
//!   no file holds now) is recorded in the transaction that finishes the read again, by
//!   whichever run makes it (the status line too), and given to the next run that says it,
//!   once ([`Ledger::take_dropped`]).
//! - **Once per response.** Rows are keyed by the response's identity ([`collect::response_key`],
//!   the correlator's rule) and merged field by field with the maximum, so re-reading, resumed
//!   copies of a session and moved files never count twice. A response belongs to the file
//!   where it was first indexed, and each other file it was read from is noted, so a report
//!   over some paths holds every response written in them, as a read of those files alone
//!   does; the session it counts in is decided at report time by
//!   `--summary`'s rule ([`collect::first_occurred`], over each session's first and last line
//!   and the other sessions the response was written in), never by indexing order.
//! - **One file, one row.** Folders and files named are resolved ([`canonical`]); a file
//!   reached by another path (a link) is matched by device and inode to the row of the path
//!   that still leads to it.
//! - **In steps.** A line-based file is read and committed in steps of [`STEP`] bytes (8 MiB),
//!   each ending at a line's end and recorded as the point the next read starts from, as an
//!   appended file's end is: a big file's update that is stopped ([`Ledger::update_until`]'s
//!   deadline, a kill) keeps its steps, and the next update reads on from the last one, with
//!   no line read twice or skipped. Files read whole (documents, formats that need their
//!   earlier lines) are one step.
//! - **Safe.** WAL mode and a busy timeout let several processes (several status lines) write
//!   at once; each step's rows and its progress are committed in one transaction, so a killed
//!   process leaves the index as it was before that step, or after it. Every write is
//!   idempotent, so two processes indexing the same bytes give the same rows.
//! - **Never silently wrong.** A file that is not an aegon index or is corrupt is reported,
//!   moved aside (`*.unusable-<ms>`, never deleted) and rebuilt
//!   from the transcripts that remain ([`Ledger::open`]; damage met by any later query takes
//!   the same path, [`Ledger::repair`]); from a damaged one, what it can still
//!   be read for is copied first ([`salvage`]; a transcript on disk replaces its rows when
//!   read again), and while
//!   something of them may be missing every report can say so ([`Ledger::damage`]). The
//!   rebuild is one process's at a time (a lock beside the index) and puts the whole new
//!   index in place in one transaction: killed at any moment, it leaves the damaged index
//!   (rebuilt again by the next run) or the new one with its record, never a half-made one;
//!   a copy it had set aside of an index still there is removed by the next run, so the one
//!   copy left is the one the record names (`*.setting-aside` names it meanwhile).
//! - **Newer builds' indexes kept.** An index written by a newer aegon is never moved aside
//!   or migrated: by its compatibility record ([`schema`]) this build uses it as its own,
//!   reports from it without writing ([`Ledger::read_only`]), or refuses it
//!   ([`Error::Newer`]), leaving it as it is.
//! - **Whole in one file.** A run that wrote checkpoints the WAL as the ledger is dropped, so
//!   `usage.sqlite3` alone holds the index (what a user copies as a backup).
//!
//! - **Priced as billed, at report time.** Each row keeps its response's price factors (speed,
//!   service tier, inference geo, prompt size) and time; [`Ledger::entries`] prices every
//!   response as a request of its own with the [`Pricing`] table given, at the rates of the
//!   response's time ([`Pricing::request_cost_at`]; no time: the current rates), rounded to
//!   the picodollar, exactly as the session core does: report totals equal `--summary`'s, and
//!   a corrected or user-supplied price applies to all history it dates. A dropped response
//!   ([`Ledger::take_dropped`]) has no recorded time: it is priced at the current rates.
//!
//! Reports over the rows are in [`crate::usage`].

pub mod collect;
pub mod salvage;
pub mod schema;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::pipeline::{Options, Pipeline};
use crate::session::named::{self as named_flag, NamedKind};
use crate::session::pricing::{to_pico, Pricing};
use crate::session::{workflow_run_of_path, Named};
use crate::timestamp::now_ms;
use crate::tokens::{PriceFactors, Tokens};
use crate::usage::ModelTotals;
use collect::{Collector, LimitHit, Response, ToolUse};
pub use salvage::Damage;

/// File name of the index inside the data directory.
pub const FILE_NAME: &str = "usage.sqlite3";

/// How long a writer waits for another one before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Between a limit message's key and the id of the file it was read from, in `limit_hits`
/// keys (a record separator: in neither a uuid nor the file-and-offset key).
const HIT_FILE: char = '\u{1e}';

/// How long a process that met a damaged index waits for another one's rebuild of it (the
/// rebuild lock), when it waits [`BUSY_TIMEOUT`] for SQLite's locks: a rebuild copies and reads
/// the whole index. A caller with a shorter budget ([`Ledger::open_waiting`]) waits that.
pub const REBUILD_WAIT: Duration = Duration::from_secs(60);

/// Bytes read from a transcript at a time.
const CHUNK: usize = 256 << 10;

/// Bytes read at a time while a deadline is set ([`Ledger::update_until`]), 64 KiB: the
/// deadline is looked at before each piece is pushed, so a read stops at most one piece (and
/// the rest of a line) past it.
const DEADLINE_CHUNK: usize = 64 << 10;

/// Bytes of a line-based transcript (Claude's, Qwen's) read and committed in one transaction,
/// 8 MiB: a big file is indexed in steps, each committed with the point it stopped at (a
/// line's end), so an update that is stopped (a deadline, a kill) keeps what it did and the
/// next one goes on from there, as it goes on from where an appended file ended. A step ends
/// at the first line end at or past this many bytes (a longer line is read whole).
pub const STEP: u64 = 8 << 20;

/// Environment variable that sets the step in bytes instead of [`STEP`] (at least 1; for tests
/// and tuning: a smaller step commits more often and reads in smaller pieces, never changes a
/// figure).
pub const STEP_ENV: &str = "AEGON_INDEX_STEP_BYTES";

/// [`STEP_ENV`] when set to a positive number, else [`STEP`].
fn step_from_env() -> u64 {
    std::env::var(STEP_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(STEP)
}

/// Where a read of a line-based file may stop before the file's end: past `bytes` bytes, or
/// once `deadline` has passed; always at a line's end, after at least one chunk (a step smaller
/// than [`CHUNK`] is read in chunks of its size; with a deadline, in [`DEADLINE_CHUNK`]s).
#[derive(Debug, Clone, Copy)]
struct Cut {
    bytes: u64,
    deadline: Option<Instant>,
}

/// What went wrong with the index.
#[derive(Debug)]
pub enum Error {
    /// SQLite refused (locked past the timeout, disk full, corrupt, …).
    Sqlite(rusqlite::Error),
    /// A file could not be read or the data directory made.
    Io(io::Error),
    /// No data directory is known (no `HOME`) and `AEGON_DATA_DIR` is not set.
    NoDataDir,
    /// The index at `path` was written by a newer aegon (schema `version`) that this build
    /// cannot read (`why`: its compatibility record says so, or a table or column this build
    /// reads is not there), or migrated by one while this build was writing it, past what this
    /// build may write; the file is left as it is ([`schema::Compat`]).
    Newer {
        /// The index.
        path: PathBuf,
        /// Its schema version (`PRAGMA user_version`).
        version: i32,
        /// Why this build cannot read it.
        why: String,
    },
}

impl Error {
    /// Whether another process held the lock past the busy timeout (SQLite's `SQLITE_BUSY`
    /// or `SQLITE_LOCKED`): the index is fine, only not available now.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
        )
    }

    /// Whether the index was written by a newer aegon that this build cannot read
    /// ([`Error::Newer`]): history it holds is missing from what this build reports.
    pub fn is_newer(&self) -> bool {
        matches!(self, Error::Newer { .. })
    }

    /// Whether the error says the index is damaged: SQLite finds the file corrupt
    /// (`SQLITE_CORRUPT`) or not a database (`SQLITE_NOTADB`), or a table this build made is
    /// not there ("no such table", [`Error::is_missing_table`]), at open or in any later query.
    /// Every such error takes one path: [`Ledger::repair`], which looks again under the rebuild
    /// lock and moves the index aside and rebuilds it when it is still the one found damaged.
    pub fn is_corrupt(&self) -> bool {
        self.is_missing_table()
            || matches!(
                self,
                Error::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
            )
    }

    /// Whether SQLite said a table is not there ("no such table"): in an index whose schema
    /// was whole when opened, another file took its place or its schema is damaged.
    pub fn is_missing_table(&self) -> bool {
        matches!(
            self,
            Error::Sqlite(rusqlite::Error::SqliteFailure(_, Some(m))) if m.starts_with("no such table")
        )
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Sqlite(e) => write!(f, "usage index: {e}"),
            Error::Io(e) => write!(f, "usage index: {e}"),
            Error::NoDataDir => write!(
                f,
                "usage index: no data directory (HOME is not set); set AEGON_DATA_DIR"
            ),
            Error::Newer { path, version, why } => write!(
                f,
                "usage index: {}: written by a newer aegon (schema {version}) that this one \
                 (schema {}) cannot use: {why}; the file is left as it is: use the newer aegon",
                path.display(),
                schema::VERSION
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// Where the index lives: `$AEGON_DATA_DIR/usage.sqlite3` when that is set, else in the
/// platform's data directory: `$XDG_DATA_HOME/aegon` or `~/.local/share/aegon` on Linux,
/// `~/Library/Application Support/aegon` on macOS, `%APPDATA%\aegon\data` on Windows (the
/// `directories` crate's `ProjectDirs::data_dir`).
pub fn default_path() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("AEGON_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(FILE_NAME));
    }
    directories::ProjectDirs::from("", "", "aegon")
        .map(|d| d.data_dir().join(FILE_NAME))
        .ok_or(Error::NoDataDir)
}

/// Why a file is read again from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    /// It is shorter than what was consumed.
    Truncated,
    /// It has another device or inode (rotated, re-created, or replaced by a copy).
    Replaced,
    /// It is read whole each time (a JSON document, which its agent rewrites, or a format
    /// whose lines need earlier ones: `Format::read_from_start`), and its size changed.
    Rewritten,
    /// It is the same file (device and inode) and not shorter, but the up to 4 KiB before what
    /// was consumed changed: written over in place (`cp` onto it, restored from a copy). A
    /// change only before those bytes is not seen (that would take reading all of them).
    Overwritten,
}

impl Reread {
    /// Its name in the index (`dropped_responses.why`).
    fn as_str(self) -> &'static str {
        match self {
            Reread::Truncated => "truncated",
            Reread::Replaced => "replaced",
            Reread::Rewritten => "rewritten",
            Reread::Overwritten => "overwritten",
        }
    }

    /// The reason named `name` ([`Reread::as_str`]), if it is one.
    fn from_name(name: &str) -> Option<Reread> {
        [
            Reread::Truncated,
            Reread::Replaced,
            Reread::Rewritten,
            Reread::Overwritten,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// One response a file held that a read of it from its start no longer found (and no other
/// file holds): it left the index, so every report ([`Dropped`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedResponse {
    /// Its model (`None`: not known, priced as `unknown`).
    pub model: Option<String>,
    /// Its tokens as the index held them.
    pub tokens: Tokens,
    /// Its price factors (`None`: indexed before they were recorded, priced without them).
    pub factors: Option<PriceFactors>,
    /// An API call (false: usage only, as [`Entry::call`]).
    pub call: bool,
    /// Its usage was not read whole (`responses.unread`): its cost is unknown.
    pub unread: bool,
}

/// Responses that a file read again from its start ([`Reread`]) held at its earlier readings
/// and no longer holds, and no other file holds: by the rule that a file on disk counts what
/// it holds they left the index, and so every report. Said by the caller (it is history
/// that was counted before), never silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The file, as the index keys it.
    pub path: String,
    /// Why it was read again.
    pub why: Reread,
    /// The responses it no longer holds.
    pub responses: Vec<DroppedResponse>,
}

impl Dropped {
    /// The API calls among the responses.
    pub fn calls(&self) -> u64 {
        self.responses.iter().filter(|r| r.call).count() as u64
    }

    /// Their cost in picodollars priced with `pricing` as [`Ledger::entries`] prices rows
    /// (each a request of its own), and whether some of them have no price (then the cost is
    /// a lower bound).
    pub fn cost_pico(&self, pricing: &Pricing) -> (u128, bool) {
        let mut sum = 0u128;
        let mut unpriced = false;
        for r in &self.responses {
            let model = r.model.as_deref().unwrap_or("unknown");
            // The time of a dropped response is not recorded: the current rates. Usage not
            // read whole has no known cost.
            let cost = response_cost(pricing, model, &r.tokens, r.factors.as_ref(), None)
                .filter(|_| !r.unread);
            match cost {
                Some(c) => sum = sum.saturating_add(c),
                None => unpriced = true,
            }
        }
        (sum, unpriced)
    }

    /// The note that says it, naming the file `shown`: `FILE: shorter than when it was
    /// indexed: 3 API calls ($0.01) it held before are no longer in it and left the reports
    /// (a file counts what it holds now)`. Amounts as every report shows them
    /// ([`crate::render::text::usd_at_least`]).
    pub fn note(&self, shown: &Path, pricing: &Pricing) -> String {
        let why = match self.why {
            Reread::Truncated => "shorter than when it was indexed",
            Reread::Replaced => "replaced by another file since it was indexed",
            Reread::Rewritten => "rewritten since it was indexed",
            Reread::Overwritten => "written over since it was indexed",
        };
        let calls = self.calls();
        let what = if calls == self.responses.len() as u64 {
            format!("{calls} API call{}", if calls == 1 { "" } else { "s" })
        } else {
            format!(
                "{} responses ({calls} API call{})",
                self.responses.len(),
                if calls == 1 { "" } else { "s" }
            )
        };
        let (pico, unpriced) = self.cost_pico(pricing);
        format!(
            "{}: {why}: {what} ({}) it held before {} no longer in it and left the reports \
             (a file counts what it holds now)",
            shown.display(),
            crate::render::text::usd_at_least_pico(pico, unpriced),
            if self.responses.len() == 1 {
                "is"
            } else {
                "are"
            },
        )
    }
}

/// What [`Ledger::update_file`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileUpdate {
    /// Nothing new since the last read.
    Unchanged,
    /// Read `bytes` new bytes (from the start when `reread` says why).
    Read {
        /// Bytes read.
        bytes: u64,
        /// Why it was read from the start again, if it was.
        reread: Option<Reread>,
    },
    /// Not a regular file (or gone): nothing read.
    Missing,
}

/// Counters of one [`Ledger::update`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UpdateStats {
    /// Transcript files looked at.
    pub files: u64,
    /// Files with new bytes.
    pub files_read: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Files read again from their start, with why.
    pub rereads: Vec<(String, Reread)>,
    /// Of those, the ones that no longer hold responses their earlier readings had counted,
    /// with those responses (which left the index). Only for files read to their end in this
    /// update (a read again stopped by a deadline is not weighed). They are also recorded in
    /// the index, to be said once by whichever run takes them ([`Ledger::take_dropped`]).
    pub dropped: Vec<Dropped>,
    /// Files known to the index under the roots that are gone from disk (history kept).
    pub gone: u64,
    /// The index's ids of the files looked at (a file known under another spelling of its
    /// path, through a link, by that row's id): what [`Scope::Paths`]`::ids` takes.
    pub file_ids: Vec<i64>,
    /// Files left unread, or read in part, when the deadline of [`Ledger::update_until`]
    /// came: 0 when the index holds everything the files held (always, without a deadline).
    pub pending_files: u64,
    /// Their bytes not read yet (each file's size less what the index consumed of it; the
    /// whole size for a file unknown to it or to be read again from its start).
    pub pending_bytes: u64,
    /// When files are pending: the size of all the files listed, in bytes (the index holds
    /// about `1 - pending_bytes / total_bytes` of them). 0 when nothing is pending.
    pub total_bytes: u64,
}

impl UpdateStats {
    /// Whether the index holds everything the files held: nothing pending.
    pub fn complete(&self) -> bool {
        self.pending_files == 0
    }
}

/// Lines of transcripts that could not be read as records (not JSON, truncated, over-long,
/// binary): whatever usage they held is missing from reports. A line read with its invalid
/// UTF-8 replaced by U+FFFD is read, not counted here. The same tally counts the lines read
/// with a problem in their usage ([`Entries::partly`]), whose usage is counted only in part.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unread {
    /// Lines lost.
    pub lines: u64,
    /// Files holding at least one of them.
    pub files: u64,
    /// The first of them, as `FILE:LINE: byte OFFSET: message` (the filter reports a
    /// malformed line in the same form).
    pub first: Option<String>,
}

impl Unread {
    /// Adds `other`'s lines and files; keeps this one's first, else takes `other`'s.
    pub fn add(&mut self, other: Unread) {
        self.lines += other.lines;
        self.files += other.files;
        if self.first.is_none() {
            self.first = other.first;
        }
    }
}

/// How `responses.unread` stores why a response's usage was not read whole
/// ([`crate::tokens::Unread`]): 1 no token count aegon knows, 2 usage outside `message`, 3
/// cache writes of an unknown TTL, 4 a token count of a kind aegon does not know, 5 an input
/// count that is not a token count, 6 another count that is not one, 7
/// counts not written yet (a running Copilot CLI session), 8 cumulative totals that fell or do
/// not add up (a Codex token_count without `last_token_usage`), 9 a subagent's usage whose
/// transcript was not read (told of a session, not of a response: no row holds it today).
/// NULL: read whole (or by
/// a build that did not mark them). Codes are only ever added (no schema change: older
/// builds read a code they do not know as 1, a cost unknown all the same).
pub fn unread_code(unread: crate::tokens::Unread) -> i64 {
    match unread {
        crate::tokens::Unread::NoCounts => 1,
        crate::tokens::Unread::Elsewhere => 2,
        crate::tokens::Unread::CacheTtl => 3,
        crate::tokens::Unread::OtherCounts => 4,
        crate::tokens::Unread::RefusedInput => 5,
        crate::tokens::Unread::Refused => 6,
        crate::tokens::Unread::NotYetWritten => 7,
        crate::tokens::Unread::Cumulative => 8,
        crate::tokens::Unread::Subagent => 9,
    }
}

/// The `meta` key recording the rule by which the builds that read the index last decided
/// which usage is not read whole ([`USAGE_RULE`]).
const META_USAGE_RULE: &str = "usage_rule";

/// The rule this build counts usage by: absent (1) in an index of stop-21 builds, which did
/// not mark a count refused and read as 0 (codes 5, 6 of [`unread_code`]) nor a `*_tokens`
/// count aegon does not know (4), and said the latter not at all; 2 in one of builds up to
/// stop-24, which (a) did not count a subagent's usage copied in its parent's `agent_progress`
/// lines ([`crate::event::Event::copied`]: rows of the parent's file, of the subagent's
/// responses whose own transcript is missing), and (b) keyed a Claude Code response under a
/// relay's short message id by the id alone (`m:ID\u{1f}…`, every response behind the relay one
/// row). 3: copies counted, and such a response keyed by its prompt size and session too
/// (`p:…`, [`collect::response_key`]). An index whose rule is older has the short-id rows taken
/// out and the files they were read from read again from their start
/// ([`Ledger::rekey_short_ids`]), and every file on disk read again once
/// ([`Ledger::reread_unsearched`]; rows merge by identity, nothing counts twice), so that the
/// index and a read without it agree; one created by this build reads nothing again. A `meta`
/// row, not a schema change: older builds neither read nor change it (one that reads a file
/// again from its start later leaves out the copies again, as it counts them).
const USAGE_RULE: i64 = 3;

/// The `meta` key recording the latest `files.updated_ms` whose files' rows this build looked
/// at for a relay's short message id keyed by the id alone, as builds before rule 3 of
/// [`USAGE_RULE`] key it ([`Ledger::rekey_short_ids`]): the files an older build writes to the
/// index after it are looked at by the next update. A `meta` row: older builds neither read
/// nor change it.
const META_SHORT_ID_MS: &str = "short_id_files_ms";

/// The reverse of [`unread_code`]; a code a newer build may add reads as
/// [`crate::tokens::Unread::NoCounts`] (still a cost unknown, never a price).
fn unread_from_code(code: Option<i64>) -> Option<crate::tokens::Unread> {
    match code? {
        2 => Some(crate::tokens::Unread::Elsewhere),
        3 => Some(crate::tokens::Unread::CacheTtl),
        4 => Some(crate::tokens::Unread::OtherCounts),
        5 => Some(crate::tokens::Unread::RefusedInput),
        6 => Some(crate::tokens::Unread::Refused),
        7 => Some(crate::tokens::Unread::NotYetWritten),
        8 => Some(crate::tokens::Unread::Cumulative),
        9 => Some(crate::tokens::Unread::Subagent),
        _ => Some(crate::tokens::Unread::NoCounts),
    }
}

/// `FILE:LINE: byte OFFSET: message`, the place of an unread line.
fn unread_place(file: &str, line: u64, offset: u64, message: &str) -> String {
    format!("{file}:{line}: byte {offset}: {message}")
}

/// The index, open. See the [module documentation](self).
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// Bytes of a line-based file read and committed at a time ([`STEP`], or
    /// [`STEP_ENV`]).
    step: u64,
    /// Whether dropping it checkpoints the WAL after a run that wrote ([`Ledger::checkpoint_on_drop`]).
    checkpoint_on_drop: bool,
    /// Why it is only read (a newer aegon's index: [`Ledger::read_only`]), if it is.
    read_only: Option<String>,
    /// The schema version it had when opened (after migrating), or since found writable.
    version: i32,
    /// Whether `responses` has its `web_searches` column ([`schema::ADDITIVE_COLUMNS`]):
    /// always in an index this build may write; maybe not in one it only reads.
    web_searches: bool,
    /// Whether `responses` has its `unread` column ([`schema::ADDITIVE_COLUMNS`]), as
    /// `web_searches`.
    unread_usage: bool,
    /// Its generation when opened ([`META_GENERATION`]; `None`: none, or unreadable).
    generation: Option<String>,
    /// How long it waits for another process's lock ([`Ledger::open_waiting`]).
    busy: Duration,
}

impl Drop for Ledger {
    /// Checkpoints the WAL into the database file when this connection wrote, so that
    /// `usage.sqlite3` alone holds the index (a copy of it, as a backup or to another machine,
    /// is the whole history; the README names that file). Closing does not checkpoint
    /// (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`, set in [`Ledger::open`]): a run that only reads
    /// pays nothing. `TRUNCATE` with no busy wait: when another process reads or writes at
    /// the same time, SQLite copies what it can without waiting (as `PASSIVE` does) and the
    /// WAL is emptied by a later run; nothing here can fail a run or make another wait. Off
    /// with [`Ledger::checkpoint_on_drop`] (the status line).
    fn drop(&mut self) {
        if !self.checkpoint_on_drop || self.conn.total_changes() == 0 {
            return;
        }
        let _ = self.conn.busy_timeout(Duration::ZERO);
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

/// The key a path is stored under.
fn path_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A folder walked for its transcripts, as [`Ledger::update`] walks the folders it is given:
/// below its [`canonical`] path, so the index keys its files as an update keys them.
#[derive(Debug, Clone, Default)]
pub struct Walked {
    /// The folder, [`canonical`].
    pub root: PathBuf,
    /// Its transcripts ([`crate::source::tree::transcripts_below`] of `root`), in its order.
    pub transcripts: Vec<PathBuf>,
}

impl Walked {
    /// Walks `folder` (made [`canonical`] first); `problem` is told about what cannot be read.
    pub fn walk(folder: &Path, problem: &mut dyn FnMut(&Path, &str)) -> Walked {
        let root = canonical(folder);
        let transcripts =
            crate::source::tree::transcripts_below(&root, |p, e| problem(p, &e.to_string()));
        Walked { root, transcripts }
    }
}

/// `path` with its links resolved and made absolute ([`std::fs::canonicalize`]), so that a
/// folder or file is known by one spelling however it is named (relative, through a link);
/// when it cannot be resolved (it is gone), its nearest folder that can be is, and the rest is
/// kept as given (so a folder gone from disk is still known by the spelling the index stored
/// its files under, through a link such as macOS's `/var` → `/private/var`).
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    while let (Some(parent), Some(name)) = (at.parent(), at.file_name()) {
        rest.push(name);
        if let Ok(resolved) = std::fs::canonicalize(parent) {
            return rest.iter().rev().fold(resolved, |p, name| p.join(name));
        }
        at = parent;
    }
    absolute
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (i64, i64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev() as i64, meta.ino() as i64)
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> (i64, i64) {
    // No inode: replacement is then seen only when the file shrinks.
    (0, 0)
}

/// Suffix of the rebuild lock's file beside the index (`usage.sqlite3.rebuild-lock`): an
/// empty SQLite file on which the process that sets a damaged index aside and rebuilds it
/// holds an exclusive lock (SQLite's own file locking, released by the system when the process
/// ends, however it ends), so that every other process waits for the rebuild (the busy
/// timeout) and then finds it done ([`Ledger::repair`]).
const LOCK_SUFFIX: &str = ".rebuild-lock";

/// Suffix of the file a rebuild makes the new index in (`usage.sqlite3.rebuilding`) before
/// copying it into place in one transaction; a leftover of a rebuild that was stopped is
/// removed by the next one, under the lock.
const TEMP_SUFFIX: &str = ".rebuilding";

/// Suffix of the file a rebuild names its copy set aside in (`usage.sqlite3.setting-aside`:
/// the new index's generation, a newline, the copy's path) from before the copy is made until
/// the new index is in place. A rebuild stopped in between (killed) left a copy of the damaged
/// index that is still at the index's path, and which no record names: the next rebuild, or
/// the next open when no rebuild is under way, removes it (the damaged index is copied aside
/// again), unless the index there has that generation: then the rebuild was done, and only
/// this file is removed ([`finish_setting_aside`]).
const ASIDE_SUFFIX: &str = ".setting-aside";

/// `meta` key of the index's generation: a value unique to each rebuild, written with the
/// rebuild's other rows ([`Ledger::repair`] tells by it whether the index it found damaged was
/// rebuilt by another process meanwhile).
const META_GENERATION: &str = "generation";

/// Environment variable of a test hook on the steps of a rebuild ([`Ledger::repair`]: 0 about
/// to wait for the lock, 1 the lock held and the index still damaged, 2 the damaged index
/// copied aside, 3 the new index made beside it, 4 the new index in place), for tests
/// that stop or pause a rebuild at a chosen step instead of killing it at a random moment:
/// `STEP:abort` ends the process there (as `kill -9` would: no destructor runs),
/// `STEP:touch:FILE` creates `FILE` there and goes on, `STEP:wait:FILE` creates
/// `FILE.reached` there and waits until `FILE` exists. Unset: nothing.
pub const REBUILD_HOOK_ENV: &str = "AEGON_TEST_REBUILD_HOOK";

/// The steps of a rebuild, in order ([`REBUILD_HOOK_ENV`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum RebuildStep {
    /// About to wait for the rebuild lock.
    Waiting = 0,
    /// The lock is held and the index found still damaged.
    Locked = 1,
    /// The damaged index copied aside.
    CopiedAside = 2,
    /// The new index made beside it, what was salvaged included.
    Built = 3,
    /// The new index in place.
    Installed = 4,
}

/// Runs the test hook of [`REBUILD_HOOK_ENV`] at `step`.
fn rebuild_hook(step: RebuildStep) {
    let Ok(spec) = std::env::var(REBUILD_HOOK_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, ':');
    if parts.next().and_then(|n| n.parse::<u8>().ok()) != Some(step as u8) {
        return;
    }
    match (parts.next(), parts.next()) {
        (Some("abort"), _) => std::process::abort(),
        (Some("touch"), Some(file)) => {
            let _ = File::create(file);
        }
        (Some("wait"), Some(file)) => {
            let _ = File::create(format!("{file}.reached"));
            while !Path::new(file).exists() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        _ => {}
    }
}

/// `path` with `suffix` added to its name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A generation value no other rebuild gives ([`META_GENERATION`]): the time, the process
/// and a count within it.
fn new_generation() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{}-{n}", now_ms(), std::process::id())
}

/// The generation recorded in the index on `conn` (`None`: none, or it cannot be read).
fn generation(conn: &Connection) -> Option<String> {
    conn.query_row(
        "SELECT value FROM meta WHERE key = ?1",
        [META_GENERATION],
        |r| r.get(0),
    )
    .ok()
}

/// How an index was found unusable ([`Ledger::rebuild_locked`]).
enum Found {
    /// When opening it: it is rebuilt unless it opens once the lock is held.
    AtOpen,
    /// By a query, with the message `why`: rebuilt unless `seen` says it was meanwhile.
    Damaged { why: String, seen: Seen },
}

/// What the process that found an index damaged knew of it ([`Ledger::repair`]).
enum Seen {
    /// Nothing: it is rebuilt whatever it is now.
    Unknown,
    /// Its generation when it was opened ([`META_GENERATION`]; `None`: none or unreadable):
    /// another one now means another process rebuilt it.
    Generation(Option<String>),
    /// The same, and the damage was a missing table: an index with its whole schema now is
    /// not rebuilt.
    MissingTable(Option<String>),
}

/// The rebuild lock of the index at a path, held while alive ([`LOCK_SUFFIX`]).
struct RebuildLock {
    _conn: Connection,
}

impl RebuildLock {
    /// Waits at most `busy` for the lock of the index at `path`.
    fn take(path: &Path, busy: Duration) -> Result<RebuildLock, Error> {
        let conn = Connection::open(with_suffix(path, LOCK_SUFFIX))?;
        conn.busy_timeout(busy)?;
        conn.execute_batch("BEGIN EXCLUSIVE")?;
        Ok(RebuildLock { _conn: conn })
    }
}

/// Copies the whole database of `from` into `to` in one step of SQLite's online backup: one
/// read transaction on `from` (a consistent copy, its WAL's committed transactions included)
/// and one write transaction on `to` (all of it or nothing, in WAL mode too, as other
/// connections see it). Waits at most `busy` for `to`'s lock. The pages are copied as they
/// are, damaged ones too: neither file's tables are read.
fn copy_database(from: &Connection, to: &mut Connection, busy: Duration) -> Result<(), Error> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(from, to)?;
    let deadline = Instant::now() + busy;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            // Busy or locked (the enum is non-exhaustive: anything else is waited for too).
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                return Err(Error::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )))
            }
        }
    }
}

/// Removes `path` and its SQLite companions (`-wal`, `-shm`, `-journal`), where there.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// Finishes what a rebuild of the index at `path` stopped while setting a copy aside left
/// ([`ASIDE_SUFFIX`]), the rebuild lock held: its copy is removed unless `current`, the
/// generation of the index at `path` now (`None`: none, or it cannot be read), is the one the
/// rebuild gave (then the new index is in place and its record names the copy, which stays);
/// the file naming it goes either way. A file that cannot be read is left.
fn finish_setting_aside(path: &Path, current: Option<&str>) {
    let marker = with_suffix(path, ASIDE_SUFFIX);
    let Ok(text) = std::fs::read_to_string(&marker) else {
        return;
    };
    if let Some((generation, copy)) = text.split_once('\n') {
        if current != Some(generation) && !copy.is_empty() {
            remove_database(Path::new(copy));
        }
    }
    let _ = std::fs::remove_file(marker);
}

/// What [`Ledger::update_file_steps`] did to one file.
struct Steps {
    update: FileUpdate,
    /// The file's row id (`None`: nothing known of it).
    id: Option<i64>,
    /// Bytes left to read (0: read to its end).
    left: u64,
    /// Read again from its start to its end: what its earlier readings counted that left.
    dropped: Option<Dropped>,
}

/// One step of [`Ledger::update_file_row`]: what was done, the row id, the bytes left, and
/// what the earlier readings counted that left the index (when the step finished a read
/// again from the file's start).
type StepRow = (FileUpdate, Option<i64>, u64, Option<Dropped>);

/// What a file read again from its start held at its earlier readings and no other file
/// holds, by key, with why it was read again: weighed once the file has been read to its end
/// (a response read by a later step came back).
type Held = Option<(Reread, HashMap<String, DroppedResponse>)>;

/// A file's row in `files`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileRow {
    id: i64,
    dev: i64,
    ino: i64,
    consumed: i64,
    line: i64,
    open_tail: bool,
    whole: bool,
    /// [`tail_hash`] of the bytes before `consumed` when they were read (`None`: not known).
    tail_hash: Option<i64>,
    /// When the row was last written (ms since the epoch): a file modified later without
    /// growing was written over in place.
    updated_ms: i64,
}

/// `time` in ms since the epoch (`None` before it).
fn system_ms(time: std::time::SystemTime) -> Option<i64> {
    let d = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// The longest unconsumed end of a file [`awaited_tail`] looks at (1 MiB); a longer one is
/// counted as pending.
const AWAITED_TAIL: u64 = 1 << 20;

/// Whether the `left` bytes of the file at `path` after `consumed` are only an unterminated
/// last line that no update would read: no newline in them, not a whole JSON value (one
/// is read without its newline), and no crash padding ([`padded`]: read as the damaged line
/// it is). A line still being written, or one a crash cut off for ever: an update reads it
/// when its newline comes, and meanwhile
/// `aegon usage` and a read without the index await it too (no note, nothing counted), so it
/// is no part of what the index is behind by (tester14 #2: the status line said "indexing
/// 95%" for ever). At most [`AWAITED_TAIL`] bytes are read; a longer end, or one that cannot
/// be read, is not awaited.
fn awaited_tail(path: &Path, consumed: u64, left: u64) -> bool {
    if left == 0 || left > AWAITED_TAIL {
        return false;
    }
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; left as usize];
    if file.seek(SeekFrom::Start(consumed)).is_err() || file.read_exact(&mut buf).is_err() {
        return false;
    }
    memchr::memchr(b'\n', &buf).is_none()
        && !(buf.iter().any(|b| !b.is_ascii_whitespace())
            && serde_json::from_slice::<serde::de::IgnoredAny>(&buf).is_ok())
        && !padded(&buf)
}

/// Whether the unfinished end `tail` holds crash padding (a control byte JSON never holds
/// raw: [`crate::format::claude::repair::is_padding`]): then it is no line being written, and
/// an update reads it as the damaged line it is instead of awaiting its newline.
fn padded(tail: &[u8]) -> bool {
    tail.iter()
        .any(|&b| crate::format::claude::repair::is_padding(b))
}

/// Bytes before `consumed` that [`tail_hash`] fingerprints.
const TAIL: u64 = 4096;

/// The fingerprint of `file`'s up to [`TAIL`] bytes before `end`: SipHash-1-3 with keys 0
/// (the `siphasher` crate, whose output is fixed, as an index kept across runs and builds
/// needs), as a signed integer for SQLite. `None` when the file no longer holds `end` bytes.
fn tail_hash(file: &mut File, end: u64) -> io::Result<Option<i64>> {
    use std::hash::Hasher;
    let from = end.saturating_sub(TAIL);
    let mut buf = [0u8; TAIL as usize];
    let buf = &mut buf[..(end - from) as usize];
    file.seek(SeekFrom::Start(from))?;
    match file.read_exact(buf) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut h = siphasher::sip::SipHasher13::new_with_keys(0, 0);
    h.write(buf);
    Ok(Some(h.finish() as i64))
}

/// Every kind of object [`schema_gap`] compares.
const ALL_KINDS: &[&str] = &["table", "index", "trigger"];

/// The compatibility record of the index on `conn` ([`schema::Compat`]): `(read, write)`,
/// each `None` when not recorded (or `meta` cannot be read as this build knows it).
fn compat_record(conn: &Connection) -> (Option<i32>, Option<i32>) {
    let get = |key: &str| -> Option<i32> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .and_then(|v| v.trim().parse().ok())
    };
    (get(schema::META_READ), get(schema::META_WRITE))
}

/// What this build may do with an index of a newer schema (`version` > [`schema::VERSION`]).
enum Access {
    /// Use it as its own (its record allows writing, and every object this build's writes
    /// rely on is there).
    Write,
    /// Report from it without writing.
    Read,
    /// Leave it alone: the reason.
    Refuse(String),
}

/// Decides [`Access`] to a newer index by its compatibility record ([`compat_record`]) and the
/// objects it has ([`schema_gap`]); a file without a record is read when it has the tables
/// and columns this build reads.
fn newer_access(conn: &Connection) -> Result<Access, Error> {
    let (read, write) = compat_record(conn);
    let ours = schema::VERSION;
    if write.is_some_and(|w| w <= ours) && schema_gap(conn, ALL_KINDS)?.is_none() {
        return Ok(Access::Write);
    }
    if let Some(r) = read.filter(|&r| r > ours) {
        return Ok(Access::Refuse(format!(
            "its record says readers need schema {r} or newer"
        )));
    }
    Ok(match schema_gap(conn, &["table"])? {
        None => Access::Read,
        Some(missing) => Access::Refuse(format!("it has no {missing}")),
    })
}

/// The first table, column or index that [`schema::MIGRATIONS`] create and `conn` lacks
/// (`files.tail_hash`, `index responses_by_time`), found by building the schema afresh in
/// memory and comparing names; of the `kinds` of objects given (`table`: tables and their
/// columns, what a build reads; `index`, `trigger`: also what its writes rely on). An index
/// that says it is at [`schema::VERSION`] but lacks part of it (a development build wrote it)
/// would fail on every query; it is moved aside instead. One of a newer schema without what
/// this build reads is refused ([`Error::Newer`]).
fn schema_gap(conn: &Connection, kinds: &[&str]) -> Result<Option<String>, Error> {
    let reference = Connection::open_in_memory()?;
    for step in schema::MIGRATIONS {
        reference.execute_batch(step)?;
    }
    let names = |conn: &Connection, sql: &str, arg: &str| -> Result<Vec<String>, Error> {
        let mut statement = conn.prepare(sql)?;
        let rows = statement.query_map([arg], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let objects = "SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite_%'";
    let columns = "SELECT name FROM pragma_table_info(?1)";
    for &kind in kinds {
        let have = names(conn, objects, kind)?;
        for name in names(&reference, objects, kind)? {
            if !have.contains(&name) {
                return Ok(Some(format!("{kind} {name}")));
            }
            if kind == "table" {
                let have = names(conn, columns, &name)?;
                if let Some(column) = names(&reference, columns, &name)?
                    .into_iter()
                    .find(|c| !have.contains(c))
                {
                    return Ok(Some(format!("column {name}.{column}")));
                }
            }
        }
    }
    Ok(None)
}

/// Records in `table` (a progress table of `(file_id, consumed)`: `identity_files`,
/// `named_files`) how far this build has read the file `file_id` that `read` read: set by a
/// read from its start, moved on by a read on from where this build's last read left it; any
/// other read on (an older build's came between) removes the row, so the next update reads the
/// file again or folds its rows. Only when the file's row is what this read left (another
/// process may have moved it on).
fn read_through(
    tx: &rusqlite::Transaction<'_>,
    table: &'static str,
    file_id: i64,
    read: &FileRead,
) -> Result<(), Error> {
    if read.start == 0 {
        tx.prepare_cached(&format!(
            "INSERT INTO {table} (file_id, consumed)
             SELECT id, consumed FROM files WHERE id = ?1 AND consumed = ?2
             ON CONFLICT(file_id) DO UPDATE SET consumed = excluded.consumed"
        ))?
        .execute(params![file_id, read.consumed as i64])?;
        return Ok(());
    }
    let on = tx
        .prepare_cached(&format!(
            "UPDATE {table} SET consumed = ?2
             WHERE file_id = ?1 AND consumed = ?3
               AND EXISTS (SELECT 1 FROM files WHERE id = ?1 AND consumed = ?2)"
        ))?
        .execute(params![file_id, read.consumed as i64, read.start as i64])?;
    if on == 0 {
        tx.prepare_cached(&format!(
            "DELETE FROM {table} WHERE file_id = ?1
               AND EXISTS (SELECT 1 FROM files WHERE id = ?1 AND consumed = ?2)"
        ))?
        .execute(params![file_id, read.consumed as i64])?;
    }
    Ok(())
}

impl Ledger {
    /// Opens (creating if needed) the index at `path`, migrating an older schema. An
    /// unusable file (not a database, corrupt, not aegon's) is moved aside and a new index
    /// started; `note` is told why and where the old file went. An index of a newer schema is
    /// never moved aside nor migrated ([`schema::Compat`]): used as this build's own when its
    /// record allows this build to write it; else opened read-only when this build can read
    /// it ([`Ledger::read_only`] gives the note to say: the caller decides where, the status
    /// line saying nothing); else refused with [`Error::Newer`].
    pub fn open(path: &Path, note: &mut dyn FnMut(&str)) -> Result<Ledger, Error> {
        Self::open_waiting(path, BUSY_TIMEOUT, note)
    }

    /// [`Ledger::open`], waiting at most `busy` (instead of [`BUSY_TIMEOUT`]) whenever another
    /// process holds the lock it needs, now and for every later statement: a statement still
    /// locked out then fails with SQLite's "database is locked" ([`Error::is_busy`]). For a
    /// caller with a time budget (the status line).
    pub fn open_waiting(
        path: &Path,
        busy: Duration,
        note: &mut dyn FnMut(&str),
    ) -> Result<Ledger, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Said with the folder: "No such file or directory" alone does not say where.
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Io(io::Error::new(e.kind(), format!("{}: {e}", dir.display())))
            })?;
        }
        let ledger = Self::open_or_set_aside(path, busy, note)?;
        // A rebuild stopped after its new index was in place left the file it made it in, and
        // one stopped while it set a copy aside left that copy; removed (or kept, named by the
        // index's record) when no rebuild is under way (one that is holds the lock).
        let temp = with_suffix(path, TEMP_SUFFIX);
        let marker = with_suffix(path, ASIDE_SUFFIX);
        if temp.exists() || marker.exists() {
            if let Ok(_lock) = RebuildLock::take(path, Duration::ZERO) {
                remove_database(&temp);
                finish_setting_aside(path, ledger.generation.as_deref());
            }
        }
        Ok(ledger)
    }

    /// [`Ledger::open_waiting`]: an unusable file is set aside and rebuilt
    /// ([`Ledger::rebuild_locked`]).
    fn open_or_set_aside(
        path: &Path,
        busy: Duration,
        note: &mut dyn FnMut(&str),
    ) -> Result<Ledger, Error> {
        match Self::try_open(path, busy) {
            Ok(Ok(ledger)) => Ok(ledger),
            Ok(Err(_)) => Self::rebuild_locked(path, Found::AtOpen, busy, note),
            Err(e) if e.is_corrupt() => Self::rebuild_locked(path, Found::AtOpen, busy, note),
            // Said with the file ("unable to open database file" alone does not say where).
            Err(Error::Sqlite(e)) => Err(Error::Io(io::Error::other(format!(
                "{}: {e}",
                path.display()
            )))),
            Err(e) => Err(e),
        }
    }

    /// Sets the index at `path` aside and rebuilds it, as after damage found mid-run, with
    /// what it still holds of the transcripts no longer on disk ([`salvage`]), whatever
    /// it holds (for a caller that knows it damaged; under the rebuild lock, as
    /// [`Ledger::repair`]).
    pub fn rebuild(path: &Path, why: &str, note: &mut dyn FnMut(&str)) -> Result<Ledger, Error> {
        let found = Found::Damaged {
            why: why.to_owned(),
            seen: Seen::Unknown,
        };
        Self::rebuild_locked(path, found, BUSY_TIMEOUT, note)
    }

    /// What to do when a query on this index failed with `error`, damage
    /// ([`Error::is_corrupt`]): the index is closed and, under the rebuild lock, looked at
    /// again. When another process rebuilt it meanwhile (its generation changed since this one
    /// was opened), or when the error was a missing table and the index has its whole schema
    /// now, the index there is opened; else it is set aside (`*.unusable-<ms>`, never deleted)
    /// and rebuilt with what it still holds of the transcripts no longer on disk ([`salvage`]),
    /// `note` told why and where the damaged copy went; every later report says the damage
    /// ([`Ledger::damage`]). Waits for the lock as long as this ledger waits for SQLite's.
    ///
    /// **Crash- and race-safe.** The rebuild holds the lock while it copies the damaged index
    /// aside (SQLite's online backup: a consistent copy), makes the new one beside it
    /// (`*.rebuilding`: schema, salvaged rows, the damage record and a new generation, one
    /// transaction) and copies that over the damaged one in one write transaction (the
    /// backup again; a file that is not a database at all is replaced by a rename instead).
    /// So the index's path always holds either the damaged index (stopped before the copy:
    /// the next run rebuilds again) or the whole new one with its record; never a half-made
    /// one, and never a fresh one that lost the salvage. A process that waited for the lock
    /// finds the new generation and uses it.
    pub fn repair(self, error: &Error, note: &mut dyn FnMut(&str)) -> Result<Ledger, Error> {
        let found = self.found_damaged(error);
        let (path, busy) = (self.path.clone(), self.busy);
        drop(self);
        Self::rebuild_locked(&path, found, busy, note)
    }

    /// What [`Ledger::repair`] knows of the damage `error` met in this index.
    fn found_damaged(&self, error: &Error) -> Found {
        Found::Damaged {
            why: format!("damaged ({error})"),
            seen: if error.is_missing_table() {
                Seen::MissingTable(self.generation.clone())
            } else {
                Seen::Generation(self.generation.clone())
            },
        }
    }

    /// [`Ledger::repair`] for a caller that holds the ledger by reference: this ledger becomes
    /// the repaired one (its connection to the damaged index closed once the new one is open).
    pub fn repair_in_place(
        &mut self,
        error: &Error,
        note: &mut dyn FnMut(&str),
    ) -> Result<(), Error> {
        let found = self.found_damaged(error);
        *self = Self::rebuild_locked(&self.path, found, self.busy, note)?;
        Ok(())
    }

    /// Sets the unusable index at `path` aside and rebuilds it ([`Ledger::repair`]) under the
    /// rebuild lock, unless what `found` says no longer holds once the lock is held.
    fn rebuild_locked(
        path: &Path,
        found: Found,
        busy: Duration,
        note: &mut dyn FnMut(&str),
    ) -> Result<Ledger, Error> {
        rebuild_hook(RebuildStep::Waiting);
        let wait = if busy >= BUSY_TIMEOUT {
            REBUILD_WAIT.max(busy)
        } else {
            busy
        };
        let lock = RebuildLock::take(path, wait)?;
        let temp = with_suffix(path, TEMP_SUFFIX);
        // A rebuild stopped before it was done left it: it never reached the index's path.
        remove_database(&temp);
        if with_suffix(path, ASIDE_SUFFIX).exists() {
            let current =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .ok()
                    .and_then(|c| generation(&c));
            finish_setting_aside(path, current.as_deref());
        }
        let (why, damaged) = match (Self::try_open(path, busy), &found) {
            // Found unusable when opening: usable now (rebuilt meanwhile).
            (Ok(Ok(ledger)), Found::AtOpen) => return Ok(ledger),
            (Ok(Ok(ledger)), Found::Damaged { why, seen }) => {
                let now = ledger.generation.clone();
                match seen {
                    // Rebuilt by another process since this one opened it.
                    Seen::Generation(g) | Seen::MissingTable(g) if now.is_some() && now != *g => {
                        return Ok(ledger)
                    }
                    // Its whole schema is there (`try_open` looked): not damaged.
                    Seen::MissingTable(_) => return Ok(ledger),
                    _ => {}
                }
                drop(ledger);
                (why.clone(), true)
            }
            (Ok(Err((reason, damaged))), _) => (reason, damaged),
            (Err(e), _) if e.is_corrupt() => (format!("damaged ({e})"), true),
            (Err(e), _) => return Err(e),
        };
        rebuild_hook(RebuildStep::Locked);
        let at = now_ms();
        let generation = new_generation();
        let marker = with_suffix(path, ASIDE_SUFFIX);
        let aside = Self::copy_aside(path, at, busy, &|aside| {
            std::fs::write(&marker, format!("{generation}\n{}", aside.display()))
        })?;
        rebuild_hook(RebuildStep::CopiedAside);
        let restored = Self::build(&temp, &aside, damaged, at, &generation, busy)?;
        rebuild_hook(RebuildStep::Built);
        Self::install(&temp, path, busy)?;
        rebuild_hook(RebuildStep::Installed);
        let _ = std::fs::remove_file(&marker);
        remove_database(&temp);
        let ledger = Self::try_open(path, busy)?.map_err(|(reason, _)| {
            Error::Io(io::Error::other(format!("{}: {reason}", path.display())))
        })?;
        drop(lock);
        note(&format!(
            "{}: {why}; moved to {} and rebuilt from the transcripts on disk{restored}",
            path.display(),
            aside.display()
        ));
        Ok(ledger)
    }

    /// Copies the index at `path` to `path.unusable-<at>` (another name if that is taken) with
    /// SQLite's online backup (pages as they are, the WAL's committed transactions included),
    /// or byte for byte (with its WAL) when SQLite cannot read it as a database; gives the
    /// copy's name. `naming` is told the name before the copy is made ([`ASIDE_SUFFIX`]).
    fn copy_aside(
        path: &Path,
        at: i64,
        busy: Duration,
        naming: &dyn Fn(&Path) -> io::Result<()>,
    ) -> Result<PathBuf, Error> {
        let mut aside = with_suffix(path, &format!(".unusable-{at}"));
        let mut n = 0;
        while aside.exists() {
            n += 1;
            aside = with_suffix(path, &format!(".unusable-{at}-{n}"));
        }
        naming(&aside)?;
        let copied = (|| {
            let from =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            from.busy_timeout(busy)?;
            let mut to = Connection::open(&aside)?;
            copy_database(&from, &mut to, busy)?;
            // One file, read without a WAL beside it (the salvage opens it read-only): what
            // the note names is all there is to keep or remove.
            // Not done on a copy too damaged for it: the copy is whole all the same.
            let _ = to.query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()));
            Ok::<(), Error>(())
        })();
        if copied.is_err() {
            remove_database(&aside);
            std::fs::copy(path, &aside)?;
            let wal = with_suffix(path, "-wal");
            if wal.exists() {
                std::fs::copy(&wal, with_suffix(&aside, "-wal"))?;
            }
        }
        Ok(aside)
    }

    /// Makes the new index at `temp`: the schema, and when the old one was `damaged`
    /// (aegon's, not readable whole), what its copy at `aside` still holds of the transcripts
    /// no longer on disk ([`salvage::salvage`]) with the damage record, and its `generation`,
    /// in one transaction; left as one file (rollback journal) ready to be copied into place.
    /// Gives what was restored, for the note.
    fn build(
        temp: &Path,
        aside: &Path,
        damaged: bool,
        at: i64,
        generation: &str,
        busy: Duration,
    ) -> Result<String, Error> {
        let mut ledger = Self::try_open(temp, busy)?.map_err(|(reason, _)| {
            Error::Io(io::Error::other(format!("{}: {reason}", temp.display())))
        })?;
        let restored =
            if !damaged {
                salvage::record_generation(&ledger.conn, generation)?;
                String::new()
            } else {
                match salvage::salvage(&mut ledger.conn, aside, at, generation) {
                    Ok(d) => format!(
                    " and the {} response{} of transcripts no longer on disk it could still be \
                     read for{}",
                    d.restored,
                    if d.restored == 1 { "" } else { "s" },
                    if d.complete { "" } else { " (some of it could not be read)" }
                ),
                    // The note and a record of an unknown loss all the same (the salvage's
                    // transaction rolled back): else the next run sees an empty index, no damage.
                    Err(e) => {
                        let d = Damage {
                            at_ms: at,
                            aside: aside.to_owned(),
                            restored: 0,
                            complete: false,
                            missing: None,
                        };
                        let tx = ledger.conn.transaction()?;
                        salvage::record(&tx, &d)?;
                        salvage::record_generation(&tx, generation)?;
                        tx.commit()?;
                        format!(
                        "; what it held of transcripts no longer on disk could not be copied ({e})"
                    )
                    }
                }
            };
        ledger
            .conn
            .query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()))?;
        ledger.checkpoint_on_drop(false);
        drop(ledger);
        Ok(restored)
    }

    /// Puts the new index made at `temp` in place of the one at `path`: copied over it in one
    /// write transaction ([`copy_database`]: other processes, which may have the damaged
    /// index open, see the old pages or the new ones, and a crash leaves the old ones); a file
    /// SQLite cannot write as a database (not a database at all, or pages of another size in
    /// WAL mode) is replaced by renaming `temp` over it, its WAL and shared memory removed
    /// first (no process can be using them with such a file).
    fn install(temp: &Path, path: &Path, busy: Duration) -> Result<(), Error> {
        let copied = (|| {
            let from =
                Connection::open_with_flags(temp, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let mut to =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            to.busy_timeout(busy)?;
            copy_database(&from, &mut to, busy)
        })();
        match copied {
            Ok(()) => Ok(()),
            Err(e) if e.is_busy() => Err(e),
            Err(_) => {
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(with_suffix(path, suffix));
                }
                std::fs::rename(temp, path)?;
                Ok(())
            }
        }
    }

    /// The damaged indexes this one was rebuilt from ([`salvage`]) whose damaged copy is still
    /// on disk: each says what was restored and whether something may be missing
    /// ([`Damage::note`]; `!complete`: reports exit with status 2). A record whose damaged copy
    /// was removed (the user's acknowledgement) is dropped; one with nothing lost is given
    /// once, then dropped (in an index that cannot be written, records stay and are given
    /// again).
    pub fn damage(&mut self) -> Result<Vec<Damage>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM meta WHERE key >= ?1 AND key < ?2")?;
        let records: Vec<(String, String)> = stmt
            .query_map([salvage::META_PREFIX, "damaged;"], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        let mut out = Vec::new();
        for (key, value) in records {
            let Some(d) = Damage::from_meta(&key, &value) else {
                continue;
            };
            let exists = d.aside.exists();
            if !exists || d.complete {
                // Acknowledged, or said once: a failed write leaves it for the next run.
                let _ = self.conn.execute("DELETE FROM meta WHERE key = ?1", [&key]);
            }
            if exists {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Whether dropping the ledger after a run that wrote checkpoints the WAL into the database
    /// file (on by default; see `impl Drop for Ledger`). The checkpoint syncs the database
    /// file, most of a status line's time: the status line turns it off and leaves the WAL to
    /// the next `aegon usage` or dashboard (or SQLite's automatic checkpoint, every 1000
    /// pages).
    pub fn checkpoint_on_drop(&mut self, on: bool) {
        self.checkpoint_on_drop = on;
    }

    /// Where the index is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When the index was written by a newer aegon that this build may read but not write
    /// ([`schema::Compat`]), the note saying so (naming the file and both versions); then
    /// nothing is written to it: [`Ledger::update`] indexes nothing (it counts what is pending,
    /// in [`UpdateStats::pending_files`]) and [`Ledger::record_reading`] records nothing.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// The responses that files read again from their start no longer held, which left the
    /// index ([`Dropped`]), as recorded by whichever run read them again (the status line
    /// too) and not said yet, in the order recorded, one [`Dropped`] per file and reading:
    /// read and deleted in one transaction, so each is given to one caller once (a
    /// concurrent one gets none of them). Empty for an index this build opened read-only,
    /// which it does not write (its drops wait for a build that writes it).
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the index cannot be read or written (locked past the busy
    /// timeout, disk full): the records stay for the next run.
    pub fn take_dropped(&mut self) -> Result<Vec<Dropped>, Error> {
        if self.read_only.is_some() || !self.has_table("dropped_responses")? {
            return Ok(Vec::new());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out: Vec<(i64, Dropped)> = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT path, why, at_ms, model, input, output, cache_read, cache_5m, cache_1h,
                        speed, service_tier, inference_geo, prompt_tokens, call, web_searches,
                        unread
                 FROM dropped_responses ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let path: String = r.get(0)?;
                let why: String = r.get(1)?;
                let at: i64 = r.get(2)?;
                // A reason this build does not know (a newer one's) is said as a rewrite.
                let why = Reread::from_name(&why).unwrap_or(Reread::Rewritten);
                let text = |i: usize| -> rusqlite::Result<Option<Cow<'static, str>>> {
                    Ok(r.get::<_, Option<String>>(i)?.map(Cow::Owned))
                };
                let factors = match r.get::<_, Option<i64>>(12)? {
                    Some(p) => Some(PriceFactors {
                        speed: text(9)?,
                        service_tier: text(10)?,
                        inference_geo: text(11)?,
                        prompt_tokens: u64::try_from(p).unwrap_or(0),
                    }),
                    None => None,
                };
                let response = DroppedResponse {
                    model: r.get(3)?,
                    tokens: tokens_searched_at(r, 4, 14)?.0,
                    factors,
                    call: r.get(13)?,
                    unread: r.get::<_, Option<i64>>(15)?.is_some(),
                };
                match out.last_mut() {
                    Some((t, d)) if *t == at && d.path == path && d.why == why => {
                        d.responses.push(response)
                    }
                    _ => out.push((
                        at,
                        Dropped {
                            path,
                            why,
                            responses: vec![response],
                        },
                    )),
                }
            }
        }
        if !out.is_empty() {
            tx.execute("DELETE FROM dropped_responses", [])?;
        }
        tx.commit()?;
        Ok(out.into_iter().map(|(_, d)| d).collect())
    }

    /// Opens and checks; `Ok(Err(reason))` when the file is not a usable index.
    /// The reason comes with whether the file is a damaged aegon index (worth salvaging).
    #[allow(clippy::type_complexity)]
    fn try_open(path: &Path, busy: Duration) -> Result<Result<Ledger, (String, bool)>, Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(busy)?;
        // The first statement reads the header: a file that is not a database fails here.
        let mode: String = match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
            Ok(m) => m,
            Err(e) => {
                let e = Error::Sqlite(e);
                if e.is_corrupt() {
                    return Ok(Err((format!("not a usable database ({e})"), true)));
                }
                return Err(e);
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Io(io::Error::other(format!(
                "{}: SQLite kept journal mode {mode} (WAL needed for concurrent writers)",
                path.display()
            ))));
        }
        // WAL with synchronous=NORMAL never corrupts on a crash; a power cut can lose the last
        // transactions, which the next update reads again.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The last connection to close would checkpoint the WAL into the database (an fsync):
        // most of a status line's time, also for a run that only read. A run that wrote
        // checkpoints when the ledger is dropped (`impl Drop for Ledger`; not the status line,
        // `Ledger::checkpoint_on_drop`); SQLite's automatic
        // checkpoint (every 1000 pages) still runs, in whichever process commits past it.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if app != 0 && app != schema::APPLICATION_ID {
            return Ok(Err((
                format!("not an aegon index (application id {app:#x})"),
                false,
            )));
        }
        if app == 0 && version != 0 {
            return Ok(Err((
                "not an aegon index (no application id)".to_owned(),
                false,
            )));
        }
        let mut ledger = Ledger {
            conn,
            path: path.to_owned(),
            step: step_from_env(),
            checkpoint_on_drop: true,
            read_only: None,
            version,
            web_searches: false,
            unread_usage: false,
            generation: None,
            busy,
        };
        let mut version = version;
        if version < schema::VERSION {
            // A newer aegon may migrate it past this build's version meanwhile.
            version = ledger.migrate()?;
            ledger.version = version;
        }
        ledger.generation = generation(&ledger.conn);
        if version > schema::VERSION {
            // Never moved aside nor migrated: it may be the only copy of deleted transcripts'
            // history, and the newer aegon that wrote it goes on using it.
            match newer_access(&ledger.conn)? {
                Access::Write => ledger.create_additive()?,
                Access::Read => {
                    ledger.web_searches = has_column(&ledger.conn, "responses", "web_searches")?;
                    ledger.unread_usage = has_column(&ledger.conn, "responses", "unread")?;
                    // Nothing this connection runs can change the file.
                    ledger.conn.pragma_update(None, "query_only", true)?;
                    ledger.read_only = Some(format!(
                        "{}: usage index written by a newer aegon (schema {version}; this one \
                         is schema {}): reading it without updating it: run the newer aegon to \
                         index new lines",
                        path.display(),
                        schema::VERSION
                    ));
                }
                Access::Refuse(why) => {
                    return Err(Error::Newer {
                        path: path.to_owned(),
                        version,
                        why,
                    })
                }
            }
            return Ok(Ok(ledger));
        }
        if let Some(missing) = schema_gap(&ledger.conn, ALL_KINDS)? {
            return Ok(Err((
                format!(
                    "schema version {} without {missing} (written by a development build?)",
                    version.max(schema::VERSION)
                ),
                true,
            )));
        }
        ledger.create_additive()?;
        Ok(Ok(ledger))
    }

    /// Creates the objects of [`schema::ADDITIVE`] this index lacks (an index last written by a
    /// build that did not know them): one statement each, which changes nothing when the object
    /// is there.
    fn create_additive(&mut self) -> Result<(), Error> {
        for sql in schema::ADDITIVE {
            self.conn.execute_batch(sql)?;
        }
        for (table, column, declaration) in schema::ADDITIVE_COLUMNS {
            if !has_column(&self.conn, table, column)? {
                // Another process may add it between the look and the change: its error
                // ("duplicate column name") is then no error.
                let added = self.conn.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {declaration}"
                ));
                if let Err(e) = added {
                    if !has_column(&self.conn, table, column)? {
                        return Err(e.into());
                    }
                }
            }
        }
        for sql in schema::ADDITIVE_INDEXES {
            self.conn.execute_batch(sql)?;
        }
        self.web_searches = true;
        self.unread_usage = true;
        Ok(())
    }

    /// Rows whose web searches are not known (NULL: indexed before the column existed, or
    /// since by an older build, which does not fill it; [`schema::ADDITIVE_COLUMNS`]): those
    /// of other agents than Claude Code, whose formats record no searches, are set to 0; every
    /// file on disk that holds one of Claude Code's (owns it, or was also read with it: a
    /// copy's lines may be the only ones with the count, and the count is the largest of all
    /// copies) is set back to be read again from its start by this update, as past
    /// migrations did (its rows are replaced by what it holds: nothing counts twice); so is
    /// every line-based file an older build read on after this one (its `consumed` is not the
    /// one `web_search_files` recorded: the lines it read may raise a row's count, which its
    /// upsert leaves as it was). Rows whose transcript is gone stay NULL (counted as no
    /// searches and said: [`Entry::estimated`]). So is every file whose lines with usage
    /// problems are not known ([`collect::about_usage`]; no `partly_read_files` row at its
    /// `consumed`: indexed, read on or read again by a build that does not record them), to
    /// record them; and every file a build that does not mark responses whose usage it could
    /// not read whole read last (no `unread_usage_files` row at its `consumed`), unless
    /// `partly_read_files` says it holds no line with a usage problem there (every such usage
    /// is one): its rows are marked again ([`unread_code`]). One transaction, over the files' rows and the partial index of NULL rows:
    /// it costs nearly nothing when there are none.
    fn reread_unsearched(&mut self) -> Result<(), Error> {
        self.reread_for_usage_rule()?;
        // Rows of other agents with no count; files to read again (see above).
        const OTHERS: &str = "web_searches IS NOT 0 AND web_searches IS NULL
               AND agent IS NOT NULL
               AND agent NOT IN (SELECT id FROM names WHERE text = ?1)";
        const FILES: &str = "present = 1 AND (consumed > 0 OR open_tail)
               AND ((whole = 0
                     AND NOT EXISTS (SELECT 1 FROM web_search_files w
                                     WHERE w.file_id = files.id
                                       AND w.consumed = files.consumed))
                    OR id IN (SELECT file_id FROM responses
                              WHERE web_searches IS NOT 0 AND web_searches IS NULL)
                    OR id IN (SELECT f.file_id FROM responses r
                              JOIN response_files f ON f.key = r.key
                              WHERE r.web_searches IS NOT 0 AND r.web_searches IS NULL)
                    OR NOT EXISTS (SELECT 1 FROM partly_read_files p
                                   WHERE p.file_id = files.id
                                     AND p.consumed = files.consumed)
                    OR NOT EXISTS (SELECT 1 FROM named_files n
                                   WHERE n.file_id = files.id
                                     AND n.consumed = files.consumed)
                    OR (NOT EXISTS (SELECT 1 FROM unread_usage_files u
                                    WHERE u.file_id = files.id
                                      AND u.consumed = files.consumed)
                        AND NOT EXISTS (SELECT 1 FROM partly_read_files p
                                        WHERE p.file_id = files.id
                                          AND p.consumed = files.consumed
                                          AND p.lines = 0)))";
        let claude = crate::event::Agent::ClaudeCode.as_str();
        // Looked at first without the write lock: almost always there is nothing to do, and
        // status lines run often, several at once.
        let todo: bool = self
            .conn
            .prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM responses WHERE {OTHERS})
                     OR EXISTS (SELECT 1 FROM files WHERE {FILES})"
            ))?
            .query_row([claude], |r| r.get(0))?;
        if !todo {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(&format!(
            "UPDATE responses SET web_searches = 0 WHERE {OTHERS}"
        ))?
        .execute([claude])?;
        tx.prepare_cached(&format!(
            "UPDATE files SET consumed = 0, line = 1, open_tail = 0, tail_hash = NULL
             WHERE {FILES}"
        ))?
        .execute([])?;
        tx.commit()?;
        Ok(())
    }

    /// When the index's usage rule ([`META_USAGE_RULE`]) is older than [`USAGE_RULE`], forgets
    /// what the usage problems of each file on disk are (`partly_read_files`,
    /// `unread_usage_files`), so that [`Ledger::reread_unsearched`] reads each again from its
    /// start (rows merge by identity, nothing counts twice; a mark is only ever added), takes
    /// out the rows of responses under a relay's short id ([`Ledger::rekey_short_ids`]), and
    /// records the rule. Files gone from disk keep what was said of them. Nothing to read again
    /// in an index that has no file read yet.
    fn reread_for_usage_rule(&mut self) -> Result<(), Error> {
        let rule = |conn: &Connection| -> Result<i64, Error> {
            Ok(conn
                .query_row(
                    "SELECT value FROM meta WHERE key = ?1",
                    [META_USAGE_RULE],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(1))
        };
        if rule(&self.conn)? >= USAGE_RULE {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let was = rule(&tx)?;
        if was < USAGE_RULE {
            // Rule 3 counts a subagent's copies in its parent's progress lines: every file on
            // disk is read again (rule 2 did so for the usage problems).
            if was < 3 {
                tx.execute_batch(
                    "DELETE FROM partly_read_files
                         WHERE file_id IN (SELECT id FROM files WHERE present = 1);
                     DELETE FROM unread_usage_files
                         WHERE file_id IN (SELECT id FROM files WHERE present = 1);",
                )?;
            }
            Self::rekey_short_ids(&tx, i64::MIN)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![META_USAGE_RULE, USAGE_RULE.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes out the rows of Claude Code responses keyed by a message id too short to be one
    /// response's alone (`m:ID\u{1f}…` with `ID` under [`crate::event::UNIQUE_ID_MIN`] bytes,
    /// [`crate::ResponseIdentity::names_one_response`]: builds before rule 3 of
    /// [`USAGE_RULE`] made one row of every response behind a relay that reuses its id) with
    /// their other files and sessions, and sets every file on disk they were read from to be
    /// read again from its start, in `tx`: the next update keys those responses by the rule
    /// ([`collect::response_key`]: `p:…`, one row each). Looks at the rows of the files
    /// written to the index after `after` (`files.updated_ms`; `i64::MIN`: every row), and
    /// records the latest such time as looked at ([`META_SHORT_ID_MS`]). A row none of whose
    /// files is on disk any more is kept as it is (the only count of those responses left).
    /// Rows of Codex and OpenCode (whose request ids are part of the key) and of other agents
    /// (whose ids are their own) are not looked at.
    fn rekey_short_ids(tx: &Connection, after: i64) -> Result<(), Error> {
        let claude = crate::event::Agent::ClaudeCode.as_str();
        let short: Vec<String> = {
            // Every row once (the first update of this rule), else the rows of the files
            // written since, found by their file (indexed), not by a look at every row.
            let keys: Vec<String> = if after == i64::MIN {
                let mut stmt = tx.prepare_cached(
                    "SELECT r.key FROM responses r LEFT JOIN names n ON n.id = r.agent
                     WHERE r.key GLOB 'm:*' AND (r.agent IS NULL OR n.text = ?1)",
                )?;
                let rows = stmt.query_map([claude], |r| r.get::<_, String>(0))?;
                rows.collect::<Result<_, _>>()?
            } else {
                let files: Vec<i64> = {
                    let mut stmt =
                        tx.prepare_cached("SELECT id FROM files WHERE updated_ms > ?1")?;
                    let rows = stmt.query_map([after], |r| r.get(0))?;
                    rows.collect::<Result<_, _>>()?
                };
                let mut own = tx.prepare_cached(
                    "SELECT r.key FROM responses r LEFT JOIN names n ON n.id = r.agent
                     WHERE r.file_id = ?2 AND r.key GLOB 'm:*'
                       AND (r.agent IS NULL OR n.text = ?1)",
                )?;
                let mut read_also = tx.prepare_cached(
                    "SELECT r.key FROM response_files f JOIN responses r ON r.key = f.key
                     LEFT JOIN names n ON n.id = r.agent
                     WHERE f.file_id = ?2 AND f.key GLOB 'm:*'
                       AND (r.agent IS NULL OR n.text = ?1)",
                )?;
                let mut keys = Vec::new();
                for file in files {
                    for stmt in [&mut own, &mut read_also] {
                        let rows = stmt.query_map(params![claude, file], |r| r.get(0))?;
                        for key in rows {
                            keys.push(key?);
                        }
                    }
                }
                keys.sort_unstable();
                keys.dedup();
                keys
            };
            let mut short = Vec::new();
            for key in keys {
                let id = collect::stored_prefix(&key).map(|p| &p[2..p.len() - '\u{1f}'.len_utf8()]);
                if id.is_some_and(|id| {
                    !crate::ResponseIdentity::names_one_response(
                        crate::event::Agent::ClaudeCode,
                        id,
                    )
                }) {
                    short.push(key);
                }
            }
            short
        };
        for key in &short {
            let on_disk: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM files WHERE present = 1 AND id IN
                         (SELECT file_id FROM responses WHERE key = ?1
                          UNION SELECT file_id FROM response_files WHERE key = ?1))",
                )?
                .query_row([key], |r| r.get(0))?;
            if !on_disk {
                continue;
            }
            tx.prepare_cached(
                "UPDATE files SET consumed = 0, line = 1, open_tail = 0, tail_hash = NULL
                 WHERE present = 1 AND id IN
                     (SELECT file_id FROM responses WHERE key = ?1
                      UNION SELECT file_id FROM response_files WHERE key = ?1)",
            )?
            .execute([key])?;
            tx.prepare_cached("DELETE FROM response_files WHERE key = ?1")?
                .execute([key])?;
            tx.prepare_cached("DELETE FROM response_sessions WHERE key = ?1")?
                .execute([key])?;
            tx.prepare_cached("DELETE FROM responses WHERE key = ?1")?
                .execute([key])?;
        }
        let last: Option<i64> =
            tx.query_row("SELECT max(updated_ms) FROM files", [], |r| r.get(0))?;
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![
            META_SHORT_ID_MS,
            last.unwrap_or(0).max(after).to_string()
        ])?;
        Ok(())
    }

    /// [`Ledger::rekey_short_ids`] of the files written to the index since it last looked
    /// ([`META_SHORT_ID_MS`]): an older build that shares the index keys the responses it
    /// reads behind a relay's short id by the id alone (`m:ID\u{1f}…`, all of them one row);
    /// this one takes such rows out and reads their files again. Runs before each update of
    /// a build that writes the index; a look at the files' times when none was written since.
    fn rekey_new_short_ids(&mut self) -> Result<(), Error> {
        let mark = |conn: &Connection| -> Result<(i64, bool), Error> {
            let seen: i64 = conn
                .query_row(
                    "SELECT value FROM meta WHERE key = ?1",
                    [META_SHORT_ID_MS],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(i64::MIN);
            let todo: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM files WHERE updated_ms > ?1)",
                [seen],
                |r| r.get(0),
            )?;
            Ok((seen, todo))
        };
        if !mark(&self.conn)?.1 {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (seen, todo) = mark(&tx)?;
        if todo {
            Self::rekey_short_ids(&tx, seen)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Folds the rows of one Claude Code response stored under several keys (`m:ID\u{1f}` and
    /// request ids: builds before [`collect::response_key`]'s identity rule made a row per
    /// request id met, e.g. for a copy whose lines lack `requestId`) into one, the first key
    /// with a request id in byte order, else the one without ([`fold_key`]: merged as the
    /// upsert merges), for the message ids of the
    /// rows of every file this build did not read last (no `identity_files` row at its
    /// `consumed`: see [`schema`]'s `identity_files`), then records those files as read by
    /// it. Runs before each update of a build that writes the index, before any file is read
    /// again from its start. One transaction; idempotent; a look at the files' rows when there
    /// is nothing to do.
    fn fold_request_keys(&mut self) -> Result<(), Error> {
        const FILES: &str = "NOT EXISTS (SELECT 1 FROM identity_files i
                             WHERE i.file_id = files.id AND i.consumed = files.consumed)";
        // Looked at first without the write lock: almost always there is nothing to do.
        let todo: bool = self
            .conn
            .prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM files WHERE {FILES})"
            ))?
            .query_row([], |r| r.get(0))?;
        if !todo {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let files: Vec<(i64, i64)> = {
            let mut stmt =
                tx.prepare_cached(&format!("SELECT id, consumed FROM files WHERE {FILES}"))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        // The agents whose request ids are part of a response's identity keep theirs.
        let numbering: Vec<String> = [crate::event::Agent::Codex, crate::event::Agent::OpenCode]
            .iter()
            .filter(|a| crate::ResponseIdentity::numbers_requests(**a))
            .map(|a| a.as_str().to_owned())
            .collect();
        for (file_id, consumed) in files {
            // The message ids of the file's rows (other than Codex's and OpenCode's, whose
            // request ids are part of the identity).
            let prefixes: Vec<String> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT r.key, n.text FROM responses r LEFT JOIN names n ON n.id = r.agent
                     WHERE r.file_id = ?1 AND r.key GLOB 'm:*'",
                )?;
                let rows = stmt.query_map([file_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })?;
                let mut prefixes = Vec::new();
                for row in rows {
                    let (key, agent) = row?;
                    let numbered = agent.is_some_and(|a| numbering.contains(&a));
                    if let Some(prefix) = collect::stored_prefix(&key).filter(|_| !numbered) {
                        prefixes.push(prefix.to_owned());
                    }
                }
                prefixes.sort_unstable();
                prefixes.dedup();
                prefixes
            };
            for prefix in &prefixes {
                let keys: Vec<String> = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT key FROM responses WHERE key >= ?1 AND key < ?2 ORDER BY key",
                    )?;
                    let rows =
                        stmt.query_map(params![prefix, message_prefix_end(prefix)], |r| r.get(0))?;
                    rows.collect::<Result<_, _>>()?
                };
                // Kept: the first with a request id (the key older builds give the lines that
                // carry one, most of them), else the one without.
                let kept = keys
                    .iter()
                    .find(|k| k.len() > prefix.len())
                    .or(keys.first());
                if let Some(kept) = kept {
                    for other in keys.iter().filter(|k| *k != kept) {
                        fold_key(&tx, other, kept)?;
                    }
                }
            }
            tx.prepare_cached(
                "INSERT INTO identity_files (file_id, consumed) VALUES (?1, ?2)
                 ON CONFLICT(file_id) DO UPDATE SET consumed = excluded.consumed",
            )?
            .execute(params![file_id, consumed])?;
            // A file an older build read on (or an index only older builds wrote) is read
            // again from its start by this update: an older build does not mark every usage
            // this one cannot read whole (a `*_tokens` count it does not know, a count refused
            // and read as 0, a Codex total that went down), so its rows may hold a cost this
            // build would call unknown. Rows merge by identity: nothing counts twice.
            tx.prepare_cached(
                "UPDATE files SET consumed = 0, line = 1, open_tail = 0, tail_hash = NULL
                 WHERE id = ?1 AND present = 1 AND (consumed > 0 OR open_tail)",
            )?
            .execute([file_id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The expression that reads a row's web searches: the column, or NULL (not known) in an
    /// index only read that lacks it.
    fn searches_column(&self) -> &'static str {
        if self.web_searches {
            "web_searches"
        } else {
            "NULL"
        }
    }

    /// The expression that reads whether a row's usage was read whole ([`unread_code`]): the
    /// column, or NULL (read whole) in an index only read that lacks it.
    fn unread_column(&self) -> &'static str {
        if self.unread_usage {
            "unread"
        } else {
            "NULL"
        }
    }

    /// Whether the index holds the table `name` (an object of [`schema::ADDITIVE`] may be
    /// missing from an index opened read-only).
    fn has_table(&self, name: &str) -> Result<bool, Error> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?)
    }

    /// Brings the schema to [`schema::VERSION`], one migration per transaction (several
    /// processes may try at once: each re-reads the version inside its transaction), each
    /// recording its version's compatibility ([`schema::COMPAT`]). Gives the version found at
    /// the end: above [`schema::VERSION`] when a newer aegon migrated it meanwhile.
    fn migrate(&mut self) -> Result<i32, Error> {
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version >= schema::VERSION {
                return Ok(version);
            }
            let Some(step) = usize::try_from(version)
                .ok()
                .and_then(|v| schema::MIGRATIONS.get(v))
            else {
                return Err(Error::Io(io::Error::other(format!(
                    "no migration from schema version {version}"
                ))));
            };
            tx.execute_batch(step)?;
            if let Some(compat) = usize::try_from(version)
                .ok()
                .and_then(|v| schema::COMPAT.get(v))
            {
                for (key, value) in [
                    (schema::META_READ, compat.read),
                    (schema::META_WRITE, compat.write),
                ] {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)
                         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        params![key, value.to_string()],
                    )?;
                }
            }
            tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit()?;
        }
    }

    fn file_row(conn: &Connection, key: &str) -> Result<Option<FileRow>, Error> {
        Ok(conn
            .prepare_cached(
                "SELECT id, dev, ino, consumed, line, open_tail, whole, tail_hash, updated_ms
                 FROM files WHERE path = ?1",
            )?
            .query_row([key], |r| {
                Ok(FileRow {
                    id: r.get(0)?,
                    dev: r.get(1)?,
                    ino: r.get(2)?,
                    consumed: r.get(3)?,
                    line: r.get(4)?,
                    open_tail: r.get(5)?,
                    whole: r.get(6)?,
                    tail_hash: r.get(7)?,
                    updated_ms: r.get(8)?,
                })
            })
            .optional()?)
    }

    /// Reads what was appended to the transcript at `path` since the last update and records
    /// it. See the [module documentation](self).
    pub fn update_file(&mut self, path: &Path) -> Result<FileUpdate, Error> {
        Ok(self.update_file_steps(path, None)?.update)
    }

    /// Reads the file at `path` to its end in steps of [`Ledger`]'s step size, each committed
    /// with its resume point, until the end or, when `deadline` is given, until it has passed
    /// (at least one step is read). Gives what was done, the file's row id, the bytes left
    /// (0: read to its end), and, when it was read again from its start to its end, the
    /// responses of its earlier readings that left the index.
    fn update_file_steps(
        &mut self,
        path: &Path,
        deadline: Option<Instant>,
    ) -> Result<Steps, Error> {
        let cut = Cut {
            bytes: self.step,
            deadline,
        };
        let mut done: Option<(u64, Option<Reread>)> = None;
        // What the file held before it was read again from its start (and no other file
        // holds): weighed, and recorded, by the step that reads it to its end.
        let mut held: Held = None;
        loop {
            let (update, id, left, weighed) = self.update_file_row(path, cut, &mut held)?;
            let update = match (update, done) {
                (FileUpdate::Read { bytes, reread }, Some((before, first))) => {
                    done = Some((before + bytes, first.or(reread)));
                    FileUpdate::Read {
                        bytes: before + bytes,
                        reread: first.or(reread),
                    }
                }
                (FileUpdate::Read { bytes, reread }, None) => {
                    done = Some((bytes, reread));
                    update
                }
                // Changed under us between steps (gone, or another process read the rest).
                (_, Some((bytes, reread))) => FileUpdate::Read { bytes, reread },
                (other, None) => other,
            };
            let stalled = !matches!(update, FileUpdate::Read { .. });
            if left == 0 || stalled || deadline.is_some_and(|d| Instant::now() >= d) {
                let dropped = match (weighed, held.take()) {
                    (Some(d), _) => Some(d),
                    // Another process read the rest (or the file went) between steps: weighed
                    // in a transaction of its own.
                    (None, Some((why, held))) if left == 0 && !held.is_empty() => {
                        let tx = self
                            .conn
                            .transaction_with_behavior(TransactionBehavior::Immediate)?;
                        let d = record_dropped(&tx, &path_key(path), why, held)?;
                        tx.commit()?;
                        d
                    }
                    _ => None,
                };
                return Ok(Steps {
                    update,
                    id,
                    left,
                    dropped,
                });
            }
        }
    }

    /// The row of the file known under another path that names the same file now (same
    /// device and inode, and that path still leads to it: a link or another spelling), if
    /// any. A path whose file is gone is not matched (its inode may have been reused).
    fn alias_row(&self, (dev, ino): (i64, i64)) -> Result<Option<String>, Error> {
        if (dev, ino) == (0, 0) {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM files WHERE dev = ?1 AND ino = ?2")?;
        let paths = stmt
            .query_map([dev, ino], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(paths.into_iter().find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && identity(&m) == (dev, ino))
        }))
    }

    /// [`Ledger::update_file`], with the id of the file's row (`None` when nothing is known
    /// of it).
    /// One step: reads from where the index stopped up to `cut`; also gives the bytes left
    /// after the step (0: read to the end), and the responses the earlier readings had found
    /// in it that were removed with them when it was read again from its start.
    fn update_file_row(
        &mut self,
        path: &Path,
        cut: Cut,
        held: &mut Held,
    ) -> Result<StepRow, Error> {
        let meta = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Ok((FileUpdate::Missing, None, 0, None)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((FileUpdate::Missing, None, 0, None))
            }
            Err(e) => return Err(e.into()),
        };
        let (dev, ino) = identity(&meta);
        let mut key = path_key(path);
        let mut before = Self::file_row(&self.conn, &key)?;
        if before.is_none() {
            // The same file indexed under another spelling of its path: go on from there.
            if let Some(other) = self.alias_row((dev, ino))? {
                before = Self::file_row(&self.conn, &other)?;
                key = other;
            }
        }
        let size = i64::try_from(meta.len()).unwrap_or(i64::MAX);
        // The same file, not shorter: are the bytes it ends what was consumed with unchanged?
        let overwritten = match before {
            Some(FileRow {
                dev: d,
                ino: i,
                consumed,
                tail_hash: Some(h),
                ..
            }) if (d, i) == (dev, ino) && size >= consumed => {
                tail_hash(&mut File::open(path)?, consumed as u64)? != Some(h)
            }
            _ => false,
        };
        // Modified since its row was written, yet no longer (Claude Code only appends): written
        // over in place somewhere before its last 4 KiB, at the same size (a redaction tool,
        // an editor writing in place). The modification time is of the metadata read anyway;
        // one in the future (another machine's clock) is trusted once it is past. An edit in
        // place that also appends, or one made while a run read the file, is not seen.
        let touched = match (before, meta.modified().ok().and_then(system_ms)) {
            (Some(r), Some(modified)) => {
                (r.dev, r.ino) == (dev, ino)
                    && size == r.consumed
                    && modified > r.updated_ms
                    && modified <= now_ms()
            }
            _ => false,
        };
        let overwritten = overwritten || touched;
        let (start, line, open_tail, reread) = match before {
            Some(r) if (r.dev, r.ino) != (dev, ino) => (0, 1, false, Some(Reread::Replaced)),
            Some(r) if size < r.consumed => (0, 1, false, Some(Reread::Truncated)),
            Some(_) if overwritten => (0, 1, false, Some(Reread::Overwritten)),
            // A JSON document is rewritten, not appended to; some line formats need their
            // earlier lines (`Format::read_from_start`): read it whole again.
            Some(r) if r.whole && size != r.consumed => (0, 1, false, Some(Reread::Rewritten)),
            Some(r) => (r.consumed, r.line, r.open_tail, None),
            None => (0, 1, false, None),
        };
        if let (Some(row), None, true) = (before, reread, size == start) {
            self.conn
                .prepare_cached("UPDATE files SET present = 1 WHERE path = ?1 AND present = 0")?
                .execute([&key])?;
            return Ok((FileUpdate::Unchanged, Some(row.id), 0, None));
        }
        let read = read_from(path, &key, start as u64, line as u64, open_tail, Some(cut))?;
        // Bytes after the step's end, of the size seen at its start (what came later is read
        // by a later update, as any appended bytes are).
        let left = if read.cut {
            (size as u64).saturating_sub(read.consumed)
        } else {
            0
        };
        if let (Some(why), None) = (reread, &held) {
            *held = Some((why, HashMap::new()));
        }
        let (id, weighed) = self.commit_file(&key, (dev, ino), before, &read, left == 0, held)?;
        Ok((
            FileUpdate::Read {
                bytes: read.end.saturating_sub(start as u64),
                reread,
            },
            Some(id),
            left,
            weighed,
        ))
    }

    /// Records one file's rows and progress in one transaction. When the read started over
    /// from the file's start (`held` is then set, with why), the responses of the earlier readings that
    /// are removed (owned by it and read from no other file) are added to `held`; when this
    /// read reaches the file's end (`to_end`), those the index no longer has are recorded in the same
    /// transaction ([`record_dropped`]) and given. Gives the file's row id and those.
    fn commit_file(
        &mut self,
        key: &str,
        (dev, ino): (i64, i64),
        before: Option<FileRow>,
        read: &FileRead,
        to_end: bool,
        held: &mut Held,
    ) -> Result<(i64, Option<Dropped>), Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A newer aegon may have migrated the index since it was opened: rows are written
        // only while its record still lets this build write it (the version is in the page
        // the transaction has read anyway).
        let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > self.version {
            if !matches!(newer_access(&tx)?, Access::Write) {
                return Err(Error::Newer {
                    path: self.path.clone(),
                    version,
                    why: "it was migrated while this one ran (run it again)".to_owned(),
                });
            }
            self.version = version;
        }
        let now = now_ms();
        let current = Self::file_row(&tx, key)?;
        // The rows of the earlier readings were removed (a read from the file's start).
        let mut forgot = false;
        let file_id = match current {
            None => {
                tx.prepare_cached(
                    "INSERT INTO files (path, dev, ino, consumed, line, open_tail, present, updated_ms,
                         whole, unread_lines, first_unread, tail_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![
                    key,
                    dev,
                    ino,
                    read.consumed as i64,
                    read.next_line as i64,
                    read.open_tail,
                    now,
                    read.whole,
                    read.unread.lines as i64,
                    read.unread.first,
                    read.tail_hash
                ])?;
                tx.last_insert_rowid()
            }
            Some(row) => {
                // Another process may have moved the file on meanwhile: progress only from the
                // state this read started at, or beyond what it recorded on the same file.
                let ours_is_newer = Some(row) == before
                    || ((row.dev, row.ino) == (dev, ino) && (read.consumed as i64) > row.consumed);
                if ours_is_newer && read.start == 0 {
                    // Read again from its start (truncated, replaced, written over, a document
                    // rewritten): what the earlier readings found in it goes, in this
                    // transaction, and what it holds now is written below.
                    let forgotten = removed_with(&tx, row.id)?;
                    if let Some((_, held)) = held.as_mut() {
                        held.extend(forgotten);
                    }
                    forget_file(&tx, row.id)?;
                    forgot = true;
                }
                if ours_is_newer {
                    // Lines unread: this read's, added to the earlier reads' unless this one
                    // started over from the file's start.
                    tx.prepare_cached(
                        "UPDATE files SET dev = ?2, ino = ?3, consumed = ?4, line = ?5, open_tail = ?6,
                         present = 1, updated_ms = ?7, whole = ?8,
                         unread_lines = CASE WHEN ?9 THEN ?10 ELSE unread_lines + ?10 END,
                         first_unread = CASE WHEN ?9 THEN ?11 ELSE coalesce(first_unread, ?11) END,
                         tail_hash = ?12
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        row.id,
                        dev,
                        ino,
                        read.consumed as i64,
                        read.next_line as i64,
                        read.open_tail,
                        now,
                        read.whole,
                        read.start == 0,
                        read.unread.lines as i64,
                        read.unread.first,
                        read.tail_hash
                    ])?;
                }
                row.id
            }
        };
        // How far this build, which records web searches, has read the file: only when the
        // file's row is what this read left (another process may have moved it on).
        tx.prepare_cached(
            "INSERT INTO web_search_files (file_id, consumed)
             SELECT id, consumed FROM files WHERE id = ?1 AND consumed = ?2
             ON CONFLICT(file_id) DO UPDATE SET consumed = excluded.consumed",
        )?
        .execute(params![file_id, read.consumed as i64])?;
        // How far this build, which keys responses by their identity alone, read the file: set
        // by a read from its start, moved on by a read on from where it left it; any other
        // read on (an older build's came between) removes the row, so the next update folds
        // the file's rows ([`Ledger::fold_request_keys`]). Only when the file's row is what
        // this read left.
        read_through(&tx, "identity_files", file_id, read)?;
        // Its lines with usage problems, as far as this build read it: set by a read from its
        // start, added to by a read on from where this build's last read ended; any other read
        // on (an older build's came between) removes the row, so the next update reads the
        // file again from its start ([`Ledger::reread_unsearched`]). Only when the file's row
        // is what this read left. All of them, for older builds (which say them as not
        // counted); `unread_usage_files` says them apart, for this build.
        let mut partly = read.partly.clone();
        partly.add(read.unknown.clone());
        partly.first.clone_from(&read.first_partly);
        if read.start == 0 {
            tx.prepare_cached(
                "INSERT INTO partly_read_files (file_id, consumed, lines, first)
                 SELECT id, consumed, ?3, ?4 FROM files WHERE id = ?1 AND consumed = ?2
                 ON CONFLICT(file_id) DO UPDATE SET consumed = excluded.consumed,
                     lines = excluded.lines, first = excluded.first",
            )?
            .execute(params![
                file_id,
                read.consumed as i64,
                partly.lines as i64,
                partly.first
            ])?;
        } else {
            let on = tx
                .prepare_cached(
                    "UPDATE partly_read_files SET consumed = ?2, lines = lines + ?4,
                         first = coalesce(first, ?5)
                     WHERE file_id = ?1 AND consumed = ?3
                       AND EXISTS (SELECT 1 FROM files WHERE id = ?1 AND consumed = ?2)",
                )?
                .execute(params![
                    file_id,
                    read.consumed as i64,
                    read.start as i64,
                    partly.lines as i64,
                    partly.first
                ])?;
            if on == 0 {
                tx.prepare_cached(
                    "DELETE FROM partly_read_files WHERE file_id = ?1
                       AND EXISTS (SELECT 1 FROM files WHERE id = ?1 AND consumed = ?2)",
                )?
                .execute(params![file_id, read.consumed as i64])?;
            }
        }
        // The same, said apart, by a build that marks responses whose usage it could not read
        // whole (`responses.unread`): a file this build did not read last is read again.
        if read.start == 0 {
            tx.prepare_cached(
                "INSERT INTO unread_usage_files
                     (file_id, consumed, lines, first, rest_lines, rest_first)
                 SELECT id, consumed, ?3, ?4, ?5, ?6 FROM files WHERE id = ?1 AND consumed = ?2
                 ON CONFLICT(file_id) DO UPDATE SET consumed = excluded.consumed,
                     lines = excluded.lines, first = excluded.first,
                     rest_lines = excluded.rest_lines, rest_first = excluded.rest_first",
            )?
            .execute(params![
                file_id,
                read.consumed as i64,
                read.unknown.lines as i64,
                read.unknown.first,
                read.partly.lines as i64,
                read.partly.first
            ])?;
        } else {
            let on = tx
                .prepare_cached(
                    "UPDATE unread_usage_files SET consumed = ?2, lines = lines + ?4,
                         first = coalesce(first, ?5), rest_lines = rest_lines + ?6,
                         rest_first = coalesce(rest_first, ?7)
                     WHERE file_id = ?1 AND consumed = ?3
                       AND EXISTS (SELECT 1 FROM files WHERE id = ?1 AND consumed = ?2)",
                )?
                .execute(params![
                    file_id,
                    read.consumed as i64,
                    read.start as i64,
                    read.unknown.lines as i64,
                    read.unknown.first,
                    read.partly.lines as i64,
                    read.partly.first
                ])?;
            if on == 0 {
                tx.prepare_cached(
                    "DELETE FROM unread_usage_files WHERE file_id = ?1
                       AND EXISTS (SELECT 1 FROM files WHERE id = ?1 AND consumed = ?2)",
                )?
                .execute(params![file_id, read.consumed as i64])?;
            }
        }
        let mut names = Names::default();
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO responses (key, file_id, ts_ms, session, project, model, subagent,
                     input, output, cache_read, cache_5m, cache_1h,
                     speed, service_tier, inference_geo, prompt_tokens, agent, not_a_call,
                     web_searches, unread)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                         ?18, ?19, ?20)
                 ON CONFLICT(key) DO UPDATE SET
                     web_searches = max(coalesce(web_searches, 0), excluded.web_searches),
                     unread = coalesce(unread, excluded.unread),
                     input = max(input, excluded.input),
                     output = max(output, excluded.output),
                     cache_read = max(cache_read, excluded.cache_read),
                     cache_5m = max(cache_5m + cache_1h, excluded.cache_5m + excluded.cache_1h)
                         - max(cache_1h, excluded.cache_1h),
                     cache_1h = max(cache_1h, excluded.cache_1h),
                     ts_ms = coalesce(ts_ms, excluded.ts_ms),
                     model = coalesce(model, excluded.model),
                     session = coalesce(session, excluded.session),
                     project = coalesce(project, excluded.project),
                     speed = CASE WHEN excluded.speed <> '' THEN excluded.speed
                         ELSE coalesce(speed, excluded.speed) END,
                     service_tier = CASE WHEN excluded.service_tier <> '' THEN excluded.service_tier
                         ELSE coalesce(service_tier, excluded.service_tier) END,
                     inference_geo = CASE WHEN excluded.inference_geo <> '' THEN excluded.inference_geo
                         ELSE coalesce(inference_geo, excluded.inference_geo) END,
                     prompt_tokens = max(coalesce(prompt_tokens, 0), excluded.prompt_tokens),
                     agent = coalesce(agent, excluded.agent),
                     not_a_call = min(not_a_call, excluded.not_a_call)",
            )?;
            let mut stored_row =
                tx.prepare_cached("SELECT session, file_id FROM responses WHERE key = ?1")?;
            // The row of a message id already stored, under whichever request id.
            let mut stored_key = tx.prepare_cached(
                "SELECT key FROM responses WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT 1",
            )?;
            // The row of a response under a relay's short message id stored from another
            // session: a resumed session's copy of it, which keeps its lines' times.
            let mut copied_key = tx.prepare_cached(
                "SELECT key FROM responses WHERE key >= ?1 AND key < ?2 AND ts_ms = ?3
                 ORDER BY key LIMIT 1",
            )?;
            let mut also = tx.prepare_cached(
                "INSERT OR IGNORE INTO response_sessions (key, session, project)
                 VALUES (?1, ?2, ?3)",
            )?;
            let mut also_file = tx.prepare_cached(
                "INSERT OR IGNORE INTO response_files (key, file_id, session) VALUES (?1, ?2, ?3)",
            )?;
            for (identity, r) in &read.responses {
                // A Claude Code response: its row of the same message id if one is stored
                // (the key an older build or an earlier read gave it), else the key older
                // builds give it, with the first request id met ([`collect::response_key`]).
                let key = match collect::message_prefix(identity)
                    .filter(|_| !crate::ResponseIdentity::numbers_requests(r.agent))
                {
                    Some(prefix) => match stored_key
                        .query_row(params![prefix, message_prefix_end(prefix)], |row| {
                            row.get::<_, String>(0)
                        })
                        .optional()?
                    {
                        Some(stored) => stored,
                        None => format!("{prefix}{}", r.request_id.as_deref().unwrap_or("")),
                    },
                    // Under a relay's short id: its own row, else the row of its copy in
                    // another session (the same prompt size at the same time), else its own.
                    None => match (collect::short_prefix(identity), r.ts_ms) {
                        (Some(prefix), Some(ts)) if !stored_row.exists([identity])? => copied_key
                            .query_row(params![prefix, message_prefix_end(prefix), ts], |row| {
                                row.get::<_, String>(0)
                            })
                            .optional()?
                            .unwrap_or_else(|| identity.clone()),
                        _ => identity.clone(),
                    },
                };
                let k = &key;
                let t = r.tokens;
                let f = &r.factors;
                // Written in another session before: note this one too (the owner is decided
                // at report time, by the rule, never by the order files were indexed in).
                let stored: Option<(Option<i64>, i64)> = stored_row
                    .query_row([k], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                let mut sessions = r
                    .session
                    .iter()
                    .map(|s| (s, &r.project))
                    .chain(r.also.iter().map(|(s, p)| (s, p)))
                    .peekable();
                // A new row takes this file and its first session; any other session is noted
                // beside the row's, and any other (file, session) it was read from in
                // `response_files`, so a report over paths finds it in each.
                let (row_session, row_file) = match stored {
                    Some(row) => row,
                    None => match sessions.peek() {
                        Some((s, _)) => (names.id(&tx, Some(s))?, file_id),
                        None => (None, file_id),
                    },
                };
                for (session, project) in sessions {
                    let id = names.id(&tx, Some(session))?;
                    if id != row_session {
                        also.execute(params![k, id, names.id(&tx, project.as_deref())?])?;
                    }
                    if id != row_session || file_id != row_file {
                        also_file.execute(params![k, file_id, id])?;
                    }
                }
                upsert.execute(params![
                    k,
                    file_id,
                    r.ts_ms,
                    names.id(&tx, r.session.as_deref())?,
                    names.id(&tx, r.project.as_deref())?,
                    names.id(&tx, r.model.as_deref())?,
                    r.subagent,
                    t.input as i64,
                    t.output as i64,
                    t.cache_read as i64,
                    t.cache_write_5m as i64,
                    t.cache_write_1h as i64,
                    names.id(&tx, f.speed.as_deref())?,
                    names.id(&tx, f.service_tier.as_deref())?,
                    names.id(&tx, f.inference_geo.as_deref())?,
                    i64::try_from(f.prompt_tokens).unwrap_or(i64::MAX),
                    names.id(&tx, Some(r.agent.as_str()))?,
                    !r.call,
                    i64::try_from(t.web_search).unwrap_or(i64::MAX),
                    r.unread.map(unread_code),
                ])?;
            }
            let mut upsert = tx.prepare_cached(
                "INSERT INTO tools (key, file_id, ts_ms, session, project, tool, subagent, is_error,
                     agent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(key) DO UPDATE SET
                     is_error = max(is_error, excluded.is_error),
                     tool = coalesce(tool, excluded.tool),
                     ts_ms = coalesce(ts_ms, excluded.ts_ms)",
            )?;
            for (k, t) in &read.tools {
                upsert.execute(params![
                    k,
                    file_id,
                    t.ts_ms,
                    names.id(&tx, t.session.as_deref())?,
                    names.id(&tx, t.project.as_deref())?,
                    names.id(&tx, t.tool.as_deref())?,
                    t.subagent,
                    t.is_error,
                    names.id(&tx, Some(t.agent.as_str()))?,
                ])?;
            }
            let mut span = tx.prepare_cached(
                "INSERT INTO session_spans (session, first_ms, last_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(session) DO UPDATE SET
                     first_ms = min(first_ms, excluded.first_ms),
                     last_ms = max(last_ms, excluded.last_ms)",
            )?;
            for (session, (first, last)) in &read.spans {
                span.execute(params![names.id(&tx, Some(session))?, first, last])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO limit_hits (key, file_id, ts_ms, session, text)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            // Keyed by the message and the file it was read from, so a report over a copy of a
            // file holds the copy's message too (an index from before keyed by the message
            // alone: [`Ledger::limit_hits_in`] takes both spellings, each message once).
            for (k, l) in &read.limits {
                insert.execute(params![
                    format!("{k}{HIT_FILE}{file_id}"),
                    file_id,
                    l.ts_ms,
                    names.id(&tx, l.session.as_deref())?,
                    l.text
                ])?;
            }
        }
        // The subagents and workflow runs its lines name or read, per session: replaced by a
        // read from its start, added to (OR) by a read on; how far this build, which records
        // them, read the file: set by a read from its start, moved on by a read on from where
        // it left it; any other read on (an older build's came between) removes the row, so
        // the next update reads the file again from its start ([`Ledger::reread_unsearched`]).
        // The progress only when the file's row is what this read left.
        if forgot {
            tx.prepare_cached("DELETE FROM file_named WHERE file_id = ?1")?
                .execute([file_id])?;
        }
        {
            let mut fact = tx.prepare_cached(
                "INSERT INTO file_named (file_id, session, kind, id, flags)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO UPDATE SET flags = flags | excluded.flags",
            )?;
            let mut sessions: Vec<(&String, &Named)> = read.named.iter().collect();
            sessions.sort_unstable_by_key(|(s, _)| *s);
            for (session, named) in sessions {
                let session = names.id(&tx, Some(session))?;
                for (kind, id, flags) in named.facts() {
                    fact.execute(params![file_id, session, kind.code(), id, flags])?;
                }
            }
        }
        read_through(&tx, "named_files", file_id, read)?;
        // Read to its end: what the earlier readings held that nothing holds now is recorded
        // with the rows that replaced them (nothing at all is done when nothing was removed).
        let weighed = match held.take() {
            Some((why, h)) if to_end => record_dropped(&tx, key, why, h)?,
            other => {
                *held = other;
                None
            }
        };
        tx.commit()?;
        Ok((file_id, weighed))
    }

    /// Updates the index from every transcript below `roots` and the `files` named, in path
    /// order; files under the roots that the index knows but the disk no longer has are marked
    /// gone (their history stays). A file listed by the walk that is gone when it is read (a
    /// folder renamed during the update) has the roots walked once more, and what that walk
    /// lists anew is read too. `problem` is told about what cannot be read. Big files are
    /// read and committed in steps ([`STEP`]); this reads every file to its end.
    pub fn update(
        &mut self,
        roots: &[PathBuf],
        files: &[PathBuf],
        problem: &mut dyn FnMut(&Path, &str),
    ) -> Result<UpdateStats, Error> {
        self.update_until(roots, files, problem, None)
    }

    /// [`Ledger::update`] that stops once `deadline` has passed (`None`: never), between
    /// steps or inside one at a line's end, having committed what it read; the next update
    /// goes on from there, and after enough of them the index is exactly what one full update
    /// makes. With a deadline the files are taken newest first (by modification time), so the
    /// figures of now are complete first; the first file with something new is always begun
    /// (at least 64 KiB read, to a line's end), so repeated updates make
    /// progress however short the time given. What was left
    /// is counted in [`UpdateStats::pending_files`]; an update that left something neither
    /// marks files gone nor records the scan ([`Ledger::last_scan_ms`]). In an index only read
    /// ([`Ledger::read_only`]) nothing is read nor written: every file's new bytes are pending.
    pub fn update_until(
        &mut self,
        roots: &[PathBuf],
        files: &[PathBuf],
        problem: &mut dyn FnMut(&Path, &str),
        deadline: Option<Instant>,
    ) -> Result<UpdateStats, Error> {
        let walked: Vec<Walked> = roots
            .iter()
            .map(|r| Walked::walk(r, &mut *problem))
            .collect();
        self.update_walked(&walked, files, problem, deadline)
    }

    /// [`Ledger::update_until`] of folders already walked ([`Walked::walk`]): their
    /// transcripts are those the walk found, so a caller that needed the list anyway (to tell
    /// a folder without transcripts) walks each folder once.
    pub fn update_walked(
        &mut self,
        walked: &[Walked],
        files: &[PathBuf],
        problem: &mut dyn FnMut(&Path, &str),
        deadline: Option<Instant>,
    ) -> Result<UpdateStats, Error> {
        if self.read_only.is_none() {
            self.fold_request_keys()?;
            self.reread_unsearched()?;
            self.rekey_new_short_ids()?;
        }
        let mut stats = UpdateStats::default();
        let mut seen = HashSet::new();
        let roots: Vec<PathBuf> = walked.iter().map(|w| w.root.clone()).collect();
        let mut all: Vec<PathBuf> = Vec::new();
        for w in walked {
            all.extend(w.transcripts.iter().cloned());
        }
        for f in files {
            // A file named that cannot be read is said, as a fresh read says it.
            match std::fs::metadata(f) {
                Ok(m) if m.is_file() => all.push(canonical(f)),
                Ok(_) => problem(f, "not a regular file"),
                Err(e) => problem(f, &e.to_string()),
            }
        }
        if deadline.is_some() {
            // Newest first (a file that cannot be read sorts last and is said when read).
            let mut dated: Vec<(Option<std::time::SystemTime>, PathBuf)> = all
                .into_iter()
                .map(|p| (std::fs::metadata(&p).and_then(|m| m.modified()).ok(), p))
                .collect();
            dated.sort_by_key(|d| std::cmp::Reverse(d.0));
            all = dated.into_iter().map(|(_, p)| p).collect();
        }
        // A walked file gone when it is read may have moved (its folder renamed while this
        // update ran) to where the walk had already passed, or was yet to pass under its old
        // name: the roots are walked once more and what the first walk did not list is read
        // too, so the update holds every transcript that was below the roots throughout.
        let mut vanished = false;
        let mut rewalked = roots.is_empty();
        let mut i = 0;
        loop {
            let Some(path) = all.get(i) else {
                if !vanished || rewalked {
                    break;
                }
                rewalked = true;
                let listed: HashSet<&PathBuf> = all.iter().collect();
                // Quiet: what it cannot read was told by the first walk, or came since.
                let again: Vec<PathBuf> = roots
                    .iter()
                    .flat_map(|r| Walked::walk(r, &mut |_, _| {}).transcripts)
                    .filter(|p| !listed.contains(p))
                    .collect();
                all.extend(again);
                continue;
            };
            i += 1;
            // Past the deadline once something was read, or nothing to be written: the rest
            // is for the next update.
            if self.read_only.is_some()
                || stats.files_read > 0 && deadline.is_some_and(|d| Instant::now() >= d)
            {
                for rest in &all[i - 1..] {
                    if let Some(id) = self.count_pending(rest, &mut stats)? {
                        seen.insert(id);
                        stats.file_ids.push(id);
                    }
                }
                break;
            }
            stats.files += 1;
            match self.update_file_steps(path, deadline) {
                Ok(Steps {
                    update,
                    id,
                    left,
                    dropped,
                }) => {
                    stats.dropped.extend(dropped);
                    if let Some(id) = id {
                        seen.insert(id);
                        stats.file_ids.push(id);
                    }
                    if let FileUpdate::Read { bytes, reread } = update {
                        stats.files_read += 1;
                        stats.bytes += bytes;
                        if let Some(why) = reread {
                            stats.rereads.push((path_key(path), why));
                        }
                    }
                    if left > 0 {
                        stats.pending_files += 1;
                        stats.pending_bytes += left;
                    }
                    vanished |= update == FileUpdate::Missing;
                }
                Err(Error::Io(e)) => problem(path, &e.to_string()),
                Err(e) => return Err(e),
            }
        }
        if !stats.complete() || self.read_only.is_some() {
            stats.total_bytes = all
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum();
            // Files not looked at are not gone, and the scan is not done (nor recorded in an
            // index only read).
            return Ok(stats);
        }
        if !roots.is_empty() {
            let known = self.files_under(&roots)?;
            let tx = self.conn.transaction()?;
            for (id, _, present) in known {
                if !seen.contains(&id) {
                    stats.gone += 1;
                    if present {
                        tx.execute("UPDATE files SET present = 0 WHERE id = ?1", [id])?;
                    }
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('last_scan_ms', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [now_ms().to_string()],
            )?;
            tx.commit()?;
        }
        Ok(stats)
    }

    /// Counts the file at `path` in `stats`' pending figures when the index does not hold all
    /// of it: its size less what was consumed of it (the same file, not shorter), else its
    /// size (an estimate for progress: a file the index holds under another spelling of its
    /// path, or written over in place, is not told apart). Gives the id of its row, if any.
    fn count_pending(&self, path: &Path, stats: &mut UpdateStats) -> Result<Option<i64>, Error> {
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(None);
        };
        let size = meta.len();
        let row = Self::file_row(&self.conn, &path_key(path))?;
        let left = match row {
            Some(r) if (r.dev, r.ino) == identity(&meta) && size >= r.consumed as u64 => {
                let left = size - r.consumed as u64;
                // A document is read again whole when its size changes: never awaited.
                if !r.whole && awaited_tail(path, r.consumed as u64, left) {
                    0
                } else {
                    left
                }
            }
            _ => size,
        };
        if left > 0 {
            stats.pending_files += 1;
            stats.pending_bytes += left;
        }
        Ok(row.map(|r| r.id))
    }

    /// What the index does not hold yet of the file at `path` (named as [`Ledger::update`]
    /// takes it; resolved with [`canonical`]): `(bytes left, file size)`, or `None` when it
    /// holds all of it (or the file cannot be read). Bytes left are the size less what was
    /// consumed of the same file, else the whole size; a file written over in place at the
    /// same size is not seen (as [`Reread::Overwritten`] would, with a read).
    pub fn pending_bytes(&self, path: &Path) -> Result<Option<(u64, u64)>, Error> {
        let mut stats = UpdateStats::default();
        let path = canonical(path);
        let known = self.count_pending(&path, &mut stats)?;
        if known.is_none() && stats.pending_files > 0 {
            // Known under another spelling of its path (a link)?
            if let Ok(meta) = std::fs::metadata(&path) {
                if let Some(other) = self.alias_row(identity(&meta))? {
                    stats = UpdateStats::default();
                    self.count_pending(Path::new(&other), &mut stats)?;
                }
            }
        }
        Ok((stats.pending_files > 0).then(|| {
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            (stats.pending_bytes, size)
        }))
    }

    /// When the last [`Ledger::update`] over folders finished, in ms since the epoch.
    pub fn last_scan_ms(&self) -> Result<Option<i64>, Error> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'last_scan_ms'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()))
    }

    /// Whether the index knows a file at `path` or below it (resolved: [`canonical`]), present
    /// on disk or not: a folder or file gone from disk whose history the index still holds.
    pub fn holds(&self, path: &Path) -> Result<bool, Error> {
        let path = canonical(path);
        if Self::file_row(&self.conn, &path_key(&path))?.is_some() {
            return Ok(true);
        }
        Ok(!self.files_under(std::slice::from_ref(&path))?.is_empty())
    }

    /// How many lines of the files at `paths` (resolved: [`canonical`]; files the index does
    /// not know count none) it holds usage of only in part: lines that could not be read
    /// ([`Entries::unread`]) and lines read with a problem in their usage
    /// ([`Entries::partly`]; known only for files a build that records them read). One small
    /// query per file, for the status line's marker.
    pub fn lines_not_counted(&self, paths: &[PathBuf]) -> Result<u64, Error> {
        let partly = self.has_table("partly_read_files")?;
        let sql = if partly {
            "SELECT f.unread_lines + coalesce((SELECT p.lines FROM partly_read_files p
                                               WHERE p.file_id = f.id), 0)
             FROM files f WHERE f.path = ?1"
        } else {
            "SELECT unread_lines FROM files WHERE path = ?1"
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut sum = 0u64;
        for path in paths {
            let key = path_key(&canonical(path));
            let n: Option<i64> = stmt.query_row([&key], |r| r.get(0)).optional()?;
            sum += n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        }
        Ok(sum)
    }

    /// The sessions written in the files at `paths` (resolved: [`canonical`]; files the index
    /// does not know have none), by name, sorted: those of the responses first read from them
    /// and of the responses also read from them (a resumed copy's lines: the session named
    /// there, [`schema`]'s `response_files`). A session's transcript gives its id whatever id
    /// the caller was told (the status line's `session_id` may be another).
    pub fn sessions_in_files(&self, paths: &[PathBuf]) -> Result<Vec<String>, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT n.text FROM names n WHERE n.id IN (
                 SELECT r.session FROM responses r
                 WHERE r.file_id = (SELECT id FROM files WHERE path = ?1)
                 UNION
                 SELECT rf.session FROM response_files rf
                 WHERE rf.file_id = (SELECT id FROM files WHERE path = ?1))",
        )?;
        let mut out = Vec::new();
        for path in paths {
            let key = path_key(&canonical(path));
            let names = stmt.query_map([&key], |r| r.get::<_, String>(0))?;
            for name in names {
                out.push(name?);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// `(id, path, present)` of every known file below one of `roots` (by path text).
    fn files_under(&self, roots: &[PathBuf]) -> Result<Vec<(i64, String, bool)>, Error> {
        let prefixes: Vec<String> = roots.iter().map(|r| dir_prefix(r)).collect();
        let mut stmt = self.conn.prepare("SELECT id, path, present FROM files")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, path, present): (i64, String, bool) = row?;
            if prefixes.iter().any(|p| path.starts_with(p.as_str())) {
                out.push((id, path, present));
            }
        }
        Ok(out)
    }

    /// What decides which session a response written in several counts in: each session's
    /// span (earliest, latest line; by name id) and the other sessions (with their
    /// projects) of each response written in more than one.
    fn owners(&self) -> Result<Owners, Error> {
        let mut spans = HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT session, first_ms, last_ms FROM session_spans")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            spans.insert(r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?));
        }
        let mut also: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, session, project FROM response_sessions")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id = |i: usize| -> rusqlite::Result<u32> {
                Ok(r.get::<_, Option<i64>>(i)?
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0))
            };
            also.entry(r.get(0)?).or_default().push((id(1)?, id(2)?));
        }
        Ok(Owners { spans, also })
    }

    /// Every interned name, by id (index 0, and ids no longer used: `""`).
    fn names(&self) -> Result<Vec<String>, Error> {
        let mut names = vec![String::new()];
        let mut stmt = self.conn.prepare("SELECT id, text FROM names")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, text) = row?;
            let id = usize::try_from(id).unwrap_or(0);
            if id >= names.len() {
                names.resize(id + 1, String::new());
            }
            names[id] = text;
        }
        Ok(names)
    }

    /// The responses of the files below `scope` (or all, for [`Scope::All`]), with their names
    /// resolved, from `since_ms` on (all when `None`), each priced with `pricing` as a request
    /// of its own ([`Entry::cost_pico`]).
    pub fn entries(
        &self,
        scope: &Scope,
        since_ms: Option<i64>,
        pricing: &Pricing,
    ) -> Result<Entries, Error> {
        let names = self.names()?;
        let mut pricer = RowPricer::new(pricing);
        // How the user named the files in scope: the unread-lines note names a file as given.
        let mut given = Given::default();
        let files: Option<HashSet<i64>> = match scope {
            Scope::All => None,
            Scope::Paths { roots, files, ids } => {
                given.roots.clone_from(roots);
                let canonical_roots: Vec<PathBuf> = roots.iter().map(|r| canonical(r)).collect();
                let mut all: HashSet<i64> = self
                    .files_under(&canonical_roots)?
                    .into_iter()
                    .map(|(id, _, _)| id)
                    .collect();
                all.extend(ids.iter().copied());
                for named in files {
                    let f = canonical(named);
                    let row = match Self::file_row(&self.conn, &path_key(&f))? {
                        Some(row) => Some(row),
                        None => match std::fs::metadata(&f) {
                            Ok(m) => match self.alias_row(identity(&m))? {
                                Some(other) => Self::file_row(&self.conn, &other)?,
                                None => None,
                            },
                            Err(_) => None,
                        },
                    };
                    if let Some(row) = row {
                        all.insert(row.id);
                        given.files.insert(row.id, named.clone());
                    }
                }
                Some(all)
            }
        };
        let mut out = Entries {
            names,
            ..Entries::default()
        };
        // Two statements: `?1 IS NULL OR ts_ms >= ?1` would keep SQLite off the time index.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT file_id, ts_ms, session, project, model, subagent,
                    input, output, cache_read, cache_5m, cache_1h,
                    speed, service_tier, inference_geo, prompt_tokens, key, agent, not_a_call,
                    {}, {}
             FROM responses WHERE {}",
            self.searches_column(),
            self.unread_column(),
            if since_ms.is_some() {
                "ts_ms >= ?1"
            } else {
                "?1 IS NULL"
            }
        ))?;
        let owners = self.owners()?;
        // Over paths: the sessions each response was also read in from files in scope (a
        // copy, a resumed session first indexed from elsewhere).
        let mut copies: HashMap<String, Vec<u32>> = HashMap::new();
        if let Some(ids) = &files {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT key, file_id, session FROM response_files")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                if ids.contains(&r.get(1)?) {
                    let session = u32::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
                    copies.entry(r.get(0)?).or_default().push(session);
                }
            }
        }
        let mut rows = stmt.query([since_ms])?;
        // Names of what has no price, interned once.
        let mut reasons: HashMap<String, u32> = HashMap::new();
        while let Some(r) = rows.next()? {
            let file_id: i64 = r.get(0)?;
            let name = |i: usize| -> rusqlite::Result<u32> {
                Ok(r.get::<_, Option<i64>>(i)?
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0))
            };
            // Over paths: kept when read from a file in scope, counted in the session the rule
            // picks among those it was written in there (as a read of those files alone).
            let mut in_scope = Vec::new();
            if let Some(ids) = &files {
                let key = r.get_ref(15)?.as_str().unwrap_or("");
                in_scope.extend(copies.get(key).into_iter().flatten());
                if ids.contains(&file_id) {
                    in_scope.push(name(2)?);
                }
                if in_scope.is_empty() {
                    continue;
                }
            }
            let (tokens, searches_unknown) = tokens_searched_at(r, 6, 18)?;
            let model = name(4)?;
            let factor_ids = [r.get(11)?, r.get(12)?, r.get(13)?];
            let ts_ms: Option<i64> = r.get(1)?;
            let (cost_pico, factors_unknown) = pricer.price(
                model_name(&out.names, model),
                &tokens,
                &out.names,
                factor_ids,
                r.get(14)?,
                ts_ms,
            );
            // Usage not read whole: a call of unknown cost, whatever its known tokens cost.
            let unread = unread_from_code(r.get(19)?);
            let priced = cost_pico.is_some();
            let cost_pico = cost_pico.filter(|_| unread.is_none());
            // Left NULL only where its transcript could not be read again (gone).
            let estimated = factors_unknown || searches_unknown;
            let unpriced = match cost_pico {
                Some(_) => 0,
                None => {
                    // With no price either, the missing price is the reason (as the session
                    // core says it): the model is then one without a price.
                    let why = match unread.filter(|_| priced) {
                        Some(u) => Some(u.describe().to_owned()),
                        None => pricer.unpriced(model_name(&out.names, model), factor_ids, ts_ms),
                    };
                    match why {
                        Some(w) => *reasons.entry(w).or_insert_with_key(|w| {
                            out.names.push(w.clone());
                            (out.names.len() - 1) as u32
                        }),
                        None => 0,
                    }
                }
            };
            let (session, project) = if owners.also.is_empty() {
                (name(2)?, name(3)?)
            } else {
                let key = r.get_ref(15)?.as_str().unwrap_or("");
                let among = files.is_some().then_some(in_scope.as_slice());
                owners.owner(key, (name(2)?, name(3)?), &out.names, among)
            };
            let entry = Entry {
                ts_ms: ts_ms.unwrap_or(0),
                session,
                project,
                model,
                subagent: r.get(5)?,
                agent: name(16)
                    .map(|id| crate::event::Agent::from_name(out.name(id)).unwrap_or_default())?,
                tokens,
                cost_pico,
                estimated,
                unpriced,
                call: !r.get::<_, bool>(17)?,
            };
            out.push(entry, ts_ms.is_some());
        }
        out.rows.sort_by_key(|e| e.ts_ms);
        out.settle_projects();
        // What remains on disk starts where the oldest present file's oldest response is
        // (a scan of every row: only for reports over all history).
        out.oldest_on_disk_ms = if since_ms.is_some() {
            None
        } else {
            self.conn
                .query_row(
                    "SELECT min(r.ts_ms) FROM responses r JOIN files f ON f.id = r.file_id
                 WHERE f.present = 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .flatten()
        };
        // The sessions the rows count in, settled over every file that holds their lines.
        let sessions: BTreeSet<i64> = out.rows.iter().map(|e| i64::from(e.session)).collect();
        for (session, named) in self.named_unread(&sessions)? {
            let id = usize::try_from(session).unwrap_or(0);
            out.named
                .insert(out.names.get(id).cloned().unwrap_or_default(), named);
        }
        out.limit_hits = self.limit_hits_in(files.as_ref())?;
        out.unread = self.unread(files.as_ref(), &given)?;
        (out.partly, out.unknown) = self.partly(files.as_ref(), &given)?;
        Ok(out)
    }

    /// The sessions of `sessions` (`names` ids; 0, no session, is left out) that name a
    /// subagent or workflow run of which no line was read anywhere in the index, each with its
    /// [`Named`]: every file's facts of the session (`file_named`, [`schema`]), settled with
    /// those of every other session that read the same ids (a resumed session's copied lines
    /// name its original's subagents, whose lines carry the original's id: [`Named::settle`])
    /// and with the files whose facts are not known (gone from disk before a build recorded
    /// them, or read last by an older build and not read again yet), whose agent
    /// (`agent-ID.jsonl`) or workflow run (`workflows/wf_…/`, [`workflow_run_of_path`]) is
    /// told by their path and taken as read. Empty for an index without the tables (one only
    /// read, that no build recording them wrote). Looks only at the sessions' facts unless one
    /// of them names something unread.
    pub fn named_unread(&self, sessions: &BTreeSet<i64>) -> Result<BTreeMap<i64, Named>, Error> {
        let mut out = BTreeMap::new();
        if sessions.is_empty()
            || !self.has_table("file_named")?
            || !self.has_table("named_files")?
        {
            return Ok(out);
        }
        // A row's kind and flags (`None`: a kind no build writes).
        let fact = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Option<(NamedKind, u8)>> {
            let flags = u8::try_from(r.get::<_, i64>(2)? & 0xff).unwrap_or(0);
            Ok(NamedKind::from_code(r.get(0)?).map(|k| (k, flags)))
        };
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT kind, id, flags FROM file_named WHERE session = ?1")?;
            for &session in sessions.iter().filter(|s| **s != 0) {
                let mut named = Named::new();
                let mut rows = stmt.query([session])?;
                while let Some(r) = rows.next()? {
                    if let Some((kind, flags)) = fact(r)? {
                        named.add_fact(kind, r.get_ref(1)?.as_str().unwrap_or(""), flags);
                    }
                }
                if !named.all_read() {
                    out.insert(session, named);
                }
            }
        }
        if out.is_empty() {
            return Ok(out);
        }
        // What any session (any file) read of the ids named and not read.
        let mut wanted: BTreeSet<(NamedKind, String)> = BTreeSet::new();
        for named in out.values() {
            wanted.extend(
                named
                    .unread_subagents()
                    .map(|id| (NamedKind::Subagent, id.to_owned())),
            );
            wanted.extend(
                named
                    .unread_runs()
                    .map(|id| (NamedKind::Run, id.to_owned())),
            );
        }
        let mut elsewhere = Named::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT kind, id, flags FROM file_named WHERE id = ?1")?;
            for (kind, id) in &wanted {
                let mut rows = stmt.query([id])?;
                while let Some(r) = rows.next()? {
                    if let Some((k, flags)) = fact(r)? {
                        if k == *kind {
                            let read = flags & (named_flag::READ | named_flag::USAGE_READ);
                            elsewhere.add_fact(k, id, read);
                        }
                    }
                }
            }
        }
        // Files whose facts are not known: their agent or run, told by their path.
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT path FROM files f WHERE NOT EXISTS (SELECT 1 FROM named_files n
                     WHERE n.file_id = f.id AND n.consumed = f.consumed)",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let path = r.get_ref(0)?.as_str().unwrap_or("");
                if let Some(run) = workflow_run_of_path(path) {
                    elsewhere.add_fact(NamedKind::Run, run, named_flag::READ);
                }
                if let Some(agent) = agent_of_path(path) {
                    elsewhere.add_fact(
                        NamedKind::Subagent,
                        agent,
                        named_flag::READ | named_flag::USAGE_READ,
                    );
                }
            }
        }
        Named::settle(out.values_mut().chain(std::iter::once(&mut elsewhere)));
        out.retain(|_, n| !n.all_read());
        Ok(out)
    }

    /// [`Ledger::named_unread`] of the sessions with these ids (as their lines write them),
    /// by id: those that name a subagent or workflow run of which no line was read anywhere
    /// in the index. An id the index does not know names nothing.
    pub fn named_unread_of(&self, ids: &[String]) -> Result<BTreeMap<String, Named>, Error> {
        let mut by_name = BTreeMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id FROM names WHERE text = ?1")?;
            for id in ids {
                if let Some(n) = stmt.query_row([id], |r| r.get::<_, i64>(0)).optional()? {
                    by_name.insert(n, id.clone());
                }
            }
        }
        let sessions: BTreeSet<i64> = by_name.keys().copied().collect();
        Ok(self
            .named_unread(&sessions)?
            .into_iter()
            .filter_map(|(n, named)| by_name.remove(&n).map(|id| (id, named)))
            .collect())
    }

    /// The lines read with a problem in their usage in the files with these ids (all files:
    /// `None`), as [`Ledger::unread`] gives the lines lost; none in an index only read that
    /// lacks the table.
    ///
    /// Said apart `(not counted, counted as calls of unknown cost)` for the files a build that
    /// marks the latter read last (`unread_usage_files` at the file's `consumed`); the lines of
    /// other files are all in the first, as the build that read them said them.
    fn partly(
        &self,
        files: Option<&HashSet<i64>>,
        given: &Given,
    ) -> Result<(Unread, Unread), Error> {
        if !self.has_table("partly_read_files")? {
            return Ok(Default::default());
        }
        let apart = self.has_table("unread_usage_files")?;
        let sql = if apart {
            "SELECT f.id, f.path, p.lines, p.first, u.lines, u.first, u.rest_lines, u.rest_first
             FROM files f
             LEFT JOIN partly_read_files p ON p.file_id = f.id
             LEFT JOIN unread_usage_files u ON u.file_id = f.id AND u.consumed = f.consumed
             WHERE (u.file_id IS NULL AND p.lines > 0) OR u.lines > 0 OR u.rest_lines > 0
             ORDER BY f.id"
        } else {
            "SELECT f.id, f.path, p.lines, p.first, NULL, NULL, NULL, NULL
             FROM partly_read_files p JOIN files f ON f.id = p.file_id
             WHERE p.lines > 0 ORDER BY f.id"
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        let (mut rest, mut unknown) = (Unread::default(), Unread::default());
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if files.is_some_and(|ids| !ids.contains(&id)) {
                continue;
            }
            let path: String = r.get(1)?;
            let tally = |lines: Option<i64>, first: Option<String>| Unread {
                lines: lines.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                files: u64::from(lines.is_some_and(|n| n > 0)),
                first: first.map(|f| given.rename(id, &path, f)),
            };
            let apart_lines: Option<i64> = r.get(4)?;
            if apart_lines.is_some() {
                unknown.add(tally(apart_lines, r.get(5)?));
                rest.add(tally(r.get(6)?, r.get(7)?));
            } else {
                rest.add(tally(r.get(2)?, r.get(3)?));
            }
        }
        Ok((rest, unknown))
    }

    /// The lines that could not be read in the files with these ids (all files: `None`), the
    /// first of them from the file indexed first, its file named as `given` names it.
    fn unread(&self, files: Option<&HashSet<i64>>, given: &Given) -> Result<Unread, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, unread_lines, first_unread, path FROM files
             WHERE unread_lines > 0 ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Unread::default();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if files.is_some_and(|ids| !ids.contains(&id)) {
                continue;
            }
            let first: Option<String> = r.get(2)?;
            let path: String = r.get(3)?;
            out.add(Unread {
                lines: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                files: 1,
                first: first.map(|f| given.rename(id, &path, f)),
            });
        }
        Ok(out)
    }

    /// Records an official limit reading (from the status line's `rate_limits`): `window` is
    /// `five_hour`, `seven_day`, …; `used_percent` in percent (over 100 when used past the limit); times in ms since the epoch.
    /// `account` is the Claude Code account whose status line read it, as its configuration
    /// folders ([`crate::source::watch::claude_config_dirs`]): the windows are an account's,
    /// and [`Ledger::latest_readings`] gives an account its own readings alone.
    /// Not recorded in an index only read ([`Ledger::read_only`]).
    pub fn record_reading(
        &mut self,
        reading: &LimitReading,
        account: &[PathBuf],
    ) -> Result<(), Error> {
        if self.read_only.is_some() {
            return Ok(());
        }
        // An index this build may write has the column (`create_additive`).
        self.conn
            .prepare_cached(
                "INSERT INTO limit_readings
                     (read_ms, window, used_percent, resets_at_ms, session, account)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                reading.read_ms,
                reading.window,
                reading.used_percent,
                reading.resets_at_ms,
                reading.session,
                account_key(account),
            ])?;
        Ok(())
    }

    /// The latest official reading of each window of the account whose configuration folders
    /// are `account` ([`crate::source::watch::claude_config_dirs`]), by window name: those it
    /// recorded (an account of all these folders or of one of them), and those an older build
    /// recorded without saying the account ([`schema`]'s `limit_readings.account`) for a
    /// session with a transcript below one of the folders. Another account's readings are
    /// never taken: its windows are not this one's (shared/usage-over-time.md §2.4).
    pub fn latest_readings(&self, account: &[PathBuf]) -> Result<Vec<LimitReading>, Error> {
        let has_account = has_column(&self.conn, "limit_readings", "account")?;
        let dirs: Vec<PathBuf> = account.iter().map(|d| canonical(d)).collect();
        let mut keys: Vec<String> = dirs
            .iter()
            .map(|d| account_key(std::slice::from_ref(d)))
            .collect();
        keys.push(account_key(&dirs));
        keys.sort();
        keys.dedup();
        let windows: Vec<String> = self
            .conn
            .prepare("SELECT DISTINCT window FROM limit_readings ORDER BY window")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let reading = |r: &rusqlite::Row<'_>| {
            Ok(LimitReading {
                read_ms: r.get(0)?,
                window: r.get(1)?,
                used_percent: r.get(2)?,
                resets_at_ms: r.get(3)?,
                session: r.get(4)?,
            })
        };
        const COLUMNS: &str = "read_ms, window, used_percent, resets_at_ms, session";
        let mut out = Vec::new();
        let mut sessions: HashMap<String, bool> = HashMap::new();
        for window in windows {
            let mut best: Option<LimitReading> = None;
            if has_account {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM limit_readings WHERE account = ?1 AND window = ?2
                     ORDER BY read_ms DESC, id DESC LIMIT 1"
                ))?;
                for key in &keys {
                    if let Some(r) = stmt.query_row(params![key, window], reading).optional()? {
                        if best.as_ref().is_none_or(|b| r.read_ms > b.read_ms) {
                            best = Some(r);
                        }
                    }
                }
            }
            // Readings of builds that did not record the account, newer than the account's
            // own: the account's when their session's transcript is below its folders. At
            // most the latest [`UNSAID_READINGS`] looked at (another account's older build
            // may have recorded many): one further back is left out, as a reading of no
            // account is.
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM limit_readings WHERE {} window = ?1 AND read_ms > ?2
                 ORDER BY read_ms DESC, id DESC LIMIT {UNSAID_READINGS}",
                if has_account {
                    "account IS NULL AND"
                } else {
                    ""
                }
            ))?;
            let after = best.as_ref().map_or(i64::MIN, |b| b.read_ms);
            let unsaid: Vec<LimitReading> = stmt
                .query_map(params![window, after], reading)?
                .collect::<Result<_, _>>()?;
            for r in unsaid {
                let Some(session) = r.session.clone() else {
                    continue;
                };
                let mine = match sessions.get(&session) {
                    Some(&mine) => mine,
                    None => {
                        let mine = self.session_below(&session, &dirs)?;
                        sessions.insert(session, mine);
                        mine
                    }
                };
                if mine {
                    best = Some(r);
                    break;
                }
            }
            out.extend(best);
        }
        Ok(out)
    }

    /// Whether session `id` (its name) has a response read from a file below one of `dirs`
    /// (resolved).
    fn session_below(&self, id: &str, dirs: &[PathBuf]) -> Result<bool, Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT f.path FROM responses r JOIN files f ON f.id = r.file_id
             WHERE r.session = (SELECT id FROM names WHERE text = ?1)",
        )?;
        let prefixes: Vec<String> = dirs.iter().map(|d| dir_prefix(d)).collect();
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let path: String = r.get(0)?;
            if prefixes.iter().any(|p| path.starts_with(p.as_str())) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The limit messages found in transcripts, oldest first: `(time ms, text)`.
    pub fn limit_hits(&self) -> Result<Vec<(i64, String)>, Error> {
        self.limit_hits_in(None)
    }

    /// The limit messages found in the files with these ids (all files: `None`), oldest
    /// first: `(time ms, text)`, each message once however many files (copies) hold it.
    fn limit_hits_in(&self, files: Option<&HashSet<i64>>) -> Result<Vec<(i64, String)>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, ts_ms, text, file_id FROM limit_hits ORDER BY ts_ms, key")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for row in rows {
            let (key, ts_ms, text, file_id) = row?;
            if files.is_some_and(|ids| !ids.contains(&file_id)) {
                continue;
            }
            // The message's own key, without the file a row of this version adds.
            let message = match key.rsplit_once(HIT_FILE) {
                Some((message, id)) if id == file_id.to_string() => message.to_owned(),
                _ => key,
            };
            if seen.insert(message) {
                out.push((ts_ms, text));
            }
        }
        Ok(out)
    }

    /// Tokens and cost by model of one session (all its history, undated responses included),
    /// `unknown` for responses naming no model; each response priced with `pricing` as a
    /// request of its own, as [`Ledger::entries`] prices it.
    pub fn session_usage(
        &self,
        session: &str,
        pricing: &Pricing,
    ) -> Result<BTreeMap<String, ModelTotals>, Error> {
        self.session_usage_after(session, pricing, None)
    }

    /// [`Ledger::session_usage`] of the responses timed after `after_ms` (ms since the epoch)
    /// alone, when given (undated responses left out then): the part of a session no file
    /// last written at or before `after_ms` can hold. The status line's lower bound while
    /// files a response may also be written in (a session it was resumed from) are not
    /// indexed yet: a response counts in the session where it first occurred, so until those
    /// files are read, a copied response would count as the session's own.
    pub fn session_usage_after(
        &self,
        session: &str,
        pricing: &Pricing,
        after_ms: Option<i64>,
    ) -> Result<BTreeMap<String, ModelTotals>, Error> {
        let Some(id) = self
            .conn
            .prepare_cached("SELECT id FROM names WHERE text = ?1")?
            .query_row([session], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            return Ok(BTreeMap::new());
        };
        let names = self.names()?;
        let mut pricer = RowPricer::new(pricing);
        let mut out: BTreeMap<String, ModelTotals> = BTreeMap::new();
        let owners = self.owners()?;
        // Its responses, and those also written in it: each counts where it first occurred.
        let mut stmt = self.conn.prepare_cached(
            &format!(
                "SELECT model, input, output, cache_read, cache_5m, cache_1h,
                        speed, service_tier, inference_geo, prompt_tokens, key, session, project,
                        ts_ms, {}, {}
                 FROM responses
                 WHERE session = ?1 OR key IN (SELECT key FROM response_sessions WHERE session = ?1)",
                self.searches_column(),
                self.unread_column()
            ),
        )?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let name_id = |i: usize| -> rusqlite::Result<u32> {
                Ok(r.get::<_, Option<i64>>(i)?
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0))
            };
            if let Some(after) = after_ms {
                if r.get::<_, Option<i64>>(13)?.is_none_or(|ts| ts <= after) {
                    continue;
                }
            }
            let key = r.get_ref(10)?.as_str().unwrap_or("");
            let (owner, _) = owners.owner(key, (name_id(11)?, name_id(12)?), &names, None);
            if i64::from(owner) != id {
                continue;
            }
            let model = r
                .get::<_, Option<i64>>(0)?
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0);
            let model = model_name(&names, model);
            let (tokens, _) = tokens_searched_at(r, 1, 14)?;
            let (cost, _) = pricer.price(
                model,
                &tokens,
                &names,
                [r.get(6)?, r.get(7)?, r.get(8)?],
                r.get(9)?,
                r.get(13)?,
            );
            // Usage not read whole: its cost is unknown.
            let cost = cost.filter(|_| r.get::<_, Option<i64>>(15).ok().flatten().is_none());
            out.entry(model.to_owned()).or_default().add(tokens, cost);
        }
        Ok(out)
    }

    /// [`Ledger::session_usage`] from the per-session sums (`session_sums`, schema version
    /// 7) instead of the session's rows: one priced request per (model, speed, service tier,
    /// inference geo) group, so its cost does not grow with the session's length. `Ok(None)`
    /// when the sums cannot give it exactly: a response of the session was also written in
    /// another session (the rule decides its owner per response), a group's responses lie on
    /// both sides of its model's long-context threshold, or a sum is not a count (hostile
    /// counts), or the rates of a group's model changed during the session (each response is
    /// priced at the rates of its time, [`Pricing::request_cost_at`]); the caller then asks
    /// [`Ledger::session_usage`]. The tokens are those of
    /// [`Ledger::session_usage`]; the cost is the sum of the same per-request rates over the
    /// same tokens, so it differs from the per-response sum only by the rounding of each
    /// response to the picodollar (under a millionth of a cent per response).
    pub fn session_usage_summed(
        &self,
        session: &str,
        pricing: &Pricing,
    ) -> Result<Option<BTreeMap<String, ModelTotals>>, Error> {
        let Some(id) = self
            .conn
            .prepare_cached("SELECT id FROM names WHERE text = ?1")?
            .query_row([session], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            return Ok(Some(BTreeMap::new()));
        };
        let shared = self
            .conn
            .prepare_cached("SELECT 1 FROM shared_sessions WHERE session = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?;
        if shared.is_some() {
            return Ok(None);
        }
        // The sums hold no web searches (a session with any, or with rows whose count is not
        // known), nor which rows' usage was not read whole (cost unknown): a session with such
        // rows is priced from its rows. Each probe only where its column exists, through the
        // partial index of those rows: cheap.
        let probes = [
            (
                self.web_searches,
                "SELECT 1 FROM responses WHERE session = ?1 AND web_searches IS NOT 0",
            ),
            (
                self.unread_usage,
                "SELECT 1 FROM responses WHERE session = ?1 AND unread IS NOT NULL",
            ),
        ];
        for (column, probe) in probes {
            if column && self.conn.prepare_cached(probe)?.exists([id])? {
                return Ok(None);
            }
        }
        // The session's earliest and latest line (its responses' times lie between them); none
        // when no line had a timestamp (its responses are priced at the current rates).
        let span: Option<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT first_ms, last_ms FROM session_spans WHERE session = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.model, s.speed, s.service_tier, s.inference_geo, s.estimated,
                    s.rows, s.input, s.output, s.cache_read, s.cache_5m, s.cache_1h,
                    s.min_prompt, s.max_prompt,
                    (SELECT text FROM names WHERE id = s.model),
                    (SELECT text FROM names WHERE id = s.speed),
                    (SELECT text FROM names WHERE id = s.service_tier),
                    (SELECT text FROM names WHERE id = s.inference_geo)
             FROM session_sums s WHERE s.session = ?1 AND s.rows > 0",
        )?;
        let mut rows = stmt.query([id])?;
        let mut out: BTreeMap<String, ModelTotals> = BTreeMap::new();
        while let Some(r) = rows.next()? {
            // A sum past i64 (hostile counts) is stored as a real: not a count.
            let count = |i: usize| -> Option<u64> {
                match r.get_ref(i).ok()? {
                    rusqlite::types::ValueRef::Integer(v) => u64::try_from(v).ok(),
                    _ => None,
                }
            };
            let (Some(calls), Some(input), Some(output), Some(cache_read), Some(c5), Some(c1h)) =
                (count(5), count(6), count(7), count(8), count(9), count(10))
            else {
                return Ok(None);
            };
            let tokens = Tokens {
                input,
                output,
                cache_read,
                cache_write_5m: c5,
                cache_write_1h: c1h,
                web_search: 0,
            };
            let prompt = |i: usize| -> Option<u64> {
                match r.get_ref(i).ok()? {
                    rusqlite::types::ValueRef::Integer(v) => Some(u64::try_from(v).unwrap_or(0)),
                    _ => None,
                }
            };
            let (Some(low), Some(high)) = (prompt(11), prompt(12)) else {
                return Ok(None);
            };
            let model = match r.get::<_, Option<String>>(13)? {
                Some(m) if !m.is_empty() => m,
                _ => "unknown".to_owned(),
            };
            let estimated: bool = r.get(4)?;
            let text = |i: usize| -> rusqlite::Result<Option<Cow<'static, str>>> {
                Ok(r.get::<_, Option<String>>(i)?.map(Cow::Owned))
            };
            // A row without recorded factors is priced at standard speed, tier and geo
            // (as [`RowPricer::price`] does), its long-context tier by its own input.
            let mut factors = if estimated {
                PriceFactors::default()
            } else {
                PriceFactors {
                    speed: text(14)?,
                    service_tier: text(15)?,
                    inference_geo: text(16)?,
                    prompt_tokens: 0,
                }
            };
            // Each response is priced at the rates of its time: the sums price them at the
            // current rates only when those held over the whole session (a response with no
            // timestamp is priced at the current rates too).
            let dated = pricing.request_price(
                &crate::session::pricing::ModelId::parse(&model),
                &factors,
                span.map(|(first, _)| first),
            );
            let one_period = dated.valid.contains(None)
                && span.is_none_or(|(_, last)| dated.valid.contains(Some(last)));
            if !one_period {
                return Ok(None);
            }
            factors.prompt_tokens = low;
            let at_low = pricing.request_cost(&model, &tokens, &factors);
            factors.prompt_tokens = high;
            let at_high = pricing.request_cost(&model, &tokens, &factors);
            // The rates are a step in the prompt size: the same at both ends, the same for all.
            if at_low != at_high {
                return Ok(None);
            }
            let totals = out.entry(model).or_default();
            totals.tokens = totals.tokens.saturating_add(tokens);
            match at_low {
                Some(usd) => totals.cost_pico = totals.cost_pico.saturating_add(to_pico(usd)),
                None => totals.unpriced += calls,
            }
        }
        Ok(Some(out))
    }

    /// Tool calls and failed ones recorded, in all history.
    pub fn tool_counts(&self) -> Result<(u64, u64), Error> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(is_error), 0) FROM tools",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }
}

/// The sessions of responses written in several ([`Ledger::owners`]).
struct Owners {
    /// Per session name id: (earliest, latest) line, ms since the epoch.
    spans: HashMap<i64, (i64, i64)>,
    /// Per response key: the other sessions it was written in, with their projects (name ids).
    also: HashMap<String, Vec<(u32, u32)>>,
}

impl Owners {
    /// The (session, project) response `key`, stored with `row`, counts in
    /// ([`collect::first_occurred`]), among the sessions in `among` when given (those it was
    /// written in within the files a report covers).
    fn owner(
        &self,
        key: &str,
        row: (u32, u32),
        names: &[String],
        among: Option<&[u32]>,
    ) -> (u32, u32) {
        let Some(also) = self.also.get(key) else {
            return row;
        };
        let ranked = |(s, _): (u32, u32)| {
            (
                names.get(s as usize).map_or("", String::as_str),
                self.spans.get(&i64::from(s)).copied(),
            )
        };
        let mut candidates = std::iter::once(&row)
            .chain(also)
            .copied()
            .filter(|(s, _)| among.is_none_or(|a| a.contains(s)));
        let Some(first) = candidates.next() else {
            return row;
        };
        candidates.fold(first, |best, other| {
            if best.0 != 0 && collect::first_occurred(ranked(best), ranked(other)) {
                best
            } else {
                other
            }
        })
    }
}

/// How a report's paths were named: the files of the index shown as the user named them.
#[derive(Debug, Default)]
struct Given {
    /// The folders, as given.
    roots: Vec<PathBuf>,
    /// Each file named, by the index id of its row, as given.
    files: HashMap<i64, PathBuf>,
}

impl Given {
    /// `text` (which starts with the stored `path` of file `id`, as an unread line's place
    /// does) with that path as the user named it: the file itself, or the folder it is below
    /// joined with the rest; unchanged when named neither way (no paths, or reached through a
    /// link from outside the folders).
    fn rename(&self, id: i64, path: &str, text: String) -> String {
        let Some(rest) = text.strip_prefix(path) else {
            return text;
        };
        let named = match self.files.get(&id) {
            Some(f) => f.clone(),
            None => match as_named(path, &self.roots, &[]) {
                Some(p) => p,
                None => return text,
            },
        };
        format!("{}{rest}", named.display())
    }
}

/// A path the index stores (resolved: [`canonical`]) as the user named it: one of `files`
/// whose resolved path it is, or below one of `roots` (resolved) joined with the rest, so
/// messages name files as the user gave them, as a read without the index does; `None` when
/// neither (a file reached through a link from outside the folders).
pub fn as_named(path: &str, roots: &[PathBuf], files: &[PathBuf]) -> Option<PathBuf> {
    if let Some(f) = files.iter().find(|f| path_key(&canonical(f)) == path) {
        return Some(f.clone());
    }
    roots
        .iter()
        .find_map(|root| Some(root.join(path.strip_prefix(dir_prefix(&canonical(root)).as_str())?)))
}

/// How many readings an older build recorded without their account
/// [`Ledger::latest_readings`] looks at per window, newest first.
const UNSAID_READINGS: usize = 1000;

/// The `limit_readings.account` of an account whose configuration folders are `dirs`: each
/// resolved ([`canonical`]), sorted, deduplicated and joined by a newline.
fn account_key(dirs: &[PathBuf]) -> String {
    let mut all: Vec<String> = dirs.iter().map(|d| path_key(&canonical(d))).collect();
    all.sort();
    all.dedup();
    all.join("\n")
}

/// `dir` as a prefix of the paths below it (with a trailing separator).
fn dir_prefix(dir: &Path) -> String {
    let mut s = path_key(dir);
    if !s.ends_with(std::path::MAIN_SEPARATOR) {
        s.push(std::path::MAIN_SEPARATOR);
    }
    s
}

/// The five token counts of a `responses` row, from column `at` on.
fn tokens_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Tokens> {
    Ok(Tokens {
        input: r.get::<_, i64>(at)? as u64,
        output: r.get::<_, i64>(at + 1)? as u64,
        cache_read: r.get::<_, i64>(at + 2)? as u64,
        cache_write_5m: r.get::<_, i64>(at + 3)? as u64,
        cache_write_1h: r.get::<_, i64>(at + 4)? as u64,
        web_search: 0,
    })
}

/// [`tokens_at`], and the web searches at column `searches` (NULL: written by a build that did
/// not know them, counted as none); also whether they were NULL.
fn tokens_searched_at(
    r: &rusqlite::Row<'_>,
    at: usize,
    searches: usize,
) -> rusqlite::Result<(Tokens, bool)> {
    let n: Option<i64> = r.get(searches)?;
    Ok((
        Tokens {
            web_search: n.map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            ..tokens_at(r, at)?
        },
        n.is_none(),
    ))
}

/// Whether `table` has the column `column`.
fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?
        .exists([table, column])?)
}

/// The model at name id `id` in `names`, `unknown` for none (the session core's name).
fn model_name(names: &[String], id: u32) -> &str {
    match names.get(id as usize).map_or("", String::as_str) {
        "" => "unknown",
        m => m,
    }
}

/// A response's cost in whole picodollars ([`to_pico`], as the session core rounds each
/// response), at the rates of its time `at_ms` (`None`: the current rates), or `None` when
/// it has no price. `factors: None` (not recorded) prices it at standard speed, tier and geo,
/// its long-context tier decided by its own tokens.
fn response_cost(
    pricing: &Pricing,
    model: &str,
    tokens: &Tokens,
    factors: Option<&PriceFactors>,
    at_ms: Option<i64>,
) -> Option<u128> {
    let usd = match factors {
        Some(f) => pricing.request_cost_at(model, tokens, f, at_ms)?,
        None => {
            let f = PriceFactors {
                prompt_tokens: tokens.total_input(),
                ..PriceFactors::default()
            };
            pricing.request_cost_at(model, tokens, &f, at_ms)?
        }
    };
    Some(to_pico(usd))
}

/// What has no price in a response of `model` made at `at_ms` (`None`: no timestamp, the
/// current rates) priced with `factors` (`None`: at standard speed, tier and geo):
/// `model NAME` (also for a model with no price at that time), `speed NAME`,
/// `service tier NAME` or `inference geo NAME`, the first of them the table lacks; `None`
/// when it has a price. The session core's rule ([`Pricing::unpriced_factor_named`]), the
/// model named as written.
pub fn unpriced_factor(
    pricing: &Pricing,
    model: &str,
    factors: Option<&PriceFactors>,
    at_ms: Option<i64>,
) -> Option<String> {
    let standard = PriceFactors::default();
    pricing.unpriced_factor_named(
        model,
        &crate::session::pricing::ModelId::parse(model),
        factors.unwrap_or(&standard),
        at_ms,
    )
}

/// Prices `responses` rows: their speed, tier and geo are name ids; the [`PriceFactors`] of
/// each combination is built once.
struct RowPricer<'p> {
    pricing: &'p Pricing,
    factors: HashMap<[Option<i64>; 3], PriceFactors>,
}

impl<'p> RowPricer<'p> {
    fn new(pricing: &'p Pricing) -> Self {
        RowPricer {
            pricing,
            factors: HashMap::new(),
        }
    }

    /// `(cost in picodollars, estimated)`: `ids` are the row's speed, service tier and
    /// inference geo (ids in `names`), `prompt` its prompt size, `ts_ms` its time (the rates
    /// then; NULL: the current rates); a NULL prompt size (a row indexed before the factors
    /// were recorded) is priced without them, and `estimated`.
    fn price(
        &mut self,
        model: &str,
        tokens: &Tokens,
        names: &[String],
        ids: [Option<i64>; 3],
        prompt: Option<i64>,
        ts_ms: Option<i64>,
    ) -> (Option<u128>, bool) {
        let Some(prompt) = prompt else {
            return (
                response_cost(self.pricing, model, tokens, None, ts_ms),
                true,
            );
        };
        let text = |id: Option<i64>| {
            id.and_then(|i| usize::try_from(i).ok())
                .and_then(|i| names.get(i))
                .map(|t| Cow::Owned(t.clone()))
        };
        let factors = self.factors.entry(ids).or_insert_with(|| PriceFactors {
            speed: text(ids[0]),
            service_tier: text(ids[1]),
            inference_geo: text(ids[2]),
            prompt_tokens: 0,
        });
        factors.prompt_tokens = u64::try_from(prompt).unwrap_or(0);
        (
            response_cost(self.pricing, model, tokens, Some(factors), ts_ms),
            false,
        )
    }

    /// [`unpriced_factor`] of a row priced by [`RowPricer::price`] (its factors as recorded,
    /// its time `ts_ms`).
    fn unpriced(&self, model: &str, ids: [Option<i64>; 3], ts_ms: Option<i64>) -> Option<String> {
        unpriced_factor(self.pricing, model, self.factors.get(&ids), ts_ms)
    }
}

/// Removes what the earlier readings of file `id` put in the index, before it is read again
/// from its start (in the caller's transaction, with the new reading: a crash leaves the old
/// state or the new one). A response whose row is this file's but that was also read from
/// another file (a copy, a resumed session; `response_files`) moves to the first such file
/// and the session there, so it stays counted once; the others are deleted, with their other
/// sessions (`response_sessions`). Tool calls and limit messages of the file are deleted; it
/// is no longer noted as another file of any response. Session spans are left (a span only
/// ranks sessions written in the same response; a response that is gone ranks nothing).
/// The first key past every stored key that starts with `prefix` (`m:ID\u{1f}`): the prefix
/// with its last character, the unit separator, raised by one (a space), so that
/// `key >= prefix AND key < end` is a range of the primary key.
fn message_prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    if end.pop() == Some('\u{1f}') {
        end.push(' ');
    }
    end
}

/// Moves the response keyed `old` to the key `new` (the same response: see
/// [`Ledger::fold_request_keys`]): renamed when `new` has no row; else merged into it as the
/// upsert merges rows (counts, web searches and prompt size by their largest, names and
/// factors kept where set, an API call if either is, the unread mark if either is
/// unread), `old`'s own file and session noted as another file and session of `new`. Its
/// notes (`response_files`, `response_sessions`) move with it. The triggers keep the
/// session sums.
fn fold_key(tx: &Connection, old: &str, new: &str) -> Result<(), Error> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM responses WHERE key = ?1")?
        .exists([new])?;
    if exists {
        tx.prepare_cached(
            "UPDATE responses AS n SET
                 web_searches = CASE WHEN n.web_searches IS NULL AND o.web_searches IS NULL
                     THEN NULL ELSE max(coalesce(n.web_searches, 0), coalesce(o.web_searches, 0)) END,
                 unread = coalesce(n.unread, o.unread),
                 input = max(n.input, o.input),
                 output = max(n.output, o.output),
                 cache_read = max(n.cache_read, o.cache_read),
                 cache_5m = max(n.cache_5m + n.cache_1h, o.cache_5m + o.cache_1h)
                     - max(n.cache_1h, o.cache_1h),
                 cache_1h = max(n.cache_1h, o.cache_1h),
                 ts_ms = coalesce(n.ts_ms, o.ts_ms),
                 model = coalesce(n.model, o.model),
                 session = coalesce(n.session, o.session),
                 project = coalesce(n.project, o.project),
                 speed = coalesce(n.speed, o.speed),
                 service_tier = coalesce(n.service_tier, o.service_tier),
                 inference_geo = coalesce(n.inference_geo, o.inference_geo),
                 prompt_tokens = CASE WHEN n.prompt_tokens IS NULL AND o.prompt_tokens IS NULL
                     THEN NULL ELSE max(coalesce(n.prompt_tokens, 0), coalesce(o.prompt_tokens, 0)) END,
                 agent = coalesce(n.agent, o.agent),
                 not_a_call = min(n.not_a_call, o.not_a_call)
             FROM (SELECT * FROM responses WHERE key = ?1) AS o
             WHERE n.key = ?2",
        )?
        .execute([old, new])?;
        // The old row's place, as another file and session of the response.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO response_sessions (key, session, project)
             SELECT ?2, o.session, o.project FROM responses o, responses n
             WHERE o.key = ?1 AND n.key = ?2 AND o.session IS NOT NULL
               AND o.session IS NOT n.session",
        )?
        .execute([old, new])?;
        tx.prepare_cached(
            "INSERT OR IGNORE INTO response_files (key, file_id, session)
             SELECT ?2, o.file_id, o.session FROM responses o, responses n
             WHERE o.key = ?1 AND n.key = ?2 AND o.session IS NOT NULL
               AND (o.file_id != n.file_id OR o.session IS NOT n.session)",
        )?
        .execute([old, new])?;
        tx.prepare_cached("DELETE FROM responses WHERE key = ?1")?
            .execute([old])?;
    } else {
        tx.prepare_cached("UPDATE responses SET key = ?2 WHERE key = ?1")?
            .execute([old, new])?;
    }
    // Its notes, but those that name the row's own session (or file and session) now.
    tx.prepare_cached(
        "INSERT OR IGNORE INTO response_sessions (key, session, project)
         SELECT ?2, s.session, s.project FROM response_sessions s
         WHERE s.key = ?1
           AND s.session IS NOT (SELECT session FROM responses WHERE key = ?2)",
    )?
    .execute([old, new])?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO response_files (key, file_id, session)
         SELECT ?2, f.file_id, f.session FROM response_files f, responses n
         WHERE f.key = ?1 AND n.key = ?2
           AND (f.file_id != n.file_id OR f.session IS NOT n.session)",
    )?
    .execute([old, new])?;
    tx.prepare_cached("DELETE FROM response_sessions WHERE key = ?1")?
        .execute([old])?;
    tx.prepare_cached("DELETE FROM response_files WHERE key = ?1")?
        .execute([old])?;
    Ok(())
}

fn forget_file(tx: &Connection, id: i64) -> Result<(), Error> {
    tx.prepare_cached("DELETE FROM response_files WHERE file_id = ?1")?
        .execute([id])?;
    // Owned here and read elsewhere too: re-homed to the other file (the lowest id) and its
    // session there, which are then no longer another file and session of it.
    let moved: Vec<(String, i64, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT r.key, min(f.file_id), f.session FROM responses r
             JOIN response_files f ON f.key = r.key
             WHERE r.file_id = ?1 GROUP BY r.key",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (key, file, session) in &moved {
        tx.prepare_cached("UPDATE responses SET file_id = ?2, session = ?3 WHERE key = ?1")?
            .execute(params![key, file, session])?;
        tx.prepare_cached(
            "DELETE FROM response_files WHERE key = ?1 AND file_id = ?2 AND session = ?3",
        )?
        .execute(params![key, file, session])?;
    }
    tx.prepare_cached(
        "DELETE FROM response_sessions WHERE key IN
             (SELECT key FROM responses WHERE file_id = ?1)",
    )?
    .execute([id])?;
    tx.prepare_cached("DELETE FROM responses WHERE file_id = ?1")?
        .execute([id])?;
    tx.prepare_cached("DELETE FROM tools WHERE file_id = ?1")?
        .execute([id])?;
    tx.prepare_cached("DELETE FROM limit_hits WHERE file_id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Of the responses `held` that the file keyed `key` held before it was read again from its
/// start (`why`), those the index no longer has (the file no longer holds them, nor does
/// another): recorded in `dropped_responses` in `tx` (so said once by whichever run takes
/// them, [`Ledger::take_dropped`]) and given; `None` when there are none.
fn record_dropped(
    tx: &Connection,
    key: &str,
    why: Reread,
    held: HashMap<String, DroppedResponse>,
) -> Result<Option<Dropped>, Error> {
    let mut exists = tx.prepare_cached("SELECT 1 FROM responses WHERE key = ?1")?;
    // A Claude Code response stored again under another request id of its message id is
    // still there.
    let mut exists_as = tx.prepare_cached(
        "SELECT 1 FROM responses WHERE key >= ?1 AND key < ?2 AND agent IS NOT ?3
           AND agent IS NOT ?4",
    )?;
    let numbering = |a: crate::event::Agent| -> Option<i64> {
        tx.query_row("SELECT id FROM names WHERE text = ?1", [a.as_str()], |r| {
            r.get(0)
        })
        .optional()
        .ok()
        .flatten()
    };
    let (codex, opencode) = (
        numbering(crate::event::Agent::Codex),
        numbering(crate::event::Agent::OpenCode),
    );
    let mut gone: Vec<(String, DroppedResponse)> = Vec::new();
    for (k, r) in held {
        let there = exists.exists([&k])?
            || match collect::stored_prefix(&k) {
                Some(prefix) => exists_as.exists(params![
                    prefix,
                    message_prefix_end(prefix),
                    codex,
                    opencode
                ])?,
                None => false,
            };
        if !there {
            gone.push((k, r));
        }
    }
    if gone.is_empty() {
        return Ok(None);
    }
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    let mut insert = tx.prepare_cached(
        "INSERT INTO dropped_responses (path, why, at_ms, model, input, output, cache_read,
             cache_5m, cache_1h, speed, service_tier, inference_geo, prompt_tokens, call,
             web_searches, unread)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    let now = now_ms();
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    for (_, r) in &gone {
        let f = r.factors.as_ref();
        insert.execute(params![
            key,
            why.as_str(),
            now,
            r.model,
            count(r.tokens.input),
            count(r.tokens.output),
            count(r.tokens.cache_read),
            count(r.tokens.cache_write_5m),
            count(r.tokens.cache_write_1h),
            f.and_then(|f| f.speed.as_deref()),
            f.and_then(|f| f.service_tier.as_deref()),
            f.and_then(|f| f.inference_geo.as_deref()),
            f.map(|f| count(f.prompt_tokens)),
            r.call,
            count(r.tokens.web_search),
            r.unread.then_some(1)
        ])?;
    }
    Ok(Some(Dropped {
        path: key.to_owned(),
        why,
        responses: gone.into_iter().map(|(_, r)| r).collect(),
    }))
}

/// The responses [`forget_file`] removes from the index for the file with id `id`: those it
/// owns that no other file was read with (those are moved to that file), by key, with what
/// prices them.
fn removed_with(tx: &Connection, id: i64) -> Result<Vec<(String, DroppedResponse)>, Error> {
    let mut stmt = tx.prepare_cached(
        "SELECT r.key, m.text, r.input, r.output, r.cache_read, r.cache_5m, r.cache_1h,
                sp.text, st.text, ig.text, r.prompt_tokens, r.not_a_call, r.web_searches,
                r.unread
         FROM responses r
         LEFT JOIN names m ON m.id = r.model
         LEFT JOIN names sp ON sp.id = r.speed
         LEFT JOIN names st ON st.id = r.service_tier
         LEFT JOIN names ig ON ig.id = r.inference_geo
         WHERE r.file_id = ?1
           AND NOT EXISTS (SELECT 1 FROM response_files f WHERE f.key = r.key AND f.file_id != ?1)",
    )?;
    let rows = stmt.query_map([id], |r| {
        let prompt: Option<i64> = r.get(10)?;
        let name = |i: usize| -> rusqlite::Result<Option<Cow<'static, str>>> {
            Ok(r.get::<_, Option<String>>(i)?.map(Cow::Owned))
        };
        let factors = match prompt {
            Some(p) => Some(PriceFactors {
                speed: name(7)?,
                service_tier: name(8)?,
                inference_geo: name(9)?,
                prompt_tokens: u64::try_from(p).unwrap_or(0),
            }),
            None => None,
        };
        Ok((
            r.get::<_, String>(0)?,
            DroppedResponse {
                model: r.get(1)?,
                tokens: tokens_searched_at(r, 2, 12)?.0,
                factors,
                call: !r.get::<_, bool>(11)?,
                unread: r.get::<_, Option<i64>>(13)?.is_some(),
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Names interned while one transaction lasts.
#[derive(Default)]
struct Names(HashMap<String, i64>);

impl Names {
    fn id(&mut self, tx: &Connection, text: Option<&str>) -> rusqlite::Result<Option<i64>> {
        let Some(text) = text else { return Ok(None) };
        if let Some(&id) = self.0.get(text) {
            return Ok(Some(id));
        }
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO names (text) VALUES (?1)
                 ON CONFLICT(text) DO UPDATE SET text = excluded.text RETURNING id",
            )?
            .query_row([text], |r| r.get(0))?;
        self.0.insert(text.to_owned(), id);
        Ok(Some(id))
    }
}

/// What one read of a file found.
struct FileRead {
    /// Where the read started.
    start: u64,
    /// Where the read ended (end of file at the time).
    end: u64,
    /// Bytes consumed: through the last whole line.
    consumed: u64,
    /// The line number at `consumed`.
    next_line: u64,
    /// A whole JSON value without its newline was consumed last.
    open_tail: bool,
    /// Lines of this read that could not be read.
    unread: Unread,
    /// Lines of this read read with a problem in their usage ([`collect::about_usage`]), not
    /// those of `unknown`.
    partly: Unread,
    /// Lines of this read whose usage was not read whole, their responses counted as calls
    /// of unknown cost ([`collect::costs_unknown`]).
    unknown: Unread,
    /// The first line of `partly` and `unknown` together.
    first_partly: Option<String>,
    /// The file is one JSON document, read whole (see the schema's version 4).
    whole: bool,
    /// The read stopped at a [`Cut`] before the end of the file: more is to be read.
    cut: bool,
    /// [`tail_hash`] of the bytes before `consumed`.
    tail_hash: Option<i64>,
    responses: HashMap<String, Response>,
    tools: HashMap<String, ToolUse>,
    limits: HashMap<String, LimitHit>,
    /// Per session: its earliest and latest dated line read, ms since the epoch.
    spans: HashMap<String, (i64, i64)>,
    /// Per session: the subagents and workflow runs its lines read name, and which of them
    /// these lines read ([`collect::Collector::named`]).
    named: HashMap<String, Named>,
}

/// Reads `path` whole, from its start, or until `deadline` has passed (the read then says it
/// was cut), through a pipeline into a collector.
fn read_whole_until(path: &Path, deadline: Instant) -> Result<FileRead, Error> {
    let cut = Cut {
        bytes: u64::MAX,
        deadline: Some(deadline),
    };
    read_from(path, &path_key(path), 0, 1, false, Some(cut))
}

/// Reads `path` from `start` (line `line`) to its end, or to `cut`, through a pipeline into a
/// collector.
fn read_from(
    path: &Path,
    name: &str,
    start: u64,
    line: u64,
    open_tail: bool,
    cut: Option<Cut>,
) -> Result<FileRead, Error> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut read = read_stream(&mut file, name, start, line, open_tail, cut)?;
    read.tail_hash = tail_hash(&mut file, read.consumed)?;
    Ok(read)
}

/// Reads `input` (at byte `start`, line `line` of its transcript) to its end through a
/// pipeline into a collector, as [`read_from`] reads a file; `tail_hash` is left `None`.
/// With a `cut`, a line-based input (a format whose lines stand alone: not a document, not
/// [`crate::format::Format::read_from_start`]) stops at the last line end of the chunk in
/// which it reaches `cut.bytes` past `start` or in which `cut.deadline` has passed;
/// nothing after that line end is pushed, so the next read from `consumed` goes on exactly
/// there (`FileRead::cut` says it stopped early).
fn read_stream(
    input_bytes: &mut dyn Read,
    name: &str,
    start: u64,
    line: u64,
    open_tail: bool,
    cut: Option<Cut>,
) -> Result<FileRead, Error> {
    let mut pipeline = Pipeline::new(Options::default(), Collector::new());
    let mut input = pipeline.open(name);
    let mut pos = start;
    let mut first = true;
    // The offset just after the last newline pushed.
    let mut line_end = start;
    // A step smaller than a chunk reads in pieces of its size, so a small step is kept to; a
    // deadline is kept to within a smaller piece.
    let chunk_len = cut.map_or(CHUNK as u64, |c| {
        let most = if c.deadline.is_some() {
            DEADLINE_CHUNK
        } else {
            CHUNK
        };
        c.bytes.clamp(1, most as u64)
    }) as usize;
    let mut buf = vec![0u8; chunk_len];
    let mut was_cut = false;
    // The bytes of the unfinished last line, while short enough to check as JSON.
    let mut tail: Vec<u8> = Vec::new();
    let max_tail = Options::default().max_line;
    pipeline.start_at(&mut input, start, line);
    loop {
        let n = match input_bytes.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let mut chunk = &buf[..n];
        if first && start == 0 && crate::source::is_utf16(chunk) {
            return Err(io::Error::other(crate::source::UTF16_REFUSAL).into());
        }
        if first && open_tail {
            // The newline after a last line consumed whole: not a line of its own.
            if chunk.first() == Some(&b'\n') {
                chunk = &chunk[1..];
                pos += 1;
                line_end = pos;
                pipeline.start_at(&mut input, pos, line);
            }
        }
        if let Some(c) = cut {
            // The format is known from the first line on: that line is pushed alone first, so
            // the first chunk can be cut too (a fresh file read two chunks before any cut).
            if input.format().is_none() && !input.is_document() {
                if let Some(i) = memchr::memchr(b'\n', chunk) {
                    let (head, rest) = chunk.split_at(i + 1);
                    let _ = pipeline.push(&mut input, head)?;
                    pos += head.len() as u64;
                    line_end = pos;
                    tail.clear();
                    chunk = rest;
                }
            }
            // Before pushing: nothing is cut before the format is known, nor in a format that
            // needs its earlier lines or is a document.
            let line_based =
                !input.is_document() && input.format().is_some_and(|f| !f.read_from_start());
            let due = pos + chunk.len() as u64 - start >= c.bytes
                || c.deadline.is_some_and(|d| Instant::now() >= d);
            if line_based && due {
                if let Some(i) = memchr::memrchr(b'\n', chunk) {
                    // Stop at the last line end of the chunk the step (or the deadline) is
                    // reached in: at most a chunk past the step.
                    chunk = &chunk[..=i];
                    was_cut = true;
                }
            }
        }
        first = false;
        // Errors from the collector cannot happen (it writes nothing).
        let _ = pipeline.push(&mut input, chunk)?;
        match memchr::memrchr(b'\n', chunk) {
            Some(i) => {
                line_end = pos + i as u64 + 1;
                tail.clear();
                if chunk.len() - i - 1 <= max_tail {
                    tail.extend_from_slice(&chunk[i + 1..]);
                }
            }
            None if tail.len() + chunk.len() <= max_tail => tail.extend_from_slice(chunk),
            None => tail.clear(),
        }
        pos += chunk.len() as u64;
        if was_cut {
            break;
        }
    }
    let mut consumed = line_end;
    let mut new_open_tail = false;
    if !was_cut
        && pos > line_end
        && tail.len() as u64 == pos - line_end
        && serde_json::from_slice::<serde::de::IgnoredAny>(&tail).is_ok()
        && tail.iter().any(|b| !b.is_ascii_whitespace())
    {
        // A whole JSON value whose newline has not come: read it now.
        let _ = pipeline.push(&mut input, b"\n")?;
        consumed = pos;
        new_open_tail = true;
    }
    let whole = input.is_document()
        || input
            .format()
            .is_some_and(crate::format::Format::read_from_start);
    if !was_cut && !whole && pos > line_end && tail.len() as u64 == pos - line_end && padded(&tail)
    {
        // Crash padding at the end (NULs a crash left, no newline): no writer writes those,
        // so it is no line being written but the damaged line it is, said as `--summary`
        // says it (README "Crash padding": lost, or its record cut out and read).
        let _ = pipeline.push(&mut input, b"\n")?;
        consumed = pos;
        new_open_tail = true;
    }
    if whole {
        // A document is decoded at its end; a format read from the start each time (see
        // `Format::read_from_start`) is consumed whole too. An end cut off (a last line, or
        // the document, still being written) is awaited, as a Claude Code file's last line
        // is: read again whole once the file changes, and not said as a line that could not
        // be read (tester15 #10: a Codex rollout or Gemini chat read while being written
        // gave exit 1, and the note stayed once the file was gone).
        pipeline.renderer().await_unfinished_end();
        let _ = pipeline.close(input)?;
        consumed = pos;
        new_open_tail = false;
    }
    let lines = pipeline.stats().lines;
    let (mut collector, _) = pipeline.finish()?;
    let named = collector.take_named();
    let spans = collector.spans().clone();
    let unread = collector.unread().clone();
    let partly = collector.partly().clone();
    let unknown = collector.unknown().clone();
    let first_partly = collector.first_with_usage_problem().map(str::to_owned);
    let (responses, tools, limits) = collector.into_parts();
    Ok(FileRead {
        start,
        end: pos,
        consumed,
        next_line: line + lines,
        open_tail: new_open_tail,
        unread,
        partly,
        unknown,
        first_partly,
        whole,
        cut: was_cut,
        tail_hash: None,
        responses,
        tools,
        limits,
        spans,
        named,
    })
}

/// Which files a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything in the index.
    All,
    /// The files below these folders (gone ones included) and these files, however their
    /// paths are spelled (relative, through links: resolved with [`canonical`], and a file
    /// known under another path to the same device and inode), and the files with these ids.
    Paths {
        /// Folders.
        roots: Vec<PathBuf>,
        /// Files.
        files: Vec<PathBuf>,
        /// Files by their index ids ([`UpdateStats::file_ids`]: what an update over the same
        /// paths looked at, which covers the files reached through links below the folders).
        ids: Vec<i64>,
    },
}

/// One API response, ready for reports: names are indexes into [`Entries::names`] (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// When, in ms since the Unix epoch (UTC).
    pub ts_ms: i64,
    /// Session id.
    pub session: u32,
    /// Project (`cwd`).
    pub project: u32,
    /// Model.
    pub model: u32,
    /// Made by a subagent.
    pub subagent: bool,
    /// The coding agent (Claude Code for rows indexed before schema version 4).
    pub agent: crate::event::Agent,
    /// Tokens.
    pub tokens: Tokens,
    /// Its cost in picodollars (10⁻¹² $), priced when read as a request of its own with its
    /// price factors ([`Pricing::request_cost`]) and rounded as the session core rounds it;
    /// `None` when its model, speed, service tier or inference geo has no price. A `u128`, as
    /// the session core's: one response of 2^53 output tokens costs more than 2^64
    /// picodollars ($18.4M), and both views must give the same figure.
    pub cost_pico: Option<u128>,
    /// Priced without what an earlier aegon did not record, from a transcript no longer on
    /// disk (so not read again): its speed, service tier and inference geo (schema version 1,
    /// priced at standard ones), or its web searches (indexed before they were, or by an older
    /// build since: counted as none).
    pub estimated: bool,
    /// When `cost_pico` is `None`: the name id ([`Entries::name`]) of what has no price,
    /// `model NAME`, `speed NAME`, `service tier NAME` or `inference geo NAME`
    /// ([`unpriced_factor`]), or, for a response with a price whose usage could not be read
    /// whole, what could not be ([`crate::tokens::Unread::describe`];
    /// [`crate::session::pricing::is_missing_price`] tells them apart); 0 otherwise.
    pub unpriced: u32,
    /// An API call (false: usage only, such as Copilot CLI's `session.shutdown` totals beyond
    /// its messages: counted in tokens and cost, not in API calls, as `--summary` counts it).
    pub call: bool,
}

/// The responses a report reads, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entries {
    /// Interned names; index 0 is the empty name (none).
    pub names: Vec<String>,
    /// The dated responses, oldest first.
    pub rows: Vec<Entry>,
    /// Responses without a readable timestamp (left out of reports by period).
    pub undated: u64,
    /// Their tokens.
    pub undated_tokens: Tokens,
    /// Those responses, in no order; their `ts_ms` is 0 and means nothing. A report by
    /// session or project counts them in their session or project ([`crate::usage::report`]),
    /// as `--summary` and the status line count them in their session.
    pub undated_rows: Vec<Entry>,
    /// The oldest response of a file still on disk (None: none, or read without the index).
    pub oldest_on_disk_ms: Option<i64>,
    /// Limit messages found in the transcripts: (written, ms since the epoch; text).
    pub limit_hits: Vec<(i64, String)>,
    /// Lines of the covered transcripts that could not be read (their usage is missing).
    pub unread: Unread,
    /// Lines of the covered transcripts read with a problem in their usage
    /// ([`collect::about_usage`]): their usage is counted only in part. From an index, only
    /// for files a build that records them read ([`schema`]'s `partly_read_files`). Not those
    /// of `unknown`.
    pub partly: Unread,
    /// Lines of the covered transcripts whose usage could not be read whole
    /// ([`collect::costs_unknown`]): their responses are counted as API calls of unknown cost.
    /// From an index, only for files a build that marks them read last ([`schema`]'s
    /// `unread_usage_files`; others' such lines are in `partly`).
    pub unknown: Unread,
    /// The sessions of the rows (any of them, whatever file they are in) that name subagents
    /// or workflow runs of which no line was read ([`Named`], settled over everything read:
    /// from an index, over every file it holds, [`Ledger::named_unread`]), by session id:
    /// their usage is missing, so their figures are lower bounds
    /// ([`crate::usage::missing_notes`] says them).
    pub named: BTreeMap<String, Named>,
}

impl Entries {
    /// The name at `id` (`""` for none).
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    /// Adds `entry`: to the rows when `dated`, else to the undated responses (counted, and
    /// kept in [`Entries::undated_rows`]).
    fn push(&mut self, entry: Entry, dated: bool) {
        if dated {
            self.rows.push(entry);
        } else {
            self.undated += 1;
            self.undated_tokens = self.undated_tokens.saturating_add(entry.tokens);
            self.undated_rows.push(entry);
        }
    }

    /// The entries of a collector's responses (a read without the index), priced with
    /// `pricing`.
    pub fn from_responses(responses: HashMap<String, Response>, pricing: &Pricing) -> Entries {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut out = Entries {
            names: vec![String::new()],
            ..Entries::default()
        };
        let mut intern = |names: &mut Vec<String>, text: Option<String>| -> u32 {
            let Some(text) = text else { return 0 };
            *ids.entry(text).or_insert_with_key(|t| {
                names.push(t.clone());
                (names.len() - 1) as u32
            })
        };
        for r in responses.into_values() {
            let model_name = r.model.as_deref().unwrap_or("unknown");
            // Usage not read whole: a call of unknown cost, as --summary counts it (with no
            // price either, the missing price is the reason, as there).
            let priced = response_cost(pricing, model_name, &r.tokens, Some(&r.factors), r.ts_ms);
            let cost_pico = priced.filter(|_| r.unread.is_none());
            let why = match (cost_pico, r.unread.filter(|_| priced.is_some())) {
                (Some(_), _) => None,
                (None, Some(u)) => Some(u.describe().to_owned()),
                (None, None) => unpriced_factor(pricing, model_name, Some(&r.factors), r.ts_ms),
            };
            let unpriced = intern(&mut out.names, why);
            let session = intern(&mut out.names, r.session);
            let project = intern(&mut out.names, r.project);
            let model = intern(&mut out.names, r.model);
            let entry = Entry {
                ts_ms: r.ts_ms.unwrap_or(0),
                session,
                project,
                model,
                subagent: r.subagent,
                agent: r.agent,
                tokens: r.tokens,
                cost_pico,
                estimated: false,
                unpriced,
                call: r.call,
            };
            out.push(entry, r.ts_ms.is_some());
        }
        out.rows.sort_by_key(|e| e.ts_ms);
        out.settle_projects();
        out
    }

    /// Gives each row that names no project its session's: the project of the session's
    /// earliest row that names one (ties: the smaller name). Gemini CLI's main chat names no
    /// directory while its subagents' chats do (`directories[]`, FORMAT.md §2.1), so without
    /// this one session's usage was split between its project and `""`. Rows that name a
    /// project keep it (a Claude Code session whose `cwd` changed stays split by `cwd`).
    /// Undated rows are settled too, from the session's dated rows.
    ///
    /// First, a Windows project path whose drive letter is lower-case is the same project as
    /// the path with it upper-case ([`upper_drive_letter`]).
    fn settle_projects(&mut self) {
        let mut lower: Vec<(u32, String)> = Vec::new();
        for e in self.rows.iter().chain(&self.undated_rows) {
            if lower.iter().all(|(id, _)| *id != e.project) {
                if let Some(upper) = upper_drive_letter(self.name(e.project)) {
                    lower.push((e.project, upper));
                }
            }
        }
        if !lower.is_empty() {
            let mut ids: HashMap<String, u32> = self
                .names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i as u32))
                .collect();
            let mut same: HashMap<u32, u32> = HashMap::new();
            for (from, upper) in lower {
                let to = *ids.entry(upper).or_insert_with_key(|name| {
                    self.names.push(name.clone());
                    (self.names.len() - 1) as u32
                });
                same.insert(from, to);
            }
            for e in self.rows.iter_mut().chain(self.undated_rows.iter_mut()) {
                if let Some(&to) = same.get(&e.project) {
                    e.project = to;
                }
            }
        }
        let mut first: HashMap<u32, (i64, u32)> = HashMap::new();
        for e in &self.rows {
            if self.name(e.project).is_empty() {
                continue;
            }
            let candidate = (e.ts_ms, e.project);
            first
                .entry(e.session)
                .and_modify(|best| {
                    let better =
                        (candidate.0, self.name(candidate.1)) < (best.0, self.name(best.1));
                    if better {
                        *best = candidate;
                    }
                })
                .or_insert(candidate);
        }
        let names = &self.names;
        for e in self.rows.iter_mut().chain(self.undated_rows.iter_mut()) {
            if names.get(e.project as usize).is_none_or(String::is_empty) {
                if let Some(&(_, project)) = first.get(&e.session) {
                    e.project = project;
                }
            }
        }
    }
}

/// `path` with its lower-case drive letter upper-case (`c:\Users\x` → `C:\Users\x`),
/// `None` when it has none: Windows paths name one folder whatever the letter's case, and
/// agents write it either way (Copilot CLI `c:`, Codex CLI `C:`; FORMAT.md §2.1 notes tools
/// that write it lower-case). Only the letter changes: the rest of the path is kept as
/// written (folder names' case is kept as the agent wrote it).
pub fn upper_drive_letter(path: &str) -> Option<String> {
    let b = path.as_bytes();
    let drive = b.len() >= 2
        && b[0].is_ascii_lowercase()
        && b[1] == b':'
        && (b.len() == 2 || b[2] == b'\\' || b[2] == b'/');
    drive.then(|| {
        let mut out = path.to_owned();
        out[..1].make_ascii_uppercase();
        out
    })
}

/// Reads `files` without the index: every response once, as the index would hold it, priced
/// with `pricing`.
pub fn read_fresh(
    files: &[PathBuf],
    pricing: &Pricing,
    problem: &mut dyn FnMut(&Path, &str),
) -> Entries {
    read_fresh_with_stdin(files, None, pricing, problem)
}

/// [`read_fresh`], and after the files one transcript streamed from `stdin` (named
/// `<stdin>`, as the filter names it), when given; its read error is told to `problem` as
/// `-`'s.
pub fn read_fresh_with_stdin(
    files: &[PathBuf],
    stdin: Option<&mut dyn Read>,
    pricing: &Pricing,
    problem: &mut dyn FnMut(&Path, &str),
) -> Entries {
    // Each file on its own, read as the index reads a file from its start (a last line without
    // its newline that is not yet a whole JSON value is left for later, not reported), and
    // merged as the index merges them, so both give the same rows and the same unread lines.
    let mut all = Collector::new();
    let mut merge = |read: FileRead| {
        all.merge(Collector::from_parts(
            read.responses,
            read.tools,
            read.limits,
            read.spans,
            (read.unread, read.partly, read.unknown),
            read.named,
        ))
    };
    for path in files {
        match read_from(path, &path_key(path), 0, 1, false, None) {
            Ok(read) => merge(read),
            // The transcript's own error, not the index's (there is none here).
            Err(Error::Io(e)) => problem(path, &e.to_string()),
            Err(e) => problem(path, &e.to_string()),
        }
    }
    if let Some(input) = stdin {
        match read_stream(input, "<stdin>", 0, 1, false, None) {
            Ok(read) => merge(read),
            Err(Error::Io(e)) => problem(Path::new("-"), &e.to_string()),
            Err(e) => problem(Path::new("-"), &e.to_string()),
        }
    }
    let limits: Vec<(i64, String)> = all
        .limits()
        .values()
        .map(|l| (l.ts_ms, l.text.clone()))
        .collect();
    let unread = all.unread().clone();
    let partly = all.partly().clone();
    let unknown = all.unknown().clone();
    let named = unread_named(all.take_named());
    let mut entries = Entries::from_responses(all.owned_responses(), pricing);
    entries.unread = unread;
    entries.partly = partly;
    entries.unknown = unknown;
    entries.named = named;
    entries.limit_hits = limits;
    entries.limit_hits.sort();
    entries
}

/// [`read_fresh`] of line-based transcripts with a time limit: each file is read until
/// `deadline` has passed (at a line's end, after at least one chunk of 256 KiB), the files
/// after that not at all. Returns the entries read and whether every file was read to its
/// end (when not, every figure is a lower bound). For the status line without the index.
pub fn read_fresh_until(
    files: &[PathBuf],
    pricing: &Pricing,
    deadline: Instant,
    problem: &mut dyn FnMut(&Path, &str),
) -> (Entries, bool) {
    let mut all = Collector::new();
    let mut complete = true;
    for path in files {
        if Instant::now() >= deadline {
            complete = false;
            break;
        }
        match read_whole_until(path, deadline) {
            Ok(read) => {
                complete &= !read.cut;
                all.merge(Collector::from_parts(
                    read.responses,
                    read.tools,
                    read.limits,
                    read.spans,
                    (read.unread, read.partly, read.unknown),
                    read.named,
                ))
            }
            Err(e) => problem(path, &e.to_string()),
        }
    }
    let unread = all.unread().clone();
    let partly = all.partly().clone();
    let unknown = all.unknown().clone();
    let named = unread_named(all.take_named());
    let mut entries = Entries::from_responses(all.owned_responses(), pricing);
    entries.unread = unread;
    entries.partly = partly;
    entries.unknown = unknown;
    entries.named = named;
    (entries, complete)
}

/// One session's responses read afresh with a time limit, for the status line without the
/// index: the files of the session (`own`: its transcript and its subagents'), then `others`
/// (the other transcripts of its folder, where a session it was resumed from is), each until
/// `deadline` as [`read_fresh_until`] reads. Only the responses that count in `session` are
/// kept when it is one of the sessions written in `own`, else those of every session written
/// there, by the rule every report counts by ([`collect::first_occurred`]):
/// a resumed session's lines copied from an earlier one count there, as `aegon usage` and the
/// index count them. Returns the entries and whether the figure is exact: `Some(true)` when
/// every file was read to its end; `Some(false)` when `own` was not (the figure is then a lower
/// bound); `None` when `own` was read whole but not every one of `others` (a copy's lines not
/// yet found elsewhere would be counted: the figure may be too high, neither exact nor a
/// bound).
pub fn read_session_fresh_until(
    session: Option<&str>,
    own: &[PathBuf],
    others: &[PathBuf],
    pricing: &Pricing,
    deadline: Instant,
    problem: &mut dyn FnMut(&Path, &str),
) -> (Entries, Option<bool>) {
    let mut all = Collector::new();
    let mut sessions: HashSet<String> = HashSet::new();
    let mut own_complete = true;
    let mut others_complete = true;
    for (i, path) in own.iter().chain(others).enumerate() {
        let mine = i < own.len();
        let complete = if mine {
            &mut own_complete
        } else {
            &mut others_complete
        };
        if Instant::now() >= deadline {
            *complete = false;
            if mine {
                continue;
            }
            break;
        }
        match read_whole_until(path, deadline) {
            Ok(read) => {
                *complete &= !read.cut;
                if mine {
                    sessions.extend(read.responses.values().filter_map(|r| r.session.clone()));
                }
                all.merge(Collector::from_parts(
                    read.responses,
                    read.tools,
                    read.limits,
                    read.spans,
                    if mine {
                        (read.unread, read.partly, read.unknown)
                    } else {
                        Default::default()
                    },
                    read.named,
                ))
            }
            Err(e) if mine => problem(path, &e.to_string()),
            Err(_) => {}
        }
    }
    let unread = all.unread().clone();
    let partly = all.partly().clone();
    let unknown = all.unknown().clone();
    if let Some(one) = session.filter(|s| sessions.contains(*s)) {
        sessions = HashSet::from([one.to_owned()]);
    }
    let mut named = unread_named(all.take_named());
    named.retain(|s, _| sessions.contains(s));
    let mut owned = all.owned_responses();
    owned.retain(|_, r| r.session.as_ref().is_some_and(|s| sessions.contains(s)));
    let mut entries = Entries::from_responses(owned, pricing);
    entries.unread = unread;
    entries.partly = partly;
    entries.unknown = unknown;
    entries.named = named;
    let exact = match (own_complete, others_complete) {
        (true, true) => Some(true),
        (false, _) => Some(false),
        (true, false) => None,
    };
    (entries, exact)
}

/// The subagent whose transcript a file is by its name, Claude Code's `agent-ID.jsonl` (also
/// the last part of a flattened copy's name, `…__agent-ID.jsonl`): `ID`; `None` for any
/// other name.
fn agent_of_path(path: &str) -> Option<&str> {
    let name = path.rsplit(['/', '\\']).next()?;
    let name = name.rsplit("__").next()?;
    name.strip_prefix("agent-")?
        .strip_suffix(".jsonl")
        .filter(|id| !id.is_empty())
}

/// The sessions of `named` (all of a read's, [`collect::Collector::named`]) with something
/// named that was not read once settled over all of them ([`Named::settle`]: a subagent read
/// in any session of the read is read in every one that names it), by session id.
fn unread_named(mut named: HashMap<String, Named>) -> BTreeMap<String, Named> {
    Named::settle(named.values_mut());
    named.into_iter().filter(|(_, n)| !n.all_read()).collect()
}

/// An official limit reading, as the status line's `rate_limits` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitReading {
    /// When it was read, ms since the epoch.
    pub read_ms: i64,
    /// `five_hour`, `seven_day`, `seven_day_opus`, `seven_day_sonnet`.
    pub window: String,
    /// Used, in percent (over 100 when used past the limit).
    pub used_percent: f64,
    /// When the window resets, ms since the epoch.
    pub resets_at_ms: Option<i64>,
    /// The session whose status line read it.
    pub session: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real transcript (fixtures/corpus; 1.3 MB, responses written over several lines).
    const CORPUS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/corpus/AlexandreVassard__will-it-rain__claude.jsonl"
    );

    /// A fresh folder, removed when dropped (also when the test fails).
    fn temp(name: &str) -> crate::temp_dir::TempDir {
        crate::temp_dir::temp_dir(&format!("ledger-{name}"))
    }

    fn prices() -> Pricing {
        Pricing::built_in()
    }

    /// Rows as comparable values, names resolved.
    #[allow(clippy::type_complexity)]
    fn rows(
        e: &Entries,
    ) -> Vec<(
        i64,
        String,
        String,
        String,
        bool,
        Tokens,
        Option<u128>,
        bool,
    )> {
        let mut v: Vec<_> = e
            .rows
            .iter()
            .map(|r| {
                (
                    r.ts_ms,
                    e.name(r.session).to_owned(),
                    e.name(r.project).to_owned(),
                    e.name(r.model).to_owned(),
                    r.subagent,
                    r.tokens,
                    r.cost_pico,
                    r.estimated,
                )
            })
            .collect();
        v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        v
    }

    fn no_problem(p: &Path, e: &str) {
        panic!("{}: {e}", p.display());
    }

    #[test]
    fn an_index_that_cannot_be_made_is_said_with_its_folder() {
        // /proc refuses new folders: the error names the folder, not only the OS's words.
        let path = Path::new("/proc/aegon-no-such-dir/usage.sqlite3");
        let Err(err) = Ledger::open(path, &mut |_| {}) else {
            panic!("an index under /proc opened");
        };
        let text = err.to_string();
        assert!(text.contains("/proc/aegon-no-such-dir"), "{text}");
        // A folder that exists but a file that cannot be a database there: named too.
        let dir = temp("dir");
        std::fs::create_dir_all(dir.join("usage.sqlite3")).unwrap();
        let err = Ledger::open(&dir.join("usage.sqlite3"), &mut |_| {}).err();
        let text = err.expect("a folder is not a database").to_string();
        assert!(text.contains("usage.sqlite3"), "{text}");
    }

    #[test]
    fn appending_in_pieces_equals_a_fresh_read_of_what_was_written() {
        let dir = temp("pieces");
        let bytes = std::fs::read(CORPUS).unwrap();
        let file = dir.join("s.jsonl");
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        // Cut points mid-line and on line ends, chosen by a simple generator (not by the code).
        let mut cuts: Vec<usize> = (1..23).map(|i| i * 7919 * 7 % bytes.len()).collect();
        cuts.push(bytes.len());
        cuts.sort_unstable();
        for cut in cuts {
            std::fs::write(&file, &bytes[..cut]).unwrap();
            let stats = ledger
                .update(&[], std::slice::from_ref(&file), &mut no_problem)
                .unwrap();
            // Appended to: read on, never again from the start.
            assert_eq!(stats.rereads, [], "after {cut} bytes");
            let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
            let fresh = read_fresh(std::slice::from_ref(&file), &prices(), &mut no_problem);
            assert_eq!(rows(&indexed), rows(&fresh), "after {cut} bytes");
            // A line still being written is not a line that could not be read, with or
            // without the index.
            assert_eq!(indexed.unread, Unread::default(), "after {cut} bytes");
            assert_eq!(fresh.unread, Unread::default(), "after {cut} bytes");
        }
        let all = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert!(all.rows.len() > 50, "the corpus file has many responses");
        // Nothing written since: nothing read.
        let stats = ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        assert_eq!((stats.files_read, stats.rereads), (0, vec![]));
    }

    /// The tokens and cost of `e`, summed: input, output, cache read, 5 m and 1 h writes,
    /// picodollars of the priced responses, and the responses.
    fn totals(e: &Entries) -> [u64; 7] {
        let mut t = [0u64; 7];
        for r in &e.rows {
            t[0] += r.tokens.input;
            t[1] += r.tokens.output;
            t[2] += r.tokens.cache_read;
            t[3] += r.tokens.cache_write_5m;
            t[4] += r.tokens.cache_write_1h;
            t[5] += u64::try_from(r.cost_pico.unwrap_or(0)).unwrap();
            t[6] += 1;
        }
        t
    }

    /// [`corpus_tree`] in `dir` indexed whole in `dir/i.sqlite3`, opened without a note: the
    /// tree, the index's path and the ledger.
    fn indexed_tree(dir: &Path) -> (PathBuf, PathBuf, Ledger) {
        let tree = corpus_tree(dir);
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        ledger
            .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
            .unwrap();
        (tree, path, ledger)
    }

    /// Real transcripts of the corpus in a folder, one with a line that cannot be read (so
    /// the unread count is checked too): the folder.
    fn corpus_tree(dir: &Path) -> PathBuf {
        let tree = dir.join("projects");
        std::fs::create_dir_all(tree.join("p")).unwrap();
        let corpus = Path::new(CORPUS).parent().unwrap();
        for name in [
            "Yael-Peretz__jgive-campaign-donation__transcript.jsonl",
            "AlexandreVassard__will-it-rain__claude.jsonl",
            "KaisaLabs__octora__claude-session.jsonl",
        ] {
            std::fs::copy(corpus.join(name), tree.join("p").join(name)).unwrap();
        }
        let text = std::fs::read_to_string(OTHER).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let half = &lines[7][..lines[7].len() / 2];
        lines[7] = half;
        std::fs::write(tree.join("other.jsonl"), lines.join("\n") + "\n").unwrap();
        tree
    }

    /// The per-session sums kept by triggers (schema version 7) equal a GROUP BY over the
    /// rows, after updates in small steps (rows merged again and again), after a copy of a
    /// transcript (responses written in two files) and after one file's rows are deleted; a
    /// session priced from them has the tokens of its rows and their cost to within the
    /// per-response rounding, and a session with a response also written in another session
    /// is not priced from them.
    #[test]
    fn session_sums_follow_every_change_of_the_rows() {
        let dir = temp("sums");
        let tree = dir.join("projects");
        std::fs::create_dir_all(tree.join("p")).unwrap();
        let corpus = Path::new(CORPUS).parent().unwrap();
        for entry in std::fs::read_dir(corpus).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                std::fs::copy(&path, tree.join("p").join(path.file_name().unwrap())).unwrap();
            }
        }
        // A copy of a session under another name: its responses are written in two files.
        std::fs::copy(OTHER, tree.join("p/copy-a.jsonl")).unwrap();
        std::fs::copy(OTHER, tree.join("p/copy-b.jsonl")).unwrap();
        let mut ledger = Ledger::open(&dir.join("usage.sqlite3"), &mut |_| {}).unwrap();
        ledger.step = 64 << 10;
        let roots = [tree.clone()];
        while !ledger
            .update_until(&roots, &[], &mut |_, _| {}, Some(Instant::now()))
            .unwrap()
            .complete()
        {}
        let check = |ledger: &Ledger| {
            let grouped = |sql: &str| -> Vec<Vec<i64>> {
                let mut stmt = ledger.conn.prepare(sql).unwrap();
                let rows = stmt
                    .query_map([], |r| (0..12).map(|i| r.get::<_, i64>(i)).collect())
                    .unwrap();
                rows.collect::<Result<_, _>>().unwrap()
            };
            let want = grouped(
                "SELECT coalesce(session, 0), coalesce(model, 0), coalesce(speed, 0),
                        coalesce(service_tier, 0), coalesce(inference_geo, 0),
                        prompt_tokens IS NULL, count(*), sum(input), sum(output),
                        sum(cache_read), sum(cache_5m), sum(cache_1h)
                 FROM responses GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6",
            );
            let got = grouped(
                "SELECT session, model, speed, service_tier, inference_geo, estimated, rows,
                        input, output, cache_read, cache_5m, cache_1h
                 FROM session_sums WHERE rows > 0 ORDER BY 1, 2, 3, 4, 5, 6",
            );
            assert_eq!(got, want);
            assert!(want.len() > 20, "{} groups", want.len());
        };
        check(&ledger);
        let entries = ledger.entries(&Scope::All, None, &prices()).unwrap();
        let sessions: HashSet<&str> = entries
            .rows
            .iter()
            .map(|e| entries.name(e.session))
            .collect();
        let mut summed = 0;
        for session in &sessions {
            let slow = ledger.session_usage(session, &prices()).unwrap();
            let Some(fast) = ledger.session_usage_summed(session, &prices()).unwrap() else {
                continue;
            };
            summed += 1;
            assert_eq!(
                slow.keys().collect::<Vec<_>>(),
                fast.keys().collect::<Vec<_>>()
            );
            for (model, s) in &slow {
                let f = &fast[model];
                assert_eq!(
                    (f.tokens, f.unpriced),
                    (s.tokens, s.unpriced),
                    "{session} {model}"
                );
                // Each response rounded to the picodollar: at most half a picodollar apart
                // per response (the sum of a few thousand stays far below a cent).
                let responses = entries
                    .rows
                    .iter()
                    .filter(|e| entries.name(e.session) == *session)
                    .count() as u128;
                let diff = f.cost_pico.abs_diff(s.cost_pico);
                assert!(diff <= responses + 1, "{session} {model}: {diff} pico");
            }
        }
        // Not summed: at most two for other reasons, and the marot sessions, whose Opus 4.6
        // responses of February 2026 are priced at rates that are not the current ones (its
        // long-context tier until 2026-03-13), as each response's time says.
        let earlier_rates = sessions
            .iter()
            .filter(|s| {
                entries.rows.iter().any(|e| {
                    entries.name(e.session) == **s
                        && entries.name(e.model).starts_with("claude-opus-4-6")
                        && e.ts_ms < 1_773_360_000_000 // 2026-03-13T00:00:00Z
                })
            })
            .count();
        assert!(earlier_rates >= 1);
        assert!(
            summed + 2 + earlier_rates >= sessions.len(),
            "{summed} of {} ({earlier_rates} at earlier rates)",
            sessions.len()
        );
        // The copied session's responses are in two files of one session, not two sessions:
        // sessions written in another session's file are the shared ones.
        let shared: Vec<i64> = {
            let mut stmt = ledger
                .conn
                .prepare("SELECT session FROM shared_sessions")
                .unwrap();
            let rows = stmt.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<Result<_, _>>().unwrap()
        };
        let others: i64 = ledger
            .conn
            .query_row("SELECT count(*) FROM response_sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(shared.is_empty(), others == 0);
        // Rows deleted (a file's rows replaced): the sums follow.
        ledger
            .conn
            .execute(
                "DELETE FROM responses WHERE file_id = (SELECT min(file_id) FROM responses)",
                [],
            )
            .unwrap();
        check(&ledger);
        // A migration's fill gives the same sums as the triggers.
        ledger.conn.execute("DELETE FROM session_sums", []).unwrap();
        ledger
            .conn
            .execute_batch(
                "INSERT INTO session_sums
                 SELECT coalesce(session, 0), coalesce(model, 0), coalesce(speed, 0),
                        coalesce(service_tier, 0), coalesce(inference_geo, 0),
                        prompt_tokens IS NULL, count(*), sum(input), sum(output),
                        sum(cache_read), sum(cache_5m), sum(cache_1h), 0, 0
                 FROM responses GROUP BY 1, 2, 3, 4, 5, 6",
            )
            .unwrap();
        check(&ledger);
    }

    /// A project folder renamed after the walk listed its transcripts and before they are
    /// read (the user renames it while `aegon usage` indexes): the update walks the roots
    /// again and reads them under the new name, so the index holds what a fresh read of the
    /// folder after the rename holds, with a deadline too; a file deleted meanwhile is not
    /// found again and costs nothing more. (tester15 #8: the whole folder was left out.)
    #[test]
    fn a_folder_renamed_while_it_is_indexed_is_read_under_its_new_name() {
        for deadline in [None, Some(Instant::now())] {
            let dir = temp("renamed");
            let tree = corpus_tree(&dir);
            let walked = Walked::walk(&tree, &mut no_problem);
            assert_eq!(walked.transcripts.len(), 4);
            std::fs::rename(tree.join("p"), tree.join("p-renamed")).unwrap();
            let mut ledger = Ledger::open(&dir.join("u.sqlite3"), &mut |_| {}).unwrap();
            let mut stats = ledger
                .update_walked(
                    std::slice::from_ref(&walked),
                    &[],
                    &mut no_problem,
                    deadline,
                )
                .unwrap();
            while !stats.complete() {
                stats = ledger
                    .update_until(std::slice::from_ref(&tree), &[], &mut no_problem, deadline)
                    .unwrap();
            }
            let scope = Scope::Paths {
                roots: vec![walked.root.clone()],
                files: Vec::new(),
                ids: stats.file_ids.clone(),
            };
            let got = ledger.entries(&scope, None, &prices()).unwrap();
            let now = crate::source::tree::transcripts_below(&tree, |_, _| {});
            let fresh = read_fresh(&now, &prices(), &mut no_problem);
            assert!(fresh.rows.len() > 100, "{}", fresh.rows.len());
            assert_eq!(rows(&got), rows(&fresh), "deadline {deadline:?}");
            assert_eq!(got.unread, fresh.unread);
        }
    }

    /// An update stopped by its deadline, again and again (a status line cancelled at every
    /// run), in small steps: it goes on where it stopped, and when it is done the index is
    /// exactly what one full update makes (every row, token and picodollar, the unread
    /// lines, the tools), and what a fresh read of the files gives.
    #[test]
    fn updates_stopped_by_a_deadline_end_equal_to_one_full_update() {
        let dir = temp("steps");
        let tree = corpus_tree(&dir);
        let roots = [tree.clone()];
        let mut full = Ledger::open(&dir.join("full.sqlite3"), &mut |_| {}).unwrap();
        let stats = full.update(&roots, &[], &mut no_problem).unwrap();
        assert!(stats.complete() && stats.bytes > 4_000_000, "{stats:?}");
        let want = full.entries(&Scope::All, None, &prices()).unwrap();
        let files: Vec<PathBuf> = crate::source::tree::transcripts_below(&tree, |_, _| {});
        let fresh = read_fresh(&files, &prices(), &mut no_problem);
        assert_eq!(rows(&want), rows(&fresh));
        assert_eq!(want.unread.lines, 1, "the cut line is lost, once");

        let mut stepped = Ledger::open(&dir.join("stepped.sqlite3"), &mut |_| {}).unwrap();
        stepped.step = 64 << 10;
        let mut runs = 0;
        let mut left_before = u64::MAX;
        let mut seen_before = [0u64; 7];
        loop {
            runs += 1;
            // A deadline already passed: each update does the least it does.
            let stats = stepped
                .update_until(&roots, &[], &mut no_problem, Some(Instant::now()))
                .unwrap();
            let now = totals(&stepped.entries(&Scope::All, None, &prices()).unwrap());
            if stats.complete() {
                assert!(stepped.last_scan_ms().unwrap().is_some());
                break;
            }
            // Progress at every run, and never more than the full figures.
            assert!(stats.pending_bytes < left_before, "run {runs}: {stats:?}");
            assert!(stats.total_bytes > stats.pending_bytes);
            left_before = stats.pending_bytes;
            for (i, (a, b)) in now.iter().zip(totals(&want)).enumerate() {
                assert!(*a <= b && *a >= seen_before[i], "run {runs}, figure {i}");
            }
            seen_before = now;
            assert_eq!(stepped.last_scan_ms().unwrap(), None, "run {runs}");
            assert!(runs < 1000);
        }
        // 4.7 MB in steps of 64 KB and more: many runs, many commits.
        assert!(runs > 30, "{runs} runs");
        let got = stepped.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(totals(&got), totals(&want));
        assert_eq!(rows(&got), rows(&want));
        assert_eq!(got.unread, want.unread);
        assert_eq!(stepped.tool_counts().unwrap(), full.tool_counts().unwrap());
        assert_eq!(stepped.limit_hits().unwrap(), full.limit_hits().unwrap());
        for e in &want.rows {
            let session = want.name(e.session);
            assert_eq!(
                stepped.session_usage(session, &prices()).unwrap(),
                full.session_usage(session, &prices()).unwrap(),
                "{session}"
            );
        }
        // Nothing left: the next update reads nothing.
        let stats = stepped.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!((stats.files_read, stats.pending_files), (0, 0));
    }

    /// A full update also commits in steps, each with its resume point: the rows and
    /// progress of a big file read in small steps are those of one read, and what each
    /// committed step left is exactly the file's bytes after its last whole line.
    #[test]
    fn a_file_read_in_steps_resumes_at_each_steps_line_end() {
        let dir = temp("resume");
        let bytes = std::fs::read(CORPUS).unwrap();
        let file = dir.join("s.jsonl");
        std::fs::write(&file, &bytes).unwrap();
        let key = path_key(&canonical(&file));
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger.step = 100_000;
        let mut consumed = Vec::new();
        loop {
            let (update, _, left, _) = ledger
                .update_file_row(
                    &canonical(&file),
                    Cut {
                        bytes: ledger.step,
                        deadline: None,
                    },
                    &mut None,
                )
                .unwrap();
            let row = Ledger::file_row(&ledger.conn, &key).unwrap().unwrap();
            let at = row.consumed as usize;
            // Each step ends just after a newline, and its line number counts the lines
            // before it (computed here from the bytes).
            assert_eq!(bytes[at - 1], b'\n', "step ends at a line end");
            let lines = bytes[..at].iter().filter(|b| **b == b'\n').count() as i64;
            assert_eq!(row.line, lines + 1);
            assert_eq!(left, (bytes.len() - at) as u64);
            consumed.push(at);
            if left == 0 {
                assert!(matches!(update, FileUpdate::Read { .. }));
                break;
            }
        }
        // 1.3 MB in steps of 100 KB, read in chunks of 100 KB: the first line is pushed alone
        // (its format is then known), so even the first chunk can be cut; a step ends at the
        // last line end of the chunk that reaches the step: at most one line short of the
        // step, at most two chunks.
        assert!(consumed.len() >= 6, "{consumed:?}");
        let longest = bytes.split(|b| *b == b'\n').map(<[u8]>::len).max().unwrap();
        let steps: Vec<usize> = std::iter::once(consumed[0])
            .chain(consumed.windows(2).map(|w| w[1] - w[0]))
            .collect();
        let (last, whole) = steps.split_last().unwrap();
        assert!(
            whole
                .iter()
                .all(|s| (100_000usize.saturating_sub(longest)..=200_000).contains(s)),
            "{steps:?} (longest line {longest})"
        );
        assert!(*last <= 200_000, "{steps:?}");
        let fresh = read_fresh(std::slice::from_ref(&file), &prices(), &mut no_problem);
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(rows(&indexed), rows(&fresh));
    }

    /// Lines that cannot be read are counted per file, by the index as by a fresh read: read
    /// in pieces they add up, read again from the start they are counted anew.
    #[test]
    fn unread_lines_are_counted_and_said_where() {
        let dir = temp("unread");
        let bytes = std::fs::read(CORPUS).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 20);
        // Line 6 cut in half (not JSON), line 12 replaced by NUL bytes: both lost.
        let mut damaged: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        damaged[5] = lines[5][..lines[5].len() / 2].to_owned();
        damaged[11] = "\0".repeat(40);
        let content = damaged.join("\n") + "\n";
        let file = dir.join("s.jsonl");
        std::fs::write(&file, &content).unwrap();
        let name = path_key(&canonical(&file));
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        let fresh = read_fresh(
            std::slice::from_ref(&canonical(&file)),
            &prices(),
            &mut no_problem,
        );
        assert_eq!(indexed.unread.lines, 2);
        assert_eq!(indexed.unread.files, 1);
        let first = indexed.unread.first.clone().unwrap_or_default();
        assert!(first.starts_with(&format!("{name}:6: byte ")), "{first}");
        assert_eq!(fresh.unread, indexed.unread);
        // An appended bad line adds one; the earlier first stays.
        let mut more = content.clone();
        more.push_str("{\"type\":\n");
        std::fs::write(&file, &more).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(
            (indexed.unread.lines, indexed.unread.first),
            (3, Some(first))
        );
        // Rewritten shorter with the good lines only: read from the start, nothing unread.
        std::fs::write(&file, lines[..4].join("\n") + "\n").unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(indexed.unread, Unread::default());
    }

    /// The first 22 lines of a real transcript (fixtures/corpus; tester7's `base.jsonl`):
    /// 4 responses on 6 assistant lines, 617 output tokens.
    const CAMPAIGN: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/corpus/shastrysamarth__01-campaign-audit__transcript.jsonl"
    );

    /// `CAMPAIGN`'s first 22 lines with each assistant line's `output_tokens` (outer and in
    /// `iterations`) written as a string (`"104"`), which aegon refuses (read as 0, said), and
    /// with `suffix` appended to every `msg_`/`req_` id (so a copy is other responses).
    fn refused_output(suffix: &str) -> String {
        let text = std::fs::read_to_string(CAMPAIGN).unwrap();
        let mut out = String::new();
        for line in text.lines().take(22) {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["type"] == "assistant" {
                let usage = &mut v["message"]["usage"];
                let n = usage["output_tokens"].as_u64().unwrap();
                usage["output_tokens"] = n.to_string().into();
                for it in usage["iterations"].as_array_mut().into_iter().flatten() {
                    let n = it["output_tokens"].as_u64().unwrap();
                    it["output_tokens"] = n.to_string().into();
                }
                let id = v["message"]["id"].as_str().unwrap().to_owned();
                v["message"]["id"] = format!("{id}{suffix}").into();
                let req = v["requestId"].as_str().unwrap().to_owned();
                v["requestId"] = format!("{req}{suffix}").into();
            }
            out.push_str(&serde_json::to_string(&v).unwrap());
            out.push('\n');
        }
        out
    }

    /// Lines whose usage aegon refused (a count read as 0: the response's cost unknown, tester8
    /// #2) are counted and said with their first place, from the index as from a fresh read; remembered per file (said again by a report that reads
    /// nothing new, and for a file gone from disk); and known again when a build that does not
    /// record them indexed the file (no row) or read on in it (the row's `consumed` behind).
    #[test]
    fn lines_with_refused_usage_are_said_warm_and_after_an_older_build() {
        let dir = temp("partly");
        let file = dir.join("s.jsonl");
        let content = refused_output("");
        std::fs::write(&file, &content).unwrap();
        let name = path_key(&canonical(&file));
        // Independent of the decoder: the 6 assistant lines each hold a refused count; the
        // first is line 10 (1-based) of the text written above.
        let assistant: Vec<usize> = content
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["type"] == "assistant"
            })
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(assistant.len(), 6);
        let index = dir.join("i.sqlite3");
        let update = |ledger: &mut Ledger| {
            ledger
                .update(&[], std::slice::from_ref(&file), &mut no_problem)
                .unwrap();
            ledger.entries(&Scope::All, None, &prices()).unwrap()
        };
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        let cold = update(&mut ledger);
        let fresh = read_fresh(
            std::slice::from_ref(&canonical(&file)),
            &prices(),
            &mut no_problem,
        );
        assert_eq!((cold.unknown.lines, cold.unknown.files), (6, 1));
        let first = cold.unknown.first.clone().unwrap_or_default();
        let line = assistant[0];
        assert!(
            first.starts_with(&format!("{name}:{line}: byte ")),
            "{first}"
        );
        assert!(
            first.contains("`message.usage.output_tokens` \"104\""),
            "{first}"
        );
        assert_eq!(fresh.unknown, cold.unknown);
        // Counted as calls of unknown cost, not among the lines whose usage is not counted.
        assert_eq!(cold.partly, Unread::default());
        assert!(cold.rows.iter().all(|r| r.cost_pico.is_none()));
        assert_eq!(cold.unread, Unread::default(), "no line lost whole");
        // Warm: nothing read, the same said.
        let warm = update(&mut ledger);
        assert_eq!(warm.unknown, cold.unknown);
        // Indexed by a build that does not record them: no row; read again from the start.
        ledger
            .conn
            .execute_batch("DELETE FROM partly_read_files")
            .unwrap();
        drop(ledger);
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        assert_eq!(update(&mut ledger).unknown, cold.unknown);
        // An older build read on (6 more such lines, other responses): the row's `consumed`
        // is where this build stopped, the file's where the older one did.
        let more = content.clone() + &refused_output("x");
        std::fs::write(&file, &more).unwrap();
        ledger
            .conn
            .execute(
                "UPDATE files SET consumed = ?1, line = ?2",
                params![more.len() as i64, more.lines().count() as i64 + 1],
            )
            .unwrap();
        let after = update(&mut ledger);
        assert_eq!(
            (after.unknown.lines, after.unknown.first.clone()),
            (12, Some(first.clone()))
        );
        // Each response once: 8 calls.
        assert_eq!(after.rows.len(), 8);
        // Appended by this build: added to the row.
        let most = more.clone() + &refused_output("y");
        std::fs::write(&file, &most).unwrap();
        assert_eq!(update(&mut ledger).unknown.lines, 18);
        // Gone from disk: its history, and what could not be counted in it, still said.
        std::fs::remove_file(&file).unwrap();
        let gone = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!((gone.unknown.lines, gone.unknown.first), (18, Some(first)));
        drop(ledger);
    }

    /// `CAMPAIGN`'s first 22 lines with every assistant line's usage changed by `change`
    /// (applied to the usage object itself) and `suffix` appended to every `msg_`/`req_` id.
    fn campaign_with(suffix: &str, change: &dyn Fn(&mut serde_json::Value)) -> String {
        let text = std::fs::read_to_string(CAMPAIGN).unwrap();
        let mut out = String::new();
        for line in text.lines().take(22) {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["type"] == "assistant" {
                change(&mut v["message"]["usage"]);
                let id = v["message"]["id"].as_str().unwrap().to_owned();
                v["message"]["id"] = format!("{id}{suffix}").into();
                let req = v["requestId"].as_str().unwrap().to_owned();
                v["requestId"] = format!("{req}{suffix}").into();
            }
            out.push_str(&serde_json::to_string(&v).unwrap());
            out.push('\n');
        }
        out
    }

    /// tester16 #3: an index an older build (stop-24) made of a relay session (every response
    /// under `"ocgo"`, no `requestId`: one row `m:ocgo\u{1f}` for all of them) has that row
    /// taken out and the file read again once by this build: one row per response after it,
    /// as a fresh index has, and the rule recorded (the next update reads nothing again).
    #[test]
    fn rows_an_older_build_keyed_by_a_relay_short_id_are_read_again() {
        let dir = temp("relay-rekey");
        let file = dir.join("s.jsonl");
        let mut content = String::new();
        for line in std::fs::read_to_string(CAMPAIGN).unwrap().lines().take(22) {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["type"] == "assistant" {
                v["message"]["id"] = "ocgo".into();
                v.as_object_mut().unwrap().remove("requestId");
            }
            content.push_str(&format!("{v}\n"));
        }
        std::fs::write(&file, &content).unwrap();
        let files = [file.clone()];
        let index = dir.join("i.sqlite3");
        let sum = |e: &Entries| {
            e.rows
                .iter()
                .fold(Tokens::default(), |t, r| t.saturating_add(r.tokens))
        };
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        ledger.update(&[], &files, &mut no_problem).unwrap();
        let fresh = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(fresh.rows.len(), 4);
        ledger
            .conn
            .execute_batch(
                "UPDATE responses SET key = 'm:ocgo' || char(31)
                     WHERE key = (SELECT min(key) FROM responses WHERE key GLOB 'p:*');
                 DELETE FROM responses WHERE key GLOB 'p:*';
                 UPDATE meta SET value = '2' WHERE key = 'usage_rule';",
            )
            .unwrap();
        let stale = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(stale.rows.len(), 1, "as the older build counted them");
        drop(ledger);
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        assert_eq!(stats.bytes, content.len() as u64, "read again whole");
        let again = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(again.rows.len(), 4);
        assert_eq!(sum(&again), sum(&fresh));
        let old_keys: i64 = ledger
            .conn
            .query_row(
                "SELECT count(*) FROM responses WHERE key GLOB 'm:*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old_keys, 0);
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        assert_eq!(stats.bytes, 0, "the rule is recorded: nothing read again");
        // An older build sharing the index reads on and adds a row of the id alone (here a
        // copy of one response's): taken out and the file read again by the next update.
        ledger
            .conn
            .execute_batch(
                "INSERT INTO responses (key, file_id, ts_ms, session, project, model, subagent,
                     input, output, cache_read, cache_5m, cache_1h, agent, not_a_call)
                 SELECT 'm:ocgo' || char(31), file_id, ts_ms, session, project, model,
                     subagent, input, output, cache_read, cache_5m, cache_1h, agent, not_a_call
                 FROM responses WHERE key = (SELECT max(key) FROM responses);
                 UPDATE files SET updated_ms = updated_ms + 1;",
            )
            .unwrap();
        assert_eq!(
            ledger
                .entries(&Scope::All, None, &prices())
                .unwrap()
                .rows
                .len(),
            5
        );
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        assert_eq!(stats.bytes, content.len() as u64, "read again whole");
        let again = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!((again.rows.len(), sum(&again)), (4, sum(&fresh)));
    }

    /// Cache writes of a TTL aegon has no price for: each usage object's (outer and in
    /// `iterations`) writes all in `ephemeral_24h_input_tokens` (tester7's repro 09).
    fn ttl_24h(usage: &mut serde_json::Value) {
        let set = |u: &mut serde_json::Value| {
            let flat = u["cache_creation_input_tokens"].clone();
            u["cache_creation"] = serde_json::json!({
                "ephemeral_5m_input_tokens": 0,
                "ephemeral_1h_input_tokens": 0,
                "ephemeral_24h_input_tokens": flat,
            });
        };
        for it in usage["iterations"].as_array_mut().into_iter().flatten() {
            set(it);
        }
        set(usage);
    }

    /// tester8 #1/#2 in an index a stop-21 build wrote: it neither marked a count of a kind
    /// aegon does not know nor a count read as 0 (its rows priced, its files' problems
    /// recorded without them). The next update of this build reads each file again once
    /// ([`USAGE_RULE`]): the index then agrees with a read without it; a second update reads
    /// nothing again.
    #[test]
    fn an_index_of_an_older_usage_rule_is_read_again_once() {
        let dir = temp("usage-rule");
        let file = dir.join("s.jsonl");
        let content = campaign_with("", &|u| u["audio_input_tokens"] = 5000.into())
            + &campaign_with("r", &|u| {
                if let Some(o) = u.as_object_mut() {
                    o.remove("iterations");
                }
                u["output_tokens"] = "71".into();
            });
        std::fs::write(&file, &content).unwrap();
        let files = [file.clone()];
        let index = dir.join("i.sqlite3");
        let unknown = |e: &Entries| e.rows.iter().filter(|r| r.cost_pico.is_none()).count();
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        ledger.update(&[], &files, &mut no_problem).unwrap();
        let fresh = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!((fresh.rows.len(), unknown(&fresh)), (8, 8));
        // As a stop-21 build left it: no mark, the file's lines with problems not these.
        ledger
            .conn
            .execute_batch(
                "UPDATE responses SET unread = NULL;
                 UPDATE unread_usage_files SET lines = 0, first = NULL;
                 UPDATE partly_read_files SET lines = 0, first = NULL;
                 DELETE FROM meta WHERE key = 'usage_rule';",
            )
            .unwrap();
        let stale = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(unknown(&stale), 0, "the older rule priced them");
        drop(ledger);
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        let again = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(unknown(&again), 8, "{stats:?}");
        assert_eq!(stats.bytes, content.len() as u64, "read again whole");
        assert_eq!(again.unread.lines, fresh.unread.lines);
        // Recorded: the next update reads nothing again.
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        assert_eq!(stats.bytes, 0);
        let rule: String = ledger
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'usage_rule'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(rule, USAGE_RULE.to_string());
    }

    /// marot/spotter 258c7280 (fixtures/corpus, Claude Code 2.1.39) without its subagents'
    /// transcripts: the copies of two of a881341's responses in its `agent_progress` lines
    /// are rows of the session's file (a subagent's, sonnet). An index a stop-24 build wrote
    /// (usage rule 2) has no row for them: the next update of this build reads the file again
    /// once ([`USAGE_RULE`] 3) and the index agrees with a read without it; a second update
    /// reads nothing again.
    #[test]
    fn an_index_without_the_copied_usage_is_read_again_once() {
        let dir = temp("copied-rule");
        let file = dir.join("258c7280-ae70-4798-800f-63464d01a85d.jsonl");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../fixtures/corpus/marot__spotter__test__fixtures__transcripts__",
                "258c7280-ae70-4798-800f-63464d01a85d.jsonl"
            ),
            &file,
        )
        .unwrap();
        let files = [file.clone()];
        let index = dir.join("i.sqlite3");
        let copies = |e: &Entries| {
            e.rows
                .iter()
                .filter(|r| r.subagent)
                .map(|r| (e.name(r.model).to_owned(), r.tokens.cache_write_1h))
                .collect::<Vec<_>>()
        };
        let sonnet = "claude-sonnet-4-5-20250929".to_owned();
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        ledger.update(&[], &files, &mut no_problem).unwrap();
        let fresh = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(fresh.rows.len(), 154);
        assert_eq!(
            copies(&fresh),
            [(sonnet.clone(), 12_118), (sonnet.clone(), 9_923)]
        );
        // As a stop-24 build left it: no row for the copies, rule 2.
        ledger
            .conn
            .execute_batch(
                "DELETE FROM responses WHERE subagent = 1;
                 UPDATE meta SET value = '2' WHERE key = 'usage_rule';",
            )
            .unwrap();
        let stale = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(stale.rows.len(), 152);
        drop(ledger);
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        assert_eq!(
            stats.bytes,
            std::fs::metadata(&file).unwrap().len(),
            "read again whole"
        );
        let again = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(rows(&again), rows(&fresh));
        let stats = ledger.update(&[], &files, &mut no_problem).unwrap();
        assert_eq!(stats.bytes, 0);
    }

    /// Usage aegon cannot read whole (cache writes of an unknown TTL, `usage: {}`) counts as
    /// API calls of unknown cost in the index, as `--summary` and a read without the index
    /// count it: the known tokens kept, no cost (the reason named as for an unpriced model),
    /// the rest of the history priced; the lines said apart from those not counted; the
    /// session's warm path not taking its sums. Rows an older build wrote (no mark) are read
    /// again once, and a file with no usage problem is not.
    /// tester12 #5: the official readings are an account's (its 5-hour and 7-day windows):
    /// each is recorded with the account whose status line read it, and an account reads back
    /// its own alone. A reading of an older build (no account) is the account's whose folders
    /// hold a transcript of its session; one of no session there, nobody's. And an index
    /// read-only without the column (an older build's, newer schema) still gives readings.
    #[test]
    fn official_readings_are_each_accounts_own() {
        let dir = temp("readings-accounts");
        let work = dir.join("work");
        let personal = dir.join("personal");
        let line = |id: &str, n: u32| {
            format!(
                r#"{{"type":"assistant","uuid":"u{n}","sessionId":"{id}","timestamp":"2026-11-30T10:00:00.000Z","requestId":"r{n}","message":{{"id":"m{n}","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"x"}}],"usage":{{"input_tokens":10,"output_tokens":1}}}}}}"#
            ) + "\n"
        };
        std::fs::create_dir_all(work.join("projects/w")).unwrap();
        std::fs::create_dir_all(personal.join("projects/p")).unwrap();
        std::fs::write(work.join("projects/w/sw.jsonl"), line("sw", 1)).unwrap();
        std::fs::write(personal.join("projects/p/sp.jsonl"), line("sp", 2)).unwrap();
        let index = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        ledger
            .update(&[work.clone(), personal.clone()], &[], &mut no_problem)
            .unwrap();
        let reading = |read_ms: i64, used: f64, session: &str| LimitReading {
            read_ms,
            window: "five_hour".to_owned(),
            used_percent: used,
            resets_at_ms: Some(read_ms + 600_000),
            session: Some(session.to_owned()),
        };
        let used = |l: &Ledger, account: &[PathBuf]| -> Vec<(String, f64)> {
            l.latest_readings(account)
                .unwrap()
                .into_iter()
                .map(|r| (r.window, r.used_percent))
                .collect()
        };
        let w = [work.clone()];
        let p = [personal.clone()];
        // The work account's reading, the later one: never the personal account's window.
        ledger
            .record_reading(&reading(1_000, 10.0, "sp"), &p)
            .unwrap();
        ledger
            .record_reading(&reading(2_000, 80.0, "sw"), &w)
            .unwrap();
        assert_eq!(used(&ledger, &w), [("five_hour".to_owned(), 80.0)]);
        assert_eq!(used(&ledger, &p), [("five_hour".to_owned(), 10.0)]);
        // An account named through a link, or with another spelling, is the same account.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&personal, dir.join("link")).unwrap();
            assert_eq!(used(&ledger, &[dir.join("link")]), used(&ledger, &p));
        }
        // CLAUDE_CONFIG_DIR naming both: the latest of either.
        assert_eq!(
            used(&ledger, &[work.clone(), personal.clone()]),
            [("five_hour".to_owned(), 80.0)]
        );
        // An account of no reading: none.
        assert_eq!(used(&ledger, &[dir.join("third")]), []);
        // An older build's status line inserts without the column: its reading is the
        // account's whose folders hold its session's transcript, when newer than its own.
        let older = |l: &Ledger, read_ms: i64, used: f64, session: Option<&str>| {
            l.conn
                .execute(
                    "INSERT INTO limit_readings (read_ms, window, used_percent, resets_at_ms, session)
                     VALUES (?1, 'five_hour', ?2, NULL, ?3)",
                    params![read_ms, used, session],
                )
                .unwrap();
        };
        older(&ledger, 3_000, 30.0, Some("sp"));
        older(&ledger, 4_000, 40.0, Some("not-indexed"));
        older(&ledger, 5_000, 50.0, None);
        assert_eq!(used(&ledger, &p), [("five_hour".to_owned(), 30.0)]);
        assert_eq!(used(&ledger, &w), [("five_hour".to_owned(), 80.0)]);
        // Its own later reading wins over an older build's earlier one.
        ledger
            .record_reading(&reading(3_500, 35.0, "sp"), &p)
            .unwrap();
        assert_eq!(used(&ledger, &p), [("five_hour".to_owned(), 35.0)]);
        drop(ledger);
        // An index without the column, read only (as a build that reads an older build's
        // file it may not write): every reading has no account; attributed by session.
        let conn = Connection::open(&index).unwrap();
        conn.execute_batch(
            "DROP INDEX limit_readings_account; ALTER TABLE limit_readings DROP COLUMN account;",
        )
        .unwrap();
        drop(conn);
        let ledger = Ledger {
            conn: Connection::open(&index).unwrap(),
            path: index.clone(),
            step: STEP,
            checkpoint_on_drop: false,
            read_only: Some("a newer aegon's index".to_owned()),
            version: schema::VERSION,
            web_searches: true,
            unread_usage: true,
            generation: None,
            busy: BUSY_TIMEOUT,
        };
        assert!(!has_column(&ledger.conn, "limit_readings", "account").unwrap());
        assert_eq!(used(&ledger, &w), [("five_hour".to_owned(), 80.0)]);
        assert_eq!(used(&ledger, &p), [("five_hour".to_owned(), 35.0)]);
    }

    #[test]
    fn usage_not_read_whole_costs_unknown_warm_and_after_an_older_build() {
        let dir = temp("unread-usage");
        let file = dir.join("s.jsonl");
        let clean = dir.join("clean.jsonl");
        // The real responses as written, then the same with 24h writes and with `usage: {}`
        // (other ids: other responses).
        let base = campaign_with("", &|_| {});
        let content = base.clone()
            + &campaign_with("t", &ttl_24h)
            + &campaign_with("e", &|u| *u = serde_json::json!({}));
        std::fs::write(&file, &content).unwrap();
        std::fs::write(&clean, campaign_with("c", &|_| {})).unwrap();
        let files = [file.clone(), clean.clone()];
        let index = dir.join("i.sqlite3");
        let update = |ledger: &mut Ledger| {
            ledger.update(&[], &files, &mut no_problem).unwrap();
            ledger.entries(&Scope::All, None, &prices()).unwrap()
        };
        // The priced part: the 4 real responses of each file, at $0.230886 each set (README
        // of fixtures/shapes: an independent count and ccusage agree).
        let check = |e: &Entries, what: &str| {
            assert_eq!(e.rows.len(), 16, "{what}: 4 responses x 4");
            let priced: Vec<&Entry> = e.rows.iter().filter(|r| r.cost_pico.is_some()).collect();
            assert_eq!(priced.len(), 8, "{what}");
            let sum: u128 = priced.iter().filter_map(|r| r.cost_pico).sum();
            assert_eq!((sum + 500_000) / 1_000_000, 2 * 230_886, "{what}: micro-$");
            let mut why: Vec<&str> = e
                .rows
                .iter()
                .filter(|r| r.cost_pico.is_none())
                .map(|r| e.name(r.unpriced))
                .collect();
            why.sort_unstable();
            why.dedup();
            assert_eq!(
                why,
                [
                    "cache writes of an unknown TTL",
                    "usage with no token count aegon knows"
                ],
                "{what}"
            );
            // Known tokens kept: the 24h writes counted (as 5-minute writes, their number).
            let writes: u64 = e.rows.iter().map(|r| r.tokens.cache_write_5m).sum();
            assert_eq!(writes, 13_793, "{what}");
            assert!(e.rows.iter().all(|r| r.call), "{what}");
            // 6 assistant lines each, said as counted with an unknown cost, none as not counted.
            assert_eq!((e.unknown.lines, e.unknown.files), (12, 1), "{what}");
            assert_eq!(e.partly, Unread::default(), "{what}");
        };
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        let cold = update(&mut ledger);
        check(&cold, "cold");
        let first = cold.unknown.first.clone().unwrap_or_default();
        assert!(first.contains("TTL aegon does not know"), "{first}");
        // For older builds, which say them all as not counted: all of them, the same first.
        let (lines, older_first): (i64, String) = ledger
            .conn
            .query_row(
                "SELECT p.lines, p.first FROM partly_read_files p JOIN files f ON f.id = p.file_id
                 WHERE f.path = ?1",
                [path_key(&canonical(&file))],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((lines, older_first), (12, first.clone()));
        let fresh = read_fresh(
            &files.iter().map(|f| canonical(f)).collect::<Vec<_>>(),
            &prices(),
            &mut no_problem,
        );
        check(&fresh, "fresh");
        assert_eq!(rows(&fresh), rows(&cold));
        check(&update(&mut ledger), "warm");
        // One session: its cost is not taken from the sums, and is a lower bound.
        let session = cold.name(cold.rows[0].session).to_owned();
        assert_eq!(
            ledger.session_usage_summed(&session, &prices()).unwrap(),
            None
        );
        let by_model = ledger.session_usage(&session, &prices()).unwrap();
        let unpriced: u64 = by_model.values().map(|m| m.unpriced).sum();
        assert_eq!(unpriced, 8);
        // Written by an older build (no mark, no record of how far this build read): the file
        // with usage problems is read again, the clean one is not.
        ledger
            .conn
            .execute_batch("UPDATE responses SET unread = NULL; DELETE FROM unread_usage_files")
            .unwrap();
        let stale = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(
            stale.rows.iter().filter(|r| r.cost_pico.is_none()).count(),
            0
        );
        drop(ledger);
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        check(&update(&mut ledger), "after an older build");
        let recorded: Vec<String> = ledger
            .conn
            .prepare("SELECT f.path FROM unread_usage_files u JOIN files f ON f.id = u.file_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            recorded,
            [path_key(&canonical(&file))],
            "the clean file not read again"
        );
        // An older build read on (its rows unmarked): read again from the start, marked.
        let more = content.clone() + &campaign_with("u", &|u| *u = serde_json::json!({}));
        std::fs::write(&file, &more).unwrap();
        drop(ledger);
        {
            let conn = Connection::open(&index).unwrap();
            conn.execute(
                "UPDATE files SET consumed = ?1, line = ?2 WHERE path = ?3",
                params![
                    more.len() as i64,
                    more.lines().count() as i64 + 1,
                    path_key(&canonical(&file))
                ],
            )
            .unwrap();
        }
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        let after = update(&mut ledger);
        assert_eq!(after.rows.len(), 20);
        assert_eq!(
            after.rows.iter().filter(|r| r.cost_pico.is_none()).count(),
            12
        );
        assert_eq!(after.unknown.lines, 18);
        // Cut back to the real responses: those that left the index are said with their cost
        // unknown, not priced from their known tokens.
        std::fs::write(&file, &base).unwrap();
        let cut = update(&mut ledger);
        assert_eq!((cut.rows.len(), cut.unknown.lines), (8, 0));
        let dropped = ledger.take_dropped().unwrap();
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].responses.len(), 12);
        assert!(dropped[0].responses.iter().all(|r| r.unread));
        assert_eq!(dropped[0].cost_pico(&prices()), (0, true));
        drop(ledger);
    }

    /// Another real transcript, longer than [`CORPUS`]'s first 50 lines and sharing no
    /// responses with it.
    const OTHER: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/corpus/leolin84200704__posthog-impact-dashboard__claude-session.jsonl"
    );

    /// The file's inode, to check a write went to the same file.
    #[cfg(unix)]
    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    }

    /// A short transcript written over in place (same inode) by a longer, different one (the
    /// tester's `cp other.jsonl s.jsonl`): read again from the start, not from the old offset
    /// in the middle of a line of the new content; the file counts what it holds now (the old
    /// content is no longer in any file on disk).
    #[test]
    fn a_file_written_over_in_place_by_a_longer_one_is_read_again() {
        let dir = temp("overwritten");
        let text = String::from_utf8(std::fs::read(CORPUS).unwrap()).unwrap();
        let short: String = text.split_inclusive('\n').take(50).collect();
        let other = std::fs::read(OTHER).unwrap();
        assert!(other.len() > short.len());
        let file = dir.join("s.jsonl");
        std::fs::write(&file, &short).unwrap();
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        #[cfg(unix)]
        let ino = inode(&file);
        std::fs::write(&file, &other).unwrap();
        #[cfg(unix)]
        assert_eq!(inode(&file), ino, "written over in place");
        let stats = ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        assert_eq!(stats.rereads, [(path_key(&file), Reread::Overwritten)]);
        assert_eq!(stats.bytes, other.len() as u64);
        // The new content read fresh: its responses only (the old one's are gone with it),
        // nothing unread.
        let new = dir.join("new.jsonl");
        std::fs::write(&new, &other).unwrap();
        let fresh_new = read_fresh(std::slice::from_ref(&new), &prices(), &mut no_problem);
        assert!(!fresh_new.rows.is_empty());
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(rows(&indexed), rows(&fresh_new));
        assert_eq!(indexed.unread, Unread::default());
    }

    /// A transcript whose last line was damaged (NUL bytes, as a crash leaves) is restored in
    /// place from its clean copy, the same size: read again, the line read, nothing unread.
    /// tester15 #6: a transcript edited in place, at the same size, far from its end (a token
    /// count of one response changed on its three lines, as a redaction tool or an editor
    /// writing in place does) was never read again. Its modification time, later than its
    /// row's writing while the file did not grow, says so: read again, it counts what it holds
    /// now, as a read without the index does.
    #[test]
    fn a_file_edited_in_place_at_the_same_size_is_read_again() {
        let dir = temp("edited");
        let source = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/corpus/apanloco__random__session.jsonl"
        );
        let text = std::fs::read_to_string(source).unwrap();
        let first: String = text.split_inclusive('\n').take(60).collect();
        let file = dir.join("s.jsonl");
        std::fs::write(&file, &first).unwrap();
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        // Indexed ten seconds before the edit (no sleep: the row is made older).
        ledger
            .conn
            .execute("UPDATE files SET updated_ms = updated_ms - 10000", [])
            .unwrap();
        let edited = first.replace(
            r#""cache_read_input_tokens":8693"#,
            r#""cache_read_input_tokens":9693"#,
        );
        assert_eq!(edited.len(), first.len());
        let at = first.find(r#""cache_read_input_tokens":8693"#).unwrap();
        assert!(at + (TAIL as usize) < first.len(), "before the last 4 KiB");
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .and_then(|mut f| io::Write::write_all(&mut f, edited.as_bytes()))
            .unwrap();
        let stats = ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        assert_eq!(stats.rereads, [(path_key(&file), Reread::Overwritten)]);
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        let fresh = read_fresh(std::slice::from_ref(&file), &prices(), &mut no_problem);
        assert_eq!(rows(&indexed), rows(&fresh));
        // Read once: unchanged since, it is not read again.
        let stats = ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        assert_eq!(stats.files_read, 0);
        // A modification time in the future (another machine's clock) does not make every
        // run read it again.
        let tomorrow = std::time::SystemTime::now() + Duration::from_secs(86_400);
        File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(tomorrow)
            .unwrap();
        let stats = ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        assert_eq!(stats.files_read, 0);
    }

    #[test]
    fn a_damaged_file_restored_in_place_at_the_same_size_is_read_again() {
        let dir = temp("restored");
        let clean = std::fs::read(CORPUS).unwrap();
        let last = clean[..clean.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap()
            + 1;
        let mut damaged = clean.clone();
        damaged[last..clean.len() - 1].fill(0);
        let file = dir.join("s.jsonl");
        std::fs::write(&file, &damaged).unwrap();
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(indexed.unread.lines, 1);
        std::fs::write(&file, &clean).unwrap();
        let stats = ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        assert_eq!(stats.rereads, [(path_key(&file), Reread::Overwritten)]);
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        let fresh = read_fresh(std::slice::from_ref(&file), &prices(), &mut no_problem);
        assert_eq!(rows(&indexed), rows(&fresh));
        assert_eq!(indexed.unread, Unread::default());
    }

    #[test]
    fn truncation_replacement_copies_and_deletion_never_count_twice() {
        let dir = temp("rewrite");
        let bytes = std::fs::read(CORPUS).unwrap();
        let half = bytes.len() / 2;
        let a = dir.join("a.jsonl");
        let seen = dir.join("seen");
        std::fs::create_dir_all(&seen).unwrap();
        let mut snapshots: Vec<PathBuf> = Vec::new();
        let mut snapshot = |content: &[u8]| {
            let p = seen.join(format!("{}.jsonl", snapshots.len()));
            std::fs::write(&p, content).unwrap();
            snapshots.push(p);
            snapshots.clone()
        };
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        let check = |ledger: &mut Ledger, files: &[PathBuf], shown: Vec<PathBuf>| {
            let stats = ledger.update(&[], files, &mut |_, _| {}).unwrap();
            let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
            // Everything the index was shown, read fresh at once: each response once.
            let fresh = read_fresh(&shown, &prices(), &mut no_problem);
            assert_eq!(rows(&indexed), rows(&fresh));
            stats
        };
        // The second half first, then the file truncated to the first half (shorter: re-read,
        // and what it no longer holds is no longer counted: it holds the first half only).
        std::fs::write(&a, &bytes[half..]).unwrap();
        let shown = snapshot(&bytes[half..]);
        check(&mut ledger, std::slice::from_ref(&a), shown);
        std::fs::write(&a, &bytes[..half / 2]).unwrap();
        let shown = snapshot(&bytes[..half / 2]).split_off(1);
        let stats = check(&mut ledger, std::slice::from_ref(&a), shown);
        assert_eq!(stats.rereads, [(path_key(&a), Reread::Truncated)]);
        // Replaced by another file (new inode) holding the whole transcript.
        let tmp = dir.join("a.tmp");
        std::fs::write(&tmp, &bytes).unwrap();
        std::fs::rename(&tmp, &a).unwrap();
        let shown = snapshot(&bytes).split_off(2);
        let stats = check(&mut ledger, std::slice::from_ref(&a), shown.clone());
        if cfg!(unix) {
            assert_eq!(stats.rereads, [(path_key(&a), Reread::Replaced)]);
        }
        // A resumed copy in another file and a moved file add nothing.
        let before = rows(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        let copy = dir.join("copy.jsonl");
        std::fs::write(&copy, &bytes).unwrap();
        let moved = dir.join("moved.jsonl");
        std::fs::rename(&a, &moved).unwrap();
        check(&mut ledger, &[copy.clone(), moved.clone()], shown.clone());
        assert_eq!(
            rows(&ledger.entries(&Scope::All, None, &prices()).unwrap()),
            before
        );
        // Deleted: the history stays.
        std::fs::remove_file(&copy).unwrap();
        std::fs::remove_file(&moved).unwrap();
        check(&mut ledger, &[copy, moved], shown);
        assert_eq!(
            rows(&ledger.entries(&Scope::All, None, &prices()).unwrap()),
            before
        );
    }

    /// The first `n` lines of `text`, each with its newline.
    fn first_lines(text: &str, n: usize) -> String {
        text.lines().take(n).map(|l| format!("{l}\n")).collect()
    }

    /// A transcript rewritten or truncated after it was indexed is counted as it is now, as a
    /// fresh read of it counts it: what it no longer holds is not in any report (rows are
    /// kept only for files gone from disk). A copy of the removed responses in another file
    /// keeps them counted, once.
    #[test]
    fn a_file_read_again_from_its_start_counts_what_it_holds_now() {
        let dir = temp("reread-replaces");
        let a = dir.join("a.jsonl");
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        let corpus = std::fs::read_to_string(CORPUS).unwrap();
        let other = std::fs::read_to_string(OTHER).unwrap();
        let check = |ledger: &mut Ledger, files: &[PathBuf], why: Option<Reread>| {
            let stats = ledger.update(&[], files, &mut no_problem).unwrap();
            let reread: Vec<Reread> = stats.rereads.iter().map(|r| r.1).collect();
            assert_eq!(reread, why.into_iter().collect::<Vec<_>>());
            let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
            let fresh = read_fresh(files, &prices(), &mut no_problem);
            assert!(!fresh.rows.is_empty());
            assert_eq!(rows(&indexed), rows(&fresh));
            assert_eq!(totals(&indexed), totals(&fresh));
        };
        let files = [a.clone()];
        // Indexed, then written again in place with another (shorter) transcript: truncated.
        std::fs::write(&a, first_lines(&corpus, 400)).unwrap();
        check(&mut ledger, &files, None);
        std::fs::write(&a, first_lines(&other, 200)).unwrap();
        check(&mut ledger, &files, Some(Reread::Truncated));
        // Truncated to its first lines.
        std::fs::write(&a, first_lines(&other, 60)).unwrap();
        check(&mut ledger, &files, Some(Reread::Truncated));
        // Written over in place by a longer one (the bytes before what was read changed).
        std::fs::write(&a, first_lines(&corpus, 300)).unwrap();
        check(&mut ledger, &files, Some(Reread::Overwritten));
        // A copy of it elsewhere, then it is cut to a few lines: the copy's responses stay,
        // once (moved to the copy's row), and the file counts what it holds.
        let b = dir.join("b.jsonl");
        std::fs::write(&b, first_lines(&corpus, 300)).unwrap();
        let both = [a.clone(), b.clone()];
        check(&mut ledger, &both, None);
        std::fs::write(&a, first_lines(&corpus, 20)).unwrap();
        check(&mut ledger, &both, Some(Reread::Truncated));
        // A report over the cut file alone is what it holds now.
        let ids = ledger
            .update(&[], &files, &mut no_problem)
            .unwrap()
            .file_ids;
        let scope = Scope::Paths {
            roots: vec![],
            files: files.to_vec(),
            ids,
        };
        let over_a = ledger.entries(&scope, None, &prices()).unwrap();
        let fresh = read_fresh(&files, &prices(), &mut no_problem);
        assert_eq!(totals(&over_a), totals(&fresh));
        // Gone from disk: its history stays, as it was last read.
        let before = rows(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        std::fs::remove_file(&b).unwrap();
        ledger.update(&[], &files, &mut |_, _| {}).unwrap();
        assert_eq!(
            rows(&ledger.entries(&Scope::All, None, &prices()).unwrap()),
            before
        );
    }

    /// After a run that wrote, the database file alone holds the index (the WAL is
    /// checkpointed when the ledger is dropped): a copy of `usage.sqlite3` without its `-wal`
    /// (a backup, a move to another machine) is the whole history.
    #[test]
    fn the_database_file_alone_holds_the_index_after_a_run() {
        let dir = temp("checkpoint");
        let (_tree, path, ledger) = indexed_tree(&dir);
        let expected = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert!(expected[6] > 100, "the corpus files hold many responses");
        drop(ledger);
        let wal = std::fs::metadata(dir.join("i.sqlite3-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "the WAL is checkpointed and emptied");
        let copy = dir.join("copy");
        std::fs::create_dir_all(&copy).unwrap();
        std::fs::copy(&path, copy.join("i.sqlite3")).unwrap();
        let ledger = Ledger::open(&copy.join("i.sqlite3"), &mut |n| panic!("{n}")).unwrap();
        let copied = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert_eq!(copied, expected);
        // A run that only reads leaves the files as they are (no checkpoint, no write).
        drop(ledger);
    }

    /// Damages one leaf page of `table`'s b-tree in the database file at `path` (checkpointed):
    /// follows the middle child from its root down to a leaf, and flips its first 200 bytes
    /// (its header and cell pointers: SQLite's checks fail on any read of it), as a bad sector
    /// would. Gives the page's number.
    fn damage_a_leaf_of(path: &Path, table: &str) -> u64 {
        let conn = Connection::open(path).unwrap();
        let root = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .unwrap() as u64;
        let size = conn
            .query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
            .unwrap() as u64;
        drop(conn);
        let mut bytes = std::fs::read(path).unwrap();
        let mut page = root;
        loop {
            let at = ((page - 1) * size) as usize;
            let header = at + if page == 1 { 100 } else { 0 };
            match bytes[header] {
                // Interior (index, table): the child of the middle cell.
                0x02 | 0x05 => {
                    let cells = u16::from_be_bytes([bytes[header + 3], bytes[header + 4]]);
                    assert!(cells > 0);
                    let p = header + 12 + 2 * usize::from(cells / 2);
                    let cell = at + usize::from(u16::from_be_bytes([bytes[p], bytes[p + 1]]));
                    page = u64::from(u32::from_be_bytes(
                        bytes[cell..cell + 4].try_into().unwrap(),
                    ));
                }
                0x0a | 0x0d => break,
                other => panic!("page {page}: type {other:#x}"),
            }
        }
        assert_ne!(page, root, "{table} spans more than one page");
        let at = ((page - 1) * size) as usize;
        for b in &mut bytes[at..at + 200] {
            *b ^= 0x5a;
        }
        std::fs::write(path, bytes).unwrap();
        page
    }

    /// What the damaged index at `path` still answers for each of `keys`, asked one key at a
    /// time (not the salvage's range reads): the dated responses' summed tokens (input, output,
    /// cache read, 5 m, 1 h writes) and count, then every readable response, and the keys
    /// whose read fails.
    fn readable(path: &Path, keys: &[String]) -> ([u64; 6], u64, u64) {
        let conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let (mut sum, mut read, mut failed) = ([0u64; 6], 0, 0);
        for k in keys {
            let row = conn.query_row(
                "SELECT ts_ms, input, output, cache_read, cache_5m, cache_1h FROM responses
                 WHERE key = ?1",
                [k],
                |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        [
                            r.get::<_, i64>(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ],
                    ))
                },
            );
            match row {
                Ok((ts, t)) => {
                    read += 1;
                    if ts.is_some() {
                        for i in 0..5 {
                            sum[i] += t[i] as u64;
                        }
                        sum[5] += 1;
                    }
                }
                Err(_) => failed += 1,
            }
        }
        (sum, read, failed)
    }

    /// A salvage that fails (here: a `files` row whose NOT NULL column reads as NULL, whose
    /// insert is ignored) still says so and records the damage, so later runs keep saying it.
    #[test]
    fn a_files_row_that_will_not_insert_is_counted_lost_not_an_error() {
        let dir = temp("salvage-null");
        let (tree, path, ledger) = indexed_tree(&dir);
        drop(ledger);
        {
            // The files table without its constraints, and a NULL where a damaged page may
            // decode one.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE f2 AS SELECT * FROM files; DROP TABLE files;
                 ALTER TABLE f2 RENAME TO files; UPDATE files SET dev = NULL;",
            )
            .unwrap();
        }
        std::fs::remove_dir_all(tree.join("p")).unwrap();
        std::fs::remove_file(tree.join("other.jsonl")).unwrap();
        let mut notes = Vec::new();
        let mut ledger =
            Ledger::rebuild(&path, "damaged", &mut |n| notes.push(n.to_owned())).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        let damage = ledger.damage().unwrap();
        assert_eq!(damage.len(), 1, "{damage:?}");
        assert!(!damage[0].complete, "{damage:?}");
        assert_eq!(ledger.damage().unwrap().len(), 1, "said until removed");
    }

    /// A limit hit whose file row was lost is not restored under a placeholder file: the file
    /// read again gives it under its own id, and it would count twice.
    #[test]
    fn a_limit_hit_whose_file_row_was_lost_is_not_restored_twice() {
        let dir = temp("hit-lost-file");
        let a = dir.join("a.jsonl");
        std::fs::copy(CORPUS, &a).unwrap();
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&a), &mut no_problem)
            .unwrap();
        drop(ledger);
        // The file's row unreadable (as lost from a damaged page).
        Connection::open(&path)
            .unwrap()
            .execute_batch("DELETE FROM files")
            .unwrap();
        let mut ledger = Ledger::rebuild(&path, "damaged", &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&a), &mut no_problem)
            .unwrap();
        let rows: i64 = ledger
            .conn
            .query_row("SELECT count(*) FROM limit_hits", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "CORPUS holds one limit message");
    }

    /// A file on disk but outside the default folders (read when named) keeps its history
    /// through a rebuild, and counts once when it is read again.
    #[test]
    fn a_file_outside_the_roots_keeps_its_rows_through_a_rebuild() {
        let dir = temp("salvage-outside");
        let a = dir.join("a.jsonl");
        std::fs::copy(CORPUS, &a).unwrap();
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&a), &mut no_problem)
            .unwrap();
        let before = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert!(before[6] > 0);
        drop(ledger);
        let mut ledger = Ledger::rebuild(&path, "damaged", &mut |_| {}).unwrap();
        let kept = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert_eq!(kept, before, "kept without reading it again");
        ledger
            .update(&[], std::slice::from_ref(&a), &mut no_problem)
            .unwrap();
        let again = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert_eq!(again, before, "read again from its start: once");
    }

    /// Two processes meet the same damage: the one rebuilding second finds the index already
    /// rebuilt by the first and opens it, rather than moving that rebuild (and its salvage)
    /// aside.
    #[test]
    fn a_rebuild_by_another_process_is_not_moved_aside_again() {
        // Two processes have the index open; both meet its damage. The first to hold the lock
        // rebuilds; the other finds the new generation under the lock and uses that rebuild
        // (setting it aside again would set aside what the first restored).
        let dir = temp("rebuild-race");
        let (tree, path, ledger) = indexed_tree(&dir);
        let before = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        drop(ledger);
        let first = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        let second = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        let corrupt = Error::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        ));
        let mut notes = Vec::new();
        let first = first
            .repair(&corrupt, &mut |n| notes.push(n.to_owned()))
            .unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("moved to"), "{notes:?}");
        let second = second
            .repair(&corrupt, &mut |n| notes.push(n.to_owned()))
            .unwrap();
        assert_eq!(notes.len(), 1, "not rebuilt again: {notes:?}");
        assert!(first.generation.is_some());
        assert_eq!(second.generation, first.generation);
        assert_eq!(set_aside_copies(&dir).len(), 1, "only the first's");
        // Nothing was lost: the transcripts are on disk (read again) and the copy holds them.
        let mut second = second;
        second
            .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
            .unwrap();
        assert_eq!(
            totals(&second.entries(&Scope::All, None, &prices()).unwrap()),
            before
        );
        drop(first);
        // Damage met again in the rebuilt index (the generation it opened): rebuilt again.
        drop(
            second
                .repair(&corrupt, &mut |n| notes.push(n.to_owned()))
                .unwrap(),
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(set_aside_copies(&dir).len(), 2);
    }

    /// The damaged copies a rebuild set aside in `dir` (`*.unusable-<ms>`, not their `-wal`
    /// or `-shm`).
    fn set_aside_copies(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = set_aside_in(dir)
            .into_iter()
            .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_missing_table_is_rebuilt_only_when_the_schema_lacks_it() {
        let dir = temp("missing-table");
        let (tree, path, ledger) = indexed_tree(&dir);
        let before = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        // Said by a query while the schema is whole (another file took its place meanwhile):
        // the index is opened again, not set aside.
        let missing = Error::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some("no such table: files".to_owned()),
        ));
        assert!(missing.is_corrupt() && missing.is_missing_table());
        let ledger = ledger.repair(&missing, &mut |n| panic!("{n}")).unwrap();
        assert_eq!(set_aside_copies(&dir), Vec::<String>::new());
        assert_eq!(
            totals(&ledger.entries(&Scope::All, None, &prices()).unwrap()),
            before
        );
        // A table really gone: the query's own error takes the same path, and it is rebuilt.
        Connection::open(&path)
            .unwrap()
            .execute_batch("DROP TABLE tools")
            .unwrap();
        let e = ledger.tool_counts().unwrap_err();
        assert!(e.is_missing_table(), "{e}");
        let mut notes = Vec::new();
        let mut ledger = ledger
            .repair(&e, &mut |n| notes.push(n.to_owned()))
            .unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("without table tools"), "{notes:?}");
        assert_eq!(set_aside_copies(&dir).len(), 1);
        ledger
            .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
            .unwrap();
        assert_eq!(
            totals(&ledger.entries(&Scope::All, None, &prices()).unwrap()),
            before
        );
        assert!(ledger.tool_counts().unwrap().0 > 0);
    }

    /// Overwrites page `page` of the database file at `path` whole (page 1 past its 100-byte
    /// file header) with `DE AD` repeated, as a bad sector would (tester15's repros write
    /// 2,000 bytes of it at byte 100 of a page).
    fn damage_page(path: &Path, page: u64) {
        let conn = Connection::open(path).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let size = conn
            .query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
            .unwrap() as u64;
        drop(conn);
        let mut bytes = std::fs::read(path).unwrap();
        let from = ((page - 1) * size + if page == 1 { 100 } else { 0 }) as usize;
        let to = (page * size) as usize;
        for (i, b) in bytes[from..to].iter_mut().enumerate() {
            *b = if i % 2 == 0 { 0xde } else { 0xad };
        }
        std::fs::write(path, bytes).unwrap();
    }

    /// The root page of `name` (a table or index) in the database file at `path`.
    fn root_page(path: &Path, name: &str) -> u64 {
        Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .unwrap() as u64
    }

    /// Damage in the root page of `files` (tester15 #2: every run read the transcripts afresh,
    /// exit 0, and the index was never rebuilt): the first query that meets it (here the one
    /// that asks whether a path is held) takes the repair, and the rebuild places every
    /// file's history by the path index (`files`' UNIQUE index, read alone): nothing lost.
    #[test]
    fn damage_in_the_files_tables_root_loses_no_files_history() {
        let dir = temp("files-root");
        let (tree, path, ledger) = indexed_tree(&dir);
        let before = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        drop(ledger);
        // Claude Code's cleanup deletes one folder's transcripts: their history is the index's.
        std::fs::remove_dir_all(tree.join("p")).unwrap();
        damage_page(&path, root_page(&path, "files"));
        let ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        let e = ledger.holds(&tree.join("p")).unwrap_err();
        assert!(e.is_corrupt(), "{e}");
        let mut notes = Vec::new();
        let mut ledger = ledger
            .repair(&e, &mut |n| notes.push(n.to_owned()))
            .unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            ledger.holds(&tree.join("p")).unwrap(),
            "the gone folder's rows"
        );
        ledger
            .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
            .unwrap();
        let scope = Scope::Paths {
            roots: vec![tree.clone()],
            files: Vec::new(),
            ids: Vec::new(),
        };
        assert_eq!(
            totals(&ledger.entries(&scope, None, &prices()).unwrap()),
            before,
            "the deleted transcripts' history is reported over their folder"
        );
        let damage = ledger.damage().unwrap();
        assert_eq!(damage.len(), 1, "{damage:?}");
        assert!(damage[0].complete, "{damage:?}");
        assert!(damage[0].restored > 0, "{damage:?}");
    }

    /// The damaged index whose transcripts are gone (Claude Code's cleanup): every response it
    /// can still read is restored into the new index, reports hold exactly those, and the
    /// damage is said (not complete, with the count that could not be read) on every report
    /// until the damaged copy is removed.
    #[test]
    fn a_damaged_index_gives_back_what_it_can_still_read_of_deleted_transcripts() {
        let dir = temp("salvage");
        let tree = corpus_tree(&dir);
        // A copy (a resumed session's), so responses are also read from another file.
        let p = tree.join("p");
        std::fs::copy(
            p.join("AlexandreVassard__will-it-rain__claude.jsonl"),
            p.join("copy.jsonl"),
        )
        .unwrap();
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        ledger
            .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
            .unwrap();
        let keys: Vec<String> = ledger
            .conn
            .prepare("SELECT key FROM responses")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let before = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        let tools = ledger.tool_counts().unwrap();
        assert!(tools.0 > 0, "the corpus has tool calls");
        let also_files = |l: &Ledger| -> i64 {
            l.conn
                .query_row("SELECT count(*) FROM response_files", [], |r| r.get(0))
                .unwrap()
        };
        let also_before = also_files(&ledger);
        assert!(
            also_before > 0,
            "the copy's responses are also read from it"
        );
        ledger
            .record_reading(
                &LimitReading {
                    read_ms: 1_700_000_000_000,
                    window: "five_hour".to_owned(),
                    used_percent: 42.0,
                    resets_at_ms: Some(1_700_000_100_000),
                    session: None,
                },
                &[],
            )
            .unwrap();
        drop(ledger);
        // Claude Code deletes the transcripts; then a page of `responses` goes bad.
        std::fs::remove_dir_all(tree.join("p")).unwrap();
        std::fs::remove_file(tree.join("other.jsonl")).unwrap();
        damage_a_leaf_of(&path, "responses");
        let (expected, read, failed) = readable(&path, &keys);
        assert!(failed > 0 && read > 0, "{read} read, {failed} not");
        assert!(expected[5] < before[6], "some of the history is lost");
        // The next run finds the damage (opening, or reading) and rebuilds.
        let mut notes = Vec::new();
        let mut ledger = Ledger::open(&path, &mut |n| notes.push(n.to_owned())).unwrap();
        let result = ledger.update(std::slice::from_ref(&tree), &[], &mut |_, _| {});
        let result = result.and_then(|_| ledger.entries(&Scope::All, None, &prices()));
        if let Err(e) = result {
            assert!(e.is_corrupt(), "{e}");
            drop(ledger);
            ledger = Ledger::rebuild(&path, "damaged", &mut |n| notes.push(n.to_owned())).unwrap();
            ledger
                .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
                .unwrap();
        }
        assert_eq!(notes.len(), 1, "{notes:?}");
        let got = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert_eq!(got[..5], expected[..5]);
        assert_eq!(got[6], expected[5]);
        assert_eq!(
            ledger.latest_readings(&[]).unwrap().len(),
            1,
            "the readings are kept"
        );
        // The tables not damaged come back whole.
        assert_eq!(ledger.tool_counts().unwrap(), tools, "every tool call");
        assert_eq!(
            also_files(&ledger),
            also_before,
            "every other file of a response"
        );
        // Said, with what was restored and what could not be read, on every run.
        for _ in 0..2 {
            let damage = ledger.damage().unwrap();
            assert_eq!(damage.len(), 1, "{damage:?}");
            let d = &damage[0];
            assert!(!d.complete);
            assert_eq!(d.restored, read);
            assert_eq!(d.missing, Some(failed));
            let note = d.note();
            assert!(note.contains(&format!("{read} responses")), "{note}");
            assert!(
                note.contains(&format!("{failed} more could not be read")),
                "{note}"
            );
            assert!(note.contains(&*d.aside.to_string_lossy()), "{note}");
        }
        // Acknowledged by removing the damaged copy.
        let aside = ledger.damage().unwrap()[0].aside.clone();
        std::fs::remove_file(&aside).unwrap();
        assert_eq!(ledger.damage().unwrap(), []);
    }

    /// A damaged index whose transcripts are all still on disk loses nothing: reports equal a
    /// fresh read, and the damage is said once, as complete.
    #[test]
    fn a_damaged_index_whose_transcripts_remain_loses_nothing() {
        let dir = temp("salvage-whole");
        let (tree, path, ledger) = indexed_tree(&dir);
        drop(ledger);
        damage_a_leaf_of(&path, "responses");
        let mut notes = Vec::new();
        let mut ledger = Ledger::open(&path, &mut |n| notes.push(n.to_owned())).unwrap();
        let result = ledger.update(std::slice::from_ref(&tree), &[], &mut |_, _| {});
        let result = result.and_then(|_| ledger.entries(&Scope::All, None, &prices()));
        if let Err(e) = result {
            assert!(e.is_corrupt(), "{e}");
            drop(ledger);
            ledger = Ledger::rebuild(&path, "damaged", &mut |n| notes.push(n.to_owned())).unwrap();
            ledger
                .update(std::slice::from_ref(&tree), &[], &mut |_, _| {})
                .unwrap();
        }
        let files: Vec<PathBuf> = crate::source::tree::transcripts_below(&tree, |_, _| {});
        let fresh = read_fresh(&files, &prices(), &mut |_, _| {});
        let got = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(rows(&got), rows(&fresh));
        let damage = ledger.damage().unwrap();
        assert_eq!(damage.len(), 1, "{damage:?}");
        assert!(damage[0].complete);
        assert!(damage[0].note().contains("nothing was lost"));
        assert_eq!(ledger.damage().unwrap(), [], "said once");
    }

    /// Real transcripts (fixtures/corpus) and the resumed session of fixtures/bugs/08.
    const SCOPED: [&str; 4] = [
        "corpus/thejamesnick__agentic-wallet__claude-session.jsonl",
        "corpus/marot__spotter__test__fixtures__transcripts__tool_heavy.jsonl",
        "bugs/08-resume-copy/11111111-2222-4333-8444-5555555555a8.jsonl",
        "bugs/08-resume-copy/11111111-2222-4333-8444-5555555555b8.jsonl",
    ];

    #[test]
    fn a_limit_message_in_copies_is_kept_per_file_and_reported_once() {
        // CORPUS holds one limit message (2026-01-28T20:29:11.494Z); a copy holds it too.
        let dir = temp("hit-copies");
        let a = dir.join("a.jsonl");
        let b = dir.join("b.jsonl");
        std::fs::copy(CORPUS, &a).unwrap();
        std::fs::copy(CORPUS, &b).unwrap();
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        let stats = ledger
            .update(&[], &[a.clone(), b.clone()], &mut no_problem)
            .unwrap();
        let rows: i64 = ledger
            .conn
            .query_row("SELECT count(*) FROM limit_hits", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2, "one row per file holding it");
        let want = vec![(1_769_632_151_494, String::new())];
        let times = |hits: Vec<(i64, String)>| -> Vec<(i64, String)> {
            hits.into_iter().map(|(t, _)| (t, String::new())).collect()
        };
        assert_eq!(times(ledger.limit_hits().unwrap()), want);
        for (file, id) in [(&a, stats.file_ids[0]), (&b, stats.file_ids[1])] {
            let scope = Scope::Paths {
                roots: vec![],
                files: vec![file.clone()],
                ids: vec![id],
            };
            let e = ledger.entries(&scope, None, &prices()).unwrap();
            assert_eq!(times(e.limit_hits), want, "{}", file.display());
        }
        // A row written before (keyed by the message alone) beside this version's: once.
        ledger
            .conn
            .execute(
                "UPDATE limit_hits SET key = substr(key, 1, instr(key, char(30)) - 1)
                 WHERE file_id = ?1",
                [stats.file_ids[0]],
            )
            .unwrap();
        assert_eq!(times(ledger.limit_hits().unwrap()), want);
    }

    #[test]
    fn a_report_over_paths_equals_a_fresh_read_of_them_whatever_was_indexed_before() {
        let dir = temp("scoped");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let (proj, res, rep) = (dir.join("proj"), dir.join("res"), dir.join("rep"));
        for d in [&proj, &res, &rep] {
            std::fs::create_dir_all(d).unwrap();
        }
        let put = |to: PathBuf, from: &Path| {
            std::fs::copy(from, &to).unwrap();
            to
        };
        let a = put(proj.join("a.jsonl"), Path::new(CORPUS));
        let w = put(proj.join("w.jsonl"), &fixtures.join(SCOPED[0]));
        let t = put(proj.join("t.jsonl"), &fixtures.join(SCOPED[1]));
        let a8 = put(res.join("a8.jsonl"), &fixtures.join(SCOPED[2]));
        let b8 = put(res.join("b8.jsonl"), &fixtures.join(SCOPED[3]));
        // Copies of whole transcripts, of the original and of its resumed session.
        let copies = [
            put(rep.join("a-copy.jsonl"), &a),
            put(rep.join("t-copy.jsonl"), &t),
            put(rep.join("a8-copy.jsonl"), &a8),
            put(rep.join("b8-copy.jsonl"), &b8),
        ];
        let originals = [a, w, t, a8.clone(), b8.clone()];
        let all: Vec<PathBuf> = originals.iter().chain(&copies).cloned().collect();
        let mut orders = vec![all.clone(), all.iter().rev().cloned().collect()];
        orders.push(copies.iter().chain(&originals).cloned().collect());
        orders.push(vec![b8.clone(), copies[2].clone(), a8.clone()]);
        orders[3].extend(all.iter().cloned());
        // Scopes: folders, single files, a copy beside another folder.
        let folder = |d: &Path| -> Vec<PathBuf> {
            all.iter().filter(|f| f.starts_with(d)).cloned().collect()
        };
        let scopes: Vec<(Vec<PathBuf>, Vec<PathBuf>)> = vec![
            (vec![rep.clone()], vec![]),
            (vec![res.clone()], vec![]),
            (vec![proj.clone()], vec![]),
            (vec![], vec![b8.clone()]),
            (vec![], vec![copies[2].clone()]),
            (vec![], vec![copies[3].clone()]),
            (vec![], vec![copies[0].clone()]),
            (vec![res.clone()], vec![copies[0].clone()]),
            (vec![], vec![a8.clone(), copies[3].clone()]),
        ];
        for (n, order) in orders.iter().enumerate() {
            let mut ledger = Ledger::open(&dir.join(format!("i{n}.sqlite3")), &mut |_| {}).unwrap();
            for f in order {
                ledger
                    .update(&[], std::slice::from_ref(f), &mut no_problem)
                    .unwrap();
            }
            let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
            let fresh = read_fresh(&originals, &prices(), &mut no_problem);
            assert_eq!(rows(&indexed), rows(&fresh), "order {n}, all");
            for (roots, files) in &scopes {
                let mut covered: Vec<PathBuf> = roots.iter().flat_map(|r| folder(r)).collect();
                covered.extend(files.iter().cloned());
                covered.sort();
                let scope = Scope::Paths {
                    roots: roots.clone(),
                    files: files.clone(),
                    ids: Vec::new(),
                };
                let indexed = ledger.entries(&scope, None, &prices()).unwrap();
                let fresh = read_fresh(&covered, &prices(), &mut no_problem);
                assert!(!fresh.rows.is_empty(), "{covered:?}");
                assert_eq!(rows(&indexed), rows(&fresh), "order {n}, {covered:?}");
            }
        }
    }

    #[test]
    fn a_valid_last_line_without_newline_is_read_once() {
        let dir = temp("tail");
        let bytes = std::fs::read(CORPUS).unwrap();
        let end = bytes.len() - 1; // the whole file but its final newline
        let f = dir.join("t.jsonl");
        std::fs::write(&f, &bytes[..end]).unwrap();
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&f), &mut no_problem)
            .unwrap();
        let first = rows(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        assert_eq!(
            first,
            rows(&read_fresh(
                std::slice::from_ref(&f),
                &prices(),
                &mut no_problem
            ))
        );
        // The newline arrives, then more lines: the same file read whole.
        let mut more = bytes.clone();
        more.extend_from_slice(&bytes);
        std::fs::write(&f, &more).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&f), &mut no_problem)
            .unwrap();
        assert_eq!(
            rows(&ledger.entries(&Scope::All, None, &prices()).unwrap()),
            rows(&read_fresh(
                std::slice::from_ref(&f),
                &prices(),
                &mut no_problem
            ))
        );
        let row = Ledger::file_row(&ledger.conn, &path_key(&f))
            .unwrap()
            .unwrap();
        let lines = more.iter().filter(|&&b| b == b'\n').count() as i64;
        assert_eq!((row.consumed, row.line), (more.len() as i64, lines + 1));
    }

    /// The columns of `responses` in the index at `path`: (name, type).
    fn response_columns(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn.prepare("PRAGMA table_info(responses)").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(1)?, r.get(2)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// What an index lacks when a build that did not know [`schema::ADDITIVE`] (and
    /// [`schema::ADDITIVE_COLUMNS`]) made it.
    const UNDO_ADDITIVE: &str = "DROP TABLE dropped_responses; DROP TABLE web_search_files;
        DROP INDEX responses_web_searches; ALTER TABLE responses DROP COLUMN web_searches;
        DROP INDEX responses_unread; ALTER TABLE responses DROP COLUMN unread;
        DROP TABLE unread_usage_files;";

    /// What schema version 7 added, and the additive table (7's triggers name columns of
    /// earlier versions, which cannot be dropped while they exist).
    const UNDO_VERSION_7: &str = "
        DROP TABLE dropped_responses; DROP TABLE web_search_files;
        DROP INDEX responses_web_searches; ALTER TABLE responses DROP COLUMN web_searches;
        DROP INDEX responses_unread; ALTER TABLE responses DROP COLUMN unread;
        DROP TABLE unread_usage_files;
        DROP INDEX responses_file; DROP INDEX tools_file; DROP INDEX response_files_file;
        DROP INDEX limit_hits_file;
        DROP TRIGGER session_sums_insert; DROP TRIGGER session_sums_update;
        DROP TRIGGER session_sums_delete; DROP TRIGGER shared_sessions_insert;
        DROP TABLE session_sums; DROP TABLE shared_sessions;";

    /// Makes the index at `path` what schema version 1 wrote: its rows without price factors.
    fn downgrade_to_version_1(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(UNDO_VERSION_7).unwrap();
        // What version 6 added.
        conn.execute_batch("ALTER TABLE responses DROP COLUMN not_a_call;")
            .unwrap();
        // What version 5 added.
        conn.execute_batch(
            "ALTER TABLE files DROP COLUMN unread_lines; ALTER TABLE files DROP COLUMN first_unread;
             ALTER TABLE files DROP COLUMN tail_hash; DROP TABLE response_files;",
        )
        .unwrap();
        // What version 4 added.
        conn.execute_batch(
            "ALTER TABLE responses DROP COLUMN agent; ALTER TABLE tools DROP COLUMN agent;
             ALTER TABLE files DROP COLUMN whole;",
        )
        .unwrap();
        // What version 3 added.
        conn.execute_batch(
            "DROP INDEX files_identity; DROP TABLE session_spans; DROP TABLE response_sessions;",
        )
        .unwrap();
        for column in ["speed", "service_tier", "inference_geo", "prompt_tokens"] {
            conn.execute_batch(&format!("ALTER TABLE responses DROP COLUMN {column}"))
                .unwrap();
        }
        conn.pragma_update(None, "user_version", 1).unwrap();
        // The same table as the first schema creates.
        let v1 = Connection::open_in_memory().unwrap();
        v1.execute_batch(schema::MIGRATIONS[0]).unwrap();
        assert_eq!(response_columns(&conn), response_columns(&v1));
    }

    #[test]
    fn a_gemini_session_is_one_project_though_only_its_subagents_name_it() {
        // corpus-agents agunginsani/expenses-tracker (fixtures/agents/gemini, laid out as
        // ~/.gemini/tmp/agunginsani/ holds them): the main chat names no directory, its two
        // subagents' chats name /Users/agunginsani first in `directories[]`. By jq: 58 + 11 + 5
        // = 74 gemini messages with tokens, one session.
        let dir = temp("gemini-project");
        let gemini = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents/gemini");
        let slug = dir.join("tmp").join("agunginsani");
        let uuid = "01b2c62e-cba4-4088-8755-b240504efb70";
        std::fs::create_dir_all(slug.join("chats").join(uuid)).unwrap();
        let flat = "agunginsani__expenses-tracker__.gemini__tmp__agunginsani__chats__";
        let main = slug
            .join("chats")
            .join("session-2026-04-12T01-18-01b2c62e.json");
        std::fs::copy(
            gemini.join(format!("{flat}session-2026-04-12T01-18-01b2c62e.json")),
            &main,
        )
        .unwrap();
        for sub in ["ngzcxj", "shcg5o"] {
            let to = slug.join("chats").join(uuid).join(format!("{sub}.json"));
            std::fs::copy(gemini.join(format!("{flat}{uuid}__{sub}.json")), to).unwrap();
        }
        let projects = |e: &Entries| {
            let mut p: Vec<(String, String)> = e
                .rows
                .iter()
                .map(|r| (e.name(r.session).to_owned(), e.name(r.project).to_owned()))
                .collect();
            p.dedup();
            (e.rows.len(), p)
        };
        let one = (74, vec![(uuid.to_owned(), "/Users/agunginsani".to_owned())]);
        let roots = [dir.join("tmp")];
        let files = crate::source::tree::transcripts_below(&roots[0], |_, _| {});
        assert_eq!(
            projects(&read_fresh(&files, &prices(), &mut no_problem)),
            one
        );
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(projects(&indexed), one);
        // The project folder's .project_root names the project of the main chat itself.
        std::fs::remove_dir_all(slug.join("chats").join(uuid)).unwrap();
        std::fs::write(slug.join(".project_root"), "/Users/agunginsani\n").unwrap();
        assert_eq!(
            crate::format::gemini::project_root(&main.to_string_lossy()).as_deref(),
            Some("/Users/agunginsani")
        );
        let alone = read_fresh(std::slice::from_ref(&main), &prices(), &mut no_problem);
        let want = (58, vec![(uuid.to_owned(), "/Users/agunginsani".to_owned())]);
        assert_eq!(projects(&alone), want);
    }

    #[test]
    fn a_windows_project_is_one_whatever_the_case_of_its_drive_letter() {
        assert_eq!(
            upper_drive_letter("c:\\Users\\loganf\\Documents\\IDAHO-VAULT").as_deref(),
            Some("C:\\Users\\loganf\\Documents\\IDAHO-VAULT")
        );
        assert_eq!(
            upper_drive_letter("d:/src/App").as_deref(),
            Some("D:/src/App")
        );
        assert_eq!(upper_drive_letter("C:\\Users"), None);
        assert_eq!(upper_drive_letter("/home/c:x"), None);
        assert_eq!(upper_drive_letter("c:x"), None);
        // corpus-agents LAF-US/IDAHO-VAULT: Copilot CLI wrote `c:\Users\loganf\Documents\
        // IDAHO-VAULT` in session.start, Codex CLI `C:\…` in its turn_context lines. One project.
        let dir = temp("drive-letter");
        let agents = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents");
        let copilot = dir.join("events.jsonl");
        std::fs::copy(
            agents.join("copilot/LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl"),
            &copilot,
        )
        .unwrap();
        let codex =
            dir.join("rollout-2026-04-10T09-55-11-019d781a-be34-7041-abb1-577f9360b907.jsonl");
        std::fs::copy(
            agents.join("codex/LAF-US__IDAHO-VAULT__.codex__sessions__2026__04__10__rollout-2026-04-10T09-55-11-019d781a-be34-7041-abb1-577f9360b907.jsonl"),
            &codex,
        )
        .unwrap();
        let e = read_fresh(&[copilot, codex], &prices(), &mut no_problem);
        let vault: HashSet<crate::event::Agent> = e
            .rows
            .iter()
            .filter(|r| e.name(r.project) == "C:\\Users\\loganf\\Documents\\IDAHO-VAULT")
            .map(|r| r.agent)
            .collect();
        assert_eq!(vault.len(), 2, "both agents' rows in one project");
        assert!(e.rows.iter().all(|r| !e.name(r.project).starts_with("c:")));
    }

    #[test]
    fn copilot_shutdown_totals_are_not_calls_when_indexed_or_migrated_from_version_5() {
        // Copilot CLI's session.shutdown totals are usage, not an API call (the session
        // core's rule: an increment). Indexed now, the reader says so; in an index of
        // version 5 whose transcript is gone, the migration finds them by their identity.
        let dir = temp("copilot-calls");
        let copilot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/agents/copilot");
        let file = dir.join("events.jsonl");
        let name = "LAF-US__IDAHO-VAULT__.copilot__session-state__252d6b6b-aaad-4790-8254-7ada091ee9fc__events.jsonl";
        std::fs::copy(copilot.join(name), &file).unwrap();
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        ledger
            .update(&[], std::slice::from_ref(&file), &mut no_problem)
            .unwrap();
        let calls = |e: &Entries| e.rows.iter().filter(|r| r.call).count();
        let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
        let not_calls = indexed.rows.len() - calls(&indexed);
        assert!(not_calls >= 1, "the shutdown's rows");
        // What version 6 added, taken away; the transcript deleted.
        drop(ledger);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(UNDO_VERSION_7).unwrap();
            conn.execute_batch(
                "ALTER TABLE responses DROP COLUMN not_a_call; PRAGMA user_version = 5;",
            )
            .unwrap();
        }
        std::fs::remove_file(&file).unwrap();
        let ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        let migrated = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(migrated.rows.len(), indexed.rows.len());
        assert_eq!(calls(&migrated), calls(&indexed));
    }

    #[test]
    fn a_version_1_index_is_migrated_and_factors_filled_in_from_the_transcripts_left() {
        let dir = temp("migrate");
        let bugs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bugs");
        let transcripts = dir.join("projects");
        std::fs::create_dir_all(&transcripts).unwrap();
        let fast = transcripts.join("fast.jsonl");
        let long = transcripts.join("long.jsonl");
        std::fs::copy(bugs.join("06-fast-mode-speed.jsonl"), &fast).unwrap();
        std::fs::copy(bugs.join("10-sonnet45-over-200k.jsonl"), &long).unwrap();
        let path = dir.join("i.sqlite3");
        let roots = [transcripts.clone()];
        Ledger::open(&path, &mut |_| {})
            .unwrap()
            .update(&roots, &[], &mut no_problem)
            .unwrap();
        downgrade_to_version_1(&path);
        // The long-context transcript is deleted since (its history stays in the index).
        std::fs::remove_file(&long).unwrap();
        let mut notes = Vec::new();
        let mut ledger = Ledger::open(&path, &mut |n| notes.push(n.to_owned())).unwrap();
        assert!(notes.is_empty(), "migrated, not moved aside: {notes:?}");
        let v: i32 = ledger
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::VERSION);
        let cost_of = |e: &Entries, model: &str| -> (u128, Vec<bool>) {
            let rows: Vec<&Entry> = e
                .rows
                .iter()
                .filter(|r| e.name(r.model).starts_with(model))
                .collect();
            let pico = rows.iter().map(|r| r.cost_pico.unwrap()).sum();
            (pico, rows.iter().map(|r| r.estimated).collect())
        };
        // Before an update every row lacks its factors.
        let before = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(before.rows.len(), 4);
        assert!(before.rows.iter().all(|r| r.estimated));
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let after = ledger.entries(&Scope::All, None, &prices()).unwrap();
        // Read again, nothing counted twice.
        let tokens = |e: &Entries| {
            e.rows
                .iter()
                .fold(Tokens::default(), |a, r| a.saturating_add(r.tokens))
        };
        assert_eq!(after.rows.len(), 4);
        assert_eq!(tokens(&after), tokens(&before));
        // fixtures/bugs/README.md: the fast-mode transcript costs $1.435 (its first response
        // at 6× the standard rates), not the $0.41 of two standard responses.
        assert_eq!(
            cost_of(&before, "claude-opus"),
            (410_000_000_000, vec![true; 2])
        );
        assert_eq!(
            cost_of(&after, "claude-opus"),
            (1_435_000_000_000, vec![false; 2])
        );
        // The deleted transcript's responses stay priced without speed, tier and geo, and
        // say so; here their own tokens decide the long-context tier right: 120,008 input
        // tokens at standard rates (8 × $3 + 120,000 × $6 1-hour writes + 500 × $15 a
        // million = $0.727524) and 210,012 above 200K at the long-context rates (12 × $6 +
        // 90,000 × $12 + 120,000 × $0.60 + 800 × $22.50 = $1.170072): $1.897596 (the README's
        // $1.8976).
        assert_eq!(
            cost_of(&after, "claude-sonnet"),
            (1_897_596_000_000, vec![true; 2])
        );
    }

    #[test]
    fn an_index_missing_part_of_its_schema_is_moved_aside_and_rebuilt() {
        // Seen on a real machine: user_version 5 written by a development build whose schema
        // 5 had no `files.tail_hash`; every query failed, on every run.
        let dir = temp("schema-gap");
        let path = dir.join("i.sqlite3");
        drop(Ledger::open(&path, &mut |n| panic!("{n}")).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("ALTER TABLE files DROP COLUMN tail_hash")
            .unwrap();
        drop(conn);
        let mut notes = Vec::new();
        let ledger = Ledger::open(&path, &mut |n| notes.push(n.to_owned())).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("column files.tail_hash"), "{notes:?}");
        assert!(notes[0].contains("moved to"), "{notes:?}");
        assert_eq!(schema_gap(&ledger.conn, ALL_KINDS).unwrap(), None);
        // A whole index that is aegon's, as this build writes it, opens without a note.
        drop(ledger);
        drop(Ledger::open(&path, &mut |n| panic!("{n}")).unwrap());
    }

    #[test]
    fn unusable_files_are_moved_aside_and_rebuilt() {
        let dir = temp("unusable");
        let path = dir.join("i.sqlite3");
        std::fs::write(
            &path,
            b"this is not a database, and it is long enough to have a header",
        )
        .unwrap();
        let mut notes = Vec::new();
        let ledger = Ledger::open(&path, &mut |n| notes.push(n.to_owned())).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("moved to"), "{notes:?}");
        drop(ledger);
        // Another program's SQLite file at aegon's own path: kept (renamed), never salvaged.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA application_id = 7; CREATE TABLE theirs (x);")
            .unwrap();
        drop(conn);
        let mut notes = Vec::new();
        let ledger = Ledger::open(&path, &mut |n| notes.push(n.to_owned())).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("not an aegon index"), "{notes:?}");
        assert!(!notes[0].contains("response"), "not salvaged: {notes:?}");
        let v: i32 = ledger
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::VERSION);
        let aside = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".unusable-")
            })
            .count();
        assert!(aside >= 2, "the old files are kept");
    }

    #[test]
    fn every_version_records_what_older_builds_may_do_with_it() {
        assert_eq!(schema::COMPAT.len(), schema::MIGRATIONS.len());
        for (n, c) in schema::COMPAT.iter().enumerate() {
            let version = n as i32 + 1;
            assert!(
                1 <= c.read && c.read <= c.write && c.write <= version,
                "version {version}: {c:?}"
            );
        }
        let dir = temp("compat-record");
        let path = dir.join("i.sqlite3");
        let ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        let last = schema::COMPAT[schema::VERSION as usize - 1];
        assert_eq!(
            compat_record(&ledger.conn),
            (Some(last.read), Some(last.write))
        );
        drop(ledger);
        // Migrated from an older version: the record is the new version's.
        downgrade_to_version_1(&path);
        let conn = Connection::open(&path).unwrap();
        conn.execute("DELETE FROM meta", []).unwrap();
        drop(conn);
        let ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        assert_eq!(
            compat_record(&ledger.conn),
            (Some(last.read), Some(last.write))
        );
        drop(ledger);
    }

    /// Makes the index at `path` look written by a newer aegon (schema [`schema::VERSION`] + 1)
    /// with the compatibility record `read`, `write` (`None`: not recorded) after running
    /// `change` (its own schema changes), its WAL checkpointed into the file.
    fn as_newer(path: &Path, read: Option<i32>, write: Option<i32>, change: &str) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(change).unwrap();
        for (key, value) in [(schema::META_READ, read), (schema::META_WRITE, write)] {
            conn.execute("DELETE FROM meta WHERE key = ?1", [key])
                .unwrap();
            if let Some(v) = value {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                    params![key, v.to_string()],
                )
                .unwrap();
            }
        }
        conn.pragma_update(None, "user_version", schema::VERSION + 1)
            .unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }

    /// The names in `dir` that a set-aside index has (`*.unusable-*`).
    fn set_aside_in(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".unusable-"))
            .collect()
    }

    fn user_version(path: &Path) -> i32 {
        let conn = Connection::open(path).unwrap();
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    /// An index of two transcripts, one of them then deleted (its history is in the index
    /// alone), the other with lines appended since: `(index, kept transcript, totals of both
    /// as indexed, totals of a fresh read of the kept one as it is now)`.
    fn index_with_deleted_history(dir: &Path) -> (PathBuf, PathBuf, [u64; 7]) {
        let text = std::fs::read_to_string(CORPUS).unwrap();
        let half = text.lines().count() / 2;
        let kept = dir.join("kept.jsonl");
        let deleted = dir.join("deleted.jsonl");
        std::fs::write(&kept, first_lines(&text, half)).unwrap();
        std::fs::copy(OTHER, &deleted).unwrap();
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        ledger
            .update(&[], &[kept.clone(), deleted.clone()], &mut no_problem)
            .unwrap();
        let indexed = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        drop(ledger);
        std::fs::remove_file(&deleted).unwrap();
        (path, kept, indexed)
    }

    #[test]
    fn a_newer_index_this_build_can_read_is_reported_from_and_left_byte_for_byte() {
        let dir = temp("newer-readable");
        let (path, kept, indexed) = index_with_deleted_history(&dir);
        // The newer schema added a table and a column, and its record lets this build read
        // it but not write it.
        as_newer(
            &path,
            Some(schema::VERSION),
            Some(schema::VERSION + 1),
            "CREATE TABLE future (x); ALTER TABLE responses ADD COLUMN future INTEGER;",
        );
        let text = std::fs::read_to_string(CORPUS).unwrap();
        std::fs::write(&kept, &text).unwrap(); // lines appended since
        let before = std::fs::read(&path).unwrap();
        // Nothing moved aside to note; the caller says the read-only note where it fits.
        let mut ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        let newer = format!("schema {}", schema::VERSION + 1);
        let this = format!("schema {}", schema::VERSION);
        let note = ledger.read_only().unwrap().to_owned();
        for part in [&newer, &this, "newer aegon", &path.display().to_string()] {
            assert!(note.contains(part), "{part:?} in {note}");
        }
        let stats = ledger
            .update(&[], std::slice::from_ref(&kept), &mut no_problem)
            .unwrap();
        assert_eq!(stats.files_read, 0, "nothing indexed");
        assert_eq!(stats.pending_files, 1, "the appended lines are pending");
        assert_eq!(stats.file_ids.len(), 1, "in scope all the same");
        // Every row it holds is reported, the deleted transcript's too.
        let all = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(totals(&all), indexed);
        ledger
            .record_reading(
                &LimitReading {
                    read_ms: 1,
                    window: "five_hour".to_owned(),
                    used_percent: 5.0,
                    resets_at_ms: None,
                    session: None,
                },
                &[],
            )
            .unwrap();
        ledger.damage().unwrap();
        drop(ledger);
        assert!(
            std::fs::read(&path).unwrap() == before,
            "the file is byte for byte as it was"
        );
        assert_eq!(set_aside_in(&dir), Vec::<String>::new());
        assert_eq!(user_version(&path), schema::VERSION + 1);
    }

    #[test]
    fn a_newer_index_this_build_cannot_read_is_refused_and_left_byte_for_byte() {
        let dir = temp("newer-unreadable");
        // (record read, record write, change): by its record; without one, by a column gone.
        let cases = [
            (
                Some(schema::VERSION + 1),
                Some(schema::VERSION + 1),
                "",
                "readers need schema",
            ),
            (
                None,
                None,
                "ALTER TABLE tools DROP COLUMN agent;",
                "column tools.agent",
            ),
            (
                Some(schema::VERSION),
                Some(schema::VERSION),
                "DROP TABLE session_spans;",
                "table session_spans",
            ),
        ];
        for (read, write, change, why) in cases {
            let (path, _, _) = index_with_deleted_history(&dir);
            as_newer(&path, read, write, change);
            let before = std::fs::read(&path).unwrap();
            let err = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap_err();
            assert!(err.is_newer(), "{err}");
            let message = err.to_string();
            for part in [
                &format!("schema {}", schema::VERSION + 1),
                &format!("schema {}", schema::VERSION),
                &path.display().to_string(),
                why,
                "left as it is",
            ] {
                assert!(message.contains(part), "{part:?} in {message}");
            }
            assert!(std::fs::read(&path).unwrap() == before, "{why}: untouched");
            assert_eq!(set_aside_in(&dir), Vec::<String>::new(), "{why}");
            assert_eq!(user_version(&path), schema::VERSION + 1);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        // Without a record and with everything this build reads: read.
        let (path, _, indexed) = index_with_deleted_history(&dir);
        as_newer(&path, None, None, "CREATE INDEX future ON tools(ts_ms);");
        let ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        assert!(ledger.read_only().is_some());
        let all = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(totals(&all), indexed);
        drop(ledger);
    }

    #[test]
    fn a_newer_index_this_build_may_write_is_used_as_its_own() {
        let dir = temp("newer-writable");
        let (path, kept, indexed) = index_with_deleted_history(&dir);
        as_newer(
            &path,
            Some(schema::VERSION),
            Some(schema::VERSION),
            "CREATE TABLE future (x); CREATE INDEX future_ts ON tools(ts_ms);",
        );
        let text = std::fs::read_to_string(CORPUS).unwrap();
        let half = totals(&read_fresh(
            std::slice::from_ref(&kept),
            &prices(),
            &mut no_problem,
        ));
        std::fs::write(&kept, &text).unwrap();
        let whole = totals(&read_fresh(
            std::slice::from_ref(&kept),
            &prices(),
            &mut no_problem,
        ));
        let mut ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        assert_eq!(ledger.read_only(), None);
        let stats = ledger
            .update(&[], std::slice::from_ref(&kept), &mut no_problem)
            .unwrap();
        assert_eq!(stats.files_read, 1);
        let all = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
        let expected: Vec<u64> = (0..7).map(|i| indexed[i] - half[i] + whole[i]).collect();
        assert_eq!(
            all.to_vec(),
            expected,
            "the appended lines indexed, nothing lost"
        );
        drop(ledger);
        // Still the newer aegon's: not migrated, its objects and record kept.
        assert_eq!(user_version(&path), schema::VERSION + 1);
        let conn = Connection::open(&path).unwrap();
        assert_eq!(
            compat_record(&conn),
            (Some(schema::VERSION), Some(schema::VERSION))
        );
        let objects: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('future', 'future_ts')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(objects, 2);
        drop(conn);
        assert_eq!(set_aside_in(&dir), Vec::<String>::new());
    }

    #[test]
    fn two_builds_taking_turns_lose_nothing() {
        // This build and a newer one (simulated: the version raised while it "runs", put back
        // after) use one index in turn while a transcript grows and another is deleted.
        let dir = temp("taking-turns");
        let (path, kept, _) = index_with_deleted_history(&dir);
        let text = std::fs::read_to_string(CORPUS).unwrap();
        let lines = text.lines().count();
        let deleted = totals(&read_fresh(
            &[PathBuf::from(OTHER)],
            &prices(),
            &mut no_problem,
        ));
        for (round, write) in [schema::VERSION + 1, schema::VERSION, schema::VERSION + 1]
            .into_iter()
            .enumerate()
        {
            std::fs::write(&kept, first_lines(&text, lines / 2 + (round + 1) * 40)).unwrap();
            let fresh = totals(&read_fresh(
                std::slice::from_ref(&kept),
                &prices(),
                &mut no_problem,
            ));
            let whole: Vec<u64> = (0..7).map(|i| fresh[i] + deleted[i]).collect();
            // The newer build's turn: it stays newer, and this build reads it (or writes it).
            as_newer(&path, Some(schema::VERSION), Some(write), "");
            let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
            ledger
                .update(&[], std::slice::from_ref(&kept), &mut no_problem)
                .unwrap();
            let all = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
            if ledger.read_only().is_some() {
                assert!(all[6] < whole[6], "round {round}: the appended lines wait");
                assert!(
                    all[6] > deleted[6],
                    "round {round}: the rows held are reported"
                );
            } else {
                assert_eq!(all.to_vec(), whole, "round {round}");
            }
            drop(ledger);
            // This build's turn again (the version put back, as a downgrade of the newer
            // one's additions would): it indexes what waited, and nothing was lost.
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", schema::VERSION)
                .unwrap();
            drop(conn);
            let mut ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
            ledger
                .update(&[], std::slice::from_ref(&kept), &mut no_problem)
                .unwrap();
            let all = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
            assert_eq!(all.to_vec(), whole, "round {round}");
            drop(ledger);
        }
        assert_eq!(set_aside_in(&dir), Vec::<String>::new());
    }

    /// Rows are priced at the rates of their own time (the index keeps each response's):
    /// Sonnet 5.5's cache reads cost $0.20/Mtok until 2026-10-07 and $0.10 since ([S5.5] in
    /// the pricing module). The per-session sums cannot say when each response was made, so a
    /// session across the change is priced from its rows.
    #[test]
    fn rows_are_priced_at_the_rates_of_their_time() {
        let dir = temp("dated-prices");
        let line = |session: &str, k: u32, ts: &str| {
            format!(
                r#"{{"parentUuid":null,"isSidechain":false,"cwd":"/home/u/proj","sessionId":"{session}","type":"assistant","uuid":"a{session}{k}","timestamp":"{ts}","requestId":"req_{session}{k}","message":{{"model":"claude-sonnet-5-5","id":"msg_{session}{k}","type":"message","role":"assistant","content":[{{"type":"text","text":"ok"}}],"stop_reason":"end_turn","usage":{{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000000,"output_tokens":0,"service_tier":"standard"}}}}}}"#
            )
        };
        let across = dir.join("across.jsonl");
        std::fs::write(
            &across,
            [
                line("s1", 1, "2026-10-06T12:00:01.000Z"),
                line("s1", 2, "2026-10-08T12:00:01.000Z"),
            ]
            .join("\n")
                + "\n",
        )
        .unwrap();
        let after = dir.join("after.jsonl");
        std::fs::write(&after, line("s2", 1, "2026-10-09T12:00:01.000Z") + "\n").unwrap();
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |n| panic!("{n}")).unwrap();
        ledger
            .update(&[], &[across, after], &mut no_problem)
            .unwrap();
        let entries = ledger.entries(&Scope::All, None, &prices()).unwrap();
        let costs: Vec<_> = entries.rows.iter().map(|r| r.cost_pico).collect();
        // 1,000,000 reads × $0.20, × $0.10, × $0.10 per million, in picodollars.
        assert_eq!(
            costs,
            [
                Some(200_000_000_000),
                Some(100_000_000_000),
                Some(100_000_000_000)
            ]
        );
        let s1 = ledger.session_usage("s1", &prices()).unwrap();
        assert_eq!(s1["claude-sonnet-5-5"].cost_pico, 300_000_000_000);
        assert_eq!(ledger.session_usage_summed("s1", &prices()).unwrap(), None);
        // A session wholly after the change is priced from its sums, at the current rates.
        let s2 = ledger
            .session_usage_summed("s2", &prices())
            .unwrap()
            .unwrap();
        assert_eq!(s2["claude-sonnet-5-5"].cost_pico, 100_000_000_000);
        drop(ledger);
    }

    #[test]
    fn a_newer_aegon_migrating_while_this_one_runs_stops_its_writes() {
        let dir = temp("migrated-meanwhile");
        let path = dir.join("i.sqlite3");
        let a = dir.join("a.jsonl");
        let b = dir.join("b.jsonl");
        std::fs::copy(CORPUS, &a).unwrap();
        std::fs::copy(OTHER, &b).unwrap();
        let mut ledger = Ledger::open(&path, &mut |n| panic!("{n}")).unwrap();
        // Migrated by a newer aegon that lets this build write: written on.
        as_newer(&path, Some(schema::VERSION), Some(schema::VERSION), "");
        let stats = ledger
            .update(&[], std::slice::from_ref(&a), &mut no_problem)
            .unwrap();
        assert_eq!(stats.files_read, 1);
        // Then by one that does not: not a row more.
        let rows = ledger
            .entries(&Scope::All, None, &prices())
            .unwrap()
            .rows
            .len();
        as_newer(&path, Some(schema::VERSION), Some(schema::VERSION + 1), "");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", schema::VERSION + 2)
            .unwrap();
        drop(conn);
        let err = ledger
            .update(&[], std::slice::from_ref(&b), &mut no_problem)
            .unwrap_err();
        assert!(err.is_newer(), "{err}");
        assert!(
            err.to_string().contains("migrated while this one ran"),
            "{err}"
        );
        let after = ledger
            .entries(&Scope::All, None, &prices())
            .unwrap()
            .rows
            .len();
        assert_eq!(after, rows);
        drop(ledger);
        assert_eq!(user_version(&path), schema::VERSION + 2);
    }

    /// A Claude Code response is one row whatever request ids its lines and copies carry: a
    /// resumed copy without `requestId` finds the row of the original (stored, as older builds
    /// store it, under `m:ID\u{1f}REQUEST`), so an older build reading a copy with the same
    /// `requestId` finds it too; a row an older build wrote beside it under another key (the
    /// copy's lines without `requestId`: `m:ID\u{1f}`) is merged into it before the next
    /// update, by the largest counts, its file and session noted, the session sums kept; and
    /// nothing is done again while no older build writes.
    #[test]
    fn a_response_is_one_row_whatever_request_ids_its_copies_carry() {
        let dir = temp("fold");
        let (sa, sb) = (
            "aaaaaaaa-1111-4222-8333-444444444444",
            "bbbbbbbb-1111-4222-8333-444444444444",
        );
        let a = dir.join(format!("{sa}.jsonl"));
        let b = dir.join(format!("{sb}.jsonl"));
        std::fs::write(&a, session_lines(sa, "A", 0..4)).unwrap();
        let path = dir.join("usage.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        let keys = |ledger: &Ledger| -> Vec<String> {
            let mut stmt = ledger
                .conn
                .prepare("SELECT key FROM responses ORDER BY key")
                .unwrap();
            let rows = stmt.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<Result<_, _>>().unwrap()
        };
        ledger
            .update(&[], std::slice::from_ref(&a), &mut no_problem)
            .unwrap();
        let original: Vec<String> = (0..4)
            .map(|k| format!("m:msg_0123456789A{k}\u{1f}req_A{k}"))
            .collect();
        assert_eq!(keys(&ledger), original);
        // A resumed copy in another session, its lines without `requestId`.
        let copy = session_lines(sb, "A", 0..4).replace(r#""requestId":"req_A"#, r#""x":"#);
        std::fs::write(&b, &copy).unwrap();
        ledger
            .update(&[], &[a.clone(), b.clone()], &mut no_problem)
            .unwrap();
        let all = ledger.entries(&Scope::All, None, &prices()).unwrap();
        // 4 responses of 1,000 input and 100 output tokens at $3 and $15 per million:
        // $0.0045 each.
        assert_eq!(totals(&all), [4000, 400, 0, 0, 0, 18_000_000_000, 4]);
        assert_eq!(keys(&ledger), original);
        // An older build reads on in the copy: a grown response, keyed as it keys a line
        // without `requestId` (`m:ID\u{1f}`), a row of its own in its file.
        std::fs::write(&b, copy + "\n").unwrap();
        let b_id: i64 = ledger
            .conn
            .query_row(
                "SELECT id FROM files WHERE path = ?1",
                [path_key(&b)],
                |r| r.get(0),
            )
            .unwrap();
        ledger
            .conn
            .execute_batch(&format!(
                "UPDATE files SET consumed = consumed + 1, line = line + 1 WHERE id = {b_id};
                 INSERT INTO responses (key, file_id, ts_ms, session, project, model, subagent,
                     input, output, cache_read, cache_5m, cache_1h, speed, service_tier,
                     inference_geo, prompt_tokens, agent, not_a_call)
                 SELECT 'm:msg_0123456789A3' || char(31), {b_id}, ts_ms,
                     (SELECT id FROM names WHERE text = '{sb}'), project, model, subagent, input,
                     200, cache_read, cache_5m, cache_1h, speed, service_tier, inference_geo,
                     prompt_tokens, agent, not_a_call
                 FROM responses WHERE key = 'm:msg_0123456789A3' || char(31) || 'req_A3';"
            ))
            .unwrap();
        assert_eq!(
            totals(&ledger.entries(&Scope::All, None, &prices()).unwrap())[6],
            5
        );
        ledger
            .update(&[], &[a.clone(), b.clone()], &mut no_problem)
            .unwrap();
        let all = ledger.entries(&Scope::All, None, &prices()).unwrap();
        // The 4th response now has 200 output tokens: $0.003 + $0.003 = $0.006.
        assert_eq!(totals(&all), [4000, 500, 0, 0, 0, 19_500_000_000, 4]);
        assert_eq!(keys(&ledger), original);
        // Still counted in the session where it first occurred, and found in the copy's file.
        let over_b = ledger
            .entries(
                &Scope::Paths {
                    roots: vec![],
                    files: vec![b.clone()],
                    ids: vec![],
                },
                None,
                &prices(),
            )
            .unwrap();
        assert_eq!(totals(&over_b)[6], 4);
        assert!(all.rows.iter().all(|r| all.name(r.session) == sa));
        let sums: (i64, i64) = ledger
            .conn
            .query_row("SELECT sum(rows), sum(output) FROM session_sums", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(sums, (4, 500));
        // Nothing left to fold: every file recorded at its `consumed`.
        let unfolded: i64 = ledger
            .conn
            .query_row(
                "SELECT count(*) FROM files WHERE NOT EXISTS (SELECT 1 FROM identity_files i
                     WHERE i.file_id = files.id AND i.consumed = files.consumed)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unfolded, 0);
        drop(ledger);
    }

    /// `turns` turns of a session (a prompt and a response of 1,000 input and 100 output
    /// tokens of claude-sonnet-4-5, $0.0045 each, one a day from 2026-11-20), as Claude Code
    /// writes them; `tag` makes the message ids its own (tester5's repro 06 shape).
    fn session_lines(session: &str, tag: &str, turns: std::ops::Range<u32>) -> String {
        let mut out = String::new();
        for k in turns {
            out += &format!(
                r#"{{"parentUuid":null,"isSidechain":false,"cwd":"/home/u/proj","sessionId":"{session}","type":"user","uuid":"u{k}","timestamp":"2026-11-2{k}T10:00:00.000Z","message":{{"role":"user","content":"q"}}}}"#
            );
            out += "\n";
            out += &format!(
                r#"{{"parentUuid":"u{k}","isSidechain":false,"cwd":"/home/u/proj","sessionId":"{session}","type":"assistant","uuid":"a{k}","timestamp":"2026-11-2{k}T10:00:05.000Z","requestId":"req_{tag}{k}","message":{{"model":"claude-sonnet-4-5-20250929","id":"msg_0123456789{tag}{k}","type":"message","role":"assistant","content":[{{"type":"text","text":"ok"}}],"stop_reason":"end_turn","usage":{{"input_tokens":1000,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":100,"service_tier":"standard"}}}}}}"#
            );
            out += "\n";
        }
        out
    }

    /// A transcript rewritten shorter after it was indexed counts what it holds now, and the
    /// responses its earlier readings counted that left the index are given to be said
    /// (tester5's finding 5: silently, 8 API calls became 5); a file that only grew, a deleted
    /// one, or one read again that still holds them, gives none. Read again in steps, only
    /// what is missing at its end is given.
    #[test]
    fn a_file_read_again_that_no_longer_holds_responses_says_which_left() {
        let dir = temp("dropped");
        let a = dir.join("aaaaaaaa-1111-4222-8333-444444444444.jsonl");
        let b = dir.join("bbbbbbbb-1111-4222-8333-444444444444.jsonl");
        let sa = "aaaaaaaa-1111-4222-8333-444444444444";
        let sb = "bbbbbbbb-1111-4222-8333-444444444444";
        std::fs::write(&a, session_lines(sa, "A", 0..4)).unwrap();
        std::fs::write(&b, session_lines(sb, "B", 0..4)).unwrap();
        let roots = [dir.to_path_buf()];
        let mut ledger = Ledger::open(&dir.join("i.sqlite3"), &mut |_| {}).unwrap();
        let update = |ledger: &mut Ledger| {
            let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
            // Recorded as given (with the same figures, in the same order), taken once.
            assert_eq!(ledger.take_dropped().unwrap(), stats.dropped);
            assert_eq!(ledger.take_dropped().unwrap(), vec![]);
            let t = totals(&ledger.entries(&Scope::All, None, &prices()).unwrap());
            (stats, t[6], t[5])
        };
        let (stats, calls, pico) = update(&mut ledger);
        assert_eq!((calls, pico, stats.dropped), (8, 36_000_000_000, vec![]));
        // Deleted: history kept, nothing to say.
        std::fs::remove_file(&b).unwrap();
        let (stats, calls, pico) = update(&mut ledger);
        assert_eq!(
            (calls, pico, stats.gone, stats.dropped),
            (8, 36_000_000_000, 1, vec![])
        );
        // Rewritten to its first turn (a new file moved over it, as `mv` does): it counts
        // its one response, and the three it no longer holds are given, with what they cost.
        let tmp = dir.join("t");
        std::fs::write(&tmp, session_lines(sa, "A", 0..1)).unwrap();
        std::fs::rename(&tmp, &a).unwrap();
        let (stats, calls, pico) = update(&mut ledger);
        assert_eq!((calls, pico), (5, 22_500_000_000));
        assert_eq!(stats.dropped.len(), 1, "{:?}", stats.dropped);
        let d = &stats.dropped[0];
        assert_eq!(d.path, path_key(&a));
        assert_eq!(d.why, stats.rereads[0].1);
        assert_eq!(
            (d.calls(), d.cost_pico(&prices())),
            (3, (13_500_000_000, false))
        );
        assert_eq!(
            d.note(Path::new("A.jsonl"), &prices()),
            format!(
                "A.jsonl: {}: 3 API calls ($0.01) it held before are no longer in it and left \
                 the reports (a file counts what it holds now)",
                if d.why == Reread::Replaced {
                    "replaced by another file since it was indexed"
                } else {
                    "shorter than when it was indexed"
                }
            )
        );
        // It only grows: nothing left, nothing said.
        std::fs::write(&a, session_lines(sa, "A", 0..3)).unwrap();
        let (stats, calls, _) = update(&mut ledger);
        assert_eq!((calls, stats.dropped), (7, vec![]));
        // Written over in place, shorter, with its turns kept but the last: read again in
        // steps of one line, only the response no longer in it at its end is given (those
        // read by later steps came back), and nothing is said twice.
        ledger.step = 1;
        std::fs::write(&a, session_lines(sa, "A", 0..2)).unwrap();
        let (stats, calls, pico) = update(&mut ledger);
        assert_eq!((calls, pico), (6, 27_000_000_000));
        assert_eq!(stats.rereads, [(path_key(&a), Reread::Truncated)]);
        assert_eq!(stats.dropped.len(), 1, "{:?}", stats.dropped);
        assert_eq!(stats.dropped[0].responses.len(), 1);
        let (stats, calls, _) = update(&mut ledger);
        assert_eq!((calls, stats.dropped), (6, vec![]));
        // A response that another file also holds stays counted: not given.
        let c = dir.join("c.jsonl");
        std::fs::write(&c, session_lines(sa, "A", 0..2)).unwrap();
        update(&mut ledger);
        std::fs::write(&a, session_lines(sa, "A", 0..1)).unwrap();
        let (stats, calls, _) = update(&mut ledger);
        assert_eq!((calls, stats.dropped), (6, vec![]));
    }

    /// A drop recorded by a run that does not say it (the status line: an update without
    /// `take_dropped`) outlives that run and is said by the next run that takes drops, once:
    /// of two runs taking them at the same time, exactly one gets it (read and deleted in
    /// one transaction), and a later one gets nothing.
    #[test]
    fn a_drop_recorded_by_a_quiet_run_is_taken_once_by_one_of_two_concurrent_runs() {
        let dir = temp("dropped-once");
        let a = dir.join("aaaaaaaa-1111-4222-8333-444444444444.jsonl");
        let sa = "aaaaaaaa-1111-4222-8333-444444444444";
        std::fs::write(&a, session_lines(sa, "A", 0..4)).unwrap();
        let roots = [dir.to_path_buf()];
        let path = dir.join("i.sqlite3");
        {
            let mut quiet = Ledger::open(&path, &mut |_| {}).unwrap();
            quiet.update(&roots, &[], &mut no_problem).unwrap();
            std::fs::write(&a, session_lines(sa, "A", 0..1)).unwrap();
            let stats = quiet.update(&roots, &[], &mut no_problem).unwrap();
            assert_eq!(stats.dropped.len(), 1, "{:?}", stats.dropped);
            assert_eq!(stats.dropped[0].responses.len(), 3);
        }
        for round in 0..2 {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let takers: Vec<_> = (0..2)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
                        barrier.wait();
                        ledger.take_dropped().unwrap()
                    })
                })
                .collect();
            let mut taken: Vec<Vec<Dropped>> =
                takers.into_iter().map(|t| t.join().unwrap()).collect();
            taken.sort_by_key(Vec::len);
            if round == 0 {
                assert_eq!(taken[0], vec![]);
                assert_eq!(taken[1].len(), 1, "{taken:?}");
                let d = &taken[1][0];
                assert_eq!((d.path.as_str(), d.calls()), (path_key(&a).as_str(), 3));
                assert_eq!(d.cost_pico(&prices()), (13_500_000_000, false));
            } else {
                assert_eq!(taken, vec![vec![], vec![]]);
            }
        }
    }

    /// `session_lines` with `searches` web searches on every response (a 1.0.90+ usage).
    fn searched_lines(session: &str, tag: &str, turns: std::ops::Range<u32>, n: u32) -> String {
        session_lines(session, tag, turns).replace(
            r#""service_tier":"standard"}"#,
            &format!(
                r#""service_tier":"standard","server_tool_use":{{"web_search_requests":{n},"web_fetch_requests":0}}}}"#
            ),
        )
    }

    /// Web searches are stored per response and priced in every reading of the index (rows,
    /// sums of the status line's warm path); a row written by a build that did not know the
    /// column (NULL: stop 18 and stop 19 builds name their columns, so their inserts leave
    /// it NULL) makes the next update read its file again from its start, which fills it in
    /// (nothing counts twice); a row whose transcript is gone stays NULL, counted as no
    /// searches and said (estimated); other agents' rows are set to 0 without a read.
    #[test]
    fn web_searches_are_indexed_and_rows_of_older_builds_are_read_again() {
        let dir = temp("web-searches");
        let (sa, sb) = (
            "aaaaaaaa-1111-4222-8333-444444444444",
            "bbbbbbbb-1111-4222-8333-444444444444",
        );
        let a = dir.join(format!("{sa}.jsonl"));
        let b = dir.join(format!("{sb}.jsonl"));
        // Sonnet 4.5: 1,000 in × $3 + 100 out × $15 = $0.0045 a response; 2 searches $0.02.
        std::fs::write(&a, searched_lines(sa, "A", 0..3, 2)).unwrap();
        std::fs::write(&b, session_lines(sb, "B", 0..2)).unwrap();
        let roots = [dir.to_path_buf()];
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let cost = |ledger: &Ledger| -> (u64, u128, u64) {
            let e = ledger.entries(&Scope::All, None, &prices()).unwrap();
            let searches = e.rows.iter().map(|r| r.tokens.web_search).sum();
            let pico: u128 = e.rows.iter().map(|r| r.cost_pico.unwrap()).sum();
            let estimated = e.rows.iter().filter(|r| r.estimated).count() as u64;
            (searches, pico, estimated)
        };
        let right = 3 * (4_500_000_000 + 20_000_000_000) + 2 * 4_500_000_000u128;
        assert_eq!(cost(&ledger), (6, right, 0));
        // The status line: a session with searches is priced from its rows, with the fee.
        assert_eq!(ledger.session_usage_summed(sa, &prices()).unwrap(), None);
        let rows = ledger.session_usage(sa, &prices()).unwrap();
        let opus = &rows["claude-sonnet-4-5-20250929"];
        assert_eq!(opus.tokens.web_search, 6);
        assert_eq!(opus.cost_pico, 3 * 24_500_000_000);
        assert!(ledger
            .session_usage_summed(sb, &prices())
            .unwrap()
            .is_some());
        // An older build writes a's rows again (or new ones): NULL, as its insert leaves it.
        drop(ledger);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("UPDATE responses SET web_searches = NULL")
                .unwrap();
        }
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        // Not known yet: counted as none and said, never silently.
        assert_eq!(cost(&ledger).0, 0);
        assert_eq!(cost(&ledger).2, 5);
        assert_eq!(ledger.session_usage_summed(sb, &prices()).unwrap(), None);
        let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!(
            stats.files_read, 2,
            "both files read again from their start"
        );
        assert_eq!(cost(&ledger), (6, right, 0));
        assert_eq!(stats.dropped.len(), 0);
        let again = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!(again.files_read, 0, "once");
        assert!(ledger
            .session_usage_summed(sb, &prices())
            .unwrap()
            .is_some());
        // An older build reads on in b: a later line of a response raises its count, which
        // its upsert leaves as it was (emulated: the row keeps 0, and the file's `consumed`
        // is not the one this build recorded). The next update reads b again.
        let b2 = session_lines(sb, "B", 0..2) + &searched_lines(sb, "B", 1..2, 5);
        std::fs::write(&b, &b2).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        drop(ledger);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "UPDATE responses SET web_searches = 0;
                 UPDATE web_search_files SET consumed = consumed - 1",
            )
            .unwrap();
        }
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        assert_eq!(cost(&ledger).0, 0);
        let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!(stats.files_read, 2, "both files: their `consumed` moved on");
        assert_eq!(cost(&ledger).0, 6 + 5);
        std::fs::write(&b, session_lines(sb, "B", 0..2)).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let _ = ledger.take_dropped();
        // A transcript gone: its NULL rows stay, said as estimated, the others exact.
        std::fs::remove_file(&a).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        drop(ledger);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("UPDATE responses SET web_searches = NULL")
                .unwrap();
        }
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!(stats.files_read, 1, "only b, on disk");
        assert_eq!(cost(&ledger), (0, 5 * 4_500_000_000, 3));
        // Another agent's rows cannot hold searches: set to 0, nothing read.
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "INSERT OR IGNORE INTO names (text) VALUES ('codex');
                 UPDATE responses SET web_searches = NULL,
                     agent = (SELECT id FROM names WHERE text = 'codex')
                 WHERE session = (SELECT id FROM names WHERE text = 'bbbbbbbb-1111-4222-8333-444444444444')",
            )
            .unwrap();
        }
        let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!(stats.files_read, 0);
        assert_eq!(cost(&ledger).2, 3, "only a's rows, whose file is gone");
        drop(ledger);
    }

    /// An index made by a build that did not know the table of drops (stop 18's schema 7) gets
    /// it when opened to be written, at the same version (builds of that age move an index of
    /// a higher version aside), nothing read again; a file read again afterwards records what
    /// left. Opened read-only without it, nothing is taken and nothing fails.
    #[test]
    fn an_index_without_the_table_of_drops_gets_it_at_the_same_version() {
        let dir = temp("dropped-v7");
        let a = dir.join("aaaaaaaa-1111-4222-8333-444444444444.jsonl");
        let sa = "aaaaaaaa-1111-4222-8333-444444444444";
        std::fs::write(&a, session_lines(sa, "A", 0..4)).unwrap();
        let roots = [dir.to_path_buf()];
        let path = dir.join("i.sqlite3");
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        drop(ledger);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(UNDO_ADDITIVE).unwrap();
        }
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        assert_eq!(user_version(&path), schema::VERSION);
        assert_eq!(
            user_version(&path),
            7,
            "no version bump for an additive table"
        );
        assert!(ledger.has_table("dropped_responses").unwrap());
        // Read again once, for the web searches its rows lack (the column came with the
        // table: stop 18 had neither), nothing dropped; then nothing read again.
        let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!((stats.files_read, stats.dropped.len()), (1, 0));
        let stats = ledger.update(&roots, &[], &mut no_problem).unwrap();
        assert_eq!((stats.files_read, stats.dropped.len()), (0, 0));
        std::fs::write(&a, session_lines(sa, "A", 0..2)).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let taken = ledger.take_dropped().unwrap();
        assert_eq!(taken.len(), 1, "{taken:?}");
        assert_eq!((taken[0].why, taken[0].calls()), (Reread::Truncated, 2));
        // A newer aegon's index this build may only read, without the table: nothing taken.
        drop(ledger);
        as_newer(
            &path,
            Some(schema::VERSION),
            Some(schema::VERSION + 1),
            UNDO_ADDITIVE,
        );
        let mut ledger = Ledger::open(&path, &mut |_| {}).unwrap();
        assert!(ledger.read_only().is_some());
        assert!(!ledger.has_table("dropped_responses").unwrap());
        assert_eq!(ledger.take_dropped().unwrap().len(), 0);
    }

    /// marot/spotter's session 258c7280 (fixtures/corpus): its Task result names subagent
    /// a881341 (`totalTokens` 43,179), whose transcript is
    /// `258c7280…/subagents/agent-a881341.jsonl`.
    const MAROT: &str = "258c7280-ae70-4798-800f-63464d01a85d";

    /// A file of marot's session in the fixtures (`suffix` "" for the session's own).
    fn marot(suffix: &str) -> PathBuf {
        PathBuf::from(format!(
            "{}/../fixtures/corpus/marot__spotter__test__fixtures__transcripts__{MAROT}{suffix}.jsonl",
            env!("CARGO_MANIFEST_DIR")
        ))
    }

    /// The unread subagents and runs of each session of `e` named but not read.
    fn unread_named(e: &Entries) -> Vec<(String, Vec<String>, Vec<String>)> {
        e.named
            .iter()
            .map(|(s, n)| {
                (
                    s.clone(),
                    n.unread_subagents().map(str::to_owned).collect(),
                    n.unread_runs().map(str::to_owned).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn subagents_named_and_not_read_are_known_to_the_index_as_to_a_fresh_read() {
        let dir = temp("named");
        let project = dir.join("p");
        let subagents = project.join(MAROT).join("subagents");
        std::fs::create_dir_all(&subagents).unwrap();
        let main = project.join(format!("{MAROT}.jsonl"));
        std::fs::copy(marot(""), &main).unwrap();
        let sub = subagents.join("agent-a881341.jsonl");
        let index = dir.join("i.sqlite3");
        let roots = [canonical(&project)];
        let update = |ledger: &mut Ledger| {
            ledger.update(&roots, &[], &mut no_problem).unwrap();
            let indexed = ledger.entries(&Scope::All, None, &prices()).unwrap();
            let files = crate::source::tree::transcripts_below(&roots[0], |_, _| {});
            let fresh = read_fresh(&files, &prices(), &mut no_problem);
            assert_eq!(unread_named(&indexed), unread_named(&fresh));
            unread_named(&indexed)
        };
        let missing = vec![(MAROT.to_owned(), vec!["a881341".to_owned()], vec![])];
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        assert_eq!(update(&mut ledger), missing, "cold");
        assert_eq!(update(&mut ledger), missing, "warm");
        // Indexed by a build that does not record them (the tables empty, or the file read on
        // since): read again from the start, the same known.
        ledger
            .conn
            .execute_batch("DELETE FROM file_named; DELETE FROM named_files;")
            .unwrap();
        assert_eq!(update(&mut ledger), missing, "after an older build");
        ledger
            .conn
            .execute_batch("UPDATE named_files SET consumed = consumed - 1")
            .unwrap();
        assert_eq!(update(&mut ledger), missing, "read on by an older build");
        // Its file appears: read in another file than the one naming it.
        std::fs::copy(marot("__subagents__agent-a881341"), &sub).unwrap();
        assert_eq!(update(&mut ledger), vec![], "its file added");
        // Gone again: its responses stay in the index's history, and so does its being read
        // (a read without the index lacks both).
        std::fs::remove_file(&sub).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let e = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(unread_named(&e), vec![], "its file gone");
        drop(ledger);
        // An index whose subagent file, indexed only by an older build, is gone from disk: its
        // responses are in the index, so the subagent is read, told by its file's name.
        std::fs::remove_file(&index).unwrap();
        std::fs::copy(marot("__subagents__agent-a881341"), &sub).unwrap();
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        std::fs::remove_file(&sub).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        ledger
            .conn
            .execute_batch(
                "DELETE FROM file_named WHERE file_id IN (SELECT id FROM files WHERE present = 0);
                 DELETE FROM named_files WHERE file_id IN (SELECT id FROM files WHERE present = 0);",
            )
            .unwrap();
        let e = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(unread_named(&e), vec![], "gone, indexed by an older build");
        // The rule that takes it as read: its row's path; without it (another name), unread.
        ledger
            .conn
            .execute_batch("UPDATE files SET path = path || '.renamed' WHERE present = 0")
            .unwrap();
        let e = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(unread_named(&e), missing, "gone, its path not an agent's");
    }

    #[test]
    fn a_resumed_sessions_copy_of_a_task_result_is_read_by_the_originals_subagent() {
        // The session copied under another id that sorts first (so its copied responses count
        // there, and it is the one the report covers): its Task result names a881341, whose
        // lines carry the original's id. Read in that session: read.
        const COPY: &str = "00000000-0000-4000-8000-000000000001";
        let dir = temp("named-resumed");
        let project = dir.join("p");
        let subagents = project.join(MAROT).join("subagents");
        std::fs::create_dir_all(&subagents).unwrap();
        let text = std::fs::read_to_string(marot("")).unwrap();
        std::fs::write(
            project.join(format!("{COPY}.jsonl")),
            text.replace(MAROT, COPY),
        )
        .unwrap();
        let index = dir.join("i.sqlite3");
        let roots = [canonical(&project)];
        let mut ledger = Ledger::open(&index, &mut |_| {}).unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let e = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert_eq!(
            unread_named(&e),
            vec![(COPY.to_owned(), vec!["a881341".to_owned()], vec![])]
        );
        std::fs::copy(
            marot("__subagents__agent-a881341"),
            subagents.join("agent-a881341.jsonl"),
        )
        .unwrap();
        ledger.update(&roots, &[], &mut no_problem).unwrap();
        let e = ledger.entries(&Scope::All, None, &prices()).unwrap();
        assert!(e.rows.iter().any(|r| e.name(r.session) == COPY));
        assert_eq!(unread_named(&e), vec![]);
        let files = crate::source::tree::transcripts_below(&roots[0], |_, _| {});
        let fresh = read_fresh(&files, &prices(), &mut no_problem);
        assert_eq!(unread_named(&fresh), vec![]);
        // Over the copy's file alone (its session's facts are still settled over the index).
        let scope = Scope::Paths {
            roots: Vec::new(),
            files: vec![project.join(format!("{COPY}.jsonl"))],
            ids: Vec::new(),
        };
        let e = ledger.entries(&scope, None, &prices()).unwrap();
        assert!(!e.rows.is_empty());
        assert_eq!(unread_named(&e), vec![]);
    }
}
