//! The web pages in a real headless Chromium (Debian's chromium and
//! chromium-driver), against the real `attestera serve`: every user's main
//! path, axe-core on every page in every state, and what axe cannot see.
//! `ATTESTERA_SCREENSHOTS=docs/ui cargo test --test browser` renews the
//! screenshots that docs/ui.md shows.

#[allow(dead_code)]
#[path = "../integration/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../integration/server.rs"]
mod server;

mod admin;
mod approver;
mod auditor;
#[allow(dead_code)]
mod harness;
mod public;
mod registrar;
mod session;
mod start;
