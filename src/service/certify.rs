//! Issuing approver certificates: the CA's signature on a subject and a
//! public key; the administrator's use case (`user add`, which writes the
//! key and certificate files) and the API's (certify a presented public key).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{Appended, Service, ServiceError, datadir, io_err};
use crate::wire::Certified;
use attestera_core::entry::EntryBody;
use attestera_core::pki::{self, SigningKey, Subject};
use attestera_core::tlog::Hash;

/// An approver certificate issued by `user add`, and where its files are.
#[derive(Debug, Clone, Serialize)]
pub struct UserIssued {
    pub name: String,
    pub role: String,
    pub fingerprint: Hash,
    pub serial: String,
    pub not_after: Timestamp,
    pub log_index: u64,
    pub key_path: Option<PathBuf>,
    pub cert_path: PathBuf,
    /// Holders' names this name looks like, confirmed as other people (logged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lookalike_of: Vec<String>,
}

/// What `user add` is asked for.
pub struct NewUser<'a> {
    pub name: &'a str,
    pub role: &'a str,
    /// Where `key.pem` and `cert.pem` go.
    pub out: &'a Path,
    /// The approver's own key; without it a new Ed25519 key is made.
    pub existing_key: Option<&'a Path>,
    pub days: i64,
    pub operator: &'a str,
    /// Confirms that a name looking like an existing holder's is another person.
    pub confirm_lookalike: bool,
    /// How the new `key.pem` is protected; the passphrase also opens an
    /// encrypted `existing_key`.
    pub protection: KeyProtection<'a>,
}

/// How a key file that attestera writes is protected: an approver's
/// `key.pem` (`user add`, PBKDF2) or the service's own keys (`init`, scrypt).
#[derive(Clone, Copy)]
pub enum KeyProtection<'a> {
    /// Encrypted under this passphrase (`crate::keyfile`).
    Passphrase(&'a str),
    /// Unencrypted, 0600: the demo's throw-away directory, and service keys
    /// kept unencrypted for an unattended service (`init
    /// --unencrypted-service-keys`, `serve` on its first start).
    Unencrypted,
}

/// The files of an issuance under unique temporary names in the output
/// directory: linked into place only once the issuance is in the log, so a
/// refused issuance leaves nothing behind and a logged one never loses its key.
struct Staged<'a> {
    out: &'a Path,
    created_dir: bool,
    key: Option<(PathBuf, PathBuf)>,
    cert: (PathBuf, PathBuf),
}

impl<'a> Staged<'a> {
    /// Writes the key (if made here, 0600) and the certificate under temporary names.
    fn write(
        out: &'a Path,
        key_pem: Option<&str>,
        cert_pem: &str,
    ) -> Result<Staged<'a>, ServiceError> {
        let created_dir = !out.exists();
        std::fs::create_dir_all(out).map_err(io_err("skapa katalogen", out))?;
        let tag = format!(
            "{}-{}",
            std::process::id(),
            &pki::fingerprint(cert_pem.as_bytes()).to_hex()[..12]
        );
        let staged = Staged {
            out,
            created_dir,
            key: key_pem.map(|_| (out.join(format!(".key.pem.{tag}.tmp")), out.join("key.pem"))),
            cert: (
                out.join(format!(".cert.pem.{tag}.tmp")),
                out.join("cert.pem"),
            ),
        };
        let written = (|| {
            if let (Some((tmp, _)), Some(pem)) = (&staged.key, key_pem) {
                datadir::write_private(tmp, pem.as_bytes())?;
            }
            std::fs::write(&staged.cert.0, cert_pem).map_err(io_err("skriva", &staged.cert.0))
        })();
        match written {
            Ok(()) => Ok(staged),
            Err(e) => {
                staged.discard();
                Err(e)
            }
        }
    }

    /// Removes the temporary files (and the directory, if made for them).
    fn discard(&self) {
        self.remove_temporary();
        if self.created_dir {
            let _ = std::fs::remove_dir(self.out);
        }
    }

    fn remove_temporary(&self) {
        if let Some((tmp, _)) = &self.key {
            let _ = std::fs::remove_file(tmp);
        }
        let _ = std::fs::remove_file(&self.cert.0);
    }

    /// Links the files into place without replacing anything.
    fn place(&self, log_index: u64) -> Result<(), ServiceError> {
        let placed = (|| {
            if let Some((tmp, key_path)) = &self.key {
                std::fs::hard_link(tmp, key_path).map_err(io_err("skapa", key_path))?;
            }
            let (tmp, cert_path) = &self.cert;
            std::fs::hard_link(tmp, cert_path).map_err(io_err("skapa", cert_path))
        })();
        if let Err(e) = placed {
            // The certificate is in the log: the temporary files are the key's only copy.
            return Err(ServiceError::IssuedButNotPlaced {
                log_index,
                kept: self.out.to_path_buf(),
                reason: e.to_string(),
            });
        }
        self.remove_temporary();
        Ok(())
    }
}

