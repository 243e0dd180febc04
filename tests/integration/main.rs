//! Whole flows through the `attestera` binary on real SQLite files in
//! temporary directories. One test binary, one module per area.

mod audit;
mod batching;
mod common;
mod flow;
mod formats;
mod http;
mod http_hardening;
mod load;
mod refusals;
mod remote;
mod tamper;
