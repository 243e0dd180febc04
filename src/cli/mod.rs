//! The `attestera` command line: parses arguments, calls the service, and
//! prints Swedish text for people or JSON (`--json`) for machines.
//!
//! Exit codes: 0 done/verified; 1 refused, not verified, or audit found
//! problems; 2 could not be carried out (bad input file, no data directory,
//! storage error). Usage errors are 2 (clap).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

/// Like `print!`, but a reader that went away (`attestera verify f | head -1`)
/// ends the process as it ends the Unix tools, instead of with a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// Like `println!`; see `out!`.
macro_rules! outln {
    () => {
        out!("\n")
    };
    ($($arg:tt)*) => {
        out!("{}\n", format_args!($($arg)*))
    };
}

mod remote;

/// Writes to standard output. A closed pipe ends the process with status
/// 141 (128 + SIGPIPE, what a shell shows for a tool killed by SIGPIPE);
/// any other failure is reported, with exit code 2.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("attestera: kunde inte skriva utdata: {e} [io_error]");
            std::process::exit(2);
        }
        std::process::exit(141);
    }
}
use serde::Serialize;

use crate::service::datadir::ExistingKeys;
use crate::service::{DataDir, Service, ServiceError};
use attestera_core::document::canonical;
use attestera_core::verdict::{Severity, Status, Verdict};

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
    if std::env::args().any(|a| a == "--json") {
        print_json(&ErrorBody {
            error: ErrorDetail {
                code: "usage_error",
                message: message.clone(),
            },
        });
    }
    eprintln!("attestera: {} [usage_error]", shown(&message));
    std::process::exit(2);
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Skapa datakatalogen: databas, organisationens CA och loggens nyckel.
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
        /// Din privata nyckel (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Ditt certifikat från organisationens CA (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Fråga inte om bekräftelse (frågan ställs bara i en terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Skriv ut attesteringsblocket för dokumentets godkännanden.
    Block { file: PathBuf },
    /// Ta över ett historiskt dokument som redan har ett block.
    Import { file: PathBuf },
    /// Verifiera ett dokument och dess block mot loggen (slutkod 0 verifierat, 1 inte, 2 kunde inte kontrolleras).
    Verify { file: PathBuf },
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
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Skapa en token; den visas en gång och bara dess hash sparas.
    Create {
        /// Vad token får göra.
        #[arg(long, value_enum)]
        role: crate::service::access::Role,
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
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Skapa nyckelpar och certifikat åt en godkännare.
    Add {
        /// Godkännarens namn, som i blocket (CN).
        #[arg(long)]
        name: String,
        /// Godkännarens roll, som i blocket (title).
        #[arg(long)]
        role: String,
        /// Katalog för key.pem och cert.pem.
        #[arg(long)]
        out: PathBuf,
        /// Certifiera denna befintliga PKCS#8-nyckel (Ed25519 eller ECDSA P-256) i stället för att skapa en.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Giltighet i dagar.
        #[arg(long, default_value_t = 730)]
        days: i64,
        /// Bekräfta att namnet tillhör en annan person än den befintliga innehavare vars namn det liknar (skrivs i loggen).
        #[arg(long)]
        confirm_lookalike: bool,
    },
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

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}
#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

/// A failed command: stable code, Swedish message, exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub exit: i32,
}

