//! The line a session is titled by when it has no title of its own: the first line of its
//! first prompt, looking inside the wrappers some clients put around what the user typed.
//!
//! A wrapper is text a client adds to a real prompt (so the prompt still counts as one), whose
//! first line would title every such session the same:
//!
//! | wrapper | first line | the request |
//! |---|---|---|
//! | Codex IDE extension, Codex Desktop attachments | `# Context from my IDE setup:`, `# Files mentioned by the user:` (any `# ` heading) | what follows the line `## My request for Codex:` (agents corpus: 2 of 21 rollouts) |
//! | spec-kit commands (`/speckit.*` prompt files, expanded by Codex and others) | `## User Input` (after optional `---` front matter) | the fenced block under it (the command's `$ARGUMENTS`); when empty, the command's first instruction line after it |
//!
//! Claude Code's own wrappers (`<command-message>`, `<local-command-caveat>`, `Caveat: …`,
//! `<system-reminder>`, …) are whole injected messages, not wrappers of a prompt: its adapter
//! reads them as `UserMeta` (`format::claude::decode`, `INJECTED_PREFIXES`), so they are never
//! a first prompt by themselves. One of them is what the user typed: a slash command
//! (`<command-name>/orchestrator</command-name>` … `<command-args>create TODO app</command-args>`),
//! read back as `/orchestrator create TODO app` by [`command_prompt`]. A custom command, a
//! skill, an MCP prompt, `/init` or `/review` is expanded and sent to the model: a prompt. Claude
//! Code's built-in commands that act locally ([`LOCAL_COMMANDS`]: `/model`, `/clear`, `/exit`,
//! `/mcp`, … answered with `<local-command-stdout>`, no model call) are not, nor is `/compact`
//! (a compaction, counted as one). The rule reads the command's own line only, so the count
//! does not depend on the order lines are read in (what follows a command is not needed). In
//! the corpus: 4 commands sent to the model (1.0.17 `init`, 1.0.98 and 1.0.108 `/orchestrator`,
//! 2.1.92 `/colosseum-copilot` without arguments) and 3 local ones (`/exit` twice, `/mcp`).

use crate::text::Text;

/// Characters of a wrapped prompt searched for the request (an IDE wrapper holds the active
/// file's selection and the open tabs before it). A request further in is not found: the
/// wrapper's first line is the title then, as before.
pub const WRAPPER_SCAN_CHARS: usize = 32_768;

/// The marker line after which the Codex IDE extension (and Codex Desktop) put what the user
/// typed.
const CODEX_REQUEST: &str = "## My request for Codex:";

/// spec-kit's heading of the block that holds the command's arguments.
const SPECKIT_INPUT: &str = "## User Input";

/// The line that follows spec-kit's input block in every command file.
const SPECKIT_MUST: &str = "You **MUST** consider the user input";

/// The title line of a prompt: its first non-blank line, or for a wrapped prompt (module
/// docs) the first non-blank line of the request inside, trimmed and cut to `max_chars`
/// characters. Empty when the prompt is blank.
pub fn prompt_title(text: &Text<'_>, max_chars: usize) -> String {
    let (start, _) = text.prefix(max_chars.max(64));
    let first = first_line(&start);
    if is_wrapper_start(&start) {
        let (whole, _) = text.prefix(WRAPPER_SCAN_CHARS);
        if let Some(request) = unwrap_request(&whole) {
            return cut(request, max_chars);
        }
    }
    cut(first, max_chars)
}

/// Characters of a slash command's message read for its name and arguments (1.0.17 puts the
/// command's whole expansion after them, in `<command-contents>`).
const COMMAND_SCAN_CHARS: usize = 4096;

/// Claude Code's built-in slash commands that do their work without sending a prompt to the
/// model (names without the `/`), from the built-in commands table of Claude Code's "Slash
/// commands" page (docs.anthropic.com/en/docs/claude-code/slash-commands: add-dir … vim; read
/// 2026-11-30 through the stored copies) and the later built-ins seen answering with
/// `<local-command-stdout>` (`exit` in the corpus, 2.1.92 and 2.1.167). `compact` is here: it
/// is counted as a compaction. A name not listed (a custom command, a skill, a plugin's or an
/// MCP server's prompt, `init`, `review`, `pr_comments`, `security-review`) is a prompt.
pub const LOCAL_COMMANDS: &[&str] = &[
    "add-dir",
    "agents",
    "bashes",
    "bug",
    "clear",
    "compact",
    "config",
    "context",
    "continue",
    "cost",
    "doctor",
    "exit",
    "export",
    "fast",
    "feedback",
    "help",
    "hooks",
    "ide",
    "install-github-app",
    "login",
    "logout",
    "mcp",
    "memory",
    "model",
    "output-style",
    "permissions",
    "plugin",
    "privacy-settings",
    "quit",
    "release-notes",
    "rename",
    "resume",
    "rewind",
    "sandbox",
    "stats",
    "status",
    "terminal-setup",
    "theme",
    "todos",
    "upgrade",
    "usage",
    "vim",
];

