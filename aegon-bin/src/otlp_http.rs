//! OTLP/HTTP export to a collector or a hosted backend, off the event path.
//!
//! Requests go into a bounded queue ([`QUEUE`]) that one background thread encodes and sends
//! from, so the stream or the dashboard never waits on the network: OTLP/JSON or protobuf (the
//! official message definitions of `opentelemetry-proto`, filled from the library's OTLP/JSON
//! through the crate's serde mapping and encoded by prost), gzip-compressed when asked, posted
//! with ureq over http or https (rustls; the platform's trusted roots plus an optional PEM
//! file, else Mozilla's). A failed try (no connection, a timeout, 408, 429 or a 5xx) is
//! retried with exponential backoff (0.5 s, 1 s, 2 s, … up to 30 s; six tries), or after the
//! server's `Retry-After` (seconds or an HTTP date, at most [`MAX_RETRY_AFTER`]); a request
//! the server refuses (another 4xx), a TLS failure or a full queue drops the request and
//! counts it. At the end aegon waits up to [`DRAIN`] for the queue to empty, then says how many
//! requests, spans and metric points were not delivered (given up, or still queued when the
//! wait ended) and the last reason, never a header; the run then exits with 2
//! ([`undelivered`]).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use aegon::render::otlp::{OtlpSink, Signal};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::Value;

use crate::cmd::otlp::{shown_url, Protocol, Target};

/// Requests waiting to be sent, at most.
const QUEUE: usize = 1024;
/// Tries per request.
const TRIES: u32 = 6;
/// First wait before a retry; doubled each time, at most [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured (a longer one waits this long).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long the end of a run waits for the queue to empty.
pub const DRAIN: Duration = Duration::from_secs(10);

/// Whether an export of this run left something undelivered (set when it closes).
static UNDELIVERED: AtomicBool = AtomicBool::new(false);

/// Whether an OTLP/HTTP export of this run closed with requests not delivered (given up after
/// its tries, refused, dropped from a full queue, or still queued when the wait at the end
/// ran out): the run then exits with 2, as when an input could not be read.
pub fn undelivered() -> bool {
    UNDELIVERED.load(Ordering::Relaxed)
}

/// A request waiting to be sent: its signal, its OTLP/JSON and its (spans, metric points).
type Queued = (Signal, Value, (u64, u64));

/// Spans and metric points, counted per request.
#[derive(Debug, Default)]
struct Items {
    requests: AtomicU64,
    spans: AtomicU64,
    points: AtomicU64,
}

impl Items {
    fn add(&self, (spans, points): (u64, u64)) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.spans.fetch_add(spans, Ordering::Relaxed);
        self.points.fetch_add(points, Ordering::Relaxed);
    }

    fn get(&self) -> [u64; 3] {
        [&self.requests, &self.spans, &self.points].map(|c| c.load(Ordering::Relaxed))
    }
}

/// What happened to the requests, for the closing report.
#[derive(Debug, Default)]
struct Counts {
    /// Every request handed to the sink (queued or not).
    offered: Items,
    /// Those delivered (a 2xx answer).
    sent: Items,
    /// Requests given up: refused, failed every try, not encodable, or the queue was full.
    dropped: AtomicU64,
    /// Why the last request was not sent.
    last_problem: Mutex<Option<String>>,
}

impl Counts {
    fn problem(&self, why: String) {
        if let Ok(mut slot) = self.last_problem.lock() {
            *slot = Some(why);
        }
    }
}

/// One signal's destination with its HTTP client.
struct Destination {
    target: Target,
    agent: ureq::Agent,
}

/// An [`OtlpSink`] that sends in the background.
pub struct HttpSink {
    queue: Option<SyncSender<Queued>>,
    sender: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
    shown: String,
}

