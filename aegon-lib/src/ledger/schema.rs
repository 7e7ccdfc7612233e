//! The index's schema and its migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`; `PRAGMA application_id` marks the file
//! as aegon's. [`MIGRATIONS`]`[n]` takes a database from version `n` to `n + 1`, each in the
//! transaction that also sets the new version, so a crash mid-migration leaves the old
//! version whole.
//!
//! Tables (version 1):
//!
//! | table | one row per | holds |
//! |---|---|---|
//! | `names` | distinct text | session ids, project paths (`cwd`), model and tool names, interned |
//! | `files` | transcript path | device, inode, bytes consumed, line number there, whether a valid last line without its newline was consumed, present on disk at the last scan |
//! | `responses` | API response (identity key) | first file, time (UTC ms), session, project, model, subagent flag, the five token counts; since version 2 its price factors: speed, service tier, inference geo (names; NULL when the transcript names none) and prompt size in tokens (NULL: not recorded, see below) |
//! | `tools` | tool call (`tool_use_id`) | first file, time, session, project, tool, subagent flag, error flag |
//! | `response_files` | response also read from another file or session than its row's (since version 5) | key, file, session there |
//! | `limit_hits` | limit message in a transcript and file it was read from (key `MESSAGE\u{1e}FILE_ID`; rows written by aegon before 2026-11-29 are keyed by the message alone) | time, session, text |
//! | `limit_readings` | official reading from the status line | time read, window (`five_hour`, `seven_day`, …), used %, reset time |
//! | `meta` | key | small settings (`last_scan_ms`) |
//!
//! Costs are not stored: each response is priced at report time from its model, token counts,
//! price factors and time ([`crate::session::pricing::Pricing::request_cost_at`], as the session
//! core prices it), so a corrected or user-supplied price applies to all history.
//!
//! Version 3 added an index of `files` by device and inode (a file named by another path is
//! found as the one indexed), `session_spans` (per session name id: the time of its earliest
//! and latest line, UTC ms) and `response_sessions` (a response also written in another
//! session than its row's, with that session's project): a report counts each response in
//! the session where it first occurred by the `--summary` rule
//! ([`crate::ledger::collect::first_occurred`]). Migrating reads every file again to fill them.
//!
//! Version 4 added `agent` to `responses` and `tools` (a `names` id of the agent's name,
//! [`crate::Agent::as_str`]; NULL for rows indexed before, all Claude Code's) and `whole` to
//! `files`: a file read whole as one JSON document (a Gemini CLI chat, an OpenCode export, which
//! are rewritten, not appended to) or in a format whose lines need earlier ones (a Codex
//! rollout) is read again from its start whenever its size changes; its rows merge by
//! identity, so nothing counts twice.
//!
//! Version 5 added `unread_lines` and `first_unread` to `files`: how many lines of the file
//! could not be read as records (their usage is missing from reports) and the first of them
//! as `FILE:LINE: byte OFFSET: message`. A read from the file's start sets them, a read of
//! appended lines adds to them. It also added `tail_hash`: the fingerprint of the up to 4 KiB
//! before `consumed` (SipHash-1-3, keys 0, as a signed 64-bit integer; NULL: none), checked
//! before reading on from `consumed`, so a file written over in place (same inode, as large
//! or larger) is read again from its start; and `response_files`: each other file (and session
//! there, a `names` id) a response was also read from besides its row's file and session (a
//! copy, a resumed session), so a report over some paths finds every response written in
//! them, not only those first indexed from them. Migrating reads every file again to count
//! and fill them.
//!
//! Version 6 added `not_a_call` to `responses`: 1 for usage that is not an API call (Copilot
//! CLI's `session.shutdown` totals beyond its messages, an increment with an identity of its
//! own): reports count it in tokens and cost, not in API calls, as `--summary` does. Rows
//! indexed before are marked by their identity (`m:<sessionId>/shutdown/<model>`, agent
//! `copilot-cli`); nothing is read again.
//!
//! Version 7 added indexes of `responses`, `tools`, `response_files` and `limit_hits` by
//! `file_id`: a file read again from its start has the rows of its earlier readings replaced
//! ([`crate::ledger`]), found through them rather than by reading every row.
//! Version 7 also added `session_sums` and `shared_sessions`, kept by triggers on `responses` and
//! `response_sessions` (so every statement that adds, merges or deletes rows keeps them,
//! whichever code runs it): per session, model, speed, service tier, inference geo (name ids,
//! 0 for none) and whether the prompt size is recorded, the number of rows, the sums of the
//! five token counts and the smallest and largest prompt size (`prompt_tokens`, else the
//! row's input + cache tokens; after a delete they may be wider than the rows left, never
//! narrower). A session's cost is then priced once per group instead of once per response
//! ([`crate::ledger::Ledger::session_usage_summed`], the status line's warm path), exactly
//! when the group lies on one side of its model's long-context threshold. `shared_sessions`
//! lists the sessions with a response also written in another session (its owner is decided
//! by the rule, per response): their figures are not taken from the sums. Migrating fills
//! both from the rows; nothing is read again.
//!
//! `dropped_responses` ([`ADDITIVE`], no version of its own): one row per response that a
//! file read again from its start no longer holds (and no other file holds), which so left the
//! index ([`crate::ledger::Dropped`]): the file's path as the index keys it, why it was read
//! again (`truncated`, `replaced`, `rewritten`, `overwritten`), when (UTC ms), its model, five
//! token counts, price factors (speed, tier, geo as text; `prompt_tokens` NULL: none recorded)
//! and whether it was an API call. Written in the transaction that finishes the read again, by
//! whichever run does it (the status line too); read and deleted in one transaction by the next
//! run that says them ([`crate::ledger::Ledger::take_dropped`]), so each is said once.
//!
//! `responses.web_searches` ([`ADDITIVE_COLUMNS`], no version of its own): the response's web
//! searches (`usage.server_tool_use.web_search_requests`), billed per search on top of its
//! tokens. NULL: written by a build that did not know the column (every row indexed before
//! it, and rows a stop-18 or stop-19 build, which name their columns, inserts after it). An
//! older build's upsert of a row keeps the count there (it sets only the columns it knows),
//! which is wrong when the lines it read raise it (the count may come only with a response's
//! last line, as `output_tokens` does): so `web_search_files` ([`ADDITIVE`]) records, per
//! file, the `consumed` a build that records searches last left; a file whose `consumed` is
//! now another was read on by an older build. Before each update a build that writes the
//! index reads again from its start every such file on disk, and every file that holds a
//! NULL row (owns it or was also read with it) ([`crate::ledger`]; rows of other agents
//! than Claude Code, which record no searches, are set to 0 instead): rows merge by identity,
//! the count by its largest, nothing counts twice, and what an older build wrote is right
//! again after the next newer run. A row whose transcript is gone keeps NULL, counted as no
//! searches and said ([`crate::ledger::Entry::estimated`]). The partial index
//! `responses_web_searches` (rows with searches or NULL, by session) keeps the check and the
//! status line's warm path cheap. `dropped_responses.web_searches` likewise (NULL: recorded
//! by an older build, counted as none).
//!
//! `partly_read_files` ([`ADDITIVE`], no version of its own): per file, the lines read with a
//! problem in their usage (a token count refused and read as 0, usage on a record type that is
//! not counted, usage in a shape not read: [`crate::ledger::collect::about_usage`]), whose
//! usage reports so count only in part: how many, the first as `FILE:LINE: byte OFFSET:
//! message` (as `files.first_unread`), and the `consumed` of the file when a build that
//! records them last read it. Older builds neither read nor write it: a file whose `consumed`
//! is now another (an older build read on, or read it again from its start) or that has no row
//! (indexed only by older builds) is read again from its start by the next update of a build
//! that records them ([`crate::ledger`]; rows merge by identity, nothing counts twice), as for
//! `web_search_files`. A file gone from disk keeps its row, so its problems are still said; one
//! gone before a build recorded them has none (what the older build counted is all there is).
//!
//! `responses.unread` ([`ADDITIVE_COLUMNS`], no version of its own): set when the response's
//! usage could not be read whole (a shape aegon does not know: [`crate::tokens::Unread`],
//! stored as [`crate::ledger::unread_code`]); its known tokens are counted, its cost is
//! unknown (reports give none, as for a model with no price). NULL: read whole, or written
//! by a build that did not know the column. An older build's upsert keeps the mark (it sets
//! only the columns it knows); rows it inserts lack it, so `unread_usage_files` ([`ADDITIVE`])
//! records, per file, the `consumed` a build that marks them last left, with the lines of such
//! usage (`lines`, `first`: counted as calls of unknown cost) and the other lines with usage
//! problems (`rest_lines`, `rest_first`: not counted), said apart in notes. A file whose
//! `consumed` is now another (an older build read on) or that has no row is read again from
//! its start before the next update of a build that marks them ([`crate::ledger`]), unless
//! `partly_read_files` says, at its `consumed`, that it holds no line with a usage problem
//! (every such line is one: then nothing is read again). `partly_read_files` is still written
//! with all of them (older builds say them as not counted). The partial index
//! `responses_unread` (marked rows, by session) keeps the status line's warm path cheap.
//! `dropped_responses.unread` likewise (NULL: read whole, or recorded by an older build).
//!
//! `identity_files` ([`ADDITIVE`], no version of its own): per file, the `consumed` a build
//! that counts a Claude Code response by its identity alone ([`crate::ledger::collect::response_key`]:
//! its `message.id`, whichever of its lines carry `requestId`) last left. Rows keep the key
//! older builds give them (`m:ID\u{1f}REQUEST`, with the first request id met; `m:ID\u{1f}`
//! when none), so that older builds sharing the index find them again; such a build finds a
//! response's row under any key of its message id (a range of the primary key) and adds to
//! it. Older builds make a row per request id met instead (a copy whose lines lack
//! `requestId`, or carry another): before each update, a build that keys by identity folds,
//! for the message ids of the rows of every file with no row here at its `consumed` (indexed,
//! read on or read again by an older build; at first, every file), the rows of one message id
//! into one (the first key with a request id), in one transaction, merged as the upsert merges
//! (the counts by their largest, factors and names kept where set, the unread mark if either
//! is unread), the other row's file and session noted in `response_files` and
//! `response_sessions`, its own notes moved; the triggers keep `session_sums` right (an
//! `UPDATE` and a `DELETE`). The same fold sets each such file on disk to be read again from
//! its start (an older build does not mark every usage this build cannot read whole: a
//! `*_tokens` count it does not know, a count refused and read as 0). The rows mean what they
//! meant,
//! so no version and no [`COMPAT`] change: older builds read the rows as their own, and count
//! a response twice only where they did before (a copy with another or no `requestId`), until
//! the next newer run folds it.
//!
//! `file_named` and `named_files` ([`ADDITIVE`], no version of their own): per file and
//! session (a `names` id), the subagents (`kind` 0, by agent id) and workflow runs (`kind` 1,
//! by run id `wf_…`) the file's lines name or read, with what they say of each as `flags`
//! ([`crate::session::Named::facts`]: 1 named (a Task result, a main-chain `agent_progress`
//! line; a run launched), 2 its Task result records usage, 4 a line of it read, 8 a usage of
//! it read); and per file the `consumed` a build that records them last left. A report
//! settles them over the sessions it covers, whichever files hold their lines
//! ([`crate::ledger::Ledger::named_unread`]), and says a session whose subagent or run is
//! named and nowhere read, as `aegon --summary` says it. A read from the file's start
//! replaces the file's rows; a read on from where this build left it adds its flags (OR);
//! any other read on (an older build's came between) removes the `named_files` row, and a
//! file with none at its `consumed` is read again from its start by the next update of a
//! build that records them ([`crate::ledger`], as for `partly_read_files`; rows merge by
//! identity, nothing counts twice). Older builds neither read nor write them. A file gone
//! from disk before a build recorded them names nothing; its agent (`agent-ID.jsonl`) or run
//! (`workflows/wf_…/`), told by its path, is taken as read, so a deleted main transcript or
//! one indexed only by an older build never makes a subagent look unread.
//!
//! `limit_readings.account` ([`ADDITIVE_COLUMNS`], no version of its own): the Claude Code
//! account whose status line recorded the reading, as its configuration folders
//! ([`crate::source::watch::claude_config_dirs`]: `CLAUDE_CONFIG_DIR`'s, else `~/.claude`),
//! each resolved ([`crate::ledger::canonical`]), sorted and joined by a newline. The 5-hour
//! and 7-day windows are an account's (shared/usage-over-time.md §2.4): a report or status
//! line takes the readings of its own account alone ([`crate::ledger::Ledger::latest_readings`]).
//! NULL: recorded by a build that did not know the column (older builds' inserts name their
//! columns); such a reading is taken as the account's whose folders hold a transcript of the
//! session that recorded it, else as nobody's. Older builds read every reading as theirs, as
//! before. The index `limit_readings_account` ([`ADDITIVE_INDEXES`]) finds an account's latest
//! reading of a window at once.
//!
//! Version 2 added the price factors. Migrating from version 1 adds the columns (NULL) and
//! sets every file's progress back to its start, so the next update reads the transcripts
//! still on disk again and fills in their responses' factors (rows merge by identity: nothing
//! counts twice). Responses of transcripts deleted since keep `prompt_tokens` NULL: reports
//! price them at standard speed, tier and geo and say how many they are
//! ([`crate::ledger::Entry::estimated`]).

