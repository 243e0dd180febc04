//! `attestera serve` as a child process on the bench's data directory, on
//! a free loopback port, ready when `/healthz` answers.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{BenchError, Setup};

/// A running server; stopped (SIGTERM, then reaped) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> Result<u16, BenchError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| BenchError::Io("hitta en ledig port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| BenchError::Io("hitta en ledig port", e))
}

impl Server {
    /// Starts `serve` and polls `/healthz` until it answers (or the child ends).
    pub async fn start(setup: &Setup) -> Result<Server, BenchError> {
        let port = free_port()?;
        let mut command = setup.command();
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--max-connections", "2048"])
            .env("ATTESTERA_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command
            .spawn()
            .map_err(|e| BenchError::Io("starta attestera serve", e))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Result<(), BenchError> {
        let client = super::load::client(1)?;
        let url = format!("{}/healthz", self.base);
        let start = Instant::now();
        loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Failed(format!(
                    "attestera serve avslutades innan den svarade ({status})"
                )));
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(BenchError::Failed(
                    "attestera serve svarade inte på /healthz inom 60 sekunder".into(),
                ));
            }
            // Polling, not waiting for a guess: the next look comes soon.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Refuses to measure against a server that has ended (killed from
    /// outside, say), so that the report says so instead of "connection refused".
    pub fn check_alive(&mut self) -> Result<(), BenchError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(BenchError::Failed(format!(
                "attestera serve har avslutats under mätningen ({status})"
            ))),
            Err(e) => Err(BenchError::Io("fråga om attestera serve körs", e)),
        }
    }

    /// An API address.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: signalling our own child, which is not yet reaped.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.child.wait();
    }
}

/// A child `attestera` command, without the caller's server, token and
/// database, that ends when the thread that started it does (a bench
/// killed by a signal leaves no server behind).
pub fn attestera(exe: &std::path::Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(exe);
    c.env_remove("ATTESTERA_SERVER")
        .env_remove("ATTESTERA_TOKEN")
        .env_remove("DATABASE_URL");
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        c.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    c
}