impl Failure {
    pub fn new(code: &str, message: impl Into<String>, exit: i32) -> Failure {
        Failure {
            code: code.into(),
            message: message.into(),
            exit,
        }
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Failure {
        Failure {
            code: e.code().into(),
            message: e.to_string(),
            exit: e.exit_code(),
        }
    }
}

impl From<crate::client::ClientError> for Failure {
    fn from(e: crate::client::ClientError) -> Failure {
        Failure {
            code: e.code(),
            message: e.to_string(),
            exit: e.exit_code(),
        }
    }
}

/// Shows the approver what they are about to sign and, on a terminal
/// without `--yes`, asks for confirmation.
pub(crate) fn confirm(
    d: &attestera_core::rules::DocumentRow,
    statement: &attestera_core::statement::Statement,
    yes: bool,
    json: bool,
) -> Result<(), ServiceError> {
    if !json || !yes {
        eprintln!("Du godkänner:");
        eprintln!(
            "  Titel:      {}",
            shown(d.title.as_deref().unwrap_or("(okänd)"))
        );
        eprintln!(
            "  Dnr:        {}",
            shown(d.dnr.as_deref().unwrap_or("(okänt)"))
        );
        eprintln!("  Dokument:   {}", d.text_sha256);
        eprintln!(
            "  Som:        {}, {}",
            shown(&statement.name),
            shown(&statement.role)
        );
    }
    // Only a person at a terminal can answer; a script that runs `approve`
    // with the approver's own key has already decided (the summary above
    // still goes to its log).
    if yes || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("Godkänn? [j/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(
        answer.trim().to_lowercase().as_str(),
        "j" | "ja" | "y" | "yes"
    ) {
        Ok(())
    } else {
        Err(ServiceError::Cancelled)
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, ServiceError> {
    std::fs::read(path).map_err(|source| ServiceError::Io {
        action: "läsa",
        path: path.to_path_buf(),
        source,
    })
}

fn read_text_file(path: &Path) -> Result<String, ServiceError> {
    std::fs::read_to_string(path).map_err(|source| ServiceError::Io {
        action: "läsa",
        path: path.to_path_buf(),
        source,
    })
}

/// JSON on stdout, with the control characters JSON leaves raw escaped.
fn print_json<T: Serialize>(value: &T) {
    outln!(
        "{}",
        attestera_core::printable::json(&serde_json::to_string_pretty(value).unwrap_or_default())
    );
}

/// Text from a document, the database or a server, as it may be printed for people.
pub(crate) fn shown(text: &str) -> String {
    attestera_core::printable::line(text)
}

fn operator(cli: &Cli) -> String {
    cli.operator
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "okänd".into())
}

/// Runs the command line and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    // `canonical` reads only the file: it needs neither a server nor a data directory.
    let result = match &cli.server {
        Some(server) if !matches!(cli.command, Command::Canonical { .. }) => {
            remote::run(&cli, server).await
        }
        _ => execute(&cli).await.map_err(Failure::from),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if cli.json {
                print_json(&ErrorBody {
                    error: ErrorDetail {
                        code: &e.code,
                        message: e.message.clone(),
                    },
                });
            }
            eprintln!("attestera: {} [{}]", shown(&e.message), shown(&e.code));
            e.exit
        }
    }
}

