//! `aegon man`: the man page, made from the help text (one text to keep up to date).
//!
//! The help's layout is the source: a line in capitals ending with `:` starts a section; an
//! indented line starting with `-` is an option (its description follows, indented deeper);
//! commands (`aegon …`), tables (columns apart by two spaces) and anything indented further
//! are kept as written; other text is joined into paragraphs.

/// `aegon man --help`.
pub const HELP: &str = "\
aegon man — aegon's help as a man page (roff), on stdout

USAGE:
    aegon man

    man <(aegon man)                    to read it now
    aegon man > ~/.local/share/man/man1/aegon.1   to install it (then man aegon)
";

/// The help text as a roff man page, section 1.
pub fn roff(help: &str, version: &str) -> String {
    let mut lines = help.lines();
    let summary = lines
        .next()
        .unwrap_or("aegon")
        .split_once(" — ")
        .map_or("observability for Claude Code sessions", |(_, s)| s);
    let mut out = format!(
        ".TH AEGON 1 \"\" \"aegon {version}\" \"User Commands\"\n.SH NAME\naegon \\- {}\n.SH DESCRIPTION\n",
        escape(summary)
    );
    let mut in_option = false;
    let mut in_block = false;
    for line in lines {
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        if trimmed.is_empty() {
            if in_block {
                out.push_str(".fi\n");
                in_block = false;
            }
            in_option = false;
            out.push_str(".PP\n");
            continue;
        }
        if indent == 0 && trimmed.ends_with(':') && trimmed == trimmed.to_uppercase() {
            if in_block {
                out.push_str(".fi\n");
                in_block = false;
            }
            in_option = false;
            out.push_str(&format!(".SH {}\n", escape(trimmed.trim_end_matches(':'))));
            continue;
        }
        if trimmed.starts_with('-') && (4..=8).contains(&indent) {
            if in_block {
                out.push_str(".fi\n");
                in_block = false;
            }
            // `-k, --kind KINDS      Description…`: the option, then its text.
            let (option, text) = match trimmed.find("  ") {
                Some(at) => (&trimmed[..at], trimmed[at..].trim()),
                None => (trimmed, ""),
            };
            out.push_str(&format!(".TP\n.B {}\n", escape(option)));
            if !text.is_empty() {
                out.push_str(&format!("{}\n", escape(text)));
            }
            in_option = true;
            continue;
        }
        if in_option && indent >= 20 {
            out.push_str(&format!("{}\n", escape(trimmed)));
            continue;
        }
        let tabular = trimmed.starts_with("aegon") || trimmed.contains("  ");
        if indent >= 8 || (indent >= 4 && tabular) {
            // Commands and tables: as written.
            if !in_block {
                out.push_str(".nf\n");
                in_block = true;
            }
            out.push_str(&format!(
                "{}\n",
                escape(line.strip_prefix("    ").unwrap_or(line))
            ));
            continue;
        }
        if in_block {
            out.push_str(".fi\n");
            in_block = false;
        }
        out.push_str(&format!("{}\n", escape(trimmed)));
    }
    if in_block {
        out.push_str(".fi\n");
    }
    out
}

/// Text made safe for roff: backslashes and hyphens escaped, no line starting with a control
/// character.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_options_and_examples() {
        let help = "aegon — observability\n\nUSAGE:\n    aegon [FILE]\n\nOPTIONS:\n        --ndjson          One JSON object\n                          per event.\n    -q, --quiet           Quiet.\n\nEXAMPLES:\n        aegon -k tool_call s.jsonl\n";
        let man = roff(help, "1.2.3");
        assert!(man.starts_with(".TH AEGON 1 \"\" \"aegon 1.2.3\""), "{man}");
        assert!(man.contains("aegon \\- observability\n"));
        assert!(man.contains(".SH OPTIONS\n"));
        assert!(
            man.contains(".TP\n.B \\-\\-ndjson\nOne JSON object\nper event.\n"),
            "{man}"
        );
        assert!(man.contains(".TP\n.B \\-q, \\-\\-quiet\nQuiet.\n"), "{man}");
        assert!(
            man.contains(".nf\n    aegon \\-k tool_call s.jsonl\n.fi\n"),
            "{man}"
        );
        assert_eq!(escape(".hidden"), "\\&.hidden");
    }
}
