//! `kvalreg import` and `kvalreg export`: registrations in and out as NDJSON or CSV files
//! (and out as Parquet), with a progress bar on a terminal and every refused line listed.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal as _, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use kvalreg_app::{AppError, ExportFormat, FileFormat, ImportProgress, LineProblem};

use crate::options::{ExportArgs, Global, ImportArgs, open_platform, shown};

/// How many refused lines are listed before the rest are only counted.
const SHOWN_PROBLEMS: usize = 50;

pub async fn import(global: &Global, args: ImportArgs) -> anyhow::Result<()> {
    let format = match args.format {
        Some(format) => FileFormat::from(format),
        None => FileFormat::from_path(&args.file).with_context(|| {
            format!(
                "cannot tell the format of {} from its extension; give --format ndjson or --format csv",
                shown(&args.file)
            )
        })?,
    };
    let platform = open_platform(global).await?;
    let open = || File::open(&args.file).with_context(|| format!("cannot open {}", shown(&args.file)));
    let bar = if std::io::stderr().is_terminal() {
        // Registration lines: every line, less the header of a CSV file.
        let lines = count_lines(open()?)?.saturating_sub(u64::from(format == FileFormat::Csv));
        Some(progress_bar(lines))
    } else {
        None
    };
    let mut input = BufReader::new(open()?);
    let mut report = |progress: ImportProgress| {
        if let Some(bar) = &bar {
            match progress {
                ImportProgress::Checked(lines) => {
                    bar.set_position(lines as u64);
                    if bar.length().is_some_and(|total| lines as u64 >= total) {
                        bar.set_message("writing");
                    }
                }
                ImportProgress::Written(_) => bar.set_message("written"),
            }
        }
    };
    let result = platform
        .import(&args.register, format, &mut input, &args.actor, &mut report)
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(done) => {
            println!(
                "imported {} registrations into register {} ({} soft warnings stored with them)",
                done.written, args.register, done.warnings
            );
            Ok(())
        }
        Err(AppError::ImportRefused { problems, total_lines }) => {
            print_problems(&problems);
            bail!(
                "import refused: {} problem(s) among {total_lines} registration line(s) of {}; nothing was written",
                problems.len(),
                shown(&args.file)
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot import {}", shown(&args.file))),
    }
}

fn print_problems(problems: &[LineProblem]) {
    let mut err = std::io::stderr().lock();
    for p in problems.iter().take(SHOWN_PROBLEMS) {
        let _ = if p.field.is_empty() {
            writeln!(err, "line {}: {}: {}", p.line, p.rule, p.message_en)
        } else {
            writeln!(err, "line {}: {}: {}: {}", p.line, p.field, p.rule, p.message_en)
        };
    }
    if problems.len() > SHOWN_PROBLEMS {
        let _ = writeln!(err, "... and {} more", problems.len() - SHOWN_PROBLEMS);
    }
}

fn count_lines(file: File) -> anyhow::Result<u64> {
    let mut reader = BufReader::new(file);
    let mut lines = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(lines);
        }
        lines += buffer.iter().filter(|&&b| b == b'\n').count() as u64;
        let used = buffer.len();
        reader.consume(used);
    }
}

fn progress_bar(lines: u64) -> ProgressBar {
    let bar = ProgressBar::new(lines);
    if let Ok(style) = ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} lines ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("checking");
    bar
}

/// The formats `kvalreg export` writes.
#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFileFormat {
    Ndjson,
    Csv,
    Parquet,
}

impl From<ExportFileFormat> for ExportFormat {
    fn from(format: ExportFileFormat) -> ExportFormat {
        match format {
            ExportFileFormat::Ndjson => ExportFormat::Ndjson,
            ExportFileFormat::Csv => ExportFormat::Csv,
            ExportFileFormat::Parquet => ExportFormat::Parquet,
        }
    }
}

pub async fn export(global: &Global, args: ExportArgs) -> anyhow::Result<()> {
    let format = ExportFormat::from(args.format);
    if format == ExportFormat::Parquet && args.output.is_none() {
        bail!("--format parquet needs --output FILE: a Parquet file is binary and is not written to stdout");
    }
    let platform = open_platform(global).await?;
    let count = match &args.output {
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            platform
                .export(&args.register, format, &mut out, &args.actor)
                .await
                .context("cannot export")?
        }
        Some(path) => {
            // Written beside the target and renamed at the end, so a failed export never
            // leaves a partial file under the name asked for.
            let partial = partial_path(path);
            let file = File::create(&partial).with_context(|| format!("cannot create {}", shown(&partial)))?;
            let mut out = BufWriter::new(file);
            let count = platform.export(&args.register, format, &mut out, &args.actor).await;
            let count = count.and_then(|count| {
                let file = out.into_inner().map_err(|e| AppError::Io(e.into_error()))?;
                file.sync_all()?;
                Ok(count)
            });
            let count = match count {
                Ok(count) => count,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e).with_context(|| format!("cannot export to {}", shown(path)));
                }
            };
            std::fs::rename(&partial, path).with_context(|| format!("cannot move the export to {}", shown(path)))?;
            count
        }
    };
    eprintln!("exported {count} registrations of register {}", args.register);
    Ok(())
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// Reads a whole small file as text (hospital lists).
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .with_context(|| format!("cannot read {}", shown(path)))?;
    Ok(text)
}
