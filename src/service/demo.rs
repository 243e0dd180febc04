//! `serve --demo`: a fresh data directory filled so that a newcomer sees
//! every page at once — approvers with certificates, the seed document
//! imported from the archive, documents approved and one waiting, one
//! revoked certificate, a sign-in code per role, and files to check. Only
//! the service's own use cases are called: the demo is the product, used.

use std::path::{Path, PathBuf};

use super::access::Role;
use super::certify::NewUser;
use super::{Service, ServiceError};

/// The seed: a real tjänsteutlåtande with its approval block.
const SEED: &str = include_str!("../../tests/data/seed.txt");

/// What the demo made for the person trying it.
pub struct DemoData {
    /// A sign-in code per role.
    pub codes: Vec<(Role, String)>,
    /// Files to check on the start page, and what checking each shows.
    pub files: Vec<(PathBuf, &'static str)>,
}

/// A demo tjänsteutlåtande (without a block).
fn utlatande(title: &str, dnr: &str, date: &str, decision: &str) -> String {
    format!(
        "Handläggare\nPer Persson\nTelefon: 08-508 15 000\n\nTill\nSkarpnäcks stadsdelsnämnd\n{date}\n\n\
         {title}\n\nTjänsteutlåtande, dnr {dnr}\n\nFörslag till beslut\n\n{decision}\n\n\
         Sammanfattning\n\nFörvaltningen har berett ärendet och föreslår att nämnden beslutar enligt förslaget.\n"
    )
}

const OPERATOR: &str = "demo";

struct Approver {
    key: PathBuf,
    cert: PathBuf,
    fingerprint: attestera_core::Hash,
}

async fn approver(
    s: &Service,
    root: &Path,
    name: &str,
    role: &str,
) -> Result<Approver, ServiceError> {
    let out = root
        .join("godkannare")
        .join(name.replace(' ', "-").to_lowercase());
    let issued = s
        .add_user(&NewUser {
            name,
            role,
            out: &out,
            existing_key: None,
            days: 365,
            operator: OPERATOR,
            confirm_lookalike: false,
            // The demo's directory is removed when it stops.
            protection: super::certify::KeyProtection::Unencrypted,
        })
        .await?;
    Ok(Approver {
        key: issued.key_path.unwrap_or_else(|| out.join("key.pem")),
        cert: issued.cert_path,
        fingerprint: issued.fingerprint,
    })
}

async fn approve(s: &Service, doc: &str, who: &Approver) -> Result<(), ServiceError> {
    let key = zeroize::Zeroizing::new(s.dir.read_string(&who.key)?);
    let cert = s.dir.read_string(&who.cert)?;
    let draft = s.draft_approval(doc.as_bytes(), &key, &cert).await?;
    s.sign_and_submit(draft).await?;
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), ServiceError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(super::io_err("skapa", parent))?;
    }
    std::fs::write(path, text).map_err(super::io_err("skriva", path))
}

impl Service {
    /// Fills a new data directory with the demo's people, documents and codes.
    pub async fn fill_demo(&self) -> Result<DemoData, ServiceError> {
        let root = self.dir.root.clone();
        let anna = approver(self, &root, "Anna Berg", "Avdelningschef").await?;
        let johan = approver(self, &root, "Johan Ek", "Stadsdelsdirektör").await?;
        let karin = approver(self, &root, "Karin Lind", "Enhetschef").await?;

        self.import(SEED.as_bytes(), OPERATOR).await?;
        let parks = utlatande(
            "Upprustning av Björkhagens parker",
            "2026/1234",
            "2026-11-19",
            "Nämnden godkänner förvaltningens förslag om 3 nya lekplatser.",
        );
        let path = utlatande(
            "Ny gång- och cykelbana vid Skarpnäcks gård",
            "2026/1301",
            "2026-11-26",
            "Nämnden ger förvaltningen i uppdrag att anlägga gång- och cykelbanan.",
        );
        let budget = utlatande(
            "Budgetuppföljning per oktober 2026",
            "2026/1402",
            "2026-11-30",
            "Nämnden godkänner budgetuppföljningen per oktober 2026.",
        );
        for doc in [&parks, &path, &budget] {
            self.register(doc.as_bytes(), OPERATOR).await?;
        }
        approve(self, &parks, &anna).await?;
        approve(self, &parks, &johan).await?;
        approve(self, &path, &karin).await?;
        // Karin's key is lost: her certificate is revoked after she approved.
        self.revoke_fingerprint(&karin.fingerprint, "Nyckeln har förlorats", OPERATOR)
            .await?;

        let examples = root.join("exempel");
        let attested = format!("{parks}\n{}", self.block(parks.as_bytes()).await?);
        let changed = attested.replace("3 nya lekplatser", "5 nya lekplatser");
        let files = vec![
            (examples.join("godkant.txt"), "godkänt: verifieras"),
            (examples.join("andrat.txt"), "ändrad kopia: verifieras inte"),
            (examples.join("arkiv.txt"), "importerat från arkivet"),
            (
                examples.join("vantar.txt"),
                "registrerat, väntar på godkännande",
            ),
        ];
        for ((file, _), text) in files
            .iter()
            .zip([&attested, &changed, &SEED.to_string(), &budget])
        {
            write(file, text)?;
        }

        let mut codes = Vec::new();
        for (role, name) in [
            (Role::Admin, "Demo administratör"),
            (Role::Registrar, "Demo registrator"),
            (Role::Auditor, "Demo granskare"),
            (Role::Approver, "Demo godkännare"),
        ] {
            codes.push((role, self.create_token(name, role).await?.token));
        }
        Ok(DemoData { codes, files })
    }
}
