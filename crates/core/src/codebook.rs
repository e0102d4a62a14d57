//! The codebook a statistician reads (as OpenQReg publishes one): one CSV row per
//! variable with its form, type, labels, codes, ranges, requirement, show-if and the
//! dates it was introduced and retired; derived variables follow with form `derived`.

use crate::definition::{HOSPITALS, IntRange, Register, Required};
use crate::time;

const HEADER: [&str; 14] = [
    "variable",
    "form",
    "section",
    "type",
    "label_nb",
    "label_en",
    "unit",
    "codes",
    "hard_range",
    "soft_range",
    "required",
    "show_if",
    "introduced",
    "retired",
];

impl Register {
    /// The codebook as CSV (header first, then entered variables in form order, then
    /// derived variables in computing order). Codes are listed as `code=label_en` separated
    /// by ` | `; the hospital list is named, as its codes belong to the platform.
    pub fn codebook_csv(&self) -> String {
        let mut rows: Vec<Vec<String>> = vec![HEADER.iter().map(|h| h.to_string()).collect()];
        for v in self.variables() {
            let show_if: Vec<String> = self
                .show_conditions(v)
                .iter()
                .map(|c| format!("({})", c.text))
                .collect();
            rows.push(vec![
                v.name.clone(),
                v.form.clone(),
                v.section.clone(),
                v.var_type.name().to_string(),
                v.label.nb.clone(),
                v.label.en.clone(),
                v.unit.clone().unwrap_or_default(),
                v.codes
                    .as_deref()
                    .map(|list| self.codes_cell(list, v.allow_unknown))
                    .unwrap_or_else(|| {
                        if v.allow_unknown {
                            "unknown".to_string()
                        } else {
                            String::new()
                        }
                    }),
                range_cell(v.hard_range),
                range_cell(v.soft_range),
                match &v.required {
                    Required::No => "no".to_string(),
                    Required::Always => "yes".to_string(),
                    Required::When(c) => format!("when {}", c.text),
                },
                show_if.join(" AND "),
                v.introduced.map(time::format_date).unwrap_or_default(),
                v.retired.map(time::format_date).unwrap_or_default(),
            ]);
        }
        for d in &self.derived {
            let mut row = vec![
                d.name.clone(),
                "derived".to_string(),
                String::new(),
                d.var_type.name().to_string(),
                d.label.nb.clone(),
                d.label.en.clone(),
                d.unit.clone().unwrap_or_default(),
            ];
            row.resize(HEADER.len(), String::new());
            rows.push(row);
        }
        let mut out = String::new();
        for row in rows {
            let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }

    fn codes_cell(&self, list: &str, allow_unknown: bool) -> String {
        let mut codes: Vec<String> = if list == HOSPITALS {
            vec![format!("{HOSPITALS} (the platform's hospital list)")]
        } else {
            self.code_lists
                .get(list)
                .map(|l| l.codes.iter().map(|c| format!("{}={}", c.code, c.label.en)).collect())
                .unwrap_or_default()
        };
        if allow_unknown {
            codes.push("unknown".to_string());
        }
        codes.join(" | ")
    }
}

fn range_cell(range: Option<IntRange>) -> String {
    range.map(|r| r.to_string()).unwrap_or_default()
}

/// Quotes a cell when it holds a comma, a quote or a line break (RFC 4180).
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}
