//! The run itself: references, then the log filled step by step to each
//! size, with the figures measured at each. Figures are numbered as in the
//! issue so that the report keeps its order.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::figure::{Better, Figure};
use super::fill::{self, Approver, Filler};
use super::load::{self, Request};
use super::memory::{self, Finished};
use super::proxy::Proxy;
use super::server::Server;
use super::{BenchError, Setup, Sizes, reference};
use crate::service::Service;
use crate::service::access::Role;
use attestera_core::verdict::Status;

pub type Numbered = Vec<(u8, Figure)>;

const ED25519: &str = "ed25519_verifications_per_second";
/// Concurrent connections of the read load (figure 7).
const READERS: usize = 64;
/// Approvers issued for the run.
const APPROVERS: usize = 16;

/// Everything a measurement needs.
struct Run<'a> {
    setup: &'a Setup,
    sizes: &'a Sizes,
    service: Arc<Service>,
    approvers: Arc<Vec<Approver>>,
    filler: Filler,
    server: Server,
    token: String,
    /// The attested document that figures 3 and 5 verify.
    target: Vec<u8>,
    ed25519: f64,
    started: Instant,
}

/// Every figure of the run.
pub async fn all(setup: &Setup, sizes: &Sizes) -> Result<Numbered, BenchError> {
    let started = Instant::now();
    super::progress(started, "mäter referenserna");
    let time = sizes.reference_time;
    let ed25519 = blocking(move || reference::ed25519_per_second(time)).await?;
    let dir = setup.path().to_path_buf();
    let fsync = blocking(move || reference::fsyncs_per_second(&dir, time)).await?;
    let bytes = sizes.document_bytes;
    super::progress(started, "kanonisk text och hashar");
    let mut out = blocking(move || Ok(digests(bytes))).await?;
    let service = Arc::new(Service::open(setup.dir(), None).await?);
    let references = (ed25519, fsync, started);
    let result = with_service(setup, sizes, service.clone(), references).await;
    if let Ok(s) = Arc::try_unwrap(service) {
        s.close().await;
    }
    out.extend(result?);
    Ok(out)
}

/// Runs blocking work (CPU-bound, or waiting for a child) off the runtime's threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BenchError> + Send + 'static,
) -> Result<T, BenchError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BenchError::Failed(format!("en mätning avbröts: {e}")))?
}

async fn with_service(
    setup: &Setup,
    sizes: &Sizes,
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
        sizes,
        service,
        approvers,
        filler,
        server,
        token,
        target,
        ed25519,
        started,
    };
    run.figures(fsync).await
}

