//! The `attestera` binary: a thin shell over the library.

use tracing_subscriber::EnvFilter;

fn main() {
    // The PDF helper process (src/pdf/helper.rs): started by attestera
    // itself, under resource limits, before anything else is set up.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "pdf-helper")
    {
        std::process::exit(attestera::pdf::helper::main());
    }
    let cli = attestera::cli::Cli::parse_swedish();
    // Diagnostics go to stderr. `serve` logs requests at info by default;
    // other commands only warnings. ATTESTERA_LOG overrides (env-filter
    // syntax), ATTESTERA_LOG_FORMAT=json gives one JSON object per line.
    // PostgreSQL's notices (a migration table that exists, at every start)
    // are not news.
    let default = if matches!(cli.command, attestera::cli::Command::Serve(_)) {
        "info,sqlx::postgres::notice=warn"
    } else {
        "warn"
    };
    let filter =
        EnvFilter::try_from_env("ATTESTERA_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if std::env::var("ATTESTERA_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("attestera: kunde inte starta: {e}");
            std::process::exit(2);
        }
    };
    let code = runtime.block_on(attestera::cli::run(cli));
    std::process::exit(code);
}
