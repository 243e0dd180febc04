//! The data directory: database, organisation CA, log key, configuration.
//!
//! ```text
//! attestera-data/
//!   config.json        organisation and log origin
//!   attestera.db       SQLite (WAL)
//!   ca.cert.pem        organisation CA certificate
//!   ca.key.pem         its private key (0600)
//!   log.key.pem        the log's Ed25519 checkpoint key (0600)
//!   log.vkey           the log's C2SP verifier key (public)
//! ```
//!
//! The two private keys are encrypted PKCS#8 under the service's passphrase
//! (`crate::keyfile`, scrypt), unless the operator keeps them unencrypted
//! for an unattended service (`init --unencrypted-service-keys`, and the
//! directory `serve` makes on its first start); either way they are 0600.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::certify::KeyProtection;
use super::{ConfigError, ServiceError, io_err};
use attestera_core::entry::EntryBody;
use attestera_core::pki;
use attestera_core::tlog::NoteSigner;

/// Settings fixed at init.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub format: u32,
    pub org: String,
    /// The log origin: first line of every checkpoint and the key name.
    pub origin: String,
    /// Which database holds the log (never where: a URL may carry a
    /// password, and it is given to every command instead).
    #[serde(default, skip_serializing_if = "Backend::is_sqlite")]
    pub backend: Backend,
}

/// The database engine of a log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// `attestera.db` in the data directory.
    #[default]
    Sqlite,
    /// A PostgreSQL database that several instances may share.
    Postgres,
}

impl Backend {
    fn is_sqlite(&self) -> bool {
        *self == Backend::Sqlite
    }
}

/// A data directory (configuration and keys), and where its log is: the
/// SQLite file in it, or a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    /// The PostgreSQL database and its pool, when the log is there.
    pub postgres: Option<(String, crate::store::postgres::PgOptions)>,
}

/// Keys to adopt at init instead of generating new ones.
#[derive(Clone, Default)]
pub struct ExistingKeys {
    pub ca_cert: Option<PathBuf>,
    pub ca_key: Option<PathBuf>,
    pub log_key: Option<PathBuf>,
    /// Opens an adopted key file that is encrypted.
    pub passphrase: Option<Zeroizing<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub data_dir: PathBuf,
    pub org: String,
    pub origin: String,
    pub log_public_key: String,
    pub ca_fingerprint: attestera_core::Hash,
}

/// Writes a private key file readable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServiceError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err("skapa", path))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io_err("skriva", path))
}

