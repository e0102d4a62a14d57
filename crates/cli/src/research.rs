//! `kvalreg research add-project | list | extract`: the register admin's side of research
//! deliveries (domain.md 6). The extract is pseudonymised per project, dates coarsened or
//! shifted, ages in bands where approved, and refused when a combination of
//! quasi-identifiers is shared by fewer than 5 persons.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;
use kvalreg_app::AppError;
use kvalreg_app::research::{ExtractFormat, NewProject};
use kvalreg_core::time::parse_date;
use kvalreg_store::DateHandling;

use crate::options::{Global, open_platform};

#[derive(Subcommand)]
pub enum ResearchCommand {
    /// Approve a research project: researcher, variables, period, approval reference
    AddProject(AddProjectArgs),
    /// Print every research project as CSV
    List,
    /// Write a project's extract and codebook into a folder
    Extract(ExtractArgs),
}

#[derive(Args)]
pub struct AddProjectArgs {
    /// The project id, e.g. P2026-01
    pub id: String,
    /// The register (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// The user name of the researcher (a user with the researcher role)
    #[arg(long)]
    pub researcher: String,
    /// The approved variables, comma separated (entered or derived; never the national id)
    #[arg(long, value_delimiter = ',', required = true)]
    pub variables: Vec<String>,
    /// First day of the period (period date, e.g. arrival), YYYY-MM-DD
    #[arg(long, value_parser = read_date)]
    pub from: Date,
    /// Last day of the period, YYYY-MM-DD
    #[arg(long, value_parser = read_date)]
    pub to: Date,
    /// The approval reference (e.g. the REK number)
    #[arg(long)]
    pub approval: String,
    /// How dates are shown: month (YYYY-MM) or shift (back 0-30 days, the same for one person)
    #[arg(long, value_enum, default_value = "month")]
    pub dates: Dates,
    /// Ages in bands (age_band) instead of years
    #[arg(long)]
    pub age_bands: bool,
    /// Who approves the project, for the audit log
    #[arg(long, default_value = "operator")]
    pub actor: String,
}

#[derive(Args)]
pub struct ExtractArgs {
    /// The project id
    pub id: String,
    /// The file format of the extract (the codebook is always CSV)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// The folder the files are written to (created if missing)
    #[arg(long)]
    pub output: PathBuf,
    /// Who delivers the extract, for the audit log
    #[arg(long, default_value = "operator")]
    pub actor: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Dates {
    Month,
    Shift,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
    Parquet,
}

fn read_date(text: &str) -> Result<Date, String> {
    parse_date(text).map_err(|e| e.message_en)
}

pub async fn run(global: &Global, command: ResearchCommand) -> anyhow::Result<()> {
    match command {
        ResearchCommand::AddProject(args) => add_project(global, args).await,
        ResearchCommand::List => list(global).await,
        ResearchCommand::Extract(args) => extract(global, args).await,
    }
}

async fn add_project(global: &Global, args: AddProjectArgs) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let new = NewProject {
        id: args.id,
        register: args.register,
        researcher: args.researcher,
        variables: args
            .variables
            .iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect(),
        period_from: args.from,
        period_to: args.to,
        approval: args.approval,
        date_handling: match args.dates {
            Dates::Month => DateHandling::Month,
            Dates::Shift => DateHandling::Shift,
        },
        age_bands: args.age_bands,
    };
    match platform.add_research_project(new, &args.actor).await {
        Ok(project) => {
            println!("research project {} added for {}", project.id, project.researcher);
            Ok(())
        }
        Err(AppError::ProjectRefused(findings)) => {
            let mut lines = vec![format!(
                "the research project was refused: {} problem(s)",
                findings.len()
            )];
            lines.extend(
                findings
                    .iter()
                    .map(|f| format!("{}: {}: {}", f.field, f.rule, f.message_en)),
            );
            anyhow::bail!(lines.join("\n"))
        }
        Err(other) => Err(other).context("cannot add the research project"),
    }
}

async fn list(global: &Global) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let projects = platform
        .research_projects()
        .await
        .context("cannot read the research projects")?;
    let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
    writer.write_record([
        "id",
        "register",
        "researcher",
        "variables",
        "from",
        "to",
        "approval",
        "dates",
        "age_bands",
        "created_by",
    ])?;
    for p in projects {
        writer.write_record([
            p.id,
            p.register,
            p.researcher,
            p.variables.join(","),
            p.period_from.to_string(),
            p.period_to.to_string(),
            p.approval,
            p.date_handling.name().to_owned(),
            p.age_bands.to_string(),
            p.created_by,
        ])?;
    }
    writer.flush()?;
    Ok(())
}

async fn extract(global: &Global, args: ExtractArgs) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let format = match args.format {
        Format::Csv => ExtractFormat::Csv,
        Format::Xlsx => ExtractFormat::Xlsx,
        Format::Parquet => ExtractFormat::Parquet,
    };
    let written = match platform
        .write_research_extract(&args.id, format, &args.output, &args.actor)
        .await
    {
        Err(AppError::ExtractRefused(reason)) => anyhow::bail!(reason.en),
        other => other.with_context(|| format!("cannot write the extract of project {}", args.id))?,
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}\n{}\n{} rows, {} persons",
        written.extract.display(),
        written.codebook.display(),
        written.rows,
        written.persons
    )?;
    Ok(())
}
