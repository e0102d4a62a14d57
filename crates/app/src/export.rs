//! Export of a register's current registrations in the import formats, page by page with
//! the store's keyset cursor, written so that importing the file gives back the same file.

use std::io::Write;

use kvalreg_core::definition::Register;
use kvalreg_core::validation::Context;
use kvalreg_store::{Filter, Scope};
use serde_json::{Map, Value as Json};

use crate::cells::json_cell;
use crate::import::FileFormat;
use crate::{AppError, Platform, RegistrationView, status_name};

/// Registrations read from the store at a time.
const PAGE: u32 = 5_000;

impl Platform {
    /// Writes every current registration of the register in creation order and audits the
    /// export as `actor`'s; returns how many. NDJSON: `{"status": ..., <document in definition order>}` per line. CSV: a
    /// `status` column and one column per entered variable, in definition order.
    pub async fn export(
        &self,
        register: &str,
        format: FileFormat,
        out: &mut (dyn Write + Send),
        actor: &str,
    ) -> Result<usize, AppError> {
        let register = self.register(register)?;
        // Audited before the first line leaves, so a failed audit stops the export.
        let format_name = match format {
            FileFormat::Csv => "csv",
            FileFormat::Ndjson => "ndjson",
        };
        self.audit_export(&register.id, actor, format_name).await?;
        let names: Vec<&str> = register.variables().map(|v| v.name.as_str()).collect();
        let written = match format {
            FileFormat::Csv => {
                let mut writer = csv::Writer::from_writer(&mut *out);
                writer
                    .write_record(std::iter::once("status").chain(names.iter().copied()))
                    .map_err(csv_error)?;
                let written = self
                    .each_view(register, &mut |view| {
                        let status = status_name(view.status).to_string();
                        let cells = names
                            .iter()
                            .map(|name| view.values.get(*name).map(json_cell).unwrap_or_default());
                        writer
                            .write_record(std::iter::once(status).chain(cells))
                            .map_err(csv_error)
                    })
                    .await?;
                writer.flush()?;
                written
            }
            FileFormat::Ndjson => {
                self.each_view(register, &mut |view| {
                    let mut line = Map::with_capacity(view.values.len() + 1);
                    line.insert("status".to_string(), Json::String(status_name(view.status).to_string()));
                    line.extend(view.values);
                    let text = serde_json::to_string(&line).map_err(|e| AppError::Format(e.to_string()))?;
                    writeln!(out, "{text}")?;
                    Ok(())
                })
                .await?
            }
        };
        out.flush()?;
        Ok(written)
    }

    /// Calls `each` with every current registration of the register, in creation order,
    /// reading [`PAGE`] at a time; returns how many.
    async fn each_view(
        &self,
        register: &Register,
        each: &mut (dyn FnMut(RegistrationView) -> Result<(), AppError> + Send),
    ) -> Result<usize, AppError> {
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let mut filter = Filter {
            register: register.id.clone(),
            limit: PAGE,
            ..Filter::default()
        };
        let mut count = 0;
        loop {
            let page = self.store.list(&Scope::AllHospitals, &filter).await?;
            let Some(last) = page.last() else { break };
            filter.after = Some(last.id);
            let full = page.len() == PAGE as usize;
            for stored in page {
                each(self.view(register, stored, &ctx)?)?;
                count += 1;
            }
            if !full {
                break;
            }
        }
        Ok(count)
    }
}

fn csv_error(e: csv::Error) -> AppError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => AppError::Io(e),
        other => AppError::Format(format!("cannot write CSV: {other:?}")),
    }
}