impl HttpSink {
    /// Starts the sending thread for the signals that have a destination (a request of a
    /// signal without one is ignored). A certificate file that cannot be read is reported
    /// and the platform's roots alone are used.
    pub fn start(traces: Option<Target>, metrics: Option<Target>) -> HttpSink {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let shown = traces
            .iter()
            .chain(metrics.iter())
            .map(|t| shown_url(&t.url))
            .collect::<Vec<_>>()
            .join(" and ");
        let sender = {
            let counts = counts.clone();
            std::thread::spawn(move || {
                let traces = traces.map(destination);
                let metrics = metrics.map(destination);
                send_all(traces.as_ref(), metrics.as_ref(), &rx, &counts)
            })
        };
        HttpSink {
            queue: Some(tx),
            sender: Some(sender),
            counts,
            shown,
        }
    }

    /// Closes the queue and waits (up to [`DRAIN`]) for it to be sent; returns a sentence about
    /// what was not delivered, if anything (and marks the run [`undelivered`]).
    pub fn close(&mut self) -> Option<String> {
        self.queue = None;
        if let Some(sender) = self.sender.take() {
            let deadline = Instant::now() + DRAIN;
            while !sender.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let [offered, offered_spans, offered_points] = self.counts.offered.get();
        let [sent, sent_spans, sent_points] = self.counts.sent.get();
        let dropped = self.counts.dropped.load(Ordering::Relaxed);
        let why = self.counts.last_problem.lock().ok().and_then(|p| p.clone());
        let message = undelivered_message(
            &self.shown,
            [offered, offered_spans, offered_points],
            [sent, sent_spans, sent_points],
            dropped,
            why.as_deref(),
        );
        if message.is_some() {
            UNDELIVERED.store(true, Ordering::Relaxed);
        }
        message
    }
}

impl OtlpSink for HttpSink {
    fn close(&mut self) -> io::Result<()> {
        if let Some(message) = HttpSink::close(self) {
            crate::report::warn(&message);
        }
        Ok(())
    }

    fn export(&mut self, signal: Signal, request: &Value) -> io::Result<()> {
        let Some(queue) = &self.queue else {
            return Ok(());
        };
        let items = items(signal, request);
        self.counts.offered.add(items);
        match queue.try_send((signal, request.clone(), items)) {
            Ok(()) => {}
            // Never wait: a full queue (a collector down for long) drops, and says so at the end.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                self.counts.problem("the queue was full".to_owned());
            }
        }
        Ok(())
    }
}

/// A client for `target`: its timeout, no redirects, statuses returned rather than raised,
/// and for https the platform's roots plus the target's CA file.
fn destination(target: Target) -> Destination {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(target.timeout))
        .max_redirects(0)
        .user_agent(concat!("aegon/", env!("CARGO_PKG_VERSION")));
    if target.url.starts_with("https://") {
        config = config.tls_config(tls_config(&target));
    }
    Destination {
        agent: config.build().new_agent(),
        target,
    }
}

fn tls_config(target: &Target) -> ureq::tls::TlsConfig {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let mut roots: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    let platform = !roots.is_empty();
    if let Some(path) = &target.ca {
        match std::fs::read(path) {
            Ok(pem) => {
                let before = roots.len();
                for item in ureq::tls::parse_pem(&pem).flatten() {
                    if let ureq::tls::PemItem::Certificate(cert) = item {
                        roots.push(cert);
                    }
                }
                if roots.len() == before {
                    crate::report::warn(&format!(
                        "OTLP export: no certificate in {}",
                        path.display()
                    ));
                }
            }
            Err(e) => {
                crate::report::warn(&format!("OTLP export: cannot read {}: {e}", path.display()))
            }
        }
    }
    let roots = if roots.is_empty() || !platform && target.ca.is_none() {
        RootCerts::WebPki
    } else {
        RootCerts::Specific(Arc::new(roots))
    };
    TlsConfig::builder().root_certs(roots).build()
}

