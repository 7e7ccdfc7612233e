//! Errors say what failed and where (tester3 L5): a read error from `Pipeline::read_to_end`
//! names the input, the byte offset and the line; `Tail::poll` on a directory reports it.

#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::io::{self, Read};

use aegon::render::Flow;
use aegon::source::follow::{Change, Tail};
use aegon::source::InputError;
use aegon::{Event, Options, Pipeline, ReadError, Renderer};

struct Count(u64);

impl Renderer for Count {
    fn on_event(&mut self, _: &Event<'_>) -> io::Result<Flow> {
        self.0 += 1;
        Ok(Flow::Continue(()))
    }
}

/// Gives `bytes`, then fails.
struct FailsAfter<'a>(&'a [u8]);

impl Read for FailsAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "disk on fire"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn a_failed_read_names_the_input_and_where() {
    // Two whole lines and part of a third: the failure is on line 3, after all these bytes.
    let bytes = concat!(
        r#"{"type":"user","sessionId":"s","message":{"role":"user","content":"hi"}}"#,
        "\n",
        r#"{"type":"user","sessionId":"s","message":{"role":"user","content":"ho"}}"#,
        "\n",
        r#"{"type":"us"#
    )
    .as_bytes();
    let mut pipeline = Pipeline::new(Options::default(), Count(0));
    let err = pipeline
        .read_to_end("projects/s.jsonl", FailsAfter(bytes))
        .unwrap_err();
    let ReadError::Input(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "the kind is kept");
    let inner = InputError::of(e).unwrap();
    assert_eq!(inner.name, "projects/s.jsonl");
    assert_eq!(inner.offset, Some(bytes.len() as u64));
    assert_eq!(inner.line, Some(3));
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read projects/s.jsonl: disk on fire (at byte {}, line 3)",
            bytes.len()
        )
    );
    // What was read before still reached the renderer.
    let (Count(events), _) = pipeline.finish().unwrap();
    assert!(events >= 2, "{events}");
}

#[test]
fn following_a_directory_says_so_once() {
    let dir = temp_dir::temp_dir("tail-dir");
    let mut pipeline = Pipeline::new(Options::default(), Count(0));
    let mut tail = Tail::new(&dir, dir.display().to_string());
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (read, flow) = tail
            .poll(&mut pipeline, |path, change| {
                if let Change::Unreadable(e) = change {
                    seen.push((path.to_owned(), e.kind(), e.to_string()));
                }
            })
            .unwrap();
        assert_eq!((read, flow), (0, Flow::Continue(())));
        assert!(tail.is_unreadable());
    }
    assert_eq!(seen.len(), 1, "reported once: {seen:?}");
    assert_eq!(seen[0].0, dir.path());
    assert_eq!(seen[0].1, io::ErrorKind::IsADirectory);
    assert!(seen[0].2.starts_with("is a directory"), "{}", seen[0].2);
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_read_of_a_followed_file_is_reported_with_its_offset() {
    // /proc/self/mem is a regular file whose read at offset 0 fails (EIO: nothing is mapped
    // there); before, the failure was dropped and the tail looked merely idle.
    let path = std::path::Path::new("/proc/self/mem");
    let mut pipeline = Pipeline::new(Options::default(), Count(0));
    let mut tail = Tail::new(path, "mem");
    let mut problems = Vec::new();
    for _ in 0..2 {
        let _ = tail
            .poll(&mut pipeline, |_, change| {
                if let Change::Unreadable(e) = change {
                    problems.push(e);
                }
            })
            .unwrap();
    }
    assert_eq!(problems.len(), 1, "{problems:?}");
    let inner = InputError::of(&problems[0]).unwrap();
    assert_eq!(
        (inner.name.as_str(), inner.offset),
        ("/proc/self/mem", Some(0))
    );
    assert_eq!(problems[0].raw_os_error(), None);
    assert_eq!(inner.source.raw_os_error(), Some(5), "EIO");
    assert!(tail.is_unreadable());
}
