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
