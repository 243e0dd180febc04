//! What commands read besides their arguments: files and the operator's name.

use std::path::Path;

use super::args::Cli;
use crate::service::ServiceError;

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, ServiceError> {
    std::fs::read(path).map_err(|source| ServiceError::Io {
        action: "läsa",
        path: path.to_path_buf(),
        source,
    })
}

/// A document file: its bytes, which must be a PDF if its name says so.
pub(crate) fn read_copy(path: &Path) -> Result<Vec<u8>, ServiceError> {
    let bytes = read_file(path)?;
    crate::service::Claim::of_name(&path.to_string_lossy()).check(&bytes)?;
    Ok(bytes)
}

/// Writes `bytes` to `path`, which must not exist: through a temporary
/// file beside it, flushed to disk and then linked into place, so that a
/// failure leaves no partial file and an existing one is never replaced.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), ServiceError> {
    use std::io::Write;
    if path.exists() {
        return Err(ServiceError::OutputExists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let io = |action: &'static str| {
        move |source| ServiceError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    // Created as any new file is (0666 less the umask), not 0600: an
    // attested document is for publishing.
    let mut file = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(io("skriva"))?;
    file.write_all(bytes).map_err(io("skriva"))?;
    file.as_file().sync_all().map_err(io("skriva"))?;
    file.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            ServiceError::OutputExists(path.to_path_buf())
        } else {
            io("skriva")(e.error)
        }
    })?;
    Ok(())
}

pub(crate) fn read_text_file(path: &Path) -> Result<String, ServiceError> {
    std::fs::read_to_string(path).map_err(|source| ServiceError::Io {
        action: "läsa",
        path: path.to_path_buf(),
        source,
    })
}

/// Who is acting, as the log records it: `--operator`, else `$USER`, else "okänd".
pub(crate) fn operator(cli: &Cli) -> String {
    cli.operator
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "okänd".into())
}
