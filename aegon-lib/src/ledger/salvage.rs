//! What a damaged index still holds, copied into the new one.
//!
//! When the index is found damaged it is copied aside (`*.unusable-<ms>`) and a new one made
//! that takes its place ([`crate::ledger::Ledger::repair`]). The transcripts still on disk are read again into the
//! new one, but for those Claude Code has deleted since (30 days after their last use) the
//! damaged file is the only history. `salvage` opens it read-only and copies every row it can
//! still read (responses, tool calls, limit messages, the sessions and files each response was
//! also read in, the spans of their sessions), every name, and every official limit reading
//! (the status line's, held nowhere else). Files no longer on disk are kept as not present;
//! files still on disk are kept with their progress at their start, so the next read of one
//! starts over and replaces its rows (a file outside the default folders, read once by
//! `aegon usage FILE`, is not read again by a default run: its rows are its history).
//!
//! **Reading around damage.** A damaged b-tree page fails every query that reaches it, so a
//! table is read in ranges of its key: the whole table first, and a range whose read fails is
//! split in two and each half read again, down to one key (a rowid, or the gap between two
//! keys known to exist): one bad page loses only the rows on it. The keys that split text-keyed
//! tables (`WITHOUT ROWID`) come from walking the table and its indexes from both ends until
//! the damage stops each walk (every b-tree lists keys in its own order, so a key behind the
//! damage in one is often reachable in another); rowid ranges are also split in the middle. A
//! range that still fails is counted; when the table's row count can be read (SQLite takes it
//! from any index) the rows that could not be read are counted too.
//!
//! **What is recorded.** The new index keeps a record in `meta` (key `damaged:PATH` of the
//! damaged copy; value `MS RESTORED COMPLETE MISSING`: when it was set aside, responses
//! restored, `1` when nothing of the files gone from disk was lost and `0` when some may
//! have been, responses that could not be read or `-` when unknown), so every report can say
//! it ([`Damage::note`]) until the user acknowledges it by removing the damaged copy
//! ([`crate::ledger::Ledger::damage`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{Error, HIT_FILE};

/// Prefix of the `meta` keys of damage records.
pub(crate) const META_PREFIX: &str = "damaged:";

/// A damaged index set aside, and what could be restored from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// When it was set aside, ms since the epoch.
    pub at_ms: i64,
    /// Where the damaged copy is (`usage.sqlite3.unusable-<ms>`).
    pub aside: PathBuf,
    /// Responses of files no longer on disk copied from it into the new index.
    pub restored: u64,
    /// Whether everything of the files no longer on disk (and every limit reading) was read:
    /// then nothing is missing from reports.
    pub complete: bool,
    /// Responses that could not be read (of files gone or still on disk: those on disk were
    /// read again), when known (`None`: the count could not be read either).
    pub missing: Option<u64>,
}

impl Damage {
    /// The note every report carries while the damaged copy exists and something may be
    /// missing (once only when nothing is):
    /// `usage index: damaged on DATE; N responses of transcripts no longer on disk were
    /// restored from it, M (or: an unknown number) could not be read and are missing from
    /// this report; the damaged copy is at PATH (remove it to acknowledge this note)`.
    pub fn note(&self) -> String {
        let date = crate::timestamp::format_millis(self.at_ms)
            .map(|t| format!("{}Z", &t[..19].replace('T', " ")))
            .unwrap_or_else(|| self.at_ms.to_string());
        let plural = if self.restored == 1 { "" } else { "s" };
        if self.complete {
            return format!(
                "usage index: damaged on {date} and rebuilt; nothing was lost: {} response{plural} \
                 of transcripts no longer on disk were restored from it, the rest read again \
                 from the transcripts; the damaged copy is at {}",
                self.restored,
                self.aside.display()
            );
        }
        let missing = match self.missing {
            Some(n) => format!(
                "{n} more could not be read (those of transcripts still on disk were read again)"
            ),
            None => "an unknown number could not be read".to_owned(),
        };
        format!(
            "usage index: damaged on {date}; {} response{plural} of transcripts no longer on disk \
             were restored from it, {missing}: history of transcripts no longer on disk may be \
             missing from this report; the damaged copy is at {} (remove it to acknowledge \
             this note)",
            self.restored,
            self.aside.display()
        )
    }

