//! The report parsed back as a browser parses it (html5ever, through scraper): structure on
//! real transcripts, and an XSS suite that puts hostile markup everywhere a transcript can.

use scraper::{Html, Selector};
use serde_json::json;

use super::*;
use crate::pipeline::{Options, Pipeline};

fn report_of(files: &[(&str, &str)]) -> String {
    let mut out = Vec::new();
    {
        let mut pipeline = Pipeline::new(
            Options::default(),
            HtmlRenderer::new(&mut out, Pricing::built_in()),
        );
        for (name, text) in files {
            let _ = pipeline.read_to_end(name, text.as_bytes()).unwrap();
        }
        pipeline.finish().unwrap();
    }
    String::from_utf8(out).unwrap()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn corpus(name: &str) -> String {
    let path = format!("{}/../fixtures/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Tool call ids in a transcript, counted straight from its JSON (not through aegon).
fn tool_use_ids(text: &str) -> std::collections::BTreeSet<String> {
    let mut ids = std::collections::BTreeSet::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(blocks) = v.pointer("/message/content").and_then(|c| c.as_array()) {
            for b in blocks {
                if b["type"] == "tool_use" {
                    ids.insert(b["id"].as_str().unwrap_or("").to_owned());
                }
            }
        }
    }
    ids
}

const SPOTTER: &str =
    "marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d";

#[test]
fn a_real_session_with_its_subagents() {
    let main = corpus(&format!("{SPOTTER}.jsonl"));
    let agent = corpus(&format!("{SPOTTER}__subagents__agent-a881341.jsonl"));
    let compact = corpus(&format!(
        "{SPOTTER}__subagents__agent-acompact-fffbd0.jsonl"
    ));
    let html = report_of(&[
        ("main.jsonl", &main),
        ("a.jsonl", &agent),
        ("c.jsonl", &compact),
    ]);
    let doc = Html::parse_document(&html);
    // One details.tool per tool_use block written (ids counted with serde_json alone).
    let mut ids = tool_use_ids(&main);
    ids.extend(tool_use_ids(&agent));
    ids.extend(tool_use_ids(&compact));
    assert_eq!(doc.select(&sel("details.tool")).count(), ids.len());
    assert_eq!(
        doc.select(&sel(".tool-calls")).next().unwrap().inner_html(),
        thousands(ids.len() as u64)
    );
    // The subagent a881341 sits inside the Task call that started it.
    let agent_el = doc
        .select(&sel("details.agent"))
        .find(|e| e.inner_html().contains("a881341"))
        .expect("the subagent's run");
    let parent = agent_el
        .ancestors()
        .filter_map(scraper::ElementRef::wrap)
        .find(|e| e.value().classes().any(|c| c == "tool"))
        .expect("nested in a tool call");
    let name = parent
        .select(&sel(".tool-name"))
        .next()
        .unwrap()
        .inner_html();
    assert!(name == "Task" || name == "Agent", "{name}");
    // Its tool calls are inside it.
    assert_eq!(
        agent_el.select(&sel("details.tool")).count(),
        tool_use_ids(&agent).len()
    );
    // Four charts.
    assert_eq!(doc.select(&sel("figure.chart svg")).count(), 4);
    // The cost shown is the session core's.
    let mut collector = crate::render::summary::SessionCollector::new(Pricing::built_in());
    let mut p = Pipeline::new(Options::default(), &mut collector);
    for t in [&main, &agent, &compact] {
        let _ = p.read_to_end("x", t.as_bytes()).unwrap();
    }
    p.finish().unwrap();
    let s = collector.sessions().iter().find(|s| !s.is_empty()).unwrap();
    let cost = s.cost().unwrap();
    let shown = doc.select(&sel(".cost")).next().unwrap();
    let pico = crate::session::pricing::to_pico(cost);
    assert_eq!(
        shown.value().attr("data-usd"),
        Some(crate::render::text::decimal_pico(pico, 6).as_str())
    );
    assert_eq!(shown.inner_html(), crate::render::text::usd_pico(pico));
}

/// A session of exactly $0.075 (two Sonnet 4.5 responses, 2,000 and 3,000 output tokens at
/// $15/Mtok, 0.03 + 0.045): the cost shown, its `data-usd` and the cost chart's top tick all
/// say what the tables say, `$0.08` (half a cent up); the double 0.075 lies below, and
/// `{:.2}` made the tick `$0.07` beside a `$0.08` cost.
#[test]
fn the_cost_chart_and_data_usd_round_as_the_shown_cost() {
    let response = |n: u32, output: u32| {
        json!({
            "type": "assistant", "sessionId": "half-cent", "uuid": format!("a{n}"),
            "timestamp": format!("2026-01-01T00:0{n}:00.000Z"), "requestId": format!("r{n}"),
            "message": {"id": format!("m{n}"), "role": "assistant", "model": "claude-sonnet-4-5",
                "content": [{"type": "text", "text": "ok"}],
                "usage": {"input_tokens": 0, "output_tokens": output}}
        })
        .to_string()
    };
    let text = format!("{}\n{}\n", response(1, 2000), response(2, 3000));
    let html = report_of(&[("s.jsonl", &text)]);
    let doc = Html::parse_document(&html);
    let shown = doc.select(&sel(".cost")).next().unwrap();
    assert_eq!(shown.inner_html(), "$0.08");
    assert_eq!(shown.value().attr("data-usd"), Some("0.075000"));
    let ticks: Vec<String> = doc
        .select(&sel("figure.chart svg text.axis"))
        .map(|t| t.inner_html())
        .filter(|t| t.starts_with('$'))
        .collect();
    // 0, half (0.0375, half up) and the whole.
    assert_eq!(ticks, ["$0.00", "$0.04", "$0.08"], "{html}");
}

#[test]
fn the_policy_allows_only_the_documents_own_style_and_script() {
    let html = report_of(&[(
        "s.jsonl",
        &corpus("marot__spotter__test__fixtures__transcripts__short.jsonl"),
    )]);
    let doc = Html::parse_document(&html);
    let meta = doc
        .select(&sel("meta[http-equiv=\"Content-Security-Policy\"]"))
        .next()
        .unwrap();
    let csp = meta.value().attr("content").unwrap();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(csp.contains("img-src data:;"), "{csp}");
    // The hashes are those of the style and the script as they are in the document; checked
    // against `openssl dgst -sha256 -binary | base64` of the files.
    let style: String = doc.select(&sel("style")).next().unwrap().text().collect();
    let script: String = doc.select(&sel("script")).next().unwrap().text().collect();
    assert_eq!(style, STYLE);
    assert_eq!(script, SCRIPT);
    assert!(csp.contains(&format!("style-src '{}'", csp_hash(&style))));
    assert!(csp.contains(&format!("script-src '{}'", csp_hash(&script))));
}

#[test]
fn base64_matches_rfc_4648() {
    // RFC 4648 §10 test vectors.
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded);
    }
    // `printf 'abc' | openssl dgst -sha256 -binary | base64`
    assert_eq!(
        csp_hash("abc"),
        "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
}

/// Payloads that execute script, load something or break out of their context if written as
/// they are. `xss-` names mark elements and attributes that must never appear.
const PAYLOADS: &[&str] = &[
    "<script>alert('xss-script')</script>",
    "<img src=x onerror=alert(1) xss-attr>",
    "<xss-element onclick=alert(1)>click</xss-element>",
    "<svg onload=alert(1)><xss-svg/></svg>",
    "<a href=\"javascript:alert(1)\">j</a>",
    "</script><script>alert(2)</script>",
    "</style><xss-style/>",
    "--><xss-comment/><!--",
    "</textarea></title><xss-title/>",
    "\"><xss-attr-break onmouseover=alert(1) xss-x=\"",
    "' onfocus='alert(1)' autofocus='",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "\u{1b}]52;c;aGk=\u{7}\u{1b}[31mred\u{202e}",
];

fn hostile_transcript() -> String {
    let all = PAYLOADS.join(" ");
    let markdown = format!(
        "{all}\n\n[link](javascript:alert(1)) [data](data:text/html,<script>alert(1)</script>) \
         ![img](https://evil.example/x.png) <https://ok.example/?q=\"><xss-autolink/>>\n\n\
         ```html\n{all}\n```\n\n| a | b |\n|---|---|\n| {cell} | <xss-cell/> |",
        cell = PAYLOADS[0]
    );
    let sid = "s-1";
    let base = |ts: &str| {
        json!({
            "sessionId": sid,
            "timestamp": ts,
            "cwd": format!("/home/{all}"),
            "gitBranch": all,
            "version": all,
        })
    };
    let with = |mut v: serde_json::Value, extra: serde_json::Value| {
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v.to_string()
    };
    let lines = [
        with(
            base("2026-01-01T00:00:00.000Z"),
            json!({"type": "custom-title", "customTitle": all}),
        ),
        with(
            base("2026-01-01T00:00:01.000Z"),
            json!({"type": "user", "uuid": "u1", "message": {"role": "user", "content": all}}),
        ),
        with(
            base("2026-01-01T00:00:02.000Z"),
            json!({"type": "assistant", "uuid": "a1", "message": {
            "id": "m1", "model": all, "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": all},
                {"type": "text", "text": markdown},
                {"type": "tool_use", "id": "t1", "name": all, "input": {"command": all, "file_path": all, "nested": {"k": all}}},
                {"type": "tool_use", "id": "t2", "name": "Read", "input": {"file_path": format!("/tmp/{all}.txt")}},
                {"type": "tool_use", "id": "t3", "name": "Task", "input": {"prompt": all, "description": all}}
            ],
            "usage": {"input_tokens": 10, "output_tokens": 5}}}),
        ),
        with(
            base("2026-01-01T00:00:03.000Z"),
            json!({"type": "user", "uuid": "u2", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": all, "is_error": true}]}}),
        ),
        with(
            base("2026-01-01T00:00:04.000Z"),
            json!({"type": "user", "uuid": "u3", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t2", "content": [
                {"type": "text", "text": all},
                {"type": "image", "source": {"type": "base64", "media_type": "image/svg+xml", "data": "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png\" onerror=\"alert(1)", "data": "iVBORw0KGgo="}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR\" onerror=\"alert(1)"}},
                {"type": all}
            ]}]}}),
        ),
        with(
            base("2026-01-01T00:00:05.000Z"),
            json!({"type": "assistant", "uuid": "a2", "agentId": all, "isSidechain": true, "message": {
            "id": "m2", "model": "claude-opus-4-6", "role": "assistant",
            "content": [{"type": "text", "text": markdown}],
            "usage": {"input_tokens": 1, "output_tokens": 1}}}),
        ),
        with(
            base("2026-01-01T00:00:06.000Z"),
            json!({"type": "user", "uuid": "u4", "toolUseResult": {"agentId": all}, "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t3", "content": [{"type": "text", "text": all}]}]}}),
        ),
        with(
            base("2026-01-01T00:00:07.000Z"),
            json!({"type": "system", "subtype": all, "level": all, "content": all}),
        ),
        with(
            base("2026-01-01T00:00:08.000Z"),
            json!({"type": "assistant", "isApiErrorMessage": true, "message": {
            "id": "m3", "model": "<synthetic>", "role": "assistant", "content": [{"type": "text", "text": all}]}}),
        ),
    ];
    lines.join("\n") + "\n"
}

