//! Checks `indicators.toml`: each quality indicator's denominator and numerator are
//! conditions, a median's value is an int, its unit expression names units of the register's
//! unit list, and its green and yellow levels agree with its direction.

use std::collections::HashSet;

use toml::Spanned;

use crate::expr::{Expr, Function, Literal};
use crate::value::VarType;

use super::files::{DirectionFile, IndicatorFile, IndicatorKindFile, IndicatorsFile, Parsed};
use super::load::{Checker, Folder, NAME_RULE, Site, is_name};
use super::{Direction, Expression, Indicator, IndicatorKind, Levels, REPORT_DATE, Threshold};

/// The minimum denominator when an indicator does not give one (domain.md 4).
const DEFAULT_MINIMUM_DENOMINATOR: u64 = 5;

impl Checker {
    /// The indicators in file order. Their expressions may also use `report_date`.
    pub(super) fn indicators(&mut self, folder: &Folder) -> Vec<Indicator> {
        let Some(file) = &folder.indicators else {
            return Vec::new();
        };
        let unit_variable = folder.register.content.unit_variable.get_ref().clone();
        self.parameters.insert(REPORT_DATE.to_string(), VarType::Date);
        let mut indicators = Vec::new();
        let mut ids = HashSet::new();
        for raw in &file.content.indicators {
            let id = raw.id.get_ref();
            let site = Site::of(file, &raw.id);
            if !is_name(id) {
                self.error(&site, format!("the indicator id `{id}` must be {NAME_RULE}"));
            }
            if !ids.insert(id.clone()) {
                self.error(&site, format!("the indicator `{id}` is defined twice"));
            }
            if let Some(indicator) = self.indicator(file, raw, &unit_variable) {
                indicators.push(indicator);
            }
        }
        self.parameters.remove(REPORT_DATE);
        indicators
    }

