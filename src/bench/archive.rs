//! Synthetic archive for figure 8: historical utlåtanden that already carry
//! a block, imported through the real import path ([`Service::import`]) in
//! a child process so that its peak memory can be measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::json;

use super::figure::{Better, Figure};
use super::measure::{Numbered, blocking, child_failed, mb};
use super::{BenchError, Setup, Sizes, memory};
use crate::service::Service;

/// Imports in flight in the worker: bounded, so memory does not follow the count.
const IN_FLIGHT: usize = 256;

/// Historical document `i` with a block of two approvals (dates in 2019–2021).
pub fn document(i: u64) -> String {
    let year = 2019 + i % 3;
    let month = 1 + (i / 3) % 12;
    let day = 1 + (i / 36) % 28;
    format!(
        "Handläggare\nEva Ek\nTelefon: 08-508 15 000\n\nTill\nSkarpnäcks stadsdelsnämnd\n\n\
         Remissvar om trygghetsprogram, ärende {i}\n\nSvar på remiss från kommunstyrelsen, dnr {year}/{i}\n\n\
         Förvaltningen har inget att erinra gällande förslaget och föreslår att detta \
         tjänsteutlåtande överlämnas som svar på remissen.\n\n\
         Maria Mathiasson Laxvik\nStadsdelsdirektör\n\n\
         Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\n\
         Namn\tDatum\n\
         Per Persson, Avdelningschef\t{year}-{month:02}-{day:02}\n\
         Maria Mathiasson Laxvik, Stadsdelsdirektör\t{year}-{month:02}-{day:02}\n"
    )
}

/// What the import worker did (its JSON on stdout).
#[derive(Debug, Serialize)]
pub struct Imported {
    pub documents: u64,
    pub seconds: f64,
}

/// Imports documents `offset..offset + count` of the synthetic archive.
pub async fn import(
    service: Arc<Service>,
    offset: u64,
    count: u64,
) -> Result<Imported, BenchError> {
    let end = offset
        .checked_add(count)
        .ok_or_else(|| BenchError::Failed("för många dokument att importera".into()))?;
    let next = Arc::new(AtomicU64::new(offset));
    let start = std::time::Instant::now();
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (s, next) = (service.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= end {
                        return Ok::<_, BenchError>(());
                    }
                    s.import(document(i).as_bytes(), "attestera bench").await?;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await
            .map_err(|e| BenchError::Failed(format!("en import avbröts: {e}")))??;
    }
    Ok(Imported {
        documents: count,
        seconds: start.elapsed().as_secs_f64(),
    })
}

impl crate::cli::print::Report for Imported {
    fn human(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Importerade {} dokument på {:.1} s.",
            self.documents, self.seconds
        )
    }
}

/// Figure 8: imports of the synthetic archive in child processes: the rate
/// at the first count, and peak memory at the second against the first.
pub(super) async fn imports(
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
    let detail = json!({"documents": n2, "reference_documents": n1});
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
