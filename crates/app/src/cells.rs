//! CSV cells and JSON values of register variables, both ways: a cell is read by its
//! variable's type, and a value is written as the cell that reads back to the same value.

use kvalreg_core::definition::Variable;
use kvalreg_core::document::UNKNOWN;
use kvalreg_core::messages;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_core::value::VarType;
use serde_json::Value as Json;

/// The JSON value of one CSV cell; `Ok(None)` for an empty cell (a missing value).
pub(crate) fn cell_json(variable: &Variable, cell: &str) -> Result<Option<Json>, Finding> {
    if cell.is_empty() {
        return Ok(None);
    }
    if variable.allow_unknown && cell == UNKNOWN {
        return Ok(Some(Json::String(UNKNOWN.to_string())));
    }
    let value = match variable.var_type {
        VarType::Bool => match cell {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => return Err(wrong_type(variable)),
        },
        VarType::Int => Json::from(cell.parse::<i64>().map_err(|_| wrong_type(variable))?),
        VarType::Code | VarType::Date | VarType::Datetime | VarType::Text => Json::String(cell.to_string()),
    };
    Ok(Some(value))
}

fn wrong_type(variable: &Variable) -> Finding {
    let expected = messages::type_description(variable.var_type, variable.allow_unknown);
    Finding::new(
        &variable.name,
        "type",
        Severity::Error,
        messages::wrong_type(&variable.label, &expected),
    )
}

/// The CSV cell of a canonical JSON value (the inverse of [`cell_json`]).
pub(crate) fn json_cell(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.clone(),
        Json::Array(_) | Json::Object(_) => value.to_string(),
    }
}
