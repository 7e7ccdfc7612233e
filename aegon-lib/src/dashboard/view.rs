//! What the person looking at the dashboard chose: focus, selection, session, filter, pause,
//! overlays; and how keys change it.

use super::detail::Detail;
use super::feed::FeedItem;
use super::model::Dashboard;
use crate::session::Session;

/// A key press, as the dashboard understands it (the binary maps the terminal's keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// ↑
    Up,
    /// ↓
    Down,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Enter.
    Enter,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Escape.
    Esc,
    /// Backspace.
    Backspace,
    /// Ctrl-C: quits from anywhere.
    Interrupt,
    /// A character.
    Char(char),
}

/// The panes that take the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    /// The event feed.
    #[default]
    Feed,
    /// The session list.
    Sessions,
}

/// What fills the screen between the header and the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// The feed, the session panel and the session list.
    #[default]
    Sessions,
    /// Usage over time: today, this week, this month, the 5-hour block, charts (`u`).
    Usage,
}

/// What the caller should do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing changed.
    Nothing,
    /// Something changed: draw again.
    Redraw,
    /// Open the detail of the feed row with this sequence number (the caller reads its line
    /// and sets [`View::detail`]).
    OpenDetail(u64),
    /// The Usage view opened: the caller refreshes its figures if they are old
    /// ([`super::Dashboard::set_usage`]), and draws.
    OpenUsage,
    /// Leave.
    Quit,
}

/// The dashboard's view state: what the person chose, changed by [`View::on_key`].
#[derive(Debug, Clone, Default)]
pub struct View {
    /// What the screen shows.
    pub screen: Screen,
    /// The pane that takes ↑/↓.
    pub focus: Pane,
    /// The selected feed row (its sequence number); `None` follows the newest.
    pub selected: Option<u64>,
    /// The session chosen in the list: the feed shows only it. `None`: every session, and the
    /// panel shows the most recently active one.
    pub session: Option<String>,
    /// The feed filter (lowercase; rows containing it, in any column).
    pub filter: String,
    /// Whether keys type into the filter.
    pub editing_filter: bool,
    /// The feed is frozen at this sequence number (space).
    pub paused_at: Option<u64>,
    /// The detail overlay, when open.
    pub detail: Option<Detail>,
    /// The help overlay is open.
    pub help: bool,
    /// Feed rows on screen at the last draw (for page moves).
    pub feed_rows: usize,
    /// The feed's top row at the last draw while a row is selected (the window holds still).
    pub feed_top: Option<u64>,
    /// Detail lines on screen at the last draw.
    pub detail_rows: usize,
}

