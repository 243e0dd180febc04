//! The `attestera` binary: a thin shell over the library.

use clap::Parser;

fn main() {
    let cli = attestera::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("ATTESTERA_LOG"))
        .with_writer(std::io::stderr)
        .init();
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
