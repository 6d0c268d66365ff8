//! Renderers: text for people, JSON for machines. They render; they decide nothing.

pub mod json;
pub mod markdown;
pub mod text;
