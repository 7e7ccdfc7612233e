//! The dashboard in the terminal: `aegon watch` (and `run`, `replay`, `demo`) on a terminal.
//!
//! Three threads. The source (watch or replay) pushes events through a pipeline into the
//! shared [`Dashboard`] and wakes the screen. The input thread reads keys and resizes. This
//! one owns the terminal: it waits on one channel (keys, resizes, wake-ups, signals), draws at
//! most every [`FRAME`] and only when something changed, plus a tick (100 ms while a spinner
//! turns, else a second, for clocks and LIVE/IDLE). The terminal is restored on q, Esc, Ctrl-C,
//! SIGINT, SIGTERM, SIGHUP and on a panic (which then ends the process, so nothing draws on a
//! restored screen). The Ctrl-C key, which raw mode delivers instead of SIGINT, ends it as
//! SIGINT does: exit status 130, where q and Esc give 0.
//!
//! Ctrl-Z suspends as it does a program in the shell's own line mode (where the terminal turns
//! it into SIGTSTP; in raw mode it arrives as a key): the terminal is given back (cursor shown,
//! raw mode off, main screen), the process group is sent SIGTSTP with its default action, so
//! the shell's job control takes over; on `fg` (SIGCONT) the process goes on where it stopped,
//! takes the terminal again and draws the whole screen anew ([`suspend`]).
//!
//! A fourth thread reads the usage index for the Usage view (`u`), only once the view is
//! opened: it brings the index up to date with what the watched folders gained, queries it,
//! and hands the figures to the dashboard ([`Dashboard::set_usage`]); again when the view is
//! opened with figures older than [`USAGE_STALE`], and every [`USAGE_REFRESH`] while it stays
//! open. Nothing of it runs on the drawing thread, and a dashboard whose Usage view is never
//! opened never touches the index.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aegon::dashboard::{
    read_line_at, system_clock, ui, Action, Clock, Dashboard, Detail, Key, Origin, Screen,
    UsageData, UsageFigures, View,
};
use aegon::ledger::{self, Ledger, Scope};
use aegon::pipeline::{Options, Pipeline};
use aegon::render::{Flow, Renderer};
use aegon::session::pricing::Pricing;
use aegon::{Event, KindSet};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::otlp_http::HttpSink;
use crate::replay;
use crate::report::divert_warnings;
use aegon::render::otlp::OtlpRenderer;

/// Shortest time between two frames (at most 30 per second, however fast events come).
const FRAME: Duration = Duration::from_millis(33);
/// Tick while a spinner turns.
const SPINNER_TICK: Duration = Duration::from_millis(100);
/// Tick otherwise (clocks, LIVE/IDLE).
const IDLE_TICK: Duration = Duration::from_secs(1);
/// The Usage view's figures are read again this often while it is open.
const USAGE_REFRESH: Duration = Duration::from_secs(60);
/// Opening the Usage view reads its figures again when they are older than this.
const USAGE_STALE: Duration = Duration::from_secs(30);
/// Warnings repeated on stderr after the terminal is restored.
const WARNINGS_KEPT: usize = 20;

/// Where the dashboard's events come from.
pub enum Source {
    /// Directory trees, as `aegon watch` reads them.
    Watch {
        /// The folders.
        roots: Vec<PathBuf>,
        /// History window.
        since: Option<Duration>,
        /// Poll instead of notifications.
        poll: bool,
    },
    /// A recording played with its own timing.
    Replay {
        /// Its name (a path, or the demo's name).
        name: String,
        /// Its bytes.
        bytes: Arc<[u8]>,
        /// Speed factor.
        speed: f64,
    },
}

/// What the dashboard needs besides its source.
pub struct Settings {
    /// Pipeline options (line limit).
    pub options: Options,
    /// Prices.
    pub pricing: Pricing,
    /// Kinds shown in the feed.
    pub feed_kinds: KindSet,
    /// Draw in colour (off for `NO_COLOR`, `--color never`, `TERM=dumb`).
    pub color: bool,
    /// Also send traces and metrics as these settings say.
    pub export: Option<crate::cmd::otlp::Settings>,
    /// Where the Usage view's figures come from.
    pub usage: UsageSource,
}

