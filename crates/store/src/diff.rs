//! What changed between two versions of a registration, so history can say it plainly.
//!
//! Only top-level fields are compared. A field set to JSON `null` counts as absent, so
//! clearing a field and removing it read the same. `status` and `hospital` come first when
//! they changed, then the fields of the new document in its own order, then the fields it
//! no longer has, by name (the stored order of an old document differs between backends).

use serde_json::{Map, Value as Json};

use crate::{FieldChange, Status};

/// The part of a version that a diff compares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    pub status: Status,
    pub hospital: &'a str,
    pub data: &'a Map<String, Json>,
}

/// Changes from `before` (None for version 1) to `after`.
pub(crate) fn changes(before: Option<Side<'_>>, after: Side<'_>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let old_status = before.map(|b| b.status);
    if old_status != Some(after.status) {
        out.push(FieldChange {
            field: "status".to_owned(),
            before: old_status.map(status_json),
            after: Some(status_json(after.status)),
        });
    }
    // A document that carries its hospital as a field reports the change there, once.
    let old_hospital = before.map(|b| b.hospital);
    if old_hospital != Some(after.hospital) && !after.data.contains_key("hospital") {
        out.push(FieldChange {
            field: "hospital".to_owned(),
            before: old_hospital.map(|h| Json::String(h.to_owned())),
            after: Some(Json::String(after.hospital.to_owned())),
        });
    }
    let empty = Map::new();
    let old_data = before.map_or(&empty, |b| b.data);
    for (field, value) in after.data.iter().filter(|(_, v)| !v.is_null()) {
        let old_value = present(old_data.get(field));
        if old_value.as_ref() != Some(value) {
            out.push(FieldChange {
                field: field.clone(),
                before: old_value,
                after: Some(value.clone()),
            });
        }
    }
    let mut removed: Vec<FieldChange> = old_data
        .iter()
        .filter(|(field, _)| present(after.data.get(*field)).is_none())
        .filter_map(|(field, value)| {
            present(Some(value)).map(|old| FieldChange {
                field: field.clone(),
                before: Some(old),
                after: None,
            })
        })
        .collect();
    removed.sort_by(|a, b| a.field.cmp(&b.field));
    out.extend(removed);
    out
}

fn present(value: Option<&Json>) -> Option<Json> {
    value.filter(|v| !v.is_null()).cloned()
}

fn status_json(status: Status) -> Json {
    Json::String(crate::record::status_text(status).to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            other => panic!("test data must be an object, got {other}"),
        }
    }

    fn change(field: &str, before: Option<Json>, after: Option<Json>) -> FieldChange {
        FieldChange {
            field: field.to_owned(),
            before,
            after,
        }
    }

    #[test]
    fn first_version_lists_status_hospital_and_every_non_null_field() {
        let data = map(json!({"age": 71, "sex": "F", "nihss": null}));
        let got = changes(
            None,
            Side {
                status: Status::Draft,
                hospital: "H1",
                data: &data,
            },
        );
        assert_eq!(
            got,
            vec![
                change("status", None, Some(json!("draft"))),
                change("hospital", None, Some(json!("H1"))),
                change("age", None, Some(json!(71))),
                change("sex", None, Some(json!("F"))),
            ]
        );
    }

    #[test]
    fn later_version_lists_only_what_differs() {
        let old = map(json!({"age": 71, "sex": "F", "nihss": 4, "smoker": "yes"}));
        let new = map(json!({"age": 71, "sex": "M", "nihss": null, "weight": 80}));
        let got = changes(
            Some(Side {
                status: Status::Draft,
                hospital: "H1",
                data: &old,
            }),
            Side {
                status: Status::Draft,
                hospital: "H1",
                data: &new,
            },
        );
        assert_eq!(
            got,
            vec![
                change("sex", Some(json!("F")), Some(json!("M"))),
                change("weight", None, Some(json!(80))),
                change("nihss", Some(json!(4)), None),
                change("smoker", Some(json!("yes")), None),
            ]
        );
    }

    #[test]
    fn status_and_hospital_changes_come_first() {
        let data = map(json!({"age": 71}));
        let got = changes(
            Some(Side {
                status: Status::Draft,
                hospital: "H1",
                data: &data,
            }),
            Side {
                status: Status::Complete,
                hospital: "H2",
                data: &data,
            },
        );
        assert_eq!(
            got,
            vec![
                change("status", Some(json!("draft")), Some(json!("complete"))),
                change("hospital", Some(json!("H1")), Some(json!("H2"))),
            ]
        );
    }

    #[test]
    fn a_hospital_field_in_the_document_is_listed_once() {
        let data = map(json!({"hospital": "H1", "ivt": true}));
        let listed = changes(
            None,
            Side {
                status: Status::Draft,
                hospital: "H1",
                data: &data,
            },
        );
        let hospitals = listed.iter().filter(|c| c.field == "hospital").count();
        assert_eq!(hospitals, 1, "{listed:?}");
    }

    #[test]
    fn identical_versions_have_no_changes() {
        let data = map(json!({"age": 71, "onset": {"date": "2024-03-31", "time": null}}));
        let side = Side {
            status: Status::Locked,
            hospital: "H1",
            data: &data,
        };
        assert!(changes(Some(side), side).is_empty());
    }

    #[test]
    fn nested_values_compare_whole() {
        let old = map(json!({"onset": {"date": "2024-03-31", "time": "02:30"}}));
        let new = map(json!({"onset": {"date": "2024-03-31", "time": "03:30"}}));
        let got = changes(
            Some(Side {
                status: Status::Draft,
                hospital: "H1",
                data: &old,
            }),
            Side {
                status: Status::Draft,
                hospital: "H1",
                data: &new,
            },
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field, "onset");
    }
}
