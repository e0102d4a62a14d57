//! GET /registers/{register}/indicators?as_of=YYYY-MM-DD&period=year|quarter|month: the
//! register's quality indicators in the machine-readable shape of issue 4, the same JSON
//! `kvalreg report indicators` prints.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use kvalreg_app::indicators::{Granularity, IndicatorColumns};
use kvalreg_core::messages::{Lang, Text};
use kvalreg_core::time::parse_date;

use crate::AppState;
use crate::api::today;
use crate::extract::{ApiPath, QueryPairs};
use crate::failure;
use crate::lang::Language;
use crate::problem::{FieldProblem, Kind, Problem};

/// What the query asks for.
#[derive(Debug, PartialEq)]
struct Wanted {
    as_of: Date,
    granularity: Granularity,
}

pub async fn read(
    State(state): State<AppState>,
    followed: Option<Extension<Arc<IndicatorColumns>>>,
    Language(lang): Language,
    ApiPath(register): ApiPath<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    state
        .platform
        .register(&register)
        .map_err(|e| failure::problem(e, lang))?;
    let wanted = read_query(&pairs, today(), lang)?;
    // A server started without a follower reads the registrations for each request.
    let columns = match followed {
        Some(Extension(columns)) => columns,
        None => Arc::new(
            IndicatorColumns::load(Arc::clone(&state.platform))
                .await
                .map_err(|e| failure::problem(e, lang))?,
        ),
    };
    let report = columns
        .report(&register, wanted.as_of, wanted.granularity, None)
        .await
        .map_err(|e| failure::problem(e, lang))?;
    Ok(axum::Json(report).into_response())
}

/// Reads `as_of` (default: today in Europe/Oslo) and `period` (default: year), naming every
/// bad parameter at once.
fn read_query(pairs: &[(String, String)], today: Date, lang: Lang) -> Result<Wanted, Problem> {
    let mut wanted = Wanted {
        as_of: today,
        granularity: Granularity::Year,
    };
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        let outcome = if seen.contains(&name.as_str()) {
            Err((
                "repeated",
                Text::new("kan bare oppgis én gang", "may be given only once"),
            ))
        } else {
            seen.push(name);
            match name.as_str() {
                "as_of" => parse_date(value).map(|d| wanted.as_of = d).map_err(|_| {
                    (
                        "date",
                        Text::new("må være en dato ÅÅÅÅ-MM-DD", "must be a date YYYY-MM-DD"),
                    )
                }),
                "period" => Granularity::parse(value)
                    .map(|g| wanted.granularity = g)
                    .ok_or_else(|| {
                        (
                            "code",
                            Text::new("må være year, quarter eller month", "must be year, quarter or month"),
                        )
                    }),
                _ => Err((
                    "unknown_parameter",
                    Text::new(
                        "er ikke en parameter her (as_of, period)",
                        "is not a parameter here (as_of, period)",
                    ),
                )),
            }
        };
        if let Err((rule, text)) = outcome {
            let message = Text::new(
                format!("«{name}» = «{value}» {}", text.nb),
                format!("«{name}» = «{value}» {}", text.en),
            );
            errors.push(FieldProblem::new(name.clone(), rule, &message, lang));
        }
    }
    if errors.is_empty() {
        Ok(wanted)
    } else {
        let detail = Text::new("Spørreparametrene ble avvist", "The query parameters were refused");
        Err(Problem::new(Kind::BadRequest, lang, &detail).with_errors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn defaults_and_values() {
        let today = date(2025, 6, 1);
        assert_eq!(
            read_query(&[], today, Lang::En).unwrap(),
            Wanted {
                as_of: today,
                granularity: Granularity::Year
            }
        );
        assert_eq!(
            read_query(
                &pairs(&[("as_of", "2024-12-31"), ("period", "quarter")]),
                today,
                Lang::En
            )
            .unwrap(),
            Wanted {
                as_of: date(2024, 12, 31),
                granularity: Granularity::Quarter
            }
        );
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let Err(problem) = read_query(
            &pairs(&[
                ("as_of", "2024-02-30"),
                ("period", "week"),
                ("hospital", "UNN-TRO"),
                ("period", "year"),
            ]),
            date(2025, 6, 1),
            Lang::En,
        ) else {
            panic!("bad query accepted");
        };
        assert_eq!(problem.fields(), ["as_of", "period", "hospital", "period"]);
    }
}
