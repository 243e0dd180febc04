//! The service's side of the helper process: starts `attestera
//! pdf-helper` with resource limits and reads its answer.
//!
//! Each request gets a fresh process in a process group of its own (so
//! that pdftotext, which the helper starts, dies with it), with a small
//! environment and these limits (pdftotext inherits them):
//! - RLIMIT_AS `memory_bytes`: an allocation beyond it fails, and Rust
//!   aborts (SIGABRT);
//! - RLIMIT_CPU `cpu_seconds` (SIGXCPU), hard limit a second later
//!   (SIGKILL);
//! - RLIMIT_FSIZE: the temporary copy pdftotext reads (SIGXFSZ beyond);
//! - RLIMIT_CORE 0, RLIMIT_NOFILE [`MAX_FILES`];
//! - `wall`: the whole request, waiting for a free helper included; then
//!   the group is killed;
//! - `max_output`: the answer read; beyond, the group is killed;
//! - at most [`concurrency`] helpers at a time in this process.
//!
//! A helper stopped by a signal or failing without an answer means the
//! file is refused ([`PdfError::Limit`]); its error answer is the matching
//! [`PdfError`]; a helper that cannot be started is
//! [`PdfError::Unavailable`].

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;

use async_trait::async_trait;
use rlimit::Resource;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout_at};

use super::helper::{Answer, Request};
use super::{PdfError, PdfFacts, PdfLimits, PdfTool};

/// Open files a helper may hold: its pipes, the temporary copy, the pipes
/// to pdftotext, and pdftotext's own (libraries, fonts configuration).
pub const MAX_FILES: u64 = 64;

/// Longest answer line besides `max_output`, and what is kept of stderr.
const MAX_DIAGNOSTICS: u64 = 4096;

/// Environment variables the helper keeps: `PATH` to find pdftotext,
/// `TMPDIR` for its temporary copy.
const KEPT_ENV: [&str; 2] = ["PATH", "TMPDIR"];

/// Runs each request in a fresh helper process.
#[derive(Debug, Clone)]
pub struct HelperProcess {
    /// The program to run (the attestera binary itself).
    pub program: PathBuf,
    pub limits: PdfLimits,
}

impl HelperProcess {
    /// The helper is this very program, run as `attestera pdf-helper`.
    pub fn new(limits: PdfLimits) -> Result<Self, PdfError> {
        let program = std::env::current_exe().map_err(|e| PdfError::Unavailable(e.to_string()))?;
        Ok(HelperProcess { program, limits })
    }
}

#[async_trait]
impl PdfTool for HelperProcess {
    async fn read(&self, bytes: &[u8], prefix: Option<u64>) -> Result<PdfFacts, PdfError> {
        let request = Request::Read {
            len: byte_len(bytes),
            prefix,
            max_pages: self.limits.max_pages,
            max_output: self.limits.max_output,
        };
        match self.run(&request, bytes).await? {
            (Answer::Facts(facts), _) => Ok(facts),
            _ => Err(malformed("facts")),
        }
    }

    async fn attest(&self, bytes: &[u8], block: &str) -> Result<Vec<u8>, PdfError> {
        let request = Request::Attest {
            len: byte_len(bytes),
            block: block.to_owned(),
            max_pages: self.limits.max_pages,
        };
        match self.run(&request, bytes).await? {
            (Answer::Pdf { .. }, pdf) => Ok(pdf),
            _ => Err(malformed("a PDF")),
        }
    }
}

/// How many helpers run at once in this process: the number of CPUs, at
/// most 4 (each may use `memory_bytes`).
pub fn concurrency() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(concurrency()))
}

