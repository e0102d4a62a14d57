//! All-or-nothing import of registrations from NDJSON or CSV files: every line is read and
//! validated first, every bad line is reported with its number, field and rule, and only a
//! file without problems is written, in one transaction.

use std::io::{BufRead, Read};
use std::path::Path;

use kvalreg_core::definition::Register;
use kvalreg_core::messages::{self, Text};
use kvalreg_core::validation::{Context, Finding};
use kvalreg_core::value::Record;
use kvalreg_store::{Status, Write};
use serde_json::{Map, Value as Json};

use crate::cells::cell_json;
use crate::person::WriteMeta;
use crate::platform::check_document;
use crate::{AppError, LineProblem, Platform};

/// The two file formats of import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// One JSON object per line: canonical variable names, plus an optional `status`.
    Ndjson,
    /// A header of canonical variable names (and an optional `status` column), one
    /// registration per row.
    Csv,
}

impl FileFormat {
    /// The format a file name's extension implies (`.ndjson`, `.jsonl`, `.csv`).
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" => Some(FileFormat::Ndjson),
            "csv" => Some(FileFormat::Csv),
            _ => None,
        }
    }
}

/// What a successful import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub written: usize,
    /// Soft warnings stored with the new registrations.
    pub warnings: usize,
}

/// How far an import has come: lines checked, then registrations written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress {
    Checked(usize),
    Written(usize),
}

/// How often (in lines) progress is reported while checking.
const PROGRESS_EVERY: usize = 500;

/// The column or key that carries a registration's status.
const STATUS: &str = "status";

/// One registration as read from a file, before validation.
type ReadLine = Result<(Map<String, Json>, Status), Vec<LineProblem>>;

fn problem(line: usize, field: &str, rule: &str, message: Text) -> LineProblem {
    LineProblem {
        line,
        field: field.to_string(),
        rule: rule.to_string(),
        message_nb: message.nb,
        message_en: message.en,
    }
}

fn finding_problem(line: usize, finding: Finding) -> LineProblem {
    LineProblem {
        line,
        field: finding.field,
        rule: finding.rule,
        message_nb: finding.message_nb,
        message_en: finding.message_en,
    }
}

/// A status as written in a file; an absent or empty status means complete.
fn parse_status(text: Option<&str>) -> Option<Status> {
    match text {
        None | Some("") | Some("complete") => Some(Status::Complete),
        Some("draft") => Some(Status::Draft),
        Some("locked") => Some(Status::Locked),
        Some(_) => None,
    }
}

fn bad_status(line: usize, found: &str) -> LineProblem {
    problem(
        line,
        STATUS,
        STATUS,
        Text::new(
            format!("«status» må være draft, complete eller locked (er «{found}»)"),
            format!("«status» must be draft, complete or locked (is «{found}»)"),
        ),
    )
}

/// Reads NDJSON: one JSON object per line, blank lines ignored.
fn read_ndjson(input: &mut (dyn BufRead + Send), each: &mut dyn FnMut(usize, ReadLine)) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    let mut line = 0;
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(());
        }
        line += 1;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            let message = Text::new("Linjen er ikke gyldig UTF-8", "The line is not valid UTF-8");
            each(line, Err(vec![problem(line, "", "encoding", message)]));
            continue;
        };
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let mut doc = match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(doc)) => doc,
            Ok(_) => {
                let message = Text::new("Linjen må være et JSON-objekt", "The line must be a JSON object");
                each(line, Err(vec![problem(line, "", "json", message)]));
                continue;
            }
            Err(e) => {
                let message = Text::new(
                    format!("Linjen er ikke gyldig JSON: {e}"),
                    format!("The line is not valid JSON: {e}"),
                );
                each(line, Err(vec![problem(line, "", "json", message)]));
                continue;
            }
        };
        let status = match doc.remove(STATUS) {
            None | Some(Json::Null) => Ok(Status::Complete),
            Some(Json::String(s)) => parse_status(Some(&s)).ok_or(s),
            Some(other) => Err(other.to_string()),
        };
        match status {
            Ok(status) => each(line, Ok((doc, status))),
            Err(found) => each(line, Err(vec![bad_status(line, &found)])),
        }
    }
}

