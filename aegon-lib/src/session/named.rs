//! Subagents and workflow runs a session names, and which of them were read: the one rule
//! that makes a session's cost a lower bound when usage it names was never read
//! ([`crate::tokens::Unread::Subagent`]).
//!
//! The session core ([`super::Session::named`]) and the OTLP renderer (its root span's cost)
//! both feed every event of a session to a [`Named`] and ask it the same questions, so they
//! cannot disagree. The rule, from what Claude Code writes (FORMAT.md §1):
//!
//! - A subagent is **named** by a Task result (`toolUseResult.agentId`, also a background
//!   run's `isAsync` result read before its call) or by an `agent_progress` line of the main
//!   chain (`data.agentId`). It is **read** once a line of its own (`agentId`) is. When its
//!   Task result records usage of its own (`totalTokens` above 0), a line of one of its API
//!   responses must be read too (its usage event, or a text, thinking or tool call block of
//!   it: each such line carries the response's usage, which the correlator may have passed
//!   already, from a copy): a transcript cut after its prompt line (tester13 #6) holds none of
//!   the usage the result counts.
//! - A workflow run is **named** by the result that launched it (`taskType`
//!   `local_workflow`, its `runId`) and **read** once a line of one of its agents is; an
//!   agent's line tells its run only by its file's path ([`super::workflow_run_of_path`],
//!   found once per file by the caller: [`super::RunOfFile`]).
//! - A copy of a subagent's response in an `agent_progress` line of its parent
//!   ([`Event::copied`]: its usage counts as the subagent's) reads **none of its lines**: the
//!   subagent stays unread while no line of its own is, its usage counted from the copies
//!   ([`Named::copied_subagents`]: a lower bound, the copies being the first streamed line of
//!   some of its responses). Nor does a copied usage stand for the usage its Task result
//!   records: a transcript cut after its prompt line with copies of some of its responses in
//!   its parent is still missing the others.
//! - At the end of the input ([`Named::settle`]), what was read in any session of the run is
//!   read for every session that names it: a resumed session's copied lines name its
//!   original's subagents, whose lines carry the original's session id (tester13 #1).
//!
//! Subagent ids and run ids are kept apart: a run id (`wf_…`) is never taken for an agent id.

use std::collections::{BTreeMap, HashSet};

use crate::event::{Event, EventKind};

use super::{records_usage, workflow_run_launched};

/// Which of the two things a session names a [`Named`] fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamedKind {
    /// A subagent, by its agent id.
    Subagent,
    /// A workflow run, by its run id (`wf_…`).
    Run,
}

impl NamedKind {
    /// Its code in the usage index (`file_named.kind`): 0 a subagent, 1 a run.
    pub fn code(self) -> i64 {
        match self {
            NamedKind::Subagent => 0,
            NamedKind::Run => 1,
        }
    }

    /// The kind of a code ([`NamedKind::code`]); `None` for a code no build wrote.
    pub fn from_code(code: i64) -> Option<NamedKind> {
        match code {
            0 => Some(NamedKind::Subagent),
            1 => Some(NamedKind::Run),
            _ => None,
        }
    }
}

/// Fact flag ([`Named::facts`]): a Task result or main-chain `agent_progress` line names the
/// subagent; the session launched the run.
pub const NAMED: u8 = 1;
/// Fact flag: the subagent's Task result records usage of its own (`totalTokens` above 0).
pub const USAGE_NAMED: u8 = 2;
/// Fact flag: a line of the subagent (of one of the run's agents) was read.
pub const READ: u8 = 4;
/// Fact flag: one of the subagent's usage events was read.
pub const USAGE_READ: u8 = 8;
/// Fact flag: one of the subagent's usage events was read from a copy in its parent's
/// `agent_progress` lines ([`Event::copied`]).
pub const USAGE_COPIED: u8 = 16;

/// What a session knows of one subagent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct AgentSeen {
    /// A Task result or a main-chain `agent_progress` line names it.
    named: bool,
    /// Its Task result records usage of its own (`totalTokens` above 0).
    usage_named: bool,
    /// A line of its own was read.
    read: bool,
    /// A line of one of its API responses was read: a usage event of its own, or a text,
    /// thinking or tool call block of one (a response's lines each carry its usage; the
    /// correlator passes its usage once, and a copy in the parent may have passed it first).
    usage_read: bool,
    /// One of its usage events was read from a copy in its parent's transcript
    /// ([`Event::copied`]).
    usage_copied: bool,
}