    /// The `meta` value of this record.
    pub(crate) fn meta_value(&self) -> String {
        format!(
            "{} {} {} {}",
            self.at_ms,
            self.restored,
            u8::from(self.complete),
            self.missing.map_or("-".to_owned(), |n| n.to_string())
        )
    }

    /// The record of `meta` key `key` with value `value`, if it is one.
    pub(crate) fn from_meta(key: &str, value: &str) -> Option<Damage> {
        let aside = PathBuf::from(key.strip_prefix(META_PREFIX)?);
        let mut parts = value.split(' ');
        Some(Damage {
            at_ms: parts.next()?.parse().ok()?,
            restored: parts.next()?.parse().ok()?,
            complete: parts.next()? == "1",
            missing: parts.next().and_then(|m| m.parse().ok()),
            aside,
        })
    }
}

/// Rows read and ranges lost of one table.
#[derive(Debug, Default)]
struct Read {
    rows: u64,
    failed: u64,
}

/// Copies what `aside` (a damaged index, opened read-only) still holds into `new` (a fresh
/// index, in one transaction, with the damage record and the new index's `generation`), and says
/// what it did. `at_ms`: when it was set aside.
pub(crate) fn salvage(
    new: &mut Connection,
    aside: &Path,
    at_ms: i64,
    generation: &str,
) -> Result<Damage, Error> {
    let mut damage = Damage {
        at_ms,
        aside: aside.to_owned(),
        restored: 0,
        complete: false,
        missing: None,
    };
    let tx = new.transaction()?;
    if let Ok(old) = open_old(aside) {
        copy_all(&old, &tx, &mut damage)?;
    }
    record(&tx, &damage)?;
    record_generation(&tx, generation)?;
    tx.commit()?;
    Ok(damage)
}

/// Writes (or replaces) the index's generation (`generation` in `meta`: a new one for each
/// rebuild, by which a process that found the index damaged tells whether another one rebuilt
/// it meanwhile), in the caller's transaction.
pub(crate) fn record_generation(conn: &Connection, generation: &str) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('generation', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [generation],
    )?;
    Ok(())
}

/// Writes (or replaces) `damage`'s record in `meta`, in the caller's transaction.
pub(crate) fn record(conn: &Connection, damage: &Damage) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![
            format!("{META_PREFIX}{}", damage.aside.to_string_lossy()),
            damage.meta_value()
        ],
    )?;
    Ok(())
}

