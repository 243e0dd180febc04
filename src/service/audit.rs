//! The audit: replay the whole log from entry 0 and check everything the
//! service ever claimed — entry encodings and leaf hashes, every rule
//! (signatures, certificates, revocation at the entry's time), stored
//! Merkle hashes, every checkpoint's signature and root, consistency between
//! consecutive checkpoints, and every projection row.

use serde::Serialize;

use super::{Service, ServiceError};
use crate::entry::Entry;
use crate::projection::{self, Projection};
use crate::tlog::{self, Checkpoint, MemoryHashes};

/// Entries read per database round trip.
const PAGE: u64 = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct AuditProblem {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub ok: bool,
    pub entries: u64,
    pub checkpoints: u64,
    pub documents: usize,
    pub approvals: usize,
    pub certificates: usize,
    pub problems: Vec<AuditProblem>,
}

fn problem(code: &'static str, message: String) -> AuditProblem {
    AuditProblem {
        code,
        message,
        entry: None,
        checkpoint: None,
        table: None,
        key: None,
    }
}

/// Compares stored rows with the replayed ones, naming each difference.
fn compare<T: PartialEq + std::fmt::Debug>(
    table: &'static str,
    stored: Vec<(String, T)>,
    replayed: &std::collections::BTreeMap<String, T>,
    problems: &mut Vec<AuditProblem>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (key, row) in stored {
        let p = match replayed.get(&key) {
            None => Some((
                "projection_row_unexpected",
                format!("{table}: raden {key} följer inte av loggen"),
            )),
            Some(r) if *r != row => Some((
                "projection_row_differs",
                format!("{table}: raden {key} skiljer sig från loggen"),
            )),
            Some(_) => None,
        };
        if let Some((code, message)) = p {
            problems.push(AuditProblem {
                table: Some(table),
                key: Some(key.clone()),
                ..problem(code, message)
            });
        }
        seen.insert(key);
    }
    for key in replayed.keys().filter(|k| !seen.contains(*k)) {
        problems.push(AuditProblem {
            table: Some(table),
            key: Some(key.clone()),
            ..problem(
                "projection_row_missing",
                format!("{table}: raden {key} saknas men följer av loggen"),
            )
        });
    }
}

/// Records entries absent from the table, keeping their places in the replayed tree.
fn mark_missing(
    range: std::ops::Range<u64>,
    tree: &mut MemoryHashes,
    problems: &mut Vec<AuditProblem>,
) {
    for index in range {
        problems.push(AuditProblem {
            entry: Some(index),
            ..problem("entry_missing", format!("loggpost {index} saknas"))
        });
        tree.append(&[]);
    }
}

