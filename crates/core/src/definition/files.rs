//! The shape of each definition file as written, with the byte position of every item so
//! the checker can name the line of whatever it refuses.

use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

use crate::messages::Text;
use crate::value::VarType;

use super::DefinitionError;

/// `register.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFile {
    pub id: Spanned<String>,
    pub title: Text,
    pub period_variable: Spanned<String>,
    pub person_variable: Spanned<String>,
    pub unit_variable: Spanned<String>,
    pub forms: Vec<Spanned<String>>,
}

/// `forms/<form>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormFile {
    pub title: Text,
    pub sections: Vec<SectionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionFile {
    pub id: Spanned<String>,
    pub title: Text,
    pub show_if: Option<Spanned<String>>,
    #[serde(default)]
    pub variables: Vec<VariableFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableFile {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub var_type: Spanned<VarType>,
    pub label: Text,
    pub unit: Option<String>,
    pub codes: Option<Spanned<String>>,
    pub hard_range: Option<Spanned<[i64; 2]>>,
    pub soft_range: Option<Spanned<[i64; 2]>>,
    pub allow_unknown: Option<Spanned<bool>>,
    pub required: Option<Spanned<RequiredFile>>,
    pub show_if: Option<Spanned<String>>,
    pub introduced: Option<Spanned<toml::Value>>,
    pub retired: Option<Spanned<toml::Value>>,
    pub help: Option<Text>,
}

/// `required = true` or `required = "expression"`.
#[derive(Debug)]
pub enum RequiredFile {
    Flag(bool),
    When(String),
}

impl<'de> Deserialize<'de> for RequiredFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RequiredVisitor;
        impl Visitor<'_> for RequiredVisitor {
            type Value = RequiredFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false, or a condition as an expression string")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RequiredFile, E> {
                Ok(RequiredFile::Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RequiredFile, E> {
                Ok(RequiredFile::When(v.to_string()))
            }
        }
        deserializer.deserialize_any(RequiredVisitor)
    }
}

/// `rules.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    #[serde(default)]
    pub rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub id: Spanned<String>,
    pub assert: Spanned<String>,
    pub severity: SeverityFile,
    pub fields: Option<Vec<Spanned<String>>>,
    pub message: Text,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityFile {
    Hard,
    Soft,
}

/// `derived.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedFile {
    #[serde(default)]
    pub derived: Vec<DerivedVariableFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedVariableFile {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub var_type: VarType,
    pub expression: Spanned<String>,
    pub label: Text,
    pub unit: Option<String>,
}

/// `indicators.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsFile {
    #[serde(default)]
    pub indicators: Vec<IndicatorFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorFile {
    pub id: Spanned<String>,
    pub title: Text,
    #[serde(rename = "type")]
    pub kind: Spanned<IndicatorKindFile>,
    pub denominator: Spanned<String>,
    pub numerator: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub direction: DirectionFile,
    pub green: Option<Spanned<String>>,
    pub yellow: Option<Spanned<String>>,
    pub minimum_denominator: Option<Spanned<i64>>,
    pub valid_from: Spanned<toml::Value>,
    pub unit: Option<Spanned<String>>,
    pub note: Option<Text>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndicatorKindFile {
    Proportion,
    Median,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectionFile {
    Higher,
    Lower,
}

/// Turns byte offsets of one file into 1-based line numbers.
#[derive(Debug, Clone)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { starts }
    }

    /// The line a byte offset is on.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }

    pub fn of(&self, span: Range<usize>) -> usize {
        self.line(span.start)
    }
}

/// A parsed file, with its path and line index for later errors.
#[derive(Debug)]
pub struct Parsed<T> {
    pub path: String,
    pub lines: Lines,
    pub content: T,
}

/// Reads one TOML file into its shape; syntax errors, unknown keys and wrong value types
/// come back with their line.
pub fn parse_toml<T: for<'de> Deserialize<'de>>(path: &str, text: &str) -> Result<Parsed<T>, DefinitionError> {
    let lines = Lines::new(text);
    match toml::from_str::<T>(text) {
        Ok(content) => Ok(Parsed {
            path: path.to_string(),
            lines,
            content,
        }),
        Err(e) => Err(DefinitionError {
            file: path.to_string(),
            line: e.span().map_or(0, |s| lines.of(s)),
            reason: e.message().trim().to_string(),
        }),
    }
}
