//! Whole flows through the `attestera` binary on real SQLite files in
//! temporary directories. One test binary, one module per area.

mod attested;
mod audit;
mod backups;
mod batching;
mod bench;
mod common;
mod enrolment;
mod flow;
mod forgery;
mod formats;
mod http;
mod http_hardening;
mod identity;
mod insider;
mod instances;
mod keyfiles;
mod load;
mod outage;
mod pdf;
mod postgres_store;
mod reads;
mod refusals;
mod registry;
mod remote;
mod server;
mod service_keys;
mod tamper;
mod web;
mod web_access;
