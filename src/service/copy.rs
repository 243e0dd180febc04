//! Moving a log to another database (`attestera db copy --to URL`): the
//! entries byte for byte, each checkpoint's note verbatim, and what lives
//! beside the log (sign-in codes, certificate requests, kept files). The
//! copy goes through the target's own append transactions, one per source
//! checkpoint: every entry is checked by the rule book again and builds the
//! projections, and a checkpoint is written only when the copied tree's
//! root is the one it signed. The log is copied in one transaction; what
//! lives beside it after, so a copy that fails there leaves a target with
//! the log and part of the rest: empty the target (DROP and CREATE
//! DATABASE) and copy again; the source is never changed until the copy
//! has succeeded. Sessions are not copied: people sign in again.

use serde::Serialize;

use super::{Service, ServiceError, access, datadir::DataDir};
use crate::store::{LogHead, Store, StoreError};
use attestera_core::entry::Entry;
use attestera_core::rules;
use attestera_core::tlog::{self, Checkpoint};

/// Entries read from the source at a time.
const PAGE: u64 = 1000;

/// What a copy carried over.
#[derive(Debug, Clone, Serialize)]
pub struct Copied {
    pub entries: u64,
    pub checkpoints: u64,
    pub tokens: u64,
    pub enrolments: u64,
    pub files: u64,
}

impl Service {
    /// Copies this log into the empty database of `target`, then records
    /// in the configuration that the log is there.
    pub async fn copy_to(&self, target: &DataDir) -> Result<Copied, ServiceError> {
        let to = target.open_store(None, true).await?;
        let copied = self.copy_into(to.as_ref()).await;
        to.close().await;
        let copied = copied?;
        let mut config = self.config.clone();
        config.backend = super::Backend::Postgres;
        self.dir.write_config(&config)?;
        Ok(copied)
    }

    async fn copy_into(&self, to: &dyn Store) -> Result<Copied, ServiceError> {
        if to.head().await?.size != 0 || !to.tokens().await?.is_empty() {
            return Err(super::ConfigError::DatabaseNotEmpty.into());
        }
        let mut copied = Copied {
            entries: 0,
            checkpoints: 0,
            tokens: 0,
            enrolments: 0,
            files: 0,
        };
        // The whole log in one transaction of the target: a copy that fails
        // leaves the target's log empty.
        let mut tx = to.begin_append().await?;
        let mut head = LogHead {
            size: 0,
            root: tlog::empty_tree_hash(),
        };
        for (size, note) in self.store.checkpoints().await? {
            head = self.copy_checkpoint(tx.as_mut(), head, size, &note).await?;
            copied.checkpoints += 1;
        }
        tx.commit().await?;
        copied.entries = head.size;
        let tokens = self.copy_tokens(to).await?;
        copied.tokens = tokens.len() as u64;
        copied.enrolments = self.copy_enrolments(to, &tokens).await?;
        for key in self.store.document_file_keys().await? {
            let (Ok(id), Some(bytes)) = (
                attestera_core::Hash::from_hex(&key),
                self.store.document_file_by_key(&key).await?,
            ) else {
                continue;
            };
            to.insert_document_file(&id, &bytes).await?;
            copied.files += 1;
        }
        Ok(copied)
    }

    /// Entries `head.size..size` and the checkpoint of `size`.
    async fn copy_checkpoint(
        &self,
        tx: &mut dyn crate::store::AppendTx,
        head: LogHead,
        size: u64,
        note: &str,
    ) -> Result<LogHead, ServiceError> {
        let signed = Checkpoint::parse(self.verifier().open(note)?).map_err(|e| {
            corrupt(format!(
                "kontrollpunkten för {size} poster kan inte läsas: {e}"
            ))
        })?;
        let mut next = head.size;
        while next < size {
            let end = next.saturating_add(PAGE).min(size);
            for (index, data, _) in self.store.entries(next, end).await? {
                if index != next {
                    return Err(corrupt(format!("loggpost {next} saknas i källan")));
                }
                let entry = Entry::decode(&data)?;
                let facts = tx.facts(&rules::fact_keys(&entry.body)).await?;
                let change = rules::check(index, &entry, self.ca_der(), &facts)?;
                let leaf = tlog::record_hash(&data);
                let siblings = tx.read_hashes(&tlog::append_indexes(index)).await?;
                let hashes = tlog::append_hashes(index, leaf, &siblings)?;
                tx.insert_entry(
                    index,
                    &data,
                    &leaf,
                    tlog::stored_hash_index(0, index),
                    &hashes,
                )
                .await?;
                tx.apply(&change).await?;
                next += 1;
            }
            if next < end {
                return Err(corrupt(format!("loggpost {next} saknas i källan")));
            }
        }
        let root = tlog::tree_hash_from(
            size,
            &tx.read_hashes(&tlog::tree_hash_indexes(size)?).await?,
        )?;
        if root != signed.root || size != signed.size {
            return Err(corrupt(format!(
                "kontrollpunkten för {size} poster stämmer inte med de kopierade posterna"
            )));
        }
        let new = LogHead { size, root };
        if new != head {
            tx.set_head(&head, &new).await?;
        }
        tx.insert_checkpoint(size, note).await?;
        Ok(new)
    }

    /// The sign-in codes, each with its check recomputed for the id the
    /// target gives it; returns (source id, target id).
    async fn copy_tokens(&self, to: &dyn Store) -> Result<Vec<(i64, i64)>, ServiceError> {
        let mut ids = Vec::new();
        let key = &self.token_key;
        // A row that fails its check (written behind the service's back) is
        // not given a fresh one on the target.
        let intact = self.store.tokens().await?.into_iter();
        for t in intact.filter(|t| access::token_row_intact(key, t)) {
            let mac = |id: i64| {
                access::token_mac(
                    key,
                    id,
                    &t.name,
                    &t.role,
                    &t.token_hash,
                    &t.created_at,
                    None,
                )
            };
            let id = to
                .insert_token(&t.name, &t.role, &t.token_hash, &t.created_at, &mac)
                .await?;
            if let Some(revoked_at) = &t.revoked_at {
                let mac = access::token_mac(
                    key,
                    id,
                    &t.name,
                    &t.role,
                    &t.token_hash,
                    &t.created_at,
                    Some(revoked_at),
                );
                to.revoke_token(id, revoked_at, &mac).await?;
            }
            ids.push((t.id, id));
        }
        Ok(ids)
    }

    /// The certificate requests of intact rows, under the target's token ids.
    async fn copy_enrolments(
        &self,
        to: &dyn Store,
        tokens: &[(i64, i64)],
    ) -> Result<u64, ServiceError> {
        let mut copied = 0;
        for row in self.store.enrolments().await? {
            let Some(&(_, token_id)) = tokens.iter().find(|(from, _)| *from == row.token_id) else {
                continue;
            };
            if !self.enrolment_row_intact(&row) {
                continue;
            }
            let refused = row.refused.clone();
            let mut moved = row;
            moved.token_id = token_id;
            moved.refused = None;
            moved.mac = self.enrolment_mac(&moved);
            to.insert_enrolment(&moved, usize::MAX, &[]).await?;
            if let Some(refusal) = refused {
                moved.refused = Some(refusal.clone());
                let mac = self.enrolment_mac(&moved);
                to.refuse_enrolment(&moved.id, &refusal, &mac, i64::MAX)
                    .await?;
            }
            copied += 1;
        }
        Ok(copied)
    }
}

fn corrupt(detail: String) -> ServiceError {
    StoreError::Corrupt {
        table: "log_entries",
        detail,
    }
    .into()
}