async fn execute(cli: &Cli) -> Result<i32, ServiceError> {
    let dir = DataDir::new(&cli.data_dir);
    match &cli.command {
        Command::Init(a) => {
            let keys = ExistingKeys {
                ca_cert: a.ca_cert.clone(),
                ca_key: a.ca_key.clone(),
                log_key: a.log_signing_key.clone(),
            };
            let r = dir
                .init(a.org.as_deref(), a.origin.as_deref(), &keys)
                .await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Skapade {} för {}.",
                    shown(&r.data_dir.display().to_string()),
                    shown(&r.org)
                );
                outln!("Loggens ursprung: {}", shown(&r.origin));
                outln!("Loggens publika nyckel: {}", r.log_public_key);
                outln!(
                    "CA-certifikatets fingeravtryck (SHA-256): {}",
                    r.ca_fingerprint
                );
            }
            return Ok(0);
        }
        Command::Canonical { file } => {
            let doc = crate::service::read_document(&read_file(file)?)?;
            let canon = canonical::canonical_text(&doc.text);
            if cli.json {
                print_json(&serde_json::json!({
                    "version": canonical::CANONICAL_VERSION,
                    "text_sha256": doc.text_sha256,
                    "canonical_text": canon,
                }));
            } else {
                // Exactly the canonical bytes, no trailing newline: `| sha256sum` gives text_sha256.
                eprintln!("Kanonisk text {}", canonical::CANONICAL_VERSION);
                let mut out = std::io::stdout();
                let _ = out.write_all(canon.as_bytes()).and_then(|_| out.flush());
            }
            return Ok(0);
        }
        _ => {}
    }

    if matches!(cli.command, Command::Serve(_)) && !dir.config_path().exists() {
        // The service's main job on the embedded default: set up on first start.
        let r = dir.init(None, None, &ExistingKeys::default()).await?;
        eprintln!(
            "Skapade en ny datakatalog {} (organisation {}, loggnyckel {}).",
            shown(&r.data_dir.display().to_string()),
            shown(&r.org),
            r.log_public_key
        );
    }
    let service = Service::open(dir).await?;
    if let Command::Serve(a) = &cli.command {
        let config = crate::http::HttpConfig {
            body_limit: a.body_limit_mib.saturating_mul(1024 * 1024),
            public_reads: !a.closed_reads,
            request_timeout: std::time::Duration::from_secs(a.timeout_secs),
            header_timeout: std::time::Duration::from_secs(a.header_timeout_secs),
            body_timeout: std::time::Duration::from_secs(a.body_timeout_secs),
            max_connections: usize::try_from(a.max_connections).unwrap_or(usize::MAX),
            write_timeout: std::time::Duration::from_secs(a.write_timeout_secs),
        };
        let service = std::sync::Arc::new(service);
        crate::http::serve(service.clone(), a.listen, config)
            .await
            .map_err(|source| ServiceError::Io {
                action: "lyssna på",
                path: PathBuf::from(a.listen.to_string()),
                source,
            })?;
        if let Some(s) = std::sync::Arc::into_inner(service) {
            s.close().await;
        }
        return Ok(0);
    }
    let result = with_service(cli, &service).await;
    service.close().await;
    result
}

