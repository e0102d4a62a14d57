//! GET /api/v1/openapi.json: the document is OpenAPI 3.1, every operation it describes is
//! routed (answering only statuses it documents), and every route is described.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use crate::server::TestServer;

/// Every route of the router in crates/web/src/api/mod.rs, as OpenAPI paths. A route added
/// there must be added here and described in crates/web/openapi.json.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/registers"),
    ("get", "/api/v1/registers/{register}/codebook.csv"),
    ("get", "/api/v1/registers/{register}/registrations"),
    ("post", "/api/v1/registers/{register}/registrations"),
    ("get", "/api/v1/registers/{register}/registrations/{id}"),
    ("put", "/api/v1/registers/{register}/registrations/{id}"),
    ("post", "/api/v1/registers/{register}/registrations/{id}/complete"),
    ("post", "/api/v1/registers/{register}/registrations/{id}/reopen"),
    ("post", "/api/v1/registers/{register}/registrations/{id}/lock"),
    ("get", "/api/v1/registers/{register}/worklist"),
    ("get", "/api/v1/registers/{register}/indicators"),
    ("get", "/api/v1/registers/{register}/registrations/{id}/history"),
    ("get", "/api/v1/hospitals"),
    ("put", "/api/v1/hospitals/{code}"),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// The object a `$ref` within the document points to, or the object itself.
fn resolve<'a>(doc: &'a Json, node: &'a Json) -> &'a Json {
    match node["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved $ref {reference}")),
        None => node,
    }
}

/// True for the router's answer to an address it does not have (a resource that is not
/// there is also /problems/not-found, but names the resource, not the address).
fn route_missing(answer: &Json) -> bool {
    answer["type"] == "/problems/not-found"
        && answer["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("The API has no address"))
}

#[test]
fn the_document_is_openapi_3_1_and_linked_from_the_index() {
    let server = TestServer::sqlite(Default::default());
    let reply = server.get("/api/v1/openapi.json").send();
    let doc = reply.expect(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")),
        "openapi = {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let index = server.get("/api/v1").send().expect(200);
    assert_eq!(index["links"]["openapi"], "/api/v1/openapi.json");
}

#[test]
fn every_documented_operation_is_routed_and_every_route_documented() {
    let server = TestServer::sqlite(Default::default());
    let doc = server.get("/api/v1/openapi.json").send().expect(200);
    let paths = doc["paths"].as_object().expect("paths");

    // The discriminator below really tells an unrouted address from a missing resource.
    let unrouted = server
        .get("/api/v1/registers/stroke/no-such-address")
        .send()
        .problem(404);
    assert!(route_missing(&unrouted), "{unrouted}");
    let missing = server
        .get("/api/v1/registers/stroke/registrations/0192f0c4-6a8e-7c33-9d57-3c1e0f7b2a10")
        .send()
        .problem(404);
    assert!(!route_missing(&missing), "{missing}");

    let mut documented = BTreeSet::new();
    for (template, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(*method) else { continue };
            documented.insert((method.to_string(), template.clone()));
            let mut path = template.clone();
            let mut query = Vec::new();
            let mut headers = Vec::new();
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let parameter = resolve(&doc, parameter);
                let name = parameter["name"].as_str().expect("parameter name");
                let example = match &parameter["example"] {
                    Json::String(s) => s.clone(),
                    Json::Null => panic!("{method} {template}: parameter {name} has no example"),
                    other => other.to_string(),
                };
                match parameter["in"].as_str() {
                    Some("path") => path = path.replace(&format!("{{{name}}}"), &example),
                    Some("query") if parameter["required"] == true => query.push(format!("{name}={example}")),
                    Some("header") if parameter["required"] == true => headers.push((name.to_owned(), example)),
                    _ => {}
                }
            }
            assert!(
                !path.contains('{'),
                "{method} {template}: a path parameter is not described"
            );
            if !query.is_empty() {
                path = format!("{path}?{}", query.join("&"));
            }
            let mut call = server.call(&method.to_uppercase(), &path);
            for (name, value) in &headers {
                call = call.header(name, value);
            }
            if operation.get("requestBody").is_some() {
                call = call.json(&json!({}));
            }
            let reply = call.send();
            let status = reply.status;
            assert_ne!(status, 405, "{method} {path} is not routed: {}", reply.text);
            if status == 404 {
                assert!(
                    !route_missing(&reply.json()),
                    "{method} {path} is not routed: {}",
                    reply.text
                );
            }
            assert!(
                operation["responses"].get(status.to_string()).is_some(),
                "{method} {path} answered {status}, which the document does not list: {}",
                reply.text
            );
        }
    }

    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    let unknown: Vec<_> = documented.difference(&routes).collect();
    assert!(
        unknown.is_empty(),
        "operations missing from ROUTES in this test: {unknown:?}"
    );
}
