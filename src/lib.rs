//! attestera: digital attestation of finalized municipal documents.
pub mod cli;
pub mod client;
pub mod document;
pub mod entry;
pub mod http;
pub mod logtime;
pub mod pki;
pub mod printable;
pub mod projection;
pub mod service;
pub mod statement;
pub mod stockholm;
pub mod store;
pub mod tlog;
pub mod verdict;
