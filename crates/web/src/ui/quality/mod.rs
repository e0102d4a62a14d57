//! The quality pages (issue 4): a hospital's indicator dashboard and the comparison of all
//! hospitals on one indicator (sorted bars and a funnel plot), drawn on the server as SVG
//! from the indicator report, narrowed by fixed filter choices read from the query string.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use kvalreg_analytics::report::{IndicatorResult, UnitLevel};
use kvalreg_app::AppError;
use kvalreg_app::indicators::{Granularity, IndicatorColumns, Report};
use kvalreg_core::definition::{Indicator, IndicatorKind, Level, Threshold};
use kvalreg_core::messages::Lang;

use super::catalogue::{t, t_with};
use super::{Visitor, layout};
use crate::AppState;
use crate::access::{Route, Rule, route};
use crate::html::escape;

mod comparison;
mod dashboard;

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/h/{hospital}/quality",
            Rule::HospitalReports,
            dashboard::page,
        ),
        route(
            Method::GET,
            "/quality/{indicator}",
            Rule::NationalReports,
            comparison::page,
        ),
    ]
}

/// The query string as pairs, or the refusal when it cannot be read.
type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The followed columns, when the server runs a follower.
type Followed = Option<Extension<Arc<IndicatorColumns>>>;

/// The age bands offered: (query value, catalogue key, filter condition).
const AGE_BANDS: [(&str, &str, &str); 3] = [
    ("0-64", "quality-age-young", "age < 65"),
    ("65-79", "quality-age-middle", "age >= 65 AND age < 80"),
    ("80+", "quality-age-old", "age >= 80"),
];

/// The sexes offered: (code, catalogue key).
const SEXES: [(&str, &str); 2] = [("female", "quality-sex-female"), ("male", "quality-sex-male")];

/// The diagnoses offered (codes of the register's diagnosis list).
const DIAGNOSES: [&str; 3] = ["I61", "I63", "I64"];

/// The selection a page shows: each choice one of the fixed ones, so the filter condition
/// is built only from text in this file, never from the query string.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Choices {
    year: Option<i32>,
    age: Option<usize>,
    sex: Option<usize>,
    diagnosis: Option<usize>,
}

impl Choices {
    /// Reads the query; an unknown parameter, a repeated one or a value outside the choices
    /// is refused with its name. An empty value means "all".
    fn read(pairs: &[(String, String)]) -> Result<Choices, String> {
        let mut choices = Choices::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name.as_str()) {
                return Err(name.clone());
            }
            seen.push(name);
            if value.is_empty() {
                continue;
            }
            let ok = match name.as_str() {
                "year" => value
                    .parse::<i32>()
                    .ok()
                    .filter(|y| (1900..=2200).contains(y) && value.len() == 4)
                    .map(|y| choices.year = Some(y)),
                "age" => AGE_BANDS
                    .iter()
                    .position(|a| a.0 == value)
                    .map(|i| choices.age = Some(i)),
                "sex" => SEXES.iter().position(|s| s.0 == value).map(|i| choices.sex = Some(i)),
                "diagnosis" => DIAGNOSES
                    .iter()
                    .position(|d| d == value)
                    .map(|i| choices.diagnosis = Some(i)),
                _ => None,
            };
            if ok.is_none() {
                return Err(name.clone());
            }
        }
        Ok(choices)
    }

    /// The filter condition for the indicator report, or none for everyone.
    fn filter(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(i) = self.age {
            parts.push(format!("({})", AGE_BANDS[i].2));
        }
        if let Some(i) = self.sex {
            parts.push(format!("sex = '{}'", SEXES[i].0));
        }
        if let Some(i) = self.diagnosis {
            parts.push(format!("diagnosis = '{}'", DIAGNOSES[i]));
        }
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// The query string that shows this selection for `year` (starting with `?`).
    fn query(&self, year: i32) -> String {
        let mut query = format!("?year={year}");
        if let Some(i) = self.age {
            query.push_str(&format!("&age={}", AGE_BANDS[i].0.replace('+', "%2B")));
        }
        if let Some(i) = self.sex {
            query.push_str(&format!("&sex={}", SEXES[i].0));
        }
        if let Some(i) = self.diagnosis {
            query.push_str(&format!("&diagnosis={}", DIAGNOSES[i]));
        }
        query
    }

    /// The filter form (GET, works without JavaScript).
    fn form(&self, lang: Lang, action: &str, years: &[i32], year: i32) -> String {
        let select = |name: &str, label: &str, options: Vec<(String, String, bool)>, all: bool| {
            let mut html = format!(
                "<div class=\"field\"><label for=\"filter-{name}\">{}</label><select id=\"filter-{name}\" name=\"{name}\">",
                escape(label)
            );
            if all {
                html.push_str(&format!(
                    "<option value=\"\">{}</option>",
                    escape(t(lang, "quality-all"))
                ));
            }
            for (value, text, selected) in options {
                html.push_str(&format!(
                    "<option value=\"{}\"{}>{}</option>",
                    escape(&value),
                    if selected { " selected" } else { "" },
                    escape(&text)
                ));
            }
            html.push_str("</select></div>");
            html
        };
        let years = years
            .iter()
            .map(|y| (y.to_string(), y.to_string(), *y == year))
            .collect();
        let ages = AGE_BANDS
            .iter()
            .enumerate()
            .map(|(i, a)| (a.0.to_owned(), t(lang, a.1).to_owned(), self.age == Some(i)))
            .collect();
        let sexes = SEXES
            .iter()
            .enumerate()
            .map(|(i, s)| (s.0.to_owned(), t(lang, s.1).to_owned(), self.sex == Some(i)))
            .collect();
        let diagnoses = DIAGNOSES
            .iter()
            .enumerate()
            .map(|(i, d)| ((*d).to_owned(), (*d).to_owned(), self.diagnosis == Some(i)))
            .collect();
        format!(
            "<form method=\"get\" action=\"{action}\" class=\"filters\" aria-label=\"{label}\">{}{}{}{}<button type=\"submit\">{apply}</button></form>\n",
            select("year", t(lang, "quality-year"), years, false),
            select("age", t(lang, "quality-age"), ages, true),
            select("sex", t(lang, "quality-sex"), sexes, true),
            select("diagnosis", t(lang, "quality-diagnosis"), diagnoses, true),
            action = escape(action),
            label = escape(t(lang, "quality-filters")),
            apply = escape(t(lang, "quality-apply")),
        )
    }
}

