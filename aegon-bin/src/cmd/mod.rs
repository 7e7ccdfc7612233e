//! Commands with their own options, help and `run` (the target layout: `main.rs` only
//! dispatches to them).

pub mod statusline;
pub mod usage;