/// Where the Usage view's figures come from.
pub enum UsageSource {
    /// The usage index, brought up to date from these folders (and scoped to them, as
    /// `aegon usage FOLDER…` is).
    Index {
        /// The watched folders.
        roots: Vec<PathBuf>,
    },
    /// No index; the view says why.
    Off(String),
}

/// What the screen thread waits for.
enum Wakeup {
    Terminal(TermEvent),
    /// New events (at most one queued: see [`Shared::wake_pending`]).
    Data,
    /// The source ended (with an error, or not).
    SourceEnded(Option<String>),
    /// SIGINT, SIGTERM or SIGHUP: its number.
    Signal(i32),
}

/// The state the threads see.
///
/// The source holds the lock on the model across the events of one batch (what the pipeline
/// makes of one chunk read: [`Renderer::pause`] ends it), not per event: two locked
/// instructions an event were ~2% of the history load. Every other thread takes the lock
/// through [`Shared::lock`], which says so first ([`Shared::waiting`]): the source lets go
/// before its next event or at the batch's end, whichever comes first, so a frame waits for
/// the line in hand to be read (as it waited for one event when the source locked per event).
/// Nothing on the source thread takes that lock inside a batch (warnings
/// from there are said between batches: the watcher's notes; the pipeline's renderer is the
/// [`Feeder`] alone, no `Reporting` around it).
struct Shared {
    model: Mutex<Dashboard>,
    /// Threads waiting for the lock (the screen, the usage reader, a warning): the source
    /// steps aside before its next event while any is.
    waiting: AtomicUsize,
    /// A `Data` wake-up was sent since the last frame was drawn.
    wake_pending: AtomicBool,
    /// The screen is gone: the source stops.
    quit: AtomicBool,
    /// The OTLP export, if asked for: fed by the source; finished by whichever ends first, the
    /// source (a replay's end) or the screen (on quit, so sessions' root spans still go out).
    export: crate::cmd::otlp::Shared,
}

impl Shared {
    /// The lock, for any thread but the source's: announced, so a busy source lets it in
    /// before its next event.
    fn lock(&self) -> MutexGuard<'_, Dashboard> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let guard = self.lock_as_source();
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        guard
    }

    /// The lock, unannounced: for the source, at the first event of a batch.
    fn lock_as_source(&self) -> MutexGuard<'_, Dashboard> {
        self.model
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wake(&self, tx: &Sender<Wakeup>) {
        // Read before written: between two frames a wake-up is pending for all but the first
        // event, and a read costs far less than a swap (a locked instruction).
        if !self.wake_pending.load(Ordering::Acquire)
            && !self.wake_pending.swap(true, Ordering::AcqRel)
        {
            let _ = tx.send(Wakeup::Data);
        }
    }
}

/// The source side: applies each event to the shared dashboard (and the export, if any),
/// holding the lock across the events of a batch (see [`Shared`]).
struct Feeder<'a> {
    shared: &'a Shared,
    /// The lock, from the first event of a batch to its end ([`Renderer::pause`]), or until
    /// another thread waits for it.
    held: Option<MutexGuard<'a, Dashboard>>,
    tx: Sender<Wakeup>,
    /// An export was asked for. Without one its slot stays empty, and is not locked per
    /// event (two locked instructions an event, ~1% of the history load).
    exporting: bool,
}

impl Shared {
    /// Runs `f` on the export, if there is one still going.
    fn with_export(
        &self,
        f: impl FnOnce(&mut OtlpRenderer<HttpSink>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut export = self.export.lock().unwrap_or_else(|p| p.into_inner());
        match export.as_mut() {
            Some(e) => f(e),
            None => Ok(()),
        }
    }

    /// Ends the export (its remaining spans sent, the queue drained), once.
    fn finish_export(&self) -> io::Result<()> {
        let taken = self.export.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            Some(mut e) => e.finish(&aegon::Stats::default()),
            None => Ok(()),
        }
    }
}

