//! Operational metrics in Prometheus text format: appends, batch sizes,
//! append latency, verify outcomes, entries served. No document text, names or keys.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The service's metrics; cheap to share behind an `Arc`.
pub struct Metrics {
    registry: Registry,
    pub appends: Counter,
    pub refused: Counter,
    pub append_failures: Counter,
    pub batch_size: Histogram,
    pub append_seconds: Histogram,
    pub verify_outcomes: Family<Vec<(String, String)>, Counter>,
    pub entries_served: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("attestera");
        let appends = Counter::default();
        let refused = Counter::default();
        let append_failures = Counter::default();
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        let append_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        let verify_outcomes = Family::<Vec<(String, String)>, Counter>::default();
        let entries_served = Counter::default();
        registry.register("appends", "Entries appended to the log", appends.clone());
        registry.register(
            "refused_appends",
            "Append requests refused by a rule",
            refused.clone(),
        );
        registry.register(
            "append_failures",
            "Sequencer batches that could not be written (rolled back)",
            append_failures.clone(),
        );
        registry.register(
            "batch_size",
            "Request groups per sequencer batch",
            batch_size.clone(),
        );
        registry.register(
            "append_seconds",
            "Time from batch start to durable commit",
            append_seconds.clone(),
        );
        registry.register(
            "verify_outcomes",
            "Verification verdicts by status",
            verify_outcomes.clone(),
        );
        registry.register(
            "entries_served",
            "Log entries served to readers (clients replaying the log)",
            entries_served.clone(),
        );
        Metrics {
            registry,
            appends,
            refused,
            append_failures,
            batch_size,
            append_seconds,
            verify_outcomes,
            entries_served,
        }
    }
}

impl Metrics {
    pub fn record_verify(&self, status: &str) {
        self.verify_outcomes
            .get_or_create(&vec![("status".to_string(), status.to_string())])
            .inc();
    }

    /// The exposition text for `/metrics`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}
