#!/usr/bin/env python3
"""The HTML report in a real browser: headless Chromium (Debian's package) opens reports that
aegon wrote and this checks what a reader would get.

    python3 scripts/check_html.py AEGON_BINARY ARTIFACT_DIR

1. The report of a real session (fixtures/corpus, spotter 258c7280 with its two subagent
   files): the DOM after load holds one `details.tool` per tool_use block of the transcripts
   (counted here from their JSON), the tool-call count and the cost the header shows equal
   those of `aegon --summary --json`, the inline script ran (under the Content-Security-Policy:
   `body.js`), the browser logged nothing to the console (no error, no CSP violation) and made
   no network request (every request would go through a recording proxy on 127.0.0.1).
2. A hostile transcript (script tags, event handlers, javascript: links, SVG payloads,
   closing-tag tricks, a remote image) in prompts, Markdown, tool input and output, titles and
   file names: nothing runs (each payload would log to the console), nothing is requested.
3. Controls, so that a pass means something: a page that does log, and one that does request,
   are seen to.
4. The "Show:" filters of the real report, driven as a reader drives them (the DevTools
   protocol over --remote-debugging-pipe, the page's own policy left in place): unchecking a
   kind hides every entry of that kind and no other, checking it again shows them all; the
   same from the keyboard alone (Tab to the box, Space); after a reload the page's hidden
   kinds match its boxes' states.
5. Narrow and wide windows (a 375 px phone, 485 px and 1280 px, set over the DevTools protocol): the
   real report, and one whose title is a long path and whose model names are long words, are
   no wider than the window (no sideways scrolling), and neither the title nor a card's value
   spills out of its box: long words wrap, the charts scale.

It saves a screenshot of the real report in ARTIFACT_DIR/report.png. Exit 0 when every check
passes, 1 when one fails; when no Chromium can be found it says SKIP and exits 0 (.ci/run
installs Debian's `chromium` first, so in CI a skip means it could not be had).
"""

import decimal
import fcntl
import html.parser
import http.server
import json
import os
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPOTTER = "marot__spotter__test__fixtures__transcripts__258c7280-ae70-4798-800f-63464d01a85d"
FIXTURES = [
    f"fixtures/corpus/{SPOTTER}.jsonl",
    f"fixtures/corpus/{SPOTTER}__subagents__agent-a881341.jsonl",
    f"fixtures/corpus/{SPOTTER}__subagents__agent-acompact-fffbd0.jsonl",
]

failures = []

# Chromium's own services (component updates, sign-in, network time), which it calls whatever
# page it shows, even with the switches below: not the page's requests, so not counted. Every
# other request is.
BROWSER_SERVICES = re.compile(
    r"^(CONNECT |GET |POST )(https?://)?"
    r"(update\.googleapis\.com|clients\d*\.google\.com|accounts\.google\.com|"
    r"[a-z0-9-]+\.gvt1\.com|optimizationguide-pa\.googleapis\.com|"
    r"content-autofill\.googleapis\.com|safebrowsing\.googleapis\.com)[:/]"
)


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


class Recorder(http.server.BaseHTTPRequestHandler):
    """A proxy that answers nothing and remembers every request it was sent."""

    seen = []

    def _record(self):
        Recorder.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _record

    def log_message(self, *args):
        pass


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(browser, port, url, extra):
    """Loads `url`; returns (dom, console lines, requests the proxy saw)."""
    Recorder.seen = []
    profile = tempfile.mkdtemp(prefix="aegon-chromium-")
    args = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--no-default-browser-check",
        "--disable-client-side-phishing-detection", "--disable-domain-reliability",
        f"--user-data-dir={profile}", f"--proxy-server=http://127.0.0.1:{port}",
        "--proxy-bypass-list=<-loopback>", "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=3000",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,CertificateTransparencyComponentUpdater,AutofillServerCommunication",
    ] + extra + [url]
    try:
        run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    console = [l for l in run.stderr.splitlines() if ":CONSOLE" in l]
    ignored = [r for r in Recorder.seen if BROWSER_SERVICES.match(r)]
    if ignored:
        print(f"      (the browser's own requests, not counted: {sorted({r.split('?')[0] for r in ignored})})")
    return run.stdout, console, [r for r in Recorder.seen if not BROWSER_SERVICES.match(r)]


class Dom(html.parser.HTMLParser):
    """Counts what the checks need in a serialised DOM."""

    def __init__(self):
        super().__init__()
        self.tools = 0
        self.body_classes = []
        self.scripts = 0
        self.handlers = []
        self.capture = None
        self.texts = {}
        self.cost_usd = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "details" and "tool" in classes:
            self.tools += 1
        if tag == "body":
            self.body_classes = classes
        if tag == "script":
            self.scripts += 1
        for name, _ in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        for c in ("tool-calls", "cost"):
            if c in classes and c not in self.texts:
                self.capture = c
                self.texts[c] = ""
                if c == "cost":
                    self.cost_usd = a.get("data-usd")

    def handle_endtag(self, tag):
        self.capture = None

    def handle_data(self, data):
        if self.capture:
            self.texts[self.capture] += data


