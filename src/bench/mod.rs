//! `attestera bench`: measures attestera against this machine's own limits
//! (issue 12). Every figure is printed beside a reference measured in the
//! same run, with the ratio (higher is better) and the target, a lower bound
//! on the ratio. The run uses a fresh temporary data directory (SQLite, or a
//! fresh PostgreSQL database on the server of `--database-url`), fills its
//! log through the real append path, and runs `serve`, `audit`, `--server
//! verify` and imports as child processes of the same binary.

pub mod archive;
mod audit;
mod digest;
pub mod figure;
mod fill;
mod http;
mod load;
mod measure;
mod memory;
mod proxy;
mod reference;
mod server;
mod setup;
mod verify;

use std::path::PathBuf;
use std::time::Duration;

pub use figure::{BenchReport, Figure};
pub use setup::Setup;

/// Says on stderr what the run is doing (stdout stays the report), with the
/// time since the start.
pub(crate) fn progress(started: std::time::Instant, what: &str) {
    eprintln!(
        "attestera bench: {what} ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

/// Why the bench could not run, in Swedish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("kunde inte {0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error("loggens databas: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("datorn gav inga slumptal")]
    Randomness,
    #[error("{0}")]
    Failed(String),
}

/// How big each part of the run is.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub name: &'static str,
    /// Writes per run of figures 1 and 2, for 1, 16 and 256 clients.
    pub writes: [usize; 3],
    /// Log sizes: small (the reference), middle and big.
    pub logs: [u64; 3],
    /// The synthetic document of figure 6, bytes.
    pub document_bytes: usize,
    /// How long each read load of figure 7 runs.
    pub read_time: Duration,
    /// Documents imported for figure 8: the rate, and the size memory is compared at.
    pub imports: [u64; 2],
    /// How long each reference is measured.
    pub reference_time: Duration,
    /// Verifications per p50.
    pub samples: usize,
}

impl Sizes {
    /// The sizes (about ten minutes per backend).
    pub const FULL: Sizes = Sizes {
        name: "full",
        writes: [500, 4_000, 20_000],
        logs: [1_000, 100_000, 1_000_000],
        document_bytes: 50_000_000,
        read_time: Duration::from_secs(5),
        imports: [10_000, 100_000],
        reference_time: Duration::from_secs(2),
        samples: 101,
    };
    /// `--quick`: within a minute on two cores.
    pub const QUICK: Sizes = Sizes {
        name: "quick",
        writes: [100, 800, 2_048],
        logs: [1_000, 10_000, 30_000],
        document_bytes: 5_000_000,
        read_time: Duration::from_secs(1),
        imports: [1_000, 4_000],
        reference_time: Duration::from_millis(500),
        samples: 31,
    };
    /// The tests' (hidden `--sizes tiny`): every figure, no meaningful number.
    pub const TINY: Sizes = Sizes {
        name: "tiny",
        writes: [4, 16, 64],
        logs: [100, 300, 500],
        document_bytes: 100_000,
        read_time: Duration::from_millis(100),
        imports: [10, 30],
        reference_time: Duration::from_millis(50),
        samples: 3,
    };
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub sizes: Sizes,
    /// A PostgreSQL server (any database on it) to make the run's database on.
    pub database_url: Option<String>,
    /// This binary, for the child processes.
    pub exe: PathBuf,
    /// Figures 1 and 2 only (for profiling the write path).
    pub only_writes: bool,
}

/// Runs every figure; the temporary directory and database are removed
/// whether the run succeeds or not.
pub async fn run(options: &Options) -> Result<BenchReport, BenchError> {
    let setup = Setup::create(options).await?;
    let result = tokio::select! {
        r = measure::all(&setup, options) => r,
        _ = tokio::signal::ctrl_c() => Err(BenchError::Failed("avbröts (Ctrl-C)".into())),
    };
    setup.remove().await;
    let mut figures = result?;
    figures.sort_by_key(|(n, _)| *n);
    Ok(BenchReport {
        figures: figures.into_iter().map(|(_, f)| f).collect(),
    })
}