impl View {
    /// Feed rows shown, newest first: up to the pause, of the chosen session, matching the
    /// filter.
    pub fn visible_feed<'a>(
        &'a self,
        dashboard: &'a Dashboard,
    ) -> impl Iterator<Item = &'a FeedItem> + 'a {
        let feed = dashboard.feed();
        feed.newest_first().filter(move |item| {
            self.paused_at.is_none_or(|p| item.seq <= p)
                && self
                    .session
                    .as_deref()
                    .is_none_or(|s| feed.session(item) == Some(s))
                && feed.matches(item, &self.filter)
        })
    }

    /// The session the panel shows: the one chosen, else the one of the selected row, else the
    /// most recently active.
    pub fn panel_session<'a>(&self, dashboard: &'a Dashboard) -> Option<&'a Session> {
        let sessions = dashboard.sessions();
        if let Some(id) = &self.session {
            return sessions.get(id);
        }
        let selected = self
            .selected
            .and_then(|seq| dashboard.feed().get(seq))
            .and_then(|item| dashboard.feed().session(item))
            .and_then(|id| sessions.get(id));
        selected.or_else(|| sessions.by_recency().into_iter().find(|s| !s.is_empty()))
    }

    /// The sessions listed, most recently active first (empty ones left out).
    pub fn listed_sessions<'a>(&self, dashboard: &'a Dashboard) -> Vec<&'a Session> {
        dashboard
            .sessions()
            .by_recency()
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Applies a key.
    pub fn on_key(&mut self, key: Key, dashboard: &Dashboard) -> Action {
        if key == Key::Interrupt {
            return Action::Quit;
        }
        if self.help {
            self.help = false;
            return Action::Redraw;
        }
        if self.detail.is_some() {
            return self.detail_key(key);
        }
        if self.editing_filter {
            return self.filter_key(key);
        }
        if self.screen == Screen::Usage {
            return match key {
                Key::Char('q') => Action::Quit,
                Key::Char('?') => {
                    self.help = true;
                    Action::Redraw
                }
                Key::Char('u') | Key::Esc | Key::Backspace => {
                    self.screen = Screen::Sessions;
                    Action::Redraw
                }
                _ => Action::Nothing,
            };
        }
        match key {
            Key::Char('q') => Action::Quit,
            Key::Char('u') => {
                self.screen = Screen::Usage;
                Action::OpenUsage
            }
            Key::Esc if !self.filter.is_empty() => {
                self.filter.clear();
                self.selected = None;
                Action::Redraw
            }
            Key::Esc => Action::Quit,
            Key::Char('?') => {
                self.help = true;
                Action::Redraw
            }
            Key::Char('/') => {
                self.editing_filter = true;
                Action::Redraw
            }
            Key::Char(' ') => {
                self.paused_at = match self.paused_at {
                    Some(_) => None,
                    None => Some(dashboard.feed().newest_seq().unwrap_or(0)),
                };
                Action::Redraw
            }
            Key::Tab | Key::BackTab => {
                self.focus = match self.focus {
                    Pane::Feed => Pane::Sessions,
                    Pane::Sessions => Pane::Feed,
                };
                Action::Redraw
            }
            Key::Enter => match self.focus {
                Pane::Feed => {
                    let seq = self
                        .selected
                        .or_else(|| self.visible_feed(dashboard).next().map(|i| i.seq));
                    seq.map_or(Action::Nothing, Action::OpenDetail)
                }
                Pane::Sessions => {
                    self.focus = Pane::Feed;
                    Action::Redraw
                }
            },
            _ => match self.focus {
                Pane::Feed => self.move_in_feed(key, dashboard),
                Pane::Sessions => self.move_in_sessions(key, dashboard),
            },
        }
    }

    fn detail_key(&mut self, key: Key) -> Action {
        let page = self.detail_rows.max(1);
        let Some(detail) = self.detail.as_mut() else {
            return Action::Nothing;
        };
        let last = detail.lines.len().saturating_sub(page);
        let scroll = match key {
            Key::Up | Key::Char('k') => detail.scroll.saturating_sub(1),
            Key::Down | Key::Char('j') => detail.scroll + 1,
            Key::PageUp => detail.scroll.saturating_sub(page),
            Key::PageDown | Key::Char(' ') => detail.scroll + page,
            Key::Home | Key::Char('g') => 0,
            Key::End | Key::Char('G') => last,
            Key::Esc | Key::Enter | Key::Backspace | Key::Char('q') => {
                self.detail = None;
                return Action::Redraw;
            }
            _ => return Action::Nothing,
        };
        let scroll = scroll.min(last);
        if scroll == detail.scroll {
            return Action::Nothing;
        }
        detail.scroll = scroll;
        Action::Redraw
    }

    fn filter_key(&mut self, key: Key) -> Action {
        match key {
            Key::Char(c) => self.filter.extend(c.to_lowercase()),
            Key::Backspace => {
                self.filter.pop();
            }
            Key::Enter => self.editing_filter = false,
            Key::Esc => {
                self.filter.clear();
                self.editing_filter = false;
            }
            _ => return Action::Nothing,
        }
        self.selected = None;
        Action::Redraw
    }

    fn move_in_feed(&mut self, key: Key, dashboard: &Dashboard) -> Action {
        let rows: Vec<u64> = self.visible_feed(dashboard).map(|i| i.seq).collect();
        if rows.is_empty() {
            return Action::Nothing;
        }
        // `None`: following the newest, above the first row; ↓ then selects the first row.
        let at = self
            .selected
            .and_then(|seq| rows.iter().position(|&s| s == seq));
        let page = self.feed_rows.max(2) - 1;
        let last = rows.len() - 1;
        let to = match (key, at) {
            (Key::Up | Key::Char('k') | Key::PageUp, None) => None,
            (Key::Up | Key::Char('k'), Some(0)) => None,
            (Key::Up | Key::Char('k'), Some(i)) => Some(i - 1),
            (Key::Down | Key::Char('j'), None) => Some(0),
            (Key::Down | Key::Char('j'), Some(i)) => Some((i + 1).min(last)),
            (Key::PageUp, Some(i)) => Some(i.saturating_sub(page)).filter(|&i| i > 0),
            (Key::PageDown, at) => Some(at.map_or(page, |i| i + page).min(last)),
            (Key::Home | Key::Char('g'), _) => None,
            (Key::End | Key::Char('G'), _) => Some(last),
            _ => return Action::Nothing,
        };
        let selected = to.map(|i| rows[i]);
        if selected == self.selected {
            return Action::Nothing;
        }
        self.selected = selected;
        Action::Redraw
    }

    fn move_in_sessions(&mut self, key: Key, dashboard: &Dashboard) -> Action {
        // Row 0 is "all sessions"; row i is the i-th session by recency.
        let ids: Vec<&str> = self
            .listed_sessions(dashboard)
            .into_iter()
            .map(|s| s.id.as_str())
            .collect();
        let at = self
            .session
            .as_deref()
            .and_then(|id| ids.iter().position(|&s| s == id))
            .map_or(0, |i| i + 1);
        let to = match key {
            Key::Up | Key::Char('k') => at.saturating_sub(1),
            Key::Down | Key::Char('j') => (at + 1).min(ids.len()),
            Key::Home | Key::Char('g') => 0,
            Key::End | Key::Char('G') => ids.len(),
            _ => return Action::Nothing,
        };
        let session = to.checked_sub(1).map(|i| ids[i].to_owned());
        if session == self.session {
            return Action::Nothing;
        }
        self.session = session;
        self.selected = None;
        Action::Redraw
    }
}
