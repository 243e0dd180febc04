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
    fn fill(&self) -> PathBuf {
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
