//! Listing registrations as a read of identifiable data: the list carries national ids, so
//! each list request is audited once, naming the filter and how many were shown, never the ids.

use jiff::civil::Date;
use kvalreg_store::{AuditEntry, Filter, Scope};
use serde_json::{Map, Value as Json};

use crate::{AppError, Platform, RegistrationView, status_name};

/// One page of a list read.
#[derive(Debug, Clone)]
pub struct ListPage {
    /// At most the filter's limit (all matching when the limit is 0), in creation order.
    pub registrations: Vec<RegistrationView>,
    /// How many match the filter in all.
    pub total: u64,
    /// Whether more registrations follow the last one on this page.
    pub more: bool,
}

impl Platform {
    /// [`Platform::list`] for a person: one `registration.list` audit entry per call, with the
    /// purpose, the filter and the number of registrations shown (not their ids).
    pub async fn list_audited(
        &self,
        scope: &Scope,
        filter: &Filter,
        actor: &str,
        purpose: &str,
    ) -> Result<ListPage, AppError> {
        let mut probe = filter.clone();
        // One more than asked tells whether another page follows.
        if probe.limit > 0 {
            probe.limit = probe.limit.saturating_add(1);
        }
        let (mut registrations, total) = self.list(scope, &probe).await?;
        let shown = filter.limit as usize;
        let more = filter.limit > 0 && registrations.len() > shown;
        if more {
            registrations.truncate(shown);
        }
        let mut entry = AuditEntry::new(actor, "registration.list");
        entry.register = Some(filter.register.clone());
        entry.hospital = filter.hospital.clone();
        entry.detail.insert("purpose".into(), Json::from(purpose));
        entry.detail.insert("count".into(), Json::from(registrations.len()));
        entry
            .detail
            .insert("filter".into(), Json::Object(filter_detail(filter)));
        self.store.audit(entry).await?;
        Ok(ListPage {
            registrations,
            total,
            more,
        })
    }
}

/// The filter as audit detail; absent conditions are left out.
fn filter_detail(filter: &Filter) -> Map<String, Json> {
    let date = |d: Option<Date>| d.map(|d| Json::from(d.to_string()));
    let fields = [
        ("hospital", filter.hospital.clone().map(Json::from)),
        ("status", filter.status.map(|s| Json::from(status_name(s)))),
        ("event_from", date(filter.event_from)),
        ("event_to", date(filter.event_to)),
        ("after", filter.after.map(|id| Json::from(id.to_string()))),
        ("limit", Some(Json::from(filter.limit))),
    ];
    fields
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
        .collect()
}
