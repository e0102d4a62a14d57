//! GET /api/v1/registers/{register}/indicators on a server started without a follower: the
//! registrations are read for each request, so a completed registration counts at once, a
//! draft does not; bad parameters are each named.

use serde_json::json;

use crate::documents;
use crate::server::{TestServer, field_rules};

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";
const INDICATORS: &str = "/api/v1/registers/stroke/indicators";

fn ivt_rate_line(report: &serde_json::Value, level: &str, unit: &str) -> serde_json::Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["indicator"] == "ivt_rate" && r["level_of_unit"] == level && r["unit"] == unit)
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn indicators_count_complete_registrations_and_name_bad_parameters() {
    let server = TestServer::sqlite(Default::default());
    let empty = server.get(&format!("{INDICATORS}?as_of=2024-12-31")).send().expect(200);
    assert_eq!(
        empty,
        json!({"register": "stroke", "as_of": "2024-12-31", "results": []})
    );

    for seq in 1..=2 {
        let mut doc = documents::complete(seq, "UNN-TRO", "2024-03-10");
        doc["status"] = json!("complete");
        server.post(REGISTRATIONS).json(&doc).send().expect(201);
    }
    server
        .post(REGISTRATIONS)
        .json(&documents::draft(3, "UNN-TRO", "2024-03-11"))
        .send()
        .expect(201);

    let report = server
        .get(&format!("{INDICATORS}?as_of=2024-12-31&period=quarter"))
        .send()
        .expect(200);
    let hospital = ivt_rate_line(&report, "hospital", "UNN-TRO");
    assert_eq!(hospital["period"], "2024-Q1", "{hospital}");
    assert_eq!(hospital["denominator"], 2, "the draft is not counted: {hospital}");
    assert_eq!(hospital["low_n"], true, "{hospital}");
    assert!(hospital["value"].is_null(), "{hospital}");
    assert_eq!(
        ivt_rate_line(&report, "trust", "Universitetssykehuset Nord-Norge HF")["denominator"],
        2
    );
    assert_eq!(ivt_rate_line(&report, "region", "Helse Nord RHF")["denominator"], 2);
    assert_eq!(ivt_rate_line(&report, "nation", "Norge")["denominator"], 2);

    let before = server.get(&format!("{INDICATORS}?as_of=2024-03-09")).send().expect(200);
    assert_eq!(before["results"], json!([]), "nothing after the report date counts");

    let problem = server
        .get(&format!(
            "{INDICATORS}?as_of=10.03.2024x&period=week&period=year&hospital=UNN-TRO"
        ))
        .send()
        .problem(400);
    assert_eq!(
        field_rules(&problem),
        [
            ("as_of".to_string(), "date".to_string()),
            ("period".to_string(), "code".to_string()),
            ("period".to_string(), "repeated".to_string()),
            ("hospital".to_string(), "unknown_parameter".to_string()),
        ]
    );
    server.get("/api/v1/registers/heart/indicators").send().problem(404);
    let registers = server.get("/api/v1/registers").send().expect(200);
    assert_eq!(registers["items"][0]["links"]["indicators"], INDICATORS);
}
