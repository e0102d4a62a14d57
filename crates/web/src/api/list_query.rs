//! Reads the query of the registration list (hospital, status, period, cursor, page size)
//! into a store filter, naming every bad parameter at once.

use kvalreg_core::messages::{Lang, Text};
use kvalreg_store::{Filter, Status};
use uuid::Uuid;

use crate::problem::{FieldProblem, Kind, Problem};

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// Reads the list query: every bad parameter is reported, not only the first.
pub fn read(register: String, pairs: &[(String, String)], lang: Lang) -> Result<Filter, Problem> {
    let mut filter = Filter {
        register,
        limit: DEFAULT_LIMIT,
        ..Filter::default()
    };
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        if seen.contains(&name.as_str()) {
            errors.push(FieldProblem::new(
                name.clone(),
                "repeated",
                &Text::new(
                    format!("«{name}» kan bare oppgis én gang"),
                    format!("«{name}» may be given only once"),
                ),
                lang,
            ));
            continue;
        }
        seen.push(name);
        let outcome = match name.as_str() {
            "hospital" => {
                filter.hospital = Some(value.clone());
                Ok(())
            }
            "status" => parse_status(value).map(|s| filter.status = Some(s)).ok_or_else(|| {
                (
                    "code",
                    Text::new(
                        "må være draft, complete eller locked",
                        "must be draft, complete or locked",
                    ),
                )
            }),
            "from" => parse_date(value).map(|d| filter.event_from = Some(d)),
            "to" => parse_date(value).map(|d| filter.event_to = Some(d)),
            "after" => Uuid::parse_str(value).map(|id| filter.after = Some(id)).map_err(|_| {
                (
                    "uuid",
                    Text::new("må være en registrerings-id (UUID)", "must be a registration id (UUID)"),
                )
            }),
            "limit" => value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .map(|n| filter.limit = n)
                .ok_or_else(|| {
                    (
                        "range",
                        Text::new(
                            format!("må være et heltall fra 1 til {MAX_LIMIT}"),
                            format!("must be a whole number from 1 to {MAX_LIMIT}"),
                        ),
                    )
                }),
            _ => Err((
                "unknown_parameter",
                Text::new(
                    "er ikke en parameter her (hospital, status, from, to, after, limit)",
                    "is not a parameter here (hospital, status, from, to, after, limit)",
                ),
            )),
        };
        if let Err((rule, text)) = outcome {
            let message = Text::new(
                format!("«{name}» = «{value}» {}", text.nb),
                format!("«{name}» = «{value}» {}", text.en),
            );
            errors.push(FieldProblem::new(name.clone(), rule, &message, lang));
        }
    }
    if let (Some(from), Some(to)) = (filter.event_from, filter.event_to)
        && from > to
    {
        errors.push(FieldProblem::new(
            "to",
            "range",
            &Text::new("«to» kan ikke være før «from»", "«to» cannot be before «from»"),
            lang,
        ));
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        let detail = Text::new("Spørreparametrene ble avvist", "The query parameters were refused");
        Err(Problem::new(Kind::BadRequest, lang, &detail).with_errors(errors))
    }
}

fn parse_status(text: &str) -> Option<Status> {
    match text {
        "draft" => Some(Status::Draft),
        "complete" => Some(Status::Complete),
        "locked" => Some(Status::Locked),
        _ => None,
    }
}

fn parse_date(text: &str) -> Result<jiff::civil::Date, (&'static str, Text)> {
    text.parse::<jiff::civil::Date>().map_err(|_| {
        (
            "date",
            Text::new("må være en dato ÅÅÅÅ-MM-DD", "must be a date YYYY-MM-DD"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn query_defaults_and_values() {
        let filter = read("stroke".into(), &[], Lang::En).unwrap();
        assert_eq!(filter.limit, DEFAULT_LIMIT);
        let filter = read(
            "stroke".into(),
            &pairs(&[
                ("status", "complete"),
                ("from", "2024-01-01"),
                ("to", "2024-12-31"),
                ("limit", "1000"),
            ]),
            Lang::En,
        )
        .unwrap();
        assert_eq!(filter.status, Some(Status::Complete));
        assert_eq!(filter.event_from, Some(jiff::civil::date(2024, 1, 1)));
        assert_eq!(filter.limit, 1000);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let Err(problem) = read(
            "stroke".into(),
            &pairs(&[
                ("limit", "abc"),
                ("from", "31.02.2024"),
                ("to", "2024-02-30"),
                ("colour", "red"),
                ("limit", "5"),
            ]),
            Lang::En,
        ) else {
            panic!("bad query accepted");
        };
        assert_eq!(problem.fields(), ["limit", "from", "to", "colour", "limit"]);
    }

    #[test]
    fn limits_outside_range_are_refused() {
        for bad in ["0", "1001", "-1", ""] {
            assert!(
                read("stroke".into(), &pairs(&[("limit", bad)]), Lang::En).is_err(),
                "{bad}"
            );
        }
        assert!(
            read(
                "stroke".into(),
                &pairs(&[("from", "2024-05-01"), ("to", "2024-04-01")]),
                Lang::En
            )
            .is_err()
        );
    }
}
