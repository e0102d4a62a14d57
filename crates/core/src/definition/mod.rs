//! A register described as data (architecture.md §3): the model of a loaded, checked
//! definition, and the loader that reads a register folder's files and names the file and
//! line of every problem it finds. The file format is documented in docs/definitions.md.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use jiff::civil::Date;

use crate::expr::Expr;
use crate::messages::Text;
use crate::validation::Severity;
use crate::value::{Record, Value, VarType};

mod codelists;
mod derived;
mod files;
mod forms;
mod indicators;
mod levels;
mod load;
mod order;
mod rules;

pub use levels::{Comparison, Level, Levels, Threshold};
pub use load::load;

/// The name of the code list that is not a file: the platform's hospital list, supplied
/// at validation time.
pub const HOSPITALS: &str = "hospitals";

/// The name indicator expressions use for the date a report is made for (e.g. "onset at
/// least 90 days before the report date"). Reserved: no variable may be called this.
pub const REPORT_DATE: &str = "report_date";

/// One file of a register folder, read by the caller (core does no I/O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Relative to the register folder, with `/` between folders: `forms/acute.toml`.
    pub path: String,
    pub text: String,
}

/// A problem in a definition, with the file and line it is on (line 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

impl std::error::Error for DefinitionError {}

/// An expression together with the text it was written as (shown in messages and the codebook).
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub text: String,
    pub expr: Expr,
}

/// A closed range of whole numbers, `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    pub min: i64,
    pub max: i64,
}

impl IntRange {
    pub fn contains(&self, value: i64) -> bool {
        self.min <= value && value <= self.max
    }
}

impl fmt::Display for IntRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{},{}]", self.min, self.max)
    }
}

/// When a variable must be present for the registration to be completed.
#[derive(Debug, Clone, PartialEq)]
pub enum Required {
    No,
    Always,
    /// Required when the condition is TRUE.
    When(Expression),
}

/// A variable a registrar enters.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub form: String,
    pub section: String,
    pub var_type: VarType,
    pub label: Text,
    pub unit: Option<String>,
    /// The code list's name (code variables only); may be [`HOSPITALS`].
    pub codes: Option<String>,
    pub hard_range: Option<IntRange>,
    pub soft_range: Option<IntRange>,
    /// Whether the explicit value "unknown" (not done / unknown) is accepted.
    pub allow_unknown: bool,
    pub required: Required,
    /// The variable's own show-if; its section may have one too (see [`Register::show_conditions`]).
    pub show_if: Option<Expression>,
    pub introduced: Option<Date>,
    pub retired: Option<Date>,
    pub help: Option<Text>,
}

/// A group of variables on a form, shown together.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: Text,
    pub show_if: Option<Expression>,
    /// The names of the section's variables, in order.
    pub variables: Vec<String>,
}

/// One form of the register (e.g. the acute phase, the 3-month follow-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub id: String,
    pub title: Text,
    pub sections: Vec<Section>,
}

/// One entry of a code list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    pub label: Text,
}

/// A named list of codes with labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeList {
    pub name: String,
    pub codes: Vec<Code>,
}

impl CodeList {
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.code == code)
    }
}

/// A cross-field rule: it fails only when its assertion is FALSE (NULL passes).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub assert: Expression,
    pub severity: Severity,
    /// The fields the message is shown beside.
    pub fields: Vec<String>,
    pub message: Text,
}

/// A value the system computes from others (domain.md 3.4).
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedVariable {
    pub name: String,
    pub var_type: VarType,
    pub expression: Expression,
    pub label: Text,
    pub unit: Option<String>,
}

/// What an indicator measures over the registrations in its denominator.
#[derive(Debug, Clone, PartialEq)]
pub enum IndicatorKind {
    /// The share of the denominator for which `numerator` is TRUE; FALSE and NULL count as no.
    Proportion { numerator: Expression },
    /// The median (with quartiles) of an int `value`; a record whose value is NULL is left out.
    Median { value: Expression },
}

/// Which way is better for an indicator's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
}

/// A quality indicator (domain.md 4), defined in `indicators.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub title: Text,
    pub kind: IndicatorKind,
    /// The registrations counted: those for which this condition is TRUE.
    pub denominator: Expression,
    pub direction: Direction,
    /// Green and yellow goal levels; `None` for an indicator shown without colour.
    pub levels: Option<Levels>,
    /// Below this denominator a unit's value is hidden ("low N").
    pub minimum_denominator: u64,
    /// Registrations whose period date is before this date are not counted.
    pub valid_from: Date,
    /// The code expression naming the unit a registration counts for (by default the
    /// register's unit variable).
    pub unit: Expression,
    /// A caveat printed with the results.
    pub note: Option<Text>,
}

/// A loaded and checked register definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Register {
    pub id: String,
    pub title: Text,
    /// The date or datetime variable whose Europe/Oslo date places a registration in a period.
    pub period_variable: String,
    /// The variable holding the person's national id.
    pub person_variable: String,
    /// The variable holding the registering unit (hospital).
    pub unit_variable: String,
    pub forms: Vec<Form>,
    pub code_lists: BTreeMap<String, CodeList>,
    pub rules: Vec<Rule>,
    /// Derived variables in dependency order: each uses only those before it.
    pub derived: Vec<DerivedVariable>,
    /// Quality indicators, in the order `indicators.toml` lists them.
    pub indicators: Vec<Indicator>,
    variables: Vec<Variable>,
    index: HashMap<String, usize>,
}

impl Register {
    /// An entered variable by name.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.index.get(name).map(|&i| &self.variables[i])
    }

    /// The entered variables in form order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter()
    }

    /// An indicator by id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// A derived variable by name.
    pub fn derived_variable(&self, name: &str) -> Option<&DerivedVariable> {
        self.derived.iter().find(|d| d.name == name)
    }

    /// The type of an entered or derived variable.
    pub fn type_of(&self, name: &str) -> Option<VarType> {
        self.variable(name)
            .map(|v| v.var_type)
            .or_else(|| self.derived_variable(name).map(|d| d.var_type))
    }

    pub fn form(&self, id: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.id == id)
    }

    pub fn section(&self, form: &str, id: &str) -> Option<&Section> {
        self.form(form)?.sections.iter().find(|s| s.id == id)
    }

    /// The conditions under which a variable may have a value: its section's show-if,
    /// then its own.
    pub fn show_conditions<'a>(&'a self, variable: &'a Variable) -> Vec<&'a Expression> {
        self.section(&variable.form, &variable.section)
            .and_then(|s| s.show_if.as_ref())
            .into_iter()
            .chain(variable.show_if.as_ref())
            .collect()
    }

    /// The Europe/Oslo date that places a registration in a period, when it is known.
    pub fn period_date(&self, record: &Record) -> Option<Date> {
        match record.get(&self.period_variable)? {
            Value::Date(d) => Some(*d),
            Value::Datetime(m) => Some(crate::time::oslo_date(m)),
            _ => None,
        }
    }
}