impl AgentSeen {
    /// Named, and its usage missing: no line of it read, or none of the usage its result
    /// records.
    fn unread(self) -> bool {
        self.named && (!self.read || (self.usage_named && !self.usage_read))
    }
}

/// What a session knows of one workflow run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct RunSeen {
    /// The session launched it.
    launched: bool,
    /// A line of one of its agents was read.
    read: bool,
}

/// The subagents and workflow runs one session names, and which of them were read (see the
/// [module documentation](self) for the rule). Fed every event of its session with
/// [`Named::observe`]; [`Named::merge`]d like the session; [`Named::settle`]d over all the
/// sessions of a run when the input ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// Subagents named or read, by agent id.
    subagents: BTreeMap<String, AgentSeen>,
    /// Workflow runs launched or read, by run id (`wf_…`).
    runs: BTreeMap<String, RunSeen>,
}

impl Named {
    /// Nothing named or read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in one event of the session. `run` is the workflow run the event's file belongs
    /// to ([`super::workflow_run_of_path`] of `event.source.file`; the caller finds it once per
    /// file, [`super::RunOfFile`]); it counts only for a subagent's line.
    #[inline]
    pub fn observe(&mut self, event: &Event<'_>, run: Option<&str>) {
        // Most events are none of these: they cost a test here, not a call.
        if event.agent_id.is_some()
            || matches!(
                event.kind,
                EventKind::ToolResult { .. } | EventKind::Progress { .. }
            )
        {
            self.take_in(event, run);
        }
    }

    /// [`Named::observe`] of an event of a subagent, a tool result or a progress line.
    fn take_in(&mut self, event: &Event<'_>, run: Option<&str>) {
        if let Some(agent) = event.agent_id.as_deref().filter(|_| event.copied) {
            // A copy of one of its responses: no line of its own (see the module's rule).
            if matches!(event.kind, EventKind::Usage { .. }) {
                self.agent(agent, |seen| seen.usage_copied = true);
            }
            return;
        }
        if let Some(agent) = event.agent_id.as_deref() {
            let usage = matches!(
                event.kind,
                EventKind::Usage { .. }
                    | EventKind::AssistantText { .. }
                    | EventKind::Thinking { .. }
                    | EventKind::ToolCall { .. }
            );
            self.agent(agent, |seen| {
                seen.read = true;
                seen.usage_read |= usage;
            });
            if let Some(run) = run {
                match self.runs.get_mut(run) {
                    Some(seen) => seen.read = true,
                    None => {
                        let seen = RunSeen {
                            launched: false,
                            read: true,
                        };
                        self.runs.insert(run.to_owned(), seen);
                    }
                }
            }
        }
        match &event.kind {
            EventKind::ToolResult {
                raw_result,
                spawned_agent_id,
                ..
            } => {
                if let Some(run) = raw_result.and_then(workflow_run_launched) {
                    self.runs.entry(run).or_default().launched = true;
                }
                if let Some(agent) = spawned_agent_id {
                    let records = raw_result.is_some_and(records_usage);
                    self.agent(agent, |seen| {
                        seen.named = true;
                        seen.usage_named |= records;
                    });
                }
            }
            // A running subagent reported in its parent's transcript (2.1.2x–2.1.7x).
            EventKind::Progress {
                agent_id: Some(agent),
                ..
            } if event.agent_id.is_none() => self.agent(agent, |seen| seen.named = true),
            _ => {}
        }
    }

    /// Updates the entry of the subagent `id` with `change`, made on first sight (the id
    /// copied then only: most lines are of a subagent met before).
    fn agent(&mut self, id: &str, change: impl FnOnce(&mut AgentSeen)) {
        match self.subagents.get_mut(id) {
            Some(seen) => change(seen),
            None => {
                let mut seen = AgentSeen::default();
                change(&mut seen);
                self.subagents.insert(id.to_owned(), seen);
            }
        }
    }

    /// The ids of the subagents named (a Task result's `agentId`, an `agent_progress` line's)
    /// whose usage was not read: no line of them, or none of the usage their Task result
    /// records. In id order.
    pub fn unread_subagents(&self) -> impl Iterator<Item = &str> {
        self.subagents
            .iter()
            .filter(|(_, seen)| seen.unread())
            .map(|(id, _)| id.as_str())
    }

