//! A real `attestera serve` on a free loopback port, with a token for every
//! role (shared by the integration and the browser tests).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::common::Env;

/// A running `attestera serve` and tokens for every role.
pub struct Server {
    pub env: Env,
    pub child: Child,
    /// Kept open so the server can go on writing to its stdout.
    _stdout: BufReader<std::process::ChildStdout>,
    pub base: String,
    pub admin: String,
    pub registrar: String,
    pub approver: String,
    pub auditor: String,
}

impl Server {
    pub fn start(env: Env, extra: &[&str]) -> Server {
        let token = |role: &str| {
            env.json(&[
                "token",
                "create",
                "--role",
                role,
                "--name",
                &format!("test-{role}"),
            ])
            .json()["token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (admin, registrar, approver, auditor) = (
            token("admin"),
            token("registrar"),
            token("approver"),
            token("auditor"),
        );
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = env
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Synchronize on the line the server prints once it is listening.
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        stdout.read_line(&mut line).unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        Server {
            env,
            child,
            _stdout: stdout,
            base,
            admin,
            registrar,
            approver,
            auditor,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The log size the server's latest checkpoint states.
pub async fn log_size(c: &reqwest::Client, s: &Server) -> u64 {
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
