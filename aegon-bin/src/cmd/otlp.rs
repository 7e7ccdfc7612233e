//! OpenTelemetry export settings: the `--otlp-*` flags and the OpenTelemetry SDK environment
//! variables, resolved with the precedence the specification gives (OpenTelemetry
//! specification, "OTLP Exporter Configuration" and "Environment Variable Specification"):
//! a flag wins over a signal's own variable (`OTEL_EXPORTER_OTLP_TRACES_*`,
//! `OTEL_EXPORTER_OTLP_METRICS_*`), which wins over the generic one (`OTEL_EXPORTER_OTLP_*`),
//! which wins over the default.
//!
//! | setting | flag | variables | default |
//! |---|---|---|---|
//! | send at all | `--otlp-endpoint URL`, `--otlp-export` | — | off |
//! | endpoint | `--otlp-endpoint URL` | `_TRACES_ENDPOINT`, `_METRICS_ENDPOINT` (as is); `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`, `/v1/metrics`) | `http://localhost:4318` |
//! | protocol | `--otlp-protocol` | `_PROTOCOL` | `http/protobuf` |
//! | compression | `--otlp-compression` | `_COMPRESSION` | none |
//! | timeout (ms) | — | `_TIMEOUT` | 10000 |
//! | trusted CA (PEM) | `--otlp-ca FILE` | `_CERTIFICATE` | the platform's roots |
//! | headers | — | `_HEADERS` (the signal's merged over the generic) | — |
//! | signals | — | `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER` (`none` turns one off) | both |
//! | temporality | — | `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` | `delta` (Claude Code's) |
//! | resource | — | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | `service.name` of the agent (`claude-code` for Claude Code) |
//!
//! The variables alone never start an export: they are often set for Claude Code's own
//! telemetry, and aegon sending the same sessions again would count them twice. Headers are
//! secrets (API keys): they are never printed, logged or shown in an error, and have no flag
//! (a flag would show in `ps`). Only `--otlp-endpoint`/`--otlp-export` read the variables
//! that say where and how to send; the resource and signal variables also shape `--otlp`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use aegon::render::otlp::{OtlpOptions, OtlpRenderer, Signal, Temporality};
use aegon::render::{Flow, Renderer};
use aegon::session::pricing::Pricing;
use aegon::{Event, Stats};

use crate::otlp_http::HttpSink;

/// The `--otlp-*` flags as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
    /// `--otlp-endpoint URL`: send, to this collector.
    pub endpoint: Option<String>,
    /// `--otlp-export`: send, where the environment says.
    pub export: bool,
    /// `--otlp-protocol http/protobuf|http/json`.
    pub protocol: Option<String>,
    /// `--otlp-compression gzip|none`.
    pub compression: Option<String>,
    /// `--otlp-ca FILE`: a PEM file of certificates to trust besides the platform's.
    pub ca: Option<PathBuf>,
    /// `--otlp-content`: send prompt and tool text.
    pub content: bool,
}

impl Flags {
    /// Whether anything is to be sent.
    pub fn sends(&self) -> bool {
        self.endpoint.is_some() || self.export
    }
}

/// The body encoding of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf`: binary protobuf, `application/x-protobuf`.
    Protobuf,
    /// `http/json`: OTLP/JSON, `application/json`.
    Json,
}

/// Where and how one signal is sent.
#[derive(Clone, PartialEq)]
pub struct Target {
    /// The full URL requests are posted to.
    pub url: String,
    /// Body encoding.
    pub protocol: Protocol,
    /// gzip the body.
    pub gzip: bool,
    /// Timeout of one try.
    pub timeout: Duration,
    /// Extra request headers (secrets: never printed).
    pub headers: Vec<(String, String)>,
    /// Extra trusted certificates (a PEM file), besides the platform's.
    pub ca: Option<PathBuf>,
}

impl std::fmt::Debug for Target {
    /// Everything but the headers' values, which may be credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &shown_url(&self.url))
            .field("protocol", &self.protocol)
            .field("gzip", &self.gzip)
            .field("timeout", &self.timeout)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("ca", &self.ca)
            .finish()
    }
}

