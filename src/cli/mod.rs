//! The `attestera` command line: parses arguments ([`args`]), calls the
//! service through one module per group of commands, and prints each
//! result through the one printer ([`print`]): Swedish text for people or
//! JSON (`--json`) for machines.
//!
//! Exit codes: 0 done/verified; 1 refused, not verified, or audit found
//! problems; 2 could not be carried out (bad input file, no data directory,
//! storage error). Usage errors are 2 (clap).

/// Like `print!`, but a reader that went away (`attestera verify f | head -1`)
/// ends the process as it ends the Unix tools, instead of with a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::print::write_stdout(format_args!($($arg)*))
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

mod args;
mod certificates;
mod documents;
mod input;
mod log;
pub mod print;
mod remote;
mod setup;
mod tokens;
mod verification;

pub use args::{
    AddUserArgs, BenchArgs, BenchSizes, Cli, Command, DbCommand, InitArgs, LogCommand, RoleArg,
    ServeArgs, TokenCommand, UserCommand,
};
// What `remote` uses from here.
pub(crate) use documents::confirm;
pub(crate) use input::read_text_file;
pub(crate) use print::shown;

use crate::service::{DataDir, Service, ServiceError};
use print::Printer;

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

/// Runs the command line and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let printer = Printer::new(cli.json);
    // `canonical` reads only the file: it needs neither a server nor a data directory.
    let result = match &cli.server {
        Some(server) if !matches!(cli.command, Command::Canonical { .. }) => {
            remote::run(&cli, server).await
        }
        _ => execute(&cli, printer).await.map_err(Failure::from),
    };
    result.unwrap_or_else(|e| printer.failure(&e))
}

/// The data directory, with its log in PostgreSQL when `--database-url` says so.
fn data_dir(cli: &Cli) -> Result<DataDir, ServiceError> {
    let dir = DataDir::new(&cli.data_dir);
    match cli.database_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => postgres_dir(cli, dir, url),
        None => Ok(dir),
    }
}

/// `dir` with its log in the PostgreSQL database at `url`, pooled as the flags say.
fn postgres_dir(cli: &Cli, dir: DataDir, url: &str) -> Result<DataDir, ServiceError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(ServiceError::Range(
            "--database-url ska vara en PostgreSQL-adress som börjar med postgres://".into(),
        ));
    }
    let options = crate::store::postgres::PgOptions {
        max_connections: cli.db_max_connections.max(1),
        acquire_timeout: std::time::Duration::from_secs(cli.db_acquire_timeout_secs.max(1)),
        statement_timeout: std::time::Duration::from_secs(cli.db_statement_timeout_secs.max(1)),
    };
    Ok(dir.with_postgres(url, options))
}

/// The commands that need no open service, then those that do.
async fn execute(cli: &Cli, p: Printer) -> Result<i32, ServiceError> {
    let dir = data_dir(cli)?;
    match &cli.command {
        Command::Init(a) => Ok(p.print(&setup::init(cli, &dir, a).await?)),
        Command::Canonical { file } => Ok(p.print(&documents::canonical(file).await?)),
        Command::Serve(a) => setup::serve(cli, dir, a).await,
        Command::Bench(a) => Ok(bench(cli, dir, a, p).await),
        command => {
            let service = input::open_service(cli, dir).await?;
            let result = with_service(cli, p, &service, command).await;
            service.close().await;
            result
        }
    }
}

