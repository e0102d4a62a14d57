//! GET /quality/{indicator}: all hospitals on one indicator for a year, as sorted bars with
//! interval whiskers over the goal bands, a funnel plot around the national proportion, and
//! the same figures as a table.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use kvalreg_analytics::report::UnitLevel;
use kvalreg_analytics::stats::funnel_limits;
use kvalreg_analytics::svg::{Bands, Bar, FunnelPoint, LimitRow, bar_chart, funnel_plot};
use kvalreg_app::AppError;
use kvalreg_app::indicators::NATION;
use kvalreg_core::definition::{Direction, IndicatorKind};

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

/// Points along the funnel's limit lines.
const LIMIT_STEPS: u64 = 80;

pub async fn page(
    State(state): State<AppState>,
    followed: Followed,
    visitor: Visitor,
    ApiPath(indicator_id): ApiPath<String>,
    pairs: Pairs,
) -> Response {
    let Ok(axum::extract::Query(pairs)) = pairs else {
        return bad_query(&state, &visitor, "query");
    };
    let choices = match Choices::read(&pairs) {
        Ok(choices) => choices,
        Err(name) => return bad_query(&state, &visitor, &name),
    };
    let register = match state.platform.register(REGISTER) {
        Ok(register) => register,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let Some(indicator) = register.indicators.iter().find(|i| i.id == indicator_id) else {
        return failure_page(&state, &visitor, &AppError::UnknownRegister(indicator_id));
    };
    let hospitals = match state.platform.store.hospitals().await {
        Ok(list) => list,
        Err(err) => return failure_page(&state, &visitor, &AppError::from(err)),
    };
    let columns = match columns_of(&state, followed).await {
        Ok(columns) => columns,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let report = match yearly_report(&columns, &choices).await {
        Ok(report) => report,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let results = Results::of(&report, |r| r.indicator == indicator.id);
    let year = shown_year(&choices, &results);
    let lang = visitor.lang;
    let name = indicator.title.get(lang);
    let show = |v: f64| show_value(lang, indicator, v);
    let proportion = matches!(indicator.kind, IndicatorKind::Proportion { .. });

    // Hospitals with results: those with a value sorted best first, then low N by code.
    let mut shown: Vec<(&kvalreg_store::Hospital, &kvalreg_analytics::report::IndicatorResult)> = hospitals
        .iter()
        .filter_map(|h| {
            results
                .get(&indicator.id, UnitLevel::Hospital, &h.code, year)
                .map(|r| (h, r))
        })
        .collect();
    let higher = indicator.direction == Direction::Higher;
    shown.sort_by(|a, b| match (a.1.value, b.1.value) {
        (Some(x), Some(y)) => {
            let order = if higher { y.total_cmp(&x) } else { x.total_cmp(&y) };
            order.then_with(|| a.0.code.cmp(&b.0.code))
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.code.cmp(&b.0.code),
    });

    let here = format!("/quality/{}{}", indicator.id, choices.query(year));
    let title = t_with(lang, "quality-compare-title", &[("indicator", name)]);
    let mut main = format!("<h1>{}</h1>\n", escape(&title));
    main.push_str(&caveat(lang));
    if let Some(note) = &indicator.note {
        main.push_str(&format!(
            "<p class=\"note\" role=\"note\">{}</p>\n",
            escape(note.get(lang))
        ));
    }
    main.push_str(&format!(
        "<p class=\"target\">{}: {}</p>\n",
        escape(t(lang, "quality-target")),
        escape(&targets(lang, indicator))
    ));
    main.push_str(&choices.form(
        lang,
        &format!("/quality/{}", indicator.id),
        &offered_years(&results, year),
        year,
    ));
    if shown.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(t(lang, "quality-no-hospitals"))));
    }

    let bars: Vec<Bar> = shown
        .iter()
        .map(|(h, r)| Bar {
            label: h.code.clone(),
            value: r.value.map(|v| {
                let (low, high) = match (r.ci_low, r.ci_high, r.q1, r.q3) {
                    (Some(l), Some(h), _, _) | (_, _, Some(l), Some(h)) => (l, h),
                    _ => (v, v),
                };
                (v, low, high)
            }),
            text: if r.low_n {
                format!("{} (n = {})", t(lang, "quality-low-n"), r.denominator)
            } else {
                r.value
                    .map(|v| format!("{} (n = {})", show(v), r.denominator))
                    .unwrap_or_default()
            },
        })
        .collect();
    let bands = indicator.levels.map(|l| Bands {
        higher_is_better: higher,
        green: l.green.limit,
        yellow: l.yellow.limit,
    });
    let max = if proportion {
        1.0
    } else {
        let largest = bars
            .iter()
            .filter_map(|b| b.value.map(|v| v.2))
            .chain(bands.iter().flat_map(|b| [b.green, b.yellow]))
            .fold(0.0, f64::max);
        (largest * 1.1).max(1.0)
    };
    let year_text = year.to_string();
    main.push_str(&format!(
        "<figure class=\"chart\">{}</figure>\n",
        bar_chart(
            "bars",
            &t_with(lang, "quality-bars-title", &[("indicator", name), ("year", &year_text)]),
            t(lang, "quality-bars-desc"),
            &bars,
            bands,
            max,
            &show,
        )
    ));

    let national = results
        .get(&indicator.id, UnitLevel::Nation, NATION, year)
        .and_then(|r| r.value);
    match (proportion, national) {
        (true, Some(target)) => {
            let points: Vec<FunnelPoint> = shown
                .iter()
                .filter_map(|(h, r)| {
                    r.value.map(|p| FunnelPoint {
                        label: h.code.clone(),
                        proportion: p,
                        denominator: r.denominator,
                    })
                })
                .collect();
            let largest = shown.iter().map(|(_, r)| r.denominator).max().unwrap_or(1).max(1);
            let limits: Vec<LimitRow> = (1..=LIMIT_STEPS)
                .map(|i| (largest * i).div_ceil(LIMIT_STEPS).max(1))
                .collect::<std::collections::BTreeSet<u64>>()
                .into_iter()
                .filter_map(|n| funnel_limits(target, n).map(|l| (n, l.lower_998, l.lower_95, l.upper_95, l.upper_998)))
                .collect();
            main.push_str(&format!(
                "<figure class=\"chart\">{}</figure>\n",
                funnel_plot(
                    "funnel",
                    &t_with(
                        lang,
                        "quality-funnel-title",
                        &[("indicator", name), ("year", &year_text)]
                    ),
                    t(lang, "quality-funnel-desc"),
                    &points,
                    target,
                    &limits,
                    [
                        &format!("{} {}", t(lang, "quality-funnel-national"), show(target)),
                        t(lang, "quality-funnel-95"),
                        t(lang, "quality-funnel-998"),
                        t(lang, "quality-funnel-outside"),
                        t(lang, "quality-funnel-axis"),
                    ],
                )
            ));
        }
        (false, _) => main.push_str(&format!("<p>{}</p>\n", escape(t(lang, "quality-funnel-median")))),
        (true, None) => {}
    }

    main.push_str(&format!(
        "<table class=\"quality\" id=\"comparison\"><caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(t(lang, "quality-table")),
        escape(t(lang, "quality-hospital")),
        escape(t(lang, "quality-denominator")),
        escape(t(lang, "quality-value")),
        escape(t(lang, "quality-level")),
    ));
    for (h, r) in &shown {
        main.push_str(&format!(
            "<tr id=\"hospital-{code}\"><th scope=\"row\"><a href=\"/h/{code}/quality{query}\">{name} ({code})</a></th><td>{n}</td><td>{value}</td><td>{level}</td></tr>\n",
            code = escape(&h.code),
            query = escape(&choices.query(year)),
            name = escape(&h.name),
            n = r.denominator,
            value = escape(&result_text(lang, indicator, Some(r))),
            level = level_badge(lang, r.level),
        ));
    }
    main.push_str("</tbody></table>\n");
    Html(layout(&visitor, state.options.demo, None, &here, &title, &main)).into_response()
}
