//! A temporary data directory and helpers to run the binary against it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub const SEED: &str = include_str!("../data/seed.txt");
pub const ORG: &str = "Skarpnäcks stadsdelsförvaltning";
/// The passphrase of the tests' key files: approvers' (`ATTESTERA_PASSPHRASE_FILE`)
/// and the service's own (`ATTESTERA_SERVICE_PASSPHRASE_FILE`, the same file).
pub const PASSPHRASE: &str = "rätt häst batteri häftklammer";

/// How [`Env::new`] and [`Env::with_new_keys`] keep the service's keys:
/// unencrypted, because opening encrypted ones costs every command two
/// scrypt derivations. Measured in the test build: a command took 63 ms
/// instead of 5 ms, and the modules `flow`, `refusals`, `tamper` and
/// `registry` (46 tests) took 32 s of CPU instead of 13 s. Every other
/// `init` in the tests takes the default path, encrypting under
/// [`PASSPHRASE`] (`Env::command` gives the service's passphrase file), and
/// `service_keys` tests the encrypted keys themselves.
pub const UNENCRYPTED: &str = "--unencrypted-service-keys";

pub struct Env {
    pub tmp: TempDir,
    /// The test's own PostgreSQL database, when the suite runs on PostgreSQL.
    pub postgres: Option<Postgres>,
}

/// Whether the suite runs on PostgreSQL (`ATTESTERA_TEST_BACKEND=postgres`,
/// as `.ci/run`'s second pass does) instead of the embedded SQLite file.
pub fn on_postgres() -> bool {
    std::env::var("ATTESTERA_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// For a test that runs on the SQLite backend only: true (skip) on the
/// PostgreSQL pass, saying why on stderr. `why` is the test's reason.
pub fn sqlite_only(why: &str) -> bool {
    if on_postgres() {
        eprintln!("SQLite only: {why}");
    }
    on_postgres()
}

/// The server the suite's PostgreSQL databases are made on.
pub const POSTGRES_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database for one test, dropped with it.
pub struct Postgres {
    pub name: String,
    pub url: String,
}

impl Postgres {
    pub fn create() -> Postgres {
        let mut random = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).unwrap();
        let name = format!("attestera_t_{}", hex::encode(random));
        admin_sql(&format!("CREATE DATABASE {name}"));
        Postgres {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        admin_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// Runs one statement on the PostgreSQL server's `postgres` database.
fn admin_sql(statement: &str) {
    run_postgres(POSTGRES_ADMIN, statement);
}

/// The few SQLite spellings the tests' tampering uses, in PostgreSQL's:
/// blob literals, zeroblob, char(), CAST to and from BLOB, strftime('%s').
pub fn postgres_dialect(sqlite: &str) -> String {
    let mut out = String::new();
    let mut rest = sqlite;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("X'") {
            let end = tail.find('\'').expect("a closed blob literal");
            out.push_str(&format!("'\\x{}'::bytea", &tail[..end]));
            rest = &tail[end + 1..];
        } else if let Some(tail) = rest.strip_prefix("CAST(") {
            let (inner, after) = split_parenthesis(tail);
            let inner = postgres_dialect(inner);
            if let Some(x) = inner.strip_suffix(" AS BLOB") {
                out.push_str(&format!("convert_to({x}, 'UTF8')"));
            } else if let Some(x) = inner.strip_suffix(" AS TEXT") {
                out.push_str(&format!("convert_from({x}, 'UTF8')"));
            } else {
                out.push_str(&format!("CAST({inner})"));
            }
            rest = after;
        } else if let Some(tail) = rest.strip_prefix("zeroblob(") {
            let (n, after) = split_parenthesis(tail);
            out.push_str(&format!("decode(repeat('00', {n}), 'hex')"));
            rest = after;
        } else if let Some(tail) = rest.strip_prefix("char(") {
            let (n, after) = split_parenthesis(tail);
            out.push_str(&format!("chr({n})"));
            rest = after;
        } else if let Some(tail) = rest.strip_prefix("strftime('%s','now')") {
            out.push_str("extract(epoch from now())::bigint");
            rest = tail;
        } else {
            let c = rest.chars().next().expect("a character");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `inner) rest` split at the parenthesis that closes the one just opened.
fn split_parenthesis(text: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return (&text[..i], &text[i + 1..]),
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text}")
}

fn run_postgres(url: &str, statement: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL does not answer on 127.0.0.1:5432 ({e}); start it with \
                 pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
            )
        });
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        conn.close().await.expect("close");
    });
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
    /// The stable error code of a failed `--json` command.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// The result of a finished `attestera` process.
pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A multi-threaded tokio runtime for tests that drive the library or a server.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

impl Env {
    /// A fresh data directory on the committed test-only CA and log key
    /// (keys/), kept unencrypted ([`UNENCRYPTED`]).
    pub fn new() -> Env {
        let env = Env::empty();
        let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
        env.ok(&[
            "init",
            UNENCRYPTED,
            "--origin",
            "test.attestera.local/log",
            "--ca-cert",
            &format!("{keys}/test-ca.cert.pem"),
            "--ca-key",
            &format!("{keys}/test-ca.key.pem"),
            "--log-signing-key",
            &format!("{keys}/test-log.key.pem"),
        ]);
        env
    }

    /// A fresh data directory with newly generated keys (what a real `init`
    /// does), kept unencrypted ([`UNENCRYPTED`]).
    pub fn with_new_keys() -> Env {
        let env = Env::empty();
        env.ok(&["init", UNENCRYPTED, "--org", ORG]);
        env
    }

    /// A temporary directory with no data directory in it yet.
    pub fn empty() -> Env {
        let env = Env {
            tmp: tempfile::tempdir().expect("tempdir"),
            postgres: on_postgres().then(Postgres::create),
        };
        std::fs::write(env.passphrase_file(), format!("{PASSPHRASE}\n")).expect("passphrase");
        std::fs::set_permissions(
            env.passphrase_file(),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .expect("a private passphrase file");
        env
    }

    /// The file every command reads key passphrases from.
    pub fn passphrase_file(&self) -> PathBuf {
        self.tmp.path().join("lösenfras.txt")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_attestera"));
        c.args(args)
            .env("ATTESTERA_DATA_DIR", self.data_dir())
            .env("ATTESTERA_OPERATOR", "registrator Rut")
            .env("ATTESTERA_PASSPHRASE_FILE", self.passphrase_file())
            .env_remove("DATABASE_URL")
            .env("ATTESTERA_SERVICE_PASSPHRASE_FILE", self.passphrase_file())
            .current_dir(self.tmp.path())
            .stdin(Stdio::null());
        if let Some(pg) = &self.postgres {
            c.env("DATABASE_URL", &pg.url);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args).output().expect("run attestera"))
    }

    /// Runs with `--json` and returns the result.
    pub fn json(&self, args: &[&str]) -> Run {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "attestera {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write");
        p
    }

    /// Issues an approver and returns (key path, cert path).
    pub fn user(&self, dir: &str, name: &str, role: &str) -> (String, String) {
        self.ok(&["user", "add", "--name", name, "--role", role, "--out", dir]);
        (
            self.s(&format!("{dir}/key.pem")),
            self.s(&format!("{dir}/cert.pem")),
        )
    }

    pub fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    pub fn approve(&self, file: &Path, user: &(String, String)) -> Run {
        self.json(&[
            "approve",
            &file.to_string_lossy(),
            "--key",
            &user.0,
            "--cert",
            &user.1,
            "--yes",
        ])
    }

    /// The current log size, read from the latest checkpoint.
    pub fn log_size(&self) -> u64 {
        self.json(&["log", "checkpoint"]).json()["tree_size"]
            .as_u64()
            .expect("tree_size")
    }

    /// The exact bytes of log entry `index`, as `attestera log entry` prints them
    /// (its second line; entries are one line of JSON).
    pub fn entry_bytes(&self, index: u64) -> Vec<u8> {
        let r = self.ok(&["log", "entry", &index.to_string()]);
        r.stdout
            .lines()
            .nth(1)
            .expect("entry line")
            .as_bytes()
            .to_vec()
    }

    /// The service on this data directory, opened in the test's process
    /// with the tests' passphrase.
    pub async fn service(&self) -> attestera::service::Service {
        attestera::service::Service::open(self.dir(), Some(PASSPHRASE))
            .await
            .expect("the service opens")
    }

    /// DATABASE_URL for a command started another way than [`Env::command`]
    /// (through script(1), say).
    pub fn database_env(&self) -> Vec<(&'static str, String)> {
        self.postgres
            .iter()
            .map(|pg| ("DATABASE_URL", pg.url.clone()))
            .collect()
    }

    /// The data directory, with the test's PostgreSQL database when there is one.
    pub fn dir(&self) -> attestera::service::DataDir {
        let dir = attestera::service::DataDir::new(self.data_dir());
        match &self.postgres {
            Some(pg) => dir.with_postgres(&pg.url, Default::default()),
            None => dir,
        }
    }

    /// Runs SQL against the data directory's database behind the service's
    /// back (on PostgreSQL, the test's database; the statement must then be
    /// valid there too).
    pub fn sql(&self, statement: &str) {
        if let Some(pg) = &self.postgres {
            return run_postgres(&pg.url, &postgres_dialect(statement));
        }
        let db = self.data_dir().join("attestera.db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            let url = format!("sqlite://{}", db.display());
            let mut conn = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .expect("sql");
            conn.close().await.expect("close");
        });
    }
}

