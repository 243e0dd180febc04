//! The run itself: references, then the log filled step by step to each
//! size, with the figures measured at each. Figures are numbered as in the
//! issue so that the report keeps its order.

use std::sync::Arc;
use std::time::Instant;

use super::figure::Figure;
use super::fill::{self, Approver, Filler};
use super::memory::Finished;
use super::server::Server;
use super::{BenchError, Setup, Sizes, reference};
use crate::service::Service;
use crate::service::access::Role;

pub(super) type Numbered = Vec<(u8, Figure)>;

pub(super) const ED25519: &str = "ed25519_verifications_per_second";
/// Approvers issued for the run.
const APPROVERS: usize = 16;

/// Everything a measurement needs.
pub(super) struct Run<'a> {
    pub(super) setup: &'a Setup,
    pub(super) sizes: &'a Sizes,
    pub(super) service: Arc<Service>,
    pub(super) approvers: Arc<Vec<Approver>>,
    pub(super) filler: Filler,
    pub(super) server: Server,
    pub(super) token: String,
    /// The attested document that figures 3 and 5 verify.
    pub(super) target: Vec<u8>,
    pub(super) ed25519: f64,
    pub(super) started: Instant,
}

/// Every figure of the run.
pub async fn all(setup: &Setup, options: &super::Options) -> Result<Numbered, BenchError> {
    let sizes = &options.sizes;
    let started = Instant::now();
    super::progress(started, "mäter referenserna");
    let time = sizes.reference_time;
    let ed25519 = blocking(move || reference::ed25519_per_second(time)).await?;
    let dir = setup.path().to_path_buf();
    let fsync = blocking(move || reference::fsyncs_per_second(&dir, time)).await?;
    let bytes = sizes.document_bytes;
    let mut out = Numbered::new();
    if !options.only_writes {
        super::progress(started, "kanonisk text och hashar");
        out = blocking(move || Ok(super::digest::digests(bytes))).await?;
    }
    let service = Arc::new(Service::open(setup.dir(), None).await?);
    let references = (ed25519, fsync, started);
    let result = with_service(setup, options, service.clone(), references).await;
    if let Ok(s) = Arc::try_unwrap(service) {
        s.close().await;
    }
    out.extend(result?);
    Ok(out)
}

/// Runs blocking work (CPU-bound, or waiting for a child) off the runtime's threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BenchError> + Send + 'static,
) -> Result<T, BenchError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BenchError::Failed(format!("en mätning avbröts: {e}")))?
}

async fn with_service(
    setup: &Setup,
    options: &super::Options,
    service: Arc<Service>,
    (ed25519, fsync, started): (f64, f64, Instant),
) -> Result<Numbered, BenchError> {
    let approvers = fill::approvers(&service, &setup.scratch("approvers")?, APPROVERS).await?;
    let approvers = Arc::new(approvers);
    let token = service
        .create_token("attestera bench", Role::Admin)
        .await?
        .token;
    let filler = Filler::new(service.clone(), approvers.clone());
    let target = attested_target(&service, &approvers).await?;
    let server = Server::start(setup).await?;
    let run = Run {
        setup,
        sizes: &options.sizes,
        service,
        approvers,
        filler,
        server,
        token,
        target,
        ed25519,
        started,
    };
    run.figures(fsync, options.only_writes).await
}

impl Run<'_> {
    async fn figures(mut self, fsync: f64, only_writes: bool) -> Result<Numbered, BenchError> {
        let [small, mid, big] = self.sizes.logs;
        let mut out = Numbered::new();
        self.fill_to(small).await?;
        let verify_small = self.verify_p50().await?;
        let contact_small = self.contact(false).await?;
        self.phase("skrivningar över HTTP")?;
        let (writes, registrations) = self.writes(fsync).await?;
        out.extend(writes);
        if only_writes {
            return Ok(out);
        }
        let size_mid = self.fill_to(mid).await?;
        let verify_mid = self.verify_p50().await?;
        let audit_mid = self.audit().await?;
        let size_big = self.fill_to(big).await?;
        let verify_big = self.verify_p50().await?;
        let audit_big = self.audit().await?;
        self.phase("klientens första och senare kontakt")?;
        let contact_big = self.contact(true).await?;
        self.phase("läsningar över HTTP")?;
        out.extend(self.reads().await?);
        let sizes = [small, size_mid, size_big];
        out.extend(super::verify::verify_figures(
            sizes,
            verify_small,
            verify_mid,
            verify_big,
        ));
        out.extend(super::audit::audit_figures(
            self.ed25519,
            audit_mid,
            audit_big,
        ));
        out.extend(super::verify::contact_figures(
            [small, size_big],
            contact_small,
            contact_big,
        ));
        drop(self.server);
        super::progress(self.started, "import av syntetiska utlåtanden");
        out.extend(super::archive::imports(self.setup, self.sizes, registrations).await?);
        super::progress(self.started, "klart");
        Ok(out)
    }

    /// Says what comes next, once the server is known to be still there.
    fn phase(&mut self, what: &str) -> Result<(), BenchError> {
        super::progress(self.started, what);
        self.server.check_alive()
    }

    async fn fill_to(&mut self, size: u64) -> Result<u64, BenchError> {
        self.phase(&format!("fyller loggen till {size} poster"))?;
        let reached = self.filler.fill_to(size).await?;
        self.phase(&format!(
            "loggen har {reached} poster: verifiering, granskning, klient"
        ))?;
        Ok(reached)
    }
}

/// A document registered and approved by two approvers, with its block: what is verified.
async fn attested_target(s: &Service, approvers: &[Approver]) -> Result<Vec<u8>, BenchError> {
    let text = fill::document("verifieras", 0);
    let r = s.register(text.as_bytes(), "attestera bench").await?;
    for a in approvers.iter().take(2) {
        fill::submit(s, &a.sign(r.text_sha256)?).await?;
    }
    let block = s.block(text.as_bytes()).await?;
    Ok(format!("{text}\n{block}").into_bytes())
}

/// A child that did not succeed, with the end of what it said.
pub(super) fn child_failed(what: &str, done: &Finished) -> BenchError {
    let tail = |s: &str| {
        s.chars()
            .rev()
            .take(600)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    BenchError::Failed(format!(
        "{what} avslutades med kod {}: {}{}",
        done.code,
        tail(&done.stderr),
        tail(&done.stdout)
    ))
}

pub(super) fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
