//! The log head row (`log_head`, migration 0004): the log's size and root,
//! written by every append in its transaction and checked by the audit.
//!
//! SQL cannot compute a Merkle root, so migration 0004 writes the head of
//! an existing log with its size and no root, and [`fill_pending`] computes
//! the root from the stored hashes when the store is opened, once, inside
//! `BEGIN IMMEDIATE`. A head row that is missing is never made up here: the
//! sequencer refuses to append on it and the audit names it.

use sqlx::{Row, SqliteConnection};

use super::columns::{corrupt, hash_of, to_i64, u64_of};
use super::log::read_hashes_on;
use crate::store::{LogHead, StoreError};
use attestera_core::tlog;

const T: &str = "log_head";

/// The head as this connection sees it; a missing or unreadable head is corrupt.
pub(super) async fn read_on(conn: &mut SqliteConnection) -> Result<LogHead, StoreError> {
    let row = sqlx::query("SELECT size, root FROM log_head WHERE id = 1")
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| corrupt(T, "loggens huvudrad saknas"))?;
    let root: Option<Vec<u8>> = row.try_get("root")?;
    let root = root.ok_or_else(|| corrupt(T, "loggens rot är inte beräknad"))?;
    Ok(LogHead {
        size: u64_of(&row, T, "size")?,
        root: hash_of(&root, T)?,
    })
}

/// Moves the head from `old` to `new`; corrupt unless the row held `old`.
pub(super) async fn write_on(
    conn: &mut SqliteConnection,
    old: &LogHead,
    new: &LogHead,
) -> Result<(), StoreError> {
    let r = sqlx::query(
        "UPDATE log_head SET size = ?, root = ? WHERE id = 1 AND size = ? AND root = ?",
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
/// the stored hashes of its size. Stored hashes that cannot give a root
/// leave it pending (the sequencer refuses, the audit reports); only a
/// database error fails the open.
pub(super) async fn fill_pending(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let filled = fill_in_tx(conn).await;
    let end = if filled.is_ok() { "COMMIT" } else { "ROLLBACK" };
    sqlx::query(end).execute(&mut *conn).await?;
    filled
}

async fn fill_in_tx(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1 AND root IS NULL")
            .fetch_optional(&mut *conn)
            .await?;
    let Some(size) = pending.and_then(|s| u64::try_from(s).ok()) else {
        return Ok(());
    };
    let Ok(indexes) = tlog::tree_hash_indexes(size) else {
        return Ok(());
    };
    let root = match read_hashes_on(conn, &indexes).await {
        Ok(hashes) => tlog::tree_hash_from(size, &hashes).ok(),
        Err(StoreError::Corrupt { .. }) => None,
        Err(e) => return Err(e),
    };
    if let Some(root) = root {
        sqlx::query("UPDATE log_head SET root = ? WHERE id = 1 AND root IS NULL")
            .bind(root.as_ref())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