/// What a CSV column holds.
enum Column<'a> {
    Status,
    Variable(&'a kvalreg_core::definition::Variable),
    /// Reported once, at the header.
    Refused,
}

/// Reads CSV: a header of canonical names (line 1), then one registration per row. Empty
/// cells are missing values; cells are read by their variable's type. Returns the
/// header's problems.
fn read_csv(
    register: &Register,
    input: &mut (dyn BufRead + Send),
    each: &mut dyn FnMut(usize, ReadLine),
) -> Result<Vec<LineProblem>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(LineBreaksAsLf(input));
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) if e.is_io_error() => return Err(csv_io(e)),
        Err(e) => {
            let message = Text::new(
                format!("Overskriftslinjen kan ikke leses: {e}"),
                format!("The header cannot be read: {e}"),
            );
            return Ok(vec![problem(1, "", "csv", message)]);
        }
    };
    let mut header_problems = Vec::new();
    let mut columns = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let column = if header.iter().take(i).any(|earlier| earlier == name) {
            let message = Text::new(
                format!("Kolonnen «{name}» finnes to ganger"),
                format!("The column «{name}» appears twice"),
            );
            header_problems.push(problem(1, name, "duplicate_column", message));
            Column::Refused
        } else if name == STATUS {
            Column::Status
        } else if let Some(variable) = register.variable(name) {
            Column::Variable(variable)
        } else {
            let message = if register.derived_variable(name).is_some() {
                messages::derived_field(name)
            } else {
                messages::unknown_field(name)
            };
            header_problems.push(problem(1, name, "unknown_field", message));
            Column::Refused
        };
        columns.push(column);
    }
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) if e.is_io_error() => return Err(csv_io(e)),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                let message = Text::new(
                    format!("Raden kan ikke leses: {e}"),
                    format!("The row cannot be read: {e}"),
                );
                each(line, Err(vec![problem(line, "", "csv", message)]));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line() as usize);
        let mut doc = Map::new();
        let mut status = Status::Complete;
        let mut problems = Vec::new();
        for (column, cell) in columns.iter().zip(row.iter()) {
            match column {
                Column::Status => match parse_status(Some(cell)) {
                    Some(s) => status = s,
                    None => problems.push(bad_status(line, cell)),
                },
                Column::Variable(variable) => match cell_json(variable, cell) {
                    Ok(Some(value)) => {
                        doc.insert(variable.name.clone(), value);
                    }
                    Ok(None) => {}
                    Err(finding) => problems.push(finding_problem(line, finding)),
                },
                Column::Refused => {}
            }
        }
        each(
            line,
            if problems.is_empty() {
                Ok((doc, status))
            } else {
                Err(problems)
            },
        );
    }
    Ok(header_problems)
}

/// A CSV file read with every line break (CR LF, or a lone CR as classic Mac files have) as
/// LF. The csv reader ends rows at any of them but counts lines by LF alone, numbering each
/// row after a CR LF one line early and every row of a CR-only file as line 1. A line break
/// inside a quoted cell becomes LF too.
struct LineBreaksAsLf<'a>(&'a mut (dyn BufRead + Send));

impl Read for LineBreaksAsLf<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.0.read(out)?;
            let mut kept = 0;
            for i in 0..n {
                let byte = out[i];
                if byte == b'\r' {
                    let next = match out[..n].get(i + 1) {
                        Some(&next) => Some(next),
                        None => self.0.fill_buf()?.first().copied(),
                    };
                    if next == Some(b'\n') {
                        continue;
                    }
                }
                out[kept] = if byte == b'\r' { b'\n' } else { byte };
                kept += 1;
            }
            // A read of only the CR of a CR LF keeps nothing; 0 would mean the end of the file.
            if kept > 0 || n == 0 {
                return Ok(kept);
            }
        }
    }
}