/// The damaged copy, read-only, its schema readable.
fn open_old(aside: &Path) -> rusqlite::Result<Connection> {
    let old = Connection::open_with_flags(
        aside,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Checks each cell's size as a page is read: more damage is an error, not garbage rows.
    old.pragma_update(None, "cell_size_check", true)?;
    old.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(old)
}

/// The columns of `table` in both databases, in `new`'s order.
fn shared_columns(old: &Connection, new: &Connection, table: &str) -> Vec<String> {
    let names = |c: &Connection| -> Vec<String> {
        c.prepare("SELECT name FROM pragma_table_info(?1)")
            .and_then(|mut s| {
                s.query_map([table], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap_or_default()
    };
    let have = names(old);
    names(new)
        .into_iter()
        .filter(|c| have.contains(c))
        .collect()
}

/// The values of column 0 of `sql`'s rows, until the end or the first error (damage).
fn walk(old: &Connection, sql: &str, out: &mut Vec<Value>) {
    let Ok(mut stmt) = old.prepare(sql) else {
        return;
    };
    let Ok(mut rows) = stmt.query([]) else {
        return;
    };
    while let Ok(Some(r)) = rows.next() {
        match r.get::<_, Value>(0) {
            Ok(v) => out.push(v),
            Err(_) => return,
        }
    }
}

/// The values of columns 0 and 1 of `sql`'s rows, until the end or the first error (damage).
fn walk_pairs(old: &Connection, sql: &str, out: &mut Vec<(Value, Value)>) {
    let Ok(mut stmt) = old.prepare(sql) else {
        return;
    };
    let Ok(mut rows) = stmt.query([]) else {
        return;
    };
    while let Ok(Some(r)) = rows.next() {
        match (r.get::<_, Value>(0), r.get::<_, Value>(1)) {
            (Ok(a), Ok(b)) => out.push((a, b)),
            _ => return,
        }
    }
}

/// Reads `table` of `old` around its damage ([module docs](self)): `key` its key column,
/// `int` whether that is an integer (a rowid), `extra` more walks giving keys (over its
/// indexes); each row read (the [`shared_columns`], in order) is given to `row`.
fn read_table(
    old: &Connection,
    table: &str,
    columns: &[String],
    key: &str,
    int: bool,
    extra: &[String],
    row: &mut dyn FnMut(&[Value]) -> Result<(), Error>,
) -> Result<Read, Error> {
    let mut read = Read::default();
    if columns.is_empty() {
        read.failed += 1;
        return Ok(read);
    }
    let mut keys = Vec::new();
    walk(
        old,
        &format!("SELECT {key} FROM {table} ORDER BY {key}"),
        &mut keys,
    );
    walk(
        old,
        &format!("SELECT {key} FROM {table} ORDER BY {key} DESC"),
        &mut keys,
    );
    for sql in extra {
        walk(old, sql, &mut keys);
    }
    let mut keys: Vec<Value> = keys
        .into_iter()
        .filter(|v| matches!(v, Value::Integer(_) | Value::Text(_)))
        .collect();
    keys.sort_by(compare);
    keys.dedup();
    let list = columns.join(", ");
    let at_key = columns.iter().position(|c| c == key).unwrap_or(usize::MAX);
    let mut ranges = vec![(None, None)];
    // Bounded: a table damaged all over is given up on rather than read key by key forever.
    let mut budget: u64 = 200_000;
    while let Some((lo, hi)) = ranges.pop() {
        let (sql, args): (String, Vec<&Value>) = match (&lo, &hi) {
            (None, None) => (format!("SELECT {list} FROM {table}"), vec![]),
            (Some(l), None) => (
                format!("SELECT {list} FROM {table} WHERE {key} >= ?1"),
                vec![l],
            ),
            (None, Some(h)) => (
                format!("SELECT {list} FROM {table} WHERE {key} < ?1"),
                vec![h],
            ),
            (Some(l), Some(h)) => (
                format!("SELECT {list} FROM {table} WHERE {key} >= ?1 AND {key} < ?2"),
                vec![l, h],
            ),
        };
        budget = budget.saturating_sub(1);
        // A read over a damaged page may also end early without an error (its garbled keys
        // mislead the search): a read that lacks a key known to be in its range failed too.
        let rows = rows_of(old, &sql, &args, columns.len()).and_then(|rows| {
            let from = lo
                .as_ref()
                .map_or(0, |l| keys.partition_point(|k| compare(k, l).is_lt()));
            let to = hi.as_ref().map_or(keys.len(), |h| {
                keys.partition_point(|k| compare(k, h).is_lt())
            });
            let mut got: Vec<&Value> = rows.iter().filter_map(|r| r.get(at_key)).collect();
            got.sort_by(|a, b| compare(a, b));
            let has = |k: &Value| got.binary_search_by(|g| compare(g, k)).is_ok();
            if keys[from..to.max(from)].iter().all(has) {
                Ok(rows)
            } else {
                Err(rusqlite::Error::QueryReturnedNoRows)
            }
        });
        match rows {
            Ok(rows) => {
                for r in &rows {
                    row(r)?;
                }
                read.rows += rows.len() as u64;
            }
            Err(_) => match split(&keys, lo.as_ref(), hi.as_ref(), int).filter(|_| budget > 0) {
                Some(mid) => {
                    ranges.push((Some(mid.clone()), hi));
                    ranges.push((lo, Some(mid)));
                }
                None => {
                    read.failed += 1;
                    // The one key the range starts at may still be read (the gap after it
                    // is lost).
                    if let Some(l) = &lo {
                        let sql = format!("SELECT {list} FROM {table} WHERE {key} = ?1");
                        if let Ok(rows) = rows_of(old, &sql, &[l], columns.len()) {
                            for r in &rows {
                                row(r)?;
                            }
                            read.rows += rows.len() as u64;
                        }
                    }
                }
            },
        }
    }
    Ok(read)
}

/// SQLite's order of two keys (integers before text; text by bytes, as `BINARY`).
fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Integer(_), _) => std::cmp::Ordering::Less,
        (_, Value::Integer(_)) => std::cmp::Ordering::Greater,
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => std::cmp::Ordering::Equal,
    }
}

/// A key strictly inside (`lo`, `hi`) to split a failed range at: the middle one of the keys
/// known there, else (integers) the middle value; `None` when the range cannot be split.
fn split(keys: &[Value], lo: Option<&Value>, hi: Option<&Value>, int: bool) -> Option<Value> {
    let from = lo.map_or(0, |l| keys.partition_point(|k| compare(k, l).is_le()));
    let to = hi.map_or(keys.len(), |h| {
        keys.partition_point(|k| compare(k, h).is_lt())
    });
    if from < to {
        return Some(keys[(from + to) / 2].clone());
    }
    if !int {
        return None;
    }
    let as_int = |v: Option<&Value>, none: i64| match v {
        Some(Value::Integer(i)) => *i,
        _ => none,
    };
    let (l, h) = (as_int(lo, i64::MIN), as_int(hi, i64::MAX));
    let mid = l + ((h as i128 - l as i128) / 2) as i64;
    (mid > l && mid < h).then_some(Value::Integer(mid))
}

/// Every row of `sql`, or the first error (a row half read is not given).
fn rows_of(
    old: &Connection,
    sql: &str,
    args: &[&Value],
    width: usize,
) -> rusqlite::Result<Vec<Vec<Value>>> {
    let mut stmt = old.prepare_cached(sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(width);
        for i in 0..width {
            row.push(r.get::<_, Value>(i)?);
        }
        out.push(row);
    }
    Ok(out)
}

/// A row's value of `column` (by its place in `columns`).
fn at<'r>(columns: &[String], row: &'r [Value], column: &str) -> Option<&'r Value> {
    columns.iter().position(|c| c == column).map(|i| &row[i])
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Integer(i)) => Some(*i),
        _ => None,
    }
}