/// Everything the export needs: what goes into the telemetry and, when sending, where.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Resource, content, signals, temporality (pricing is added by [`Settings::options`]).
    pub resource: Vec<(String, String)>,
    /// `--otlp-content`.
    pub content: bool,
    /// Spans wanted (`OTEL_TRACES_EXPORTER` is not `none`).
    pub traces: bool,
    /// Metrics wanted (`OTEL_METRICS_EXPORTER` is not `none`).
    pub metrics: bool,
    /// Metric temporality.
    pub temporality: Temporality,
    /// Where traces are sent (`None`: not sent).
    pub traces_to: Option<Target>,
    /// Where metrics are sent (`None`: not sent).
    pub metrics_to: Option<Target>,
}

impl Settings {
    /// The renderer's options, with `pricing`.
    pub fn options(&self, pricing: Pricing) -> OtlpOptions {
        OtlpOptions {
            resource: self.resource.clone(),
            content: self.content,
            traces: self.traces,
            metrics: self.metrics,
            temporality: self.temporality,
            pricing,
        }
    }

    /// Whether anything is sent over the network.
    pub fn sends(&self) -> bool {
        self.traces_to.is_some() || self.metrics_to.is_some()
    }

    /// An OTLP renderer sending in the background (call only when [`Settings::sends`]).
    pub fn http_renderer(&self, pricing: Pricing) -> OtlpRenderer<HttpSink> {
        let sink = HttpSink::start(self.traces_to.clone(), self.metrics_to.clone());
        OtlpRenderer::with_options(sink, self.options(pricing))
    }
}

