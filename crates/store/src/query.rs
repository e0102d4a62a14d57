//! The WHERE clauses both backends share, so neither can forget the hospital scope.
//!
//! The scope condition, the listing filter and the keyset cursor are built once, generic
//! over the sqlx database; a `Dialect` supplies PostgreSQL's parameter casts.

use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::record::{date_text, status_text};
use crate::{Filter, Scope};

/// How a backend writes the casts its placeholders need (PostgreSQL types text parameters
/// explicitly; SQLite compares text with text).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    pub date: &'static str,
    pub uuid: &'static str,
}

/// Appends ` AND <column> IN (...)` for a hospital scope (nothing for all hospitals; a
/// condition that is never true for an empty set).
pub(crate) fn push_scope<DB>(qb: &mut QueryBuilder<DB>, column: &str, scope: &Scope)
where
    DB: Database,
    String: for<'q> Encode<'q, DB> + Type<DB>,
{
    match scope {
        Scope::AllHospitals => {}
        Scope::Hospitals(codes) if codes.is_empty() => {
            qb.push(" AND 1 = 0");
        }
        Scope::Hospitals(codes) => {
            qb.push(" AND ").push(column).push(" IN (");
            let mut list = qb.separated(", ");
            for code in codes {
                list.push_bind(code.clone());
            }
            list.push_unseparated(")");
        }
    }
}

/// Appends ` WHERE ...` for a listing filter and scope over `registrations`; the cursor and
/// limit are left to the caller because `count` ignores them.
pub(crate) fn push_filter<DB>(qb: &mut QueryBuilder<DB>, dialect: Dialect, scope: &Scope, filter: &Filter)
where
    DB: Database,
    String: for<'q> Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE register = ").push_bind(filter.register.clone());
    push_scope(qb, "hospital", scope);
    if let Some(hospital) = &filter.hospital {
        qb.push(" AND hospital = ").push_bind(hospital.clone());
    }
    if let Some(status) = filter.status {
        qb.push(" AND status = ").push_bind(status_text(status).to_owned());
    }
    if let Some(from) = filter.event_from {
        qb.push(" AND event_date >= ")
            .push_bind(date_text(from))
            .push(dialect.date);
    }
    if let Some(to) = filter.event_to {
        qb.push(" AND event_date <= ")
            .push_bind(date_text(to))
            .push(dialect.date);
    }
}

/// Appends the keyset cursor (rows created after `filter.after`, which must itself be in
/// scope), the creation order and the limit (0 means no limit).
pub(crate) fn push_page<DB>(qb: &mut QueryBuilder<DB>, dialect: Dialect, scope: &Scope, filter: &Filter)
where
    DB: Database,
    String: for<'q> Encode<'q, DB> + Type<DB>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
{
    if let Some(after) = filter.after {
        qb.push(" AND seq > (SELECT anchor.seq FROM registrations anchor WHERE anchor.id = ")
            .push_bind(after.to_string())
            .push(dialect.uuid);
        push_scope(qb, "anchor.hospital", scope);
        qb.push(")");
    }
    qb.push(" ORDER BY seq");
    if filter.limit > 0 {
        qb.push(" LIMIT ").push_bind(i64::from(filter.limit));
    }
}
