//! attestera-core: the pure core of attestera.
//!
//! Everything a verifier needs and nothing that does I/O: canonical text
//! and the block ([`document`]), the Merkle log, checkpoints and signed
//! notes ([`tlog`]), certificates and their checks ([`pki`]), the approval
//! [`statement`], log [`entry`] bytes, the [`rules`] every append and every
//! replay applies, and the [`verdict`] on a copy. Time and randomness are
//! passed in; the crate depends on no runtime, database, web or CLI crate,
//! so an offline verifier can be built on it alone.
//!
//! Errors here carry a stable English `code()` and the values behind it;
//! sentences for people are rendered by the application's catalogue.
pub mod batch;
pub mod document;
pub mod entry;
pub mod logtime;
pub mod lookup;
pub mod pki;
pub mod printable;
pub mod rules;
pub mod statement;
pub mod stockholm;
pub mod tlog;
pub mod verdict;
pub use tlog::Hash;
