//! The IPC commands, by domain. Each deserializes, calls the core, and returns the core's error as is.

pub mod account;
pub mod app;
pub mod generation;
pub mod history;
pub mod own_key;
pub mod privacy;
pub mod retention;
pub mod styles;
pub mod updates;
