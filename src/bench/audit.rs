//! Figure 4: `attestera audit` as a child process on the run's data
//! directory: entries per second against Ed25519, linearity, peak memory.

use serde_json::json;

use super::BenchError;
use super::figure::{Better, Figure};
use super::measure::{ED25519, Numbered, Run, blocking, child_failed, mb};
use super::memory;

/// An audit child's rate and peak memory.
#[derive(Debug, Clone, Copy)]
pub(super) struct Audit {
    pub(super) entries: u64,
    pub(super) per_second: f64,
    pub(super) max_rss: u64,
}

impl Run<'_> {
    /// `attestera audit` as a child on the run's data directory.
    pub(super) async fn audit(&self) -> Result<Audit, BenchError> {
        let entries = self.filler.size().await?;
        let mut c = self.setup.command();
        c.args(["--json", "audit"]);
        let scratch = self.setup.scratch("audit")?;
        let done = blocking(move || memory::run_measured(c, &scratch)).await?;
        if done.code != 0 {
            return Err(child_failed("attestera audit", &done));
        }
        Ok(Audit {
            entries,
            per_second: entries as f64 / done.elapsed.as_secs_f64().max(1e-9),
            max_rss: done.max_rss,
        })
    }
}

/// Figure 4: audit rates against Ed25519, linearity, and memory.
pub(super) fn audit_figures(ed25519: f64, mid: Audit, big: Audit) -> Numbered {
    let mut out = Numbered::new();
    for (at, a) in [("mid", mid), ("big", big)] {
        out.push((
            4,
            Figure::new(
                format!("audit_entries_per_second_{at}"),
                format!("Granskning, poster/s vid {} poster", a.entries),
                (a.per_second, "1/s"),
                (ED25519, ed25519),
                Better::Higher,
                Some(0.5),
            )
            .with_detail(json!({"log_size": a.entries, "peak_rss_bytes": a.max_rss})),
        ));
    }
    let sizes = json!({"log_size": big.entries, "reference_log_size": mid.entries});
    out.push((
        4,
        Figure::new(
            "audit_linearity",
            format!(
                "Granskning, poster/s vid {} mot vid {}",
                big.entries, mid.entries
            ),
            (big.per_second, "1/s"),
            ("audit_entries_per_second_mid", mid.per_second),
            Better::Higher,
            Some(0.8),
        )
        .with_detail(sizes.clone()),
    ));
    out.push((
        4,
        Figure::new(
            "audit_peak_rss_mb",
            format!("Granskning, största minne vid {} poster", big.entries),
            (mb(big.max_rss), "MB"),
            ("audit_peak_rss_mb_mid", mb(mid.max_rss)),
            Better::Lower,
            Some(0.8),
        )
        .with_detail(sizes),
    ));
    out
}
