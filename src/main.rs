use std::process::ExitCode;

use clap::Parser;
use sockeye::cmd::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A drop-in logs at the level its LOG_LEVEL names, as the images it stands in for do.
    let default_filter = match &cli.command {
        Command::DropIn(_) => {
            match sockeye::cmd::dropin::log_filter(std::env::var("LOG_LEVEL").ok().as_deref()) {
                Ok(filter) => filter,
                Err(e) => {
                    eprintln!("sockeye: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        _ => "sockeye=info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SOCKEYE_LOG")
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    let docker_host = std::env::var("DOCKER_HOST").ok();
    let result = match cli.command {
        Command::Proxy(args) => args
            .build(docker_host.as_deref())
            .and_then(sockeye::proxy)
            .map(|()| 0),
        Command::DropIn(args) => {
            let env: Vec<(String, String)> = std::env::vars().collect();
            sockeye::cmd::dropin::build(args, &env)
                .and_then(sockeye::proxy)
                .map(|()| 0)
        }
        Command::Certs(cmd) => sockeye::cmd::certs::run(cmd).map(|()| 0),
        Command::Trace(args) => tokio::runtime::Runtime::new()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
            .and_then(|rt| rt.block_on(sockeye::cmd::trace::run(args, docker_host.as_deref()))),
        Command::Policy(cmd) => Ok(sockeye::cmd::policy::run(cmd)),
        Command::Audit(args) => Ok(sockeye::cmd::audit::run(args)),
        Command::Health(args) => sockeye::cmd::health::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("sockeye: {e}");
            ExitCode::FAILURE
        }
    }
}
