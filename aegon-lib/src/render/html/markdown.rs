//! Assistant text (Markdown) → HTML, by aegon's own writer over pulldown-cmark's events.
//!
//! pulldown-cmark parses (CommonMark with tables, strikethrough and task lists); the writer
//! here decides what each event becomes, and raw HTML in the text (`Event::Html`,
//! `Event::InlineHtml`) is written as escaped text, never passed through. Links become `<a>`
//! only for `http:`/`https:` URLs ([`super::escape::safe_url`]); images are never loaded (the
//! report makes no request): they are shown as their alt text and address. Headings start at
//! `<h4>`, under the report's own.

use std::borrow::Cow;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::escape::{push_escaped, safe_url};

/// Appends the HTML of the Markdown `text` to `out`.
pub fn push_markdown(out: &mut String, text: &str) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // The closing markup of each open element, innermost last.
    let mut closers: Vec<Cow<'static, str>> = Vec::new();
    let mut in_table_head = false;
    for event in Parser::new_ext(text, options) {
        match event {
            Event::Start(tag) => {
                let (open, close): (Cow<'static, str>, Cow<'static, str>) = match tag {
                    Tag::Paragraph => ("<p>".into(), "</p>\n".into()),
                    Tag::Heading { level, .. } => match (level as usize + 3).min(6) {
                        4 => ("<h4>".into(), "</h4>\n".into()),
                        5 => ("<h5>".into(), "</h5>\n".into()),
                        _ => ("<h6>".into(), "</h6>\n".into()),
                    },
                    Tag::BlockQuote(_) => ("<blockquote>".into(), "</blockquote>\n".into()),
                    Tag::CodeBlock(kind) => {
                        let mut open = String::from("<pre class=\"code\"");
                        if let CodeBlockKind::Fenced(lang) = kind {
                            let lang = lang.split_whitespace().next().unwrap_or("");
                            if !lang.is_empty() {
                                open.push_str(" data-lang=\"");
                                push_escaped(&mut open, lang);
                                open.push('"');
                            }
                        }
                        open.push_str("><code>");
                        (open.into(), "</code></pre>\n".into())
                    }
                    Tag::HtmlBlock => ("<pre class=\"raw-html\">".into(), "</pre>\n".into()),
                    Tag::List(Some(1)) => ("<ol>".into(), "</ol>\n".into()),
                    Tag::List(Some(start)) => {
                        (format!("<ol start=\"{start}\">").into(), "</ol>\n".into())
                    }
                    Tag::List(None) => ("<ul>".into(), "</ul>\n".into()),
                    Tag::Item => ("<li>".into(), "</li>\n".into()),
                    Tag::Table(_) => ("<table>".into(), "</tbody></table>\n".into()),
                    Tag::TableHead => {
                        in_table_head = true;
                        ("<thead><tr>".into(), "</tr></thead><tbody>\n".into())
                    }
                    Tag::TableRow => ("<tr>".into(), "</tr>\n".into()),
                    Tag::TableCell if in_table_head => ("<th>".into(), "</th>".into()),
                    Tag::TableCell => ("<td>".into(), "</td>".into()),
                    Tag::Emphasis => ("<em>".into(), "</em>".into()),
                    Tag::Strong => ("<strong>".into(), "</strong>".into()),
                    Tag::Strikethrough => ("<del>".into(), "</del>".into()),
                    Tag::Link { dest_url, .. } => match safe_url(&dest_url) {
                        Some(url) => {
                            let mut open = String::from("<a href=\"");
                            push_escaped(&mut open, url);
                            open.push_str("\" rel=\"nofollow noopener noreferrer\">");
                            (open.into(), "</a>".into())
                        }
                        None => {
                            // Not a web link: its text, then its target, as text.
                            let mut close = String::from(" <span class=\"url\">(");
                            push_escaped(&mut close, &dest_url);
                            close.push_str(")</span></span>");
                            ("<span class=\"link\">".into(), close.into())
                        }
                    },
                    Tag::Image { dest_url, .. } => {
                        // Never loaded: the alt text, then the address (a link when http(s)).
                        let mut close = String::from("] ");
                        match safe_url(&dest_url) {
                            Some(url) => {
                                close.push_str("<a href=\"");
                                push_escaped(&mut close, url);
                                close.push_str("\" rel=\"nofollow noopener noreferrer\">");
                                push_escaped(&mut close, url);
                                close.push_str("</a>");
                            }
                            None => push_escaped(&mut close, &dest_url),
                        }
                        close.push_str("</span>");
                        ("<span class=\"img-ref\">[image: ".into(), close.into())
                    }
                    _ => ("<span>".into(), "</span>".into()),
                };
                out.push_str(&open);
                closers.push(close);
            }
            Event::End(end) => {
                if matches!(end, TagEnd::TableHead) {
                    in_table_head = false;
                }
                if let Some(close) = closers.pop() {
                    out.push_str(&close);
                }
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => push_escaped(out, &t),
            Event::Code(t) => {
                out.push_str("<code>");
                push_escaped(out, &t);
                out.push_str("</code>");
            }
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>\n"),
            Event::Rule => out.push_str("<hr>\n"),
            Event::TaskListMarker(done) => out.push_str(if done { "☑ " } else { "☐ " }),
            Event::FootnoteReference(name) => {
                out.push_str("[^");
                push_escaped(out, &name);
                out.push(']');
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => push_escaped(out, &t),
        }
    }
    // pulldown-cmark balances its events; close anything left all the same.
    while let Some(close) = closers.pop() {
        out.push_str(&close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> String {
        let mut out = String::new();
        push_markdown(&mut out, s);
        out
    }

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            md("# T\n\n*a* **b** `c`"),
            "<h4>T</h4>\n<p><em>a</em> <strong>b</strong> <code>c</code></p>\n"
        );
        assert_eq!(
            md("[x](https://e.com/?a=1&b=2)"),
            "<p><a href=\"https://e.com/?a=1&amp;b=2\" rel=\"nofollow noopener noreferrer\">x</a></p>\n"
        );
        assert!(md("| a |\n|---|\n| b |").contains("<th>a</th>"));
    }

    #[test]
    fn raw_html_and_bad_links_are_text() {
        assert_eq!(
            md("<b onclick=\"x\">hi</b>"),
            "<p>&lt;b onclick=&quot;x&quot;&gt;hi&lt;/b&gt;</p>\n"
        );
        let out = md("<script>alert(1)</script>\n\nok");
        assert!(
            out.starts_with("<pre class=\"raw-html\">&lt;script&gt;"),
            "{out}"
        );
        let out = md("[x](javascript:alert(1))");
        assert!(!out.contains("href"), "{out}");
        assert!(out.contains("javascript:alert(1)"), "shown as text: {out}");
        let out = md("![a](https://e.com/i.png)");
        assert!(!out.contains("<img"), "{out}");
    }
}