impl Service {
    pub async fn audit(&self) -> Result<AuditReport, ServiceError> {
        let mut problems = Vec::new();
        let size = self.store.log_size().await?;
        let mut tree = MemoryHashes::new();
        let mut state = Projection::default();
        let mut last_time = None;
        let mut start = 0;
        while start < size {
            let end = (start + PAGE).min(size);
            let rows = self.store.entries(start, end).await?;
            let mut expected = start;
            for (index, data, leaf) in rows {
                mark_missing(expected..index.min(end), &mut tree, &mut problems);
                expected = index + 1;
                let at = |code, message| AuditProblem {
                    entry: Some(index),
                    ..problem(code, message)
                };
                tree.append(&data);
                if leaf != tlog::record_hash(&data) {
                    problems.push(at(
                        "leaf_hash_mismatch",
                        format!("loggpost {index}: lagrad lövhash stämmer inte med postens byte"),
                    ));
                }
                let entry = match Entry::decode(&data) {
                    Ok(e) => e,
                    Err(e) => {
                        problems.push(at(e.code(), format!("loggpost {index}: {e}")));
                        continue;
                    }
                };
                if last_time.is_some_and(|t| entry.logged_at < t) {
                    problems.push(at(
                        "time_went_backwards",
                        format!("loggpost {index}: tiden går bakåt"),
                    ));
                }
                if crate::logtime::is_future(entry.logged_at, super::now()) {
                    problems.push(at(
                        "logged_in_future",
                        format!("loggpost {index}: stämplad {}, efter nu", entry.logged_at),
                    ));
                }
                last_time = Some(entry.logged_at);
                let facts = state.facts(&projection::fact_keys(&entry.body));
                match projection::check(index, &entry, self.ca_der(), &facts) {
                    Ok(change) => state.apply(change),
                    Err(r) => problems.push(at(
                        r.code(),
                        format!("loggpost {index} ({}): {r}", entry.body.kind()),
                    )),
                }
            }
            mark_missing(expected..end, &mut tree, &mut problems);
            start = end;
        }

        // Stored hashes, from which every proof is built.
        let stored = self.store.read_all_hashes().await?;
        if stored.len() != tree.0.len() || stored.iter().zip(&tree.0).any(|(a, b)| a != b) {
            let first = stored
                .iter()
                .zip(&tree.0)
                .position(|(a, b)| a != b)
                .unwrap_or(stored.len().min(tree.0.len()));
            problems.push(problem("stored_hash_mismatch", format!(
                "lagrade merklehashar stämmer inte med loggposterna (första skillnad vid hash {first})"
            )));
        }

        // Checkpoints: signature, origin, root, and consistency with the previous one.
        let checkpoints = self.store.checkpoints().await?;
        let mut previous: Option<Checkpoint> = None;
        for (stored_size, note) in &checkpoints {
            let at = |code, message| AuditProblem {
                checkpoint: Some(*stored_size),
                ..problem(code, message)
            };
            let c = match self.verifier().open(note).map(Checkpoint::parse) {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    problems.push(at(
                        "checkpoint_malformed",
                        format!("kontrollpunkt {stored_size}: {e}"),
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(at(
                        "checkpoint_signature_invalid",
                        format!("kontrollpunkt {stored_size}: signaturen stämmer inte ({e})"),
                    ));
                    continue;
                }
            };
            if c.size != *stored_size || c.origin != self.config.origin || c.size > size {
                problems.push(at(
                    "checkpoint_mismatch",
                    format!("kontrollpunkt {stored_size}: storlek eller ursprung stämmer inte"),
                ));
                continue;
            }
            match tlog::tree_hash(c.size, &tree) {
                Ok(root) if root == c.root => {}
                _ => {
                    problems.push(at(
                        "checkpoint_root_mismatch",
                        format!("kontrollpunkt {stored_size}: roten stämmer inte med loggposterna"),
                    ));
                    continue;
                }
            }
            if let Some(p) = &previous {
                let consistent = tlog::prove_consistency(p.size, c.size, &tree)
                    .ok()
                    .is_some_and(|proof| {
                        tlog::verify_consistency(p.size, c.size, &proof, &p.root, &c.root).is_ok()
                    });
                if !consistent {
                    problems.push(at("checkpoint_inconsistent", format!(
                        "kontrollpunkt {stored_size} är inte en förlängning av kontrollpunkt {}", p.size
                    )));
                }
            }
            previous = Some(c);
        }
        if previous.as_ref().map(|c| c.size) != Some(size) {
            problems.push(problem(
                "checkpoint_behind",
                format!("ingen giltig kontrollpunkt täcker hela loggen ({size} poster)"),
            ));
        }

        // Projections against the replay.
        let documents = self.store.documents().await?;
        let approvals = self.store.approvals().await?;
        let certificates = self.store.certificates().await?;
        let counts = (documents.len(), approvals.len(), certificates.len());
        compare(
            "documents",
            documents
                .into_iter()
                .map(|d| (d.text_sha256.clone(), d))
                .collect(),
            &state.documents,
            &mut problems,
        );
        let replayed_approvals = state
            .approvals
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        compare(
            "approvals",
            approvals
                .into_iter()
                .map(|a| (a.log_index.to_string(), a))
                .collect(),
            &replayed_approvals,
            &mut problems,
        );
        compare(
            "certificates",
            certificates
                .into_iter()
                .map(|c| (c.fingerprint.clone(), c))
                .collect(),
            &state.certificates,
            &mut problems,
        );

        Ok(AuditReport {
            ok: problems.is_empty(),
            entries: size,
            checkpoints: checkpoints.len() as u64,
            documents: counts.0,
            approvals: counts.1,
            certificates: counts.2,
            problems,
        })
    }
}