/// Resolves the flags and the environment (`env` looks a variable up; empty counts as unset,
/// as the specification says). Errors name the flag or variable at fault, never a header
/// value.
pub fn resolve(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
    let var = |name: &str| {
        env(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut resource = match var("OTEL_RESOURCE_ATTRIBUTES") {
        Some(list) => parse_pairs(&list)
            .map_err(|entry| format!("OTEL_RESOURCE_ATTRIBUTES: entry {entry} is not key=value"))?,
        None => Vec::new(),
    };
    // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES.
    if let Some(name) = var("OTEL_SERVICE_NAME") {
        resource.retain(|(k, _)| k != "service.name");
        resource.push(("service.name".to_owned(), name));
    }
    let enabled = |name: &str| var(name).is_none_or(|v| !v.split(',').all(|e| e.trim() == "none"));
    let traces = enabled("OTEL_TRACES_EXPORTER");
    let metrics = enabled("OTEL_METRICS_EXPORTER");
    let temporality = match var("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        // Low memory is delta for counters (the specification's table).
        None | Some("delta") | Some("lowmemory") => Temporality::Delta,
        Some("cumulative") => Temporality::Cumulative,
        Some(other) => {
            return Err(format!(
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: '{other}' is not delta, cumulative or lowmemory"
            ))
        }
    };
    let mut settings = Settings {
        resource,
        content: flags.content,
        traces,
        metrics,
        temporality,
        traces_to: None,
        metrics_to: None,
    };
    if !flags.sends() {
        return Ok(settings);
    }
    // The flag's URL: a base, or a traces or metrics URL whose sibling the other signal gets.
    let from_flag = match &flags.endpoint {
        Some(url) => {
            check_url("--otlp-endpoint", url)?;
            let base = url
                .strip_suffix("/v1/traces")
                .or_else(|| url.strip_suffix("/v1/metrics"))
                .unwrap_or(url);
            Some(base.trim_end_matches('/').to_owned())
        }
        None => None,
    };
    let generic_endpoint = var("OTEL_EXPORTER_OTLP_ENDPOINT");
    if let Some(url) = &generic_endpoint {
        check_url("OTEL_EXPORTER_OTLP_ENDPOINT", url)?;
    }
    for (signal, wanted) in [(Signal::Traces, traces), (Signal::Metrics, metrics)] {
        if !wanted {
            continue;
        }
        let (infix, path) = match signal {
            Signal::Traces => ("TRACES_", "v1/traces"),
            Signal::Metrics => ("METRICS_", "v1/metrics"),
        };
        // The signal's variable, else the generic one.
        let pick = |key: &str| -> Option<(String, String)> {
            let own = format!("OTEL_EXPORTER_OTLP_{infix}{key}");
            match var(&own) {
                Some(v) => Some((own, v)),
                None => {
                    let generic = format!("OTEL_EXPORTER_OTLP_{key}");
                    var(&generic).map(|v| (generic, v))
                }
            }
        };
        let own_endpoint = format!("OTEL_EXPORTER_OTLP_{infix}ENDPOINT");
        let url = match (&from_flag, var(&own_endpoint), &generic_endpoint) {
            (Some(base), _, _) => format!("{base}/{path}"),
            (None, Some(url), _) => {
                check_url(&own_endpoint, &url)?;
                url
            }
            (None, None, Some(base)) => format!("{}/{path}", base.trim_end_matches('/')),
            (None, None, None) => format!("http://localhost:4318/{path}"),
        };
        let protocol = match flags
            .protocol
            .clone()
            .map(|p| ("--otlp-protocol".to_owned(), p))
            .or_else(|| pick("PROTOCOL"))
        {
            None => Protocol::Protobuf,
            Some((_, p)) if p == "http/protobuf" => Protocol::Protobuf,
            Some((_, p)) if p == "http/json" => Protocol::Json,
            Some((name, p)) if p == "grpc" => {
                return Err(format!(
                    "{name}=grpc: aegon sends OTLP over HTTP only; use http/protobuf and the collector's HTTP port (4318)"
                ))
            }
            Some((name, p)) => {
                return Err(format!(
                    "{name}: '{p}' is not http/protobuf or http/json"
                ))
            }
        };
        let gzip = match flags
            .compression
            .clone()
            .map(|c| ("--otlp-compression".to_owned(), c))
            .or_else(|| pick("COMPRESSION"))
        {
            None => false,
            Some((_, c)) if c == "gzip" => true,
            Some((_, c)) if c == "none" => false,
            Some((name, c)) => return Err(format!("{name}: '{c}' is not gzip or none")),
        };
        let timeout = match pick("TIMEOUT") {
            None => Duration::from_secs(10),
            Some((name, ms)) => match ms.parse::<u64>() {
                Ok(ms) if ms > 0 => Duration::from_millis(ms),
                _ => return Err(format!("{name}: '{ms}' is not a number of milliseconds")),
            },
        };
        let ca = flags
            .ca
            .clone()
            .or_else(|| pick("CERTIFICATE").map(|(_, path)| PathBuf::from(path)));
        // The generic headers, then the signal's, which replace a key both give.
        let mut headers: Vec<(String, String)> = Vec::new();
        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS".to_owned(),
            format!("OTEL_EXPORTER_OTLP_{infix}HEADERS"),
        ] {
            if let Some(list) = var(&name) {
                let pairs = parse_pairs(&list)
                    .map_err(|entry| format!("{name}: entry {entry} is not key=value"))?;
                for (k, v) in pairs {
                    headers.retain(|(have, _)| !have.eq_ignore_ascii_case(&k));
                    headers.push((k, v));
                }
            }
        }
        let target = Target {
            url,
            protocol,
            gzip,
            timeout,
            headers,
            ca,
        };
        match signal {
            Signal::Traces => settings.traces_to = Some(target),
            Signal::Metrics => settings.metrics_to = Some(target),
        }
    }
    Ok(settings)
}

/// `http://` or `https://` with a host, a URL the HTTP client takes.
fn check_url(name: &str, url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            format!(
                "{name}: '{}' is not an http:// or https:// URL",
                shown_url(url)
            )
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{name}: no host in '{}'", shown_url(url)));
    }
    // What the HTTP client would refuse only when sending (an unclosed `[`, a bad port).
    if let Err(e) = url.parse::<ureq::http::Uri>() {
        return Err(format!(
            "{name}: '{}' is not a valid URL: {e}",
            shown_url(url)
        ));
    }
    Ok(())
}

