//! The JSON form of a registration (API bodies, import and export lines) and its typed
//! record. Reading refuses what it cannot place rather than dropping it; writing is
//! canonical (form order, one spelling per value), so export → import → export is exact.

use serde_json::{Map, Value as Json};

use crate::definition::{Register, Variable};
use crate::messages::{self, Text};
use crate::validation::{Context, Finding, Severity};
use crate::value::{Record, Value, VarType};
use crate::{national_id, time};

/// The JSON spelling of the explicit unknown value.
pub const UNKNOWN: &str = "unknown";

impl Register {
    /// Reads a JSON document into a typed record. Every field that cannot be read is
    /// reported (not only the first): unknown fields (`unknown_field`), wrong JSON types
    /// and unreadable dates or times (`type`), codes not in their list (`code_list`), and
    /// invalid national ids (the id rule that failed). JSON null and empty strings are
    /// missing values.
    pub fn parse_document(&self, doc: &Map<String, Json>, ctx: &Context) -> Result<Record, Vec<Finding>> {
        let (record, findings) = self.read_document(doc, ctx);
        if findings.is_empty() { Ok(record) } else { Err(findings) }
    }

    /// Reads every value it can and reports every field it cannot, so a caller can
    /// validate the readable rest and tell the user about all failing fields at once.
    pub fn read_document(&self, doc: &Map<String, Json>, ctx: &Context) -> (Record, Vec<Finding>) {
        let mut record = Record::new();
        let mut findings = Vec::new();
        for (field, json) in doc {
            let Some(variable) = self.variable(field) else {
                let message = if self.derived_variable(field).is_some() {
                    messages::derived_field(field)
                } else {
                    messages::unknown_field(field)
                };
                findings.push(Finding::new(field, "unknown_field", Severity::Error, message));
                continue;
            };
            match self.read_value(variable, json, ctx) {
                Ok(Some(value)) => {
                    record.insert(field.clone(), value);
                }
                Ok(None) => {}
                Err(finding) => findings.push(finding),
            }
        }
        (record, findings)
    }

    fn read_value(&self, variable: &Variable, json: &Json, ctx: &Context) -> Result<Option<Value>, Finding> {
        let name = variable.name.as_str();
        let text = json.as_str();
        if json.is_null() || text.is_some_and(|t| t.trim().is_empty()) {
            return Ok(None);
        }
        if variable.allow_unknown && text == Some(UNKNOWN) {
            return Ok(Some(Value::Unknown));
        }
        let wrong_type = || {
            let expected = messages::type_description(variable.var_type, variable.allow_unknown);
            Finding::new(
                name,
                "type",
                Severity::Error,
                messages::wrong_type(&variable.label, &expected),
            )
        };
        let unreadable = |nb: String, en: String| {
            let message = messages::unreadable_time(&variable.label, &Text::new(nb, en));
            Finding::new(name, "type", Severity::Error, message)
        };
        let value = match (variable.var_type, json) {
            (VarType::Bool, Json::Bool(b)) => Value::Bool(*b),
            (VarType::Int, Json::Number(n)) => Value::Int(n.as_i64().ok_or_else(wrong_type)?),
            (VarType::Code, Json::String(s)) => Value::Code(s.clone()),
            (VarType::Date, Json::String(s)) => {
                Value::Date(time::parse_date(s).map_err(|e| unreadable(e.message_nb, e.message_en))?)
            }
            (VarType::Datetime, Json::String(s)) => {
                Value::Datetime(time::parse_moment(s).map_err(|e| unreadable(e.message_nb, e.message_en))?)
            }
            (VarType::Text, Json::String(s)) if name == self.person_variable => match national_id::parse(s) {
                Ok(id) => Value::Text(id.normalized),
                Err(e) => {
                    let message = messages::invalid_person_id(&variable.label, &Text::new(e.message_nb, e.message_en));
                    return Err(Finding::new(name, e.rule, Severity::Error, message));
                }
            },
            (VarType::Text, Json::String(s)) => Value::Text(s.clone()),
            _ => return Err(wrong_type()),
        };
        match self.check_code(variable, &value, ctx) {
            Some(finding) => Err(finding),
            None => Ok(Some(value)),
        }
    }

    /// Writes a record as its canonical JSON document: entered variables in form order,
    /// datetimes as [`time::format_moment`] writes them, dates as `YYYY-MM-DD`, the
    /// unknown value as `"unknown"`. Values of names that are not entered variables
    /// (e.g. derived values) are left out.
    pub fn document(&self, record: &Record) -> Map<String, Json> {
        self.variables()
            .filter_map(|variable| {
                let value = record.get(&variable.name)?;
                Some((variable.name.clone(), value_json(value)))
            })
            .collect()
    }
}

/// One value's canonical JSON.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::from(*n),
        Value::Code(s) | Value::Text(s) => Json::String(s.clone()),
        Value::Date(d) => Json::String(time::format_date(*d)),
        Value::Datetime(m) => Json::String(time::format_moment(m)),
        Value::Unknown => Json::String(UNKNOWN.to_string()),
    }
}