/// Refuses a validity the CA would refuse, before anything is made or written.
pub(super) fn check_validity_days(days: i64) -> Result<(), ServiceError> {
    if (1..=pki::ca::MAX_VALIDITY_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(ServiceError::Range(format!(
            "giltighetstiden ska vara 1–{} dagar, inte {days}",
            pki::ca::MAX_VALIDITY_DAYS
        )))
    }
}

impl Service {
    /// Issues an approver certificate (`user add`). With `existing_key` the
    /// approver brings a key (only `cert.pem` is written); otherwise a new
    /// Ed25519 key is written to `out/key.pem` (0600). Files appear only
    /// after the issuance is in the log.
    pub async fn add_user(&self, new: &NewUser<'_>) -> Result<UserIssued, ServiceError> {
        let (subject, lookalike_of) = self.check_new_user(new).await?;
        let key_pem = self.user_key(new.existing_key, new.protection)?;
        let spki = pki::ca::public_key_der_of(&key_pem)?;
        let cert_pem = self.issue(&subject, &spki, new.days)?;
        let made_key = match new.existing_key {
            Some(_) => None,
            None => Some(key_file(&key_pem, new.protection)?),
        };
        let staged = Staged::write(new.out, made_key.as_deref().map(String::as_str), &cert_pem)?;
        let appended = self
            .sequencer
            .append(vec![EntryBody::CertificateIssued {
                certificate: cert_pem.clone(),
                operator: new.operator.into(),
                lookalike_of: lookalike_of.clone(),
            }])
            .await;
        let appended = appended.inspect_err(|_| staged.discard())?;
        let log_index = appended.entries.first().map(|e| e.0).unwrap_or_default();
        staged.place(log_index)?;
        let info = pki::CertInfo::from_der(&pki::parse_certificate_pem(&cert_pem)?)?;
        Ok(UserIssued {
            name: new.name.into(),
            role: new.role.into(),
            fingerprint: info.fingerprint,
            serial: info.serial,
            not_after: info.not_after,
            log_index,
            key_path: staged.key.map(|(_, path)| path),
            cert_path: staged.cert.1,
            lookalike_of,
        })
    }

    /// What `add_user` checks before it makes or reads a key: the days, the
    /// subject, look-alikes, files in the way. The CLI calls it first so
    /// that nobody types a passphrase for an issuance that is refused.
    pub async fn check_new_user(
        &self,
        new: &NewUser<'_>,
    ) -> Result<(Subject, Vec<String>), ServiceError> {
        check_validity_days(new.days)?;
        let subject = Subject {
            name: new.name.into(),
            role: new.role.into(),
            org: self.config.org.clone(),
        };
        subject.validate()?;
        let lookalike_of = self
            .confirmed_lookalikes(new.name, new.confirm_lookalike)
            .await?;
        refuse_existing(new)?;
        Ok((subject, lookalike_of))
    }

