//! GET /h/{hospital}/quality: one hospital's indicators for a year against its health trust,
//! region and the nation, with the level in colour and words, the target levels and a small
//! trend over the years.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use kvalreg_analytics::report::UnitLevel;
use kvalreg_analytics::svg;
use kvalreg_app::AppError;
use kvalreg_app::indicators::NATION;
use kvalreg_core::definition::{Indicator, IndicatorKind};

use super::super::pages::{REGISTER, failure_page};
use super::super::{Visitor, layout};
use super::{
    Choices, Followed, Pairs, Results, bad_query, caveat, columns_of, level_badge, offered_years, result_text,
    show_value, shown_year, targets, yearly_report,
};
use crate::AppState;
use crate::extract::ApiPath;
use crate::html::escape;
use crate::ui::catalogue::{t, t_with};

pub async fn page(
    State(state): State<AppState>,
    followed: Followed,
    visitor: Visitor,
    ApiPath(hospital): ApiPath<String>,
    pairs: Pairs,
) -> Response {
    let Ok(axum::extract::Query(pairs)) = pairs else {
        return bad_query(&state, &visitor, "query");
    };
    let choices = match Choices::read(&pairs) {
        Ok(choices) => choices,
        Err(name) => return bad_query(&state, &visitor, &name),
    };
    let hospitals = match state.platform.store.hospitals().await {
        Ok(list) => list,
        Err(err) => return failure_page(&state, &visitor, &AppError::from(err)),
    };
    let Some(own) = hospitals.into_iter().find(|h| h.code == hospital) else {
        return failure_page(&state, &visitor, &AppError::UnknownRegister(hospital));
    };
    let register = match state.platform.register(REGISTER) {
        Ok(register) => register,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let columns = match columns_of(&state, followed).await {
        Ok(columns) => columns,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let report = match yearly_report(&columns, &choices).await {
        Ok(report) => report,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    // Only the hospital's own units: itself, its trust, its region and the nation.
    let results = Results::of(&report, |r| match r.level_of_unit {
        UnitLevel::Hospital => r.unit == own.code,
        UnitLevel::Trust => r.unit == own.health_trust,
        UnitLevel::Region => r.unit == own.health_region,
        UnitLevel::Nation => true,
    });
    let year = shown_year(&choices, &results);
    let lang = visitor.lang;
    let here = format!("/h/{}/quality{}", own.code, choices.query(year));
    let title = t_with(
        lang,
        "quality-title",
        &[("hospital", &format!("{} ({})", own.name, own.code))],
    );
    let mut main = format!("<h1>{}</h1>\n", escape(&title));
    main.push_str(&caveat(lang));
    main.push_str(&choices.form(
        lang,
        &format!("/h/{}/quality", own.code),
        &offered_years(&results, year),
        year,
    ));
    main.push_str(&format!(
        "<table class=\"quality\" id=\"dashboard\"><caption>{year}</caption>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(t(lang, "quality-indicator")),
        escape(&format!("{} ({})", t(lang, "quality-hospital"), own.code)),
        escape(&format!("{} ({})", t(lang, "quality-trust"), own.health_trust)),
        escape(&format!("{} ({})", t(lang, "quality-region"), own.health_region)),
        escape(t(lang, "quality-nation")),
        escape(t(lang, "quality-level")),
        escape(t(lang, "quality-target")),
        escape(t(lang, "quality-trend")),
    ));
    for indicator in &register.indicators {
        let title = indicator.title.get(lang);
        let cell = |level: UnitLevel, unit: &str| {
            escape(&result_text(
                lang,
                indicator,
                results.get(&indicator.id, level, unit, year),
            ))
        };
        let own_result = results.get(&indicator.id, UnitLevel::Hospital, &own.code, year);
        let note = indicator
            .note
            .as_ref()
            .map(|n| format!("<p class=\"note\">{}</p>", escape(n.get(lang))))
            .unwrap_or_default();
        main.push_str(&format!(
            "<tr id=\"row-{id}\"><th scope=\"row\"><a href=\"/quality/{id}{query}\">{title}</a>{note}</th>\
             <td class=\"own\">{own}</td><td>{trust}</td><td>{region}</td><td>{nation}</td><td>{level}</td><td class=\"target\">{target}</td><td>{trend}</td></tr>\n",
            id = escape(&indicator.id),
            query = escape(&choices.query(year)),
            title = escape(title),
            own = cell(UnitLevel::Hospital, &own.code),
            trust = cell(UnitLevel::Trust, &own.health_trust),
            region = cell(UnitLevel::Region, &own.health_region),
            nation = cell(UnitLevel::Nation, NATION),
            level = level_badge(lang, own_result.and_then(|r| r.level)),
            target = escape(&targets(lang, indicator)),
            trend = trend(lang, indicator, &results, &own.code),
        ));
    }
    main.push_str("</tbody></table>\n");
    let awards = match columns.awards(REGISTER, crate::api::today()).await {
        Ok(awards) => awards,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    main.push_str(&awards_table(lang, &own.code, year, &awards));
    Html(layout(
        &visitor,
        state.options.demo,
        Some(&own.code),
        &here,
        &title,
        &main,
    ))
    .into_response()
}

/// The hospital's value per year as a small line.
fn trend(lang: kvalreg_core::messages::Lang, indicator: &Indicator, results: &Results<'_>, code: &str) -> String {
    let values: Vec<(String, Option<f64>)> = results
        .years
        .iter()
        .map(|y| {
            let value = results
                .get(&indicator.id, UnitLevel::Hospital, code, *y)
                .and_then(|r| r.value);
            (y.to_string(), value)
        })
        .collect();
    if values.iter().all(|(_, v)| v.is_none()) {
        return String::new();
    }
    let max = match indicator.kind {
        IndicatorKind::Proportion { .. } => 1.0,
        IndicatorKind::Median { .. } => values.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max) * 1.1,
    };
    let title = format!("{}: {}", t(lang, "quality-trend"), indicator.title.get(lang));
    svg::trend(&format!("trend-{}", indicator.id), &title, &values, max, &|v| {
        show_value(lang, indicator, v)
    })
}

/// The hospital's award status (ESO Angels) per quarter of the shown year.
fn awards_table(
    lang: kvalreg_core::messages::Lang,
    hospital: &str,
    year: i32,
    awards: &[kvalreg_analytics::AwardResult],
) -> String {
    let prefix = format!("{year}-Q");
    let mut rows = String::new();
    for award in awards
        .iter()
        .filter(|a| a.hospital == hospital && a.period.starts_with(&prefix))
    {
        let level = match award.level {
            kvalreg_analytics::AwardLevel::None => t(lang, "award-none"),
            kvalreg_analytics::AwardLevel::Gold => t(lang, "award-gold"),
            kvalreg_analytics::AwardLevel::Platinum => t(lang, "award-platinum"),
            kvalreg_analytics::AwardLevel::Diamond => t(lang, "award-diamond"),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"number\">{}</td><td>{}</td></tr>\n",
            escape(&award.period),
            award.patients,
            escape(level)
        ));
    }
    if rows.is_empty() {
        rows = format!(
            "<tr><td colspan=\"3\">{}</td></tr>\n",
            escape(t(lang, "award-no-quarters"))
        );
    }
    format!(
        "<h2>{title}</h2>\n<table id=\"awards\"><thead><tr><th>{quarter}</th><th class=\"number\">{patients}</th><th>{level}</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n<p class=\"note\">{note}</p>\n",
        title = escape(t(lang, "award-title")),
        quarter = escape(t(lang, "award-quarter")),
        patients = escape(t(lang, "award-patients")),
        level = escape(t(lang, "award-level")),
        note = escape(t(lang, "award-note")),
    )
}
