//! `ca` and `user add|revoke`: the organisation CA and approvers' certificates.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::args::AddUserArgs;
use super::input::{passphrase, read_text_file};
use super::print::{Report, shown};
use crate::service::certify::{KeyProtection, NewUser};
use crate::service::{Service, ServiceError, UserIssued};
use crate::wire::Revoked;

/// The CA certificate (PEM, our own bytes).
#[derive(Serialize)]
pub struct CaCertificate {
    certificate: String,
}

pub fn ca(s: &Service) -> CaCertificate {
    CaCertificate {
        certificate: s.ca_pem().to_string(),
    }
}

pub async fn add_user(
    s: &Service,
    a: &AddUserArgs,
    operator: &str,
) -> Result<UserIssued, ServiceError> {
    let new = |protection| NewUser {
        name: &a.name,
        role: &a.role,
        out: &a.out,
        existing_key: a.key.as_deref(),
        days: a.days,
        operator,
        confirm_lookalike: a.confirm_lookalike,
        protection,
    };
    // Checked before the passphrase is asked, so that none is typed in vain.
    s.check_new_user(&new(KeyProtection::Unencrypted)).await?;
    // A new key is encrypted; an own key is opened only if it is.
    let phrase = match &a.key {
        None => Some(passphrase(&a.passphrase, true, &a.out.join("key.pem"))?),
        Some(own)
            if crate::keyfile::is_encrypted(&zeroize::Zeroizing::new(read_text_file(own)?)) =>
        {
            Some(passphrase(&a.passphrase, false, own)?)
        }
        Some(_) => None,
    };
    s.add_user(&new(match &phrase {
        Some(p) => KeyProtection::Passphrase(p),
        None => KeyProtection::Unencrypted,
    }))
    .await
}

pub async fn revoke(
    s: &Service,
    cert: &Path,
    reason: &str,
    operator: &str,
) -> Result<Revoked, ServiceError> {
    s.revoke(&read_text_file(cert)?, reason, operator).await
}

impl Report for CaCertificate {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write!(out, "{}", self.certificate)
    }
}

impl Report for UserIssued {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Utfärdade certifikat för {}, {} (loggpost {}).",
            shown(&self.name),
            shown(&self.role),
            self.log_index
        )?;
        if let Some(k) = &self.key_path {
            writeln!(
                out,
                "Privat nyckel: {} (endast för {}, krypterad med lösenfrasen, behörighet 0600; \
                 den som glömmer lösenfrasen behöver en ny nyckel)",
                shown(&k.display().to_string()),
                shown(&self.name)
            )?;
        }
        writeln!(
            out,
            "Certifikat: {}",
            shown(&self.cert_path.display().to_string())
        )?;
        if !self.lookalike_of.is_empty() {
            writeln!(
                out,
                "Bekräftat i loggen: namnet liknar {}, men är en annan person.",
                self.lookalike_of
                    .iter()
                    .map(|n| format!("”{}”", shown(n)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        writeln!(
            out,
            "Giltigt till: {}",
            attestera_core::stockholm::date_of(self.not_after)
        )?;
        writeln!(out, "Fingeravtryck (SHA-256): {}", self.fingerprint)
    }
}

impl Report for Revoked {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Certifikatet {} är återkallat från och med {} (loggpost {}).",
            self.fingerprint, self.revoked_at, self.log_index
        )
    }
}
