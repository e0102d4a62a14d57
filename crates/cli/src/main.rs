//! The `kvalreg` binary: one program for the web app and every operator command, so an
//! installation is one file plus a data directory and the register folders.

mod backup;
mod definitions;
mod hospitals;
mod insight;
mod options;
mod privacy;
mod quality;
mod report;
mod research;
mod serve;
mod transfer;
mod users;

use std::process::ExitCode;

use clap::Parser as _;

use crate::options::{
    AuditCommand, Cli, Command, DefinitionsCommand, HospitalsCommand, InsightCommand, KeysCommand, ReservationCommand,
    TokenCommand, UserCommand,
};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Log lines go to stderr (stdout carries command output), quiet unless RUST_LOG says more.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Init => serve::init(&global).await.map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => serve::serve(&global, args).await.map(|()| ExitCode::SUCCESS),
        Command::Import(args) => transfer::import(&global, args).await.map(|()| ExitCode::SUCCESS),
        Command::Export(args) => transfer::export(&global, args).await.map(|()| ExitCode::SUCCESS),
        Command::Definitions { command } => match command {
            DefinitionsCommand::Check { dir } => Ok(definitions::check(&dir)),
            DefinitionsCommand::Codebook { dir } => definitions::codebook(&dir),
        },
        Command::Hospitals { command } => match command {
            HospitalsCommand::List => hospitals::list(&global).await.map(|()| ExitCode::SUCCESS),
            HospitalsCommand::Import { file } => hospitals::import(&global, &file).await.map(|()| ExitCode::SUCCESS),
        },
        Command::Audit { command } => match command {
            AuditCommand::Verify { anchors } => privacy::verify(&global, anchors.as_deref()).await,
            AuditCommand::Anchor { append } => privacy::anchor(&global, &append).await.map(|()| ExitCode::SUCCESS),
        },
        Command::Reservation { command } => match command {
            ReservationCommand::Add(args) => privacy::add(&global, args).await.map(|()| ExitCode::SUCCESS),
            ReservationCommand::Withdraw(args) => privacy::withdraw(&global, args).await,
        },
        Command::Insight {
            command: InsightCommand::IssueCode(args),
        } => insight::issue_code(&global, args).await.map(|()| ExitCode::SUCCESS),
        Command::Report { command } => report::run(&global, command).await.map(|()| ExitCode::SUCCESS),
        Command::Research { command } => research::run(&global, command).await.map(|()| ExitCode::SUCCESS),
        Command::Backup(args) => backup::backup(&global, args).await.map(|()| ExitCode::SUCCESS),
        Command::Restore(args) => backup::restore(&global, args).await.map(|()| ExitCode::SUCCESS),
        Command::User { command } => match command {
            UserCommand::Add(args) => users::add(&global, args).await,
            UserCommand::List => users::list(&global).await,
            UserCommand::Disable { name, actor } => users::disable(&global, &name, &actor).await,
            UserCommand::ResetSecondFactor { name, actor } => users::reset_second_factor(&global, &name, &actor).await,
        }
        .map(|()| ExitCode::SUCCESS),
        Command::Keys {
            command: KeysCommand::Rotate { actor },
        } => serve::rotate_keys(&global, &actor).await.map(|()| ExitCode::SUCCESS),
        Command::Token { command } => match command {
            TokenCommand::Add { name, grant, actor } => users::add_token(&global, &name, &grant, &actor).await,
            TokenCommand::List => users::list_tokens(&global).await,
            TokenCommand::Revoke { name, actor } => users::revoke_token(&global, &name, &actor).await,
        }
        .map(|()| ExitCode::SUCCESS),
    }
}
