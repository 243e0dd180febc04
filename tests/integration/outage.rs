//! Outages: a full disk and a read-only database under a running server,
//! and a lying server that picks extreme times. The disk is real: a small
//! tmpfs mounted over the data directory (these tests need root, as CI has;
//! without it they fail with a message that says so, rather than pass
//! without having tried).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{DOC, Env, runtime};
use crate::http::Server;

fn sh(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed (these outage tests need root: mount, chattr): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A data directory moved onto a tmpfs of `mib` MiB mounted in its place;
/// unmounted on drop.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn under(env: &Env, mib: u32) -> SmallDisk {
        let dir = env.data_dir();
        let kept = env.path("data.kept");
        std::fs::rename(&dir, &kept).unwrap();
        std::fs::create_dir(&dir).unwrap();
        sh(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mib}m,mode=0700"),
                "tmpfs",
                &dir.to_string_lossy(),
            ],
        );
        let disk = SmallDisk { dir: dir.clone() };
        sh(
            "cp",
            &[
                "-a",
                &format!("{}/.", kept.display()),
                &dir.to_string_lossy(),
            ],
        );
        disk
    }

    /// Fills the filesystem to the last byte; returns the filler's path.
    /// The WAL is emptied first: SQLite reuses a WAL's pages after a
    /// checkpoint, so a write that fits in them needs no new space.
    fn fill(&self) -> PathBuf {
        sqlite(
            &self.dir.join("attestera.db"),
            "PRAGMA wal_checkpoint(TRUNCATE)",
        );
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 16, 1 << 12, 1] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

/// Runs one statement on the database from a connection of the test's own.
fn sqlite(db: &Path, statement: &str) {
    let (db, statement) = (db.to_path_buf(), statement.to_string());
    std::thread::spawn(move || sqlite_here(&db, &statement))
        .join()
        .unwrap();
}

fn sqlite_here(db: &Path, statement: &str) {
    runtime().block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .args(["-l", &self.dir.to_string_lossy()])
            .status();
    }
}

/// Stops the server (so no file stays open) before the disk is unmounted.
fn stop(s: &mut Server) {
    let _ = s.child.kill();
    let _ = s.child.wait();
}

async fn register(c: &reqwest::Client, s: &Server, tag: &str) -> (StatusCode, Value) {
    let r = c
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&s.registrar)
        .body(format!("{DOC}\n{tag}\n"))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or_default())
}

