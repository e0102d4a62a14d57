//! All-or-nothing import of registrations from NDJSON or CSV files: every line is read and
//! validated, every bad line is reported with its number, field and rule, and only a file
//! without problems is committed, in one transaction fed chunk by chunk as lines pass (so
//! memory stays bounded whatever the size of the file).

use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;

use kvalreg_core::definition::Register;
use kvalreg_core::messages::{self, Text};
use kvalreg_core::validation::{Context, Finding};
use kvalreg_core::value::Record;
use kvalreg_store::{Import, Status, Store, StoreError, Write};
use serde_json::{Map, Value as Json};
use tokio::task::JoinHandle;

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

/// The registration lines of an NDJSON file: one JSON object per line, blank lines skipped.
struct NdjsonLines<'a> {
    input: &'a mut (dyn BufRead + Send),
    bytes: Vec<u8>,
    line: usize,
}

impl Iterator for NdjsonLines<'_> {
    type Item = Result<(usize, ReadLine), AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.bytes.clear();
            match self.input.read_until(b'\n', &mut self.bytes) {
                Ok(0) => return None,
                Ok(_) => self.line += 1,
                Err(e) => return Some(Err(AppError::Io(e))),
            }
            let line = self.line;
            let Ok(text) = std::str::from_utf8(&self.bytes) else {
                let message = Text::new("Linjen er ikke gyldig UTF-8", "The line is not valid UTF-8");
                return Some(Ok((line, Err(vec![problem(line, "", "encoding", message)]))));
            };
            let text = text.trim_start_matches('\u{feff}').trim();
            if !text.is_empty() {
                return Some(Ok((line, read_ndjson_line(line, text))));
            }
        }
    }
}

/// One NDJSON line: a JSON object, its `status` taken out.
fn read_ndjson_line(line: usize, text: &str) -> ReadLine {
    let mut doc = match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(doc)) => doc,
        Ok(_) => {
            let message = Text::new("Linjen må være et JSON-objekt", "The line must be a JSON object");
            return Err(vec![problem(line, "", "json", message)]);
        }
        Err(e) => {
            let message = Text::new(
                format!("Linjen er ikke gyldig JSON: {e}"),
                format!("The line is not valid JSON: {e}"),
            );
            return Err(vec![problem(line, "", "json", message)]);
        }
    };
    let status = match doc.remove(STATUS) {
        None | Some(Json::Null) => Ok(Status::Complete),
        Some(Json::String(s)) => parse_status(Some(&s)).ok_or(s),
        Some(other) => Err(other.to_string()),
    };
    match status {
        Ok(status) => Ok((doc, status)),
        Err(found) => Err(vec![bad_status(line, &found)]),
    }
}

/// What a CSV column holds.
enum Column<'a> {
    Status,
    Variable(&'a kvalreg_core::definition::Variable),
    /// Reported once, at the header.
    Refused,
}

/// The registration rows of a CSV file: a header of canonical names (line 1), then one
/// registration per row. Empty cells are missing values; cells are read by their variable's
/// type.
struct CsvLines<'a> {
    rows: csv::StringRecordsIntoIter<LineBreaksAsLf<'a>>,
    columns: Vec<Column<'a>>,
}

/// Reads the header of a CSV file: the rows that follow, and the header's problems.
fn csv_lines<'a>(
    register: &'a Register,
    input: &'a mut (dyn BufRead + Send),
) -> Result<(CsvLines<'a>, Vec<LineProblem>), AppError> {
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
            let empty = CsvLines {
                rows: reader.into_records(),
                columns: Vec::new(),
            };
            return Ok((empty, vec![problem(1, "", "csv", message)]));
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
    let rows = reader.into_records();
    Ok((CsvLines { rows, columns }, header_problems))
}

impl Iterator for CsvLines<'_> {
    type Item = Result<(usize, ReadLine), AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.columns.is_empty() {
            return None;
        }
        let row = match self.rows.next()? {
            Ok(row) => row,
            Err(e) if e.is_io_error() => return Some(Err(csv_io(e))),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                let message = Text::new(
                    format!("Raden kan ikke leses: {e}"),
                    format!("The row cannot be read: {e}"),
                );
                return Some(Ok((line, Err(vec![problem(line, "", "csv", message)]))));
            }
        };
        let line = row.position().map_or(0, |p| p.line() as usize);
        let mut doc = Map::new();
        let mut status = Status::Complete;
        let mut problems = Vec::new();
        for (column, cell) in self.columns.iter().zip(row.iter()) {
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
        Some(Ok((
            line,
            if problems.is_empty() {
                Ok((doc, status))
            } else {
                Err(problems)
            },
        )))
    }
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

/// The lines of an import file, each with its number, and the problems of a CSV header.
type Lines<'a> = Box<dyn Iterator<Item = Result<(usize, ReadLine), AppError>> + Send + 'a>;

/// Opens an import file of either format as its lines.
fn read_lines<'a>(
    register: &'a Register,
    format: FileFormat,
    input: &'a mut (dyn BufRead + Send),
) -> Result<(Lines<'a>, Vec<LineProblem>), AppError> {
    Ok(match format {
        FileFormat::Ndjson => {
            let lines = NdjsonLines {
                input,
                bytes: Vec::new(),
                line: 0,
            };
            (Box::new(lines), Vec::new())
        }
        FileFormat::Csv => {
            let (lines, header_problems) = csv_lines(register, input)?;
            (Box::new(lines), header_problems)
        }
    })
}

