//! `kvalreg report indicators`: the register's quality indicators as the machine-readable
//! JSON of issue 4, computed from the database's complete and locked registrations.

use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use kvalreg_app::indicators::{Granularity, IndicatorColumns};
use kvalreg_core::time::{oslo_date, parse_date};
use kvalreg_core::value::Moment;

use crate::options::{Global, open_platform};

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Quality indicators per hospital, health trust, health region and nation
    Indicators(IndicatorsArgs),
    /// Coverage against the patient register's stroke admissions, per hospital and year
    Coverage(crate::quality::CoverageArgs),
    /// ESO Angels award status per hospital and quarter of a year
    Awards(crate::quality::AwardsArgs),
}

#[derive(Args)]
pub struct IndicatorsArgs {
    /// The register (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// The report date, YYYY-MM-DD: later registrations are not counted [default: today in Europe/Oslo]
    #[arg(long, value_parser = read_date)]
    pub as_of: Option<Date>,
    /// How finely results are split in time
    #[arg(long, value_enum, default_value = "year")]
    pub period: Period,
    /// The output format
    #[arg(long, value_enum, default_value = "json")]
    pub format: ReportFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Period {
    Year,
    Quarter,
    Month,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Json,
}

impl From<Period> for Granularity {
    fn from(period: Period) -> Granularity {
        match period {
            Period::Year => Granularity::Year,
            Period::Quarter => Granularity::Quarter,
            Period::Month => Granularity::Month,
        }
    }
}

pub async fn run(global: &Global, command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Indicators(args) => indicators(global, args).await,
        ReportCommand::Coverage(args) => crate::quality::coverage(global, args).await,
        ReportCommand::Awards(args) => crate::quality::awards(global, args).await,
    }
}

async fn indicators(global: &Global, args: IndicatorsArgs) -> anyhow::Result<()> {
    let platform = Arc::new(open_platform(global).await?);
    platform.register(&args.register)?;
    let as_of = args.as_of.unwrap_or_else(|| oslo_date(&Moment::At(Timestamp::now())));
    let columns = IndicatorColumns::load(platform)
        .await
        .context("cannot read the registrations for the indicators")?;
    let report = columns
        .report(&args.register, as_of, args.period.into(), None)
        .await
        .context("cannot compute the indicators")?;
    let ReportFormat::Json = args.format;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &report).context("cannot write the report")?;
    writeln!(stdout).context("cannot write the report")?;
    Ok(())
}

fn read_date(text: &str) -> Result<Date, String> {
    parse_date(text).map_err(|e| e.message_en)
}
