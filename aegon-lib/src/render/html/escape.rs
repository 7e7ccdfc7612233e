//! Escaping for the HTML report: every string that comes from a transcript goes through here.
//!
//! One rule serves text and quoted attribute values alike (attributes are always written with
//! double quotes): `& < > " '` become character references, so nothing in a transcript can
//! open or close an element, an attribute or a comment, and terminal control characters are
//! made inert (visible pictures, as on the terminal: [`crate::render::text::inert_char`]),
//! newlines and tabs kept. URLs are only ever written for `http:` and `https:` ([`safe_url`]).

use crate::render::text::inert_char;

/// Appends `s` to `out`, escaped for HTML text or a double-quoted attribute value.
pub fn push_escaped(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let rep: Option<&str> = match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '"' => Some("&quot;"),
            '\'' => Some("&#39;"),
            '\n' | '\t' => None,
            c if c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                out.push_str(&s[start..i]);
                out.push(inert_char(c));
                start = i + c.len_utf8();
                continue;
            }
            _ => None,
        };
        if let Some(rep) = rep {
            out.push_str(&s[start..i]);
            out.push_str(rep);
            start = i + c.len_utf8();
        }
    }
    out.push_str(&s[start..]);
}

/// `s` escaped (see [`push_escaped`]).
pub fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    push_escaped(&mut out, s);
    out
}

/// `url` when it may be a link ([`crate::render::text::safe_url`], the rule the Markdown
/// output follows too).
pub use crate::render::text::safe_url;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_references() {
        assert_eq!(
            escaped(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escaped("a\nb\tc"), "a\nb\tc");
    }

    #[test]
    fn terminal_escapes_are_inert() {
        assert_eq!(escaped("a\u{1b}[31mb\u{7}\u{9b}\u{202e}"), "a␛[31mb␇��");
    }

    #[test]
    fn only_http_links() {
        assert!(safe_url("https://example.com/a?b=1").is_some());
        assert!(safe_url("HTTP://EXAMPLE.COM").is_some());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "//evil.example",
            "/etc/passwd",
            "https://a b",
            "https://a\u{0}b",
            "http://",
            "java\tscript:alert(1)",
            "https://a.example/\"onmouseover=x",
        ] {
            assert_eq!(safe_url(bad), None, "{bad:?}");
        }
    }
}