/// One line of an import file, read and checked: the record with its status and soft
/// warnings, or every problem of the line.
pub type CheckedLine = Result<(Record, Status, Vec<Finding>), Vec<LineProblem>>;

/// Checks one read line against the register as a form save would.
fn check_line(register: &Register, ctx: &Context, line: usize, read: ReadLine) -> CheckedLine {
    read.and_then(|(doc, status)| {
        check_document(register, &doc, status, ctx)
            .map(|(record, warnings)| (record, status, warnings))
            .map_err(|findings| findings.into_iter().map(|f| finding_problem(line, f)).collect())
    })
}

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
    let (lines, header_problems) = read_lines(register, format, input)?;
    for read in lines {
        let (line, read) = read?;
        each(line, check_line(register, ctx, line, read));
    }
    Ok(header_problems)
}

/// Validated writes per chunk handed to the store: bounds what an import holds in memory.
const CHUNK: usize = 5000;

/// A chunk being written by a task of its own: it hands the import back with the outcome.
type Writing = JoinHandle<(Box<dyn Import>, Result<(), StoreError>)>;

/// Chunks of validated writes on their way into one import transaction: a chunk is written by
/// a task of its own while the next one is validated.
struct ChunkWriter {
    store: Arc<dyn Store>,
    in_flight: Option<Writing>,
}

impl ChunkWriter {
    /// The import, once the chunk before is written (begun at the first chunk).
    async fn import(&mut self) -> Result<Box<dyn Import>, StoreError> {
        match self.in_flight.take() {
            Some(writing) => {
                let (import, written) = writing.await.map_err(|_| StoreError::Interrupted)?;
                written.map(|()| import)
            }
            None => self.store.begin_import().await,
        }
    }

    async fn send(&mut self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut import = self.import().await?;
        self.in_flight = Some(tokio::spawn(async move {
            let written = import.add(writes).await;
            (import, written)
        }));
        Ok(())
    }

    async fn commit(mut self) -> Result<usize, StoreError> {
        if self.in_flight.is_none() {
            return Ok(0);
        }
        self.import().await?.commit().await
    }

    /// Rolls back everything sent so far.
    async fn abandon(&mut self) {
        if let Some(writing) = self.in_flight.take() {
            let _ = writing.await;
        }
    }
}

impl Platform {
    /// All-or-nothing import: reads and validates every line; any problem refuses the whole
    /// file with every bad line. Validated lines are written in chunks inside one
    /// transaction while the rest are read, which is committed only if the whole file passed.
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
        let (lines, mut problems) = read_lines(register, format, input)?;
        let mut writer = ChunkWriter {
            store: Arc::clone(&self.store),
            in_flight: None,
        };
        let mut chunk: Vec<Write> = Vec::with_capacity(CHUNK);
        // The line of every write sent, to name the line of a refused person.
        let mut write_lines: Vec<usize> = Vec::new();
        let mut checked = 0;
        let mut warnings = 0;
        for read in lines {
            let (line, read) = read?;
            checked += 1;
            let refused_before = !problems.is_empty();
            match check_line(register, &ctx, line, read) {
                Err(found) => problems.extend(found),
                Ok(_) if refused_before => {}
                Ok((record, status, found)) => {
                    warnings += found.len();
                    let meta = WriteMeta {
                        status,
                        warnings: &found,
                        actor,
                        reason: None,
                    };
                    chunk.push(self.protected_write(register, &record, meta)?);
                    write_lines.push(line);
                }
            }
            if problems.is_empty()
                && chunk.len() == CHUNK
                && let Err(e) = writer.send(std::mem::take(&mut chunk)).await
            {
                problems.push(write_refusal(register, e, &write_lines)?);
            }
            if !refused_before && !problems.is_empty() {
                writer.abandon().await;
                chunk = Vec::new();
            }
            if checked % PROGRESS_EVERY == 0 {
                progress(ImportProgress::Checked(checked));
            }
        }
        if problems.is_empty()
            && !chunk.is_empty()
            && let Err(e) = writer.send(chunk).await
        {
            problems.push(write_refusal(register, e, &write_lines)?);
        }
        progress(ImportProgress::Checked(checked));
        if problems.is_empty() {
            match writer.commit().await {
                Ok(written) => {
                    progress(ImportProgress::Written(written));
                    return Ok(ImportReport { written, warnings });
                }
                Err(e) => problems.push(write_refusal(register, e, &write_lines)?),
            }
        } else {
            writer.abandon().await;
        }
        Err(AppError::ImportRefused {
            problems,
            total_lines: checked,
        })
    }
}

/// The problem a store's refusal of a write makes: a reserved person is a refused line;
/// anything else fails the import as it is.
fn write_refusal(register: &Register, error: StoreError, write_lines: &[usize]) -> Result<LineProblem, AppError> {
    match error {
        StoreError::Reserved { index, .. } => Ok(finding_problem(
            write_lines.get(index).copied().unwrap_or_default(),
            crate::privacy::reserved_finding(register),
        )),
        other => Err(AppError::from(other)),
    }
}