/// Old ids to new ones, of names and files.
struct Ids {
    names: HashMap<i64, i64>,
    files: HashMap<i64, i64>,
    /// Ids of files on disk (copied, to be read again from their start; not counted restored).
    present: HashSet<i64>,
    /// Old ids of files whose row was lost, given a placeholder row ([`Ids::file`]).
    placeholders: HashSet<i64>,
    aside: String,
}

impl Ids {
    /// The new id of file `old` (a file row whose own row could not be read gets a
    /// placeholder row, so no file read later takes its id).
    fn file(&mut self, tx: &Connection, old: i64) -> Result<i64, Error> {
        if let Some(&id) = self.files.get(&old) {
            return Ok(id);
        }
        let path = format!("{} (file {old}, its row unreadable)", self.aside);
        tx.execute(
            "INSERT OR IGNORE INTO files (path, dev, ino, consumed, line, present, updated_ms)
             VALUES (?1, 0, 0, 0, 1, 0, 0)",
            [&path],
        )?;
        let id = tx.query_row("SELECT id FROM files WHERE path = ?1", [&path], |r| {
            r.get(0)
        })?;
        self.files.insert(old, id);
        self.placeholders.insert(old);
        Ok(id)
    }

    /// `row` with its name ids (`names`) and file id mapped to the new index's; `None` when a
    /// name that must be there (`required`) was lost.
    fn map(
        &mut self,
        tx: &Connection,
        columns: &[String],
        row: &[Value],
        names: &[&str],
        required: &[&str],
    ) -> Result<Option<Vec<Value>>, Error> {
        let mut out = row.to_vec();
        for (i, c) in columns.iter().enumerate() {
            if names.contains(&c.as_str()) {
                if let Value::Integer(old) = out[i] {
                    out[i] = match self.names.get(&old) {
                        Some(&id) => Value::Integer(id),
                        None if required.contains(&c.as_str()) => return Ok(None),
                        None => Value::Null,
                    };
                }
            } else if c == "file_id" {
                if let Value::Integer(old) = out[i] {
                    out[i] = Value::Integer(self.file(tx, old)?);
                }
            }
        }
        Ok(Some(out))
    }
}

/// A table keyed by its text column `key` whose rows are copied as they are but for their ids
/// (tool calls, the other files and sessions of responses); `limit_hits` (its key names its
/// file) and `responses` (counted) are copied apart.
struct RowCopy {
    table: &'static str,
    /// Its columns holding `names` ids.
    names: &'static [&'static str],
    /// Those without which a row is dropped when their name was lost ([`Ids::map`]).
    required: &'static [&'static str],
}

