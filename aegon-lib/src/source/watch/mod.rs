//! Watching transcripts as they are written (feature `watch`): files followed like `tail -F`
//! ([`follow_files`]) and folder trees ([`watch_folders`]), woken by file-system notifications
//! (the `notify` crate) with a polling fallback.
//!
//! Both push every new line through a [`Pipeline`](crate::Pipeline) and run until the renderer
//! stops them (a [`Flow::Break`](crate::render::Flow), or an output error such as a closed pipe).
//! They say what happens to the files (truncated, replaced, unreadable, notifications
//! unavailable) through a `notes` callback, as ready-to-show sentences; the `aegon` binary
//! writes them to stderr, the dashboard to its footer. The reading itself is
//! [`crate::source::follow::Tail`]: only ever read-only.

mod files;
mod folders;
mod notifications;
mod resumed;
mod watched;

pub use files::{
    follow_files, follow_growing_files, Growing, POLL_INTERVAL, RELIST_GAP, RELIST_POLLING,
    RELIST_SAFETY,
};
pub use folders::{
    claude_config_dirs, default_root_candidates, default_roots, default_roots_to_watch,
    other_agent_roots, watch_folders, FolderOptions,
};
