//! The Swedish catalogue: every sentence, for every variant.

use std::io::ErrorKind;

use attestera_core::document::Version;
use attestera_core::document::block::BlockError;
use attestera_core::document::canonical::TextError;
use attestera_core::entry::EntryError;
use attestera_core::logtime::TimeError;
use attestera_core::pki::name::{MAX_CHARS, MAX_MARKS, NameField};
use attestera_core::pki::{CaProblem, NameError, PkiError, PkiReason, SubjectField, ValidityUnit};
use attestera_core::rules::{InvalidValue, Refusal};
use attestera_core::statement::{CONTEXT, Field, FieldError, StatementError};
use attestera_core::verdict::{FileMatch, Problem, Said, Words};

use super::{Catalogue, JsonProblem, PathProblem, QueryProblem, RequestProblem};
use crate::service::{ConfigError, ServiceError};
use crate::store::StoreError;

/// Swedish, the language of the municipalities' documents.
pub struct Swedish;

impl Catalogue for Swedish {
    fn service(&self, e: &ServiceError) -> String {
        service(e)
    }
    fn config(&self, e: &ConfigError) -> String {
        config(e)
    }
    fn store(&self, e: &StoreError) -> String {
        store(e)
    }
    fn text(&self, e: &TextError) -> String {
        text(e).into()
    }
    fn block(&self, e: &BlockError) -> String {
        block(e)
    }
    fn pki(&self, e: &PkiError) -> String {
        pki(e)
    }
    fn name(&self, e: &NameError) -> String {
        name(e)
    }
    fn field(&self, e: &FieldError) -> String {
        field(e)
    }
    fn statement(&self, e: &StatementError) -> String {
        statement(e)
    }
    fn entry(&self, e: &EntryError) -> String {
        entry(e)
    }
    fn refusal(&self, e: &Refusal) -> String {
        refusal(e)
    }
    fn invalid(&self, e: &InvalidValue) -> String {
        invalid(e)
    }
    fn time(&self, e: &TimeError) -> String {
        time(e)
    }
    fn problem(&self, p: &Problem) -> String {
        match p {
            Problem::Refused(r) => refusal(r),
            Problem::RevokedBefore(at) => {
                format!("Certifikatet var återkallat ({at}) när godkännandet loggades.")
            }
            Problem::CheckpointInvalid => {
                "Loggens senaste kontrollpunkt kan inte verifieras.".into()
            }
            Problem::NotIncluded { index, size } => format!(
                "Loggpost {index} ingår inte i den signerade kontrollpunkten (storlek {size})."
            ),
            Problem::EntryUnreadable { index, error } => {
                format!("Loggpost {index} kan inte läsas: {}", entry(error))
            }
            Problem::LogMismatch { index } => format!(
                "Databasens tabeller stämmer inte med loggpost {index}; kör attestera audit."
            ),
            Problem::CertificateNotInLog => "Certifikatet finns inte i loggen.".into(),
        }
    }
    fn request(&self, p: &RequestProblem) -> String {
        match p {
            RequestProblem::Unauthorized => {
                "Ogiltig eller saknad token (Authorization: Bearer …).".into()
            }
            RequestProblem::Forbidden { needed } => format!("Åtgärden kräver rollen {needed}."),
            RequestProblem::NotFound => "Sökvägen finns inte.".into(),
            RequestProblem::MethodNotAllowed => "Metoden stöds inte här.".into(),
            RequestProblem::BodyTooLarge => "Begäran är större än tillåtet.".into(),
            RequestProblem::Timeout => "Begäran tog för lång tid.".into(),
            RequestProblem::UnsupportedMediaType => {
                "Innehållets typ (Content-Type) stöds inte här.".into()
            }
            RequestProblem::Invalid => "Begäran kan inte tas emot.".into(),
            RequestProblem::UriTooLong { bytes, max } => {
                format!("Adressen är {bytes} byte; högst {max} byte tas emot.")
            }
            RequestProblem::HeadersTooLarge {
                fields,
                bytes,
                max_fields,
                max_bytes,
            } => format!(
                "Begärans huvudfält är för stora: {fields} fält, {bytes} byte (högst {max_fields} \
                 fält, {max_bytes} byte)."
            ),
            RequestProblem::TooManyConnections => {
                "Tjänsten har för många öppna anslutningar; försök igen om en stund.".into()
            }
            RequestProblem::BodyOverLimit { limit } => {
                format!("Begäran är större än tillåtet ({limit} byte).")
            }
            RequestProblem::BodyTimeout { secs } => {
                format!("Begärans innehåll kom inte fram inom {secs} sekunder.")
            }
            RequestProblem::BodyUnreadable => {
                "Begärans innehåll kunde inte läsas (avbrutet eller felaktigt kodat).".into()
            }
            RequestProblem::NotJson => {
                "Innehållet ska vara JSON med Content-Type: application/json.".into()
            }
            RequestProblem::Json { what, line, column } => format!(
                "JSON-innehållet kan inte läsas: {} (rad {line}, kolumn {column}).",
                json_problem(what)
            ),
            RequestProblem::Query(q) => query_problem(q),
            RequestProblem::Path(PathProblem::NotIndex(value)) => {
                format!("Värdet \"{value}\" i sökvägen är inte ett index (ett heltal från 0).")
            }
            RequestProblem::Path(PathProblem::NotUtf8) => "Sökvägen är inte giltig UTF-8.".into(),
            RequestProblem::Path(PathProblem::Unreadable) => "Sökvägen kan inte läsas.".into(),
        }
    }
    fn io_reason(&self, e: &std::io::Error) -> String {
        io_kind(e.kind()).map_or_else(|| e.to_string(), str::to_string)
    }
    fn write_refused(&self, e: &std::io::Error) -> String {
        match e.kind() {
            ErrorKind::PermissionDenied => {
                "databasen är skrivskyddad (filen eller katalogen får inte skrivas)".into()
            }
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::ReadOnlyFilesystem => {
                self.io_reason(e)
            }
            _ => format!("filen kan inte skrivas ({e})"),
        }
    }
    fn storage_failed(&self) -> String {
        "Tjänstens lagring svarade inte som väntat; begäran kunde inte utföras. \
         Felet är loggat hos tjänsten."
            .into()
    }
    fn database_failed(&self) -> String {
        "databasen svarade med ett fel (detaljerna finns i tjänstens logg)".into()
    }
}