//! # Versions across builds: read and write compatibility
//!
//! Several aegon builds use one index at once (an installed one for the status line, a newer
//! one in a shell, a Python wheel), and the index may be the only copy of history whose
//! transcripts were deleted: a build never moves aside or rewrites an index of a newer schema.
//! Each migration records in `meta`, in the transaction that sets the version, the oldest
//! schema version whose builds may still use the file, as SQLite's own header does with its
//! read and write version bytes ([`COMPAT`]):
//!
//! - `read_compat` ([`META_READ`]): the oldest schema whose builds read the file correctly.
//!   A build older than the file but not older than this reports from it read-only (it
//!   indexes nothing new, and says so) when the tables and columns it reads are there.
//! - `write_compat` ([`META_WRITE`]): the oldest schema whose builds may also write it (index
//!   new lines, record readings) and leave it right for the newer builds: those use it as
//!   their own, without migrating (the version stays the file's).
//!
//! A build older than `read_compat` refuses the file, naming it and both versions, and leaves
//! it as it is. A file newer than the build with no record (a build that broke this rule) is
//! read read-only when the tables and columns the build reads are there, else refused.
//! These two `meta` keys, the `meta` table and `PRAGMA user_version` never change meaning.
//!
//! **When you change the schema**, add a migration (bumping [`VERSION`]) and its [`COMPAT`]
//! entry, and choose the two numbers:
//!
//! - Nothing an older build reads or writes changes meaning: a new index, a new table, a new
//!   nullable (or defaulted) column that older builds need not fill, a trigger that keeps a new
//!   table in step with rows whoever writes them (SQLite runs a file's triggers for every
//!   writer): keep both numbers as they were. Older builds then go on using the file fully.
//! - Older builds would write rows that are wrong for the new schema (a column they do not
//!   fill that must be filled, a row the new code would count differently, a table kept by the
//!   new code rather than by a trigger): `write_compat` = the new version. They still read it.
//! - Older builds would read it wrongly (a column's unit or meaning changed, rows moved to
//!   another table, a table or column they read dropped or renamed): both = the new version.
//!
//! A migration that only rebuilds derived data (reads every file again) keeps the numbers, as
//! long as the rows mean what they meant. Tests check that every version has its entry and
//! that `read_compat <= write_compat <= version`.
//!
//! The record was added while the schema was at version 7: an index migrated to 7 before has
//! none, which is harmless, since only builds older than a file's version read its record,
//! and those older than 7 do not know it.
//!
//! But builds of schema 7 made before the record existed do not read it either: they move an
//! index of version 8 aside. So, while they may share an index, an object no older build reads
//! or writes (a table of its own, an index) is not a migration: it goes in [`ADDITIVE`],
//! created `IF NOT EXISTS` by every open that may write, and allowed missing by readers.

