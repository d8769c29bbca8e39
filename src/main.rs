//! The `zkmnist` command line: parses the arguments (`cli::args`) and runs the command
//! (`cli::*`).

mod cli;

use clap::Parser;
use cli::args::{Cli, Command, SrsCommand};
use cli::{CliResult, model, proofs, serve, setup};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`| head`) is not an error of ours.
        Err(e) if is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        // Already reported on stdout (a `--json` verdict that is not valid).
        Err(e) if e.downcast_ref::<proofs::Reported>().is_some() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Predict { image, model } => model::predict(&image, model::load(model.as_deref())?),
        Command::Eval {
            images,
            labels,
            model,
        } => model::eval(&images, &labels, model::load(model.as_deref())?),
        Command::Train {
            seed,
            out,
            data,
            epochs,
        } => model::train(seed, &out, &data, epochs),
        Command::ExportIdx { data, split, out } => model::export_idx(&data, split.into(), &out),
        Command::Info { model } => model::info(&model::load(model.as_deref())?),
        Command::Srs {
            command: SrsCommand::Import { ptau, k, out },
        } => setup::srs_import(&ptau, k, &out),
        Command::Setup {
            srs,
            out,
            pin,
            if_needed,
        } => {
            if if_needed && setup::current(&out)? {
                return Ok(());
            }
            setup::setup(srs.as_deref(), &out, pin)
        }
        Command::Prove {
            image,
            context,
            out,
            opening,
            keys,
        } => proofs::prove(&image, &context, &out, opening.as_deref(), &keys),
        Command::Verify { proof, keys, json } => proofs::verify(&proof, &keys, json),
        Command::Open { proof, opening } => proofs::open(&proof, &opening),
        Command::ExportVerifier { out, keys } => proofs::export_verifier(&out, &keys),
        Command::VerifyEvm { proof, artifacts } => proofs::verify_evm(&proof, artifacts.as_deref()),
        Command::Serve {
            port,
            host,
            keys,
            log,
            chain,
        } => serve::serve(&host, port, &keys, log.as_deref(), chain.as_deref()),
    }
}
