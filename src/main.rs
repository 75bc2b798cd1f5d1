use std::process::ExitCode;

use clap::Parser;
use sockeye::cmd::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SOCKEYE_LOG")
                .unwrap_or_else(|_| "sockeye=info".into()),
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
