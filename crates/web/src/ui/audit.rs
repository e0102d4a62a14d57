//! The auditor's page: search the audit log by who, what, hospital and registration, page
//! through it, and see whether the hash chain verifies and its head hash to record elsewhere.
//! Every search is itself audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kvalreg_store::{AuditEntry, AuditFilter};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::catalogue::{t, t_with};
use super::pages::failure_page;
use super::{Visitor, layout};
use crate::AppState;
use crate::access::Signed;
use crate::extract::QueryPairs;
use crate::html::escape;

/// Entries shown per page.
const PAGE: u32 = 200;

/// The filter of the query string, or the parameter that could not be read.
fn filter_of(pairs: &[(String, String)]) -> Result<AuditFilter, String> {
    let mut filter = AuditFilter {
        limit: PAGE,
        ..AuditFilter::default()
    };
    for (name, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "actor" => filter.actor = Some(value.to_owned()),
            "action" => filter.action = Some(value.to_owned()),
            "hospital" => filter.hospital = Some(value.to_owned()),
            "register" => filter.register = Some(value.to_owned()),
            "registration" => filter.registration_id = Some(Uuid::parse_str(value).map_err(|_| name.clone())?),
            "after" => filter.after_seq = Some(value.parse::<i64>().map_err(|_| name.clone())?),
            _ => return Err(name.clone()),
        }
    }
    Ok(filter)
}

/// What the search is recorded as: the conditions given.
fn search_entry(actor: &str, filter: &AuditFilter, shown: usize) -> AuditEntry {
    let mut entry = AuditEntry::new(actor, "audit.search");
    let mut conditions = Map::new();
    let text = |v: &Option<String>| v.clone().map_or(Json::Null, Json::from);
    conditions.insert("actor".into(), text(&filter.actor));
    conditions.insert("action".into(), text(&filter.action));
    conditions.insert("hospital".into(), text(&filter.hospital));
    conditions.insert("register".into(), text(&filter.register));
    conditions.insert(
        "registration".into(),
        filter
            .registration_id
            .map_or(Json::Null, |id| Json::from(id.to_string())),
    );
    conditions.insert("after".into(), filter.after_seq.map_or(Json::Null, Json::from));
    entry.detail.insert("filter".into(), Json::Object(conditions));
    entry.detail.insert("count".into(), Json::from(shown));
    entry
}

pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    QueryPairs(pairs): QueryPairs,
) -> Response {
    let lang = visitor.lang;
    let filter = match filter_of(&pairs) {
        Ok(filter) => filter,
        Err(name) => {
            let message = t_with(lang, "audit-bad-parameter", &[("name", &name)]);
            let main = format!("<p class=\"refusal\" role=\"alert\">{}</p>\n", escape(&message));
            let page = layout(
                &visitor,
                state.options.demo,
                None,
                "/audit",
                t(lang, "audit-title"),
                &main,
            );
            return (StatusCode::BAD_REQUEST, Html(page)).into_response();
        }
    };
    let store = &state.platform.store;
    let (entries, report) = match (store.audit_entries(&filter).await, store.verify_audit().await) {
        (Ok(entries), Ok(report)) => (entries, report),
        (Err(err), _) | (_, Err(err)) => return failure_page(&state, &visitor, &err.into()),
    };
    if let Err(err) = store.audit(search_entry(&principal.name, &filter, entries.len())).await {
        return failure_page(&state, &visitor, &err.into());
    }
    let chain = match &report.first_bad {
        None => format!(
            "<p id=\"audit-chain\" class=\"level-green\">{}</p>\n<p>{} <code id=\"audit-head\">{}</code></p>\n",
            escape(&t_with(
                lang,
                "audit-chain-ok",
                &[("count", &report.entries.to_string())]
            )),
            escape(t(lang, "audit-head")),
            escape(&report.head)
        ),
        Some((seq, problem)) => format!(
            "<p id=\"audit-chain\" class=\"refusal\" role=\"alert\">{}</p>\n",
            escape(&t_with(
                lang,
                "audit-chain-bad",
                &[("seq", &seq.to_string()), ("problem", &format!("{problem:?}"))]
            ))
        ),
    };
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| escape(v))
    };
    let field = |name: &str, key: &'static str| {
        format!(
            "<div class=\"field\"><label for=\"a-{name}\">{}</label><input id=\"a-{name}\" name=\"{name}\" value=\"{}\"></div>",
            escape(t(lang, key)),
            value(name)
        )
    };
    let form = format!(
        "<form method=\"get\" action=\"/audit\" class=\"filters\">{}{}{}{}<button type=\"submit\">{}</button></form>\n",
        field("actor", "audit-actor"),
        field("action", "audit-action"),
        field("hospital", "audit-hospital"),
        field("registration", "audit-registration"),
        escape(t(lang, "audit-search")),
    );
    let mut rows = String::new();
    for e in &entries {
        rows.push_str(&format!(
            "<tr><td class=\"number\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
            e.seq,
            escape(&e.at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()),
            escape(&e.actor),
            escape(&e.action),
            escape(e.hospital.as_deref().unwrap_or("")),
            e.registration_id.map_or(String::new(), |id| id.to_string()),
            escape(&e.detail),
        ));
    }
    let next = match entries.last() {
        Some(last) if entries.len() == PAGE as usize => {
            let kept: String = pairs
                .iter()
                .filter(|(k, _)| k != "after")
                .map(|(k, v)| format!("{}={}&", escape(k), escape(&crate::ui::percent_path(v))))
                .collect();
            format!(
                "<p><a id=\"audit-next\" href=\"/audit?{kept}after={}\">{}</a></p>\n",
                last.seq,
                escape(t(lang, "audit-next"))
            )
        }
        _ => String::new(),
    };
    let main = format!(
        "<h1>{title}</h1>\n{chain}{form}<table id=\"audit-entries\"><thead><tr><th>#</th><th>{at}</th><th>{actor}</th>\
         <th>{action}</th><th>{hospital}</th><th>{registration}</th><th>{detail}</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n{next}",
        title = escape(t(lang, "audit-title")),
        at = escape(t(lang, "audit-at")),
        actor = escape(t(lang, "audit-actor")),
        action = escape(t(lang, "audit-action")),
        hospital = escape(t(lang, "audit-hospital")),
        registration = escape(t(lang, "audit-registration")),
        detail = escape(t(lang, "audit-detail")),
    );
    Html(layout(
        &visitor,
        state.options.demo,
        None,
        "/audit",
        t(lang, "audit-title"),
        &main,
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_query_string_becomes_a_filter_or_names_the_bad_parameter() {
        let filter = filter_of(&pairs(&[("actor", " kari "), ("action", ""), ("after", "40")])).expect("filter");
        assert_eq!(filter.actor.as_deref(), Some("kari"));
        assert_eq!((filter.action, filter.after_seq, filter.limit), (None, Some(40), PAGE));
        assert_eq!(
            filter_of(&pairs(&[("registration", "x")])).err().as_deref(),
            Some("registration")
        );
        assert_eq!(filter_of(&pairs(&[("colour", "red")])).err().as_deref(), Some("colour"));
    }
}