#[test]
fn nothing_from_a_transcript_becomes_markup() {
    let html = report_of(&[(
        &format!("{}.jsonl", PAYLOADS.join("")),
        &hostile_transcript(),
    )]);
    let doc = Html::parse_document(&html);
    let mut names = std::collections::BTreeSet::new();
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let v = el.value();
        names.insert(v.name().to_owned());
        assert!(
            !v.name().starts_with("xss"),
            "element <{}> from the transcript",
            v.name()
        );
        for (attr, value) in v.attrs() {
            assert!(
                !attr.starts_with("on"),
                "event handler {attr}={value:?} on <{}>",
                v.name()
            );
            assert!(
                !attr.starts_with("xss") && attr != "autofocus",
                "attribute {attr} on <{}>",
                v.name()
            );
            if attr == "href" {
                assert!(
                    value.starts_with("https://") || value.starts_with("http://"),
                    "href {value:?}"
                );
                assert!(
                    !value.contains('"') && !value.contains('<'),
                    "href {value:?}"
                );
            }
            if attr == "src" {
                assert_eq!(v.name(), "img");
                assert!(
                    value.starts_with("data:image/png;base64,")
                        && super::super::transcript::is_base64(
                            &value["data:image/png;base64,".len()..]
                        ),
                    "src {value:?}"
                );
            }
        }
    }
    // Only the elements aegon writes itself.
    let allowed = [
        "html",
        "head",
        "body",
        "meta",
        "title",
        "style",
        "script",
        "nav",
        "span",
        "label",
        "input",
        "article",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "code",
        "dl",
        "dt",
        "dd",
        "div",
        "br",
        "details",
        "summary",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "section",
        "figure",
        "figcaption",
        "svg",
        "line",
        "text",
        "path",
        "rect",
        "pre",
        "time",
        "em",
        "strong",
        "a",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
        "del",
        "footer",
        "img",
    ];
    for n in &names {
        assert!(allowed.contains(&n.as_str()), "unexpected element <{n}>");
    }
    // Exactly one script and one style: aegon's.
    assert_eq!(doc.select(&sel("script")).count(), 1);
    let script: String = doc.select(&sel("script")).next().unwrap().text().collect();
    assert_eq!(script, SCRIPT);
    assert_eq!(doc.select(&sel("style")).count(), 1);
    assert_eq!(
        doc.select(&sel("iframe, object, embed, form, base"))
            .count(),
        0
    );
    // The only images are data: URLs of the four raster types (none here: the PNG's data
    // and media type were both hostile, the SVG is never shown).
    assert_eq!(doc.select(&sel("img")).count(), 0);
    // The payloads are there, as text, whole.
    let text: String = doc.root_element().text().collect();
    for p in PAYLOADS.iter().take(PAYLOADS.len() - 1) {
        assert!(text.contains(p), "{p:?} is not shown as text");
    }
    // Terminal escapes made inert: ESC, BEL and RLO never reach the document.
    assert!(!html.contains('\u{1b}') && !html.contains('\u{7}') && !html.contains('\u{202e}'));
    assert!(text.contains("␛]52;c;aGk=␇␛[31mred"));
    // The title is the transcript's, escaped.
    let title = doc.select(&sel("title")).next().unwrap().inner_html();
    assert!(title.starts_with("&lt;script&gt;"), "{title}");
    // The only links are http(s) ones from the Markdown, and the autolink is cut at `"`.
    for a in doc.select(&sel("a")) {
        assert!(a.value().attr("rel").unwrap().contains("noopener"));
    }
}