fn byte_len(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

fn malformed(expected: &str) -> PdfError {
    PdfError::Unavailable(format!("the helper's answer is not {expected}"))
}

/// What the helper wrote and how it ended.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Why an exchange with the helper stopped early.
enum Failure {
    /// It wrote more than `max_output`.
    Overflow,
    /// Its exit could not be waited for.
    Wait(std::io::Error),
}

impl HelperProcess {
    /// One request in one helper process, within the wall-clock limit.
    async fn run(&self, request: &Request, bytes: &[u8]) -> Result<(Answer, Vec<u8>), PdfError> {
        let max = self.limits.max_bytes;
        if byte_len(bytes) > max {
            return Err(PdfError::TooLarge { max });
        }
        let wall = self.limits.wall;
        let deadline = Instant::now() + wall;
        let too_slow = || PdfError::Limit(format!("reading the PDF took longer than {wall:?}"));
        let _permit = timeout_at(deadline, permits().acquire())
            .await
            .map_err(|_| too_slow())?
            .map_err(|e| PdfError::Unavailable(e.to_string()))?;
        let mut header = serde_json::to_vec(request).map_err(|e| malformed(&e.to_string()))?;
        header.push(b'\n');
        let mut child = self.spawn()?;
        let group = child.id();
        let cap = self.limits.max_output.saturating_add(MAX_DIAGNOSTICS);
        let finished = match timeout_at(deadline, exchange(&mut child, &header, bytes, cap)).await {
            Ok(Ok(f)) => f,
            stopped => {
                // Not reaped yet, so the group id is still the helper's:
                // kill it with whatever it started (pdftotext).
                kill_group(group);
                let _ = child.kill().await;
                return Err(match stopped {
                    Err(_) => too_slow(),
                    Ok(Err(Failure::Overflow)) => {
                        PdfError::Limit(format!("the helper answered more than {cap} bytes"))
                    }
                    Ok(Err(Failure::Wait(e))) => {
                        PdfError::Unavailable(format!("waiting for the helper: {e}"))
                    }
                    Ok(Ok(_)) => too_slow(),
                });
            }
        };
        interpret(&finished)
    }

    /// `program pdf-helper` with a clean environment, piped standard
    /// streams, its own process group and the limits.
    fn spawn(&self) -> Result<Child, PdfError> {
        let limits = Limits::from(&self.limits);
        let mut command = Command::new(&self.program);
        command
            .arg("pdf-helper")
            .env_clear()
            .env("LC_ALL", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        for key in KEPT_ENV {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        // SAFETY: the closure runs in the child between fork and exec, where
        // only async-signal-safe calls are allowed. It only calls
        // getrlimit/setrlimit through the rlimit crate, which are plain
        // system calls on values computed before the fork; it allocates
        // nothing (rlimit allocates only for a resource unsupported on the
        // platform, and all five exist on Linux) and takes no lock.
        unsafe {
            command.pre_exec(move || limits.apply());
        }
        command
            .spawn()
            .map_err(|e| PdfError::Unavailable(format!("cannot start the PDF helper: {e}")))
    }
}

/// Writes the request while reading the answer and the diagnostics (so
/// that neither side blocks on a full pipe), then waits for the exit.
async fn exchange(
    child: &mut Child,
    header: &[u8],
    bytes: &[u8],
    cap: u64,
) -> Result<Finished, Failure> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let write = async move {
        if let Some(mut stdin) = stdin {
            // A helper that stopped reading has died or refused: its exit
            // status says which, so a broken pipe here is not an error.
            if stdin.write_all(header).await.is_ok() {
                let _ = stdin.write_all(bytes).await;
            }
            let _ = stdin.shutdown().await;
        }
        Ok::<(), Failure>(())
    };
    let read_out = async move {
        match stdout {
            Some(out) => read_capped(out, cap).await,
            None => Ok(Vec::new()),
        }
    };
    let read_err = async move {
        let mut kept = Vec::new();
        if let Some(mut err) = stderr {
            let _ = (&mut err)
                .take(MAX_DIAGNOSTICS)
                .read_to_end(&mut kept)
                .await;
            let _ = tokio::io::copy(&mut err, &mut tokio::io::sink()).await;
        }
        Ok::<Vec<u8>, Failure>(kept)
    };
    let ((), stdout, stderr) = tokio::try_join!(write, read_out, read_err)?;
    let status = child.wait().await.map_err(Failure::Wait)?;
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}

/// All of `out`, or [`Failure::Overflow`] beyond `cap` bytes.
async fn read_capped(out: impl AsyncRead + Unpin, cap: u64) -> Result<Vec<u8>, Failure> {
    let mut buffer = Vec::new();
    // A read error ends the answer; the exit status then tells why.
    let _ = out
        .take(cap.saturating_add(1))
        .read_to_end(&mut buffer)
        .await;
    if byte_len(&buffer) > cap {
        return Err(Failure::Overflow);
    }
    Ok(buffer)
}

/// Kills the helper's process group (the helper and what it started).
fn kill_group(group: Option<u32>) {
    let Some(pid) = group.and_then(|g| libc::pid_t::try_from(g).ok()) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals the process group the
    // helper leads (`process_group(0)`); it is called only before the
    // helper is reaped, so the id cannot have been reused. No memory is
    // involved.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// The helper's answer, or why there is none.
fn interpret(finished: &Finished) -> Result<(Answer, Vec<u8>), PdfError> {
    let diagnostics = String::from_utf8_lossy(&finished.stderr);
    let first = diagnostics.lines().next().unwrap_or("").to_owned();
    if let Some(signal) = finished.status.signal() {
        return Err(PdfError::Limit(describe_signal(signal)));
    }
    match finished.status.code() {
        Some(0) => parse_answer(&finished.stdout),
        Some(2) => Err(PdfError::Unavailable(format!(
            "the helper refused the request: {first}"
        ))),
        code => Err(PdfError::Limit(format!(
            "the helper failed ({}): {first}",
            code.map_or_else(|| "no exit code".to_owned(), |c| format!("exit {c}"))
        ))),
    }
}

/// What a signal that stopped the helper means.
fn describe_signal(signal: i32) -> String {
    let why = match signal {
        libc::SIGXCPU => "the CPU-time limit",
        libc::SIGKILL => "the CPU-time limit or the system's memory",
        libc::SIGABRT => "the memory limit (or another abort)",
        libc::SIGXFSZ => "the file-size limit",
        libc::SIGSEGV | libc::SIGBUS => "a crash",
        _ => "a signal",
    };
    format!("the helper was stopped by {why} (signal {signal})")
}

/// The answer line and, for a PDF, exactly the bytes it announces.
fn parse_answer(stdout: &[u8]) -> Result<(Answer, Vec<u8>), PdfError> {
    let newline = stdout
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| malformed("a line"))?;
    let (line, rest) = stdout.split_at(newline);
    let payload = rest.get(1..).unwrap_or_default();
    let answer: Answer = serde_json::from_slice(line).map_err(|e| malformed(&e.to_string()))?;
    match answer {
        Answer::Error(e) => Err(PdfError::from(e)),
        Answer::Pdf { len } if byte_len(payload) == len => Ok((answer, payload.to_vec())),
        Answer::Pdf { .. } => Err(malformed("as long as it says")),
        Answer::Facts(_) if payload.is_empty() => Ok((answer, Vec::new())),
        Answer::Facts(_) => Err(malformed("only facts")),
    }
}

/// The rlimits, computed before the fork.
#[derive(Debug, Clone, Copy)]
struct Limits {
    memory: u64,
    cpu: u64,
    file_size: u64,
}

impl From<&PdfLimits> for Limits {
    fn from(l: &PdfLimits) -> Self {
        Limits {
            memory: l.memory_bytes,
            cpu: l.cpu_seconds.max(1),
            // The temporary copy, possibly rewritten without artifacts.
            file_size: l
                .max_bytes
                .saturating_mul(4)
                .saturating_add(64 * 1024 * 1024),
        }
    }
}

impl Limits {
    /// Sets the limits in the child; no allocation (see the SAFETY note).
    fn apply(self) -> std::io::Result<()> {
        lower(Resource::AS, self.memory, self.memory)?;
        lower(Resource::CPU, self.cpu, self.cpu.saturating_add(1))?;
        lower(Resource::FSIZE, self.file_size, self.file_size)?;
        lower(Resource::CORE, 0, 0)?;
        lower(Resource::NOFILE, MAX_FILES, MAX_FILES)
    }
}

/// Sets a limit, never above the hard limit already in force (raising it
/// is not allowed).
fn lower(resource: Resource, soft: u64, hard: u64) -> std::io::Result<()> {
    let (_, current_hard) = rlimit::getrlimit(resource)?;
    let hard = hard.min(current_hard);
    rlimit::setrlimit(resource, soft.min(hard), hard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_answer_must_be_as_long_as_it_says() {
        let ok = parse_answer(b"{\"pdf\":{\"len\":3}}\nabc").unwrap();
        assert_eq!(ok.1, b"abc");
        assert!(matches!(
            parse_answer(b"{\"pdf\":{\"len\":4}}\nabc"),
            Err(PdfError::Unavailable(_))
        ));
    }

    #[test]
    fn an_error_answer_is_the_error() {
        let answer = b"{\"error\":{\"code\":\"pdf_encrypted\",\"detail\":\"\"}}\n";
        assert_eq!(parse_answer(answer).unwrap_err(), PdfError::Encrypted);
    }

    #[test]
    fn a_signal_is_a_limit_and_a_refused_request_an_installation_fault() {
        let finished = |status| Finished {
            status,
            stdout: Vec::new(),
            stderr: b"boom\n".to_vec(),
        };
        let killed = interpret(&finished(ExitStatus::from_raw(libc::SIGXCPU)));
        assert!(matches!(killed, Err(PdfError::Limit(m)) if m.contains("CPU")));
        let panicked = interpret(&finished(ExitStatus::from_raw(101 << 8)));
        assert!(matches!(panicked, Err(PdfError::Limit(m)) if m.contains("boom")));
        let refused = interpret(&finished(ExitStatus::from_raw(2 << 8)));
        assert!(matches!(refused, Err(PdfError::Unavailable(_))));
    }
}