/// What is wrong with a JSON body, as the middle of a sentence.
pub(crate) fn json_problem(p: &JsonProblem) -> String {
    match p {
        JsonProblem::MissingField(n) => format!("fältet {n} saknas"),
        JsonProblem::UnknownField(n) => format!("okänt fält {n}"),
        JsonProblem::DuplicateField(n) => format!("fältet {n} anges flera gånger"),
        JsonProblem::WrongValue => "ett fält har fel typ eller värde".into(),
        JsonProblem::Eof => "innehållet tar slut mitt i".into(),
        JsonProblem::Syntax => "innehållet är inte giltig JSON".into(),
    }
}

fn query_problem(p: &QueryProblem) -> String {
    match p {
        QueryProblem::Control(name) => format!(
            "Parametern {name} innehåller ett styrtecken (till exempel NUL) eller ogiltig UTF-8; \
             sådana tecken tas inte emot."
        ),
        QueryProblem::Empty(name) => format!("Parametern {name} är tom; utelämna den i stället."),
        QueryProblem::Repeated(name) => format!("Parametern {name} anges flera gånger."),
        QueryProblem::Unknown(name) => format!("Okänd parameter {name}."),
        QueryProblem::Missing(name) => format!("Parametern {name} saknas."),
        QueryProblem::BadValue { name, value } => {
            format!("Parametern {name} har ett ogiltigt värde \"{value}\" (ett tal väntades).")
        }
        QueryProblem::Unreadable => "Frågesträngen kan inte läsas.".into(),
    }
}

/// The one table of Swedish reasons for I/O failures.
fn io_kind(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::NotFound => "filen eller katalogen finns inte",
        ErrorKind::PermissionDenied => "åtkomst nekad",
        ErrorKind::AlreadyExists => "finns redan",
        ErrorKind::IsADirectory => "det är en katalog, inte en fil",
        ErrorKind::NotADirectory => "en del av sökvägen är inte en katalog",
        ErrorKind::StorageFull => "disken är full",
        ErrorKind::QuotaExceeded => "diskkvoten är slut",
        ErrorKind::ReadOnlyFilesystem => "filsystemet är skrivskyddat",
        _ => return None,
    })
}

fn service(e: &ServiceError) -> String {
    match e {
        ServiceError::NotInitialized(p) => format!(
            "ingen attestera-datakatalog i {} (kör först: attestera init)",
            p.display()
        ),
        ServiceError::AlreadyInitialized(p) => format!(
            "{} innehåller redan en attestera-installation; den skrivs inte över",
            p.display()
        ),
        ServiceError::Io {
            action,
            path,
            source,
        } => format!(
            "kunde inte {action} {}: {}",
            path.display(),
            Swedish.io_reason(source)
        ),
        ServiceError::Text(e) => text(e).into(),
        ServiceError::Pdf(e) => pdf(e),
        ServiceError::FileNotKept(_) => "Den registrerade filen finns inte sparad här, så det \
             attesterade dokumentet kan inte skapas av tjänsten. Använd din egen kopia av den \
             registrerade filen: attestera attest FIL -o UT."
            .into(),
        ServiceError::Block(e) => block(e),
        ServiceError::Pki(e) => pki(e),
        ServiceError::KeyFile(e) => key_file(e),
        ServiceError::Enrolment(e) => enrolment(e),
        ServiceError::StatementForOtherDocument => "Uttalandet gäller ett annat dokument än \
             det som visades. Inget har godkänts; öppna dokumentet och godkänn igen."
            .into(),
        ServiceError::ServiceKey { path, error } => service_key(path, error),
        ServiceError::Refused(e) => refusal(e),
        ServiceError::Store(e) => store(e),
        ServiceError::Entry(e) => entry(e),
        ServiceError::Note(e) => format!("loggens nyckel eller kontrollpunkt: {e}"),
        ServiceError::Tree(e) => format!("merkleträdet: {e}"),
        ServiceError::Config(e) => format!("ogiltig inställning: {}", config(e)),
        ServiceError::NoRandomness => "ogiltig inställning: slumptalskällan svarar inte".into(),
        ServiceError::NoCheckpoint => "ogiltig inställning: loggen har ingen kontrollpunkt".into(),
        ServiceError::NoTempDir => "kunde inte skapa en tillfällig katalog".into(),
        ServiceError::TokenName(e) => format!("ogiltigt tokennamn: {}", field(e)),
        ServiceError::TokenNameTooLong { max } => {
            format!("ogiltigt tokennamn: namnet är för långt (högst {max} tecken)")
        }
        ServiceError::CommandWithoutService => "internt fel: kommandot körs utan tjänst".into(),
        ServiceError::UnknownDocument(h) => {
            format!("dokumentet är inte registrerat (kanonisk text {h})")
        }
        ServiceError::NoSuchEntry { index, size } => {
            format!("loggen har ingen post {index} (storlek {size})")
        }
        ServiceError::Range(why) => format!("ogiltigt intervall: {why}"),
        ServiceError::OutputExists(p) => {
            format!("filerna {} finns redan; de skrivs inte över", p.display())
        }
        ServiceError::AppendFailed(why) => format!("loggen kunde inte skrivas: {why}"),
        ServiceError::SequencerStopped => "loggens skrivare har stannat".into(),
        ServiceError::Worker(why) => format!("ett beräkningssteg avbröts oväntat ({why})"),
        ServiceError::NoApprovals => {
            "dokumentet har inga godkännanden ännu; det finns inget block att skriva ut".into()
        }
        ServiceError::DocumentHasBlock => "dokumentet slutar redan med ett attesteringsblock \
             (”Detta dokument har godkänts digitalt av följande personer:” och blockets rader); \
             ett dokument registreras utan block. Ta bort blocket och registrera igen, eller \
             använd attestera import om godkännandena är historiska"
            .into(),
        ServiceError::NoSuchToken(id) => format!("det finns ingen aktiv token med id {id}"),
        ServiceError::TokenOutdated => "token har det äldre formatet (utan id) och godtas inte \
             längre: skapa en ny token (attestera token create) och återkalla den gamla \
             (attestera token revoke)"
            .into(),
        ServiceError::Cancelled => "avbrutet; inget godkännande har lämnats".into(),
        ServiceError::UnknownLeaf => "ingen loggpost har den lövhashen".into(),
        ServiceError::TableMismatch { table, index } => format!(
            "tabellen {table} stämmer inte med loggpost {index}: databasen har ändrats utanför \
             attestera, så raden visas inte. Kör attestera audit"
        ),
        ServiceError::IssuedButNotPlaced {
            log_index,
            kept,
            reason,
        } => format!(
            "certifikatet är utfärdat och loggat (loggpost {log_index}), men filerna kunde inte \
             läggas på plats: {reason}. De finns kvar under tillfälliga namn i {} (.cert.pem.*.tmp \
             och, om nyckeln skapades här, .key.pem.*.tmp); byt namn på dem eller återkalla \
             certifikatet",
            kept.display()
        ),
    }
}

