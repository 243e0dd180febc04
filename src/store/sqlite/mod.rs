//! SQLite store: one database file in the data directory, WAL journal,
//! `synchronous=FULL` so a committed append survives power loss. Appends
//! take the write lock up front (`BEGIN IMMEDIATE`), so concurrent processes
//! serialize on it and each reads the log head it extends.

mod append;
mod columns;
mod document_files;
mod enrolments;
mod facts;
mod head;
pub mod health;
mod log;
mod projection;
mod rows;
mod sessions;
mod tokens;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use append::SqliteAppend;

use super::{AppendTx, Health, Store, StoreError};

/// A handle to the database; cheap to clone. Reads share a pool; every
/// write goes through a one-connection writer pool, whose connection is
/// closed (never reused) after a failed write, so that no failure leaves a
/// connection mid-transaction or opened read-only behind it.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
    path: Arc<PathBuf>,
}

impl SqliteStore {
    /// Opens (and with `create`, creates) the database at `path`, runs
    /// migrations and computes a head root the migration left pending
    /// ([`head::fill_pending`]). A database that cannot be written (full
    /// disk, write protection) is named as such, in Swedish.
    pub async fn open(path: &Path, create: bool) -> Result<SqliteStore, StoreError> {
        match SqliteStore::open_pools(path, create).await {
            Err(e @ (StoreError::Database(_) | StoreError::Migrate(_))) if path.exists() => {
                let probed = health::probe(path);
                Err(match probed {
                    Err(io) => StoreError::NotWritable(health::io_reason(&io)),
                    Ok(()) => e,
                })
            }
            other => other,
        }
    }

    async fn open_pools(path: &Path, create: bool) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        // The one writer inserts into indexes keyed by hashes (leaf hashes,
        // document ids, approvers), at random places: a page cache of 64 MiB
        // instead of SQLite's 2 MiB keeps those pages in memory as the log
        // grows past a million entries, instead of reading them back per insert.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        head::fill_pending(&mut *writer.acquire().await?).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            writer,
            path: Arc::new(path.to_path_buf()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begins an append: takes SQLite's write lock for the whole batch.
    pub async fn begin(&self) -> Result<SqliteAppend, StoreError> {
        SqliteAppend::begin(self.writer.acquire().await?).await
    }

    /// Runs one write in its own transaction on the writer connection,
    /// closing the connection if it fails. The explicit COMMIT matters: in
    /// autocommit, `INSERT … RETURNING` hands back its row before SQLite
    /// commits, and a commit that then fails (a full disk) is never reported.
    async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
    {
        let mut conn = self.writer.acquire().await?;
        let written = async {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
            let v = write(&mut conn).await?;
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok::<T, sqlx::Error>(v)
        };
        match written.await {
            Ok(v) => Ok(v),
            Err(e) => {
                conn.close_on_drop();
                let e = StoreError::Database(e);
                match self.probe().await {
                    Err(io) => Err(StoreError::NotWritable(health::io_reason(&io))),
                    Ok(()) => Err(e),
                }
            }
        }
    }

    async fn probe(&self) -> std::io::Result<()> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || health::probe(&path))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin_append(&self) -> Result<Box<dyn AppendTx>, StoreError> {
        Ok(Box::new(self.begin().await?))
    }
}

#[async_trait]
impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The files open for writing and a probe of free space succeeds.
    async fn check_writable(&self) -> Result<(), StoreError> {
        self.probe()
            .await
            .map_err(|e| StoreError::NotWritable(health::io_reason(&e)))
    }

    /// See [`health`]: the filesystem's reason, else SQLite's.
    async fn write_failure_reason(&self, e: &StoreError) -> String {
        health::write_failure_reason(self.probe().await, e)
    }

    /// Closes all connections (checkpointing the WAL).
    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}