    fn indicator(
        &mut self,
        file: &Parsed<IndicatorsFile>,
        raw: &IndicatorFile,
        unit_variable: &str,
    ) -> Option<Indicator> {
        let denominator = self.condition(
            &Site::of(file, &raw.denominator),
            "denominator",
            raw.denominator.get_ref(),
        );
        let kind = self.indicator_kind(file, raw);
        let direction = match raw.direction {
            DirectionFile::Higher => Direction::Higher,
            DirectionFile::Lower => Direction::Lower,
        };
        let proportion = matches!(raw.kind.get_ref(), IndicatorKindFile::Proportion);
        let levels = self.levels(file, raw, direction, proportion);
        let minimum_denominator = match &raw.minimum_denominator {
            None => Some(DEFAULT_MINIMUM_DENOMINATOR),
            Some(n) => match u64::try_from(*n.get_ref()) {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    self.error(
                        &Site::of(file, n),
                        "minimum_denominator must be a whole number of at least 1",
                    );
                    None
                }
            },
        };
        let valid_from = self.date(file, "valid_from", &raw.valid_from);
        let unit = self.unit(file, raw, unit_variable);
        Some(Indicator {
            id: raw.id.get_ref().clone(),
            title: raw.title.clone(),
            kind: kind?,
            denominator: denominator?,
            direction,
            levels: levels?,
            minimum_denominator: minimum_denominator?,
            valid_from: valid_from?,
            unit: unit?,
            note: raw.note.clone(),
        })
    }

    /// A proportion has a `numerator` condition and no `value`; a median the other way round.
    fn indicator_kind(&mut self, file: &Parsed<IndicatorsFile>, raw: &IndicatorFile) -> Option<IndicatorKind> {
        let type_site = Site::of(file, &raw.kind);
        match raw.kind.get_ref() {
            IndicatorKindFile::Proportion => {
                if let Some(value) = &raw.value {
                    self.error(
                        &Site::of(file, value),
                        "`value` is for median indicators; a proportion has a `numerator`",
                    );
                }
                match &raw.numerator {
                    None => {
                        self.error(&type_site, "a proportion indicator needs a `numerator` (a condition)");
                        None
                    }
                    Some(text) => self
                        .condition(&Site::of(file, text), "numerator", text.get_ref())
                        .map(|numerator| IndicatorKind::Proportion { numerator }),
                }
            }
            IndicatorKindFile::Median => {
                if let Some(numerator) = &raw.numerator {
                    let reason = "`numerator` is for proportion indicators; a median has a `value`";
                    self.error(&Site::of(file, numerator), reason);
                }
                match &raw.value {
                    None => {
                        self.error(&type_site, "a median indicator needs a `value` (an int expression)");
                        None
                    }
                    Some(text) => self
                        .expression(&Site::of(file, text), "value", text.get_ref(), VarType::Int)
                        .map(|value| IndicatorKind::Median { value }),
                }
            }
        }
    }

    /// Both levels or neither; each one in the direction of the indicator, green stricter
    /// than yellow. `Some(None)`: no levels (shown without colour).
    fn levels(
        &mut self,
        file: &Parsed<IndicatorsFile>,
        raw: &IndicatorFile,
        direction: Direction,
        proportion: bool,
    ) -> Option<Option<Levels>> {
        let (green, yellow) = match (&raw.green, &raw.yellow) {
            (None, None) => return Some(None),
            (Some(green), Some(yellow)) => (green, yellow),
            (Some(given), None) | (None, Some(given)) => {
                let reason = "give both `green` and `yellow`, or neither (an indicator shown without colour)";
                self.error(&Site::of(file, given), reason);
                return None;
            }
        };
        let green_threshold = self.threshold(file, "green", green, direction, proportion);
        let yellow_threshold = self.threshold(file, "yellow", yellow, direction, proportion);
        let (green_threshold, yellow_threshold) = (green_threshold?, yellow_threshold?);
        if !green_threshold.stricter_than(&yellow_threshold) {
            let better = match direction {
                Direction::Higher => "higher",
                Direction::Lower => "lower",
            };
            let reason = format!(
                "green `{}` must ask for a {better} value than yellow `{}` (direction = \"{better}\")",
                green.get_ref(),
                yellow.get_ref()
            );
            self.error(&Site::of(file, green), reason);
            return None;
        }
        Some(Some(Levels {
            green: green_threshold,
            yellow: yellow_threshold,
        }))
    }

    fn threshold(
        &mut self,
        file: &Parsed<IndicatorsFile>,
        key: &str,
        text: &Spanned<String>,
        direction: Direction,
        proportion: bool,
    ) -> Option<Threshold> {
        let site = Site::of(file, text);
        let threshold = match Threshold::parse(text.get_ref(), proportion) {
            Ok(threshold) => threshold,
            Err(reason) => {
                self.error(&site, format!("{key}: {reason}"));
                return None;
            }
        };
        let wants_high = direction == Direction::Higher;
        if threshold.comparison.wants_high() != wants_high {
            let (better, symbols) = if wants_high {
                ("higher", ">= or >")
            } else {
                ("lower", "<= or <")
            };
            let reason = format!(
                "{key} `{}`: {better} is better for this indicator, so use {symbols}",
                text.get_ref()
            );
            self.error(&site, reason);
            return None;
        }
        Some(threshold)
    }

    /// The unit expression (the register's unit variable when not given): a code whose
    /// every possible result is a variable with the unit variable's code list (or NULL).
    fn unit(&mut self, file: &Parsed<IndicatorsFile>, raw: &IndicatorFile, unit_variable: &str) -> Option<Expression> {
        let Some(text) = &raw.unit else {
            let expr = crate::expr::parse(unit_variable).ok()?;
            return Some(Expression {
                text: unit_variable.to_string(),
                expr,
            });
        };
        let site = Site::of(file, text);
        let unit = self.expression(&site, "unit", text.get_ref(), VarType::Code)?;
        let unit_list = self.lists_of.get(unit_variable).cloned();
        for source in result_sources(&unit.expr) {
            let fits = match source {
                Expr::Literal(Literal::Null) => true,
                Expr::Variable(name) => unit_list.is_some() && self.lists_of.get(name) == unit_list.as_ref(),
                _ => false,
            };
            if !fits {
                let reason = format!(
                    "unit `{}`: `{source}` is not a unit; every result must be a variable with the code list of `{unit_variable}`",
                    text.get_ref()
                );
                self.error(&site, reason);
                return None;
            }
        }
        Some(unit)
    }
}

/// The sub-expressions whose values an expression can give as its result: the branches of
/// a CASE, the arguments of coalesce, or the expression itself.
fn result_sources(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Case {
            branches, otherwise, ..
        } => branches
            .iter()
            .map(|(_, then)| then)
            .chain(otherwise.as_deref())
            .flat_map(result_sources)
            .collect(),
        Expr::Call {
            function: Function::Coalesce,
            args,
        } => args.iter().flat_map(result_sources).collect(),
        other => vec![other],
    }
}