/// A key file that `user add` or `init` wrote, opened with the tests'
/// passphrase: its unencrypted PKCS#8 PEM.
pub fn open_key(path: impl AsRef<Path>) -> zeroize::Zeroizing<String> {
    let file = std::fs::read_to_string(path).expect("key file");
    attestera::keyfile::open(&file, Some(PASSPHRASE))
        .expect("the tests' passphrase opens it")
        .pem
}

/// A small registered-then-approved document and its two approvers.
pub struct Attested {
    pub env: Env,
    pub doc: PathBuf,
    /// The approval date the log gave (Europe/Stockholm), as the block shows it.
    pub date: String,
    pub attested: String,
    pub anna: (String, String),
    pub maria: (String, String),
}

pub const DOC: &str = "Handläggare\nPer Persson\nTelefon: 08-508 15 000\n\nTill\nSkarpnäcks stadsdelsnämnd\n2026-12-10\n\nUpprustning av Björkhagens parker\n\nSvar på remiss från kommunstyrelsen, dnr 2026/1234\n\nFörslag till beslut\n\nNämnden godkänner förvaltningens förslag om 3 nya lekplatser.\n";

pub fn attested() -> Attested {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let anna = env.user("anna", "Anna Berg", "Avdelningschef");
    let maria = env.user("maria", "Maria Mathiasson Laxvik", "Stadsdelsdirektör");
    let first = env.approve(&doc, &anna);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let date = first.json()["date"].as_str().unwrap().to_string();
    let second = env.approve(&doc, &maria);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        second.json()["date"],
        date.as_str(),
        "both approvals on one Stockholm day (run not across midnight)"
    );
    let block = env.ok(&["block", &doc.to_string_lossy()]).stdout;
    let attested = format!("{DOC}\n{block}");
    Attested {
        env,
        doc,
        date,
        attested,
        anna,
        maria,
    }
}
