//! What the log's reads under load share, without changing an answer.
//!
//! - The latest checkpoint: one store read serves every request that was
//!   waiting when the read began. A request only takes an answer from a
//!   read that started after it arrived, so it is never told an older
//!   checkpoint than one committed (by any instance on the database)
//!   before it arrived: the same guarantee as a read of its own.
//! - Stored Merkle hashes: written once, in the transaction that commits
//!   them, and never changed (the log is append-only; the audit checks the
//!   table itself, never this map). Kept in a bounded map, the highest
//!   levels first; while the whole table fits, it is read in a page at a
//!   time once a few reads have missed, so that a small log's proofs then
//!   need no store read at all.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::watch;

use crate::store::{Store, StoreError, StoredCheckpoint};
use attestera_core::tlog::{self, Hash};

/// Most stored hashes kept (about 25 MB).
const MAX_HASHES: usize = 1 << 19;

/// Stored hashes read at once when a miss is near others (one query).
const PAGE: u64 = 4096;

/// A finished read of the latest checkpoint: its number and answer.
type Answered = Option<(u64, Option<StoredCheckpoint>)>;

/// The latest checkpoint, read once for all the requests waiting on it.
pub(super) struct LatestCheckpoint {
    /// Reads begun so far: a read numbered above what a request saw on
    /// arrival began after it arrived.
    started: AtomicU64,
    /// Whether a read is running; the requests that find one wait for it.
    running: AtomicBool,
    /// The last finished read; every change wakes all the waiting requests.
    last: watch::Sender<Answered>,
}

impl Default for LatestCheckpoint {
    fn default() -> Self {
        LatestCheckpoint {
            started: AtomicU64::new(0),
            running: AtomicBool::new(false),
            last: watch::Sender::new(None),
        }
    }
}

/// Ends a read, finished or not (an error or a dropped request), waking the
/// waiting requests so that one of them reads if no answer came.
struct Running<'a>(&'a LatestCheckpoint);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::SeqCst);
        self.0.last.send_modify(|_| {});
    }
}

impl LatestCheckpoint {
    /// The latest checkpoint as of a read that began after this call did.
    pub(super) async fn read(
        &self,
        store: &dyn Store,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let arrived = self.started.load(Ordering::SeqCst);
        let mut changes = self.last.subscribe();
        loop {
            if let Some((number, answer)) = &*changes.borrow_and_update()
                && *number > arrived
            {
                return Ok(answer.clone());
            }
            if !self.running.swap(true, Ordering::SeqCst) {
                let running = Running(self);
                let number = self.started.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
                let answer = store.latest_checkpoint().await?;
                self.last.send_replace(Some((number, answer.clone())));
                drop(running);
                return Ok(answer);
            }
            // The sender lives in `self`: `changed` cannot fail while we wait.
            let _ = changes.changed().await;
        }
    }
}

/// Stored hashes by stored index, with their levels.
#[derive(Default)]
pub(super) struct HashCache {
    kept: RwLock<Kept>,
    /// One request reads the table into the map at a time.
    fill: tokio::sync::Mutex<()>,
    /// Reads that missed the map so far.
    misses: AtomicU64,
}

/// Misses before a small log's table is read into the map whole: a
/// process that asks for a few proofs (`attestera verify`) reads just
/// those, a server soon has them all.
const FILL_AFTER: u64 = 16;

#[derive(Default)]
struct Kept {
    hashes: HashMap<u64, (u32, Hash)>,
    /// Hashes below this level are not kept: the levels above it fit.
    min_level: u32,
    /// While every level is kept: the stored hashes before this index are all here.
    prefix: u64,
}