/// A URL as it may be shown: scheme, host, port and path (no user, password or query).
pub fn shown_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// `key=value,key=value` (W3C Baggage form): whitespace around entries trimmed, values
/// percent-decoded. On error, the 1-based number of the entry at fault (never its text).
fn parse_pairs(list: &str) -> Result<Vec<(String, String)>, usize> {
    let mut pairs = Vec::new();
    for (n, entry) in list.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (key, value) = entry.split_once('=').ok_or(n + 1)?;
        let key = key.trim();
        if key.is_empty() {
            return Err(n + 1);
        }
        let value = percent_encoding::percent_decode_str(value.trim())
            .decode_utf8()
            .map_err(|_| n + 1)?;
        pairs.push((key.to_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// An export shared between the thread that feeds it and a ticker that ends idle sessions;
/// `None` once finished.
pub type Shared = Arc<Mutex<Option<OtlpRenderer<HttpSink>>>>;

/// How often a live export looks for sessions gone idle.
const IDLE_TICK: Duration = Duration::from_secs(2);

/// Every [`IDLE_TICK`], ends the traces of sessions gone idle by `clock` (Unix ms), so their
/// root spans go out while the stream goes on. Stops when the export is finished or dropped.
pub fn spawn_idle_ticker(
    export: Weak<Mutex<Option<OtlpRenderer<HttpSink>>>>,
    clock: aegon::dashboard::Clock,
) {
    std::thread::spawn(move || loop {
        std::thread::sleep(IDLE_TICK);
        let Some(export) = export.upgrade() else {
            return;
        };
        let mut guard = export.lock().unwrap_or_else(|p| p.into_inner());
        let Some(renderer) = guard.as_mut() else {
            return;
        };
        if let Err(e) = renderer.close_idle(clock()) {
            crate::report::warn(&format!("OTLP export: {e}"));
        }
    });
}

/// A live export as a renderer (for `watch` and `-f` streaming lines): fed under the lock an
/// idle ticker shares.
pub struct Live(pub Shared);

impl Live {
    /// Starts sending as `settings` say, with a ticker for idle sessions.
    pub fn start(settings: &Settings, pricing: Pricing) -> Live {
        let shared: Shared = Arc::new(Mutex::new(Some(settings.http_renderer(pricing))));
        spawn_idle_ticker(Arc::downgrade(&shared), Arc::new(aegon::timestamp::now_ms));
        Live(shared)
    }

    fn with(
        &self,
        f: impl FnOnce(&mut OtlpRenderer<HttpSink>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_mut() {
            Some(r) => f(r),
            None => Ok(()),
        }
    }
}

impl Renderer for Live {
    fn on_event(&mut self, event: &Event<'_>) -> std::io::Result<Flow> {
        self.with(|r| r.on_event(event).map(drop))?;
        Ok(Flow::Continue(()))
    }

    fn on_skipped(&mut self, event: &Event<'_>) {
        let _ = self.with(|r| {
            r.on_skipped(event);
            Ok(())
        });
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.with(|r| r.flush())
    }

    fn finish(&mut self, stats: &Stats) -> std::io::Result<()> {
        let taken = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            Some(mut r) => r.finish(stats),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve_with(flags: &Flags, vars: &[(&str, &str)]) -> Result<Settings, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(flags, &|name| map.get(name).cloned())
    }

    fn export() -> Flags {
        Flags {
            export: true,
            ..Flags::default()
        }
    }

    #[test]
    fn nothing_is_sent_unless_asked() {
        let s = resolve_with(
            &Flags::default(),
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://api.example:443")],
        )
        .unwrap();
        assert!(!s.sends());
    }

    #[test]
    fn endpoints_follow_the_specification() {
        // Defaults.
        let s = resolve_with(&export(), &[]).unwrap();
        assert_eq!(s.traces_to.unwrap().url, "http://localhost:4318/v1/traces");
        assert_eq!(
            s.metrics_to.unwrap().url,
            "http://localhost:4318/v1/metrics"
        );
        // The generic endpoint gets the signal's path appended (with or without a slash).
        for base in [
            "https://otel.example:4318/otlp",
            "https://otel.example:4318/otlp/",
        ] {
            let s = resolve_with(&export(), &[("OTEL_EXPORTER_OTLP_ENDPOINT", base)]).unwrap();
            assert_eq!(
                s.traces_to.unwrap().url,
                "https://otel.example:4318/otlp/v1/traces"
            );
            assert_eq!(
                s.metrics_to.unwrap().url,
                "https://otel.example:4318/otlp/v1/metrics"
            );
        }
        // A signal's own endpoint is used as is, and wins over the generic one.
        let s = resolve_with(
            &export(),
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://a.example"),
                (
                    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                    "https://m.example/custom",
                ),
            ],
        )
        .unwrap();
        assert_eq!(s.traces_to.unwrap().url, "https://a.example/v1/traces");
        assert_eq!(s.metrics_to.unwrap().url, "https://m.example/custom");
        // The flag wins over both; a traces URL given to it gives metrics its sibling.
        let flags = Flags {
            endpoint: Some("http://127.0.0.1:4318/v1/traces".into()),
            ..Flags::default()
        };
        let s = resolve_with(
            &flags,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://a.example"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://t.example/x"),
            ],
        )
        .unwrap();
        assert_eq!(s.traces_to.unwrap().url, "http://127.0.0.1:4318/v1/traces");
        assert_eq!(
            s.metrics_to.unwrap().url,
            "http://127.0.0.1:4318/v1/metrics"
        );
        assert!(resolve_with(
            &Flags {
                endpoint: Some("ftp://x".into()),
                ..Flags::default()
            },
            &[]
        )
        .is_err());
        assert!(resolve_with(&export(), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://:1")]).is_err());
    }

    #[test]
    fn protocol_compression_timeout_and_signals() {
        let s = resolve_with(&export(), &[]).unwrap();
        let t = s.traces_to.unwrap();
        assert_eq!(
            (t.protocol, t.gzip, t.timeout),
            (Protocol::Protobuf, false, Duration::from_secs(10))
        );
        let s = resolve_with(
            &export(),
            &[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"),
            ],
        )
        .unwrap();
        let (t, m) = (s.traces_to.unwrap(), s.metrics_to.unwrap());
        assert_eq!(
            (t.protocol, m.protocol),
            (Protocol::Json, Protocol::Protobuf)
        );
        assert!(t.gzip && m.gzip);
        assert_eq!(t.timeout, Duration::from_millis(2500));
        assert_eq!(m.timeout, Duration::from_secs(10));
        // The flag wins.
        let flags = Flags {
            protocol: Some("http/protobuf".into()),
            compression: Some("none".into()),
            ..export()
        };
        let s = resolve_with(
            &flags,
            &[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ],
        )
        .unwrap();
        let t = s.traces_to.unwrap();
        assert_eq!((t.protocol, t.gzip), (Protocol::Protobuf, false));
        let grpc = resolve_with(&export(), &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert!(grpc.unwrap_err().contains("4318"));
        // A signal turned off is neither built nor sent.
        let s = resolve_with(&export(), &[("OTEL_TRACES_EXPORTER", "none")]).unwrap();
        assert!(!s.traces && s.traces_to.is_none() && s.metrics_to.is_some());
        let s = resolve_with(
            &Flags::default(),
            &[(
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                "Cumulative",
            )],
        )
        .unwrap();
        assert_eq!(s.temporality, Temporality::Cumulative);
    }

    #[test]
    fn headers_merge_and_stay_secret() {
        let secret = "s3cr3t%20value";
        let s = resolve_with(
            &export(),
            &[
                (
                    "OTEL_EXPORTER_OTLP_HEADERS",
                    &format!("x-honeycomb-team={secret}, Authorization=Basic abc"),
                ),
                (
                    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
                    "x-honeycomb-dataset=claude",
                ),
                (
                    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                    "authorization=Bearer t",
                ),
            ],
        )
        .unwrap();
        let (t, m) = (s.traces_to.unwrap(), s.metrics_to.unwrap());
        assert_eq!(
            t.headers,
            [
                ("x-honeycomb-team".to_owned(), "s3cr3t value".to_owned()),
                ("authorization".to_owned(), "Bearer t".to_owned()),
            ]
        );
        assert_eq!(m.headers.len(), 3);
        let shown = format!("{t:?} {m:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("Bearer"),
            "{shown}"
        );
        let bad = resolve_with(
            &export(),
            &[("OTEL_EXPORTER_OTLP_HEADERS", "a=1,s3cr3t-without-equals")],
        )
        .unwrap_err();
        assert!(bad.contains("entry 2") && !bad.contains("s3cr3t"), "{bad}");
    }

    #[test]
    fn resource_attributes_and_service_name() {
        let s = resolve_with(
            &Flags::default(),
            &[
                (
                    "OTEL_RESOURCE_ATTRIBUTES",
                    "service.name=from-attrs,team.id=platform,org.name=John%27s%20Org",
                ),
                ("OTEL_SERVICE_NAME", "aegon-backfill"),
            ],
        )
        .unwrap();
        assert_eq!(
            s.resource,
            [
                ("team.id".to_owned(), "platform".to_owned()),
                ("org.name".to_owned(), "John's Org".to_owned()),
                ("service.name".to_owned(), "aegon-backfill".to_owned()),
            ]
        );
    }

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            shown_url("https://user:pw@otel.example:443/v1/traces?key=k"),
            "https://otel.example:443/v1/traces"
        );
    }
}