async fn with_service(cli: &Cli, s: &Service) -> Result<i32, ServiceError> {
    let op = operator(cli);
    match &cli.command {
        Command::Init(_) | Command::Canonical { .. } | Command::Serve(_) => {
            return unreachable_command();
        }
        Command::Token(TokenCommand::Create { role, name }) => {
            let t = s.create_token(name, *role).await?;
            if cli.json {
                print_json(&t);
            } else {
                outln!(
                    "Token {} för {} ({}) – visas bara nu, spara den säkert:",
                    t.id,
                    shown(&t.name),
                    t.role.as_str()
                );
                outln!("{}", t.token);
            }
        }
        Command::Token(TokenCommand::List) => {
            let tokens = s.tokens().await?;
            if cli.json {
                print_json(&tokens);
            } else {
                for t in tokens {
                    let state = t
                        .revoked_at
                        .map(|r| format!("återkallad {}", shown(&r)))
                        .unwrap_or_else(|| "aktiv".into());
                    outln!(
                        "{}\t{}\t{}\t{}\t{state}",
                        t.id,
                        shown(&t.role),
                        shown(&t.name),
                        shown(&t.created_at)
                    );
                }
            }
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            s.revoke_token(*id).await?;
            if cli.json {
                print_json(&serde_json::json!({ "revoked": id }));
            } else {
                outln!("Token {id} är återkallad.");
            }
        }
        Command::Ca => {
            if cli.json {
                print_json(&serde_json::json!({ "certificate": s.ca_pem() }));
            } else {
                out!("{}", s.ca_pem());
            }
        }
        Command::User(UserCommand::Add {
            name,
            role,
            out,
            key,
            days,
            confirm_lookalike,
        }) => {
            let r = s
                .add_user(
                    name,
                    role,
                    out,
                    key.as_deref(),
                    *days,
                    &op,
                    *confirm_lookalike,
                )
                .await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Utfärdade certifikat för {}, {} (loggpost {}).",
                    shown(&r.name),
                    shown(&r.role),
                    r.log_index
                );
                if let Some(k) = &r.key_path {
                    outln!(
                        "Privat nyckel: {} (endast för {}, behörighet 0600)",
                        shown(&k.display().to_string()),
                        shown(&r.name)
                    );
                }
                outln!("Certifikat: {}", shown(&r.cert_path.display().to_string()));
                if !r.lookalike_of.is_empty() {
                    outln!(
                        "Bekräftat i loggen: namnet liknar {}, men är en annan person.",
                        r.lookalike_of
                            .iter()
                            .map(|n| format!("”{}”", shown(n)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                outln!(
                    "Giltigt till: {}",
                    attestera_core::stockholm::date_of(r.not_after)
                );
                outln!("Fingeravtryck (SHA-256): {}", r.fingerprint);
            }
        }
        Command::User(UserCommand::Revoke { cert, reason }) => {
            let r = s.revoke(&read_text_file(cert)?, reason, &op).await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Certifikatet {} är återkallat från och med {} (loggpost {}).",
                    r.fingerprint,
                    r.revoked_at,
                    r.log_index
                );
            }
        }
        Command::Register { file } => {
            let r = s.register(&read_file(file)?, &op).await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!("Registrerade dokumentet (loggpost {}).", r.log_index);
                print_metadata(&r.metadata);
                outln!("Id (kanonisk text, SHA-256): {}", r.text_sha256);
                outln!("Filens SHA-256:              {}", r.file_sha256);
            }
        }
        Command::Approve {
            file,
            key,
            cert,
            yes,
        } => {
            let key_pem = zeroize::Zeroizing::new(read_text_file(key)?);
            let draft = s
                .draft_approval(&read_file(file)?, &key_pem, &read_text_file(cert)?)
                .await?;
            confirm(&draft.document, &draft.statement, *yes, cli.json)?;
            let r = s.sign_and_submit(draft).await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Godkänt av {}, {} den {} (loggpost {}).",
                    shown(&r.name),
                    shown(&r.role),
                    r.date,
                    r.log_index
                );
            }
        }
        Command::Block { file } => {
            let block = s.block(&read_file(file)?).await?;
            if cli.json {
                print_json(&serde_json::json!({ "block": block }));
            } else {
                out!("{}", attestera_core::printable::lines(&block));
            }
        }
        Command::Import { file } => {
            let r = s.import(&read_file(file)?, &op).await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Importerade dokumentet (loggpost {}).",
                    r.registered.log_index
                );
                print_metadata(&r.registered.metadata);
                for a in &r.approvals {
                    outln!(
                        "  Överfört godkännande: {}, {} {} (loggpost {})",
                        shown(&a.name),
                        shown(&a.role),
                        a.date,
                        a.log_index
                    );
                }
                outln!(
                    "Godkännandena är överförda från arkivet av {}; de är inte signerade av godkännarna.",
                    shown(&op)
                );
            }
        }
        Command::Verify { file } => {
            let v = s.verify(&read_file(file)?).await?;
            if cli.json {
                print_json(&v);
            } else {
                print_verdict(&v);
            }
            return Ok(v.status.exit_code());
        }
        Command::Audit => {
            let r = s.audit().await?;
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Granskade {} loggposter, {} kontrollpunkter, {} dokument, {} godkännanden, {} certifikat.",
                    r.entries,
                    r.checkpoints,
                    r.documents,
                    r.approvals,
                    r.certificates
                );
                if r.ok {
                    outln!("Allt stämmer: loggen är obruten och tabellerna följer av den.");
                } else {
                    outln!("{} fel hittades:", r.problems.len());
                    for p in &r.problems {
                        outln!("  [{}] {}", p.code, shown(&p.message));
                    }
                }
            }
            return Ok(if r.ok { 0 } else { 1 });
        }
        Command::Log(cmd) => log_command(cli, s, cmd).await?,
    }
    Ok(0)
}

fn unreachable_command() -> Result<i32, ServiceError> {
    Err(ServiceError::CommandWithoutService)
}