impl Renderer for Feeder<'_> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<Flow> {
        if self.shared.quit.load(Ordering::Relaxed) {
            self.held = None;
            return Ok(Flow::Break(()));
        }
        if self.shared.waiting.load(Ordering::Acquire) != 0 {
            // Another thread wants the model: let it in, and wait until it has the lock.
            self.held = None;
            while self.shared.waiting.load(Ordering::Acquire) != 0 {
                std::thread::yield_now();
            }
        }
        let shared = self.shared;
        self.held
            .get_or_insert_with(|| shared.lock_as_source())
            .apply(event);
        self.shared.wake(&self.tx);
        if self.exporting {
            self.shared
                .with_export(|export| export.on_event(event).map(drop))?;
        }
        Ok(Flow::Continue(()))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.held = None;
        if !self.exporting {
            return Ok(());
        }
        self.shared.with_export(|export| export.flush())
    }

    fn finish(&mut self, _stats: &aegon::Stats) -> io::Result<()> {
        self.held = None;
        self.shared.finish_export()
    }

    fn pause(&mut self) {
        self.held = None;
    }
}

/// Runs the dashboard until the person quits or a signal comes.
pub fn run(source: Source, settings: Settings) -> io::Result<ExitCode> {
    let replay_clock = Arc::new(replay::ReplayClock::default());
    let clock: Clock = match &source {
        Source::Replay { speed, .. } => {
            let (replay_clock, speed) = (replay_clock.clone(), *speed);
            Arc::new(move || replay_clock.now_ms(speed))
        }
        Source::Watch { .. } => system_clock(),
    };
    let export = settings
        .export
        .as_ref()
        .map(|e| e.http_renderer(settings.pricing.clone()));
    let usage_pricing = settings.pricing.clone();
    let mut model = Dashboard::with(settings.pricing, clock.clone());
    model.set_feed_kinds(settings.feed_kinds);
    let memory = match &source {
        Source::Watch { .. } => {
            model.set_status(Some("reading history…".to_owned()));
            // Files are read one after the other: the feed puts their rows by time.
            model.set_history(true);
            None
        }
        Source::Replay { name, bytes, speed } => {
            model.set_status(Some(format!("replaying {name} at {speed}×")));
            Some((name.clone(), bytes.clone()))
        }
    };
    let shared = Arc::new(Shared {
        model: Mutex::new(model),
        waiting: AtomicUsize::new(0),
        wake_pending: AtomicBool::new(false),
        quit: AtomicBool::new(false),
        export: Arc::new(Mutex::new(export)),
    });
    // Sessions gone idle (by the dashboard's clock: a replay's runs on the recording's time)
    // send their root spans while the dashboard stays open.
    crate::cmd::otlp::spawn_idle_ticker(Arc::downgrade(&shared.export), clock);
    let (tx, rx) = mpsc::channel::<Wakeup>();

    let mut terminal = ratatui::try_init()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot take over the terminal: {e}")))?;
    restore_on_panic();

    let warnings: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let (shared, tx, warnings) = (shared.clone(), tx.clone(), warnings.clone());
        divert_warnings(Some(Box::new(move |message: &str| {
            shared.lock().notice(message);
            if let Ok(mut kept) = warnings.lock() {
                if kept.len() == WARNINGS_KEPT {
                    kept.remove(0);
                }
                kept.push(message.to_owned());
            }
            shared.wake(&tx);
        })));
    }
    spawn_source(
        source,
        settings.options,
        shared.clone(),
        tx.clone(),
        replay_clock,
    );
    spawn_input(tx.clone());
    spawn_signals(tx.clone());
    let usage = spawn_usage(settings.usage, usage_pricing, shared.clone(), tx.clone());

    let result = screen_loop(&mut terminal, &shared, &rx, memory, settings.color, &usage);
    shared.quit.store(true, Ordering::Relaxed);
    ratatui::restore();
    divert_warnings(None);
    // What the export still holds (sessions' root spans, the queue) goes out now.
    if let Err(e) = shared.finish_export() {
        crate::report::warn(&format!("OTLP export: {e}"));
    }
    if let Ok(kept) = warnings.lock() {
        for message in kept.iter() {
            crate::report::warn(message);
        }
    }
    // Ended by a signal: the terminal is restored and the export flushed above; the status is
    // 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP), as a shell reports a
    // process the signal ended, so a script or a supervisor sees it was stopped.
    result.map(|signal| signal.map_or(ExitCode::SUCCESS, signal_status))
}

/// The exit status for a process ended by `signal`: 128 + its number.
fn signal_status(signal: i32) -> ExitCode {
    ExitCode::from(u8::try_from(128 + signal).unwrap_or(u8::MAX))
}

