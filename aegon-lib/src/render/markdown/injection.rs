//! The Markdown output rendered as GitHub renders it (pulldown-cmark's HTML writer, which
//! passes raw HTML through as GitHub's does before sanitising), then parsed as a browser
//! parses it (html5ever, through scraper): nothing from a transcript may become an element or
//! comment, change the document's structure, or unbalance the `<details>` folding.

use scraper::{Html, Node, Selector};
use serde_json::json;

use super::*;
use crate::pipeline::{Options as PipelineOptions, Pipeline};

/// Markup that acts if written as it is. `xss-` names mark elements that must never appear.
const PAYLOADS: &[&str] = &[
    "<!-- hides the rest",
    "</details></details></summary>",
    "<details open><summary>xss-fake</summary>",
    "<script>alert('xss-script')</script>",
    "<img src=x onerror=alert(1) xss-attr>",
    "<xss-element onclick=alert(1)>click</xss-element>",
    "--><xss-comment/><!--",
    "<?php xss ?> <![CDATA[x]]> <!DOCTYPE x>",
    "\u{1b}[31mred\u{202e}",
];

/// Lines that would change the structure of the Markdown if written as they are.
const STRUCTURE: &str = "# heading\n- item\n1. ordered\n**strong** [link](https://e.example) \
                         | a | b |\n|---|---|\n```\n    indented\n> quote\n===";

/// The last prompt: it must come out as top-level text, after everything hostile.
const END: &str = "aegon-end-of-session";