fn config(e: &ConfigError) -> String {
    match e {
        ConfigError::Unreadable(why) => why.clone(),
        ConfigError::UnknownFormat(n) => format!("okänt format {n}"),
        ConfigError::KeyReadableByOthers(p) => format!(
            "{} kan läsas av andra än ägaren; kör chmod 600 på filen",
            p.display()
        ),
        ConfigError::OrgMismatch { given, ca_org } => format!(
            "--org \"{given}\" stämmer inte med CA-certifikatets organisation \"{ca_org}\"; \
             utelämna --org"
        ),
        ConfigError::OrgName(e) => field(e),
        ConfigError::Origin(origin) => format!(
            "loggens ursprung \"{origin}\" måste vara icke-tomt, utan mellanslag, styrtecken och \
             '+' (t.ex. skarpnack.stockholm.se/attestera)"
        ),
        ConfigError::CaPairIncomplete => "--ca-cert och --ca-key måste anges tillsammans".into(),
        ConfigError::VerifierKeyMismatch(p) => {
            format!("{} hör inte till loggens signeringsnyckel", p.display())
        }
        ConfigError::BackendMismatch {
            configured: crate::service::Backend::Postgres,
        } => "datakatalogens logg ligger i PostgreSQL: ange databasen med --database-url \
             (eller DATABASE_URL)"
            .into(),
        ConfigError::BackendMismatch {
            configured: crate::service::Backend::Sqlite,
        } => "datakatalogens logg ligger i den inbäddade SQLite-databasen i katalogen, inte i \
             PostgreSQL: ta bort --database-url (och DATABASE_URL), eller flytta loggen med \
             attestera db copy"
            .into(),
        ConfigError::DatabaseNotEmpty => "PostgreSQL-databasen innehåller redan en logg eller \
             inloggningskoder; en ny logg skapas (init) eller kopieras (db copy) bara till en tom \
             databas"
            .into(),
        ConfigError::DemoNotLoopback(addr) => format!(
            "demon skriver ut inloggningskoder och lyssnar därför bara på den egna datorn (127.0.0.1 eller ::1), inte på {addr}"
        ),
    }
}

fn store(e: &StoreError) -> String {
    match e {
        StoreError::Database(e) => format!("databasfel: {e}"),
        StoreError::Migrate(e) => format!("databasen kunde inte uppgraderas: {e}"),
        StoreError::Corrupt { table, detail } => {
            format!("databasen innehåller ett ogiltigt värde i {table}: {detail}")
        }
        StoreError::NotWritable(why) => format!("databasen kan inte skrivas: {why}"),
    }
}

