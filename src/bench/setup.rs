//! The run's fresh data directory (in a temporary directory) and, on
//! PostgreSQL, its fresh database, made at the start and dropped at the end.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Connection;
use tempfile::TempDir;

use super::{BenchError, Options};
use crate::service::DataDir;
use crate::service::certify::KeyProtection;
use crate::service::datadir::ExistingKeys;

/// The origin of every bench log: the import worker writes into no other.
pub const ORIGIN: &str = "bench.attestera.local/log";

/// The run's data directory, its database and this binary.
pub struct Setup {
    pub tmp: TempDir,
    pub exe: PathBuf,
    /// (server URL given, the run's own database's URL, its name).
    postgres: Option<(String, String, String)>,
}

impl Setup {
    /// A temporary directory with an initialised data directory in it
    /// (service keys unencrypted: nobody types a passphrase).
    pub async fn create(options: &Options) -> Result<Setup, BenchError> {
        let tmp = tempfile::Builder::new()
            .prefix("attestera-bench-")
            .tempdir()
            .map_err(|e| BenchError::Io("skapa en tillfällig katalog", e))?;
        let postgres = match options
            .database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => Some(fresh_database(url).await?),
            None => None,
        };
        let setup = Setup {
            tmp,
            exe: options.exe.clone(),
            postgres,
        };
        if let Err(e) = setup.init().await {
            setup.remove().await;
            return Err(e);
        }
        Ok(setup)
    }

    async fn init(&self) -> Result<(), BenchError> {
        let keys = ExistingKeys::default();
        self.dir()
            .init(
                Some("Attestera bench"),
                Some(ORIGIN),
                &keys,
                KeyProtection::Unencrypted,
            )
            .await?;
        Ok(())
    }

    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    /// A scratch directory of its own under the run's temporary directory.
    pub fn scratch(&self, name: &str) -> Result<PathBuf, BenchError> {
        let p = self.tmp.path().join(name);
        std::fs::create_dir_all(&p).map_err(|e| BenchError::Io("skapa en katalog", e))?;
        Ok(p)
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The data directory, with the run's PostgreSQL database when there is one.
    pub fn dir(&self) -> DataDir {
        let dir = DataDir::new(self.data_dir());
        match &self.postgres {
            Some((_, url, _)) => dir.with_postgres(url, Default::default()),
            None => dir,
        }
    }

    /// `attestera` on the run's data directory (a child process).
    pub fn command(&self) -> Command {
        let mut c = super::server::attestera(&self.exe);
        c.arg("--data-dir").arg(self.data_dir());
        if let Some((_, url, _)) = &self.postgres {
            c.env("DATABASE_URL", url);
        }
        c.current_dir(self.tmp.path());
        c
    }

    /// Drops the run's database (the directory goes with `self`).
    pub async fn remove(self) {
        if let Some((server, _, name)) = &self.postgres
            && let Err(e) = admin(
                server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await
        {
            eprintln!("attestera bench: databasen {name} kunde inte tas bort: {e}");
        }
    }
}

/// A new, empty database on the server of `url`: (url, its URL, its name).
async fn fresh_database(url: &str) -> Result<(String, String, String), BenchError> {
    let mut random = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random)
        .map_err(|_| BenchError::Randomness)?;
    let name = format!("attestera_bench_{}", hex::encode(random));
    let mut own = reqwest::Url::parse(url)
        .map_err(|e| BenchError::Postgres(format!("--database-url kan inte läsas: {e}")))?;
    own.set_path(&format!("/{name}"));
    admin(url, &format!("CREATE DATABASE {name}")).await?;
    Ok((url.to_string(), own.to_string(), name))
}

/// Runs one statement on the database at `url`.
async fn admin(url: &str, statement: &str) -> Result<(), BenchError> {
    let failed = |e: sqlx::Error| BenchError::Postgres(e.to_string());
    let mut conn = sqlx::PgConnection::connect(url).await.map_err(failed)?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut conn)
        .await
        .map_err(failed)?;
    conn.close().await.map_err(failed)?;
    Ok(())
}