class Cdp:
    """Chromium driven over the DevTools protocol on --remote-debugging-pipe (fd 3: commands
    in, fd 4: replies and events out, each a JSON object ended by a NUL byte)."""

    def __init__(self, browser):
        self.profile = tempfile.mkdtemp(prefix="aegon-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def fds():
            # Out of the way first, so that neither dup2 closes the other's source.
            r, w = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_browser, 65536)
            if not chunk:
                raise RuntimeError("the browser closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    del self.events[i]
                    return m
            self.events.append(self._read())

    def load(self, url, reload=False):
        self.events = []
        if reload:
            self.call("Page.reload", session=True)
        else:
            self.call("Page.navigate", session=True, url=url)
        self.wait_event("Page.loadEventFired")

    def js(self, expression):
        r = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def key(self, key, code, keycode, text=None):
        for kind in ("keyDown", "keyUp"):
            p = {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": keycode}
            if text and kind == "keyDown":
                p["text"] = text
            self.call("Input.dispatchKeyEvent", session=True, **p)

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.to_browser)
        os.close(self.from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


# Entries of each kind the filters name: how many the report has, and how many are laid out
# (not display:none themselves).
SHOWN = """Object.fromEntries([...document.querySelectorAll('.filters input[data-kind]')].map(b =>
  [b.dataset.kind, [document.querySelectorAll('.k-' + b.dataset.kind).length,
    [...document.querySelectorAll('.k-' + b.dataset.kind)]
      .filter(e => getComputedStyle(e).display !== 'none').length, b.checked]]))"""


def check_filters(browser, report):
    cdp = Cdp(browser)
    try:
        cdp.load("file://" + report)
        start = cdp.js(SHOWN)
        kinds = [k for k, (n, _, _) in start.items() if n > 0]
        check(len(start) == 7 and all(s == n and c for n, s, c in start.values()),
              f"filters: seven boxes, all checked, every entry shown at first ({start})")
        check({"prompt", "assistant", "tool", "agent"} <= set(kinds),
              f"filters: the report has entries of the kinds checked here ({kinds})")
        for kind in kinds:
            cdp.js(f"document.querySelector('.filters input[data-kind=\"{kind}\"]').click()")
            off = cdp.js(SHOWN)
            others_ok = all(off[k][1] == start[k][1] for k in start if k != kind)
            check(off[kind][1] == 0 and not off[kind][2] and others_ok,
                  f"filters: unchecking {kind} hides its {start[kind][0]} entries and no other ({off[kind]})")
            cdp.js(f"document.querySelector('.filters input[data-kind=\"{kind}\"]').click()")
            check(cdp.js(SHOWN) == start, f"filters: checking {kind} again shows them all")
        # The keyboard alone: Tab from the top of the page to the "Tool calls" box, Space.
        cdp.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        focused = None
        for _ in range(40):
            cdp.key("Tab", "Tab", 9)
            focused = cdp.js("document.activeElement.dataset ? document.activeElement.dataset.kind || null : null")
            if focused == "tool":
                break
        check(focused == "tool", "filters: Tab reaches the Tool calls box")
        cdp.key(" ", "Space", 32, text=" ")
        by_key = cdp.js(SHOWN)
        check(by_key["tool"][1] == 0 and not by_key["tool"][2],
              f"filters: Space on the focused box hides the tool calls ({by_key['tool']})")
        cdp.key(" ", "Space", 32, text=" ")
        check(cdp.js(SHOWN) == start, "filters: Space again shows them")
        # After a reload, whatever state the browser restores the boxes to, the page agrees.
        cdp.js("document.querySelector('.filters input[data-kind=\"thinking\"]').click()")
        cdp.load(None, reload=True)
        agree = cdp.js("""[...document.querySelectorAll('.filters input[data-kind]')].every(b =>
          document.body.classList.contains('hide-' + b.dataset.kind) === !b.checked)""")
        check(agree, "filters: after a reload the hidden kinds are those whose boxes are unchecked")
    except Exception as e:
        check(False, f"filters: the browser could not be driven: {e}")
    finally:
        cdp.close()


# The page's width against the window's, and the title or card values wider than their box.
FIT = """(() => { const d = document.documentElement;
  const spill = [...document.querySelectorAll('h1, .stats dd')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName + ' ' + e.textContent.slice(0, 30));
  return [d.scrollWidth, d.clientWidth, spill]; })()"""


def long_words_transcript():
    """A session whose title is a prompt holding a long path and whose model ids are long words
    (a Bedrock application inference profile ARN): nowhere to wrap them but inside a word."""
    path = "/Users/someone/personal_project/" + "very_long_folder_name_" * 6 + "doc.md"
    model = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + "x" * 60
    lines = [{"type": "user", "uuid": "u1", "sessionId": "narrow", "cwd": "/p",
              "timestamp": "2026-11-30T10:00:00.000Z",
              "message": {"role": "user", "content": f"read {path} and summarise it"}}]
    for i, m in enumerate([model, "claude-sonnet-4-5-20250929"]):
        lines.append({"type": "assistant", "uuid": f"a{i}", "parentUuid": "u1", "sessionId": "narrow",
                      "cwd": "/p", "timestamp": f"2026-11-30T10:0{i + 1}:00.000Z", "requestId": f"r{i}",
                      "message": {"id": f"m{i}", "role": "assistant", "model": m,
                                  "content": [{"type": "text", "text": "done " + path}],
                                  "usage": {"input_tokens": 1000, "output_tokens": 100,
                                            "cache_creation_input_tokens": 0,
                                            "cache_read_input_tokens": 0}}})
    return "".join(json.dumps(l) + "\n" for l in lines)


def check_fit(browser, report, what):
    cdp = Cdp(browser)
    try:
        for width in (375, 485, 1280):
            cdp.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=900,
                     deviceScaleFactor=1, mobile=False)
            cdp.load("file://" + report)
            page, window, spill = cdp.js(FIT)
            check(page <= window and not spill,
                  f"{what} at {width} px: the page is {page} px wide in a {window} px window, "
                  f"nothing spills from its box ({spill[:3]})")
    finally:
        cdp.close()


def tool_use_ids(paths):
    ids = set()
    for p in paths:
        with open(os.path.join(ROOT, p), encoding="utf-8") as f:
            for line in f:
                try:
                    v = json.loads(line)
                except ValueError:
                    continue
                content = (v.get("message") or {}).get("content") if isinstance(v, dict) else None
                if isinstance(content, list):
                    for b in content:
                        if isinstance(b, dict) and b.get("type") == "tool_use":
                            ids.add(b.get("id"))
    return ids


def hostile_transcript(port):
    fired = "console.error('XSS-FIRED')"
    payloads = [
        f"<script>{fired}</script>",
        f"<img src=x onerror=\"{fired}\">",
        f"<svg onload=\"{fired}\"><circle r=1 /></svg>",
        f"<a href=\"javascript:{fired}\">click</a>",
        f"</script><script>{fired}</script>",
        f"</style><img src=x onerror=\"{fired}\">",
        f"--><img src=x onerror=\"{fired}\"><!--",
        f"\"><img src=x onerror=\"{fired}\" x=\"",
        f"<iframe srcdoc=\"<script>{fired}</script>\"></iframe>",
        f"<img src=\"http://leak.example/pixel.png\"><link rel=stylesheet href=\"http://127.0.0.2:{port}/x.css\">",
        f"<math><mtext><table><mglyph><style><img src=x onerror=\"{fired}\">",
    ]
    all_ = " ".join(payloads)
    md = (
        f"{all_}\n\n[x](javascript:{fired}) ![i](http://leak.example/md.png)\n\n"
        f"```html\n{all_}\n```"
    )
    base = {"sessionId": "xss", "cwd": f"/home/{all_}", "gitBranch": all_, "version": "2.1.0"}
    lines = [
        {"type": "custom-title", "customTitle": all_},
        {"type": "user", "timestamp": "2026-01-01T00:00:01.000Z", "message": {"role": "user", "content": all_}},
        {"type": "assistant", "timestamp": "2026-01-01T00:00:02.000Z", "message": {
            "id": "m1", "model": "claude-opus-4-6", "role": "assistant", "content": [
                {"type": "thinking", "thinking": all_},
                {"type": "text", "text": md},
                {"type": "tool_use", "id": "t1", "name": all_, "input": {"command": all_, "file_path": f"/tmp/{all_}"}},
                {"type": "tool_use", "id": "t2", "name": "Read", "input": {"file_path": f"/{all_}.png"}},
            ], "usage": {"input_tokens": 10, "output_tokens": 5}}},
        {"type": "user", "timestamp": "2026-01-01T00:00:03.000Z", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": all_, "is_error": True}]}},
        {"type": "user", "timestamp": "2026-01-01T00:00:04.000Z", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t2", "content": [
                {"type": "text", "text": all_},
                {"type": "image", "source": {"type": "base64", "media_type": "image/svg+xml",
                                             "data": "PHN2ZyBvbmxvYWQ9ImNvbnNvbGUuZXJyb3IoJ1hTUy1GSVJFRCcpIi8+"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": f"x\" onerror=\"{fired}"}},
            ]}]}},
    ]
    return "".join(json.dumps({**base, **l}) + "\n" for l in lines)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    aegon, artifacts = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    browser = chromium()
    if browser is None:
        print("SKIP: no Chromium (install Debian's chromium package to run the browser checks)")
        return 0
    os.makedirs(artifacts, exist_ok=True)
    version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"browser: {version}")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="aegon-html-check-")
    try:
        # Controls: the harness sees console output and requests when there are some.
        control = os.path.join(work, "control.html")
        with open(control, "w") as f:
            f.write("<!DOCTYPE html><script>console.error('CONTROL')</script>"
                    "<img src=\"http://control.example/x.png\">")
        _, console, requests = browse(browser, port, "file://" + control, ["--dump-dom"])
        check(any("CONTROL" in l for l in console), "control: console output is seen")
        check(any("control.example" in r for r in requests), "control: a request is seen")

        # 1. A real session.
        report = os.path.join(work, "report.html")
        subprocess.run([aegon, "--html", "-o", report] + FIXTURES, cwd=ROOT, check=True)
        size = os.path.getsize(report)
        print(f"report: {size} bytes")
        dom, console, requests = browse(browser, port, "file://" + report, ["--dump-dom"])
        d = Dom()
        d.feed(dom)
        ids = tool_use_ids(FIXTURES)
        summary = json.loads(subprocess.run(
            [aegon, "--summary", "--json"] + FIXTURES, cwd=ROOT, check=True,
            capture_output=True, text=True).stdout)
        s = [x for x in summary["sessions"] if x["session_id"] == "258c7280-ae70-4798-800f-63464d01a85d"][0]
        check(d.tools == len(ids), f"tool calls in the DOM: {d.tools}, tool_use blocks in the transcripts: {len(ids)}")
        shown_calls = int(d.texts.get("tool-calls", "-1").replace(",", ""))
        check(shown_calls == s["tool_calls"], f"header tool calls {shown_calls} = summary's {s['tool_calls']}")
        cost = float(d.cost_usd) if d.cost_usd else None
        check(cost is not None and abs(cost - s["cost_usd"]) < 0.00006,
              f"header cost {cost} (shown {d.texts.get('cost')!r}) = summary's {s['cost_usd']}")
        # To the cent, half a cent up, from the summary's exact hundredths of a cent.
        cents = decimal.Decimal(str(s["cost_usd"])).quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP)
        check(d.texts.get("cost") == f"${cents}", "the cost figure reads as the summary's")
        check("js" in d.body_classes, "the inline script ran under the Content-Security-Policy")
        check(console == [], f"no console message ({len(console)}: {console[:3]})")
        check(requests == [], f"no network request ({requests[:3]})")
        shot = os.path.join(artifacts, "report.png")
        browse(browser, port, "file://" + report,
               ["--screenshot=" + shot, "--window-size=1100,1400", "--hide-scrollbars"])
        check(os.path.exists(shot) and os.path.getsize(shot) > 10_000, f"screenshot {shot}")
        check_filters(browser, report)
        check_fit(browser, report, "real report")
        narrow = os.path.join(work, "narrow.jsonl")
        with open(narrow, "w") as f:
            f.write(long_words_transcript())
        narrow_report = os.path.join(work, "narrow.html")
        subprocess.run([aegon, "--html", "-q", "-o", narrow_report, narrow], cwd=ROOT, check=True)
        check_fit(browser, narrow_report, "long words report")

        # 2. A hostile transcript.
        hostile_dir = os.path.join(work, "hostile")
        os.makedirs(hostile_dir)
        name = os.path.join(hostile_dir, "x\"><img src=x onerror=alert(1)>.jsonl")
        with open(name, "w") as f:
            f.write(hostile_transcript(port))
        hostile = os.path.join(work, "hostile.html")
        subprocess.run([aegon, "--html", "-q", "-o", hostile, name], cwd=ROOT, check=True)
        dom, console, requests = browse(browser, port, "file://" + hostile, ["--dump-dom"])
        d = Dom()
        d.feed(dom)
        check(not any("XSS-FIRED" in l for l in console), "hostile: no payload ran")
        check(console == [], f"hostile: no console message at all, no CSP violation ({console[:3]})")
        check(requests == [], f"hostile: no network request ({requests[:3]})")
        check(d.scripts == 1 and d.handlers == [], f"hostile: one script (aegon's), no handler attribute {d.handlers[:3]}")
        check("XSS-FIRED" in dom, "hostile: the payloads are shown as text")
        check(d.tools == 2, f"hostile: both tool calls shown ({d.tools})")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"\n{len(failures)} browser check(s) failed")
        return 1
    print("\nall browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
