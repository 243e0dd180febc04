//! attestera: digital attestation of finalized municipal documents.
pub mod bench;
pub mod cli;
pub mod client;
pub mod http;
pub mod keyfile;
pub mod messages;
pub mod pdf;
pub mod service;
pub mod store;
pub mod wire;