/// Waits, handles, draws; returns when the person quits (`None`) or a signal came (its
/// number).
fn screen_loop(
    terminal: &mut ratatui::DefaultTerminal,
    shared: &Shared,
    rx: &mpsc::Receiver<Wakeup>,
    memory: Option<(String, Arc<[u8]>)>,
    color: bool,
    usage: &Sender<()>,
) -> io::Result<Option<i32>> {
    let mut view = View::default();
    // When the Usage view's figures were last asked for.
    let mut usage_asked: Option<Instant> = None;
    let ask_usage = |asked: &mut Option<Instant>, older_than: Duration| {
        if asked.is_none_or(|t| t.elapsed() >= older_than) {
            *asked = Some(Instant::now());
            let _ = usage.send(());
        }
    };
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut spinning = false;
    let read = move |origin: &Origin| -> io::Result<Vec<u8>> {
        match &memory {
            Some((name, bytes)) if **name == *origin.file => line_in(bytes, origin.offset),
            _ => read_line_at(&origin.file, origin.offset),
        }
    };
    loop {
        if view.screen == Screen::Usage {
            ask_usage(&mut usage_asked, USAGE_REFRESH);
        }
        let since_draw = last_draw.map_or(FRAME, |t| t.elapsed());
        if dirty && since_draw >= FRAME {
            // Events after this point wake the screen again (one wake-up per frame at most:
            // resetting on receipt instead would wake this thread for every event).
            shared.wake_pending.store(false, Ordering::Release);
            let model = shared.lock();
            terminal.draw(|frame| {
                ui::draw(frame, &model, &mut view);
                if !color {
                    ui::monochrome(frame.buffer_mut());
                }
            })?;
            let now_ms = model.now_ms();
            spinning = view.panel_session(&model).is_some_and(|s| {
                s.activity(now_ms) == aegon::session::Activity::Live && s.running().next().is_some()
            });
            drop(model);
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let timeout = if dirty {
            FRAME.saturating_sub(since_draw)
        } else if spinning {
            SPINNER_TICK
        } else {
            IDLE_TICK
        };
        match rx.recv_timeout(timeout) {
            Ok(Wakeup::Terminal(TermEvent::Key(key))) if is_suspend(&key) => {
                suspend(terminal)?;
                dirty = true;
            }
            // Ctrl-C is the interrupt the terminal would have sent as SIGINT outside raw
            // mode: the dashboard ends as SIGINT ends it (status 130), not as q does.
            Ok(Wakeup::Terminal(TermEvent::Key(key))) if is_interrupt(&key) => {
                return Ok(Some(signal_hook::consts::SIGINT));
            }
            Ok(Wakeup::Terminal(TermEvent::Key(key))) => {
                let Some(key) = map_key(key) else { continue };
                let model = shared.lock();
                match view.on_key(key, &model) {
                    Action::Quit => return Ok(None),
                    Action::Nothing => {}
                    Action::Redraw => dirty = true,
                    Action::OpenUsage => {
                        ask_usage(&mut usage_asked, USAGE_STALE);
                        dirty = true;
                    }
                    Action::OpenDetail(seq) => {
                        if let Some(item) = model.feed().get(seq) {
                            view.detail = Some(Detail::load(&model, item, &read));
                        }
                        dirty = true;
                    }
                }
            }
            Ok(Wakeup::Terminal(_)) => dirty = true,
            Ok(Wakeup::Data) => dirty = true,
            Ok(Wakeup::SourceEnded(error)) => {
                let mut model = shared.lock();
                model.set_status(None);
                match error {
                    Some(e) => model.notice(format!("stopped reading: {e}")),
                    None if model.events() > 0 => model.notice("end of the recording"),
                    None => {}
                }
                dirty = true;
            }
            Ok(Wakeup::Signal(signal)) => return Ok(Some(signal)),
            Err(RecvTimeoutError::Timeout) => dirty = true,
            Err(RecvTimeoutError::Disconnected) => return Ok(None),
        }
    }
}

/// The line at `offset` of an in-memory recording.
fn line_in(bytes: &[u8], offset: u64) -> io::Result<Vec<u8>> {
    let start = usize::try_from(offset)
        .ok()
        .filter(|&s| s <= bytes.len())
        .ok_or_else(|| io::Error::other("offset beyond the recording"))?;
    let rest = &bytes[start..];
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    Ok(rest[..end].to_vec())
}

/// Ctrl-C (pressed, not released): in raw mode the terminal delivers it as a key, never as
/// SIGINT, so the dashboard treats it as that signal.
fn is_interrupt(key: &KeyEvent) -> bool {
    key.kind != KeyEventKind::Release
        && key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char('c' | 'C'))
}