    /// The ids of the subagents of [`Named::unread_subagents`] whose usage was counted in part
    /// from copies of their lines in their parent's transcript (`agent_progress` lines,
    /// [`Event::copied`]): what the copies hold, a lower bound of their usage. In id order.
    pub fn copied_subagents(&self) -> impl Iterator<Item = &str> {
        self.subagents
            .iter()
            .filter(|(_, seen)| seen.unread() && seen.usage_copied)
            .map(|(id, _)| id.as_str())
    }

    /// The ids of the workflow runs launched (`toolUseResult.runId`, `wf_…`) of which no
    /// agent's line was read. In id order.
    pub fn unread_runs(&self) -> impl Iterator<Item = &str> {
        self.runs
            .iter()
            .filter(|(_, seen)| seen.launched && !seen.read)
            .map(|(id, _)| id.as_str())
    }

    /// The ids of the workflow runs launched, read or not. In id order.
    pub fn launched_runs(&self) -> impl Iterator<Item = &str> {
        self.runs
            .iter()
            .filter(|(_, seen)| seen.launched)
            .map(|(id, _)| id.as_str())
    }

    /// The ids of the subagents named, read or not. In id order.
    pub fn named_subagents(&self) -> impl Iterator<Item = &str> {
        self.subagents
            .iter()
            .filter(|(_, seen)| seen.named)
            .map(|(id, _)| id.as_str())
    }

    /// True when everything named was read: no usage of the session is known to be missing.
    pub fn all_read(&self) -> bool {
        self.unread_subagents().next().is_none() && self.unread_runs().next().is_none()
    }

    /// Adds what another part of the same session knew (its events read elsewhere, in
    /// another thread): named or read on either side is named or read.
    pub fn merge(&mut self, theirs: Named) {
        for (id, t) in theirs.subagents {
            let ours = self.subagents.entry(id).or_default();
            ours.named |= t.named;
            ours.usage_named |= t.usage_named;
            ours.read |= t.read;
            ours.usage_read |= t.usage_read;
            ours.usage_copied |= t.usage_copied;
        }
        for (id, t) in theirs.runs {
            let ours = self.runs.entry(id).or_default();
            ours.launched |= t.launched;
            ours.read |= t.read;
        }
    }

    /// What this knows, one fact per subagent or workflow run: its kind, id and flags
    /// ([`NAMED`], [`USAGE_NAMED`], [`READ`], [`USAGE_READ`], [`USAGE_COPIED`]; a run has no
    /// usage flags), in
    /// kind then id order. [`Named::add_fact`] of each gives the same `Named` back: the usage
    /// index stores them per file ([`crate::ledger`]'s `file_named`).
    pub fn facts(&self) -> impl Iterator<Item = (NamedKind, &str, u8)> {
        let bit = |on: bool, flag: u8| if on { flag } else { 0 };
        let agents = self.subagents.iter().map(move |(id, s)| {
            let flags = bit(s.named, NAMED)
                | bit(s.usage_named, USAGE_NAMED)
                | bit(s.read, READ)
                | bit(s.usage_read, USAGE_READ)
                | bit(s.usage_copied, USAGE_COPIED);
            (NamedKind::Subagent, id.as_str(), flags)
        });
        let runs = self.runs.iter().map(move |(id, s)| {
            let flags = bit(s.launched, NAMED) | bit(s.read, READ);
            (NamedKind::Run, id.as_str(), flags)
        });
        agents.chain(runs)
    }

    /// Adds one fact ([`Named::facts`]): named or read here, or before, is named or read.
    /// Flags a run has not (usage) are ignored for it.
    pub fn add_fact(&mut self, kind: NamedKind, id: &str, flags: u8) {
        match kind {
            NamedKind::Subagent => self.agent(id, |seen| {
                seen.named |= flags & NAMED != 0;
                seen.usage_named |= flags & USAGE_NAMED != 0;
                seen.read |= flags & READ != 0;
                seen.usage_read |= flags & USAGE_READ != 0;
                seen.usage_copied |= flags & USAGE_COPIED != 0;
            }),
            NamedKind::Run => {
                let seen = self.runs.entry(id.to_owned()).or_default();
                seen.launched |= flags & NAMED != 0;
                seen.read |= flags & READ != 0;
            }
        }
    }

