//! PostgreSQL store: one database that several `attestera serve` instances
//! share. Appends serialize on a lock of the single log-head row
//! (`SELECT … FROM log_head WHERE id = 1 FOR UPDATE`, taken when the append
//! transaction begins), not on serializable isolation: each instance's
//! batch waits for the one before it, then reads the head that batch left.
//! Every connection runs with `synchronous_commit = on`, so an append is
//! acknowledged only after its COMMIT has returned, durably.
//!
//! A lost connection is retried once for reads ([`PostgresStore::read`]);
//! for writes and appends it is reported, never retried: the transaction
//! rolls back on the server when its connection goes, so nothing is ever
//! half-applied.

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

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub use append::PostgresAppend;

use super::{AppendTx, Health, Store, StoreError};

/// The pool's size and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections of this instance's pool (reads, writes and appends).
    pub max_connections: u32,
    /// How long a caller waits for a free connection.
    pub acquire_timeout: Duration,
    /// The server's `statement_timeout` for every statement, lock waits included.
    pub statement_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> PgOptions {
        PgOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`), runs the migrations (a database
    /// with a migration this binary does not know is refused, as SQLite's
    /// is: `MigrateError::VersionMissing`) and computes a head root the
    /// migration left pending ([`head::fill_pending`]).
    pub async fn open(url: &str, options: &PgOptions) -> Result<PostgresStore, StoreError> {
        let connect: PgConnectOptions = url.parse()?;
        let timeout_ms = options.statement_timeout.as_millis().max(1);
        let connect = connect.application_name("attestera").options([
            ("synchronous_commit", "on".to_string()),
            ("statement_timeout", format!("{timeout_ms}ms")),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        // sqlx's PostgreSQL migrator holds an advisory lock while it runs,
        // so instances that start together migrate one at a time.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        head::fill_pending(&pool).await?;
        Ok(PostgresStore { pool })
    }

    /// Begins an append: a transaction that holds the log-head row's lock.
    pub async fn begin(&self) -> Result<PostgresAppend, StoreError> {
        PostgresAppend::begin(self.pool.acquire().await?).await
    }

    /// Runs a read, once more if the connection was lost (a read has no
    /// effect to repeat; the pool replaces the broken connection).
    async fn read<T, F, Fut>(&self, read: F) -> Result<T, StoreError>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        match read(self.pool.clone()).await {
            Err(e) if health::is_connection_lost(&e) => {
                tracing::warn!(error = %e, "förbindelsen med databasen bröts; läsningen görs om");
                read(self.pool.clone()).await
            }
            other => other,
        }
    }

    /// Runs one write in its own transaction. Never retried: a failure is
    /// reported, and the transaction rolls back (on the server, when a lost
    /// connection goes; a connection that failed is not reused).
    async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    {
        let mut conn = self.pool.acquire().await?;
        let written = async {
            sqlx::query("BEGIN").execute(&mut *conn).await?;
            let v = write(&mut conn).await?;
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok::<T, sqlx::Error>(v)
        };
        match written.await {
            Ok(v) => Ok(v),
            Err(e) => {
                conn.close_on_drop();
                Err(StoreError::Database(e))
            }
        }
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn begin_append(&self) -> Result<Box<dyn AppendTx>, StoreError> {
        Ok(Box::new(self.begin().await?))
    }
}

#[async_trait]
impl Health for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|pool| async move {
            sqlx::query("SELECT 1").execute(&pool).await?;
            Ok(())
        })
        .await
    }

    /// See [`health::check_writable`].
    async fn check_writable(&self) -> Result<(), StoreError> {
        health::check_writable(&self.pool).await
    }

    /// See [`health::write_failure_reason`].
    async fn write_failure_reason(&self, e: &StoreError) -> String {
        health::write_failure_reason(e)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
