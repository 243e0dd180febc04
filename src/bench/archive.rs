//! Synthetic archive for figure 8: historical utlåtanden that already carry
//! a block, imported through the real import path ([`Service::import`]) in
//! a child process so that its peak memory can be measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::BenchError;
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
