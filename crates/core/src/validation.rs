//! Validation of one registration against its register's definition: ranges, show-if,
//! completion requirements and cross-field rules, as hard errors (refused) or soft
//! warnings (accepted, flagged), each naming the field and the rule (domain.md 3.3).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::definition::{Expression, HOSPITALS, Register, Required, Variable};
use crate::messages::{self, Lang, Text};
use crate::time;
use crate::value::{Record, Value};

/// What validation needs from the platform besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Codes of the platform's hospital list (the `hospitals` code list).
    pub hospitals: &'a BTreeSet<String>,
}

/// How far a registration claims to be: a draft may lack values; a complete one may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Draft,
    Complete,
}

/// A hard error refuses the write; a warning is accepted and stored with the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub field: String,
    /// `unknown_field`, `type`, `code_list`, `hard_range`, `soft_range`, `show_if`,
    /// `required`, `introduced`, `retired`, a national id rule, or a register rule's id.
    pub rule: String,
    pub severity: Severity,
    pub message_nb: String,
    pub message_en: String,
}

impl Finding {
    pub fn new(field: &str, rule: &str, severity: Severity, message: Text) -> Finding {
        Finding {
            field: field.to_string(),
            rule: rule.to_string(),
            severity,
            message_nb: message.nb,
            message_en: message.en,
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nb => &self.message_nb,
            Lang::En => &self.message_en,
        }
    }
}

/// Everything validation found, errors apart from warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Findings {
    fn push(&mut self, finding: Finding) {
        match finding.severity {
            Severity::Error => self.errors.push(finding),
            Severity::Warning => self.warnings.push(finding),
        }
    }

    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.warnings.is_empty()
    }
}

/// TRUE, FALSE or NULL (unknown) of a condition on a record.
fn truth(expression: &Expression, row: &Record) -> Option<bool> {
    match expression.expr.eval(row) {
        Some(Value::Bool(b)) => Some(b),
        _ => None,
    }
}

impl Register {
    /// Validates a typed record (see [`Register::parse_document`]) at a stage. Rules see
    /// the derived values merged into the record.
    pub fn validate(&self, record: &Record, stage: Stage, ctx: &Context) -> Findings {
        let mut row = record.clone();
        row.extend(self.derive(record));
        let period = self.period_date(record);
        let mut findings = Findings::default();
        for variable in self.variables() {
            match record.get(&variable.name) {
                Some(value) => {
                    if let Some(finding) = self.check_code(variable, value, ctx) {
                        findings.push(finding);
                    }
                    self.check_value(variable, value, &row, stage, period, &mut findings);
                }
                None if stage == Stage::Complete => self.check_required(variable, &row, period, &mut findings),
                None => {}
            }
        }
        for rule in &self.rules {
            if truth(&rule.assert, &row) == Some(false) {
                for field in &rule.fields {
                    findings.push(Finding::new(field, &rule.id, rule.severity, rule.message.clone()));
                }
            }
        }
        findings
    }

    /// A code value that is not in the variable's code list (for `hospitals`: the
    /// platform's hospital list).
    pub(crate) fn check_code(&self, variable: &Variable, value: &Value, ctx: &Context) -> Option<Finding> {
        let (Value::Code(code), Some(list)) = (value, variable.codes.as_deref()) else {
            return None;
        };
        let known = if list == HOSPITALS {
            ctx.hospitals.contains(code)
        } else {
            self.code_lists.get(list).is_some_and(|l| l.contains(code))
        };
        (!known).then(|| {
            let message = messages::code_not_in_list(&variable.label, code, list);
            Finding::new(&variable.name, "code_list", Severity::Error, message)
        })
    }

    fn check_value(
        &self,
        variable: &Variable,
        value: &Value,
        row: &Record,
        stage: Stage,
        period: Option<jiff::civil::Date>,
        findings: &mut Findings,
    ) {
        let name = &variable.name;
        if let Value::Int(n) = value {
            if let Some(range) = variable.hard_range.filter(|r| !r.contains(*n)) {
                let message = messages::hard_range(&variable.label, *n, range.min, range.max);
                findings.push(Finding::new(name, "hard_range", Severity::Error, message));
            } else if let Some(range) = variable.soft_range.filter(|r| !r.contains(*n)) {
                let message = messages::soft_range(&variable.label, *n, range.min, range.max);
                findings.push(Finding::new(name, "soft_range", Severity::Warning, message));
            }
        }
        for condition in self.show_conditions(variable) {
            if truth(condition, row) == Some(false) {
                let message = messages::only_allowed_when(&variable.label, &condition.text);
                findings.push(Finding::new(name, "show_if", Severity::Error, message));
            }
        }
        if stage == Stage::Complete {
            if let (Some(date), Some(introduced)) = (period, variable.introduced)
                && date < introduced
            {
                let message = messages::not_yet_introduced(&variable.label, &time::format_date(introduced));
                findings.push(Finding::new(name, "introduced", Severity::Error, message));
            }
            if let (Some(date), Some(retired)) = (period, variable.retired)
                && date >= retired
            {
                let message = messages::retired(&variable.label, &time::format_date(retired));
                findings.push(Finding::new(name, "retired", Severity::Error, message));
            }
        }
    }

    /// A missing value at completion: refused when the variable is required (or its
    /// condition holds), shown (its show-if conditions hold) and in use at the period date.
    fn check_required(
        &self,
        variable: &Variable,
        row: &Record,
        period: Option<jiff::civil::Date>,
        findings: &mut Findings,
    ) {
        let message = match &variable.required {
            Required::No => return,
            Required::Always => messages::required(&variable.label),
            Required::When(condition) => {
                if truth(condition, row) != Some(true) {
                    return;
                }
                messages::required_when(&variable.label, &condition.text)
            }
        };
        let shown = self
            .show_conditions(variable)
            .into_iter()
            .all(|c| truth(c, row) == Some(true));
        let in_use = period.is_none_or(|date| {
            variable.introduced.is_none_or(|from| from <= date) && variable.retired.is_none_or(|to| date < to)
        });
        if shown && in_use {
            findings.push(Finding::new(&variable.name, "required", Severity::Error, message));
        }
    }
}
