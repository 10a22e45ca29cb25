//! The `prescreen` binary: parse, dispatch, map the outcome to an exit code
//! (0 all passed, 1 something rejected, 2 usage or internal error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("prescreen: {e:#}");
            ExitCode::from(2)
        }
    }
}