impl HashCache {
    /// The stored hashes at `indexes`, in order, of a committed tree of
    /// `size`: from the map, the rest in one read of the store.
    pub(super) async fn read(
        &self,
        store: &dyn Store,
        size: u64,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, StoreError> {
        let mut found = self.lookup(indexes);
        let missing: Vec<u64> = indexes
            .iter()
            .zip(&found)
            .filter(|(_, h)| h.is_none())
            .map(|(i, _)| *i)
            .collect();
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        let read = self.read_missing(store, size, &missing).await?;
        for (slot, index) in found.iter_mut().zip(indexes) {
            if slot.is_none() {
                *slot = read.get(index).copied();
            }
        }
        found
            .into_iter()
            .zip(indexes)
            .map(|(h, i)| h.ok_or_else(|| missing_hash(*i)))
            .collect()
    }

    fn lookup(&self, indexes: &[u64]) -> Vec<Option<Hash>> {
        let kept = self.kept.read().unwrap_or_else(|e| e.into_inner());
        indexes
            .iter()
            .map(|i| kept.hashes.get(i).map(|(_, h)| *h))
            .collect()
    }

    /// Reads the missing hashes. When every level fits (and after
    /// [`FILL_AFTER`] misses), the table is first read up to `size` a page at a time, by one request while the
    /// others wait for it (the map then holds all of a small log); the
    /// rest by index, keeping the levels that fit.
    async fn read_missing(
        &self,
        store: &dyn Store,
        size: u64,
        missing: &[u64],
    ) -> Result<HashMap<u64, Hash>, StoreError> {
        let mut read = HashMap::with_capacity(missing.len());
        let misses = self.misses.fetch_add(1, Ordering::Relaxed);
        if min_level(size) == 0 && misses >= FILL_AFTER {
            let _fill = self.fill.lock().await;
            self.fill_prefix(store, size).await?;
            let now = self.lookup(missing);
            read.extend(missing.iter().zip(now).filter_map(|(i, h)| Some((*i, h?))));
        }
        let rest: Vec<u64> = missing
            .iter()
            .copied()
            .filter(|i| !read.contains_key(i))
            .collect();
        if !rest.is_empty() {
            let found: HashMap<u64, Hash> = rest
                .iter()
                .copied()
                .zip(store.read_hashes(&rest).await?)
                .collect();
            self.keep(size, &found);
            read.extend(found);
        }
        Ok(read)
    }

    /// Reads the table from what the map holds up to the stored hashes of
    /// `size` (all committed, so final), a page per query.
    async fn fill_prefix(&self, store: &dyn Store, size: u64) -> Result<(), StoreError> {
        let end = tlog::stored_hash_count(size);
        loop {
            let start = self.kept.read().unwrap_or_else(|e| e.into_inner()).prefix;
            if start >= end {
                return Ok(());
            }
            let stop = start.saturating_add(PAGE).min(end);
            let page: HashMap<u64, Hash> =
                store.hashes_range(start, stop).await?.into_iter().collect();
            let whole = (start..stop).all(|i| page.contains_key(&i));
            self.keep(size, &page);
            if !whole {
                // A gap is the table's fault: the reads by index name it.
                return Ok(());
            }
            let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
            if kept.min_level == 0 {
                kept.prefix = kept.prefix.max(stop);
            }
        }
    }

    fn keep(&self, size: u64, read: &HashMap<u64, Hash>) {
        let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
        let min = min_level(size);
        if min > kept.min_level {
            kept.hashes.retain(|_, (level, _)| *level >= min);
            kept.min_level = min;
            kept.prefix = 0;
        }
        let min = kept.min_level;
        for (&index, &hash) in read {
            if kept.hashes.len() >= MAX_HASHES {
                break;
            }
            let level = level_of(index);
            if level >= min {
                kept.hashes.insert(index, (level, hash));
            }
        }
    }
}

fn missing_hash(index: u64) -> StoreError {
    StoreError::Corrupt {
        table: "log_hashes",
        detail: format!("hash {index} saknas"),
    }
}

/// The lowest level kept for a tree of `size`: the levels from it up hold
/// at most half the map, leaving room for the log to double.
fn min_level(size: u64) -> u32 {
    let mut level = 0;
    while level < 63 && (size >> level).saturating_mul(2) > (MAX_HASHES / 2) as u64 {
        level += 1;
    }
    level
}

/// The level of the hash at stored index `index`: the record `r` whose
/// append stored it is the last with `stored_hash_count(r) <= index`, and
/// its hashes follow in level order from there.
fn level_of(index: u64) -> u32 {
    let (mut lo, mut hi) = (0u64, index);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if tlog::stored_hash_count(mid) <= index {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    u32::try_from(index - tlog::stored_hash_count(lo)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_of_inverts_stored_hash_index() {
        for n in 0..300u64 {
            for level in 0..6 {
                assert_eq!(level_of(tlog::stored_hash_index(level, n)), level);
            }
        }
    }

    #[test]
    fn min_level_keeps_the_kept_levels_within_half_the_map() {
        assert_eq!(min_level(1000), 0);
        let size = 10_000_000u64;
        let level = min_level(size);
        assert!((size >> level) * 2 <= (MAX_HASHES / 2) as u64);
        assert!((size >> (level - 1)) * 2 > (MAX_HASHES / 2) as u64);
    }
}
