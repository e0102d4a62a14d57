//! Export of a register's current registrations, page by page with the store's keyset
//! cursor: NDJSON and CSV in the import formats, written so that importing the file gives
//! back the same file, and Parquet with one typed column per variable for analysis.
//!
//! A row is the stored document with the national id opened and put in its place; nothing
//! is derived or validated again on the way out, so the cost per row is reading it.

use std::io::Write;

use kvalreg_core::definition::Register;
use kvalreg_store::{Filter, Registration, Scope};
use serde_json::Value as Json;

use crate::import::FileFormat;
use crate::parquet::{ColumnType, ParquetTable};
use crate::{AppError, Platform, status_name};

/// Registrations read from the store at a time.
const PAGE: u32 = 1_000;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object a line: `status`, then the document in definition order.
    Ndjson,
    /// A `status` column and one column per entered variable, in definition order.
    Csv,
    /// The CSV's columns, typed: int, bool and date variables as INT64, BOOLEAN and DATE,
    /// everything else (and any variable allowing `"unknown"`) as UTF-8 text; missing is null.
    Parquet,
}

impl ExportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
        }
    }
}

impl From<FileFormat> for ExportFormat {
    fn from(format: FileFormat) -> ExportFormat {
        match format {
            FileFormat::Ndjson => ExportFormat::Ndjson,
            FileFormat::Csv => ExportFormat::Csv,
        }
    }
}

/// One exported registration: its status and, in definition order, each entered variable's
/// value (`None` when it has none).
struct Row<'a> {
    status: &'static str,
    values: &'a [Option<&'a Json>],
}

impl Platform {
    /// Writes every current registration of the register in creation order and audits the
    /// export as `actor`'s; returns how many.
    pub async fn export(
        &self,
        register: &str,
        format: impl Into<ExportFormat>,
        out: &mut (dyn Write + Send),
        actor: &str,
    ) -> Result<usize, AppError> {
        let register = self.register(register)?;
        let format = format.into();
        // Audited before the first line leaves, so a failed audit stops the export.
        self.audit_export(&register.id, actor, format.name()).await?;
        let names: Vec<&str> = register.variables().map(|v| v.name.as_str()).collect();
        let written = match format {
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(&mut *out);
                writer
                    .write_record(std::iter::once("status").chain(names.iter().copied()))
                    .map_err(csv_error)?;
                let mut number = String::new();
                let written = self
                    .each_row(register, &mut |row| {
                        writer.write_field(row.status).map_err(csv_error)?;
                        for value in row.values {
                            let cell = match value {
                                None | Some(Json::Null) => "",
                                Some(Json::String(s)) => s.as_str(),
                                Some(other) => {
                                    number.clear();
                                    number.push_str(&other.to_string());
                                    number.as_str()
                                }
                            };
                            writer.write_field(cell).map_err(csv_error)?;
                        }
                        writer.write_record(None::<&[u8]>).map_err(csv_error)
                    })
                    .await?;
                writer.flush()?;
                written
            }
            ExportFormat::Ndjson => {
                let mut line = Vec::with_capacity(4096);
                self.each_row(register, &mut |row| {
                    line.clear();
                    line.extend_from_slice(b"{\"status\":\"");
                    line.extend_from_slice(row.status.as_bytes());
                    line.push(b'"');
                    for (name, value) in names.iter().zip(row.values) {
                        let Some(value) = value else { continue };
                        line.push(b',');
                        serde_json::to_writer(&mut line, name).map_err(json_error)?;
                        line.push(b':');
                        serde_json::to_writer(&mut line, value).map_err(json_error)?;
                    }
                    line.extend_from_slice(b"}\n");
                    out.write_all(&line)?;
                    Ok(())
                })
                .await?
            }
            ExportFormat::Parquet => {
                let columns: Vec<(String, ColumnType)> = std::iter::once(("status".to_owned(), ColumnType::Text))
                    .chain(
                        register
                            .variables()
                            .map(|v| (v.name.clone(), ColumnType::of_variable(v.var_type, v.allow_unknown))),
                    )
                    .collect();
                let mut table = ParquetTable::new(&mut *out, &columns)?;
                let written = self
                    .each_row(register, &mut |row| {
                        table.set_text(0, row.status)?;
                        for (index, value) in row.values.iter().enumerate() {
                            if let Some(value) = value {
                                table.set_json(index + 1, value)?;
                            }
                        }
                        table.end_row()
                    })
                    .await?;
                table.finish()?;
                written
            }
        };
        out.flush()?;
        Ok(written)
    }

    /// Calls `each` with every current registration of the register, in creation order,
    /// reading [`PAGE`] at a time; returns how many. The next page is read (on another
    /// thread of the runtime) while this one is written.
    async fn each_row(
        &self,
        register: &Register,
        each: &mut (dyn FnMut(Row<'_>) -> Result<(), AppError> + Send),
    ) -> Result<usize, AppError> {
        let person = register.variables().position(|v| v.name == register.person_variable);
        let read = |filter: Filter| {
            let store = self.store.clone();
            tokio::spawn(async move { store.list(&Scope::AllHospitals, &filter).await })
        };
        let mut filter = Filter {
            register: register.id.clone(),
            limit: PAGE,
            ..Filter::default()
        };
        let mut next = Some(read(filter.clone()));
        let mut count = 0;
        while let Some(pending) = next.take() {
            let page = pending
                .await
                .map_err(|e| AppError::Format(format!("the export stopped reading the store: {e}")))??;
            if let Some(last) = page.last().filter(|_| page.len() == PAGE as usize) {
                filter.after = Some(last.id);
                next = Some(read(filter.clone()));
            }
            for stored in &page {
                let national_id = match &stored.person {
                    Some(p) => Some(Json::String(self.keys.decrypt(&p.ciphertext)?)),
                    None => None,
                };
                let mut values: Vec<Option<&Json>> = register.variables().map(|v| stored.data.get(&v.name)).collect();
                check_known(register, stored, &values)?;
                if let Some(index) = person {
                    values[index] = national_id.as_ref();
                }
                each(Row {
                    status: status_name(stored.status),
                    values: &values,
                })?;
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Refuses a stored document holding a field the register no longer defines, which the
/// export would otherwise leave out without a word.
fn check_known(register: &Register, stored: &Registration, values: &[Option<&Json>]) -> Result<(), AppError> {
    if values.iter().filter(|v| v.is_some()).count() == stored.data.len() {
        return Ok(());
    }
    let unknown: Vec<&str> = stored
        .data
        .keys()
        .filter(|key| register.variable(key).is_none())
        .map(String::as_str)
        .collect();
    Err(AppError::Format(format!(
        "stored registration {} no longer matches the definition of register `{}`: unknown field(s) {}",
        stored.id,
        register.id,
        unknown.join(", ")
    )))
}

fn csv_error(e: csv::Error) -> AppError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => AppError::Io(e),
        other => AppError::Format(format!("cannot write CSV: {other:?}")),
    }
}

fn json_error(e: serde_json::Error) -> AppError {
    AppError::Format(format!("cannot write NDJSON: {e}"))
}
