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

/// The fresh-user report: an answer that opens a code fence and never closes it made the rest
/// of the document code. Each answer here leaves a fence open (or is balanced only before its
/// `\r` is made visible) and is followed by an answer that is a heading; rendered back by
/// pulldown-cmark, every heading must still be a top-level heading and every speaker's label
/// a top-level paragraph, and the last prompt top-level text.
#[test]
fn a_code_fence_an_answer_leaves_open_does_not_swallow_what_follows() {
    let answers = [
        "Here:\n```python\nprint(1)\n",
        "````\nfour ticks, closed by three:\n```\n",
        "~~~ rust\nlet x = 1;\n",
        "   ```\nindented three spaces\n",
        "- a list\n  ```\n  open in the item\n",
        "> quoted\n> ```\n> open in the quote\n",
        "balanced with CRLF:\r\n```\r\ncode\r\n```\r\nafter",
        "open with CRLF:\r\n```sh\r\nls\r\n",
        "a lone CR ends a line too:\r```\rcode\r```\r",
        "```\n<details><summary>x</summary>\n",
        "```\ncode\n``` not a closing fence\n",
    ];
    let base = |ts: String| json!({"sessionId": "s-f", "timestamp": ts, "cwd": "/p"});
    let mut lines = Vec::new();
    let mut second = 0;
    let mut at = |v: serde_json::Value, extra: serde_json::Value| {
        second += 1;
        let mut v2 = base(format!("2026-01-01T00:00:{second:02}.000Z"));
        for (k, x) in v
            .as_object()
            .unwrap()
            .iter()
            .chain(extra.as_object().unwrap())
        {
            v2[k] = x.clone();
        }
        lines.push(v2.to_string());
    };
    for (i, answer) in answers.iter().enumerate() {
        for (n, text) in [(0, answer.to_string()), (1, format!("## Heading {i}"))] {
            at(
                json!({"type": "assistant", "uuid": format!("a{i}-{n}")}),
                json!({"message": {"id": format!("m{i}-{n}"), "model": "claude-sonnet-4-5",
                    "role": "assistant", "content": [{"type": "text", "text": text}],
                    "usage": {"input_tokens": 1, "output_tokens": 1}}}),
            );
        }
    }
    at(
        json!({"type": "user", "uuid": "u-end"}),
        json!({"message": {"role": "user", "content": END}}),
    );
    let md = markdown_of(&(lines.join("\n") + "\n"), Detail::Full);
    // Top-level blocks as pulldown-cmark parses them: (tag, its text).
    let mut top: Vec<(String, String)> = Vec::new();
    let mut depth = 0usize;
    for event in Parser::new_ext(&md, gfm()) {
        match event {
            MdEvent::Start(tag) => {
                if depth == 0 {
                    top.push((format!("{tag:?}"), String::new()));
                }
                depth += 1;
            }
            MdEvent::End(_) => depth -= 1,
            MdEvent::Text(t) | MdEvent::Code(t) => {
                if let Some(last) = top.last_mut() {
                    last.1.push_str(&t);
                }
            }
            _ => {}
        }
    }
    for i in 0..answers.len() {
        let heading = format!("Heading {i}");
        assert!(
            top.iter()
                .any(|(tag, text)| tag.starts_with("Heading") && *text == heading),
            "{heading} is no longer a heading:\n{md}"
        );
    }
    let labels = top
        .iter()
        .filter(|(tag, text)| tag.starts_with("Paragraph") && text.starts_with("Claude "))
        .count();
    assert_eq!(labels, 2 * answers.len(), "{md}");
    assert!(
        top.iter()
            .any(|(tag, text)| tag.starts_with("BlockQuote") && text.contains(END)),
        "{md}"
    );
    // The answers' own code stays code: the CRLF one is one code block, closed.
    assert!(!md.contains("```␍"), "{md}");
}

