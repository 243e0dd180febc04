//! The command line's arguments (clap), with help and usage errors in Swedish.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::Failure;
use super::print::Printer;
use crate::service::access::Role;

#[derive(Parser, Debug)]
#[command(
    name = "attestera",
    version,
    about = "Digital attestering av tjänsteutlåtanden med en verifierbar logg",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Visa hjälp (för ett kommando: attestera KOMMANDO --help).
    #[arg(short, long, global = true, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Visa versionen.
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// Datakatalogen (databas, CA, loggens nyckel).
    #[arg(
        long,
        global = true,
        env = "ATTESTERA_DATA_DIR",
        default_value = "./attestera-data"
    )]
    pub data_dir: PathBuf,
    /// Maskinläsbar JSON på stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Arbeta mot en attestera-tjänst på denna adress i stället för datakatalogen.
    #[arg(long, global = true, env = "ATTESTERA_SERVER")]
    pub server: Option<String>,
    /// Token för --server.
    #[arg(long, global = true, env = "ATTESTERA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Loggens verifieringsnyckel att lita på med --server (annars den från första kontakten).
    #[arg(long, global = true, env = "ATTESTERA_LOG_KEY")]
    pub log_key: Option<String>,
    /// Vem som registrerar, tar över och ändrar certifikat (skrivs i loggen; standard $USER).
    #[arg(long, global = true, env = "ATTESTERA_OPERATOR")]
    pub operator: Option<String>,
    /// Läs lösenfrasen till tjänstens krypterade nycklar (CA och logg) från denna fil (första raden) i stället för att fråga i terminalen.
    #[arg(
        long,
        global = true,
        value_name = "FIL",
        env = "ATTESTERA_SERVICE_PASSPHRASE_FILE"
    )]
    pub service_passphrase_file: Option<PathBuf>,
    /// Loggens databas i PostgreSQL (postgres://…); utan den används SQLite-filen i datakatalogen.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// Största antal förbindelser med PostgreSQL för denna process.
    #[arg(long, global = true, default_value_t = 10, value_name = "N")]
    pub db_max_connections: u32,
    /// Hur länge ett anrop väntar på en ledig förbindelse med PostgreSQL, i sekunder.
    #[arg(long, global = true, default_value_t = 5, value_name = "SEKUNDER")]
    pub db_acquire_timeout_secs: u64,
    /// Längsta tid för en SQL-sats i PostgreSQL (väntan på lås inräknad), i sekunder.
    #[arg(long, global = true, default_value_t = 30, value_name = "SEKUNDER")]
    pub db_statement_timeout_secs: u64,
    /// Läs lösenfrasen till tjänstens krypterade nycklar från denna miljövariabel (går före --service-passphrase-file).
    #[arg(long, global = true, value_name = "VARIABEL")]
    pub service_passphrase_env: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line, with clap's headings and help in Swedish
    /// (clap's own error messages stay English).
    pub fn parse_swedish() -> Cli {
        fn swedish(cmd: clap::Command) -> clap::Command {
            cmd.help_template("{about}\n\nAnvändning: {usage}\n\n{all-args}")
                .subcommand_help_heading("Kommandon")
                .subcommand_value_name("KOMMANDO")
                .mut_args(|a| {
                    if !a.is_positional() {
                        a.help_heading("Flaggor")
                    } else if a.get_id() == "file" {
                        a.help_heading("Argument")
                            .value_name("FIL")
                            .help("Dokumentet, som text (UTF-8)")
                    } else {
                        a.help_heading("Argument")
                    }
                })
                .mut_subcommands(swedish)
        }
        swedish(<Cli as clap::CommandFactory>::command())
            .try_get_matches()
            .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
            .unwrap_or_else(|e| usage_error(e))
    }
}