fn text(e: &TextError) -> std::borrow::Cow<'static, str> {
    match e {
        TextError::Empty => "Dokumentet är tomt: det innehåller ingen text.".into(),
        TextError::NotUtf8 { offset } => format!(
            "Dokumentet är inte sparat som UTF-8 (ogiltig byte på position {offset}). \
             Spara det som UTF-8-text och försök igen."
        )
        .into(),
        TextError::Binary => "Filen innehåller binära data (t.ex. Word eller en bild) och kan \
                              inte läsas som text."
            .into(),
        TextError::Utf16 => "Dokumentet är sparat som UTF-16 och kan inte läsas som UTF-8. \
                             Spara det som UTF-8-text och försök igen."
            .into(),
        TextError::Pdf => {
            "Filen är en PDF och kan inte läsas som text här; den läses av tjänstens \
             PDF-läsare (attestera och webbsidorna gör det själva)."
                .into()
        }
        TextError::Unreadable => "Texten i PDF-filen går inte att läsa (till exempel en \
                                  inskannad sida eller tecken utan textinnehåll), så den \
                                  kan inte jämföras. Det betyder inte att den är ändrad."
            .into(),
    }
}

fn enrolment(e: &crate::service::enrolment::EnrolmentError) -> String {
    use crate::service::enrolment::{CHALLENGE_SECS, EnrolmentError as E, MAX_PENDING};
    match e {
        E::ChallengeInvalid => "Ansökan hör inte till den här inloggningen. Ladda om sidan \
             och skapa nyckeln igen."
            .into(),
        E::ChallengeExpired => format!(
            "Sidan var öppen för länge (mer än {} minuter). Ladda om den och skapa nyckeln igen.",
            CHALLENGE_SECS / 60
        ),
        E::ProofInvalid => "Beviset på att webbläsaren har nyckeln stämmer inte med den \
             publika nyckeln. Ladda om sidan och försök igen."
            .into(),
        E::AlreadyRequested => "Den här nyckeln har redan en ansökan.".into(),
        E::TooManyPending => format!(
            "Du har redan {MAX_PENDING} ansökningar som väntar. Vänta tills administratören \
             har behandlat dem."
        ),
        E::NotFound => "Ansökan finns inte.".into(),
        E::AlreadyDecided => "Ansökan är redan behandlad.".into(),
        E::SignInRevoked => "Inloggningskoden som ansökan kom med är återkallad. Utfärda inte \
             certifikatet; be godkännaren logga in med en ny kod och skapa en ny nyckel."
            .into(),
        E::Damaged => "Ansökan är skadad i databasen (raden stämmer inte med sin kontroll) \
             och kan inte utfärdas. Be godkännaren skapa en ny nyckel."
            .into(),
    }
}

fn key_file(e: &crate::keyfile::KeyFileError) -> String {
    use crate::keyfile::{KeyFileError, MIN_PASSPHRASE_CHARS};
    match e {
        KeyFileError::WrongPassphrase => "Fel lösenfras för nyckelfilen (eller en skadad \
                                          nyckelfil). Försök igen."
            .into(),
        KeyFileError::NotAKey => "Nyckelfilen är ingen privat nyckel (PKCS#8 i PEM).".into(),
        KeyFileError::UnsupportedEncryption => "Nyckelfilen är krypterad på ett sätt som inte \
             stöds (till exempel PBES1, 3DES eller HMAC-SHA1). Gör om den med \
             openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000 \
             -in gammal.pem -out ny.pem och använd ny.pem."
            .into(),
        KeyFileError::PassphraseTooShort => {
            format!("Lösenfrasen är för kort: minst {MIN_PASSPHRASE_CHARS} tecken.")
        }
        KeyFileError::PassphrasesDiffer => "De två lösenfraserna är olika. Försök igen.".into(),
        KeyFileError::NoPassphrase => "Ingen lösenfras för nyckelfilen, och ingen terminal att \
                                       fråga på: ange --passphrase-file FIL eller \
                                       --passphrase-env VARIABEL."
            .into(),
        KeyFileError::EnvUnset(name) => {
            format!("Miljövariabeln {name} (--passphrase-env) är inte satt eller inte UTF-8.")
        }
        KeyFileError::Encrypt(_) => "Nyckeln kunde inte krypteras.".into(),
    }
}

/// The service's own keys: the file, and the `--service-passphrase-*` flags.
fn service_key(path: &std::path::Path, e: &crate::keyfile::KeyFileError) -> String {
    use crate::keyfile::KeyFileError;
    let path = path.display();
    match e {
        KeyFileError::WrongPassphrase => format!(
            "Fel lösenfras för tjänstens nyckel {path} (eller en skadad nyckelfil). Ingenting \
             har ändrats."
        ),
        KeyFileError::NoPassphrase => format!(
            "Tjänstens nycklar ({path}) är krypterade, men ingen lösenfras är angiven och det \
             finns ingen terminal att fråga på: ange --service-passphrase-file FIL (eller \
             ATTESTERA_SERVICE_PASSPHRASE_FILE) eller --service-passphrase-env VARIABEL \
             (vid init: eller --unencrypted-service-keys för okrypterade nycklar)."
        ),
        KeyFileError::EnvUnset(name) => format!(
            "Miljövariabeln {name} (--service-passphrase-env) är inte satt eller inte UTF-8."
        ),
        e => format!("{path}: {}", key_file(e)),
    }
}

