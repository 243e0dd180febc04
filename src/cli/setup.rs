//! `init` and `serve`: making a data directory and running the HTTP service on it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::args::{Cli, InitArgs, ServeArgs};
use super::input::{open_service, passphrase, read_text_file, service_passphrase};
use super::print::{Report, shown};
use crate::service::certify::KeyProtection;
use crate::service::datadir::{ExistingKeys, InitReport};
use crate::service::{DataDir, Service, ServiceError};

/// `init`: the service's keys are encrypted under a new passphrase (the
/// global `--service-passphrase-file` / `--service-passphrase-env`, else
/// asked twice on the terminal) unless `--unencrypted-service-keys`. An
/// adopted key that is encrypted opens with init's `--passphrase-file` /
/// `--passphrase-env` if given, else with the service's new passphrase,
/// else (keys kept unencrypted) with one asked on the terminal.
pub async fn init(cli: &Cli, dir: &DataDir, a: &InitArgs) -> Result<InitReport, ServiceError> {
    // Refused before anyone types a passphrase.
    dir.check_vacant()?;
    let mut encrypted_adopted = None;
    for path in [&a.ca_key, &a.log_signing_key].into_iter().flatten() {
        if encrypted_adopted.is_none()
            && crate::keyfile::is_encrypted(&Zeroizing::new(read_text_file(path)?))
        {
            encrypted_adopted = Some(path);
        }
    }
    let service_phrase = match a.unencrypted_service_keys {
        true => None,
        false => Some(service_passphrase(cli, dir, true)?),
    };
    let flags_given =
        a.passphrase.passphrase_file.is_some() || a.passphrase.passphrase_env.is_some();
    let adopted_phrase = match (encrypted_adopted, &service_phrase) {
        (None, _) => None,
        (Some(_), Some(p)) if !flags_given => Some(p.clone()),
        (Some(path), _) => Some(passphrase(&(&a.passphrase).into(), false, path)?),
    };
    let keys = ExistingKeys {
        ca_cert: a.ca_cert.clone(),
        ca_key: a.ca_key.clone(),
        log_key: a.log_signing_key.clone(),
        passphrase: adopted_phrase,
    };
    let protection = match &service_phrase {
        Some(p) => KeyProtection::Passphrase(p),
        None => KeyProtection::Unencrypted,
    };
    let report = dir
        .init(a.org.as_deref(), a.origin.as_deref(), &keys, protection)
        .await?;
    if a.unencrypted_service_keys {
        eprintln!(
            "Obs: tjänstens nycklar (ca.key.pem och log.key.pem i {}) är okrypterade, \
             läsbara bara för ägaren (0600). Den som kopierar dem kan utfärda certifikat och \
             signera loggen i organisationens namn. Hur de hålls säkra står i \
             docs/operations.md, avsnittet \"Key files\".",
            shown(&report.data_dir.display().to_string())
        );
    }
    Ok(report)
}

impl Report for InitReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Skapade {} för {}.",
            shown(&self.data_dir.display().to_string()),
            shown(&self.org)
        )?;
        writeln!(out, "Loggens ursprung: {}", shown(&self.origin))?;
        writeln!(out, "Loggens publika nyckel: {}", self.log_public_key)?;
        writeln!(
            out,
            "CA-certifikatets fingeravtryck (SHA-256): {}",
            self.ca_fingerprint
        )
    }
}

/// Runs the HTTP service until it is stopped; on a directory that does not
/// exist yet, sets it up first, unattended (never asking): its keys are
/// encrypted if `--service-passphrase-file` / `--service-passphrase-env`
/// gives a passphrase, else unencrypted (0600) with a note that says so and
/// how to have them encrypted. Encrypted keys are opened with the service's
/// passphrase (asked once if need be).
pub async fn serve(cli: &Cli, dir: DataDir, a: &ServeArgs) -> Result<i32, ServiceError> {
    if a.demo {
        return serve_demo(a).await;
    }
    if !dir.config_path().exists() {
        let given = cli.service_passphrase_file.is_some() || cli.service_passphrase_env.is_some();
        let phrase = match given {
            true => Some(service_passphrase(cli, &dir, true)?),
            false => None,
        };
        let protection = match &phrase {
            Some(p) => KeyProtection::Passphrase(p),
            None => KeyProtection::Unencrypted,
        };
        let r = dir
            .init(None, None, &ExistingKeys::default(), protection)
            .await?;
        eprintln!(
            "Skapade en ny datakatalog {} (organisation {}, loggnyckel {}).",
            shown(&r.data_dir.display().to_string()),
            shown(&r.org),
            r.log_public_key
        );
        if phrase.is_none() {
            eprintln!(
                "Obs: tjänstens nycklar (ca.key.pem och log.key.pem) är okrypterade, läsbara \
                 bara för ägaren (0600), så att tjänsten startar utan lösenfras. Krypterade \
                 nycklar får du genom att skapa datakatalogen med attestera init (den krypterar \
                 dem under en lösenfras) innan tjänsten startas, eller genom att ge serve \
                 --service-passphrase-file FIL första gången; se docs/operations.md, avsnittet \
                 \"Key files\"."
            );
        }
    }
    let service = Arc::new(open_service(cli, dir).await?.with_reader(pdf_reader(a)));
    crate::http::serve(service.clone(), a.listen, http_config(a))
        .await
        .map_err(|source| ServiceError::Io {
            action: "lyssna på",
            path: PathBuf::from(a.listen.to_string()),
            source,
        })?;
    if let Some(s) = Arc::into_inner(service) {
        s.close().await;
    }
    Ok(0)
}

