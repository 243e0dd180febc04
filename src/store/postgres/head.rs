//! The log head row (`log_head`, migration 0004): the log's size and root,
//! locked by every append (`FOR UPDATE`) for its whole transaction, written
//! by it, and checked by the audit.
//!
//! SQL cannot compute a Merkle root, so migration 0004 writes the head with
//! its size and no root, and [`fill_pending`] computes the root from the
//! stored hashes when the store is opened, under the same row lock. A head
//! row that is missing is never made up here: the sequencer refuses to
//! append on it and the audit names it.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use super::columns::{corrupt, hash_of, to_i64, u64_of};
use super::log::read_hashes_on;
use crate::store::{LogHead, StoreError};
use attestera_core::tlog;

const T: &str = "log_head";

fn head_of(row: Option<PgRow>) -> Result<LogHead, StoreError> {
    let row = row.ok_or_else(|| corrupt(T, "loggens huvudrad saknas"))?;
    let root: Option<Vec<u8>> = row.try_get("root")?;
    let root = root.ok_or_else(|| corrupt(T, "loggens rot är inte beräknad"))?;
    Ok(LogHead {
        size: u64_of(&row, T, "size")?,
        root: hash_of(&root, T)?,
    })
}

/// The head as committed; a missing or unreadable head is corrupt.
pub(super) async fn read_on(conn: &mut PgConnection) -> Result<LogHead, StoreError> {
    let row = sqlx::query("SELECT size, root FROM log_head WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    head_of(row)
}

/// Takes the head row's lock for this transaction, waiting for any append
/// that holds it (up to `statement_timeout`). A missing row takes no lock;
/// the head read after it reports it.
pub(super) async fn lock_on(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT id FROM log_head WHERE id = 1 FOR UPDATE")
        .fetch_optional(conn)
        .await?;
    Ok(())
}

/// The head under this transaction's lock (`FOR UPDATE` again, which the
/// holder gets at once): what the last committed append left.
pub(super) async fn read_locked_on(conn: &mut PgConnection) -> Result<LogHead, StoreError> {
    let row = sqlx::query("SELECT size, root FROM log_head WHERE id = 1 FOR UPDATE")
        .fetch_optional(conn)
        .await?;
    head_of(row)
}

/// Moves the head from `old` to `new`; corrupt unless the row held `old`.
pub(super) async fn write_on(
    conn: &mut PgConnection,
    old: &LogHead,
    new: &LogHead,
) -> Result<(), StoreError> {
    let r = sqlx::query(
        "UPDATE log_head SET size = $1, root = $2 WHERE id = 1 AND size = $3 AND root = $4",
    )
    .bind(to_i64(new.size))
    .bind(new.root.as_ref())
    .bind(to_i64(old.size))
    .bind(old.root.as_ref())
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(corrupt(T, "loggens huvud ändrades under skrivningen"))
    }
}

/// Computes the root of a head whose root the migration left pending, from
/// the stored hashes of its size, in a transaction holding the head row's
/// lock (instances opening together compute it once). Stored hashes that
/// cannot give a root leave it pending (the sequencer refuses, the audit
/// reports); only a database error fails the open.
pub(super) async fn fill_pending(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1 AND root IS NULL FOR UPDATE")
            .fetch_optional(&mut *tx)
            .await?;
    let Some(size) = pending.and_then(|s| u64::try_from(s).ok()) else {
        return Ok(());
    };
    let Ok(indexes) = tlog::tree_hash_indexes(size) else {
        return Ok(());
    };
    let root = match read_hashes_on(&mut tx, &indexes).await {
        Ok(hashes) => tlog::tree_hash_from(size, &hashes).ok(),
        Err(StoreError::Corrupt { .. }) => None,
        Err(e) => return Err(e),
    };
    if let Some(root) = root {
        sqlx::query("UPDATE log_head SET root = $1 WHERE id = 1 AND root IS NULL")
            .bind(root.as_ref())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