/// The slash command a user typed, as typed (`/name args`, the name given a leading `/` when
/// the message has none, as 1.0.17's `init`), when `text` is Claude Code's slash-command
/// message (it opens with `<command-message>` or `<command-name>` and names the command) of a
/// command sent to the model; `None` for a built-in that acts locally ([`LOCAL_COMMANDS`]) and
/// for any other text. Arguments beyond the first 4,096 characters of the message are cut.
pub fn command_prompt(text: &Text<'_>) -> Option<String> {
    // Most injected text is no command: its start says so before the longer read.
    let (opening, _) = text.prefix(OPENING_CHARS);
    if !is_command_message(&opening) {
        return None;
    }
    drop(opening);
    let (start, _) = text.prefix(COMMAND_SCAN_CHARS);
    let trimmed = start.trim_start();
    let name = tag_value(trimmed, "<command-name>", "</command-name>")?.trim();
    let bare_name = name.trim_start_matches('/');
    if bare_name.is_empty() || LOCAL_COMMANDS.contains(&bare_name) {
        return None;
    }
    let slash = if name.starts_with('/') { "" } else { "/" };
    let args = tag_value(trimmed, "<command-args>", "</command-args>").map_or("", str::trim);
    Some(if args.is_empty() {
        format!("{slash}{name}")
    } else {
        format!("{slash}{name} {args}")
    })
}

/// Characters read first to tell a command's message from other injected text (as many as
/// the Claude Code adapter reads to classify user text).
const OPENING_CHARS: usize = 128;

/// Whether `text`, leading white space aside, opens as Claude Code's slash-command message.
fn is_command_message(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with("<command-name>") || text.starts_with("<command-message>")
}

/// The text between `open` and `close` (or the end of `text` when the closing tag was not
/// read), `None` without the opening tag.
fn tag_value<'t>(text: &'t str, open: &str, close: &str) -> Option<&'t str> {
    let from = text.find(open)? + open.len();
    let rest = &text[from..];
    Some(rest.find(close).map_or(rest, |end| &rest[..end]))
}

/// Whether the prompt's start looks like one of the wrappers (cheap; the full read follows).
fn is_wrapper_start(start: &str) -> bool {
    let first = first_line(start);
    first == SPECKIT_INPUT || first == "---" || first.starts_with("# ")
}

/// The request line inside a wrapped prompt, `None` when `text` is not wrapped (or the request
/// is blank and nothing follows).
fn unwrap_request(text: &str) -> Option<&str> {
    let body = skip_front_matter(text.trim_start());
    if body.starts_with("# ") {
        // Codex: the marker at the start of a line, the request after it (same line or next).
        let at = line_starts(body).find(|&i| body[i..].starts_with(CODEX_REQUEST))?;
        let request = first_line(&body[at + CODEX_REQUEST.len()..]);
        return (!request.is_empty()).then_some(request);
    }
    let rest = body.strip_prefix(SPECKIT_INPUT)?;
    if !rest.starts_with(['\r', '\n']) {
        return None;
    }
    // The fenced block: ```text (or ```) … ```.
    let rest = rest.trim_start();
    if !rest.starts_with("```") {
        return None;
    }
    let fence_end = rest.find('\n')?;
    let inside = &rest[fence_end + 1..];
    let close = line_starts(inside)
        .find(|&i| inside[i..].starts_with("```"))
        .unwrap_or(inside.len());
    let input = first_line(&inside[..close]);
    if !input.is_empty() && input != "$ARGUMENTS" {
        return Some(input);
    }
    // No arguments: the command's own first instruction, past headings and the boilerplate.
    let after = inside.get(close..)?;
    after
        .lines()
        .skip(1)
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(SPECKIT_MUST))
}

/// `text` past a leading `---` … `---` front matter block (a prompt file's header).
fn skip_front_matter(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---") else {
        return text;
    };
    if !rest.starts_with(['\n', '\r']) {
        return text;
    }
    match line_starts(rest).find(|&i| rest[i..].starts_with("---")) {
        Some(at) => {
            let after = &rest[at + 3..];
            after.trim_start()
        }
        None => text,
    }
}

