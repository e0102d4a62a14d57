//! Typed values of register variables, so rules and derived values never work on raw JSON.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;

/// The type a definition declares for a variable (domain.md 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    Bool,
    Int,
    Code,
    Date,
    Datetime,
    Text,
}

impl VarType {
    /// The name used in definition files, the codebook and error messages.
    pub fn name(self) -> &'static str {
        match self {
            VarType::Bool => "bool",
            VarType::Int => "int",
            VarType::Code => "code",
            VarType::Date => "date",
            VarType::Datetime => "datetime",
            VarType::Text => "text",
        }
    }
}

/// A point in time as a registrar knows it: an exact instant, or only the day when the
/// clock time is unknown (domain.md 3.4). A date-only moment is never treated as 00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    At(Timestamp),
    DateOnly(Date),
}

/// One recorded value. `Unknown` is an explicit "not done / unknown" where the variable
/// allows it; it is distinct from a missing value (the key is absent from the record).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Code(String),
    Date(Date),
    Datetime(Moment),
    Text(String),
    Unknown,
}

/// One registration's values by canonical variable name. A variable with no value is absent.
pub type Record = BTreeMap<String, Value>;
