//! One module per command, each with its options, help and `run` (the design's target layout;
//! `main.rs` dispatches to them; the older commands still live beside `main.rs`).

pub mod audit;
pub mod html;
pub mod otlp;
pub mod replay;
pub mod statusline;
pub mod usage;
pub mod watch;