/// `meta` key of the oldest schema version whose builds read the index correctly.
pub const META_READ: &str = "read_compat";

/// `meta` key of the oldest schema version whose builds may also write the index.
pub const META_WRITE: &str = "write_compat";

/// Compatibility of a schema version with builds of older ones: see the module's
/// documentation for when to raise which number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compat {
    /// The oldest schema version whose builds read the index correctly.
    pub read: i32,
    /// The oldest schema version whose builds may also write it.
    pub write: i32,
}

/// `COMPAT[n]` is the record [`MIGRATIONS`]`[n]` writes: that of version `n + 1`.
///
/// Versions 1 to 6 predate the record, and no build that reads a record is older than 7, so
/// their entries are never consulted: each is its own version, the answer that is never
/// wrong (some older builds would have coped, e.g. with version 4's agents). Version 7 added indexes and the session sums, which its triggers keep on every
/// write to `responses` and `response_sessions`, whichever build makes it: a schema-6 build
/// writes the same rows with the same statements (checked against its code: inserts,
/// upserts, `UPDATE` and `DELETE`, never `REPLACE`, whose deletes would not fire the
/// triggers), and reads nothing that changed. So both are 6.
pub const COMPAT: &[Compat] = &[
    Compat { read: 1, write: 1 },
    Compat { read: 2, write: 2 },
    Compat { read: 3, write: 3 },
    Compat { read: 4, write: 4 },
    Compat { read: 5, write: 5 },
    Compat { read: 6, write: 6 },
    Compat { read: 6, write: 6 },
];