impl RowCopy {
    /// Copies the rows of the table that `wanted` takes (given the columns read and the row),
    /// with their ids mapped ([`Ids::map`]), noting each one's session in `sessions` (whose
    /// spans are copied after); gives the number of key ranges that could not be read.
    fn rows(
        &self,
        old: &Connection,
        tx: &Connection,
        ids: &mut Ids,
        sessions: &mut HashSet<i64>,
        wanted: &dyn Fn(&[String], &[Value]) -> bool,
    ) -> Result<u64, Error> {
        let cols = shared_columns(old, tx, self.table);
        let read = read_table(old, self.table, &cols, "key", false, &[], &mut |r| {
            if wanted(&cols, r) {
                if let Some(row) = ids.map(tx, &cols, r, self.names, self.required)? {
                    if let Some(s) = int(at(&cols, r, "session")) {
                        sessions.insert(s);
                    }
                    insert(tx, self.table, &cols, &row)?;
                }
            }
            Ok(())
        })?;
        Ok(read.failed)
    }
}

/// Inserts `row` (of `columns`) into `table`, unless a row with its key is there.
fn insert(tx: &Connection, table: &str, columns: &[String], row: &[Value]) -> Result<bool, Error> {
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT OR IGNORE INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        marks.join(", ")
    );
    Ok(tx
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(row.iter()))?
        > 0)
}