    /// The notes `aegon --summary` gives for the session `id` when something it names was
    /// not read (none when [`Named::all_read`]): one for its workflow runs, one for its
    /// subagents, each saying where Claude Code keeps what is missing. `aegon usage` gives
    /// the same words.
    pub fn notes(&self, id: &str) -> Vec<String> {
        let mut notes = Vec::new();
        let runs: Vec<&str> = self.unread_runs().collect();
        if !runs.is_empty() {
            let (named, its) = match runs.as_slice() {
                [one] => (format!("workflow run {one}"), "its"),
                _ => (format!("workflow runs {}", runs.join(", ")), "their"),
            };
            notes.push(format!(
                "session {id}: launched {named}, but no line of {its} agents' transcripts was \
                 read: {its} usage is not counted (Claude Code keeps it in \
                 {id}/subagents/workflows/{first}/agent-*.jsonl)",
                first = runs[0],
            ));
        }
        // A subagent whose usage was read only from its copies in the session's progress
        // lines ([`Event::copied`]) is counted, as a lower bound.
        let copied: Vec<&str> = self.copied_subagents().collect();
        let (copied, not): (Vec<&str>, Vec<&str>) =
            self.unread_subagents().partition(|id| copied.contains(id));
        for (ids, counted) in [
            (not, "is not counted"),
            (
                copied,
                "is counted only from the copies of its responses in the session's progress \
                 lines, a lower bound",
            ),
        ] {
            if ids.is_empty() {
                continue;
            }
            let (named, its, counted) = match ids.as_slice() {
                [one] => (format!("subagent {one} is"), "its", counted.to_owned()),
                _ => (
                    format!("subagents {} are", ids.join(", ")),
                    "their",
                    counted.replace(" its ", " their "),
                ),
            };
            notes.push(format!(
                "session {id}: {named} named in its Task results or progress lines, but no line \
                 of {its} transcript was read, or none with the usage {its} Task result records: \
                 {its} usage {counted} (Claude Code keeps it in \
                 {id}/subagents/agent-{first}.jsonl, before 2.1 in agent-{first}.jsonl beside \
                 the session's file)",
                first = ids[0],
            ));
        }
        notes
    }