/// Columns added without a version of their own, as `(table, column, declaration)`: added by
/// every open that may write the index, after [`ADDITIVE`], when the table lacks them
/// (`ALTER TABLE … ADD COLUMN`, which SQLite has no `IF NOT EXISTS` for), and allowed to be
/// missing by readers. Only nullable columns, so that older builds' inserts, which name
/// their columns, leave NULL in them: "written by a build that did not know it".
pub const ADDITIVE_COLUMNS: &[(&str, &str, &str)] = &[
    ("responses", "web_searches", "INTEGER"),
    ("dropped_responses", "web_searches", "INTEGER"),
    ("responses", "unread", "INTEGER"),
    ("dropped_responses", "unread", "INTEGER"),
    ("limit_readings", "account", "TEXT"),
];

/// Indexes of [`ADDITIVE_COLUMNS`], created `IF NOT EXISTS` after them.
pub const ADDITIVE_INDEXES: &[&str] = &[
    // Rows with web searches, or not known (NULL): few, so the index is small, and the
    // status line's warm path asks it whether a session has any. SQLite keeps it for every
    // writer, older builds too.
    "CREATE INDEX IF NOT EXISTS responses_web_searches ON responses(session, file_id)
         WHERE web_searches IS NOT 0",
    // Rows whose usage was not read whole: few; the status line's warm path asks whether a
    // session has any (their cost is unknown, the sums would price them).
    "CREATE INDEX IF NOT EXISTS responses_unread ON responses(session)
         WHERE unread IS NOT NULL",
    // The latest reading of one account's window, found without reading another's.
    "CREATE INDEX IF NOT EXISTS limit_readings_account ON limit_readings(account, window, read_ms)",
];

