//! Code lists as CSV files (`code,label_nb,label_en`), so a register administrator edits
//! them in a spreadsheet; every bad row is named by its line.

use std::collections::BTreeSet;

use crate::messages::Text;

use super::{Code, CodeList, DefinitionError};

const HEADER: [&str; 3] = ["code", "label_nb", "label_en"];

/// Reads one code list file; `name` is the file name without `.csv`.
pub fn parse(path: &str, name: &str, text: &str) -> Result<CodeList, Vec<DefinitionError>> {
    let error = |line: usize, reason: String| DefinitionError {
        file: path.to_string(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let header_ok = match rows.next() {
        Some(Ok(header)) => header.iter().map(str::trim).eq(HEADER),
        Some(Err(e)) => return Err(vec![error(csv_line(&e), format!("unreadable CSV: {e}"))]),
        None => false,
    };
    if !header_ok {
        return Err(vec![error(
            1,
            format!("the first line must be the header `{}`", HEADER.join(",")),
        )]);
    }
    let mut codes = Vec::new();
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(error(csv_line(&e), format!("unreadable CSV: {e}")));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line() as usize);
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if row.len() != 3 {
            errors.push(error(
                line,
                format!("expected 3 columns (code,label_nb,label_en), found {}", row.len()),
            ));
            continue;
        }
        let code = row[0].trim();
        if code.is_empty() {
            errors.push(error(line, "the code is empty".to_string()));
        } else if !seen.insert(code.to_string()) {
            errors.push(error(line, format!("the code `{code}` is listed twice")));
        } else {
            codes.push(Code {
                code: code.to_string(),
                label: Text::new(row[1].trim(), row[2].trim()),
            });
        }
    }
    if codes.is_empty() && errors.is_empty() {
        errors.push(error(1, "the code list has no codes".to_string()));
    }
    if errors.is_empty() {
        Ok(CodeList {
            name: name.to_string(),
            codes,
        })
    } else {
        Err(errors)
    }
}

fn csv_line(e: &csv::Error) -> usize {
    e.position().map_or(0, |p| p.line() as usize)
}
