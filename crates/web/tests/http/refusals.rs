//! Anything a client can send gets a 4xx problem details answer naming what is wrong: never
//! a plain-text rejection, never a 5xx.

use kvalreg_web::WebOptions;
use serde_json::json;

use crate::documents;
use crate::server::{TestServer, field_rules};

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

fn first_field(problem: &serde_json::Value) -> String {
    field_rules(problem).first().map(|(f, _)| f.clone()).unwrap_or_default()
}

#[test]
fn unreadable_bodies_are_refused_with_problem_details() {
    let server = TestServer::sqlite(WebOptions::default());
    let cases: [(&str, &[u8], u16, &str, &str); 6] = [
        ("application/json", b"{\"hospital\": ", 400, "body", "json_syntax"),
        ("application/json", b"", 400, "body", "json_syntax"),
        (
            "application/json",
            b"[{\"hospital\": \"UNN-TRO\"}]",
            400,
            "body",
            "json_object",
        ),
        ("application/json", b"\"UNN-TRO\"", 400, "body", "json_object"),
        ("text/plain", b"{}", 415, "Content-Type", "media_type"),
        ("", b"{}", 415, "Content-Type", "media_type"),
    ];
    for (content_type, body, status, field, rule) in cases {
        let reply = server.post(REGISTRATIONS).raw(content_type, body.to_vec()).send();
        let problem = reply.problem(status);
        assert_eq!(
            field_rules(&problem),
            [(field.to_owned(), rule.to_owned())],
            "{content_type} {body:?}"
        );
    }
    let problem = server
        .post(REGISTRATIONS)
        .nb()
        .raw("application/json", b"{,}".to_vec())
        .send()
        .problem(400);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("linje 1"),
        "{problem}"
    );
}

#[test]
fn a_body_over_the_limit_is_413() {
    let server = TestServer::sqlite(WebOptions::default());
    // Announced too large: refused before any of it is read.
    let head = format!(
        "POST {REGISTRATIONS} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    let answer = server.raw_exchange(head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("/problems/payload-too-large"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");

    // Sent in chunks without a length: refused when the limit is passed while reading.
    let chunk = "x".repeat(64 * 1024);
    let mut request = format!(
        "POST {REGISTRATIONS} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..17 {
        request.extend(format!("{:x}\r\n{chunk}\r\n", chunk.len()).into_bytes());
    }
    request.extend(b"0\r\n\r\n");
    let answer = server.raw_exchange(&request);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("/problems/payload-too-large"), "{answer}");
}

#[test]
fn bad_addresses_are_refused_with_problem_details() {
    let server = TestServer::sqlite(WebOptions::default());
    let problem = server.get(&format!("{REGISTRATIONS}/not-a-uuid")).send().problem(400);
    assert_eq!(field_rules(&problem), [("id".to_owned(), "uuid".to_owned())]);
    let problem = server.get(&format!("{REGISTRATIONS}/%FF")).send().problem(400);
    assert_eq!(first_field(&problem), "path");
    let problem = server.get(&format!("{REGISTRATIONS}/123/history")).send().problem(400);
    assert_eq!(first_field(&problem), "id");

    let unknown = uuid::Uuid::new_v4();
    let problem = server.get(&format!("{REGISTRATIONS}/{unknown}")).send().problem(404);
    assert_eq!(problem["type"], "/problems/not-found");
    let doc = documents::draft(9, "UNN-TRO", "2024-03-10");
    server
        .put(&format!("{REGISTRATIONS}/{unknown}"))
        .if_match(1)
        .json(&doc)
        .send()
        .problem(404);

    let problem = server.get("/api/v1/registers/heart/registrations").send().problem(404);
    assert_eq!(
        field_rules(&problem),
        [("register".to_owned(), "unknown_register".to_owned())]
    );
    server
        .post("/api/v1/registers/heart/registrations")
        .json(&doc)
        .send()
        .problem(404);
    server.get("/api/v1/registers/heart/codebook.csv").send().problem(404);
    server
        .get(&format!("/api/v1/registers/heart/registrations/{unknown}"))
        .send()
        .problem(404);

    let problem = server.get("/api/v1/no/such/thing").send().problem(404);
    assert_eq!(problem["type"], "/problems/not-found");
    let refused = server.call("DELETE", REGISTRATIONS).send();
    let problem = refused.problem(405);
    assert_eq!(problem["type"], "/problems/method-not-allowed");
    assert_eq!(refused.header("allow"), Some("GET,HEAD,POST"));
}

#[test]
fn bad_query_parameters_are_each_named() {
    let server = TestServer::sqlite(WebOptions::default());
    let problem = server
        .get(&format!(
            "{REGISTRATIONS}?limit=abc&from=31.02.2024&status=open&after=7&colour=red"
        ))
        .send()
        .problem(400);
    let fields: Vec<String> = field_rules(&problem).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["limit", "from", "status", "after", "colour"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("to=2024-02-30", "to"),
        ("from=2024-05-01&to=2024-04-01", "to"),
    ] {
        let problem = server.get(&format!("{REGISTRATIONS}?{query}")).send().problem(400);
        assert_eq!(first_field(&problem), field, "{query}");
    }
    let problem = server
        .get(&format!("{REGISTRATIONS}?limit=5&limit=6"))
        .send()
        .problem(400);
    assert_eq!(field_rules(&problem), [("limit".to_owned(), "repeated".to_owned())]);
}

#[test]
fn bad_if_match_and_reopen_bodies_are_refused() {
    let server = TestServer::sqlite(WebOptions::default());
    let doc = documents::draft(10, "UNN-TRO", "2024-03-10");
    let created = server.post(REGISTRATIONS).json(&doc).send();
    created.expect(201);
    let location = created.header("location").expect("Location").to_owned();
    for bad in ["W/\"1\"", "abc", "\"1\", \"2\"", "*", "0"] {
        let problem = server
            .put(&location)
            .header("If-Match", bad)
            .json(&doc)
            .send()
            .problem(400);
        assert_eq!(
            field_rules(&problem),
            [("If-Match".to_owned(), "version".to_owned())],
            "{bad}"
        );
    }
    // An unquoted version is accepted too.
    server
        .put(&location)
        .header("If-Match", "1")
        .json(&doc)
        .send()
        .expect(200);

    let mut with_status = doc.clone();
    with_status["status"] = json!("complete");
    let problem = server.put(&location).if_match(2).json(&with_status).send().problem(422);
    assert_eq!(first_field(&problem), "status");

    // Reopening a draft is not a possible transition.
    let problem = server
        .post(&format!("{location}/reopen"))
        .if_match(2)
        .json(&json!({"reason": "test"}))
        .send()
        .problem(409);
    assert_eq!(problem["type"], "/problems/bad-transition");
    let problem = server
        .post(&format!("{location}/reopen"))
        .if_match(2)
        .json(&json!({"reason": 5}))
        .send()
        .problem(422);
    assert_eq!(field_rules(&problem), [("reason".to_owned(), "type".to_owned())]);
    let problem = server
        .post(&format!("{location}/reopen"))
        .if_match(2)
        .json(&json!({"reason": "x", "why": "y"}))
        .send()
        .problem(422);
    assert_eq!(field_rules(&problem), [("why".to_owned(), "unknown_field".to_owned())]);
    let problem = server.post(&format!("{location}/complete")).send().problem(428);
    assert_eq!(first_field(&problem), "If-Match");
    assert_eq!(
        server.get(&location).send().expect(200)["version"],
        2,
        "no refused call changed anything"
    );
}