/// The reader with the PDF limits `serve` was given.
fn pdf_reader(a: &ServeArgs) -> crate::service::Reader {
    const MIB: u64 = 1024 * 1024;
    crate::service::Reader::with_helper(crate::pdf::PdfLimits {
        max_bytes: a.pdf_max_mib.saturating_mul(MIB),
        max_pages: a.pdf_max_pages,
        memory_bytes: a.pdf_memory_mib.saturating_mul(MIB),
        cpu_seconds: a.pdf_cpu_secs,
        wall: std::time::Duration::from_secs(a.pdf_timeout_secs),
        ..crate::pdf::PdfLimits::default()
    })
}

/// `serve --demo`: a temporary data directory with the demo's data, removed when the service stops.
async fn serve_demo(a: &ServeArgs) -> Result<i32, ServiceError> {
    // The demo prints an administrator's sign-in code: it is for this machine only.
    if !a.listen.ip().is_loopback() {
        return Err(ServiceError::Config(
            crate::service::ConfigError::DemoNotLoopback(a.listen.to_string()),
        ));
    }
    let tmp = tempfile::Builder::new()
        .prefix("attestera-demo-")
        .tempdir()
        .map_err(|_| ServiceError::NoTempDir)?;
    let dir = DataDir::new(tmp.path().join("data"));
    // A throw-away directory: its keys stay unencrypted.
    dir.init(
        Some("Demo: Skarpnäcks stadsdelsförvaltning"),
        None,
        &ExistingKeys::default(),
        KeyProtection::Unencrypted,
    )
    .await?;
    let service = Arc::new(Service::open(dir, None).await?.with_reader(pdf_reader(a)));
    let demo = service.fill_demo().await?;
    let mut text = format!(
        "Demo med exempeldata i {} (tas bort när tjänsten stoppas).\n\nInloggningskoder (Logga in på webbsidorna):\n",
        shown(&tmp.path().display().to_string())
    );
    for (role, code) in &demo.codes {
        text.push_str(&format!(
            "  {:<15} {code}\n",
            crate::http::web::page::role_words(*role)
        ));
    }
    text.push_str("\nFiler att kontrollera på startsidan:\n");
    for (file, what) in &demo.files {
        text.push_str(&format!(
            "  {}  ({what})\n",
            shown(&file.display().to_string())
        ));
    }
    // Printed before the address line, which is the last line before serving.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), format!("{text}\n").as_bytes());
    let served = crate::http::serve(service.clone(), a.listen, http_config(a)).await;
    if let Some(s) = Arc::into_inner(service) {
        s.close().await;
    }
    served.map_err(|source| ServiceError::Io {
        action: "lyssna på",
        path: PathBuf::from(a.listen.to_string()),
        source,
    })?;
    drop(tmp);
    Ok(0)
}

fn http_config(a: &ServeArgs) -> crate::http::HttpConfig {
    crate::http::HttpConfig {
        body_limit: a.body_limit_mib.saturating_mul(1024 * 1024),
        public_reads: !a.closed_reads,
        request_timeout: Duration::from_secs(a.timeout_secs),
        header_timeout: Duration::from_secs(a.header_timeout_secs),
        body_timeout: Duration::from_secs(a.body_timeout_secs),
        max_connections: usize::try_from(a.max_connections).unwrap_or(usize::MAX),
        write_timeout: Duration::from_secs(a.write_timeout_secs),
        sessions: crate::service::sessions::SessionPolicy {
            idle_secs: i64::try_from(a.session_idle_minutes.saturating_mul(60)).unwrap_or(i64::MAX),
            ..Default::default()
        },
        behind_tls: a.behind_tls,
    }
}

/// What `db migrate` reports: the log's database is at this binary's schema.
#[derive(serde::Serialize)]
pub struct Migrated {
    pub backend: crate::service::Backend,
    pub log_size: u64,
}

impl Report for Migrated {
    fn human(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let engine = match self.backend {
            crate::service::Backend::Sqlite => "SQLite-databasen",
            crate::service::Backend::Postgres => "PostgreSQL-databasen",
        };
        writeln!(
            out,
            "{engine} har den här versionens schema; loggen har {} poster.",
            self.log_size
        )
    }
}

/// `db migrate`: the service is open, so every migration is applied.
pub async fn migrated(s: &Service) -> Result<Migrated, ServiceError> {
    Ok(Migrated {
        backend: s.config.backend,
        log_size: s.store().head().await?.size,
    })
}

/// What `db copy` reports.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct CopyReport(pub crate::service::copy::Copied);

impl Report for CopyReport {
    fn human(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let c = &self.0;
        writeln!(
            out,
            "Kopierade {} loggposter och {} kontrollpunkter oförändrade, {} inloggningskoder, {} ansökningar och {} sparade filer till PostgreSQL.",
            c.entries, c.checkpoints, c.tokens, c.enrolments, c.files
        )?;
        writeln!(
            out,
            "Datakatalogen använder nu PostgreSQL: ge --database-url (eller DATABASE_URL) till varje kommando. SQLite-filen finns kvar orörd som kopia; inloggade sessioner följer inte med."
        )
    }
}