/// Byte offsets of the starts of `text`'s lines after the first.
fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices('\n').map(|(i, _)| i + 1)
}

/// The first non-blank line, trimmed (empty when there is none).
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// `line` cut to `max_chars` characters.
fn cut(line: &str, max_chars: usize) -> String {
    match line.char_indices().nth(max_chars) {
        Some((at, _)) => line[..at].trim_end().to_owned(),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn title(s: &'static str) -> String {
        prompt_title(&Text::Plain(Cow::Borrowed(s)), 120)
    }

    #[test]
    fn slash_commands_read_back_as_typed() {
        let command = |s: &'static str| command_prompt(&Text::Plain(Cow::Borrowed(s)));
        // Claude Code 1.0.108 (corpus d-kimuson 5c0375b4), 2.1.92 (TokenForge), 1.0.17
        // (sniffly ba79134d, the command's expansion after it).
        assert_eq!(
            command("<command-message>orchestrator is running…</command-message>\n<command-name>/orchestrator</command-name>\n<command-args>@CLAUDE.md を最新の状態にアップデートしてください</command-args>").as_deref(),
            Some("/orchestrator @CLAUDE.md を最新の状態にアップデートしてください")
        );
        assert_eq!(
            command("<command-name>/colosseum-copilot</command-name>\n            <command-message>colosseum-copilot</command-message>\n            <command-args></command-args>").as_deref(),
            Some("/colosseum-copilot")
        );
        assert_eq!(
            command("<command-message>init is analyzing your codebase…</command-message>\n                      <command-name>init</command-name>\n                      <command-args></command-args>\n<command-contents>{}</command-contents>").as_deref(),
            Some("/init")
        );
        // Built-ins that act locally (corpus: marot 2.1.38 `/mcp`, TokenForge 2.1.92 `/exit`).
        assert_eq!(command("<command-name>/mcp</command-name>\n            <command-message>mcp</command-message>\n            <command-args></command-args>"), None);
        assert_eq!(
            command("<command-name>/model</command-name><command-args>opus</command-args>"),
            None
        );
        assert_eq!(command("<command-name>/compact</command-name>"), None);
        // Not a command's message: its output, a prompt quoting the tag, no name.
        assert_eq!(
            command("<local-command-stdout>Bye!</local-command-stdout>"),
            None
        );
        assert_eq!(
            command("why does <command-name>/x</command-name> fail?"),
            None
        );
        assert_eq!(command("<command-message>x</command-message>"), None);
        assert_eq!(command("<command-name>  </command-name>"), None);
    }

    #[test]
    fn plain_prompts_keep_their_first_line() {
        assert_eq!(title("\n  fix the bug \nplease"), "fix the bug");
        assert_eq!(title("# Heading only\nno marker"), "# Heading only");
        assert_eq!(title(""), "");
    }

    #[test]
    fn codex_ide_and_desktop_wrappers_give_the_request() {
        let ide = "# Context from my IDE setup:\n\n## Active file: a.ts\n\n## Open tabs:\n- a.ts: a.ts\n\n## My request for Codex:\nmake it faster\nsecond line\n";
        assert_eq!(title(ide), "make it faster");
        let desktop = "# Files mentioned by the user:\n\n## s.png:\nC:/t/s.png\n\n## My request for Codex: Fix the command execution.";
        assert_eq!(title(desktop), "Fix the command execution.");
        // The marker must start a line.
        assert_eq!(title("# Notes\nsee ## My request for Codex: x"), "# Notes");
    }

    #[test]
    fn speckit_prompts_give_their_input_or_first_instruction() {
        let with = "\n## User Input\n\n```text\nBuild a photo album app\n```\n\nYou **MUST** consider the user input before proceeding (if not empty).\n\n## Outline\n\nThe text the user typed…";
        assert_eq!(title(with), "Build a photo album app");
        let without = "\n## User Input\n\n```text\n\n```\n\nYou **MUST** consider the user input before proceeding (if not empty).\n\n## Outline\n\nGoal: Detect and reduce ambiguity.\n";
        assert_eq!(title(without), "Goal: Detect and reduce ambiguity.");
        let front = "---\ndescription: Create a spec.\n---\n\n## User Input\n\n```text\n$ARGUMENTS\n```\n\nYou **MUST** consider the user input before proceeding (if not empty).\n\n1. **Setup**: run x\n";
        assert_eq!(title(front), "1. **Setup**: run x");
    }

    #[test]
    fn titles_are_cut_to_the_limit() {
        let t = prompt_title(&Text::Plain(Cow::Borrowed("ééééé")), 3);
        assert_eq!(t, "ééé");
    }
}
