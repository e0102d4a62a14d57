//! Between the form and the document: what a registrar typed becomes the flat JSON document
//! the platform validates, and stored values are shown back as Norwegians write them.

use std::collections::BTreeMap;

use kvalreg_core::definition::{Register, Variable};
use kvalreg_core::time::{format_date_norwegian, format_moment_norwegian, parse_date, parse_moment};
use kvalreg_core::value::VarType;
use serde_json::{Map, Value as Json};

/// The form's raw values by variable name, exactly as typed (kept on every error).
pub type Entered = BTreeMap<String, String>;

/// The words a registrar may type for "unknown" (besides the canonical `unknown`).
const UNKNOWN_WORDS: &[&str] = &["unknown", "ukjent"];

/// The posted fields that are variables of the register, empty ones left out.
pub fn entered(register: &Register, pairs: &[(String, String)]) -> Entered {
    pairs
        .iter()
        .filter(|(name, value)| register.variable(name).is_some() && !value.trim().is_empty())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The document for the platform. A number that does not read as one is passed on as text,
/// so validation reports it beside the field.
pub fn document(register: &Register, entered: &Entered) -> Map<String, Json> {
    entered
        .iter()
        .filter_map(|(name, text)| {
            let variable = register.variable(name)?;
            Some((name.clone(), json_of(variable, text.trim())))
        })
        .collect()
}

fn json_of(variable: &Variable, text: &str) -> Json {
    if variable.allow_unknown && UNKNOWN_WORDS.contains(&text.to_lowercase().as_str()) {
        return Json::String("unknown".into());
    }
    match variable.var_type {
        VarType::Bool => match text {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            other => Json::String(other.to_owned()),
        },
        VarType::Int => text
            .parse::<i64>()
            .map_or_else(|_| Json::String(text.to_owned()), Json::from),
        _ => Json::String(text.to_owned()),
    }
}

/// A stored canonical document as the form shows it: dates `dd.mm.yyyy`, times
/// `dd.mm.yyyy HH:MM` (Europe/Oslo), yes/no as `true`/`false`, unknown as the word.
pub fn shown(register: &Register, values: &Map<String, Json>) -> Entered {
    values
        .iter()
        .filter_map(|(name, json)| {
            let variable = register.variable(name)?;
            Some((name.clone(), display(variable.var_type, json)?))
        })
        .collect()
}

/// One canonical value as the registrar reads it.
pub fn display(var_type: VarType, json: &Json) -> Option<String> {
    Some(match json {
        Json::Null => return None,
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) if s == "unknown" => s.clone(),
        Json::String(s) => match var_type {
            VarType::Date => parse_date(s).map_or_else(|_| s.clone(), format_date_norwegian),
            VarType::Datetime => parse_moment(s).map_or_else(|_| s.clone(), |m| format_moment_norwegian(&m)),
            _ => s.clone(),
        },
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stroke() -> Register {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registers/stroke");
        kvalreg_app::load_register_dir(&dir).expect("stroke register")
    }

    #[test]
    fn typed_values_become_a_document_and_back() {
        let register = stroke();
        let pairs: Vec<(String, String)> = [
            ("evt", "true"),
            ("nihss_admission", "7"),
            ("nihss_24h", "Ukjent"),
            ("onset_time", "31.03.2024 03:10"),
            ("mrs_discharge", "tre"),
            ("sex", ""),
            ("not_a_variable", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let entered = entered(&register, &pairs);
        assert!(!entered.contains_key("sex") && !entered.contains_key("not_a_variable"));
        let doc = document(&register, &entered);
        assert_eq!(doc["evt"], json!(true));
        assert_eq!(doc["nihss_admission"], json!(7));
        assert_eq!(doc["nihss_24h"], json!("unknown"));
        assert_eq!(doc["mrs_discharge"], json!("tre"));
        assert_eq!(doc["onset_time"], json!("31.03.2024 03:10"));

        let stored = json!({"onset_time": "2024-03-31T03:10+02:00", "discharge_date": "2024-04-02", "evt": false});
        let shown = shown(&register, stored.as_object().expect("object"));
        assert_eq!(shown["onset_time"], "31.03.2024 03:10");
        assert_eq!(shown["discharge_date"], "02.04.2024");
        assert_eq!(shown["evt"], "false");
    }
}