impl Run<'_> {
    async fn figures(self, fsync: f64) -> Result<Numbered, BenchError> {
        let [small, mid, big] = self.sizes.logs;
        let mut out = Numbered::new();
        self.fill_to(small).await?;
        let verify_small = self.verify_p50().await?;
        let contact_small = self.contact(false).await?;
        self.note("skrivningar över HTTP");
        let (writes, registrations) = self.writes(fsync).await?;
        out.extend(writes);
        let size_mid = self.fill_to(mid).await?;
        let verify_mid = self.verify_p50().await?;
        let audit_mid = self.audit().await?;
        let size_big = self.fill_to(big).await?;
        let verify_big = self.verify_p50().await?;
        let audit_big = self.audit().await?;
        let contact_big = self.contact(true).await?;
        self.note("läsningar över HTTP");
        out.extend(self.reads().await?);
        let sizes = [small, size_mid, size_big];
        out.extend(verify_figures(sizes, verify_small, verify_mid, verify_big));
        out.extend(audit_figures(self.ed25519, audit_mid, audit_big));
        out.extend(contact_figures(
            [small, size_big],
            contact_small,
            contact_big,
        ));
        drop(self.server);
        super::progress(self.started, "import av syntetiska utlåtanden");
        out.extend(imports(self.setup, self.sizes, registrations).await?);
        super::progress(self.started, "klart");
        Ok(out)
    }

    fn note(&self, what: &str) {
        super::progress(self.started, what);
    }

    async fn fill_to(&self, size: u64) -> Result<u64, BenchError> {
        self.note(&format!("fyller loggen till {size} poster"));
        let reached = self.filler.fill_to(size).await?;
        self.note(&format!(
            "loggen har {reached} poster: verifiering, granskning, klient"
        ));
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

/// Median latency, local and over HTTP, of verifying the target.
#[derive(Debug, Clone, Copy)]
struct VerifyP50 {
    local_ms: f64,
    http_ms: f64,
}

/// What a client's contact cost: time and bytes from the server.
#[derive(Debug, Clone, Copy, Default)]
struct Contact {
    first_ms: f64,
    first_bytes: u64,
    later_ms: f64,
    later_bytes: u64,
}

/// An audit child's rate and peak memory.
#[derive(Debug, Clone, Copy)]
struct Audit {
    entries: u64,
    per_second: f64,
    max_rss: u64,
}

impl Run<'_> {
    async fn verify_p50(&self) -> Result<VerifyP50, BenchError> {
        let mut local = Vec::with_capacity(self.sizes.samples);
        for _ in 0..self.sizes.samples {
            let start = Instant::now();
            let verdict = self.service.verify(&self.target).await?;
            local.push(start.elapsed());
            if verdict.status != Status::Verified {
                return Err(BenchError::Failed(
                    "dokumentet som mäts verifierades inte lokalt".into(),
                ));
            }
        }
        local.sort();
        let request = Request {
            post: true,
            url: self.server.api("/verify"),
            body: Some((self.target.clone(), "application/octet-stream")),
            token: None,
        };
        self.check_verified_over_http(&request).await?;
        let client = load::client(1)?;
        let requests = vec![request; self.sizes.samples];
        let http = load::run_all(&client, 1, requests).await?;
        Ok(VerifyP50 {
            local_ms: load::quantile_ms(&local, 0.5),
            http_ms: http.quantile_ms(0.5),
        })
    }

    async fn check_verified_over_http(&self, r: &Request) -> Result<(), BenchError> {
        let failed = |e: reqwest::Error| BenchError::Failed(format!("{} misslyckades: {e}", r.url));
        let client = load::client(1)?;
        let body = r.body.as_ref().map(|b| b.0.clone()).unwrap_or_default();
        let answer: serde_json::Value = client
            .post(&r.url)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        let verified = serde_json::to_value(Status::Verified).unwrap_or_default();
        if answer["status"] != verified {
            return Err(BenchError::Failed(format!(
                "dokumentet som mäts verifierades inte över HTTP: {answer}"
            )));
        }
        Ok(())
    }

    /// `--server verify` as a child with a fresh state directory, through
    /// the counting proxy; with `later`, again after the log has grown a little.
    async fn contact(&self, later: bool) -> Result<Contact, BenchError> {
        let size = self.filler.size().await?;
        let target = self.server.base.trim_start_matches("http://").to_string();
        let proxy = Proxy::start(target).await?;
        let scratch = self.setup.scratch(&format!("client-{size}"))?;
        let file = scratch.join("dokument.txt");
        std::fs::write(&file, &self.target).map_err(|e| BenchError::Io("skriva dokumentet", e))?;
        let (first, first_bytes) = self.client_verify(&proxy, &scratch, &file).await?;
        let mut contact = Contact {
            first_ms: first.elapsed.as_secs_f64() * 1000.0,
            first_bytes,
            ..Contact::default()
        };
        if later {
            self.filler
                .register_many(&format!("senare-{size}"), 16)
                .await?;
            let (again, bytes) = self.client_verify(&proxy, &scratch, &file).await?;
            contact.later_ms = again.elapsed.as_secs_f64() * 1000.0;
            contact.later_bytes = bytes;
        }
        Ok(contact)
    }

    async fn client_verify(
        &self,
        proxy: &Proxy,
        scratch: &std::path::Path,
        file: &std::path::Path,
    ) -> Result<(Finished, u64), BenchError> {
        let mut c = super::server::attestera(&self.setup.exe);
        c.args(["--json", "--server", &proxy.base, "--log-key"])
            .arg(self.service.public_key())
            .arg("verify")
            .arg(file)
            .env("ATTESTERA_STATE_DIR", scratch.join("state"))
            .current_dir(scratch);
        let scratch = scratch.to_path_buf();
        let done = blocking(move || memory::run_measured(c, &scratch)).await?;
        if done.code != 0 {
            return Err(child_failed("attestera --server verify", &done));
        }
        Ok((done, proxy.take_downloaded()))
    }

    /// `attestera audit` as a child on the run's data directory.
    async fn audit(&self) -> Result<Audit, BenchError> {
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

/// A child that did not succeed, with the end of what it said.
fn child_failed(what: &str, done: &Finished) -> BenchError {
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

impl Run<'_> {
    /// Figures 1 and 2: pre-signed approvals and distinct registrations over
    /// HTTP at 1, 16 and 256 clients; also the registrations per second at
    /// 256 (figure 8's reference).
    async fn writes(&self, fsync: f64) -> Result<(Numbered, f64), BenchError> {
        let mut out = Numbered::new();
        let mut registrations_256 = 0.0;
        for (i, clients) in [1usize, 16, 256].into_iter().enumerate() {
            let n = self.sizes.writes[i];
            let approvals = self.signed_approvals(clients, n).await?;
            let client = load::client(clients)?;
            let a = load::run_all(&client, clients, approvals).await?;
            out.push((
                1,
                self.write_figure("approvals", "Godkännanden/s", clients, &a),
            ));
            let registrations = (0..n)
                .map(|j| Request {
                    post: true,
                    url: self.server.api("/documents"),
                    body: Some((
                        fill::document(&format!("http-{clients}"), j as u64).into_bytes(),
                        "application/octet-stream",
                    )),
                    token: Some(self.token.clone()),
                })
                .collect();
            let r = load::run_all(&client, clients, registrations).await?;
            out.push((
                2,
                self.write_figure("registrations", "Registreringar/s", clients, &r),
            ));
            if clients == 256 {
                registrations_256 = r.per_second();
                out.push((
                    2,
                    Figure::new(
                        "registrations_per_second_256_vs_fsync",
                        "Registreringar/s, 256 klienter, mot fsync/s",
                        (r.per_second(), "1/s"),
                        ("fsyncs_per_second", fsync),
                        Better::Higher,
                        None,
                    ),
                ));
            }
        }
        Ok((out, registrations_256))
    }

    /// `n` approvals of newly registered documents, signed now, as requests.
    async fn signed_approvals(&self, clients: usize, n: usize) -> Result<Vec<Request>, BenchError> {
        let docs = self
            .filler
            .register_many(&format!("godkänns-{clients}"), n as u64)
            .await?;
        docs.iter()
            .enumerate()
            .map(|(j, (id, _))| {
                let a = &self.approvers[j % self.approvers.len()];
                let body = serde_json::to_vec(&a.sign(*id)?)
                    .map_err(|e| BenchError::Failed(format!("godkännandet: {e}")))?;
                Ok(Request {
                    post: true,
                    url: self
                        .server
                        .api(&format!("/documents/{}/approvals", id.to_hex())),
                    body: Some((body, "application/json")),
                    token: Some(self.token.clone()),
                })
            })
            .collect()
    }

    fn write_figure(&self, what: &str, label: &str, clients: usize, o: &load::Outcome) -> Figure {
        let target = (what == "approvals" && clients == 256).then_some(0.5);
        Figure::new(
            format!("{what}_per_second_{clients}"),
            format!(
                "{label}, {clients} {}",
                if clients == 1 { "klient" } else { "klienter" }
            ),
            (o.per_second(), "1/s"),
            (ED25519, self.ed25519),
            Better::Higher,
            target,
        )
        .with_detail(json!({
            "clients": clients,
            "requests": o.requests,
            "p50_ms": o.quantile_ms(0.5),
            "p99_ms": o.quantile_ms(0.99),
        }))
    }

    /// Figure 7: proofs and the checkpoint under load, against `/healthz`.
    async fn reads(&self) -> Result<Numbered, BenchError> {
        let size = usize::try_from(self.filler.size().await?)
            .unwrap_or(usize::MAX)
            .max(1);
        let client = load::client(READERS)?;
        let time = self.sizes.read_time;
        let healthz = format!("{}/healthz", self.server.base);
        let healthz = load::run_for(
            &client,
            READERS,
            time,
            Arc::new(move |_| Request::get(healthz.clone())),
        )
        .await?;
        let checkpoint = self.server.api("/log/checkpoint");
        let checkpoint = load::run_for(
            &client,
            READERS,
            time,
            Arc::new(move |_| Request::get(checkpoint.clone())),
        )
        .await?;
        let proof = self.server.api("/log/proof/");
        let proof = load::run_for(
            &client,
            READERS,
            time,
            Arc::new(move |i| Request::get(format!("{proof}{}", i.wrapping_mul(7919) % size))),
        )
        .await?;
        let mut out = Numbered::new();
        for (code, label, o) in [
            ("proof", "Inklusionsbevis", &proof),
            ("checkpoint", "Kontrollpunkt", &checkpoint),
        ] {
            let detail = json!({"connections": READERS, "requests": o.requests, "log_size": size});
            out.push((
                7,
                Figure::new(
                    format!("{code}_requests_per_second"),
                    format!("{label}, begäranden/s"),
                    (o.per_second(), "1/s"),
                    ("healthz_requests_per_second", healthz.per_second()),
                    Better::Higher,
                    Some(0.5),
                )
                .with_detail(detail.clone()),
            ));
            out.push((
                7,
                Figure::new(
                    format!("{code}_p99_ms"),
                    format!("{label}, p99"),
                    (o.quantile_ms(0.99), "ms"),
                    ("healthz_p99_ms", healthz.quantile_ms(0.99)),
                    Better::Lower,
                    Some(0.5),
                )
                .with_detail(detail),
            ));
        }
        Ok(out)
    }
}

/// Figure 3: p50 at the middle and big sizes against the small one.
fn verify_figures(sizes: [u64; 3], small: VerifyP50, mid: VerifyP50, big: VerifyP50) -> Numbered {
    let mut out = Numbered::new();
    for (how, label, pick) in [
        (
            "local",
            "lokalt",
            (|v: VerifyP50| v.local_ms) as fn(VerifyP50) -> f64,
        ),
        ("http", "över HTTP", |v: VerifyP50| v.http_ms),
    ] {
        for (at, size, v, target) in [
            ("mid", sizes[1], mid, None),
            ("big", sizes[2], big, Some(0.67)),
        ] {
            out.push((
                3,
                Figure::new(
                    format!("verify_p50_ms_{how}_{at}"),
                    format!("Verifiera {label}, p50 vid {size} poster"),
                    (pick(v), "ms"),
                    (&format!("verify_p50_ms_{how}_small") as &str, pick(small)),
                    Better::Lower,
                    target,
                )
                .with_detail(json!({"log_size": size, "reference_log_size": sizes[0]})),
            ));
        }
    }
    out
}

/// Figure 4: audit rates against Ed25519, linearity, and memory.
fn audit_figures(ed25519: f64, mid: Audit, big: Audit) -> Numbered {
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

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Figure 5: first and later contact at the big size against first contact at the small one.
fn contact_figures(sizes: [u64; 2], small: Contact, big: Contact) -> Numbered {
    let detail = json!({"log_size": sizes[1], "reference_log_size": sizes[0]});
    let at = sizes[1];
    let f = |name: &str, label: String, value: (f64, &str), reference: (&str, f64), target| {
        (
            5,
            Figure::new(name, label, value, reference, Better::Lower, target)
                .with_detail(detail.clone()),
        )
    };
    vec![
        f(
            "client_first_contact_ms",
            format!("Klient, första kontakt vid {at} poster"),
            (big.first_ms, "ms"),
            ("client_first_contact_ms_small", small.first_ms),
            Some(0.67),
        ),
        f(
            "client_first_contact_bytes",
            format!("Klient, hämtat vid första kontakt, {at} poster"),
            (big.first_bytes as f64, "byte"),
            ("client_first_contact_bytes_small", small.first_bytes as f64),
            None,
        ),
        f(
            "client_later_contact_ms",
            format!("Klient, senare kontakt vid {at} poster"),
            (big.later_ms, "ms"),
            ("client_first_contact_ms_small", small.first_ms),
            None,
        ),
        f(
            "client_later_contact_bytes",
            format!("Klient, hämtat vid senare kontakt, {at} poster"),
            (big.later_bytes as f64, "byte"),
            ("client_first_contact_bytes_small", small.first_bytes as f64),
            None,
        ),
    ]
}

/// A synthetic document of about `len` bytes: paragraphs of a real
/// utlåtande's kind of text, with Windows line ends in part.
fn synthetic_document(len: usize) -> Vec<u8> {
    const PARAGRAPH: &str = "I förslaget konkretiseras att ett samordnat trygghetsskapande och \
        brottsförebyggande arbete består av ett samspel mellan förebyggande och riktade sociala \
        insatser samt insatser inom stadens offentliga miljö – ”så att fler känner sig trygga”.";
    let mut text = String::with_capacity(len + PARAGRAPH.len() + 64);
    let mut i = 0u64;
    while text.len() < len {
        let end = if i.is_multiple_of(2) { "\r\n\r\n" } else { "\n\n" };
        text.push_str(&format!("{i}. {PARAGRAPH}{end}"));
        i += 1;
    }
    text.into_bytes()
}

/// Figure 6: canonical text and file digest against plain SHA-256.
fn digests(len: usize) -> Numbered {
    use attestera_core::document::{canonical, read};
    let bytes = synthetic_document(len);
    let rounds = 3;
    let sha = reference::sha256_mb_per_second(&bytes, rounds);
    let canonical_rate = reference::best_mb_per_second(bytes.len(), rounds, || {
        if let Ok(text) = canonical::decode(&bytes) {
            std::hint::black_box(canonical::text_digest(&canonical::canonical_text(&text)));
        }
    });
    let file_rate = reference::best_mb_per_second(bytes.len(), rounds, || {
        std::hint::black_box(attestera_core::tlog::Hash::sha256(&bytes));
    });
    let read_rate = reference::best_mb_per_second(bytes.len(), rounds, || {
        let _ = std::hint::black_box(read::read(&bytes));
    });
    let detail = json!({"document_bytes": bytes.len()});
    let f = |name: &str, label: &str, value: f64, target| {
        (
            6,
            Figure::new(
                name,
                label,
                (value, "MB/s"),
                ("sha256_mb_per_second", sha),
                Better::Higher,
                target,
            )
            .with_detail(detail.clone()),
        )
    };
    vec![
        f(
            "canonical_text_mb_per_second",
            "Kanonisk text och dess hash",
            canonical_rate,
            Some(0.5),
        ),
        f(
            "file_digest_mb_per_second",
            "Filens hash",
            file_rate,
            Some(0.9),
        ),
        f(
            "document_read_mb_per_second",
            "Läsa dokumentet (båda hasharna, metadata)",
            read_rate,
            None,
        ),
    ]
}

/// Figure 8: imports of the synthetic archive in child processes: the rate
/// at the first count, and peak memory at the second against the first.
async fn imports(
    setup: &Setup,
    sizes: &Sizes,
    registrations_256: f64,
) -> Result<Numbered, BenchError> {
    let mut offset = 0u64;
    let mut runs = Vec::new();
    for count in sizes.imports {
        let mut c = setup.command();
        c.args(["--json", "bench", "--import-count", &count.to_string()])
            .args(["--import-offset", &offset.to_string()]);
        let scratch = setup.scratch("import")?;
        let done = blocking(move || memory::run_measured(c, &scratch)).await?;
        if done.code != 0 {
            return Err(child_failed("attestera bench --import-count", &done));
        }
        let said: serde_json::Value = serde_json::from_str(&done.stdout)
            .map_err(|e| BenchError::Failed(format!("importens svar kunde inte läsas: {e}")))?;
        let seconds = said["seconds"]
            .as_f64()
            .unwrap_or(done.elapsed.as_secs_f64());
        runs.push((count, count as f64 / seconds.max(1e-9), done.max_rss));
        offset = offset.saturating_add(count);
    }
    let [(n1, rate, rss1), (n2, _, rss2)] = [runs[0], runs[1]];
    let detail = json!({"documents": n1, "reference_documents": n2});
    Ok(vec![
        (
            8,
            Figure::new(
                "import_documents_per_second",
                format!("Import, dokument med block/s ({n1} dokument)"),
                (rate, "1/s"),
                ("registrations_per_second_256", registrations_256),
                Better::Higher,
                None,
            )
            .with_detail(json!({"documents": n1, "peak_rss_bytes": rss1})),
        ),
        (
            8,
            Figure::new(
                "import_peak_rss_mb",
                format!("Import, största minne vid {n2} mot {n1} dokument"),
                (mb(rss2), "MB"),
                ("import_peak_rss_mb_small", mb(rss1)),
                Better::Lower,
                None,
            )
            .with_detail(detail),
        ),
    ])
}
