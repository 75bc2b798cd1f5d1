//! Every subcommand's options checked and built as its run would build them, without running
//! it: nothing is bound, connected to, executed or written. What the property test
//! (tests/options.rs) drives with generated command lines, so that no input a person can type
//! reaches a panic on the way to a subcommand's real work.

use crate::cmd::args::{Command, PolicyCommand};
use crate::config::DockerEnv;
use crate::remember::audit::query::{CallerSpec, DecisionFilter};

/// Check `command` as its run would, in `env` (the docker CLI's variables) and `vars` (the
/// whole environment, for `drop-in`). `Ok` when the run would go on to its real work.
pub fn check(command: Command, env: DockerEnv, vars: &[(String, String)]) -> Result<(), String> {
    let now = crate::cmd::audit::now();
    match command {
        Command::Proxy(mut args) => {
            args.view = args.view.check()?;
            args.build(env).map(drop)
        }
        Command::DropIn(args) => crate::cmd::dropin::build(args, vars).map(drop),
        Command::Trace(args) => {
            args.upstream(env)?;
            args.exports()?;
            args.view.check()?;
            args.ui.addr()?;
            Ok(())
        }
        // Reading the files is the check itself; the address is checked first.
        Command::Ui(args) => args.ui.addr().map(drop),
        Command::Certs(cmd) => cmd.check(),
        Command::Health(args) => crate::cmd::health::check(&args),
        Command::Audit(args) => {
            args.time.parse(now)?;
            for c in &args.caller {
                CallerSpec::parse(c).map_err(|e| format!("--caller {e}"))?;
            }
            for d in &args.decision {
                DecisionFilter::parse(d).map_err(|e| format!("--decision: {e}"))?;
            }
            Ok(())
        }
        // Reading the file is the check itself.
        Command::Policy(PolicyCommand::Check { .. }) => Ok(()),
        Command::Policy(PolicyCommand::Explain(args)) => args.source.load_digested().map(drop),
        Command::Policy(PolicyCommand::Learn(args)) => {
            args.time.parse(now)?;
            if let Some(c) = &args.client {
                CallerSpec::parse(c).map_err(|e| format!("--client {e}"))?;
            }
            Ok(())
        }
    }
}