/// A command line clap could not read, said in Swedish (help and version
/// requests pass through): exit code 2, code `usage_error`.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let what = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        ErrorKind::InvalidSubcommand => {
            format!("okänt kommando {}", context(ContextKind::InvalidSubcommand))
        }
        ErrorKind::UnknownArgument => format!("okänd flagga {}", context(ContextKind::InvalidArg)),
        ErrorKind::MissingRequiredArgument => {
            format!("saknar {}", context(ContextKind::InvalidArg))
        }
        ErrorKind::MissingSubcommand => "saknar kommando".to_string(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => format!(
            "ogiltigt värde {} för {}",
            context(ContextKind::InvalidValue),
            context(ContextKind::InvalidArg)
        ),
        ErrorKind::ArgumentConflict => format!(
            "{} kan inte anges tillsammans med {}",
            context(ContextKind::InvalidArg),
            context(ContextKind::PriorArg)
        ),
        _ => format!("felaktig kommandorad: {}", e.kind()),
    };
    let message = format!("{what} (se attestera --help)");
    let json = std::env::args().any(|a| a == "--json");
    std::process::exit(Printer::new(json).failure(&Failure::new("usage_error", message, 2)));
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Skapa datakatalogen: databas, organisationens CA och loggens nyckel (krypterade under en lösenfras).
    Init(InitArgs),
    /// Skriv ut organisationens CA-certifikat (PEM).
    Ca,
    /// Utfärda eller återkalla godkännares certifikat.
    #[command(subcommand)]
    User(UserCommand),
    /// Registrera ett färdigställt dokument före godkännandet.
    Register { file: PathBuf },
    /// Godkänn ett registrerat dokument med din nyckel och ditt certifikat.
    Approve {
        file: PathBuf,
        /// Din privata nyckel (PKCS#8 PEM, krypterad med en lösenfras som du får frågan om).
        #[arg(long)]
        key: PathBuf,
        /// Ditt certifikat från organisationens CA (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Fråga inte om bekräftelse (frågan ställs bara i en terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// Skriv ut attesteringsblocket för dokumentets godkännanden.
    Block { file: PathBuf },
    /// Skriv det attesterade dokumentet till en ny fil: en PDF får blocket på en tillagd sida (originalet oförändrat först i filen), en text får blocket sist.
    Attest {
        file: PathBuf,
        /// Den nya filen (skrivs aldrig över).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Ta över ett historiskt dokument som redan har ett block.
    Import { file: PathBuf },
    /// Verifiera ett dokument och dess block mot loggen (slutkod 0 verifierat, 1 inte, 2 kunde inte kontrolleras).
    Verify {
        file: PathBuf,
        /// Med --server: hämta och spela upp hela loggen i stället för bara dokumentets poster (hittar också en post som servern utelämnar, som en återkallelse; kostar hela loggen vid första kontakten).
        #[arg(long)]
        full_replay: bool,
    },
    /// Spela upp och kontrollera hela loggen.
    Audit,
    /// Skriv ut kanonisk text v2 (genom sha256sum ger den dokumentets id).
    Canonical { file: PathBuf },
    /// Läs loggen: kontrollpunkt, publik nyckel, poster, bevis.
    #[command(subcommand)]
    Log(LogCommand),
    /// Kör HTTP-tjänsten på datakatalogen.
    Serve(ServeArgs),
    /// Skapa, lista och återkalla tokens för API:t.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Loggens databas.
    #[command(subcommand)]
    Db(DbCommand),
    /// Mät attestera mot datorns egna gränser på en ny tillfällig datakatalog (docs/performance.md).
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Mindre storlekar, samma mått: klart inom en minut.
    #[arg(long)]
    pub quick: bool,
    /// Storlekarna: full, quick eller tiny (testernas, utan meningsfulla tal).
    #[arg(long, hide = true, value_enum, conflicts_with = "quick")]
    pub sizes: Option<BenchSizes>,
    /// Mät bara godkännanden och registreringar över HTTP (mått 1 och 2), för profilering.
    #[arg(long, hide = true)]
    pub only_writes: bool,
    /// Importera så många syntetiska utlåtanden i datakatalogen (benchmarkens delprocess).
    #[arg(long, hide = true)]
    pub import_count: Option<u64>,
    /// Det första syntetiska utlåtandets nummer för --import-count.
    #[arg(long, hide = true, default_value_t = 0)]
    pub import_offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchSizes {
    Full,
    Quick,
    Tiny,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Adress att lyssna på.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ATTESTERA_LISTEN")]
    pub listen: std::net::SocketAddr,
    /// Största begäran i MiB.
    #[arg(long, default_value_t = 20)]
    pub body_limit_mib: usize,
    /// Kräv token även för att läsa loggen, block och verifiera.
    #[arg(long)]
    pub closed_reads: bool,
    /// Tidsgräns för läsande begäranden, sekunder.
    #[arg(long, default_value_t = 30)]
    pub timeout_secs: u64,
    /// Längsta väntan på en begärans huvud (och på nästa begäran i en öppen anslutning), sekunder.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
    /// Längsta tid för att ta emot en begärans innehåll, sekunder.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,
    /// Flest samtidigt öppna anslutningar; fler besvaras med 503.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_connections: u64,
    /// Längsta tid ett svar får vänta på att klienten tar emot mer av det, sekunder.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub write_timeout_secs: u64,
    /// Minuter utan aktivitet innan en inloggning på webbsidorna upphör.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(2..=720))]
    pub session_idle_minutes: u64,
    /// Webbläsare når tjänsten över TLS (via en proxy framför den): inloggningskakan blir Secure.
    #[arg(long)]
    pub behind_tls: bool,
    /// Största PDF-fil som tas emot, MiB.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub pdf_max_mib: u64,
    /// Flest sidor i en PDF-fil som tas emot.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pdf_max_pages: u32,
    /// Längsta tid för att läsa eller attestera en PDF-fil, sekunder (sedan avbryts hjälpprocessen).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub pdf_timeout_secs: u64,
    /// Mest processortid för hjälpprocessen som läser en PDF-fil, sekunder.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub pdf_cpu_secs: u64,
    /// Mest minne för hjälpprocessen som läser en PDF-fil, MiB.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(64..=65536))]
    pub pdf_memory_mib: u64,
    /// Visa tjänsten med exempeldata: en tillfällig datakatalog med godkännare,
    /// dokument och en inloggningskod per roll (tas bort när tjänsten stoppas).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Skapa en token; den visas en gång och bara dess hash sparas.
    Create {
        /// Vad token får göra.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Vem eller vilket system token är till för.
        #[arg(long)]
        name: String,
    },
    /// Lista tokens (aldrig själva hemligheterna).
    List,
    /// Återkalla en token (id från token list).
    Revoke { id: i64 },
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Organisationens namn (O i varje certifikat); standard: den övertagna CA:ns O, annars "Attestera".
    #[arg(long)]
    pub org: Option<String>,
    /// Loggens ursprung (första raden i kontrollpunkter, loggnyckelns namn).
    #[arg(long)]
    pub origin: Option<String>,
    /// Ta över ett befintligt CA-certifikat (med --ca-key) i stället för att skapa ett.
    #[arg(long, requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,
    /// CA-certifikatets privata nyckel (PKCS#8 PEM).
    #[arg(long, requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,
    /// Ta över en befintlig loggnyckel (Ed25519, PKCS#8).
    #[arg(long)]
    pub log_signing_key: Option<PathBuf>,
    /// Låt tjänstens nycklar vara okrypterade (0600) så att tjänsten kan starta utan lösenfras; se docs/operations.md om hur de hålls säkra.
    #[arg(long)]
    pub unencrypted_service_keys: bool,
    #[command(flatten)]
    pub passphrase: AdoptedPassphraseArgs,
}

/// The passphrase of an encrypted `--ca-key` / `--log-signing-key`; without
/// these flags (no environment variable, unlike `PassphraseArgs`), the
/// service's new passphrase opens them.
#[derive(Args, Debug, Clone, Default)]
pub struct AdoptedPassphraseArgs {
    /// Lösenfrasen till en krypterad --ca-key eller --log-signing-key, från denna fil (första raden); annars öppnas de med tjänstens lösenfras.
    #[arg(long, value_name = "FIL")]
    pub passphrase_file: Option<PathBuf>,
    /// Lösenfrasen till en krypterad --ca-key eller --log-signing-key, från denna miljövariabel (går före --passphrase-file).
    #[arg(long, value_name = "VARIABEL")]
    pub passphrase_env: Option<String>,
}

impl From<&AdoptedPassphraseArgs> for PassphraseArgs {
    fn from(a: &AdoptedPassphraseArgs) -> PassphraseArgs {
        PassphraseArgs {
            passphrase_file: a.passphrase_file.clone(),
            passphrase_env: a.passphrase_env.clone(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Skapa nyckelpar och certifikat åt en godkännare.
    Add(AddUserArgs),
    /// Återkalla ett certifikat: senare godkännanden med det vägras.
    Revoke {
        /// Certifikatet som ska återkallas (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Varför (skrivs i loggen).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Senaste signerade kontrollpunkten, ordagrant.
    Checkpoint,
    /// Loggens verifieringsnyckel (C2SP).
    PublicKey,
    /// En loggpost (dess JSON-byte).
    Entry { index: u64 },
    /// Inklusionsbevis för loggpost INDEX.
    Proof {
        /// Loggpostens index, från 0.
        index: u64,
        /// Trädets storlek (standard: senaste kontrollpunkten).
        #[arg(long)]
        tree_size: Option<u64>,
    },
    /// Konsistensbevis mellan två trädstorlekar.
    Consistency { old_size: u64, new_size: u64 },
}

// The doc comment of `UserCommand::Add` is its help text; this struct has none of its own.
#[derive(Args, Debug)]
pub struct AddUserArgs {
    /// Godkännarens namn, som i blocket (CN).
    #[arg(long)]
    pub name: String,
    /// Godkännarens roll, som i blocket (title).
    #[arg(long)]
    pub role: String,
    /// Katalog för key.pem och cert.pem.
    #[arg(long)]
    pub out: PathBuf,
    /// Certifiera denna befintliga PKCS#8-nyckel (Ed25519 eller ECDSA P-256) i stället för att skapa en.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Giltighet i dagar.
    #[arg(long, default_value_t = 730)]
    pub days: i64,
    /// Bekräfta att namnet tillhör en annan person än den befintliga innehavare vars namn det liknar (skrivs i loggen).
    #[arg(long)]
    pub confirm_lookalike: bool,
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
}

/// Where a key file's passphrase comes from when it is not asked on the
/// terminal (for scripts).
#[derive(Args, Debug, Clone, Default)]
pub struct PassphraseArgs {
    /// Läs nyckelfilens lösenfras från denna fil (första raden) i stället för att fråga i terminalen.
    #[arg(long, value_name = "FIL", env = "ATTESTERA_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Läs nyckelfilens lösenfras från denna miljövariabel (går före --passphrase-file).
    #[arg(long, value_name = "VARIABEL")]
    pub passphrase_env: Option<String>,
}

/// The token roles as the command line spells them (the service's `Role`
/// knows nothing of clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Registrar,
    Approver,
    Auditor,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Registrar => Role::Registrar,
            RoleArg::Approver => Role::Approver,
            RoleArg::Auditor => Role::Auditor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn the_command_line_spells_each_role_as_the_service_does() {
        for r in RoleArg::value_variants() {
            let spelled = r.to_possible_value().unwrap();
            assert_eq!(spelled.get_name(), Role::from(*r).as_str());
            assert_eq!(Role::parse(spelled.get_name()), Some(Role::from(*r)));
        }
        assert_eq!(RoleArg::value_variants().len(), 4);
    }
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Uppdatera databasens schema till denna version av attestera (görs också vid varje start).
    Migrate,
    /// Flytta loggen till en tom PostgreSQL-databas: poster och kontrollpunkter oförändrade, inloggningskoder, ansökningar och sparade filer; datakatalogen använder sedan den.
    Copy {
        /// Måldatabasen (postgres://…), tom.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}