fn pdf(e: &crate::pdf::PdfError) -> String {
    use crate::pdf::PdfError;
    match e {
        PdfError::NotPdf => "Filen sägs vara en PDF (genom sitt namn eller sin typ) men är \
                             ingen PDF-fil. Kontrollera att det är rätt fil."
            .into(),
        PdfError::Encrypted => "PDF-filen är krypterad (lösenordsskyddad) och kan inte \
                                läsas. Använd en okrypterad kopia av dokumentet."
            .into(),
        PdfError::Damaged(_) => "PDF-filen är skadad eller ofullständig (till exempel \
                                 avbruten vid nedladdning) och kan inte läsas."
            .into(),
        PdfError::TooLarge { max } => format!(
            "PDF-filen är större än {} MiB, den största som tas emot.",
            max.div_ceil(1024 * 1024)
        ),
        PdfError::TooManyPages { pages, max } => {
            format!("PDF-filen har {pages} sidor; högst {max} sidor tas emot.")
        }
        PdfError::Limit(_) => "PDF-filen kunde inte läsas inom gränserna för minne och tid \
                               (den kan vara konstruerad för att överbelasta) och avvisades."
            .into(),
        PdfError::BlockTooWide => "Attesteringsblocket får inte plats på en sida i PDF-filen \
                                   (en rad är för lång)."
            .into(),
        PdfError::Unprintable(c) => format!(
            "Attesteringsblocket innehåller tecknet U+{:04X}, som PDF-filens typsnitt \
             inte kan visa; blocket skulle inte gå att läsa tillbaka.",
            u32::from(*c)
        ),
        PdfError::Unavailable(_) => "PDF-läsaren kunde inte startas. Det är ett fel i \
                                     installationen av tjänsten, inte i filen; kontakta \
                                     den som driver tjänsten."
            .into(),
    }
}

fn block(e: &BlockError) -> String {
    match e {
        BlockError::Missing => "Dokumentet saknar attesteringsblock (raden ”Detta dokument har \
                                godkänts digitalt av följande personer:” finns inte)."
            .into(),
        BlockError::MissingHeader => "Attesteringsblocket saknar rubrikraden ”Namn Datum”.".into(),
        BlockError::UnexpectedLine { line, text } => {
            format!("Rad {line} i attesteringsblocket hör inte hemma där: ”{text}”.")
        }
        BlockError::MalformedRow { line, text } => format!(
            "Rad {line} i attesteringsblocket har inte formen ”Namn, Roll<tabb>ÅÅÅÅ-MM-DD”: ”{text}”."
        ),
        BlockError::MissingRole { line } => format!(
            "Rad {line} i attesteringsblocket saknar roll (skriv ”Namn, Roll” med kommatecken)."
        ),
        BlockError::EmptyName { line } => format!("Rad {line} i attesteringsblocket saknar namn."),
        BlockError::InvalidDate { line, text } => format!(
            "Rad {line} i attesteringsblocket har ett ogiltigt datum: ”{text}” (ska vara ÅÅÅÅ-MM-DD)."
        ),
        BlockError::NoRows => "Attesteringsblocket innehåller inga godkännanden.".into(),
    }
}

fn pki(e: &PkiError) -> String {
    match e {
        PkiError::PemInvalid(why) => format!("filen är inte giltig PEM: {}", reason(*why)),
        PkiError::PemLabel { expected, found } => {
            format!("väntade ett {expected}-block i PEM-filen men fann {found}")
        }
        PkiError::CertificateInvalid(why) => {
            format!("certifikatet kan inte läsas: {}", reason(*why))
        }
        PkiError::KeyInvalid(why) => {
            format!(
                "nyckeln kan inte läsas (väntade PKCS#8 med Ed25519 eller ECDSA P-256): {}",
                reason(*why)
            )
        }
        PkiError::KeyUnsupported(what) => format!(
            "nyckeltypen stöds inte: {} (Ed25519 och ECDSA P-256 stöds)",
            reason(*what)
        ),
        PkiError::KeyCertificateMismatch => "nyckeln hör inte till certifikatet".into(),
        PkiError::KeyReserved => "nyckeln är loggens signeringsnyckel eller CA-nyckeln; en \
                                  godkännare ska ha en egen nyckel"
            .into(),
        PkiError::NotIssuedByCa => "certifikatet är inte utfärdat av organisationens CA".into(),
        PkiError::Expired { not_after, at } => {
            format!("certifikatet har gått ut ({not_after}) och gällde inte vid {at}")
        }
        PkiError::NotYetValid { not_before, at } => {
            format!("certifikatet gäller först från {not_before}, inte vid {at}")
        }
        PkiError::CaInvalid(why) => {
            format!(
                "organisationens CA-certifikat är ogiltigt: {}",
                ca_problem(why)
            )
        }
        PkiError::MissingSubjectField(what) => {
            let what = match what {
                SubjectField::Name => "namn (CN)",
                SubjectField::Role => "roll (title, 2.5.4.12)",
            };
            format!("certifikatet saknar {what} i sitt subjekt")
        }
        PkiError::KeyUsage => "certifikatet får inte användas för signaturer (keyUsage \
                               digitalSignature saknas)"
            .into(),
        PkiError::UnknownCriticalExtension(oid) => {
            format!("certifikatet har en okänd kritisk tillägg ({oid})")
        }
        PkiError::IsCa => "CA-certifikatet kan inte användas för godkännanden; använd \
                           godkännarens eget certifikat"
            .into(),
        PkiError::SignatureInvalid => "signaturen är ogiltig".into(),
        PkiError::SubjectName(e) => format!("ogiltiga uppgifter för certifikatet: {}", name(e)),
        PkiError::SubjectField(e) => format!("ogiltiga uppgifter för certifikatet: {}", field(e)),
        PkiError::Generate(why) => format!("certifikatet kunde inte skapas: {why}"),
        PkiError::ValidityInvalid { given, max, unit } => {
            let unit = match unit {
                ValidityUnit::Days => "dagar",
                ValidityUnit::Years => "år",
            };
            format!("giltighetstiden ska vara 1–{max} {unit}, inte {given}")
        }
        PkiError::NoRandomness => "certifikatet kunde inte skapas: ingen slumpkälla".into(),
        PkiError::PemExtra => "certifikatfältet ska innehålla exakt ett PEM-certifikat och inget \
                               annat (ingen text före eller efter, inga rubriker, inga fler block)"
            .into(),
        PkiError::PemNotCanonical => "certifikatet är inte på kanonisk PEM-form (DER i base64, \
                                      64 tecken per rad, LF)"
            .into(),
    }
}

