//! Figures 1, 2 and 7 over HTTP: pre-signed approvals and distinct
//! registrations at 1, 16 and 256 clients, and reads under load against the
//! same server's `/healthz`.

use std::sync::Arc;

use serde_json::json;

use super::BenchError;
use super::figure::{Better, Figure};
use super::fill;
use super::load::{self, Request};
use super::measure::{ED25519, Numbered, Run};

/// Concurrent connections of the read load (figure 7).
const READERS: usize = 64;

impl Run<'_> {
    /// Figures 1 and 2: pre-signed approvals and distinct registrations over
    /// HTTP at 1, 16 and 256 clients; also the registrations per second at
    /// 256 (figure 8's reference).
    pub(super) async fn writes(&self, fsync: f64) -> Result<(Numbered, f64), BenchError> {
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
    pub(super) async fn signed_approvals(
        &self,
        clients: usize,
        n: usize,
    ) -> Result<Vec<Request>, BenchError> {
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
    pub(super) async fn reads(&self) -> Result<Numbered, BenchError> {
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