/// The report's results a page shows, by (indicator, level, unit, period).
struct Results<'a> {
    by_key: HashMap<(&'a str, UnitLevel, &'a str, &'a str), &'a IndicatorResult>,
    /// The years with any result (shown or not), oldest first.
    years: Vec<i32>,
}

impl<'a> Results<'a> {
    /// The results for which `shown` holds (a page indexes only what it shows).
    fn of(report: &'a Report, shown: impl Fn(&IndicatorResult) -> bool) -> Results<'a> {
        let mut years: Vec<i32> = report.results.iter().filter_map(|r| r.period.parse().ok()).collect();
        years.sort_unstable();
        years.dedup();
        let by_key = report
            .results
            .iter()
            .filter(|r| shown(r))
            .map(|r| {
                (
                    (
                        r.indicator.as_str(),
                        r.level_of_unit,
                        r.unit.as_str(),
                        r.period.as_str(),
                    ),
                    r,
                )
            })
            .collect();
        Results { by_key, years }
    }

    fn get(&self, indicator: &str, level: UnitLevel, unit: &str, year: i32) -> Option<&'a IndicatorResult> {
        self.by_key
            .get(&(indicator, level, unit, year.to_string().as_str()))
            .copied()
    }
}

/// The followed columns, or (without a follower) columns built from the registrations now.
async fn columns_of(state: &AppState, followed: Followed) -> Result<Arc<IndicatorColumns>, AppError> {
    match followed {
        Some(Extension(columns)) => Ok(columns),
        None => Ok(Arc::new(IndicatorColumns::load(Arc::clone(&state.platform)).await?)),
    }
}

/// The yearly indicator report for the selection (shared with the report cache).
async fn yearly_report(columns: &IndicatorColumns, choices: &Choices) -> Result<Arc<Report>, AppError> {
    let filter = choices.filter();
    columns
        .shared_report(
            super::pages::REGISTER,
            crate::api::today(),
            Granularity::Year,
            filter.as_deref(),
        )
        .await
}