/// A log origin derived from the organisation name (lowercase ASCII letters,
/// digits and dashes) and `unique`, so that a reinstalled log, or a second
/// one of the same organisation, is not named like the first: clients and
/// witnesses tell logs apart by origin.
pub fn default_origin(org: &str, unique: [u8; 4]) -> String {
    let mut slug = String::new();
    for c in org.to_lowercase().chars() {
        let c = match c {
            'å' | 'ä' | 'à' | 'á' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
    }
    let slug = slug.trim_end_matches('-');
    format!(
        "attestera.local/{}-{}",
        if slug.is_empty() { "log" } else { slug },
        hex::encode(unique)
    )
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir {
            root: root.into(),
            postgres: None,
        }
    }

    /// The same directory with its log in the PostgreSQL database at `url`.
    pub fn with_postgres(
        mut self,
        url: &str,
        options: crate::store::postgres::PgOptions,
    ) -> DataDir {
        self.postgres = Some((url.to_string(), options));
        self
    }

    fn backend(&self) -> Backend {
        match self.postgres {
            Some(_) => Backend::Postgres,
            None => Backend::Sqlite,
        }
    }

    /// Opens the log's database (SQLite: creating the file when `create`).
    /// A directory whose configuration names the other engine is refused.
    pub async fn open_store(
        &self,
        config: Option<&Config>,
        create: bool,
    ) -> Result<std::sync::Arc<dyn crate::store::Store>, ServiceError> {
        if let Some(config) = config
            && config.backend != self.backend()
        {
            return Err(ConfigError::BackendMismatch {
                configured: config.backend,
            }
            .into());
        }
        Ok(match &self.postgres {
            Some((url, options)) => crate::store::open_postgres(url, options).await?,
            None => crate::store::open(&self.database(), create).await?,
        })
    }
    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.json")
    }
    pub fn database(&self) -> PathBuf {
        self.root.join("attestera.db")
    }
    pub fn ca_cert(&self) -> PathBuf {
        self.root.join("ca.cert.pem")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.root.join("ca.key.pem")
    }
    pub fn log_key(&self) -> PathBuf {
        self.root.join("log.key.pem")
    }
    pub fn log_vkey(&self) -> PathBuf {
        self.root.join("log.vkey")
    }

    pub fn config(&self) -> Result<Config, ServiceError> {
        let path = self.config_path();
        if !path.exists() {
            return Err(ServiceError::NotInitialized(self.root.clone()));
        }
        let text = self.read_string(&path)?;
        let config: Config =
            serde_json::from_str(&text).map_err(|e| ConfigError::Unreadable(e.to_string()))?;
        if config.format != 1 {
            return Err(ConfigError::UnknownFormat(config.format).into());
        }
        Ok(config)
    }

    /// Replaces config.json atomically (a temporary file renamed over it).
    pub fn write_config(&self, config: &Config) -> Result<(), ServiceError> {
        let path = self.config_path();
        let tmp = self.root.join(".config.json.tmp");
        let text = serde_json::to_string_pretty(config).unwrap_or_default() + "\n";
        std::fs::write(&tmp, text).map_err(io_err("skriva", &tmp))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io_err("skriva", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err("byta namn på", &tmp))
    }

    pub fn read_string(&self, path: &Path) -> Result<String, ServiceError> {
        std::fs::read_to_string(path).map_err(io_err("läsa", path))
    }

    /// Reads one of the service's private key files (PKCS#8 DER), refusing
    /// one that others can read; an encrypted one is opened with
    /// `passphrase` (an unencrypted one needs none).
    pub fn read_private_key(
        &self,
        path: &Path,
        passphrase: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, ServiceError> {
        check_private(path)?;
        open_key_file(path, &Zeroizing::new(self.read_string(path)?), passphrase)
    }

    /// Whether the service's keys (either of them) are encrypted, so that
    /// opening the service needs the passphrase. Asked before the service
    /// is opened, so a directory that is not initialized, or a key file that
    /// others can read, is refused before anyone types a passphrase.
    pub fn service_keys_encrypted(&self) -> Result<bool, ServiceError> {
        self.config()?;
        let mut encrypted = false;
        for path in [self.log_key(), self.ca_key()] {
            check_private(&path)?;
            encrypted |= crate::keyfile::is_encrypted(&Zeroizing::new(self.read_string(&path)?));
        }
        Ok(encrypted)
    }

    /// Refuses a data directory that is initialized or not empty: `init`
    /// checks it first, and the CLI before it asks for a passphrase.
    pub fn check_vacant(&self) -> Result<(), ServiceError> {
        if self.config_path().exists() || self.database().exists() {
            return Err(ServiceError::AlreadyInitialized(self.root.clone()));
        }
        if self.root.exists()
            && std::fs::read_dir(&self.root)
                .map_err(io_err("läsa", &self.root))?
                .next()
                .is_some()
        {
            return Err(ServiceError::AlreadyInitialized(self.root.clone()));
        }
        Ok(())
    }

    /// Creates a new data directory: CA, log key, database with the CA
    /// certificate as entry 0 and a first signed checkpoint. The CA and log
    /// keys are written as `protection` says (encrypted with scrypt, or
    /// unencrypted), both 0600. Everything is built in a temporary sibling
    /// directory and renamed into place, so a failure leaves nothing behind.
    pub async fn init(
        &self,
        org: Option<&str>,
        origin: Option<&str>,
        keys: &ExistingKeys,
        protection: KeyProtection<'_>,
    ) -> Result<InitReport, ServiceError> {
        self.check_vacant()?;
        let adopted_org = match &keys.ca_cert {
            Some(p) => {
                pki::parse_certificate_pem(&self.read_string(p)?)
                    .and_then(|der| pki::CertInfo::from_der(&der))?
                    .org
            }
            None => None,
        };
        if let (Some(given), Some(ca_org)) = (org, &adopted_org)
            && given != ca_org
        {
            return Err(ConfigError::OrgMismatch {
                given: given.to_string(),
                ca_org: ca_org.clone(),
            }
            .into());
        }
        let org = org
            .map(str::to_string)
            .or(adopted_org)
            .unwrap_or_else(|| "Attestera".into());
        let org = org.as_str();
        // The organisation is in every certificate and shown beside every name.
        attestera_core::statement::check_field(
            attestera_core::statement::Field::OrganisationName,
            org,
        )
        .map_err(ConfigError::OrgName)?;
        let origin = match origin {
            Some(o) => o.to_string(),
            None => {
                let mut unique = [0u8; 4];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut unique)
                    .map_err(|_| ServiceError::NoRandomness)?;
                default_origin(org, unique)
            }
        };
        if origin.is_empty()
            || origin
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '+')
        {
            return Err(ConfigError::Origin(origin).into());
        }
        let parent = match self.root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io_err("skapa katalogen", &parent))?;
        let tmp = tempfile_dir(&parent)?;
        let staged = DataDir {
            root: tmp.clone(),
            postgres: self.postgres.clone(),
        };
        let result = staged.populate(org, &origin, keys, protection).await;
        match result {
            Ok(report) => {
                if self.root.exists() {
                    std::fs::remove_dir(&self.root).map_err(io_err("ersätta", &self.root))?;
                }
                std::fs::rename(&tmp, &self.root).map_err(io_err("byta namn på", &tmp))?;
                Ok(InitReport {
                    data_dir: self.root.clone(),
                    ..report
                })
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    async fn populate(
        &self,
        org: &str,
        origin: &str,
        keys: &ExistingKeys,
        protection: KeyProtection<'_>,
    ) -> Result<InitReport, ServiceError> {
        let now = jiff::Timestamp::now();
        let adopted = |path: &Path| {
            let der = open_key_file(
                path,
                &Zeroizing::new(self.read_string(path)?),
                keys.passphrase.as_deref().map(String::as_str),
            )?;
            Ok::<_, ServiceError>(der)
        };
        let (ca_pem, ca_key_pem) = match (&keys.ca_cert, &keys.ca_key) {
            (Some(c), Some(k)) => (self.read_string(c)?, pki::ca::private_key_pem(&adopted(k)?)),
            (None, None) => pki::create_ca(org, now, 10, &ring::rand::SystemRandom::new())?,
            _ => {
                return Err(ConfigError::CaPairIncomplete.into());
            }
        };
        // The log keeps the CA certificate alone and in canonical form.
        let (ca_pem, ca_der) = pki::canonical_certificate_pem(&ca_pem)?;
        pki::cert::check_ca(&ca_der, now)?;
        let ca_info = pki::CertInfo::from_der(&ca_der)?;
        pki::cert::check_key_matches(&ca_der, &ca_key_pem)?;
        let log_pkcs8 = match &keys.log_key {
            Some(p) => adopted(p)?,
            None => pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new())?,
        };
        let signer = NoteSigner::from_pkcs8(origin, &log_pkcs8)?;
        if ca_info.public_key == signer.public_key() {
            return Err(pki::PkiError::KeyReserved.into());
        }
        let config = Config {
            format: 1,
            org: org.into(),
            origin: origin.into(),
            backend: self.backend(),
        };
        std::fs::write(
            self.config_path(),
            serde_json::to_string_pretty(&config).unwrap_or_default() + "\n",
        )
        .map_err(io_err("skriva", &self.config_path()))?;
        // (A new directory: written in place; `write_config` replaces.)
        std::fs::write(self.ca_cert(), &ca_pem).map_err(io_err("skriva", &self.ca_cert()))?;
        let ca_pkcs8 = Zeroizing::new(pki::pem_block(&ca_key_pem, "PRIVATE KEY")?);
        write_private(
            &self.ca_key(),
            service_key_file(&ca_pkcs8, protection)?.as_bytes(),
        )?;
        write_private(
            &self.log_key(),
            service_key_file(&log_pkcs8, protection)?.as_bytes(),
        )?;
        std::fs::write(self.log_vkey(), signer.verifier_key() + "\n")
            .map_err(io_err("skriva", &self.log_vkey()))?;
        let store = self.open_store(None, true).await?;
        if store.head().await?.size != 0 {
            store.close().await;
            return Err(ConfigError::DatabaseNotEmpty.into());
        }
        let sequencer = super::Sequencer::start(
            store.clone(),
            signer,
            origin.into(),
            ca_der.clone(),
            Default::default(),
        );
        let appended = sequencer
            .append(vec![EntryBody::CertificateIssued {
                certificate: ca_pem.clone(),
                operator: "init".into(),
                lookalike_of: Vec::new(),
            }])
            .await;
        store.close().await;
        appended?;
        Ok(InitReport {
            data_dir: self.root.clone(),
            org: org.into(),
            origin: origin.into(),
            log_public_key: NoteSigner::from_pkcs8(origin, &log_pkcs8)?.verifier_key(),
            ca_fingerprint: ca_info.fingerprint,
        })
    }
}

