//! What commands read besides their arguments: files and the operator's name.

use std::path::Path;

use super::args::Cli;
use crate::service::{DataDir, Service, ServiceError};

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

/// A key file's passphrase: from `--passphrase-env`, else
/// `--passphrase-file` (its first line), else asked on the terminal —
/// twice for a new key file (`new`), which must then be long enough.
pub(crate) fn passphrase(
    args: &super::args::PassphraseArgs,
    new: bool,
    what: &Path,
) -> Result<zeroize::Zeroizing<String>, ServiceError> {
    passphrase_for(args, new, &super::print::shown(&what.display().to_string()))
}

/// The passphrase of the service's own keys in `dir`: from the global
/// `--service-passphrase-env` / `--service-passphrase-file`, else asked
/// once on the terminal (twice for `init`'s new keys). A failure names the
/// service's flags (`ServiceError::ServiceKey`).
pub(crate) fn service_passphrase(
    cli: &Cli,
    dir: &DataDir,
    new: bool,
) -> Result<zeroize::Zeroizing<String>, ServiceError> {
    let args = super::args::PassphraseArgs {
        passphrase_file: cli.service_passphrase_file.clone(),
        passphrase_env: cli.service_passphrase_env.clone(),
    };
    let what = format!(
        "tjänstens nycklar i {}",
        super::print::shown(&dir.root.display().to_string())
    );
    passphrase_for(&args, new, &what).map_err(|e| match e {
        ServiceError::KeyFile(error) => ServiceError::ServiceKey {
            path: dir.root.clone(),
            error,
        },
        e => e,
    })
}

/// Opens the service on `dir`, asking for the passphrase of its keys (once)
/// only if they are encrypted.
pub(crate) async fn open_service(cli: &Cli, dir: DataDir) -> Result<Service, ServiceError> {
    let phrase = match dir.service_keys_encrypted()? {
        true => Some(service_passphrase(cli, &dir, false)?),
        false => None,
    };
    Service::open(dir, phrase.as_deref().map(String::as_str)).await
}

/// [`passphrase`], for `what` (shown in the prompt, already escaped).
fn passphrase_for(
    args: &super::args::PassphraseArgs,
    new: bool,
    what: &str,
) -> Result<zeroize::Zeroizing<String>, ServiceError> {
    use crate::keyfile::{KeyFileError, MIN_PASSPHRASE_CHARS};
    use std::io::IsTerminal;
    use zeroize::Zeroizing;
    let given = if let Some(name) = &args.passphrase_env {
        let value = std::env::var(name).map_err(|_| KeyFileError::EnvUnset(name.clone()))?;
        Some(Zeroizing::new(value))
    } else if let Some(file) = &args.passphrase_file {
        warn_if_readable_by_others(file);
        let text = Zeroizing::new(read_text_file(file)?);
        Some(Zeroizing::new(text.lines().next().unwrap_or("").to_owned()))
    } else {
        None
    };
    let phrase = match given {
        Some(p) => p,
        None if !std::io::stdin().is_terminal() => return Err(KeyFileError::NoPassphrase.into()),
        None => {
            let ask = |prompt: &str| {
                rpassword::prompt_password(prompt)
                    .map(Zeroizing::new)
                    .map_err(|_| ServiceError::from(KeyFileError::NoPassphrase))
            };
            if new {
                let first = ask(&format!(
                    "Ny lösenfras för {what} (minst {MIN_PASSPHRASE_CHARS} tecken): "
                ))?;
                let again = ask("Samma lösenfras igen: ")?;
                if *first != *again {
                    return Err(KeyFileError::PassphrasesDiffer.into());
                }
                first
            } else {
                ask(&format!("Lösenfras för {what}: "))?
            }
        }
    };
    if new && phrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyFileError::PassphraseTooShort.into());
    }
    Ok(phrase)
}

/// A passphrase file others can read is no secret: said on stderr.
fn warn_if_readable_by_others(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(file)
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "Varning: lösenfrasfilen {} kan läsas av andra än ägaren; gör den privat \
             (chmod 600).",
            super::print::shown(&file.display().to_string())
        );
    }
}

/// An approver's key file opened: asks for its passphrase if it is
/// encrypted, and warns on stderr if it is not.
pub(crate) fn open_key_file(
    path: &Path,
    args: &super::args::PassphraseArgs,
) -> Result<zeroize::Zeroizing<String>, ServiceError> {
    let file = zeroize::Zeroizing::new(read_text_file(path)?);
    // Asked first, so that a passphrase file that cannot be read says so.
    let phrase = if crate::keyfile::is_encrypted(&file) {
        Some(passphrase(args, false, path)?)
    } else {
        None
    };
    let opened = crate::keyfile::open(&file, phrase.as_deref().map(String::as_str))?;
    if !opened.was_encrypted {
        eprintln!(
            "Varning: nyckelfilen {} är inte krypterad: den som kopierar den kan godkänna i \
             ditt namn. Låt administratören utfärda en ny nyckel med attestera user add \
             (den krypteras med en lösenfras) och återkalla den gamla.",
            super::print::shown(&path.display().to_string())
        );
    }
    Ok(opened.pem)
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