    /// The approver's own key (opened with the passphrase if it is
    /// encrypted), checked, or a new Ed25519 key: unencrypted PEM.
    fn user_key(
        &self,
        existing: Option<&Path>,
        protection: KeyProtection<'_>,
    ) -> Result<zeroize::Zeroizing<String>, ServiceError> {
        let rng = ring::rand::SystemRandom::new();
        Ok(match existing {
            Some(path) => {
                let file = zeroize::Zeroizing::new(self.dir.read_string(path)?);
                let phrase = match protection {
                    KeyProtection::Passphrase(p) => Some(p),
                    KeyProtection::Unencrypted => None,
                };
                let opened = crate::keyfile::open(&file, phrase)?;
                SigningKey::from_pkcs8_pem(&opened.pem, &rng)?;
                opened.pem
            }
            None => pki::ca::private_key_pem(&pki::generate_ed25519_pkcs8(&rng)?),
        })
    }

    /// Signs a certificate for the organisation CA's subject.
    pub(super) fn issue(
        &self,
        subject: &Subject,
        spki_der: &[u8],
        days: i64,
    ) -> Result<String, ServiceError> {
        // The log's key signs checkpoints, never approvals (the CA's own key
        // is refused by the rule book as certified before).
        let (_, key) = pki::key::check_public_key(spki_der)?;
        if key == self.verifier().public_key() {
            return Err(pki::PkiError::KeyReserved.into());
        }
        Ok(pki::issue_certificate(
            &self.ca_pem,
            &self.ca_key,
            subject,
            spki_der,
            super::now(),
            days,
            &ring::rand::SystemRandom::new(),
        )?)
    }

    /// Issues and logs a certificate for an approver's own public key (PEM
    /// SubjectPublicKeyInfo); `confirm_lookalike` as for `add_user`.
    pub async fn certify_public_key(
        &self,
        name: &str,
        role: &str,
        public_key_pem: &str,
        days: i64,
        operator: &str,
        confirm_lookalike: bool,
    ) -> Result<Certified, ServiceError> {
        check_validity_days(days)?;
        let subject = Subject {
            name: name.into(),
            role: role.into(),
            org: self.config.org.clone(),
        };
        subject.validate()?;
        let spki = pki::pem_block(public_key_pem, "PUBLIC KEY")?;
        let lookalike_of = self.confirmed_lookalikes(name, confirm_lookalike).await?;
        let certificate = self.issue(&subject, &spki, days)?;
        let appended = self
            .sequencer
            .append(vec![EntryBody::CertificateIssued {
                certificate: certificate.clone(),
                operator: operator.into(),
                lookalike_of: lookalike_of.clone(),
            }])
            .await?;
        let der = pki::parse_certificate_pem(&certificate)?;
        Ok(Certified {
            fingerprint: pki::fingerprint(&der),
            certificate,
            log_index: first_index(&appended)?,
            checkpoint_size: appended.checkpoint_size,
            lookalike_of,
        })
    }
}

/// The new key file's text: encrypted under the passphrase, or as it is.
fn key_file(
    pem: &str,
    protection: KeyProtection<'_>,
) -> Result<zeroize::Zeroizing<String>, ServiceError> {
    match protection {
        KeyProtection::Passphrase(p) => {
            let der = zeroize::Zeroizing::new(pki::pem_block(pem, "PRIVATE KEY")?);
            Ok(crate::keyfile::encrypt(
                &der,
                p,
                crate::keyfile::Scheme::Pbkdf2Sha256,
            )?)
        }
        KeyProtection::Unencrypted => Ok(zeroize::Zeroizing::new(pem.to_owned())),
    }
}

/// Files are never replaced: an existing `cert.pem` (or `key.pem`, when one
/// is to be made) refuses the issuance before anything is signed.
fn refuse_existing(new: &NewUser<'_>) -> Result<(), ServiceError> {
    let mut outputs = vec![new.out.join("cert.pem")];
    if new.existing_key.is_none() {
        outputs.insert(0, new.out.join("key.pem"));
    }
    match outputs.into_iter().find(|p| p.exists()) {
        Some(p) => Err(ServiceError::OutputExists(p)),
        None => Ok(()),
    }
}

fn first_index(appended: &Appended) -> Result<u64, ServiceError> {
    appended
        .entries
        .first()
        .map(|e| e.0)
        .ok_or(ServiceError::SequencerStopped)
}
