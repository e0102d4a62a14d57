//! GET /registers/{register}/worklist?hospital=CODE[&today=YYYY-MM-DD]: a hospital's drafts,
//! drafts missing data and follow-ups due, with counts.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use kvalreg_core::messages::{Lang, Text};
use kvalreg_core::time::{oslo_date, parse_date};
use kvalreg_core::value::Moment;
use serde_json::json;

use crate::AppState;
use crate::access::Signed;
use crate::extract::{ApiPath, QueryPairs};
use crate::failure;
use crate::lang::Language;
use crate::problem::{Kind, Problem};

/// Today's date in Europe/Oslo: the day worklists are computed for.
pub fn today() -> Date {
    oslo_date(&Moment::At(Timestamp::now()))
}

pub async fn read(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath(register): ApiPath<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let mut hospital = None;
    let mut day = today();
    for (name, value) in &pairs {
        match name.as_str() {
            "hospital" => hospital = Some(value.clone()),
            "today" => {
                day =
                    parse_date(value).map_err(|e| bad(lang, "today", "date", &Text::new(e.message_nb, e.message_en)))?
            }
            other => {
                return Err(bad(
                    lang,
                    other,
                    "unknown_parameter",
                    &Text::new(
                        format!("«{other}» er ikke en parameter for arbeidslisten"),
                        format!("«{other}» is not a worklist parameter"),
                    ),
                ));
            }
        }
    }
    let Some(hospital) = hospital else {
        return Err(bad(
            lang,
            "hospital",
            "required",
            &Text::new("Oppgi sykehuset: ?hospital=KODE", "Name the hospital: ?hospital=CODE"),
        ));
    };
    let list = state
        .platform
        .worklist(&principal.scope(&register), &register, &hospital, day)
        .await
        .map_err(|e| failure::problem(e, lang))?;
    Ok(axum::Json(json!({
        "hospital": list.hospital,
        "today": day.to_string(),
        "counts": {
            "drafts": list.drafts.len(),
            "missing_data": list.missing_data.len(),
            "follow_ups_due": list.follow_ups_due.len(),
        },
        "drafts": list.drafts,
        "missing_data": list.missing_data,
        "follow_ups_due": list.follow_ups_due,
    }))
    .into_response())
}

fn bad(lang: Lang, field: &str, rule: &str, message: &Text) -> Problem {
    Problem::field(Kind::BadRequest, lang, field, rule, message)
}