/// Ctrl-Z (pressed, not released).
fn is_suspend(key: &KeyEvent) -> bool {
    key.kind != KeyEventKind::Release
        && key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char('z' | 'Z'))
}

/// Ctrl-Z: gives the terminal back as it was before the dashboard (cursor shown, raw mode off,
/// the main screen), stops the job as the terminal's own Ctrl-Z would, and once continued
/// (`fg`) takes the terminal again; the next frame is drawn whole (the screen is cleared and
/// ratatui's idea of what it shows forgotten), whatever the shell drew meanwhile.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> io::Result<()> {
    use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
    terminal.show_cursor()?;
    ratatui::try_restore()?;
    stop_job();
    // Here after SIGCONT (or at once when the stop was refused: an orphaned process group).
    enable_raw_mode()?;
    crossterm::execute!(io::stdout(), EnterAlternateScreen)?;
    terminal.clear()
}

/// Sends SIGTSTP, whose default action stops, to the process group, as the terminal does for
/// a Ctrl-Z typed in its line mode: a wrapper in the same job (a script, `cargo run`) stops
/// too, and the shell sees the job stopped. Returns once the process is continued.
#[cfg(target_os = "linux")]
fn stop_job() {
    use rustix::process::{kill_current_process_group, Signal};
    if kill_current_process_group(Signal::TSTP).is_err() {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    }
}

/// Sends SIGTSTP, whose default action stops, to this process (the process group is reached
/// through rustix on Linux only). Returns once the process is continued.
#[cfg(not(target_os = "linux"))]
fn stop_job() {
    let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
}

/// A terminal key as the dashboard's; `None` for keys it does not use (and key releases).
fn map_key(key: KeyEvent) -> Option<Key> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') | KeyCode::Char('d') if ctrl => Key::Interrupt,
        KeyCode::Char(_) if ctrl => return None,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Enter => Key::Enter,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}

fn spawn_source(
    source: Source,
    options: Options,
    shared: Arc<Shared>,
    tx: Sender<Wakeup>,
    replay_clock: Arc<replay::ReplayClock>,
) {
    std::thread::spawn(move || {
        // The export is put in before the source starts, and only ever taken out.
        let exporting = shared
            .export
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        let feeder = Feeder {
            shared: &shared,
            held: None,
            tx: tx.clone(),
            exporting,
        };
        let mut pipeline = Pipeline::new(options, feeder);
        let result = match source {
            Source::Watch { roots, since, poll } => {
                let history_read = || {
                    let mut model = shared.lock();
                    model.set_status(None);
                    model.set_history(false);
                    drop(model);
                    shared.wake(&tx);
                };
                let options = aegon::source::watch::FolderOptions {
                    since,
                    poll,
                    removals: false,
                };
                let mut notes = crate::report::notes(false);
                aegon::source::watch::watch_folders(
                    &roots,
                    options,
                    &mut pipeline,
                    &mut notes,
                    history_read,
                )
            }
            Source::Replay { name, bytes, speed } => {
                replay::run(&name, &bytes, speed, Some(&replay_clock), &mut pipeline)
            }
        };
        let result = result.and_then(|()| pipeline.finish().map(|_| ()));
        let _ = tx.send(Wakeup::SourceEnded(result.err().map(|e| e.to_string())));
    });
}

