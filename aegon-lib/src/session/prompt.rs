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
//! a first prompt and need no rule here.

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
