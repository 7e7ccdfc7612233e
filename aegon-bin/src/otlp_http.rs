//! `--otlp-endpoint URL`: OTLP/HTTP JSON export to a collector, off the event path.
//!
//! Requests go into a bounded queue that a background thread sends from, so the stream or the
//! dashboard never waits on the network. A failed send (no connection, a timeout, 429 or a 5xx)
//! is retried with exponential backoff (0.5 s, 1 s, 2 s, … up to 30 s; six tries); a full queue
//! or a request the collector refuses (other 4xx) is dropped and counted. At the end aegon
//! waits up to [`DRAIN`] for the queue to empty, then says what could not be sent. Plain
//! `http://` only (a collector on this machine or behind a TLS-terminating proxy).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aegon::render::otlp::OtlpSink;
use serde_json::Value;

/// Requests waiting to be sent, at most.
const QUEUE: usize = 1024;
/// Tries per request.
const TRIES: u32 = 6;
/// First wait before a retry; doubled each time, at most [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the end of a run waits for the queue to empty.
pub const DRAIN: Duration = Duration::from_secs(10);
/// Connect, write and read timeout of one try.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where requests are sent: `host:port` and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    port: u16,
    path: String,
}

impl Endpoint {
    /// `http://host[:port][/path]`; the path defaults to `/v1/traces`, the port to 4318.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("--otlp-endpoint: '{url}' is not an http:// URL (https is not supported; use a local collector)")
        })?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/v1/traces"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("--otlp-endpoint: bad port in '{url}'"))?,
            ),
            None => (authority, 4318),
        };
        if host.is_empty() {
            return Err(format!("--otlp-endpoint: no host in '{url}'"));
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// What happened to the requests, for the closing report.
#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    dropped: AtomicU64,
}

/// An [`OtlpSink`] that sends in the background.
pub struct HttpSink {
    queue: Option<SyncSender<Vec<u8>>>,
    sender: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
    endpoint: Endpoint,
}

impl HttpSink {
    /// Starts the sending thread.
    pub fn start(endpoint: Endpoint) -> HttpSink {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let sender = {
            let (endpoint, counts) = (endpoint.clone(), counts.clone());
            std::thread::spawn(move || send_all(&endpoint, &rx, &counts))
        };
        HttpSink {
            queue: Some(tx),
            sender: Some(sender),
            counts,
            endpoint,
        }
    }

    /// Closes the queue and waits (up to [`DRAIN`]) for it to be sent; returns a sentence about
    /// what was not, if anything.
    pub fn close(&mut self) -> Option<String> {
        self.queue = None;
        if let Some(sender) = self.sender.take() {
            let deadline = Instant::now() + DRAIN;
            while !sender.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let dropped = self.counts.dropped.load(Ordering::Relaxed);
        let sent = self.counts.sent.load(Ordering::Relaxed);
        (dropped > 0).then(|| {
            format!(
                "OTLP export to {}:{}{}: {sent} requests sent, {dropped} not sent (collector unreachable or refusing)",
                self.endpoint.host, self.endpoint.port, self.endpoint.path
            )
        })
    }
}

impl OtlpSink for HttpSink {
    fn close(&mut self) -> io::Result<()> {
        if let Some(message) = HttpSink::close(self) {
            crate::report::warn(&message);
        }
        Ok(())
    }

    fn export(&mut self, request: &Value) -> io::Result<()> {
        let Some(queue) = &self.queue else {
            return Ok(());
        };
        let body = aegon::render::json_bytes(request, false)?;
        match queue.try_send(body) {
            Ok(()) => {}
            // Never wait: a full queue (a collector down for long) drops, and says so at the end.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

fn send_all(endpoint: &Endpoint, rx: &Receiver<Vec<u8>>, counts: &Counts) {
    for body in rx {
        let mut backoff = FIRST_BACKOFF;
        let mut delivered = false;
        for attempt in 1..=TRIES {
            match post(endpoint, &body) {
                Ok(status) if (200..300).contains(&status) => {
                    delivered = true;
                    break;
                }
                // Refused for good (bad request, unauthorised): retrying will not help.
                Ok(status) if (400..500).contains(&status) && status != 429 && status != 408 => {
                    break
                }
                _ if attempt < TRIES => {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                _ => {}
            }
        }
        let counter = if delivered {
            &counts.sent
        } else {
            &counts.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One HTTP/1.1 POST; returns the status code.
fn post(endpoint: &Endpoint, body: &[u8]) -> io::Result<u16> {
    let address = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("no address for the host"))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: aegon/{}\r\n\r\n",
        endpoint.path,
        endpoint.host,
        endpoint.port,
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut status_line = [0u8; 64];
    let mut got = 0;
    while got < 12 {
        let n = stream.read(&mut status_line[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    // `HTTP/1.1 200 OK`
    let text = String::from_utf8_lossy(&status_line[..got]);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::other("not an HTTP response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = Endpoint::parse("http://localhost:4318/v1/traces").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("localhost", 4318, "/v1/traces")
        );
        let e = Endpoint::parse("http://collector").unwrap();
        assert_eq!((e.port, e.path.as_str()), (4318, "/v1/traces"));
        assert!(Endpoint::parse("https://x").is_err());
        assert!(Endpoint::parse("http://x:port").is_err());
        assert!(Endpoint::parse("http://:1").is_err());
    }
}