/// Copies every table's rows ([`salvage`]).
fn copy_all(old: &Connection, tx: &Connection, damage: &mut Damage) -> Result<(), Error> {
    let mut ids = Ids {
        names: HashMap::new(),
        files: HashMap::new(),
        present: HashSet::new(),
        placeholders: HashSet::new(),
        aside: damage.aside.to_string_lossy().into_owned(),
    };
    // Names, by text (the new index may hold some already).
    let cols = vec!["id".to_owned(), "text".to_owned()];
    let names = read_table(old, "names", &cols, "id", true, &[], &mut |r| {
        if let (Value::Integer(id), Value::Text(text)) = (&r[0], &r[1]) {
            let new: i64 = tx
                .prepare_cached(
                    "INSERT INTO names (text) VALUES (?1)
                     ON CONFLICT(text) DO UPDATE SET text = excluded.text RETURNING id",
                )?
                .query_row([text], |r| r.get(0))?;
            ids.names.insert(*id, new);
        }
        Ok(())
    })?;
    // Files: all kept; those gone marked not present, those on disk to be read from the start.
    let cols = shared_columns(old, tx, "files");
    let mut gone_files = 0u64;
    let mut files_skipped = 0u64;
    let files = read_table(old, "files", &cols, "id", true, &[], &mut |r| {
        let (Some(id), Some(Value::Text(path))) = (int(at(&cols, r, "id")), at(&cols, r, "path"))
        else {
            return Ok(());
        };
        // A file on disk is kept too (one outside the default folders, `aegon usage
        // ~/backup/x.jsonl`, is not read again by a later default run), with its progress at
        // its start: the next read of it starts over and replaces these rows
        // (`forget_file`).
        let on_disk = Path::new(path).is_file();
        if on_disk {
            ids.present.insert(id);
        } else {
            gone_files += 1;
        }
        let mut row = r.to_vec();
        let keep: Vec<String> = cols.iter().filter(|c| *c != "id").cloned().collect();
        row.retain_with_index(&cols, "id");
        let reset: &[(&str, Value)] = if on_disk {
            &[
                ("consumed", Value::Integer(0)),
                ("line", Value::Integer(1)),
                ("open_tail", Value::Integer(0)),
                ("tail_hash", Value::Null),
            ]
        } else {
            &[("present", Value::Integer(0))]
        };
        for (column, value) in reset {
            if let Some(i) = keep.iter().position(|c| c == column) {
                row[i] = value.clone();
            }
        }
        insert(tx, "files", &keep, &row)?;
        // Not there when the insert was ignored (a damaged page read a NOT NULL column as
        // NULL): its rows then get a placeholder file ([`Ids::file`]); counted as lost.
        let new: Option<i64> = tx
            .query_row("SELECT id FROM files WHERE path = ?1", [path], |r| r.get(0))
            .optional()?;
        match new {
            Some(new) => {
                ids.files.insert(id, new);
            }
            None => files_skipped += 1,
        }
        Ok(())
    })?;
    // File rows on a damaged page of the table: their ids and paths are also in the index of
    // paths (UNIQUE), read alone (a covering index: the table's pages are not read). Each is
    // kept as the others are, with what else its row held lost: on disk, read again from its
    // start; gone, its responses restored.
    let mut by_index = Vec::new();
    for order in ["", " DESC"] {
        walk_pairs(
            old,
            &format!(
                "SELECT id, path FROM files INDEXED BY sqlite_autoindex_files_1 ORDER BY path{order}"
            ),
            &mut by_index,
        );
    }
    let mut files_recovered = 0u64;
    for (id, path) in by_index {
        let (Value::Integer(id), Value::Text(path)) = (id, path) else {
            continue;
        };
        if ids.files.contains_key(&id) {
            continue;
        }
        let on_disk = Path::new(&path).is_file();
        tx.execute(
            "INSERT OR IGNORE INTO files (path, dev, ino, consumed, line, present, updated_ms)
             VALUES (?1, 0, 0, 0, 1, ?2, 0)",
            params![path, on_disk],
        )?;
        let new: Option<i64> = tx
            .query_row("SELECT id FROM files WHERE path = ?1", [&path], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(new) = new {
            ids.files.insert(id, new);
            files_recovered += 1;
            if on_disk {
                ids.present.insert(id);
            } else {
                gone_files += 1;
            }
        }
    }
    // Every file row known after all (the table's count, which SQLite reads from an index,
    // is what was read): none of the files' history is unplaced.
    let file_count: Option<i64> = old
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .optional()
        .ok()
        .flatten();
    let files_failed = if files_recovered > 0
        && file_count.is_some_and(|n| u64::try_from(n).ok() == Some(ids.files.len() as u64))
    {
        0
    } else {
        files.failed
    };
    let mut failed_gone = names.failed + files_failed + files_skipped;
    let mut sessions: HashSet<i64> = HashSet::new();
    let mut keys: HashSet<String> = HashSet::new();
    // Responses of files gone from disk (and of files whose row was lost: not known on disk).
    let cols = shared_columns(old, tx, "responses");
    let response_names = [
        "session",
        "project",
        "model",
        "speed",
        "service_tier",
        "inference_geo",
        "agent",
    ];
    let extra = [
        "SELECT key FROM responses INDEXED BY responses_ts ORDER BY ts_ms".to_owned(),
        "SELECT key FROM responses INDEXED BY responses_ts ORDER BY ts_ms DESC".to_owned(),
        "SELECT key FROM responses INDEXED BY responses_session ORDER BY session".to_owned(),
        "SELECT key FROM responses INDEXED BY responses_session ORDER BY session DESC".to_owned(),
    ];
    let mut restored = 0u64;
    let responses = read_table(old, "responses", &cols, "key", false, &extra, &mut |r| {
        let Some(file) = int(at(&cols, r, "file_id")) else {
            return Ok(());
        };
        if let Some(row) = ids.map(tx, &cols, r, &response_names, &[])? {
            if let Some(s) = int(at(&cols, r, "session")) {
                sessions.insert(s);
            }
            if let Some(Value::Text(k)) = at(&cols, r, "key") {
                keys.insert(k.clone());
            }
            if insert(tx, "responses", &cols, &row)? && !ids.present.contains(&file) {
                restored += 1;
            }
        }
        Ok(())
    })?;
    damage.restored = restored;
    failed_gone += responses.failed;
    // The other rows of those files, and of those responses.
    let has_file = |cols: &[String], r: &[Value]| int(at(cols, r, "file_id")).is_some();
    let copy = RowCopy {
        table: "tools",
        names: &["session", "project", "tool", "agent"],
        required: &[],
    };
    failed_gone += copy.rows(old, tx, &mut ids, &mut sessions, &has_file)?;
    let cols = shared_columns(old, tx, "limit_hits");
    let mut hits_skipped = 0u64;
    let hits = read_table(old, "limit_hits", &cols, "key", false, &[], &mut |r| {
        let Some(file) = int(at(&cols, r, "file_id")) else {
            return Ok(());
        };
        // The key names the file by its id: the new one. A hit whose file row was lost would
        // get a placeholder id, so its key would differ from the one the file (if it is on
        // disk after all) gives when read again, and the message count twice: lost instead.
        let Some(&new) = ids
            .files
            .get(&file)
            .filter(|_| !ids.placeholders.contains(&file))
        else {
            hits_skipped += 1;
            return Ok(());
        };
        if let Some(mut row) = ids.map(tx, &cols, r, &["session"], &[])? {
            if let Some(i) = cols.iter().position(|c| c == "key") {
                if let Value::Text(k) = &row[i] {
                    if let Some((message, id)) = k.rsplit_once(HIT_FILE) {
                        if id == file.to_string() {
                            row[i] = Value::Text(format!("{message}{HIT_FILE}{new}"));
                        }
                    }
                }
            }
            insert(tx, "limit_hits", &cols, &row)?;
        }
        Ok(())
    })?;
    failed_gone += hits.failed + hits_skipped;
    let copy = RowCopy {
        table: "response_files",
        names: &["session"],
        required: &["session"],
    };
    failed_gone += copy.rows(old, tx, &mut ids, &mut sessions, &has_file)?;
    let of_a_response = |cols: &[String], r: &[Value]| matches!(at(cols, r, "key"), Some(Value::Text(k)) if keys.contains(k));
    let copy = RowCopy {
        table: "response_sessions",
        names: &["session", "project"],
        required: &["session"],
    };
    failed_gone += copy.rows(old, tx, &mut ids, &mut sessions, &of_a_response)?;
    let cols = shared_columns(old, tx, "session_spans");
    let spans = read_table(
        old,
        "session_spans",
        &cols,
        "session",
        true,
        &[],
        &mut |r| {
            if int(at(&cols, r, "session")).is_some_and(|s| sessions.contains(&s)) {
                if let Some(row) = ids.map(tx, &cols, r, &["session"], &["session"])? {
                    insert(tx, "session_spans", &cols, &row)?;
                }
            }
            Ok(())
        },
    )?;
    failed_gone += spans.failed;
    // Official limit readings are held nowhere else: all of them.
    let cols: Vec<String> = shared_columns(old, tx, "limit_readings");
    let keep: Vec<String> = cols.iter().filter(|c| *c != "id").cloned().collect();
    let readings = read_table(old, "limit_readings", &cols, "id", true, &[], &mut |r| {
        let mut row = r.to_vec();
        row.retain_with_index(&cols, "id");
        insert(tx, "limit_readings", &keep, &row)?;
        Ok(())
    })?;
    // Responses that left the index and are not said yet (an additive table: absent from an
    // index a build without it made): held nowhere else,
    // all that can be read (what cannot is a note lost, not history: not counted as damage).
    let cols: Vec<String> = shared_columns(old, tx, "dropped_responses");
    if !cols.is_empty() {
        read_table(old, "dropped_responses", &cols, "id", true, &[], &mut |r| {
            insert(tx, "dropped_responses", &cols, r)?;
            Ok(())
        })?;
    }
    // Earlier damage records the damaged index carried on.
    let mut earlier = Vec::new();
    if let Ok(mut stmt) = old.prepare("SELECT key, value FROM meta WHERE key >= ?1 AND key < ?2") {
        if let Ok(rows) = stmt.query_map([META_PREFIX, "damaged;"], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        }) {
            earlier.extend(rows.flatten());
        }
    }
    for (k, v) in earlier {
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            [k, v],
        )?;
    }
    // Lost only when something of the files gone from disk could not be read: with every
    // file row read and none gone, what failed was of files read again.
    let nothing_gone = files_failed == 0 && gone_files == 0;
    damage.complete = readings.failed == 0 && (nothing_gone || failed_gone == 0);
    if !damage.complete {
        let total: Option<i64> = old
            .query_row("SELECT count(*) FROM responses", [], |r| r.get(0))
            .optional()
            .ok()
            .flatten();
        damage.missing =
            total.map(|t| u64::try_from(t).unwrap_or(0).saturating_sub(responses.rows));
    }
    Ok(())
}

/// Removing one column's value from a row by the column's name.
trait RetainWithIndex {
    fn retain_with_index(&mut self, columns: &[String], drop: &str);
}

impl RetainWithIndex for Vec<Value> {
    fn retain_with_index(&mut self, columns: &[String], drop: &str) {
        if let Some(i) = columns.iter().position(|c| c == drop) {
            self.remove(i);
        }
    }
}