/// One line per command: call its module, print its result.
async fn with_service(
    cli: &Cli,
    p: Printer,
    s: &Service,
    command: &Command,
) -> Result<i32, ServiceError> {
    let op = || input::operator(cli);
    Ok(match command {
        Command::Ca => p.print(&certificates::ca(s)),
        Command::User(UserCommand::Add(a)) => p.print(&certificates::add_user(s, a, &op()).await?),
        Command::User(UserCommand::Revoke { cert, reason }) => {
            p.print(&certificates::revoke(s, cert, reason, &op()).await?)
        }
        Command::Register { file } => p.print(&documents::register(s, file, &op()).await?),
        Command::Approve {
            file,
            key,
            cert,
            yes,
            passphrase,
        } => {
            let signer = documents::Signer {
                key,
                cert,
                passphrase,
                yes: *yes,
                json: p.json,
            };
            p.print(&documents::approve(s, file, signer).await?)
        }
        Command::Block { file } => p.print(&documents::block(s, file).await?),
        Command::Attest { file, output } => p.print(&documents::attest(s, file, output).await?),
        Command::Import { file } => p.print(&documents::import(s, file, &op()).await?),
        Command::Verify { file, .. } => p.print(&verification::verify(s, file).await?),
        Command::Audit => p.print(&verification::audit(s).await?),
        Command::Log(cmd) => log_command(p, s, cmd).await?,
        Command::Token(cmd) => token_command(p, s, cmd).await?,
        // Opening the service applied every migration this binary has.
        Command::Db(DbCommand::Migrate) => p.print(&setup::migrated(s).await?),
        Command::Db(DbCommand::Copy { to }) => {
            let target = postgres_dir(cli, DataDir::new(&cli.data_dir), to)?;
            p.print(&setup::CopyReport(s.copy_to(&target).await?))
        }
        Command::Init(_) | Command::Canonical { .. } | Command::Serve(_) | Command::Bench(_) => {
            return Err(ServiceError::CommandWithoutService);
        }
    })
}

/// `bench`: the whole run on a temporary directory, or (hidden, for the
/// run's own child process) an import of the synthetic archive into `dir`.
async fn bench(cli: &Cli, dir: DataDir, a: &BenchArgs, p: Printer) -> i32 {
    let result = match a.import_count {
        Some(count) => bench_import(cli, dir, a.import_offset, count, p).await,
        None => bench_run(cli, a, p).await,
    };
    result.unwrap_or_else(|e| p.failure(&e))
}

async fn bench_run(cli: &Cli, a: &BenchArgs, p: Printer) -> Result<i32, Failure> {
    use crate::bench::Sizes;
    let sizes = match (a.sizes, a.quick) {
        (Some(BenchSizes::Tiny), _) => Sizes::TINY,
        (Some(BenchSizes::Quick), _) | (None, true) => Sizes::QUICK,
        (Some(BenchSizes::Full), _) | (None, false) => Sizes::FULL,
    };
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new("bench_failed", format!("programfilen hittas inte: {e}"), 2))?;
    let options = crate::bench::Options {
        sizes,
        database_url: cli.database_url.clone(),
        exe,
        only_writes: a.only_writes,
    };
    let report = crate::bench::run(&options).await.map_err(bench_failure)?;
    Ok(p.print(&report))
}

async fn bench_import(
    cli: &Cli,
    dir: DataDir,
    offset: u64,
    count: u64,
    p: Printer,
) -> Result<i32, Failure> {
    let service = std::sync::Arc::new(input::open_service(cli, dir).await?);
    let imported = crate::bench::archive::import(service.clone(), offset, count).await;
    if let Ok(s) = std::sync::Arc::try_unwrap(service) {
        s.close().await;
    }
    Ok(p.print(&imported.map_err(bench_failure)?))
}

fn bench_failure(e: crate::bench::BenchError) -> Failure {
    match e {
        crate::bench::BenchError::Service(e) => Failure::from(e),
        e => Failure::new("bench_failed", e.to_string(), 2),
    }
}

async fn log_command(p: Printer, s: &Service, cmd: &LogCommand) -> Result<i32, ServiceError> {
    Ok(match cmd {
        LogCommand::Checkpoint => p.print(&log::checkpoint(s).await?),
        LogCommand::PublicKey => p.print(&log::public_key(s)),
        LogCommand::Entry { index } => p.print(&log::entry(s, *index).await?),
        LogCommand::Proof { index, tree_size } => {
            p.print(&log::proof(s, *index, *tree_size).await?)
        }
        LogCommand::Consistency { old_size, new_size } => {
            p.print(&log::consistency(s, *old_size, *new_size).await?)
        }
    })
}

async fn token_command(p: Printer, s: &Service, cmd: &TokenCommand) -> Result<i32, ServiceError> {
    Ok(match cmd {
        TokenCommand::Create { role, name } => p.print(&tokens::create(s, *role, name).await?),
        TokenCommand::List => p.print(&tokens::list(s).await?),
        TokenCommand::Revoke { id } => p.print(&tokens::revoke(s, *id).await?),
    })
}
