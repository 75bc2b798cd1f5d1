use std::io::IsTerminal;
use std::process::ExitCode;

use sockeye::cmd::args::Command;
use sockeye::config::DockerEnv;

/// jemalloc, with its background thread purging freed pages (after `dirty_decay_ms`, 10 s by
/// default): glibc's malloc kept the memory of every burst of connections (RSS 158 → 253 MB
/// over 8 rounds of 5,000 clients, never lower, with or without MALLOC_ARENA_MAX=1 and a trim
/// threshold; mimalloc did the same at 51 KiB per idle client; docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Without it jemalloc purges only when it is called, and an idle relay is not.
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    let cli = sockeye::cmd::parse(std::env::args_os());
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
        // Escape codes belong on a terminal, not in a log file (`2>log`), nor anywhere NO_COLOR
        // is set (no-color.org).
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_target(false)
        .without_time()
        .init();
    let docker_env = DockerEnv::from_vars(std::env::vars());
    let result = match cli.command {
        Command::Proxy(args) => args.build(docker_env).and_then(sockeye::proxy).map(|()| 0),
        Command::DropIn(args) => {
            let env: Vec<(String, String)> = std::env::vars().collect();
            sockeye::cmd::dropin::build(args, &env)
                .and_then(sockeye::proxy)
                .map(|()| 0)
        }
        Command::Certs(cmd) => sockeye::cmd::certs::run(cmd).map(|()| 0),
        Command::Trace(args) => tokio::runtime::Runtime::new()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
            .and_then(|rt| rt.block_on(sockeye::cmd::trace::run(*args, docker_env))),
        Command::Policy(cmd) => Ok(sockeye::cmd::policy::run(cmd)),
        Command::Audit(args) => Ok(sockeye::cmd::audit::run(args)),
        Command::Health(args) => sockeye::cmd::health::run(&args),
        Command::Ui(args) => sockeye::cmd::ui::run(args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("sockeye: {e}");
            ExitCode::FAILURE
        }
    }
}
