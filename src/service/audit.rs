//! The audit: replay the whole log from entry 0 and check everything the
//! service ever claimed — entry encodings and leaf hashes, every rule
//! (signatures, certificates, revocation at the entry's time), stored
//! Merkle hashes, every checkpoint's signature and root, consistency between
//! consecutive checkpoints, and every projection row.

use serde::Serialize;

use super::{Service, ServiceError};
use attestera_core::entry::Entry;
use attestera_core::rules::{self, Projection};
use attestera_core::tlog::{self, Checkpoint, MemoryHashes};

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
fn compare<K: Ord + Clone + std::fmt::Display, T: PartialEq + std::fmt::Debug>(
    table: &'static str,
    stored: Vec<(K, T)>,
    replayed: &std::collections::BTreeMap<K, T>,
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
                key: Some(key.to_string()),
                ..problem(code, message)
            });
        }
        seen.insert(key);
    }
    for key in replayed.keys().filter(|k| !seen.contains(*k)) {
        problems.push(AuditProblem {
            table: Some(table),
            key: Some(key.to_string()),
            ..problem(
                "projection_row_missing",
                format!("{table}: raden {key} saknas men följer av loggen"),
            )
        });
    }
}

/// The rows of a projection table, or none and a problem when a stored
/// value cannot be read at all.
fn readable<T>(
    table: &'static str,
    rows: Result<Vec<T>, crate::store::StoreError>,
    problems: &mut Vec<AuditProblem>,
) -> Result<Vec<T>, ServiceError> {
    match rows {
        Ok(rows) => Ok(rows),
        Err(crate::store::StoreError::Corrupt { detail, .. }) => {
            problems.push(AuditProblem {
                table: Some(table),
                ..problem(
                    "projection_row_unreadable",
                    format!("{table}: en rad har ett värde som inte kan läsas ({detail})"),
                )
            });
            Ok(Vec::new())
        }
        Err(e) => Err(e.into()),
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
        // The log is as long as its rows say, or as its largest signed
        // checkpoint says if that is longer: a deleted last entry is missing,
        // not merely absent.
        let checkpoints = self.store.checkpoints().await?;
        let signed_size = checkpoints
            .iter()
            .filter_map(|(_, note)| {
                Checkpoint::open_signed(self.verifier(), &self.config.origin, note)
            })
            .map(|c| c.size)
            .max()
            .unwrap_or(0);
        let size = self.store.log_size().await?.max(signed_size);
        let mut tree = MemoryHashes::new();
        let mut state = Projection::default();
        let mut last_time = None;
        let now = super::now();
        // Sizes at which a batch visibly ended: every entry of a batch
        // carries the batch's time, and every batch signs a checkpoint.
        let mut batch_ends = Vec::new();
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
                if leaf.as_slice() != tlog::record_hash(&data).as_ref() {
                    problems.push(at(
                        "leaf_hash_mismatch",
                        format!("loggpost {index}: lagrad lövhash stämmer inte med postens byte"),
                    ));
                }
                let entry = match Entry::decode(&data) {
                    Ok(e) => e,
                    Err(e) => {
                        problems.push(at(
                            e.code(),
                            format!("loggpost {index}: {}", crate::messages::say(&e)),
                        ));
                        continue;
                    }
                };
                if let Err(e) =
                    attestera_core::logtime::step(index, entry.logged_at, last_time, now)
                {
                    problems.push(at(e.code(), crate::messages::say(&e)));
                }
                if last_time.is_some_and(|t| entry.logged_at > t) {
                    batch_ends.push(index);
                }
                last_time = Some(entry.logged_at);
                let facts = state.facts(&rules::fact_keys(&entry.body));
                match rules::check(index, &entry, self.ca_der(), &facts) {
                    Ok(change) => state.apply(change),
                    Err(r) => problems.push(at(
                        r.code(),
                        format!(
                            "loggpost {index} ({}): {}",
                            entry.body.kind(),
                            crate::messages::say(&r)
                        ),
                    )),
                }
            }
            mark_missing(expected..end, &mut tree, &mut problems);
            start = end;
        }

        // Stored hashes, from which every proof is built.
        // Each must sit at its own index: proofs read hashes by index.
        let stored = self.store.read_all_hashes().await?;
        let differs = |(i, ((idx, a), b)): (usize, (&(u64, tlog::Hash), &tlog::Hash))| {
            *idx != i as u64 || a != b
        };
        if stored.len() != tree.0.len() || stored.iter().zip(&tree.0).enumerate().any(differs) {
            let first = stored
                .iter()
                .zip(&tree.0)
                .enumerate()
                .position(differs)
                .unwrap_or(stored.len().min(tree.0.len()));
            problems.push(AuditProblem {
                table: Some("log_hashes"),
                key: Some(first.to_string()),
                ..problem("stored_hash_mismatch", format!(
                    "lagrade merklehashar stämmer inte med loggposterna (första skillnad vid hash {first})"
                ))
            });
        }

        // Checkpoints: signature, origin, root, and consistency with the previous one.
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
        let stored_sizes: std::collections::BTreeSet<u64> =
            checkpoints.iter().map(|(s, _)| *s).collect();
        for end in batch_ends.into_iter().filter(|s| !stored_sizes.contains(s)) {
            problems.push(AuditProblem {
                checkpoint: Some(end),
                ..problem(
                    "checkpoint_missing",
                    format!(
                        "kontrollpunkten för storlek {end} saknas: loggposterna {} och {end} skrevs i olika omgångar, och varje omgång signerar en kontrollpunkt",
                        end - 1
                    ),
                )
            });
        }
        if previous.as_ref().map(|c| c.size) != Some(size) {
            problems.push(AuditProblem {
                checkpoint: Some(size),
                ..problem(
                    "checkpoint_behind",
                    format!("ingen giltig kontrollpunkt täcker hela loggen ({size} poster)"),
                )
            });
        }

        // Projections against the replay.
        // A row the store cannot even read is a problem of its table, not a
        // reason to stop the audit.
        let documents = readable("documents", self.store.documents().await, &mut problems)?;
        let approvals = readable("approvals", self.store.approvals().await, &mut problems)?;
        let certificates = readable(
            "certificates",
            self.store.certificates().await,
            &mut problems,
        )?;
        let counts = (documents.len(), approvals.len(), certificates.len());
        compare(
            "documents",
            documents.into_iter().map(|d| (d.text_sha256, d)).collect(),
            &state.documents,
            &mut problems,
        );
        let replayed_approvals = state
            .approvals
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        compare(
            "approvals",
            approvals.into_iter().map(|a| (a.log_index, a)).collect(),
            &replayed_approvals,
            &mut problems,
        );
        compare(
            "certificates",
            certificates
                .into_iter()
                .map(|c| (c.fingerprint, c))
                .collect(),
            &state.certificates,
            &mut problems,
        );

        // Token rows are not in the log: each carries its own check.
        for row in self.store.tokens().await? {
            if !super::access::token_row_intact(&self.token_key, &row) {
                problems.push(AuditProblem {
                    table: Some("tokens"),
                    key: Some(row.id.to_string()),
                    ..problem(
                        "token_row_forged",
                        format!(
                            "tokens: raden {} har ändrats utanför attestera (kontrollsumman stämmer inte)",
                            row.id
                        ),
                    )
                });
            }
        }

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
