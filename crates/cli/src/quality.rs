//! `kvalreg report coverage` and `kvalreg report awards`: coverage against the patient
//! register's admission list, and ESO Angels award status per hospital and quarter, as JSON
//! (docs/indicators.md, "Coverage" and "Awards").

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use kvalreg_app::awards::award_status;
use kvalreg_app::coverage::coverage_of;
use serde_json::json;

use crate::options::{Global, open_platform};

#[derive(Args)]
pub struct CoverageArgs {
    /// The register (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// The patient register's stroke admissions: CSV with national_id,hospital,admission_date
    #[arg(long)]
    pub patient_register: PathBuf,
    /// The output format
    #[arg(long, value_enum, default_value = "json")]
    pub format: QualityFormat,
}

#[derive(Args)]
pub struct AwardsArgs {
    /// The register (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// The year whose quarters are judged
    #[arg(long, value_parser = clap::value_parser!(i16).range(1900..=9999))]
    pub year: i16,
    /// The output format
    #[arg(long, value_enum, default_value = "json")]
    pub format: QualityFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum QualityFormat {
    Json,
}

pub async fn coverage(global: &Global, args: CoverageArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.patient_register)
        .with_context(|| format!("cannot read {}", args.patient_register.display()))?;
    let platform = open_platform(global).await?;
    let results = match coverage_of(&platform, &args.register, &text).await {
        Err(kvalreg_app::AppError::ImportRefused { problems, total_lines }) => {
            let mut lines = vec![format!(
                "the patient register file {} was refused: {} problem(s) in {total_lines} line(s)",
                args.patient_register.display(),
                problems.len()
            )];
            lines.extend(
                problems
                    .iter()
                    .map(|p| format!("line {}: {} ({}): {}", p.line, p.field, p.rule, p.message_en)),
            );
            anyhow::bail!(lines.join("\n"));
        }
        other => other.context("cannot compute coverage")?,
    };
    let QualityFormat::Json = args.format;
    print_json(&json!({"register": args.register, "results": results}))
}

pub async fn awards(global: &Global, args: AwardsArgs) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let as_of = Date::new(args.year, 12, 31).context("the year has no 31 December")?;
    let prefix = format!("{}-", args.year);
    let results: Vec<_> = award_status(&platform, &args.register, as_of)
        .await
        .context("cannot compute award status")?
        .into_iter()
        .filter(|r| r.period.starts_with(&prefix))
        .collect();
    let QualityFormat::Json = args.format;
    print_json(&json!({"register": args.register, "year": args.year, "results": results}))
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, value).context("cannot write the report")?;
    writeln!(stdout).context("cannot write the report")?;
    Ok(())
}