/// A 400 page naming the refused query parameter.
fn bad_query(state: &AppState, visitor: &Visitor, name: &str) -> Response {
    let lang = visitor.lang;
    let message = t_with(lang, "quality-bad-query", &[("name", name)]);
    let main = format!("<p class=\"error\">{}</p>\n", escape(&message));
    let page = layout(visitor, state.options.demo, None, "/signin", &message, &main);
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// A value as shown: a percentage with one decimal for proportions, whole minutes for medians.
fn show_value(lang: Lang, indicator: &Indicator, value: f64) -> String {
    let text = match indicator.kind {
        IndicatorKind::Proportion { .. } => format!("{:.1} %", value * 100.0),
        IndicatorKind::Median { .. } => format!("{value:.0} min"),
    };
    match lang {
        Lang::Nb => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A threshold as printed: `≥ 90 %` or `≤ 30 min`.
fn show_threshold(lang: Lang, indicator: &Indicator, threshold: &Threshold) -> String {
    let symbol = match threshold.comparison.symbol() {
        ">=" => "≥",
        "<=" => "≤",
        other => other,
    };
    let limit = match indicator.kind {
        IndicatorKind::Proportion { .. } => {
            let pct = format!("{} %", (threshold.limit * 1000.0).round() / 10.0);
            match lang {
                Lang::Nb => pct.replace('.', ","),
                Lang::En => pct,
            }
        }
        IndicatorKind::Median { .. } => format!("{} min", threshold.limit),
    };
    format!("{symbol} {limit}")
}

/// The printed target levels of an indicator.
fn targets(lang: Lang, indicator: &Indicator) -> String {
    match &indicator.levels {
        Some(levels) => format!(
            "{} · {}",
            t_with(
                lang,
                "quality-green-limit",
                &[("limit", &show_threshold(lang, indicator, &levels.green))]
            ),
            t_with(
                lang,
                "quality-yellow-limit",
                &[("limit", &show_threshold(lang, indicator, &levels.yellow))]
            ),
        ),
        None => t(lang, "quality-no-levels").to_owned(),
    }
}

/// A level as colour and word.
fn level_badge(lang: Lang, level: Option<Level>) -> String {
    let Some(level) = level else {
        return String::new();
    };
    let (class, key) = match level {
        Level::Green => ("green", "quality-level-green"),
        Level::Yellow => ("yellow", "quality-level-yellow"),
        Level::Red => ("red", "quality-level-red"),
    };
    format!(
        "<span class=\"level level-{class}\"><span class=\"dot\" aria-hidden=\"true\"></span>{}</span>",
        escape(t(lang, key))
    )
}

/// A result in words: the value with its interval and n, "low N" with n, or "no data".
fn result_text(lang: Lang, indicator: &Indicator, result: Option<&IndicatorResult>) -> String {
    let Some(r) = result else {
        return t(lang, "quality-no-data").to_owned();
    };
    if r.low_n {
        return format!("{} (n = {})", t(lang, "quality-low-n"), r.denominator);
    }
    let Some(value) = r.value else {
        return format!("{} (n = {})", t(lang, "quality-no-data"), r.denominator);
    };
    let spread = match (r.ci_low, r.ci_high, r.q1, r.q3) {
        (Some(low), Some(high), _, _) => format!(
            " ({} {}–{})",
            t(lang, "quality-interval"),
            show_value(lang, indicator, low),
            show_value(lang, indicator, high)
        ),
        (_, _, Some(q1), Some(q3)) => format!(
            " ({} {}–{})",
            t(lang, "quality-quartiles"),
            show_value(lang, indicator, q1),
            show_value(lang, indicator, q3)
        ),
        _ => String::new(),
    };
    format!("{}{spread}, n = {}", show_value(lang, indicator, value), r.denominator)
}

/// The shown year: the one chosen, else the latest with results, else this year.
fn shown_year(choices: &Choices, results: &Results<'_>) -> i32 {
    choices
        .year
        .or_else(|| results.years.last().copied())
        .unwrap_or_else(|| i32::from(crate::api::today().year()))
}

/// The years the form offers: those with results and the shown one.
fn offered_years(results: &Results<'_>, year: i32) -> Vec<i32> {
    let mut years = results.years.clone();
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable();
    }
    years.reverse();
    years
}

/// The figure page frame, with the caveat every quality page carries.
fn caveat(lang: Lang) -> String {
    format!(
        "<p class=\"caveat\" role=\"note\">{}</p>\n",
        escape(t(lang, "quality-caveat"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn choices_build_the_filter_from_fixed_text_only() {
        let choices = Choices::read(&pairs(&[
            ("year", "2024"),
            ("age", "80+"),
            ("sex", "male"),
            ("diagnosis", "I63"),
        ]))
        .expect("valid choices");
        assert_eq!(
            choices.filter().as_deref(),
            Some("(age >= 80) AND sex = 'male' AND diagnosis = 'I63'")
        );
        assert_eq!(choices.query(2024), "?year=2024&age=80%2B&sex=male&diagnosis=I63");
        assert_eq!(
            Choices::read(&pairs(&[("sex", ""), ("age", "")]))
                .expect("all")
                .filter(),
            None
        );
        for bad in [
            ("sex", "' OR TRUE OR '"),
            ("year", "24"),
            ("year", "+2024"),
            ("diagnosis", "i63"),
            ("hospital", "UNN-TRO"),
        ] {
            assert_eq!(Choices::read(&pairs(&[bad])), Err(bad.0.to_owned()), "{bad:?}");
        }
        assert_eq!(
            Choices::read(&pairs(&[("sex", "male"), ("sex", "female")])),
            Err("sex".to_owned())
        );
    }
}
