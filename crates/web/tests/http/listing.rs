//! Listing registrations with filters and keyset paging, and the hospital list.

use kvalreg_web::WebOptions;
use serde_json::{Value as Json, json};

use crate::documents;
use crate::server::{TestServer, field_rules};

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

fn ids(page: &Json) -> Vec<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn filters_and_paging() {
    let server = TestServer::sqlite(WebOptions::default());
    let plan = [
        ("UNN-TRO", "2024-03-10", false),
        ("UNN-TRO", "2024-06-01", true),
        ("UNN-TRO", "2024-11-30", false),
        ("FIN-HAM", "2023-05-02", true),
        ("FIN-HAM", "2023-12-31", false),
    ];
    let mut created = Vec::new();
    for (seq, (hospital, day, complete)) in (20u32..).zip(plan) {
        let mut doc = if complete {
            documents::complete(seq, hospital, day)
        } else {
            documents::draft(seq, hospital, day)
        };
        if complete {
            doc["status"] = json!("complete");
        }
        let body = server.post(REGISTRATIONS).json(&doc).send().expect(201);
        created.push(body["id"].as_str().expect("id").to_owned());
    }

    let all = server.get(REGISTRATIONS).send().expect(200);
    assert_eq!(all["total"], 5);
    assert_eq!(ids(&all), created, "creation order");
    assert!(all["next"].is_null());

    let at = server
        .get(&format!("{REGISTRATIONS}?hospital=UNN-TRO"))
        .send()
        .expect(200);
    assert_eq!(at["total"], 3);
    assert!(
        at["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["hospital"] == "UNN-TRO")
    );

    let complete = server
        .get(&format!("{REGISTRATIONS}?status=complete"))
        .send()
        .expect(200);
    assert_eq!(ids(&complete), [created[1].clone(), created[3].clone()]);

    let year = server
        .get(&format!("{REGISTRATIONS}?from=2024-01-01&to=2024-12-31"))
        .send()
        .expect(200);
    assert_eq!(ids(&year), created[..3].to_vec());
    let edge = server
        .get(&format!("{REGISTRATIONS}?from=2023-12-31&to=2024-03-10"))
        .send()
        .expect(200);
    assert_eq!(
        ids(&edge),
        [created[0].clone(), created[4].clone()],
        "both ends are inclusive"
    );

    let drafts_2023 = server
        .get(&format!("{REGISTRATIONS}?hospital=FIN-HAM&status=draft&to=2023-12-31"))
        .send()
        .expect(200);
    assert_eq!(ids(&drafts_2023), [created[4].clone()]);

    let mut seen = Vec::new();
    let mut path = format!("{REGISTRATIONS}?limit=2");
    let mut pages = 0;
    loop {
        let page = server.get(&path).send().expect(200);
        assert_eq!(page["total"], 5, "the total ignores the cursor");
        seen.extend(ids(&page));
        pages += 1;
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                path = format!("{REGISTRATIONS}?limit=2&after={next}");
            }
            None => break,
        }
        assert!(pages < 5, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);

    let exact = server.get(&format!("{REGISTRATIONS}?limit=5")).send().expect(200);
    assert!(
        exact["next"].is_null(),
        "no next page when the page holds the rest exactly"
    );
}

#[test]
fn hospitals_are_listed_and_upserted() {
    let server = TestServer::sqlite(WebOptions::default());
    let list = server.get("/api/v1/hospitals").send().expect(200);
    let total = list["total"].as_u64().expect("total");
    assert!(total > 40, "reference hospitals seeded: {total}");
    assert!(
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|h| h["code"] == "UNN-TRO" && h["evt_centre"] == true)
    );

    let hospital = json!({"name": "Testsykehuset <Nord>", "health_trust": "Test HF", "health_region": "Helse Nord RHF", "evt_centre": false});
    let body = server
        .put("/api/v1/hospitals/TEST-NORD")
        .json(&hospital)
        .send()
        .expect(201);
    assert_eq!(body["code"], "TEST-NORD");
    assert_eq!(body["active"], true);
    let mut renamed = hospital.clone();
    renamed["active"] = json!(false);
    server
        .put("/api/v1/hospitals/TEST-NORD")
        .json(&renamed)
        .send()
        .expect(200);
    let list = server.get("/api/v1/hospitals").send().expect(200);
    assert_eq!(list["total"].as_u64(), Some(total + 1));
    let stored = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["code"] == "TEST-NORD")
        .expect("stored");
    assert_eq!(stored["active"], false);
    assert_eq!(stored["name"], "Testsykehuset <Nord>");

    // The new hospital may now be used in a registration.
    let doc = documents::draft(30, "TEST-NORD", "2024-03-10");
    server.post(REGISTRATIONS).json(&doc).send().expect(201);

    let problem = server
        .put("/api/v1/hospitals/bad%20code")
        .json(&json!({"name": "", "health_trust": "T", "evt_centre": "no", "beds": 3}))
        .send()
        .problem(422);
    let fields: Vec<String> = field_rules(&problem).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["code", "name", "health_region", "evt_centre", "beds"]);
}