fn hostile_transcript() -> String {
    let all = PAYLOADS.join(" ");
    // Assistant Markdown: payloads inline and as blocks, code that must stay code, and a fence
    // left open at the end.
    let answer = format!(
        "{all}\n\n<div>\n{all}\n</div>\n\n`<b>in code</b>`\n\n    <b>indented code</b>\n\n\
         ```html\n{all}\n```\n\n* a list <b>x</b>\n\n> quoted <xss-quoted/>\n\n\
         ````\nleft open </details> <!--"
    );
    let base =
        |ts: &str| json!({"sessionId": "s-1", "timestamp": ts, "cwd": format!("/home/{all}`")});
    let with = |mut v: serde_json::Value, extra: serde_json::Value| {
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v.to_string()
    };
    let title = format!("{all} {STRUCTURE}").replace('\n', " ");
    let lines = [
        with(
            base("2026-01-01T00:00:00.000Z"),
            json!({"type": "custom-title", "customTitle": title}),
        ),
        with(
            base("2026-01-01T00:00:01.000Z"),
            json!({"type": "user", "uuid": "u1", "message": {"role": "user", "content": format!("{STRUCTURE}\n{all}")}}),
        ),
        with(
            base("2026-01-01T00:00:02.000Z"),
            json!({"type": "assistant", "uuid": "a1", "message": {
            "id": "m1", "model": all, "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": format!("{all}\n```\n</details>")},
                {"type": "text", "text": answer},
                {"type": "tool_use", "id": "t1", "name": all, "input": {"command": all, "nested": {"k": all}}},
                {"type": "tool_use", "id": "t2", "name": "Read", "input": {"file_path": format!("/tmp/{all}``.txt")}},
                {"type": "tool_use", "id": "t3", "name": "Task", "input": {"prompt": all, "description": all}}
            ],
            "usage": {"input_tokens": 10, "output_tokens": 5}}}),
        ),
        with(
            base("2026-01-01T00:00:03.000Z"),
            json!({"type": "user", "uuid": "u2", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": format!("```\n{all}\n~~~\n</details>"), "is_error": true}]}}),
        ),
        with(
            base("2026-01-01T00:00:04.000Z"),
            json!({"type": "user", "uuid": "u3", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t2", "content": [
                {"type": "text", "text": all},
                {"type": "image", "source": {"type": "base64", "media_type": format!("image/png{all}"), "data": "iVBORw0KGgo="}},
                {"type": all}
            ]}]}}),
        ),
        with(
            base("2026-01-01T00:00:05.000Z"),
            json!({"type": "assistant", "uuid": "a2", "agentId": all, "isSidechain": true, "message": {
            "id": "m2", "model": "claude-opus-4-6", "role": "assistant",
            "content": [{"type": "text", "text": answer}],
            "usage": {"input_tokens": 1, "output_tokens": 1}}}),
        ),
        with(
            base("2026-01-01T00:00:06.000Z"),
            json!({"type": "user", "uuid": "u4", "toolUseResult": {"agentId": all}, "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t3", "content": [{"type": "text", "text": all}]}]}}),
        ),
        with(
            base("2026-01-01T00:00:07.000Z"),
            json!({"type": "user", "uuid": "u5", "message": {"role": "user", "content": format!("[Request interrupted by user {all}]")}}),
        ),
        with(
            base("2026-01-01T00:00:08.000Z"),
            json!({"type": "user", "uuid": "u6", "message": {"role": "user", "content": END}}),
        ),
    ];
    lines.join("\n") + "\n"
}

fn markdown_of(text: &str, detail: Detail) -> String {
    let mut out = Vec::new();
    {
        let mut p = Pipeline::new(
            PipelineOptions::default(),
            MarkdownRenderer::new(&mut out, detail, Pricing::built_in()),
        );
        let _ = p.read_to_end("t.jsonl", text.as_bytes()).unwrap();
        p.finish().unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// The HTML GitHub would make of `markdown` (raw HTML passed through).
fn rendered(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, gfm()));
    html
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

#[test]
fn nothing_from_a_transcript_becomes_markup() {
    for detail in [Detail::Full, Detail::Tools, Detail::Prompts] {
        let md = markdown_of(&hostile_transcript(), detail);
        let html = rendered(&md);
        let doc = Html::parse_fragment(&html);
        // Only elements that Markdown syntax written by aegon, or aegon itself, makes.
        let allowed = [
            "html",
            "h1",
            "p",
            "strong",
            "em",
            "code",
            "pre",
            "blockquote",
            "details",
            "summary",
            "b",
            "ul",
            "li",
            "hr",
        ];
        for node in doc.root_element().descendants() {
            match node.value() {
                Node::Comment(c) => panic!("{detail:?}: a comment <!--{}-->\n{md}", &**c),
                Node::ProcessingInstruction(_) | Node::Doctype(_) => {
                    panic!("{detail:?}: markup declaration\n{md}")
                }
                Node::Element(e) => {
                    assert!(
                        allowed.contains(&e.name()),
                        "{detail:?}: element <{}>\n{html}",
                        e.name()
                    );
                    // The one attribute: a fence's language, which aegon names.
                    for (attr, value) in e.attrs() {
                        assert!(
                            e.name() == "code"
                                && attr == "class"
                                && ["language-text", "language-json", "language-html"]
                                    .contains(&value),
                            "{detail:?}: {attr}={value:?} on <{}>",
                            e.name()
                        );
                    }
                }
                _ => {}
            }
        }
        // The folding: thinking, three tool calls and the subagent, each closed.
        let details = doc.select(&sel("details")).count();
        let expected = match detail {
            Detail::Full => 5,
            Detail::Tools => 1,
            Detail::Prompts => 0,
        };
        assert_eq!(details, expected, "{detail:?}\n{md}");
        assert_eq!(
            html.matches("<details>").count(),
            html.matches("</details>").count(),
            "{detail:?}"
        );
        // One heading, the title, shown as written.
        let h1: Vec<String> = doc
            .select(&sel("h1"))
            .map(|h| h.text().collect::<String>())
            .collect();
        assert_eq!(h1.len(), 1, "{detail:?}: {h1:?}");
        assert!(
            h1[0].starts_with("<!-- hides the rest </details></details></summary>"),
            "{}",
            h1[0]
        );
        assert!(
            h1[0].contains("# heading - item 1. ordered **strong** [link]"),
            "{}",
            h1[0]
        );
        // The prompt is one quote of text: none of its Markdown made structure.
        let quote = doc.select(&sel("blockquote")).next().unwrap();
        for inner in [
            "h1",
            "ul",
            "ol",
            "li",
            "strong",
            "a",
            "table",
            "pre",
            "blockquote",
        ] {
            assert!(
                quote.select(&sel(inner)).next().is_none(),
                "{detail:?}: <{inner}> in the prompt: {}",
                quote.html()
            );
        }
        assert!(quote
            .text()
            .collect::<String>()
            .contains("<script>alert('xss-script')</script>"));
        // Code in the answer stays code; its raw HTML shows as text.
        if detail == Detail::Full {
            assert!(doc
                .select(&sel("code"))
                .any(|c| c.text().collect::<String>() == "<b>in code</b>"));
            assert!(doc.select(&sel("p")).any(|p| p
                .text()
                .collect::<String>()
                .contains("<xss-element onclick=alert(1)>")));
        }
        // The last prompt is top-level text after everything, in no block left open.
        let last = doc.select(&sel("blockquote")).next_back().unwrap();
        assert_eq!(
            last.text().collect::<String>().trim(),
            END,
            "{detail:?}\n{md}"
        );
        assert!(
            last.ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .all(|a| a.value().name() == "html"),
            "{detail:?}: the end is nested\n{md}"
        );
    }
}

#[test]
fn raw_html_is_neutralised_and_the_rest_kept() {
    // Text without raw HTML is left byte for byte.
    let plain = "# A\n\n*b* `<c>` and\n\n```\n<d>\n```\n";
    assert_eq!(neutral_markdown(plain), plain);
    assert_eq!(neutral_markdown("a <b>x</b> c"), "a &lt;b>x&lt;/b> c");
    assert_eq!(neutral_markdown("<!--\nx\n-->"), "&lt;!--\nx\n-->");
    // A fence left open is closed with its own fence, a tilde one with tildes.
    assert_eq!(neutral_markdown("````\nx"), "````\nx\n````");
    assert_eq!(neutral_markdown("~~~\nx"), "~~~\nx\n~~~");
    assert_eq!(open_fence("```\nx\n```"), None);
    assert_eq!(
        md_text("<a> & *b* #1 [c]"),
        "\\<a\\> \\& \\*b\\* \\#1 \\[c\\]"
    );
    assert_eq!(
        md_text("- a\n  + b\n12. c\n=="),
        "\\- a\n  \\+ b\n12\\. c\n\\=="
    );
    assert_eq!(code_span("a``b"), "``` a``b ```");
}
