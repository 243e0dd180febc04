//! Child processes measured from outside: wall time and peak resident
//! memory (`wait4`'s `ru_maxrss`), with their output kept in files so that
//! a full pipe can never stall them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::BenchError;

/// What a finished child did.
#[derive(Debug)]
pub struct Finished {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident set, bytes.
    pub max_rss: u64,
}

/// Runs `command` to its end, its output in files under `scratch`.
pub fn run_measured(mut command: Command, scratch: &Path) -> Result<Finished, BenchError> {
    let io = |e| BenchError::Io("köra en delprocess", e);
    let out_path = scratch.join("child.stdout");
    let err_path = scratch.join("child.stderr");
    let out = std::fs::File::create(&out_path).map_err(io)?;
    let err = std::fs::File::create(&err_path).map_err(io)?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    let start = Instant::now();
    let child = command.spawn().map_err(io)?;
    let (code, max_rss) = wait_with_rusage(child)?;
    let elapsed = start.elapsed();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    Ok(Finished {
        code,
        stdout,
        stderr,
        elapsed,
        max_rss,
    })
}

/// Reaps `child` with `wait4`: its exit code (-1 for a signal) and peak RSS in bytes.
fn wait_with_rusage(child: std::process::Child) -> Result<(i32, u64), BenchError> {
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| BenchError::Failed("delprocessens id ryms inte i pid_t".into()))?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own unreaped child; both pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(BenchError::Io("vänta på en delprocess", e));
        }
    }
    // `child` is reaped: forgetting it keeps std from waiting on the pid again.
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports ru_maxrss in KiB.
    let max_rss = u64::try_from(usage.ru_maxrss)
        .unwrap_or(0)
        .saturating_mul(1024);
    Ok((code, max_rss))
}