fn reason(r: PkiReason) -> &'static str {
    match r {
        PkiReason::PemUnreadable => {
            "ingen läsbar PEM-text (rader -----BEGIN …----- och -----END …----- kring base64)"
        }
        PkiReason::NoPemBlock => "inget PEM-block",
        PkiReason::NotX509 => "DER-kodningen är inte ett X.509-certifikat",
        PkiReason::TrailingData => "skräp efter certifikatet",
        PkiReason::Pkcs8Structure => "PKCS#8-strukturen kan inte tolkas",
        PkiReason::Pkcs8Key => "PKCS#8-nyckeln kan inte tolkas",
        PkiReason::Key => "nyckeln kan inte tolkas",
        PkiReason::CaKey => "CA-nyckeln kan inte tolkas",
        PkiReason::PublicKey => "den publika nyckeln kan inte tolkas",
        PkiReason::NotSpki => "den publika nyckeln är inte en SubjectPublicKeyInfo i DER",
        PkiReason::DataAfterPublicKey => "det finns data efter den publika nyckeln",
        PkiReason::Ed25519Shape => "en Ed25519-nyckel ska vara 32 byte utan parametrar (RFC 8410)",
        PkiReason::P256Compressed => {
            "en P-256-nyckel ska anges som okomprimerad punkt (openssl ec -pubout -conv_form \
             uncompressed)"
        }
        PkiReason::PublicKeyAlgorithm => "den publika nyckelns algoritm",
        PkiReason::CertificateKey => "certifikatets nyckel",
    }
}

fn ca_problem(p: &CaProblem) -> String {
    match p {
        CaProblem::Certificate(e) => pki(e),
        CaProblem::NotCa => "inte ett CA-certifikat".into(),
        CaProblem::NoKeyCertSign => "keyUsage saknar keyCertSign".into(),
        CaProblem::SelfSignature => "självsigneringen stämmer inte".into(),
        CaProblem::Issuer(why) => why.clone(),
    }
}

/// A name field as the subject of a sentence ("namnet är tomt").
fn name_field(f: NameField) -> &'static str {
    match f {
        NameField::Name => "namnet",
        NameField::Role => "rollen",
    }
}

fn name(e: &NameError) -> String {
    match e {
        NameError::Empty { what } => format!("{} är tomt", name_field(*what)),
        NameError::TooLong { what, chars } => format!(
            "{} är för långt ({chars} tecken; högst {MAX_CHARS})",
            name_field(*what)
        ),
        NameError::NotNfc { what } => format!("{} är inte i Unicode NFC", name_field(*what)),
        NameError::Comma { what } => format!(
            "{} innehåller kommatecken; i blocket står rollen efter sista kommat, så raden skulle \
             läsas som ett annat namn eller en annan roll",
            name_field(*what)
        ),
        NameError::Character { what, code } => format!(
            "{} innehåller tecknet U+{code:04X}, som inte är tillåtet: bara bokstäver, enkla \
             mellanslag, bindestreck, apostrof och punkt (inga osynliga tecken, fullbreddstecken, \
             siffror eller egna tecken)",
            name_field(*what)
        ),
        NameError::Spacing { what } => format!(
            "{} har mellanslag i början eller slutet, eller flera i rad",
            name_field(*what)
        ),
        NameError::NoLetter { what, word } => {
            format!("ordet ”{word}” i {} saknar bokstäver", name_field(*what))
        }
        NameError::Punctuation { what } => {
            format!("{} har två likadana skiljetecken i rad", name_field(*what))
        }
        NameError::Marks { what } => format!(
            "{} har ett diakritiskt tecken utan bokstav före, eller fler än {MAX_MARKS} på en bokstav",
            name_field(*what)
        ),
        NameError::MixedScript { what, word } => format!(
            "ordet ”{word}” i {} blandar skriftsystem (t.ex. kyrilliska eller grekiska bokstäver \
             bland latinska); varje ord ska skrivas i ett skriftsystem",
            name_field(*what)
        ),
    }
}

/// A one-line field as the subject of a sentence.
fn field_name(f: Field) -> &'static str {
    match f {
        Field::Name => "namn",
        Field::Role => "roll",
        Field::Organisation => "organisation",
        Field::OrganisationName => "organisationens namn",
        Field::Operator => "operatör",
        Field::Reason => "orsaken",
    }
}

fn field(e: &FieldError) -> String {
    match e {
        FieldError::TooLong {
            field: Field::Reason,
            max,
        } => format!("orsaken är för lång (högst {max} tecken)"),
        FieldError::TooLong { field, max } => {
            format!("{} är för långt (högst {max} tecken)", field_name(*field))
        }
        FieldError::EmptyOrPadded { field } => {
            format!(
                "{} är tomt eller har mellanslag i kanten",
                field_name(*field)
            )
        }
        FieldError::Invisible { field } => format!(
            "{} innehåller styrtecken eller osynliga tecken",
            field_name(*field)
        ),
        FieldError::Spacing { field } => {
            format!(
                "{} får bara ha enkla vanliga mellanslag",
                field_name(*field)
            )
        }
        FieldError::NotNfc { field } => format!("{} är inte i Unicode NFC", field_name(*field)),
    }
}