fn csv_io(e: csv::Error) -> AppError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => AppError::Io(e),
        other => AppError::Format(format!("{other:?}")),
    }
}

/// One line of an import file, read and checked: the record with its status and soft
/// warnings, or every problem of the line.
pub type CheckedLine = Result<(Record, Status, Vec<Finding>), Vec<LineProblem>>;

/// Reads an import file and checks every line against the register, calling `each` with
/// the line number and the result; returns the problems of a CSV header. The half of
/// [`Platform::import`] that needs no store (the fuzz target `import_record` runs it alone).
pub fn check_lines(
    register: &Register,
    format: FileFormat,
    input: &mut (dyn BufRead + Send),
    ctx: &Context,
    each: &mut dyn FnMut(usize, CheckedLine),
) -> Result<Vec<LineProblem>, AppError> {
    let mut check_line = |line: usize, read: ReadLine| {
        let checked = read.and_then(|(doc, status)| {
            check_document(register, &doc, status, ctx)
                .map(|(record, warnings)| (record, status, warnings))
                .map_err(|findings| findings.into_iter().map(|f| finding_problem(line, f)).collect())
        });
        each(line, checked);
    };
    match format {
        FileFormat::Ndjson => {
            read_ndjson(input, &mut check_line)?;
            Ok(Vec::new())
        }
        FileFormat::Csv => read_csv(register, input, &mut check_line),
    }
}

impl Platform {
    /// All-or-nothing import: reads and validates every line first; any problem refuses the
    /// whole file with every bad line; otherwise one transaction writes every registration.
    pub async fn import(
        &self,
        register: &str,
        format: FileFormat,
        input: &mut (dyn BufRead + Send),
        actor: &str,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> Result<ImportReport, AppError> {
        let register = self.register(register)?;
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let mut checked = 0;
        let mut warnings = 0;
        let mut problems: Vec<LineProblem> = Vec::new();
        let mut writes: Vec<Write> = Vec::new();
        let mut write_lines: Vec<usize> = Vec::new();
        let mut failure: Option<AppError> = None;
        let mut each = |line: usize, checked_line: CheckedLine| {
            checked += 1;
            match checked_line {
                Err(found) => problems.extend(found),
                Ok((record, status, found)) if problems.is_empty() && failure.is_none() => {
                    warnings += found.len();
                    let meta = WriteMeta {
                        status,
                        warnings: &found,
                        actor,
                        reason: None,
                    };
                    match self.protected_write(register, &record, meta) {
                        Ok(write) => {
                            writes.push(write);
                            write_lines.push(line);
                        }
                        Err(e) => failure = Some(e),
                    }
                }
                Ok(_) => {}
            }
            if checked % PROGRESS_EVERY == 0 {
                progress(ImportProgress::Checked(checked));
            }
        };
        let header_problems = check_lines(register, format, input, &ctx, &mut each)?;
        problems.splice(0..0, header_problems);
        if let Some(e) = failure {
            return Err(e);
        }
        if !problems.is_empty() {
            return Err(AppError::ImportRefused {
                problems,
                total_lines: checked,
            });
        }
        progress(ImportProgress::Checked(checked));
        let written = if writes.is_empty() {
            0
        } else {
            self.store.create_many(writes).await.map_err(|e| match e {
                kvalreg_store::StoreError::Reserved { index, .. } => AppError::ImportRefused {
                    problems: vec![finding_problem(
                        write_lines.get(index).copied().unwrap_or_default(),
                        crate::privacy::reserved_finding(register),
                    )],
                    total_lines: checked,
                },
                other => AppError::from(other),
            })?
        };
        progress(ImportProgress::Written(written));
        Ok(ImportReport { written, warnings })
    }
}