async fn ready(c: &reqwest::Client, s: &Server) -> (StatusCode, Value) {
    let r = c.get(s.url("/readyz")).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn log_size(c: &reqwest::Client, s: &Server) -> u64 {
    let note = c
        .get(s.url("/api/v1/log/checkpoint"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// Asserts a failed append: 503, `append_failed`, a Swedish reason.
fn assert_append_failed(answer: &(StatusCode, Value), reason: &str) {
    assert_eq!(answer.0, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.1);
    assert_eq!(answer.1["code"], "append_failed", "{}", answer.1);
    let detail = answer.1["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("loggen kunde inte skrivas") && detail.contains(reason),
        "{detail}"
    );
}

/// Asserts readiness 503 with a problem document naming `reason`.
fn assert_not_ready(answer: &(StatusCode, Value), reason: &str) {
    assert_eq!(answer.0, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.1);
    assert_eq!(answer.1["code"], "not_ready", "{}", answer.1);
    let detail = answer.1["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(reason), "{detail}");
}

fn audit_passes(env: &Env) {
    let a = env.json(&["audit"]);
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
}

#[test]
fn a_full_disk_fails_appends_cleanly_and_they_resume_once_space_is_freed() {
    let env = Env::new();
    let disk = SmallDisk::under(&env, 8);
    let mut s = Server::start(env, &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        assert_eq!(register(&c, &s, "före").await.0, StatusCode::CREATED);
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
        let size = log_size(&c, &s).await;

        let filler = disk.fill();
        for i in 0..3 {
            let answer = register(&c, &s, &format!("full {i}")).await;
            assert_append_failed(&answer, "disken är full");
        }
        assert_not_ready(&ready(&c, &s).await, "disken är full");
        assert_eq!(log_size(&c, &s).await, size, "nothing half-written");

        std::fs::remove_file(filler).unwrap();
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
        let (status, body) = register(&c, &s, "efter").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(log_size(&c, &s).await, size + 1);
    });
    stop(&mut s);
    audit_passes(&s.env);
    drop(disk);
}

/// Makes files immutable (`chattr +i`) and mutable again on drop.
struct Immutable {
    paths: Vec<PathBuf>,
}

impl Immutable {
    fn set(paths: &[&Path]) -> Immutable {
        for p in paths {
            sh("chattr", &["+i", &p.to_string_lossy()]);
        }
        Immutable {
            paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = Command::new("chattr")
                .args(["-i", &p.to_string_lossy()])
                .status();
        }
    }
}

#[test]
fn a_read_only_database_fails_appends_cleanly_and_they_resume_once_writable() {
    let mut s = Server::start(Env::new(), &[]);
    let dir = s.env.data_dir();
    runtime().block_on(async {
        let c = reqwest::Client::new();
        assert_eq!(register(&c, &s, "före").await.0, StatusCode::CREATED);
        let size = log_size(&c, &s).await;
        let db = dir.join("attestera.db");
        let wal = dir.join("attestera.db-wal");
        let locked = Immutable::set(&[&db, &wal, &dir]);
        for i in 0..3 {
            let answer = register(&c, &s, &format!("skrivskyddad {i}")).await;
            assert_append_failed(&answer, "skrivskydd");
        }
        assert_not_ready(&ready(&c, &s).await, "skrivskydd");
        assert_eq!(log_size(&c, &s).await, size, "nothing half-written");

        drop(locked);
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
        let (status, body) = register(&c, &s, "efter").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(log_size(&c, &s).await, size + 1);
    });
    stop(&mut s);
    audit_passes(&s.env);
}

/// Asserts a command that could not write: exit 2, the code, a Swedish reason.
fn assert_cannot_write(r: &crate::common::Run, code: &str, reason: &str) {
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.error_code(), code, "{}", r.stdout);
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains(reason), "{message}");
}

/// The other write paths (token create and revoke, a local append) fail in
/// Swedish on a full disk, write nothing, and work again once there is
/// space. A running server keeps the WAL open, so the commands get as far
/// as their write; without it they stop at opening the database, which is
/// named the same way.
#[test]
fn every_write_path_of_the_command_line_fails_cleanly_on_a_full_disk_and_resumes() {
    let env = Env::new();
    let disk = SmallDisk::under(&env, 8);
    let created = env.json(&["token", "create", "--role", "auditor", "--name", "före"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = created.json()["id"].as_i64().unwrap().to_string();
    let mut s = Server::start(env, &[]);
    let env = &s.env;
    let size = env.log_size();
    let tokens = env
        .json(&["token", "list"])
        .json()
        .as_array()
        .unwrap()
        .len();
    let doc = env.write("doc.txt", DOC);

    let filler = disk.fill();
    let full = "disken är full";
    let r = env.json(&["token", "create", "--role", "auditor", "--name", "full"]);
    assert_cannot_write(&r, "storage_not_writable", full);
    let r = env.json(&["token", "revoke", &id]);
    assert_cannot_write(&r, "storage_not_writable", full);
    let r = env.json(&["register", &doc.to_string_lossy()]);
    assert_cannot_write(&r, "append_failed", full);

    std::fs::remove_file(filler).unwrap();
    assert_eq!(env.log_size(), size, "nothing half-written");
    let listed = env.json(&["token", "list"]).json();
    assert_eq!(listed.as_array().unwrap().len(), tokens, "{listed}");
    assert!(listed[0]["revoked_at"].is_null(), "{listed}");
    assert_eq!(env.json(&["token", "revoke", &id]).code, 0);
    assert_eq!(env.json(&["register", &doc.to_string_lossy()]).code, 0);
    assert_eq!(env.log_size(), size + 1);
    stop(&mut s);
    audit_passes(&s.env);
    drop(disk);
}

/// Without a process holding the WAL open, a full disk stops a command at
/// opening the database: exit 2, named in Swedish, nothing written.
#[test]
fn opening_the_database_on_a_full_disk_is_named() {
    let env = Env::new();
    let disk = SmallDisk::under(&env, 8);
    let size = env.log_size();
    let doc = env.write("doc.txt", DOC);
    let filler = disk.fill();
    let r = env.json(&["register", &doc.to_string_lossy()]);
    assert_cannot_write(&r, "storage_not_writable", "disken är full");
    std::fs::remove_file(filler).unwrap();
    assert_eq!(env.log_size(), size);
    assert_eq!(env.json(&["register", &doc.to_string_lossy()]).code, 0);
    audit_passes(&env);
    drop(disk);
}

/// A data directory that cannot be written at all: the service does not
/// start half-way, and says why.
#[test]
fn a_write_protected_data_directory_is_named_at_start() {
    let env = Env::new();
    let dir = env.data_dir();
    let db = dir.join("attestera.db");
    let locked = Immutable::set(&[&db, &dir]);
    let r = env.json(&["log", "checkpoint"]);
    assert_cannot_write(&r, "storage_not_writable", "skrivskydd");
    let out = env
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skrivskydd"), "{stderr}");
    drop(locked);
    assert_eq!(env.json(&["log", "checkpoint"]).code, 0);
    audit_passes(&env);
}