fn statement(e: &StatementError) -> String {
    match e {
        StatementError::Context => format!(
            "godkännandet är inte ett attestera-godkännande (första raden ska vara {CONTEXT})"
        ),
        StatementError::Field { line, field } => {
            format!("godkännandet är felaktigt: rad {line} ska börja med \"{field} \"")
        }
        StatementError::Value(e) => self::field(e),
        StatementError::Digest => "dokumentets kontrollsumma är inte 64 hextecken".into(),
        StatementError::SignedAt => "signeringstiden är inte en RFC 3339-tid".into(),
        StatementError::Rounding(why) => format!("signeringstiden kan inte avrundas: {why}"),
        StatementError::NotCanonical => "godkännandet är inte på kanonisk form".into(),
    }
}

fn entry(e: &EntryError) -> String {
    match e {
        EntryError::Malformed(why) => {
            format!("loggposten är inte giltig JSON för attestera: {why}")
        }
        EntryError::Version(v) => format!("loggpostens version {v} stöds inte"),
        EntryError::NotCanonical => "loggposten är inte på kanonisk form".into(),
    }
}

fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "inga".into();
    }
    names
        .iter()
        .map(|n| format!("”{n}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn refusal(e: &Refusal) -> String {
    match e {
        Refusal::DocumentAlreadyRegistered => "dokumentet är redan registrerat".into(),
        Refusal::DocumentNotRegistered => "dokumentet är inte registrerat".into(),
        Refusal::Statement(e) => statement(e),
        Refusal::Pki(e) => pki(e),
        Refusal::CertificateUnknown => "certifikatet är inte utfärdat i denna logg".into(),
        Refusal::CertificateRevoked { revoked_at } => format!(
            "certifikatet återkallades {} och kan inte användas för nya godkännanden",
            attestera_core::stockholm::minute(*revoked_at)
        ),
        Refusal::CertificateAlreadyIssued => "certifikatet är redan registrerat".into(),
        Refusal::CertificateAlreadyRevoked => "certifikatet är redan återkallat".into(),
        Refusal::CaNotRevocable => "CA-certifikatet kan inte återkallas här".into(),
        Refusal::CaMissing => "loggen saknar organisationens CA-certifikat som första post".into(),
        Refusal::SignerMismatch {
            field,
            statement,
            certificate,
        } => format!(
            "{} i godkännandet ({statement}) stämmer inte med certifikatet ({certificate})",
            name_field(*field)
        ),
        Refusal::AlgorithmMismatch => {
            "signaturalgoritmen stämmer inte med certifikatets nyckel".into()
        }
        Refusal::SignatureEncoding => "signaturen är inte giltig base64".into(),
        Refusal::SigningTime {
            signed_at,
            logged_at,
        } => format!(
            "signeringstiden {} ligger för långt från loggens tid {}: underteckna på nytt (ladda \
             om sidan), och kontrollera att datorns klocka går rätt",
            attestera_core::stockholm::minute(*signed_at),
            attestera_core::stockholm::minute(*logged_at)
        ),
        Refusal::DuplicateApproval { name, role } => {
            format!("{name} ({role}) har redan godkänt detta dokument")
        }
        Refusal::Invalid(e) => format!("ogiltigt värde: {}", invalid(e)),
        Refusal::ImportAfterStart { date, start } => format!(
            "ett överfört godkännande ska vara från före attestera ({start}); {date} ska signeras, \
             inte importeras"
        ),
        Refusal::Name(e) => name(e),
        Refusal::KeyAlreadyCertified { fingerprint } => format!(
            "den publika nyckeln är redan certifierad (certifikat {fingerprint}); en nyckel hör \
             till en enda identitet för alltid och certifieras aldrig igen, inte heller efter en \
             återkallelse. Skapa en ny nyckel"
        ),
        Refusal::LookalikeUnconfirmed { name, others } => format!(
            "namnet ”{name}” kan förväxlas med {} som redan har certifikat (samma tecken till \
             utseendet). Är det en annan person: bekräfta med --confirm-lookalike (HTTP: \
             \"confirm_lookalike\": true); bekräftelsen skrivs i loggen",
            quoted(others)
        ),
        Refusal::LookalikeConfirmationMismatch {
            confirmed,
            expected,
        } => format!(
            "bekräftelsen av förväxlingsbara namn ({}) stämmer inte med innehavarna som namnet \
             liknar ({})",
            quoted(confirmed),
            quoted(expected)
        ),
    }
}

fn invalid(e: &InvalidValue) -> String {
    match e {
        InvalidValue::Field(e) => field(e),
        InvalidValue::Digest => "kontrollsumman är inte 64 små hextecken".into(),
        InvalidValue::CanonicalVersion => "okänd version av kanonisk text".into(),
        InvalidValue::FutureDate(date) => format!("datumet {date} ligger i framtiden"),
    }
}

fn time(e: &TimeError) -> String {
    match e {
        TimeError::Backwards {
            index,
            logged_at,
            previous,
        } => format!(
            "loggpost {index} är stämplad {logged_at}, före föregående post ({previous}): loggens \
             tid går bakåt"
        ),
        TimeError::Future {
            index,
            logged_at,
            now,
        } => format!(
            "loggpost {index} är stämplad {logged_at}, senare än nu ({now}): en ärlig logg har \
             inga poster från framtiden"
        ),
    }
}

fn quoted_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("”{n}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Words for Swedish {
    fn finding(&self, said: &Said) -> String {
        match said {
            Said::ContentChanged { dnr, title } => format!(
                "Innehållet skiljer sig från det registrerade dokumentet {}{}: texten har ändrats.",
                dnr.as_deref()
                    .map(|x| format!("dnr {x} "))
                    .unwrap_or_default(),
                title
                    .as_deref()
                    .map(|t| format!("”{t}”"))
                    .unwrap_or_default()
            ),
            Said::DnrChanged { copy, registered } => format!(
                "Diarienumret är ändrat: kopian anger {copy}, det registrerade dokumentet {registered}."
            ),
            Said::DocumentNotRegistered => {
                "Dokumentet med detta innehåll finns inte i loggen.".into()
            }
            Said::BlockMissing => "Dokumentet saknar attesteringsblock.".into(),
            Said::BlockUnreadable(e) => block(e),
            Said::MatchText(version) => {
                let version = match version {
                    Version::V1 => "kanonisk text v1",
                    Version::V2 => "kanonisk text v2",
                    Version::PdfV1 => "PDF-text v1",
                };
                format!("Texten stämmer med den registrerade texten ({version}).")
            }
            Said::MatchSkeleton => "Bokstäverna och siffrorna stämmer med det registrerade \
                 dokumentet, men skiljetecken, mellanrum och radbrytningar har inte kunnat \
                 jämföras (till exempel ett decimalkomma). Jämför med det registrerade \
                 dokumentet om sådana detaljer är viktiga."
                .into(),
            Said::PdfPagesChanged => "Filen börjar med den registrerade PDF-filen, men det \
                 som följer efter den är inte attesteringens tillägg: filen har ändrats efteråt \
                 och kan visa något annat än det registrerade dokumentet."
                .into(),
            Said::MatchFile(FileMatch::Exact) => "Filen är exakt de registrerade byten: det \
                                                  registrerade dokumentet, oförändrat."
                .into(),
            Said::MatchFile(FileMatch::WithBlock) => "Filen börjar med exakt de registrerade \
                 byten: det registrerade dokumentet, oförändrat, följt av ett block."
                .into(),
            Said::MatchFile(FileMatch::WithWhitespace) => "Filen börjar med exakt de registrerade \
                 byten: det registrerade dokumentet, oförändrat, följt av enbart blanktecken."
                .into(),
            Said::RegisteredTextV1 => "Dokumentet registrerades enligt den äldre regeln kanonisk \
                 text v1, som skar bort allt efter raden ”Detta dokument har godkänts digitalt av \
                 följande personer:” även mitt i texten."
                .into(),
            Said::TextNotCovered => "Texten efter raden ”Detta dokument har godkänts digitalt av \
                 följande personer:” mitt i dokumentet omfattas inte av registreringen (kanonisk \
                 text v1) och har inte kontrollerats; jämför den delen med originalet."
                .into(),
            Said::RowWithoutApproval(r) => format!(
                "Raden ”{}, {} {}” i blocket motsvarar inget godkännande i loggen.",
                r.name, r.role, r.date
            ),
            Said::NameLookalike { block, log } => format!(
                "Namnet ”{block}” i blocket ser ut som ”{log}” men innehåller andra tecken \
                 (förväxlingsbara bokstäver)."
            ),
            Said::RowNameMismatch { block, log } => {
                format!("Blocket anger namnet ”{block}”, loggen ”{log}”.")
            }
            Said::RowRoleMismatch { block, log } => {
                format!("Blocket anger rollen ”{block}”, loggen ”{log}”.")
            }
            Said::RowDateMismatch { block, log } => {
                format!("Blocket anger datumet {block}, loggen {log}.")
            }
            Said::ApprovalMissingFromBlock { name, role, date } => format!(
                "Godkännandet av {name} ({role}) {date} finns i loggen men visas inte i blocket: \
                 blocket återger inte alla godkännanden."
            ),
            Said::ImportedFromArchive { operator, on, name } => format!(
                "Godkännandet är överfört från arkivet av {} {on}; det är inte signerat av {name} själv.",
                operator.as_deref().unwrap_or("okänd")
            ),
            Said::SignatureValid { name } => {
                format!("{name} har signerat med ett giltigt certifikat från organisationens CA.")
            }
            Said::SignerNameLookalike { name, others } => format!(
                "Namnet ”{name}” ser ut som {} men är ett annat namn (förväxlingsbara tecken); \
                 administratören bekräftade vid utfärdandet att det är en annan person. \
                 Kontrollera vem som godkände.",
                quoted_names(others)
            ),
            Said::ImportedNameLookalike { name, others } => format!(
                "Det överförda namnet ”{name}” ser ut som {}, som har ett certifikat, men är ett \
                 annat namn (förväxlingsbara tecken). Ingen har bekräftat att det är en annan \
                 person: kontrollera mot arkivet.",
                quoted_names(others)
            ),
            Said::CertificateRevokedLater(on) => {
                format!("Certifikatet återkallades {on} – efter godkännandet, som därför står sig.")
            }
            Said::ApprovedBeforeDocumentDate { approved, document } => {
                format!("Godkännandet ({approved}) är daterat före dokumentets datum ({document}).")
            }
            Said::BlockNotChecked => "Dokumentet har inget läsbart block, så det går inte att \
                 avgöra om det bär detta godkännande."
                .into(),
            Said::Problem(p) => self.problem(p),
            Said::Told { message, .. } => message.clone(),
        }
    }
}