async fn log_command(cli: &Cli, s: &Service, cmd: &LogCommand) -> Result<(), ServiceError> {
    match cmd {
        LogCommand::Checkpoint => {
            let (size, note) = s.checkpoint().await?;
            if cli.json {
                print_json(&serde_json::json!({ "tree_size": size, "note": note }));
            } else {
                out!("{}", attestera_core::printable::lines(&note));
            }
        }
        LogCommand::PublicKey => {
            if cli.json {
                print_json(
                    &serde_json::json!({ "public_key": s.public_key(), "origin": s.config.origin }),
                );
            } else {
                outln!("{}", s.public_key());
            }
        }
        LogCommand::Entry { index } => {
            let (bytes, entry) = s.entry(*index).await?;
            if cli.json {
                let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                print_json(
                    &serde_json::json!({ "index": index, "leaf_hash": attestera_core::tlog::to_base64(&attestera_core::tlog::record_hash(&bytes)), "entry": value }),
                );
            } else {
                outln!(
                    "Loggpost {index} ({}, {}):",
                    entry.body.kind(),
                    entry.logged_at
                );
                outln!(
                    "{}",
                    attestera_core::printable::json(&String::from_utf8_lossy(&bytes))
                );
            }
        }
        LogCommand::Proof { index, tree_size } => {
            print_json(&s.inclusion_proof(*index, *tree_size).await?)
        }
        LogCommand::Consistency { old_size, new_size } => {
            print_json(&s.consistency_proof(*old_size, *new_size).await?)
        }
    }
    Ok(())
}

fn print_metadata(m: &attestera_core::document::metadata::Metadata) {
    if let Some(t) = &m.title {
        outln!("Titel: {}", shown(t));
    }
    if let Some(d) = &m.dnr {
        outln!("Dnr: {}", shown(d));
    }
    if let Some(n) = &m.namnd {
        outln!("Nämnd: {}", shown(n));
    }
    if let Some(d) = &m.date {
        outln!("Datum: {d}");
    }
    if let Some(h) = &m.handlaggare {
        outln!("Handläggare: {}", shown(h));
    }
}

fn severity_sv(s: Severity) -> &'static str {
    match s {
        Severity::Error => "FEL",
        Severity::Warning => "VARNING",
        Severity::Notice => "notis",
    }
}

fn print_verdict(v: &Verdict) {
    let headline = match v.status {
        Status::Verified => "VERIFIERAT: dokumentet och blocket stämmer med loggen.",
        Status::Failed => "EJ VERIFIERAT: dokumentet eller blocket stämmer inte med loggen.",
        Status::Indeterminate => "KAN INTE KONTROLLERAS: dokumentet kunde inte läsas som text.",
    };
    outln!("{headline}");
    if let Some(t) = &v.document.title {
        outln!(
            "Dokument: {}{}",
            shown(t),
            v.document
                .dnr
                .as_deref()
                .map(|d| format!(" (dnr {})", shown(d)))
                .unwrap_or_default()
        );
    }
    if let Some(digest) = v.document.text_sha256 {
        outln!("Kanonisk text SHA-256: {digest}");
    }
    for f in &v.findings {
        outln!(
            "  [{}] {} ({})",
            severity_sv(f.severity),
            shown(&f.message),
            f.code
        );
    }
    for a in &v.approvals {
        // The indication is of the approval itself; whether the block shows it is said apart.
        let ok = match (a.indication, a.in_block) {
            (attestera_core::verdict::Indication::TotalPassed, Some(false)) => {
                "giltigt, men visas inte i blocket"
            }
            (attestera_core::verdict::Indication::TotalPassed, _) => "giltigt",
            (attestera_core::verdict::Indication::TotalFailed, _) => "ogiltigt",
            (attestera_core::verdict::Indication::Indeterminate, _) => "obestämt",
        };
        outln!(
            "{}, {} {} – {ok} (loggpost {})",
            shown(&a.name),
            shown(&a.role),
            a.date,
            a.log_index
        );
        for f in &a.findings {
            outln!(
                "    [{}] {} ({})",
                severity_sv(f.severity),
                shown(&f.message),
                f.code
            );
        }
    }
}
