//! Colours and styles: what colour means on the dashboard.

use ratatui::style::{Color, Modifier, Style};

use crate::event::Kind;

/// The style of a kind's label in the feed.
pub fn label(kind: Kind, failed: bool) -> Style {
    let s = Style::new();
    match kind {
        Kind::UserPrompt => s.fg(Color::Green).add_modifier(Modifier::BOLD),
        Kind::AssistantText => s.fg(Color::Blue).add_modifier(Modifier::BOLD),
        Kind::Thinking | Kind::CompactSummary | Kind::Compact => s.fg(Color::Magenta),
        Kind::ToolCall | Kind::Image => s.fg(Color::Cyan),
        Kind::ToolResult if failed => s.fg(Color::Red).add_modifier(Modifier::BOLD),
        Kind::ToolResult => s.fg(Color::Green),
        Kind::ApiError | Kind::Malformed => s.fg(Color::Red).add_modifier(Modifier::BOLD),
        Kind::Interrupt | Kind::System | Kind::Queue | Kind::Mode | Kind::PermissionMode => {
            s.fg(Color::Yellow)
        }
        Kind::Title => s.add_modifier(Modifier::BOLD),
        k if secondary(k) => dim(),
        _ => s,
    }
}

/// Kinds that say little to a person: shown dim.
fn secondary(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::UserMeta
            | Kind::Usage
            | Kind::Progress
            | Kind::Attachment
            | Kind::FileSnapshot
            | Kind::LastPrompt
            | Kind::Unknown
    )
}

/// The style of a kind's summary text in the feed.
pub fn summary(kind: Kind, failed: bool) -> Style {
    match kind {
        _ if failed => Style::new().fg(Color::Red),
        Kind::UserPrompt | Kind::Title => Style::new().add_modifier(Modifier::BOLD),
        Kind::Thinking => Style::new().fg(Color::Magenta),
        Kind::CompactSummary => dim(),
        k if secondary(k) => dim(),
        _ => Style::new(),
    }
}

/// Secondary text.
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Success.
pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

/// Failure.
pub fn bad() -> Style {
    Style::new().fg(Color::Red)
}

/// A warning.
pub fn warning() -> Style {
    Style::new().fg(Color::Yellow)
}

/// The colour of a context fill: green under half the window, yellow under 80%, red above.
pub fn context(fraction: f64) -> Color {
    if fraction < 0.5 {
        Color::Green
    } else if fraction < 0.8 {
        Color::Yellow
    } else {
        Color::Red
    }
}

/// The border of a pane: highlighted when it has the keys.
pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan)
    } else {
        dim()
    }
}

/// The selected row.
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// A badge (permission mode, replay, pause): reversed colour.
pub fn badge(color: Color) -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(color)
        .add_modifier(Modifier::BOLD)
}