    /// Settles the sessions of one run when its input has ended: a subagent (its lines, its
    /// usage) or a workflow run read in any of them is read in every one that names it.
    pub fn settle<'a>(all: impl IntoIterator<Item = &'a mut Named>) {
        let mut all: Vec<&mut Named> = all.into_iter().collect();
        if all.iter().all(|n| n.all_read()) {
            return;
        }
        let mut read: HashSet<String> = HashSet::new();
        let mut usage_read: HashSet<String> = HashSet::new();
        let mut usage_copied: HashSet<String> = HashSet::new();
        let mut runs_read: HashSet<String> = HashSet::new();
        for n in &all {
            for (id, seen) in &n.subagents {
                if seen.read {
                    read.insert(id.clone());
                }
                if seen.usage_read {
                    usage_read.insert(id.clone());
                }
                if seen.usage_copied {
                    usage_copied.insert(id.clone());
                }
            }
            for (id, seen) in &n.runs {
                if seen.read {
                    runs_read.insert(id.clone());
                }
            }
        }
        for n in &mut all {
            for (id, seen) in n.subagents.iter_mut().filter(|(_, s)| s.named) {
                seen.read |= read.contains(id);
                seen.usage_read |= usage_read.contains(id);
                seen.usage_copied |= usage_copied.contains(id);
            }
            for (id, seen) in n.runs.iter_mut().filter(|(_, s)| s.launched) {
                seen.read |= runs_read.contains(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Source;
    use crate::format::claude::decode::bare_event;
    use std::borrow::Cow;

    /// A Task result's `toolUseResult` that records its subagent's usage (the shape of
    /// marot/spotter 258c7280's, `"totalTokens":43179`).
    const TASK_DONE: &str = r#"{"status":"completed","agentId":"a881341","totalTokens":43179}"#;
    /// A workflow launch's `toolUseResult` (austinweitao/claude-backup 3e89eb15's shape).
    const LAUNCH: &str = r#"{"status":"async_launched","taskType":"local_workflow","runId":"wf_4af3c93a-ada","transcriptDir":"x"}"#;

    fn event(agent_id: Option<&'static str>, kind: EventKind<'static>) -> Event<'static> {
        let source = Source {
            file: "t.jsonl",
            line: 1,
            offset: 0,
        };
        Event {
            session_id: Some(Cow::Borrowed("s")),
            agent_id: agent_id.map(Cow::Borrowed),
            sidechain: agent_id.is_some(),
            ..bare_event(source, kind)
        }
    }

    fn result(spawned: Option<&'static str>, raw: &'static str) -> EventKind<'static> {
        EventKind::ToolResult {
            tool_use_id: Some(Cow::Borrowed("toolu_1")),
            is_error: false,
            tool: None,
            duration_ms: None,
            content: None,
            spawned_agent_id: spawned.map(Cow::Borrowed),
            raw_result: Some(raw),
        }
    }

    fn text() -> EventKind<'static> {
        EventKind::UserPrompt { text: "go".into() }
    }

    fn usage() -> EventKind<'static> {
        EventKind::Usage {
            message_id: Some(Cow::Borrowed("msg_1")),
            request_id: None,
            model: Some(Cow::Borrowed("claude-sonnet-4-5")),
            tokens: crate::tokens::Tokens::default(),
            increment: false,
            factors: crate::tokens::PriceFactors::default(),
            reasoning: None,
            unread: None,
            context: None,
            window: None,
            repriced: None,
        }
    }

    fn unread(n: &Named) -> (Vec<&str>, Vec<&str>) {
        (n.unread_subagents().collect(), n.unread_runs().collect())
    }

    #[test]
    fn a_subagent_named_is_unread_until_a_line_of_it_and_of_its_recorded_usage_is_read() {
        let mut n = Named::new();
        n.observe(&event(None, result(Some("a881341"), TASK_DONE)), None);
        assert_eq!(unread(&n), (vec!["a881341"], vec![]));
        // Its prompt line only (a transcript cut there): the usage its result records is not.
        n.observe(&event(Some("a881341"), text()), None);
        assert_eq!(unread(&n), (vec!["a881341"], vec![]));
        n.observe(&event(Some("a881341"), usage()), None);
        assert!(n.all_read(), "{n:?}");
        // A result recording no usage (a background launch): a line of it is enough.
        let mut n = Named::new();
        n.observe(
            &event(
                None,
                result(Some("b1"), r#"{"isAsync":true,"agentId":"b1"}"#),
            ),
            None,
        );
        n.observe(&event(Some("b1"), text()), None);
        assert!(n.all_read(), "{n:?}");
    }

    /// marot/spotter 258c7280 without its subagent's transcript: the usage its parent's
    /// `agent_progress` lines copy counts, but no line of its own was read: it stays unread,
    /// said as counted from the copies; so with only its prompt line read (tester13 #6), the
    /// copies not standing for the usage its Task result records; read with a line of one of
    /// its responses, in whichever part, it is read.
    #[test]
    fn a_copied_usage_is_no_line_of_the_subagent_but_counts_as_its_usage() {
        let copied = || Event {
            copied: true,
            ..event(Some("a881341"), usage())
        };
        let mut n = Named::new();
        n.observe(&event(None, result(Some("a881341"), TASK_DONE)), None);
        n.observe(&copied(), None);
        assert_eq!(unread(&n), (vec!["a881341"], vec![]));
        assert_eq!(n.copied_subagents().collect::<Vec<_>>(), ["a881341"]);
        // Its prompt line read: still missing what its Task result records.
        let mut own = Named::new();
        own.observe(&event(Some("a881341"), text()), None);
        let mut both = n.clone();
        both.merge(own.clone());
        assert_eq!(unread(&both), (vec!["a881341"], vec![]));
        assert_eq!(both.copied_subagents().collect::<Vec<_>>(), ["a881341"]);
        // And a line of one of its responses (in another part; its usage passed by the copy
        // read first, only its text block comes): read, whichever part or order.
        let answer = EventKind::AssistantText {
            message_id: Some(Cow::Borrowed("msg_013qape6Zy3q8eZYgN4M39ym")),
            model: None,
            text: "Let me fetch".into(),
        };
        own.observe(&event(Some("a881341"), answer), None);
        both.merge(own.clone());
        assert!(both.all_read(), "{both:?}");
        assert_eq!(both.copied_subagents().count(), 0);
        Named::settle([&mut n, &mut own]);
        assert!(n.all_read(), "{n:?}");
        // Not named (a copy met alone): nothing to say.
        let mut alone = Named::new();
        alone.observe(&copied(), None);
        assert!(alone.all_read(), "{alone:?}");
        assert_eq!(alone.copied_subagents().count(), 0);
    }

    #[test]
    fn a_progress_line_names_its_subagent_only_on_the_main_chain() {
        let progress = || EventKind::Progress {
            data_type: Some(Cow::Borrowed("agent_progress")),
            tool_use_id: None,
            parent_tool_use_id: None,
            agent_id: Some(Cow::Borrowed("c2")),
        };
        let mut n = Named::new();
        n.observe(&event(Some("c1"), progress()), None);
        assert!(n.all_read(), "{n:?}");
        n.observe(&event(None, progress()), None);
        assert_eq!(unread(&n), (vec!["c2"], vec![]));
    }

    #[test]
    fn a_run_is_read_by_a_line_of_its_file_never_by_an_agent_of_the_same_id() {
        let mut n = Named::new();
        n.observe(&event(None, result(None, LAUNCH)), None);
        assert_eq!(unread(&n), (vec![], vec!["wf_4af3c93a-ada"]));
        // An agent whose id is the run's, in a file of no run: the run stays unread.
        n.observe(&event(Some("wf_4af3c93a-ada"), text()), None);
        assert_eq!(unread(&n), (vec![], vec!["wf_4af3c93a-ada"]));
        let mut other = Named::new();
        other.observe(&event(Some("wf_4af3c93a-ada"), text()), None);
        Named::settle([&mut n, &mut other]);
        assert_eq!(unread(&n), (vec![], vec!["wf_4af3c93a-ada"]));
        // A line of one of its agents, told by its file.
        n.observe(
            &event(Some("a340795228348a5a6"), text()),
            Some("wf_4af3c93a-ada"),
        );
        assert!(n.all_read(), "{n:?}");
        assert_eq!(n.launched_runs().collect::<Vec<_>>(), ["wf_4af3c93a-ada"]);
    }

    #[test]
    fn settling_reads_what_any_session_of_the_run_read_and_names_nothing_new() {
        let mut copy = Named::new();
        copy.observe(&event(None, result(Some("a881341"), TASK_DONE)), None);
        copy.observe(&event(None, result(None, LAUNCH)), None);
        let mut original = Named::new();
        original.observe(&event(Some("a881341"), text()), None);
        Named::settle([&mut copy, &mut original]);
        // Its line was read elsewhere, its usage nowhere; the run nowhere.
        assert_eq!(unread(&copy), (vec!["a881341"], vec!["wf_4af3c93a-ada"]));
        original.observe(&event(Some("a881341"), usage()), None);
        original.observe(&event(Some("x"), text()), Some("wf_4af3c93a-ada"));
        Named::settle([&mut copy, &mut original]);
        assert!(copy.all_read(), "{copy:?}");
        assert!(original.all_read(), "{original:?}");
        assert_eq!(original.named_subagents().count(), 0);
        assert_eq!(original.launched_runs().count(), 0);
    }

    #[test]
    fn its_facts_give_it_back_and_say_each_flag() {
        let mut n = Named::new();
        n.observe(&event(None, result(Some("a881341"), TASK_DONE)), None);
        n.observe(&event(Some("a881341"), text()), None);
        n.observe(&event(None, result(None, LAUNCH)), None);
        n.observe(&event(Some("b2"), usage()), None);
        let facts: Vec<(NamedKind, &str, u8)> = n.facts().collect();
        assert_eq!(
            facts,
            [
                (NamedKind::Subagent, "a881341", NAMED | USAGE_NAMED | READ),
                (NamedKind::Subagent, "b2", READ | USAGE_READ),
                (NamedKind::Run, "wf_4af3c93a-ada", NAMED),
            ]
        );
        let mut back = Named::new();
        for (kind, id, flags) in n.facts() {
            assert_eq!(NamedKind::from_code(kind.code()), Some(kind));
            back.add_fact(kind, id, flags);
        }
        assert_eq!(back, n);
        assert_eq!(back.notes("s"), n.notes("s"));
        assert_eq!(n.notes("s").len(), 2, "{:?}", n.notes("s"));
    }

    #[test]
    fn merging_unites_what_each_part_named_and_read() {
        let mut ours = Named::new();
        ours.observe(&event(None, result(Some("a881341"), TASK_DONE)), None);
        ours.observe(&event(None, result(None, LAUNCH)), None);
        let mut theirs = Named::new();
        theirs.observe(&event(Some("a881341"), usage()), None);
        theirs.observe(&event(Some("y"), text()), Some("wf_4af3c93a-ada"));
        let mut both = ours.clone();
        both.merge(theirs.clone());
        assert!(both.all_read(), "{both:?}");
        theirs.merge(ours);
        assert_eq!(theirs, both);
    }
}