fn send_all(
    traces: Option<&Destination>,
    metrics: Option<&Destination>,
    rx: &Receiver<Queued>,
    counts: &Counts,
) {
    for (signal, request, items) in rx {
        let Some(to) = (match signal {
            Signal::Traces => traces,
            Signal::Metrics => metrics,
        }) else {
            continue;
        };
        let body = match encode(signal, request, &to.target) {
            Ok(body) => body,
            Err(why) => {
                counts.dropped.fetch_add(1, Ordering::Relaxed);
                counts.problem(why);
                continue;
            }
        };
        let mut backoff = FIRST_BACKOFF;
        let mut delivered = false;
        for attempt in 1..=TRIES {
            let wait = match post(to, &body) {
                Outcome::Delivered => {
                    delivered = true;
                    break;
                }
                Outcome::Refused(why) => {
                    counts.problem(why);
                    break;
                }
                Outcome::Retry(why, after) => {
                    counts.problem(why);
                    after.unwrap_or(backoff)
                }
            };
            if attempt < TRIES {
                std::thread::sleep(wait);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        if delivered {
            counts.sent.add(items);
        } else {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The spans and the metric data points an OTLP/JSON request carries.
fn items(signal: Signal, request: &Value) -> (u64, u64) {
    fn each<'a>(v: &'a Value, key: &str) -> &'a [Value] {
        v.get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
    match signal {
        Signal::Traces => {
            let spans = each(request, "resourceSpans")
                .iter()
                .flat_map(|r| each(r, "scopeSpans"))
                .map(|s| each(s, "spans").len() as u64)
                .sum();
            (spans, 0)
        }
        Signal::Metrics => {
            let points = each(request, "resourceMetrics")
                .iter()
                .flat_map(|r| each(r, "scopeMetrics"))
                .flat_map(|s| each(s, "metrics"))
                .flat_map(|m| {
                    [
                        "sum",
                        "gauge",
                        "histogram",
                        "exponentialHistogram",
                        "summary",
                    ]
                    .into_iter()
                    .filter_map(|kind| m.get(kind))
                })
                .map(|data| each(data, "dataPoints").len() as u64)
                .sum();
            (0, points)
        }
    }
}

/// The closing report: `None` when every request offered (`[requests, spans, points]`) was
/// sent; otherwise how many were not delivered, what they held, why (`why`, the last
/// problem) and how many of them were given up (`dropped`) or still queued.
fn undelivered_message(
    shown: &str,
    offered: [u64; 3],
    sent: [u64; 3],
    dropped: u64,
    why: Option<&str>,
) -> Option<String> {
    let [requests, spans, points] = [0, 1, 2].map(|i| offered[i].saturating_sub(sent[i]));
    if requests == 0 {
        return None;
    }
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut held = Vec::new();
    if spans > 0 {
        held.push(plural(spans, "span", "spans"));
    }
    if points > 0 {
        held.push(plural(points, "metric point", "metric points"));
    }
    let held = if held.is_empty() {
        String::new()
    } else {
        format!(" ({} lost)", held.join(" and "))
    };
    let why = why.map(|w| format!(": {w}")).unwrap_or_default();
    let queued = requests.saturating_sub(dropped);
    let how = match (dropped, queued) {
        (_, 0) => String::new(),
        (0, q) => format!(
            "; {q} still queued when the wait at exit ended after {} s",
            DRAIN.as_secs()
        ),
        (d, q) => format!(
            "; {d} given up, {q} still queued when the wait at exit ended after {} s",
            DRAIN.as_secs()
        ),
    };
    Some(format!(
        "OTLP export to {shown}: {requests} of {} {} not delivered{held}{why}{how}",
        offered[0],
        if offered[0] == 1 {
            "request"
        } else {
            "requests"
        },
    ))
}

/// The request body as the target wants it: OTLP/JSON as written, or protobuf through the
/// official definitions; gzipped when asked.
fn encode(signal: Signal, request: Value, target: &Target) -> Result<Vec<u8>, String> {
    let body = match target.protocol {
        // U+2028 and U+2029 escaped, as in every JSON aegon writes.
        Protocol::Json => aegon::render::json_bytes(&request, false).map_err(|e| e.to_string())?,
        Protocol::Protobuf => to_protobuf(signal, request)?,
    };
    if !target.gzip {
        return Ok(body);
    }
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    gz.write_all(&body)
        .and_then(|()| gz.finish())
        .map_err(|e| format!("gzip: {e}"))
}

/// An OTLP/JSON request as protobuf bytes.
pub fn to_protobuf(signal: Signal, request: Value) -> Result<Vec<u8>, String> {
    let problem = |e: serde_json::Error| format!("not an OTLP request: {e}");
    Ok(match signal {
        Signal::Traces => serde_json::from_value::<ExportTraceServiceRequest>(request)
            .map_err(problem)?
            .encode_to_vec(),
        Signal::Metrics => serde_json::from_value::<ExportMetricsServiceRequest>(request)
            .map_err(problem)?
            .encode_to_vec(),
    })
}

/// What one try came to.
enum Outcome {
    Delivered,
    /// Not sent, and trying again will not help: why.
    Refused(String),
    /// Not sent this time: why, and how long the server asked to wait.
    Retry(String, Option<Duration>),
}

/// One POST.
fn post(to: &Destination, body: &[u8]) -> Outcome {
    let t = &to.target;
    let mut request = to.agent.post(&t.url).header(
        "Content-Type",
        match t.protocol {
            Protocol::Json => "application/json",
            Protocol::Protobuf => "application/x-protobuf",
        },
    );
    if t.gzip {
        request = request.header("Content-Encoding", "gzip");
    }
    for (key, value) in &t.headers {
        request = request.header(key, value);
    }
    match request.send(body) {
        Ok(response) => {
            let status = response.status().as_u16();
            let why = format!(
                "{status} {}",
                response.status().canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned();
            match status {
                200..=299 => Outcome::Delivered,
                408 | 429 | 500..=599 => {
                    let after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry_after(v, SystemTime::now()));
                    Outcome::Retry(why, after)
                }
                _ => Outcome::Refused(why),
            }
        }
        Err(e) => {
            let why = describe(&e, &t.url);
            match e {
                // A certificate or handshake problem does not heal by retrying.
                ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::BadUri(_) => {
                    Outcome::Refused(why)
                }
                ureq::Error::Io(io) if io.kind() == io::ErrorKind::InvalidData => {
                    Outcome::Refused(why)
                }
                _ => Outcome::Retry(why, None),
            }
        }
    }
}

/// A failure in words that hold no secret (no URL, no header; the host of `url` only, as
/// [`crate::cmd::otlp::shown_url`] shows it).
fn describe(e: &ureq::Error, url: &str) -> String {
    let host = || {
        url.parse::<ureq::http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_owned))
            .unwrap_or_default()
    };
    match e {
        // rustls reports a refused certificate as invalid data, with its reason.
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::InvalidData => format!("TLS: {io}"),
        // The resolver's failure (std's getaddrinfo error, kind "uncategorized"), with its
        // reason ("Name or service not known").
        ureq::Error::Io(io) if io.to_string().starts_with("failed to lookup address") => {
            let text = io.to_string();
            let reason = text.split_once(": ").map_or("", |(_, r)| r);
            if reason.is_empty() {
                format!("cannot resolve host {}", host())
            } else {
                format!("cannot resolve host {} ({reason})", host())
            }
        }
        ureq::Error::Io(io) => io.kind().to_string(),
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        ureq::Error::HostNotFound => format!("cannot resolve host {}", host()),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Tls(why) => format!("TLS: {why}"),
        ureq::Error::Rustls(tls) => format!("TLS: {tls}"),
        ureq::Error::BadUri(_) => "bad URL".to_owned(),
        _ => "the request failed".to_owned(),
    }
}

/// The wait a `Retry-After` value asks for: seconds, or an HTTP date (from `now`); at most
/// [`MAX_RETRY_AFTER`]. `None` when it is neither.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_not_delivered_is_counted_in_requests_spans_and_points() {
        let shown = "http://h:1/v1/traces";
        assert_eq!(
            undelivered_message(shown, [3, 10, 4], [3, 10, 4], 0, None),
            None
        );
        assert_eq!(
            undelivered_message(shown, [3, 10, 4], [1, 2, 0], 1, Some("connection refused"))
                .as_deref(),
            Some(
                "OTLP export to http://h:1/v1/traces: 2 of 3 requests not delivered (8 spans and 4 metric points lost): connection refused; 1 given up, 1 still queued when the wait at exit ended after 10 s"
            )
        );
        assert_eq!(
            undelivered_message(shown, [1, 1, 0], [0, 0, 0], 1, Some("400 Bad Request"))
                .as_deref(),
            Some(
                "OTLP export to http://h:1/v1/traces: 1 of 1 request not delivered (1 span lost): 400 Bad Request"
            )
        );
        let traces: Value = serde_json::from_str(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]},{"spans":[{}]}]},{"scopeSpans":[]}]}"#,
        )
        .unwrap();
        assert_eq!(items(Signal::Traces, &traces), (3, 0));
        let metrics: Value = serde_json::from_str(
            r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{},{}]}},{"gauge":{"dataPoints":[{}]}},{"histogram":{}}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(items(Signal::Metrics, &metrics), (0, 3));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT (RFC 9110's example date).
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date past is now"
        );
        assert_eq!(retry_after("3600", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn protobuf_keeps_what_the_json_says() {
        let json: Value = serde_json::from_str(
            r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
            "scopeSpans":[{"scope":{"name":"aegon","version":"1"},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",
            "spanId":"1112131415161718","parentSpanId":"2122232425262728","name":"chat m","kind":3,
            "startTimeUnixNano":"1767261600000000000","endTimeUnixNano":"1767261602000000000",
            "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"110"}}],"status":{"code":2,"message":"x"}}]}]}]}"#,
        )
        .unwrap();
        let bytes = to_protobuf(Signal::Traces, json).unwrap();
        let back = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
        let span = &back.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.trace_id, (1..=16).collect::<Vec<u8>>());
        assert_eq!(span.span_id, (0x11..=0x18).collect::<Vec<u8>>());
        assert_eq!(span.parent_span_id, (0x21..=0x28).collect::<Vec<u8>>());
        assert_eq!(span.kind, 3);
        assert_eq!(span.start_time_unix_nano, 1_767_261_600_000_000_000);
        assert_eq!(span.status.as_ref().unwrap().code, 2);
        let value = span.attributes[0].value.as_ref().unwrap().value.as_ref();
        assert_eq!(
            value,
            Some(&opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(110))
        );
        let metrics: Value = serde_json::from_str(
            r#"{"resourceMetrics":[{"resource":{"attributes":[]},"scopeMetrics":[{"scope":{"name":"aegon"},
            "metrics":[{"name":"claude_code.cost.usage","unit":"USD","sum":{"aggregationTemporality":1,"isMonotonic":true,
            "dataPoints":[{"attributes":[{"key":"model","value":{"stringValue":"m"}}],"startTimeUnixNano":"1","timeUnixNano":"2","asDouble":0.25}]}},
            {"name":"claude_code.token.usage","unit":"tokens","sum":{"aggregationTemporality":2,"isMonotonic":true,
            "dataPoints":[{"startTimeUnixNano":"1","timeUnixNano":"3","asInt":"7"}]}}]}]}]}"#,
        )
        .unwrap();
        let bytes = to_protobuf(Signal::Metrics, metrics).unwrap();
        let back = ExportMetricsServiceRequest::decode(bytes.as_slice()).unwrap();
        use opentelemetry_proto::tonic::metrics::v1::{
            metric::Data, number_data_point::Value as N,
        };
        let ms = &back.resource_metrics[0].scope_metrics[0].metrics;
        let Some(Data::Sum(cost)) = &ms[0].data else {
            panic!("not a sum: {:?}", ms[0])
        };
        assert_eq!(
            (
                ms[0].unit.as_str(),
                cost.aggregation_temporality,
                cost.is_monotonic
            ),
            ("USD", 1, true)
        );
        assert_eq!(cost.data_points[0].value, Some(N::AsDouble(0.25)));
        assert_eq!(cost.data_points[0].time_unix_nano, 2);
        let Some(Data::Sum(tokens)) = &ms[1].data else {
            panic!("not a sum")
        };
        assert_eq!(tokens.aggregation_temporality, 2);
        assert_eq!(tokens.data_points[0].value, Some(N::AsInt(7)));
    }
}
