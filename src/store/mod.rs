//! Storage adapter: the log tables and their projections in a database.
//!
//! This is the one seam between the service and a database. Today it is
//! SQLite ([`sqlite`]); PostgreSQL gets its own implementation of the same
//! methods, since the two serialize appends differently (SQLite's single
//! writer against a lock on the log head row).

pub mod health;
pub mod sqlite;

pub use sqlite::{AppendTx, Store, TokenRow};

/// Errors of the store. Display is English developer text for logs; people
/// read the sentence of [`crate::messages`], and an API caller never sees
/// the database's own text (`http::problem`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid value in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("database not writable: {0}")]
    NotWritable(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Database(_) | StoreError::Migrate(_) => "storage_error",
            StoreError::Corrupt { .. } => "storage_corrupt",
            StoreError::NotWritable(_) => "storage_not_writable",
        }
    }
}