/// Starts the thread that reads the usage index when asked (see the module documentation);
/// returns where to ask.
fn spawn_usage(
    source: UsageSource,
    pricing: Pricing,
    shared: Arc<Shared>,
    tx: Sender<Wakeup>,
) -> Sender<()> {
    let (ask, asked) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let roots = match source {
            UsageSource::Off(why) => {
                while asked.recv().is_ok() {
                    let mut model = shared.lock();
                    if *model.usage() == UsageData::NotRead {
                        model.set_usage(UsageData::Unavailable(why.clone()));
                    }
                    drop(model);
                    shared.wake(&tx);
                }
                return;
            }
            UsageSource::Index { roots } => roots,
        };
        let tz = aegon::usage::time::zone(None).unwrap_or_else(|e| {
            shared.lock().notice(format!("{e}; usage by day in UTC"));
            aegon::usage::time::TimeZone::UTC
        });
        let mut index: Option<Ledger> = None;
        while asked.recv().is_ok() {
            // Asked again meanwhile: one read answers all.
            while asked.try_recv().is_ok() {}
            let mut model = shared.lock();
            if *model.usage() == UsageData::NotRead {
                model.set_usage(UsageData::Reading);
            }
            drop(model);
            shared.wake(&tx);
            let mut notes: Vec<String> = Vec::new();
            let result = read_usage(&mut index, &roots, &pricing, &tz, &mut notes);
            let mut model = shared.lock();
            for note in notes {
                model.notice(note);
            }
            match result {
                Ok(figures) => model.set_usage(UsageData::Ready(Box::new(figures))),
                Err(e) => {
                    // Figures read before stay on screen; the footer says what failed.
                    if matches!(model.usage(), UsageData::Ready(_)) {
                        model.notice(format!("usage index: {e}"));
                    } else {
                        model.set_usage(UsageData::Unavailable(e));
                    }
                }
            }
            drop(model);
            shared.wake(&tx);
        }
    });
    ask
}

/// Brings the index (opened on first use) up to date with `roots` and computes the Usage
/// view's figures from it; a damaged index is moved aside and rebuilt once.
fn read_usage(
    index: &mut Option<Ledger>,
    roots: &[PathBuf],
    pricing: &Pricing,
    tz: &aegon::usage::time::TimeZone,
    notes: &mut Vec<String>,
) -> Result<UsageFigures, String> {
    let path = ledger::default_path().map_err(|e| e.to_string())?;
    let mut note = |n: &str| notes.push(n.to_owned());
    let mut ledger = match index.take() {
        Some(l) => l,
        None => Ledger::open(&path, &mut note).map_err(|e| e.to_string())?,
    };
    let mut quiet = |_: &std::path::Path, _: &str| {};
    // The official readings of this environment's Claude Code account alone (its windows).
    let account = aegon::source::watch::claude_config_dirs().unwrap_or_default();
    let mut query = |ledger: &mut Ledger| {
        let now = aegon::timestamp::now_ms();
        let stats = ledger.update(roots, &[], &mut quiet)?;
        let scope = Scope::Paths {
            roots: roots.to_vec(),
            files: Vec::new(),
            ids: stats.file_ids,
        };
        let entries = ledger.entries(&scope, Some(UsageFigures::since_ms(now, tz)), pricing)?;
        let readings = ledger.latest_readings(&account)?;
        Ok::<_, ledger::Error>(UsageFigures::compute(&entries, &readings, tz, now))
    };
    let figures = match query(&mut ledger) {
        Ok(f) => f,
        Err(e) if e.is_corrupt() => {
            ledger = ledger.repair(&e, &mut note).map_err(|e| e.to_string())?;
            query(&mut ledger).map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    // Responses that files read again no longer hold (they left the index), recorded by
    // whichever run read them again (the status line too): said once, by the run that takes
    // them; one that cannot be written keeps them for the next.
    for d in &ledger.take_dropped().unwrap_or_default() {
        let shown = ledger::as_named(&d.path, roots, &[]).unwrap_or_else(|| PathBuf::from(&d.path));
        notes.push(d.note(&shown, pricing));
    }
    // A newer aegon's index, read without being written: said with the figures.
    if let Some(why) = ledger.read_only() {
        if !notes.iter().any(|n| n == why) {
            notes.push(why.to_owned());
        }
    }
    *index = Some(ledger);
    Ok(figures)
}

fn spawn_input(tx: Sender<Wakeup>) {
    std::thread::spawn(move || {
        while let Ok(event) = crossterm::event::read() {
            if tx.send(Wakeup::Terminal(event)).is_err() {
                break;
            }
        }
    });
}

fn spawn_signals(tx: Sender<Wakeup>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _ = tx.send(Wakeup::Signal(signal));
        }
    });
}

/// On a panic anywhere: restore the terminal, say what happened, and end the process (a
/// drawing thread must not go on over a restored screen).
fn restore_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        ratatui::restore();
        previous(info);
        std::process::exit(101);
    }));
}
