//! `kvalreg report indicators`: the register's quality indicators as the machine-readable
//! JSON of issue 4, computed from the database's complete and locked registrations; and
//! `kvalreg report annual`: the annual report as PDF and HTML files.

use std::io::Write as _;
use std::path::PathBuf;
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
    /// The annual report (årsrapport) of a year as REGISTER-annual-YEAR.pdf and .html
    Annual(AnnualArgs),
}

#[derive(Args)]
pub struct AnnualArgs {
    /// The register (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// The year reported (year of arrival, Europe/Oslo)
    #[arg(long, value_parser = clap::value_parser!(i16).range(1900..=9999))]
    pub year: i16,
    /// The folder the PDF and HTML files are written to (created if missing) [default: the current folder]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The patient register's stroke admissions (CSV with national_id,hospital,admission_date) for the coverage section
    #[arg(long)]
    pub patient_register: Option<PathBuf>,
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
        ReportCommand::Annual(args) => annual(global, args).await,
    }
}

async fn annual(global: &Global, args: AnnualArgs) -> anyhow::Result<()> {
    let admissions = match &args.patient_register {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?),
        None => None,
    };
    let platform = Arc::new(open_platform(global).await?);
    if platform.register(&args.register).is_err() {
        let known: Vec<&str> = platform.registers().map(|r| r.id.as_str()).collect();
        anyhow::bail!(
            "no register called `{}`; the registers are: {}",
            args.register,
            known.join(", ")
        );
    }
    let report = match kvalreg_report::gather(platform, &args.register, args.year, admissions.as_deref()).await {
        Err(kvalreg_report::ReportError::App(kvalreg_app::AppError::ImportRefused { problems, total_lines })) => {
            let path = args
                .patient_register
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display();
            let mut lines = vec![format!(
                "the patient register file {path} was refused: {} problem(s) in {total_lines} line(s)",
                problems.len()
            )];
            lines.extend(
                problems
                    .iter()
                    .map(|p| format!("line {}: {} ({}): {}", p.line, p.field, p.rule, p.message_en)),
            );
            anyhow::bail!(lines.join("\n"));
        }
        other => other.context("cannot gather the annual report")?,
    };
    let dir = args.out.unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let stem = format!("{}-annual-{}", args.register, args.year);
    let pdf = dir.join(format!("{stem}.pdf"));
    let html = dir.join(format!("{stem}.html"));
    std::fs::write(&pdf, report.pdf()).with_context(|| format!("cannot write {}", pdf.display()))?;
    std::fs::write(&html, report.html()).with_context(|| format!("cannot write {}", html.display()))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}\n{}", pdf.display(), html.display()).context("cannot write the file names")?;
    Ok(())
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