/// `PRAGMA application_id` of an aegon index ("AEGN").
pub const APPLICATION_ID: i32 = 0x4145_474E;

/// The schema version this build writes (`PRAGMA user_version`).
pub const VERSION: i32 = 7;

/// `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 0 → 1: the first schema.
    "
    CREATE TABLE names (
        id   INTEGER PRIMARY KEY,
        text TEXT NOT NULL UNIQUE
    );
    CREATE TABLE files (
        id         INTEGER PRIMARY KEY,
        path       TEXT NOT NULL UNIQUE,
        dev        INTEGER NOT NULL,
        ino        INTEGER NOT NULL,
        consumed   INTEGER NOT NULL,
        line       INTEGER NOT NULL,
        open_tail  INTEGER NOT NULL DEFAULT 0,
        present    INTEGER NOT NULL DEFAULT 1,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE responses (
        key        TEXT PRIMARY KEY,
        file_id    INTEGER NOT NULL,
        ts_ms      INTEGER,
        session    INTEGER,
        project    INTEGER,
        model      INTEGER,
        subagent   INTEGER NOT NULL,
        input      INTEGER NOT NULL,
        output     INTEGER NOT NULL,
        cache_read INTEGER NOT NULL,
        cache_5m   INTEGER NOT NULL,
        cache_1h   INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX responses_ts ON responses(ts_ms);
    CREATE INDEX responses_session ON responses(session);
    CREATE TABLE tools (
        key      TEXT PRIMARY KEY,
        file_id  INTEGER NOT NULL,
        ts_ms    INTEGER,
        session  INTEGER,
        project  INTEGER,
        tool     INTEGER,
        subagent INTEGER NOT NULL,
        is_error INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE limit_hits (
        key     TEXT PRIMARY KEY,
        file_id INTEGER NOT NULL,
        ts_ms   INTEGER NOT NULL,
        session INTEGER,
        text    TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE limit_readings (
        id           INTEGER PRIMARY KEY,
        read_ms      INTEGER NOT NULL,
        window       TEXT NOT NULL,
        used_percent REAL NOT NULL,
        resets_at_ms INTEGER,
        session      TEXT
    );
    CREATE INDEX limit_readings_time ON limit_readings(window, read_ms);
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    ",
    // 1 → 2: each response's price factors (speed, tier and geo as `names` ids), and every
    // file read again from its start to fill them in.
    "
    ALTER TABLE responses ADD COLUMN speed INTEGER;
    ALTER TABLE responses ADD COLUMN service_tier INTEGER;
    ALTER TABLE responses ADD COLUMN inference_geo INTEGER;
    ALTER TABLE responses ADD COLUMN prompt_tokens INTEGER;
    UPDATE files SET consumed = 0, line = 1, open_tail = 0;
    ",
    // 2 → 3: files found by identity (a path spelled otherwise, a link); each session's
    // first and last line, and the other sessions a response was also written in, to decide
    // the session it counts in by the summary's rule; every file read again to fill them.
    "
    CREATE INDEX files_identity ON files(dev, ino);
    CREATE TABLE session_spans (
        session  INTEGER PRIMARY KEY,
        first_ms INTEGER NOT NULL,
        last_ms  INTEGER NOT NULL
    );
    CREATE TABLE response_sessions (
        key     TEXT NOT NULL,
        session INTEGER NOT NULL,
        project INTEGER,
        PRIMARY KEY (key, session)
    ) WITHOUT ROWID;
    UPDATE files SET consumed = 0, line = 1, open_tail = 0;
    ",
    // 3 → 4: the agent of each response and tool call (NULL: Claude Code, the only agent
    // read before), and files read whole (JSON documents: read again from their start when
    // they change). Nothing to read again.
    "
    ALTER TABLE responses ADD COLUMN agent INTEGER;
    ALTER TABLE tools ADD COLUMN agent INTEGER;
    ALTER TABLE files ADD COLUMN whole INTEGER NOT NULL DEFAULT 0;
    ",
    // 4 → 5: per file, the lines that could not be read (malformed, truncated, binary) and
    // where the first is, so every report can say what is missing; the fingerprint of the
    // bytes before what was consumed, to see a file written over in place; the other files
    // (and sessions there) each response was also read from, so a report over paths finds it;
    // every file read again to count and fill them.
    "
    ALTER TABLE files ADD COLUMN unread_lines INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE files ADD COLUMN first_unread TEXT;
    ALTER TABLE files ADD COLUMN tail_hash INTEGER;
    CREATE TABLE response_files (
        key     TEXT NOT NULL,
        file_id INTEGER NOT NULL,
        session INTEGER NOT NULL,
        PRIMARY KEY (key, file_id, session)
    ) WITHOUT ROWID;
    UPDATE files SET consumed = 0, line = 1, open_tail = 0;
    ",
    // 5 → 6: usage that is not an API call (Copilot CLI's session.shutdown totals beyond its
    // messages), as --summary counts it. Rows indexed before are found by their identity
    // (`<sessionId>/shutdown/<model>`), since their transcripts may be gone.
    "
    ALTER TABLE responses ADD COLUMN not_a_call INTEGER NOT NULL DEFAULT 0;
    UPDATE responses SET not_a_call = 1
     WHERE key GLOB 'm:*/shutdown/*'
       AND agent IN (SELECT id FROM names WHERE text = 'copilot-cli');
    ",
    // 6 → 7: the rows of each file found by its id, to replace them when it is read again
    // from its start. Nothing to read again.
    // And per-session sums kept by triggers, so the status line prices a session once per
    // (model, factors) group rather than once per response; filled from the rows.
    "
    CREATE INDEX IF NOT EXISTS responses_file ON responses(file_id);
    CREATE INDEX IF NOT EXISTS tools_file ON tools(file_id);
    CREATE INDEX IF NOT EXISTS response_files_file ON response_files(file_id);
    CREATE INDEX IF NOT EXISTS limit_hits_file ON limit_hits(file_id);
    CREATE TABLE session_sums (
        session       INTEGER NOT NULL,
        model         INTEGER NOT NULL,
        speed         INTEGER NOT NULL,
        service_tier  INTEGER NOT NULL,
        inference_geo INTEGER NOT NULL,
        estimated     INTEGER NOT NULL,
        rows          INTEGER NOT NULL,
        input         INTEGER NOT NULL,
        output        INTEGER NOT NULL,
        cache_read    INTEGER NOT NULL,
        cache_5m      INTEGER NOT NULL,
        cache_1h      INTEGER NOT NULL,
        min_prompt    INTEGER,
        max_prompt    INTEGER,
        PRIMARY KEY (session, model, speed, service_tier, inference_geo, estimated)
    ) WITHOUT ROWID;
    CREATE TABLE shared_sessions (
        session INTEGER PRIMARY KEY
    );
    INSERT INTO session_sums
        SELECT coalesce(session, 0), coalesce(model, 0), coalesce(speed, 0),
               coalesce(service_tier, 0), coalesce(inference_geo, 0), prompt_tokens IS NULL,
               count(*), sum(input), sum(output), sum(cache_read), sum(cache_5m), sum(cache_1h),
               min(coalesce(prompt_tokens, input + cache_read + cache_5m + cache_1h)),
               max(coalesce(prompt_tokens, input + cache_read + cache_5m + cache_1h))
        FROM responses GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT OR IGNORE INTO shared_sessions SELECT session FROM response_sessions;
    INSERT OR IGNORE INTO shared_sessions
        SELECT coalesce(r.session, 0) FROM response_sessions s JOIN responses r ON r.key = s.key;
    -- In the triggers, NOT EXISTS rather than OR IGNORE: the statement that fires a trigger
    -- imposes its own conflict policy on the trigger's statements.
    CREATE TRIGGER session_sums_insert AFTER INSERT ON responses BEGIN
        INSERT INTO session_sums VALUES (
            coalesce(NEW.session, 0), coalesce(NEW.model, 0), coalesce(NEW.speed, 0), coalesce(NEW.service_tier, 0), coalesce(NEW.inference_geo, 0), NEW.prompt_tokens IS NULL, 1,
            NEW.input, NEW.output, NEW.cache_read, NEW.cache_5m, NEW.cache_1h,
            coalesce(NEW.prompt_tokens, NEW.input + NEW.cache_read + NEW.cache_5m + NEW.cache_1h), coalesce(NEW.prompt_tokens, NEW.input + NEW.cache_read + NEW.cache_5m + NEW.cache_1h))
        ON CONFLICT DO UPDATE SET
            rows = rows + 1,
            input = input + excluded.input,
            output = output + excluded.output,
            cache_read = cache_read + excluded.cache_read,
            cache_5m = cache_5m + excluded.cache_5m,
            cache_1h = cache_1h + excluded.cache_1h,
            min_prompt = min(min_prompt, excluded.min_prompt),
            max_prompt = max(max_prompt, excluded.max_prompt);
        INSERT INTO shared_sessions
            SELECT coalesce(NEW.session, 0)
            WHERE EXISTS (SELECT 1 FROM response_sessions WHERE key = NEW.key)
              AND NOT EXISTS (SELECT 1 FROM shared_sessions
                              WHERE session = coalesce(NEW.session, 0));
    END;
    CREATE TRIGGER session_sums_update AFTER UPDATE ON responses BEGIN
        UPDATE session_sums SET
            rows = rows - 1,
            input = input - OLD.input,
            output = output - OLD.output,
            cache_read = cache_read - OLD.cache_read,
            cache_5m = cache_5m - OLD.cache_5m,
            cache_1h = cache_1h - OLD.cache_1h
        WHERE session = coalesce(OLD.session, 0) AND model = coalesce(OLD.model, 0)
          AND speed = coalesce(OLD.speed, 0) AND service_tier = coalesce(OLD.service_tier, 0)
          AND inference_geo = coalesce(OLD.inference_geo, 0)
          AND estimated = (OLD.prompt_tokens IS NULL);
        INSERT INTO session_sums VALUES (
            coalesce(NEW.session, 0), coalesce(NEW.model, 0), coalesce(NEW.speed, 0), coalesce(NEW.service_tier, 0), coalesce(NEW.inference_geo, 0), NEW.prompt_tokens IS NULL, 1,
            NEW.input, NEW.output, NEW.cache_read, NEW.cache_5m, NEW.cache_1h,
            coalesce(NEW.prompt_tokens, NEW.input + NEW.cache_read + NEW.cache_5m + NEW.cache_1h), coalesce(NEW.prompt_tokens, NEW.input + NEW.cache_read + NEW.cache_5m + NEW.cache_1h))
        ON CONFLICT DO UPDATE SET
            rows = rows + 1,
            input = input + excluded.input,
            output = output + excluded.output,
            cache_read = cache_read + excluded.cache_read,
            cache_5m = cache_5m + excluded.cache_5m,
            cache_1h = cache_1h + excluded.cache_1h,
            min_prompt = min(min_prompt, excluded.min_prompt),
            max_prompt = max(max_prompt, excluded.max_prompt);
        INSERT INTO shared_sessions
            SELECT coalesce(NEW.session, 0)
            WHERE EXISTS (SELECT 1 FROM response_sessions WHERE key = NEW.key)
              AND NOT EXISTS (SELECT 1 FROM shared_sessions
                              WHERE session = coalesce(NEW.session, 0));
    END;
    CREATE TRIGGER session_sums_delete AFTER DELETE ON responses BEGIN
        UPDATE session_sums SET
            rows = rows - 1,
            input = input - OLD.input,
            output = output - OLD.output,
            cache_read = cache_read - OLD.cache_read,
            cache_5m = cache_5m - OLD.cache_5m,
            cache_1h = cache_1h - OLD.cache_1h
        WHERE session = coalesce(OLD.session, 0) AND model = coalesce(OLD.model, 0)
          AND speed = coalesce(OLD.speed, 0) AND service_tier = coalesce(OLD.service_tier, 0)
          AND inference_geo = coalesce(OLD.inference_geo, 0)
          AND estimated = (OLD.prompt_tokens IS NULL);
    END;
    CREATE TRIGGER shared_sessions_insert AFTER INSERT ON response_sessions BEGIN
        INSERT INTO shared_sessions
            SELECT NEW.session
            WHERE NOT EXISTS (SELECT 1 FROM shared_sessions WHERE session = NEW.session);
        INSERT INTO shared_sessions
            SELECT coalesce(session, 0) FROM responses
            WHERE key = NEW.key
              AND NOT EXISTS (SELECT 1 FROM shared_sessions s
                              WHERE s.session = coalesce(responses.session, 0));
    END;
    ",
];

/// Objects added without a version of their own: created `IF NOT EXISTS` by every open that may
/// write the index, after its migrations, and allowed to be missing by every reader (an index
/// last written by a build that did not know them, or opened read-only).
///
/// Why not a migration: builds of schema 7 made before the compatibility record (stop 18)
/// move an index of a higher version aside (its history then leaves their reports). While such
/// builds may share the index, a table or index no older build reads or writes is added here;
/// those builds neither see nor break it (they never write it, and a table they do not know is
/// no gap to them). A change older builds would get wrong still needs a migration and its
/// [`COMPAT`] record.
pub const ADDITIVE: &[&str] = &[
    // The responses that files read again no longer hold, kept until a run says them.
    "
    CREATE TABLE IF NOT EXISTS dropped_responses (
        id            INTEGER PRIMARY KEY,
        path          TEXT NOT NULL,
        why           TEXT NOT NULL,
        at_ms         INTEGER NOT NULL,
        model         TEXT,
        input         INTEGER NOT NULL,
        output        INTEGER NOT NULL,
        cache_read    INTEGER NOT NULL,
        cache_5m      INTEGER NOT NULL,
        cache_1h      INTEGER NOT NULL,
        speed         TEXT,
        service_tier  TEXT,
        inference_geo TEXT,
        prompt_tokens INTEGER,
        call          INTEGER NOT NULL
    );
    ",
    // How far a build that records web searches read each file (`files.consumed` then): a
    // file whose `consumed` is now elsewhere was read on by a build that does not record them.
    "
    CREATE TABLE IF NOT EXISTS web_search_files (
        file_id  INTEGER PRIMARY KEY,
        consumed INTEGER NOT NULL
    );
    ",
    // Per file, the lines read with a problem in their usage, and how far a build that records
    // them read it (`files.consumed` then): a file whose `consumed` is now elsewhere, or with
    // no row, was read by a build that does not record them.
    "
    CREATE TABLE IF NOT EXISTS partly_read_files (
        file_id  INTEGER PRIMARY KEY,
        consumed INTEGER NOT NULL,
        lines    INTEGER NOT NULL,
        first    TEXT
    );
    ",
    // How far a build that marks responses whose usage it could not read whole read each file,
    // and its lines with usage problems said apart: those counted as calls of unknown cost,
    // and the rest (not counted).
    "
    CREATE TABLE IF NOT EXISTS unread_usage_files (
        file_id    INTEGER PRIMARY KEY,
        consumed   INTEGER NOT NULL,
        lines      INTEGER NOT NULL,
        first      TEXT,
        rest_lines INTEGER NOT NULL,
        rest_first TEXT
    );
    ",
    // How far a build that keys responses by their identity alone read each file
    // (`files.consumed` then): a file whose `consumed` is now elsewhere, or with no row, may
    // hold rows an older build keyed with Claude Code's `requestId`, folded before the next
    // update ([`crate::ledger::collect::response_key`]).
    "
    CREATE TABLE IF NOT EXISTS identity_files (
        file_id  INTEGER PRIMARY KEY,
        consumed INTEGER NOT NULL
    );
    ",
    // Per file and session, the subagents and workflow runs its lines name or read
    // ([`crate::session::Named::facts`]), and how far a build that records them read each
    // file (`files.consumed` then): a file whose `consumed` is now elsewhere, or with no row,
    // was read by a build that does not record them.
    "
    CREATE TABLE IF NOT EXISTS file_named (
        file_id INTEGER NOT NULL,
        session INTEGER NOT NULL,
        kind    INTEGER NOT NULL,
        id      TEXT NOT NULL,
        flags   INTEGER NOT NULL,
        PRIMARY KEY (file_id, session, kind, id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS file_named_session ON file_named(session);
    CREATE INDEX IF NOT EXISTS file_named_id ON file_named(id);
    CREATE TABLE IF NOT EXISTS named_files (
        file_id  INTEGER PRIMARY KEY,
        consumed INTEGER NOT NULL
    );
    ",
];