/// Refuses a private key file that others than its owner can read.
fn check_private(path: &Path) -> Result<(), ServiceError> {
    let meta = std::fs::metadata(path).map_err(io_err("läsa", path))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(ConfigError::KeyReadableByOthers(path.to_path_buf()).into());
    }
    Ok(())
}

/// A service key file's text: encrypted under the passphrase (scrypt: no
/// browser opens these, see `crate::keyfile`), or unencrypted PEM.
fn service_key_file(
    pkcs8_der: &[u8],
    protection: KeyProtection<'_>,
) -> Result<Zeroizing<String>, ServiceError> {
    match protection {
        KeyProtection::Passphrase(p) => Ok(crate::keyfile::encrypt(
            pkcs8_der,
            p,
            crate::keyfile::Scheme::Scrypt,
        )?),
        KeyProtection::Unencrypted => Ok(pki::ca::private_key_pem(pkcs8_der)),
    }
}

/// A key file's PKCS#8 DER, opened with `passphrase` if it is encrypted; a
/// failure names the file (`ServiceError::ServiceKey`).
fn open_key_file(
    path: &Path,
    text: &str,
    passphrase: Option<&str>,
) -> Result<Zeroizing<Vec<u8>>, ServiceError> {
    let opened =
        crate::keyfile::open(text, passphrase).map_err(|error| ServiceError::ServiceKey {
            path: path.to_path_buf(),
            error,
        })?;
    Ok(Zeroizing::new(pki::pem_block(&opened.pem, "PRIVATE KEY")?))
}

fn tempfile_dir(parent: &Path) -> Result<PathBuf, ServiceError> {
    for i in 0..100u32 {
        let p = parent.join(format!(".attestera-init-{}-{i}", std::process::id()));
        match std::fs::create_dir(&p) {
            Ok(()) => {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))
                    .map_err(io_err("skydda", &p))?;
                return Ok(p);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(ServiceError::Io {
                    action: "skapa",
                    path: p,
                    source: e,
                });
            }
        }
    }
    Err(ServiceError::NoTempDir)
}

#[cfg(test)]
mod tests {
    use super::default_origin;

    #[test]
    fn default_origin_is_the_organisation_in_ascii_and_a_unique_part() {
        assert_eq!(
            default_origin("Skarpnäcks stadsdelsförvaltning", [0xab, 0xcd, 0, 1]),
            "attestera.local/skarpnacks-stadsdelsforvaltning-abcd0001"
        );
        assert_eq!(
            default_origin("  ??  ", [0; 4]),
            "attestera.local/log-00000000"
        );
    }
}