#[test]
fn images_are_shown_from_their_data_only_for_raster_types() {
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    let line = |media: &str| {
        json!({"type": "user", "sessionId": "s", "timestamp": "2026-01-01T00:00:00.000Z",
            "message": {"role": "user", "content": [
                {"type": "text", "text": "look"},
                {"type": "image", "source": {"type": "base64", "media_type": media, "data": png}}]}})
        .to_string()
            + "\n"
    };
    let html = report_of(&[("a", &line("image/png"))]);
    let doc = Html::parse_document(&html);
    let img = doc.select(&sel("img")).next().expect("the image");
    assert_eq!(
        img.value().attr("src"),
        Some(format!("data:image/png;base64,{png}").as_str())
    );
    let html = report_of(&[("a", &line("image/svg+xml"))]);
    assert!(!html.contains(png), "an SVG image is listed, not shown");
    assert!(html.contains("image/svg+xml, 96 B of data, not shown"));
}

#[test]
fn long_outputs_are_folded_with_their_size() {
    let output = "line\n".repeat(1_000);
    let lines = [
        json!({"type": "assistant", "sessionId": "s", "timestamp": "2026-01-01T00:00:00.000Z",
            "message": {"id": "m", "model": "claude-opus-4-6", "role": "assistant",
            "content": [{"type": "tool_use", "id": "t", "name": "Bash", "input": {"command": "yes"}}]}}),
        json!({"type": "user", "sessionId": "s", "timestamp": "2026-01-01T00:00:02.500Z",
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": output}]}}),
    ];
    let text = lines.map(|l| l.to_string()).join("\n") + "\n";
    let doc = Html::parse_document(&report_of(&[("a", &text)]));
    let tool = doc.select(&sel("details.tool.ok")).next().unwrap();
    assert_eq!(
        tool.select(&sel(".dur")).next().unwrap().inner_html(),
        "2.5s"
    );
    let fold = tool.select(&sel("details.fold > summary")).next().unwrap();
    assert_eq!(fold.inner_html(), "1,000 lines, 5.0 KB");
}

#[test]
fn report_file_names_never_come_from_transcripts_as_they_are() {
    let id = "fed8ce56-bc79-401f-a83e-af084253362f";
    assert_eq!(report_file_name(id, 1), format!("{id}.html"));
    assert_eq!(report_file_name("../../etc/passwd", 2), "session-2.html");
    assert_eq!(report_file_name("a\"><script>", 3), "session-3.html");
    assert_eq!(report_file_name("", 4), "session-4.html");
}

#[test]
fn every_filter_checkbox_is_wired_to_a_rule_that_hides_its_entries() {
    let html = report_of(&[(
        "s.jsonl",
        &corpus("marot__spotter__test__fixtures__transcripts__short.jsonl"),
    )]);
    let doc = Html::parse_document(&html);
    // The script finds the checkboxes with this selector and sets `hide-KIND` on <body> from
    // each box's `data-kind`, on every change (a click or the space bar) and on load.
    let boxes_selector = ".filters input[data-kind]";
    assert!(SCRIPT.contains(&format!("querySelectorAll('{boxes_selector}')")));
    assert!(SCRIPT.contains("classList.toggle('hide-' + box.dataset.kind, !box.checked)"));
    assert!(SCRIPT.contains("addEventListener('change', sync)"));
    let boxes: Vec<_> = doc.select(&sel(boxes_selector)).collect();
    assert_eq!(boxes.len(), FILTERS.len());
    // The one rule that hides, split into its selectors.
    let rule = STYLE
        .lines()
        .find(|l| l.starts_with(".hide-"))
        .expect("a .hide-* rule");
    let (selectors, body) = rule.split_once('{').unwrap();
    assert_eq!(body, "display:none}");
    let selectors: Vec<&str> = selectors.split(',').collect();
    for b in &boxes {
        let kind = b.value().attr("data-kind").unwrap();
        // Checked at first (everything shows), inside a label (clickable, and reachable and
        // toggled from the keyboard as any checkbox is).
        assert!(b.value().attr("checked").is_some(), "{kind}");
        assert_eq!(
            b.parent()
                .and_then(scraper::ElementRef::wrap)
                .map(|p| p.value().name()),
            Some("label")
        );
        assert!(
            selectors.contains(&format!(".hide-{kind} .k-{kind}").as_str()),
            "no CSS rule hides .k-{kind} under .hide-{kind}"
        );
    }
    // Each kind the report has entries of is one a checkbox names (none left unfilterable).
    let kinds: std::collections::BTreeSet<String> = doc
        .select(&sel("[class]"))
        .flat_map(|e| e.value().classes().map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|c| c.strip_prefix("k-").map(str::to_owned))
        .collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    for k in &kinds {
        assert!(
            boxes
                .iter()
                .any(|b| b.value().attr("data-kind") == Some(k.as_str())),
            "entries of kind {k} have no checkbox"
        );
    }
}

/// The stylesheet's rules as (selectors, declarations), `@media` blocks left out: enough
/// for the flat, one-rule-per-run `style.css`.
fn top_level_rules() -> Vec<(Vec<String>, String)> {
    STYLE
        .lines()
        .filter(|l| !l.starts_with('@'))
        .flat_map(|l| l.split('}'))
        .filter_map(|rule| {
            let (selectors, body) = rule.split_once('{')?;
            Some((
                selectors.split(',').map(|s| s.trim().to_owned()).collect(),
                body.to_owned(),
            ))
        })
        .collect()
}

#[test]
fn long_words_wrap_and_charts_scale_down_to_a_narrow_window() {
    // tester12 #6: in a 485 px window the page was 724 px wide: a title holding a long path
    // (no wrap opportunity) and the four charts (a grid column of at least 30rem) stuck out,
    // and a long model name spilled out of its card even at 1280 px. Checked in headless
    // Chromium (page width = window width at 485 and 1280 px after, 724 before); here, that
    // the rules doing it are there and match the report's markup.
    let rules = top_level_rules();
    let declarations = |selector: &str| -> String {
        rules
            .iter()
            .filter(|(s, _)| s.iter().any(|s| s == selector))
            .map(|(_, body)| body.as_str())
            .collect::<Vec<_>>()
            .join(";")
    };
    for selector in [
        "h1",
        "h2",
        ".meta",
        ".stats dd",
        "figcaption",
        ".legend",
        ".md",
        "td",
    ] {
        assert!(
            declarations(selector).contains("overflow-wrap:anywhere"),
            "{selector} does not wrap long words: {}",
            declarations(selector)
        );
    }
    let svg = declarations("svg");
    assert!(
        svg.contains("max-width:100%") && svg.contains("width:100%"),
        "{svg}"
    );
    // A chart column's minimum is never wider than the page: min(30rem, 100%).
    let charts = declarations(".charts");
    assert!(charts.contains("minmax(min(30rem,100%),1fr)"), "{charts}");
    // A Markdown table too wide for the page scrolls inside itself.
    assert!(declarations(".md table").contains("overflow-x:auto"));

    // The markup those rules are for: the title, the cards, the charts (each scaled from a
    // viewBox), in a real report.
    let html = report_of(&[(
        "s.jsonl",
        &corpus("marot__spotter__test__fixtures__transcripts__short.jsonl"),
    )]);
    let doc = Html::parse_document(&html);
    assert!(doc
        .select(&sel("article.session header h1"))
        .next()
        .is_some());
    assert!(doc.select(&sel("dl.stats dd")).count() >= 5);
    let svgs: Vec<_> = doc.select(&sel("figure.chart svg")).collect();
    assert!(!svgs.is_empty());
    for s in svgs {
        let view_box = s.value().attr("viewBox").unwrap_or_default();
        assert!(view_box.starts_with("0 0 600 "), "{view_box}");
        assert_eq!(
            s.value().attr("width"),
            None,
            "a fixed width would not scale"
        );
    }
}
