//! mailsleuth: why a mail server rejects a sender address, with the evidence and the fix.
//!
//! One module per protocol or concern; each keeps its parser apart from its evaluator
//! and turns evidence into [`finding::Finding`]s. [`diagnose`] ranks them against the
//! rejection; [`render`] only renders.

pub mod address;
pub mod bounce;
pub mod cli;
pub mod conformance;
pub mod diagnose;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod domain;
pub mod finding;
pub mod host;
pub mod render;
pub mod reply;
pub mod smtp;
pub mod spf;