/// Real transcripts (fixtures/corpus): every speaker label aegon writes on a line of its own
/// (`**Prompt** 10:00:01`, `**Claude** 10:00:02`) is a top-level paragraph when the Markdown
/// is parsed back, so no answer's code fence swallowed what follows it.
#[test]
fn on_the_corpus_no_label_ends_up_inside_code() {
    let dir = format!("{}/../fixtures/corpus", env!("CARGO_MANIFEST_DIR"));
    let is_label = |s: &str| {
        let (who, time) = s.split_once(' ').unwrap_or(("", ""));
        matches!(who, "Prompt" | "Claude")
            && time.len() == 8
            && time.bytes().enumerate().all(|(i, b)| {
                if i == 2 || i == 5 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    let (mut files, mut labels) = (0, 0);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        files += 1;
        let md = markdown_of(&std::fs::read_to_string(&path).unwrap(), Detail::Full);
        let written = md
            .lines()
            .filter(|l| l.starts_with("**") && is_label(&l.replacen("**", "", 2)))
            .count();
        let mut parsed = 0;
        let mut depth = 0usize;
        let mut text = None::<String>;
        for event in Parser::new_ext(&md, gfm()) {
            match event {
                MdEvent::Start(Tag::Paragraph) if depth == 0 => {
                    text = Some(String::new());
                    depth += 1;
                }
                MdEvent::Start(_) => depth += 1,
                MdEvent::End(_) => {
                    depth -= 1;
                    if depth == 0 && text.take().is_some_and(|t| is_label(&t)) {
                        parsed += 1;
                    }
                }
                MdEvent::Text(t) => {
                    if let Some(s) = text.as_mut() {
                        s.push_str(&t);
                    }
                }
                _ => {}
            }
        }
        labels += written;
        assert_eq!(parsed, written, "{}", path.display());
    }
    assert!(
        files >= 20 && labels >= 100,
        "{files} files, {labels} labels"
    );
}

/// The tester's finding: an answer's image would be loaded by any Markdown viewer that does
/// not proxy them, and its `javascript:` link stay live, where the HTML report shows both as
/// text. The same rule here: rendered back, no image, and no link but the `http(s)` ones.
#[test]
fn images_are_never_loaded_and_only_web_links_stay_links() {
    let answer = "![i](http://evil.example/x.png) [link](javascript:alert(2)) \
                  <javascript:alert(3)> [ref] ![r][img] [![n](http://evil.example/n.png)](javascript:x) \
                  [data](data:text/html,x) [a](<x onerror=y>) [ok](https://example.com/a) \
                  <https://example.com/b> `![code](http://c.example/c.png)`\n\n\
                  [ref]: javascript:alert(4)\n[img]: http://evil.example/r.png\n";
    let transcript = [
        json!({"type": "user", "sessionId": "s", "uuid": "u", "timestamp": "2026-01-01T00:00:00Z",
               "message": {"role": "user", "content": "hi"}}),
        json!({"type": "assistant", "sessionId": "s", "uuid": "a", "timestamp": "2026-01-01T00:00:01Z",
               "message": {"id": "m", "role": "assistant", "model": "claude-opus-4-6",
                           "content": [{"type": "text", "text": answer}],
                           "usage": {"input_tokens": 1, "output_tokens": 1}}}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let html = rendered(&markdown_of(&transcript, Detail::Full));
    let doc = Html::parse_fragment(&html);
    assert_eq!(doc.select(&sel("img")).count(), 0, "{html}");
    let hrefs: Vec<&str> = doc
        .select(&sel("a"))
        .map(|a| a.value().attr("href").unwrap_or(""))
        .collect();
    assert_eq!(
        hrefs,
        [
            "http://evil.example/x.png",
            "http://evil.example/r.png",
            "http://evil.example/n.png",
            "https://example.com/a",
            "https://example.com/b"
        ],
        "{html}"
    );
    // The neutralised ones are there as text; the code span is untouched.
    let text: String = doc.root_element().text().collect();
    for shown in [
        "[link](javascript:alert(2))",
        "<javascript:alert(3)>",
        "[ref]",
        "[data](data:text/html,x)",
        "![code](http://c.example/c.png)",
    ] {
        assert!(text.contains(shown), "{shown:?} not shown in {text}");
    }
    // What has no image nor link is left byte for byte.
    assert_eq!(
        neutral_markdown("[a](https://e.example) b"),
        "[a](https://e.example) b"
    );
    assert_eq!(
        neutral_markdown("![i](https://e.example/x.png)"),
        "\\![i](https://e.example/x.png)"
    );
    // A relative image is neither loaded nor a link.
    assert_eq!(neutral_markdown("![i](x.png)"), "\\!\\[i](x.png)");
}
