//! Figures 3 and 5: verifying one document, locally and over HTTP, and a
//! client's first and later contact through the counting proxy, as the log grows.

use serde_json::json;
use std::time::Instant;

use super::BenchError;
use super::figure::{Better, Figure};
use super::load::{self, Request};
use super::measure::{Numbered, Run, blocking, child_failed};
use super::memory::{self, Finished};
use super::proxy::Proxy;
use attestera_core::verdict::Status;

/// Median latency, local and over HTTP, of verifying the target.
#[derive(Debug, Clone, Copy)]
pub(super) struct VerifyP50 {
    pub(super) local_ms: f64,
    pub(super) http_ms: f64,
}

/// What a client's contact cost: time and bytes from the server.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Contact {
    pub(super) first_ms: f64,
    pub(super) first_bytes: u64,
    pub(super) later_ms: f64,
    pub(super) later_bytes: u64,
}

impl Run<'_> {
    pub(super) async fn verify_p50(&self) -> Result<VerifyP50, BenchError> {
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

    pub(super) async fn check_verified_over_http(&self, r: &Request) -> Result<(), BenchError> {
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
    pub(super) async fn contact(&self, later: bool) -> Result<Contact, BenchError> {
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

    pub(super) async fn client_verify(
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
}

/// Figure 3: p50 at the middle and big sizes against the small one.
pub(super) fn verify_figures(
    sizes: [u64; 3],
    small: VerifyP50,
    mid: VerifyP50,
    big: VerifyP50,
) -> Numbered {
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

/// Figure 5: first and later contact at the big size against first contact at the small one.
pub(super) fn contact_figures(sizes: [u64; 2], small: Contact, big: Contact) -> Numbered {
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
