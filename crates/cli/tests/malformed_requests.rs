//! 10,000 generated malformed requests (a fixed seed) at a running `kvalreg serve`: broken
//! and mistyped JSON, huge numbers, unknown fields, wrong content types, bad ids, query
//! parameters and If-Match headers, random and oversized bodies, odd methods, path junk and
//! junk form posts to the registrar pages. No panic, no 5xx, and every API refusal names
//! the field and rule at fault (or is one of the documented refusals without a field).

mod common;
mod reliability;

use std::collections::BTreeMap;
use std::sync::Mutex;

use reliability::{Place, REGISTRATIONS, Reply, agent, send};
use serde_json::{Map, Value as Json, json};

const REQUESTS: u64 = 10_000;
const SEED: u64 = 0x6b76_616c_7265_6721;
const CLIENTS: u64 = 4;

/// API refusals whose contract names no field: the address, method, size, version or
/// state is at fault, not a field of the request.
const WITHOUT_FIELD: &[&str] = &[
    "/problems/not-found",
    "/problems/method-not-allowed",
    "/problems/payload-too-large",
    "/problems/version-conflict",
    "/problems/locked",
    "/problems/bad-transition",
];

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// What the generator knows of the server's data.
struct Known {
    /// (id, hospital, version, values) of stored registrations.
    registrations: Vec<(String, String, i64, Map<String, Json>)>,
}

/// One generated request.
struct Request {
    kind: &'static str,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

fn odd_value(rng: &mut Rng) -> Json {
    match rng.below(14) {
        0 => json!(null),
        1 => json!(true),
        2 => json!([1, 2, 3]),
        3 => json!({"nested": {"deeper": [null]}}),
        4 => json!(-1),
        5 => json!(1.5e300),
        6 => json!(u64::MAX),
        7 => json!(i64::MIN),
        8 => json!(""),
        9 => json!("x".repeat(5000)),
        10 => json!("2024-02-30T25:61"),
        11 => json!("\u{0}\u{feff}\u{202e}ø"),
        12 => json!(0.000_000_1),
        _ => json!("NaN"),
    }
}

fn junk_segment(rng: &mut Rng) -> String {
    rng.pick(&[
        "..",
        "%2e%2e",
        "%00",
        "%ff%fe",
        "not-a-uuid",
        "00000000-0000-0000-0000-000000000000",
        "0192f0c4-6a8e-7c33-9d57-3c1e0f7b2a10",
        "%F0%9F%92%A9",
        "a%20b",
        "{id}",
        "-1",
        "99999999999999999999999999",
        "",
        "%25",
        "stroke;drop",
        "%C3%A6%C3%B8%C3%A5",
    ])
    .to_string()
}

fn long_junk(rng: &mut Rng) -> String {
    let len = 1 + rng.below(3000) as usize;
    (0..len).map(|_| char::from(b'a' + rng.below(26) as u8)).collect()
}

fn generate(rng: &mut Rng, known: &Known) -> Request {
    let (id, hospital, version, values) = rng.pick(&known.registrations).clone();
    let item = format!("{REGISTRATIONS}/{id}");
    let json_headers = || vec![("content-type".to_owned(), JSON.to_owned())];
    let mut request = Request {
        kind: "",
        method: "POST".into(),
        path: REGISTRATIONS.into(),
        headers: json_headers(),
        body: Vec::new(),
    };
    let mut doc = values.clone();
    doc.remove("national_id");
    match rng.below(16) {
        0 => {
            request.kind = "broken_json";
            let text = serde_json::to_string(&values).expect("json");
            let cut = rng.below(text.len() as u64) as usize;
            let mut body = text.as_bytes()[..cut].to_vec();
            let tails: [&[u8]; 7] = [b"", b"}", b",,", b"\"", b"]", b"{", b"\\u12"];
            let tail = *rng.pick(&tails);
            body.extend_from_slice(tail);
            request.body = body;
            if rng.below(2) == 0 {
                request.method = "PUT".into();
                request.path = item;
                request.headers.push(("if-match".into(), format!("\"{version}\"")));
            }
        }
        1 | 2 => {
            request.kind = "wrong_types";
            let mut doc = values.clone();
            let keys: Vec<String> = doc.keys().cloned().collect();
            for _ in 0..1 + rng.below(4) {
                let key = rng.pick(&keys).clone();
                doc.insert(key, odd_value(rng));
            }
            if rng.below(3) == 0 {
                doc.insert("status".into(), odd_value(rng));
            }
            if rng.below(4) == 0 {
                doc.insert("confirm_new_event".into(), odd_value(rng));
            }
            request.body = serde_json::to_vec(&doc).expect("json");
            if rng.below(2) == 0 {
                doc.remove("status");
                request.method = "PUT".into();
                request.path = item;
                request.body = serde_json::to_vec(&doc).expect("json");
                request.headers.push(("if-match".into(), format!("\"{version}\"")));
            }
        }
        3 => {
            request.kind = "huge_numbers";
            let mut text = serde_json::to_string(&values).expect("json");
            text.pop();
            let number = rng.pick(&[
                "1e99999",
                "-1e99999",
                "123456789012345678901234567890",
                "-0",
                "0.0000000000000000000000000001",
                "1.7976931348623157e309",
            ]);
            let field = rng.pick(&["nihss_admission", "age", "mrs_3m", "systolic_bp", "hospital", "ivt"]);
            text.push_str(&format!(",\"{field}\":{number}}}"));
            request.body = text.into_bytes();
        }
        4 => {
            request.kind = "unknown_fields";
            let mut doc = values.clone();
            for _ in 0..1 + rng.below(5) {
                let name = rng.pick(&[
                    "foo",
                    "Sex",
                    "national_id ",
                    "__proto__",
                    "derived",
                    "age",
                    "version",
                    "id",
                    "",
                ]);
                doc.insert((*name).to_owned(), odd_value(rng));
            }
            request.body = serde_json::to_vec(&doc).expect("json");
        }
        5 => {
            request.kind = "content_type";
            request.body = serde_json::to_vec(&values).expect("json");
            let kind = rng.pick(&[
                "text/plain",
                "application/xml",
                FORM,
                "multipart/form-data; boundary=x",
                "application/json-seq",
                "application/jsonx",
                "",
                "*/*",
                ";;;",
            ]);
            request.headers = if kind.is_empty() {
                Vec::new()
            } else {
                vec![("content-type".into(), (*kind).into())]
            };
            if rng.below(2) == 0 {
                request.method = "PUT".into();
                request.path = item;
                request.headers.push(("if-match".into(), format!("\"{version}\"")));
            }
        }
        6 => {
            request.kind = "bad_ids";
            let bad = junk_segment(rng);
            let suffix = rng.pick(&["", "/history", "/complete", "/lock", "/reopen"]);
            request.path = format!("{REGISTRATIONS}/{bad}{suffix}");
            request.method = if suffix.is_empty() {
                rng.pick(&["GET", "PUT"]).to_string()
            } else if *suffix == "/history" {
                "GET".into()
            } else {
                "POST".into()
            };
            request.headers.push(("if-match".into(), "\"1\"".into()));
            request.body = serde_json::to_vec(&doc).expect("json");
        }
        7 => {
            request.kind = "bad_query";
            request.method = "GET".into();
            request.headers.clear();
            let (path, params): (&str, &[&str]) = *rng.pick(&[
                (
                    REGISTRATIONS,
                    &[
                        "limit=-1",
                        "limit=abc",
                        "limit=99999999999999999999",
                        "status=foo",
                        "after=notuuid",
                        "event_from=2024-13-45",
                        "event_to=yesterday",
                        "hospital=%00",
                        "limit=",
                        "status[]=draft",
                        "from=2024-01-01&from=2025-01-01",
                        "%ff=%fe",
                    ][..],
                ),
                (
                    "/api/v1/registers/stroke/worklist",
                    &[
                        "hospital=",
                        "today=2024-02-30",
                        "today=abc",
                        "hospital=NOPE",
                        "hospital=%00",
                        "",
                    ][..],
                ),
                (
                    "/api/v1/registers/stroke/indicators",
                    &[
                        "as_of=2024-13-01",
                        "period=decade",
                        "as_of=",
                        "period=",
                        "as_of=99999-01-01",
                        "x=1",
                    ][..],
                ),
                ("/api/v1/registers/nope/registrations", &["limit=5", ""][..]),
            ]);
            let count = 1 + rng.below(3);
            let query: Vec<&str> = (0..count).map(|_| *rng.pick(params)).collect();
            request.path = format!("{path}?{}", query.join("&"));
        }
        8 => {
            request.kind = "bad_if_match";
            request.method = rng.pick(&["PUT", "POST"]).to_string();
            let suffix = if request.method == "PUT" {
                ""
            } else {
                *rng.pick(&["/complete", "/lock", "/reopen"])
            };
            request.path = format!("{item}{suffix}");
            let tag = rng.pick(&[
                "W/\"1\"",
                "*",
                "\"abc\"",
                "\"-1\"",
                "\"1\", \"2\"",
                "\"0\"",
                "\"99999999999999999999\"",
                "\"",
                "",
                "1.5",
                "\"1",
                "\"9999\"",
            ]);
            request.headers.push(("if-match".into(), (*tag).into()));
            request.body = if suffix == "/reopen" {
                serde_json::to_vec(&json!({"reason": odd_value(rng)})).expect("json")
            } else {
                serde_json::to_vec(&doc).expect("json")
            };
        }
        9 => {
            request.kind = "random_bytes";
            let len = rng.below(2000) as usize;
            request.body = rng.bytes(len);
            request.method = rng.pick(&["POST", "PUT"]).to_string();
            if request.method == "PUT" {
                request.path = rng
                    .pick(&[item.clone(), format!("/api/v1/hospitals/{hospital}")])
                    .clone();
                request.headers.push(("if-match".into(), format!("\"{version}\"")));
            }
        }
        10 => {
            request.kind = "oversized";
            if rng.below(8) == 0 {
                // 1 MiB and a little: refused by the size limit.
                let mut body = b"{\"comment\":\"".to_vec();
                body.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
                body.extend_from_slice(b"\"}");
                request.body = body;
            } else {
                // Under the limit, but a huge value or a deep nesting.
                request.body = match rng.below(3) {
                    0 => format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
                    1 => serde_json::to_vec(&json!({"hospital": hospital, "sex": "x".repeat(500_000)})).expect("json"),
                    _ => {
                        let fields: Map<String, Json> = (0..5000).map(|i| (format!("field_{i}"), json!(i))).collect();
                        serde_json::to_vec(&fields).expect("json")
                    }
                };
            }
        }
        11 => {
            request.kind = "odd_methods";
            request.method = rng
                .pick(&[
                    "PATCH", "DELETE", "OPTIONS", "TRACE", "FOO", "HEAD", "CONNECTX", "PROPFIND",
                ])
                .to_string();
            request.path = rng
                .pick(&[
                    item.clone(),
                    REGISTRATIONS.to_owned(),
                    "/api/v1/hospitals".to_owned(),
                    format!("{item}/history"),
                    "/api/v1".to_owned(),
                ])
                .clone();
            request.body = serde_json::to_vec(&doc).expect("json");
        }
        12 => {
            request.kind = "path_junk";
            request.method = rng.pick(&["GET", "POST", "PUT"]).to_string();
            let mut path = String::from(*rng.pick(&["/api/v1", "/api/v1/registers", "/h", "/api", ""]));
            for _ in 0..1 + rng.below(4) {
                path.push('/');
                path.push_str(&if rng.below(10) == 0 {
                    long_junk(rng)
                } else {
                    junk_segment(rng)
                });
            }
            if path.is_empty() {
                path.push('/');
            }
            request.path = path;
            request.body = serde_json::to_vec(&doc).expect("json");
        }
        13 => {
            request.kind = "form_posts";
            let junk_hospital = junk_segment(rng);
            let place = if rng.below(4) == 0 {
                junk_hospital.as_str()
            } else {
                hospital.as_str()
            };
            let bad_id = junk_segment(rng);
            let target = if rng.below(4) == 0 {
                bad_id.as_str()
            } else {
                id.as_str()
            };
            let field = *rng.pick(&["sex", "nope", "", "%00", "onset_time"]);
            request.path = rng
                .pick(&[
                    format!("/h/{place}/new"),
                    format!("/h/{place}/check?field={field}"),
                    format!("/h/{place}/render"),
                    format!("/h/{place}/r/{target}"),
                    format!("/h/{place}/r/{target}/lock"),
                    format!("/h/{place}/r/{target}/reopen"),
                    "/signin".to_owned(),
                ])
                .clone();
            let mut pairs = form_urlencoded_pairs(rng, &values, version);
            if rng.below(5) == 0 {
                pairs = rng.bytes(300);
            }
            request.body = pairs;
            let content_type = if rng.below(6) == 0 { "text/plain" } else { FORM };
            request.headers = vec![("content-type".into(), content_type.into())];
            if rng.below(6) != 0 {
                let session = rng.pick(&["0123abcd", "", "a b", "ø", "x;y=z"]);
                request
                    .headers
                    .push(("cookie".into(), format!("kvalreg_session={session}")));
            }
        }
        14 => {
            request.kind = "hospitals";
            request.method = "PUT".into();
            request.path = format!(
                "/api/v1/hospitals/{}",
                rng.pick(&[hospital.as_str(), "NEW-X", "%00", "a%20b", "%C3%B8", "%ZZ"])
            );
            let mut body = json!({"name": "Synthetic", "health_trust": "T", "health_region": "R", "evt_centre": false});
            let field = *rng.pick(&[
                "name",
                "health_trust",
                "health_region",
                "evt_centre",
                "active",
                "code",
                "extra",
            ]);
            body[field] = odd_value(rng);
            request.body = serde_json::to_vec(&body).expect("json");
        }
        _ => {
            request.kind = "bad_headers";
            request.method = rng.pick(&["GET", "PUT", "POST"]).to_string();
            request.path = if request.method == "GET" {
                item
            } else {
                rng.pick(&[item.clone(), REGISTRATIONS.to_owned()]).clone()
            };
            // Credentials that are not valid tokens (the client sends header values as
            // visible ASCII only).
            let user = rng
                .pick(&[
                    "".to_owned(),
                    " ".into(),
                    "Bearer".into(),
                    "Bearer kvr_0000".into(),
                    "Basic a2FyaTpwdw==".into(),
                    "Bearer robert'); drop".into(),
                    format!("Bearer {}", "x".repeat(5000)),
                ])
                .clone();
            request.headers.push(("authorization".into(), user));
            let lang = rng.pick(&["xx", "nb;q=abc", "*;q=2", "", "en-GB,nb;q=0.5,,,"]);
            request.headers.push(("accept-language".into(), (*lang).into()));
            request.headers.push(("if-match".into(), format!("\"{version}\"")));
            request.body = serde_json::to_vec(&doc).expect("json");
        }
    }
    request
}

fn form_urlencoded_pairs(rng: &mut Rng, values: &Map<String, Json>, version: i64) -> Vec<u8> {
    let mut parts = Vec::new();
    for (name, value) in values {
        let text = match value {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let text = match rng.below(6) {
            0 | 1 => odd_value(rng).to_string(),
            2 => format!("{text}\0"),
            _ => text,
        };
        parts.push(format!("{}={}", encode(name), encode(&text)));
    }
    let version = rng
        .pick(&[
            version.to_string(),
            "abc".into(),
            "-1".into(),
            String::new(),
            "999999999999999999999".into(),
        ])
        .clone();
    parts.push(format!("version={version}"));
    let action = rng.pick(&["save", "complete", "refresh", "explode", ""]);
    parts.push(format!("action={action}"));
    let reason = *rng.pick(&["", " ", "Synthetic reason"]);
    parts.push(format!("reason={}", encode(reason)));
    parts.push(rng.pick(&["%zz=%", "==", "&&&", "user=x&hospital="]).to_string());
    parts.join("&").into_bytes()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How the answers fell out.
#[derive(Default)]
struct Tally {
    sent: u64,
    by_status: BTreeMap<u16, u64>,
    accepted_by_kind: BTreeMap<&'static str, u64>,
    server_errors: u64,
    without_field: u64,
    refusals_without_field_by_type: BTreeMap<String, u64>,
    no_answer: BTreeMap<&'static str, u64>,
    samples: Vec<String>,
}

/// Whether an API refusal names the field and rule at fault (or is documented not to).
fn judge(reply: &Reply, tally: &mut Tally) -> Result<(), String> {
    let problem: Json = serde_json::from_str(&reply.text).map_err(|_| "not JSON".to_owned())?;
    if !reply.content_type.starts_with("application/problem+json") {
        return Err(format!("content type {}", reply.content_type));
    }
    let named = problem["errors"].as_array().is_some_and(|errors| {
        !errors.is_empty()
            && errors
                .iter()
                .all(|e| e["field"].is_string() && e["rule"].is_string() && e["message"].is_string())
    });
    if named {
        return Ok(());
    }
    let kind = problem["type"].as_str().unwrap_or_default().to_owned();
    if WITHOUT_FIELD.contains(&kind.as_str()) {
        *tally.refusals_without_field_by_type.entry(kind).or_default() += 1;
        return Ok(());
    }
    Err(format!("no field-level errors in {}", reply.text))
}

fn run(place: Place) {
    place.ok(&["init"]);
    place.seed(20, 3);
    let mut server = place.serve();
    let listed = send(
        &agent(),
        "GET",
        &format!("{}{REGISTRATIONS}?limit=50", server.base),
        &[("authorization", server.bearer.as_str())],
        Vec::new(),
    )
    .expect("list");
    let registrations = listed.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["hospital"].as_str().expect("hospital").to_owned(),
                r["version"].as_i64().expect("version"),
                r["values"].as_object().expect("values").clone(),
            )
        })
        .collect();
    let known = Known { registrations };
    let tally = Mutex::new(Tally::default());
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (known, tally, base, bearer) = (&known, &tally, server.base.clone(), server.bearer.as_str());
            scope.spawn(move || {
                let agent = agent();
                for index in (client..REQUESTS).step_by(CLIENTS as usize) {
                    let mut rng = Rng(SEED ^ index.wrapping_mul(0x2545_f491_4f6c_dd1d));
                    let request = generate(&mut rng, known);
                    let mut headers: Vec<(&str, &str)> =
                        request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                    // Most requests come from a signed-in system, so they reach the handlers.
                    if !headers.iter().any(|(n, _)| *n == "authorization") && index % 8 != 0 {
                        headers.push(("authorization", bearer));
                    }
                    let url = format!("{base}{}", request.path);
                    let outcome = send(&agent, &request.method, &url, &headers, request.body);
                    let mut tally = tally.lock().expect("tally");
                    tally.sent += 1;
                    match outcome {
                        Err(e) => {
                            *tally.no_answer.entry(request.kind).or_default() += 1;
                            if request.kind != "oversized" && tally.samples.len() < 20 {
                                tally
                                    .samples
                                    .push(format!("no answer {} {}: {e}", request.method, request.path));
                            }
                        }
                        Ok(reply) => {
                            *tally.by_status.entry(reply.status).or_default() += 1;
                            if reply.status < 300 {
                                *tally.accepted_by_kind.entry(request.kind).or_default() += 1;
                            }
                            if reply.status >= 500 {
                                tally.server_errors += 1;
                                if tally.samples.len() < 20 {
                                    tally.samples.push(format!(
                                        "{} {} {} ({}): {}",
                                        reply.status, request.method, request.path, request.kind, reply.text
                                    ));
                                }
                            } else if (400..500).contains(&reply.status)
                                && request.path.starts_with("/api/")
                                && request.method != "HEAD"
                                && let Err(why) = judge(&reply, &mut tally)
                            {
                                tally.without_field += 1;
                                if tally.samples.len() < 20 {
                                    tally.samples.push(format!(
                                        "{} {} {} ({}): {why}",
                                        reply.status, request.method, request.path, request.kind
                                    ));
                                }
                            }
                        }
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let alive = server.alive();
    let log = server.log_text();
    let panics = log.matches("panicked").count();
    let tally = tally.into_inner().expect("tally");
    println!(
        "malformed requests: {} sent in {:.1} s; panics {panics}, 5xx {}, API 4xx without a field-level message {}, server alive {alive}",
        tally.sent,
        elapsed.as_secs_f64(),
        tally.server_errors,
        tally.without_field
    );
    println!("  by status: {:?}", tally.by_status);
    println!("  answered 2xx, by kind: {:?}", tally.accepted_by_kind);
    println!(
        "  documented refusals without a field: {:?}",
        tally.refusals_without_field_by_type
    );
    println!("  no answer (connection closed): {:?}", tally.no_answer);
    for sample in &tally.samples {
        println!("  {sample}");
    }
    assert_eq!(tally.sent, REQUESTS);
    assert!(alive, "the server died:\n{log}");
    assert_eq!(panics, 0, "{log}");
    assert_eq!(tally.server_errors, 0, "{:#?}", tally.samples);
    assert_eq!(tally.without_field, 0, "{:#?}", tally.samples);
    let unexplained: u64 = tally
        .no_answer
        .iter()
        .filter(|(kind, _)| **kind != "oversized")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(unexplained, 0, "{:#?}", tally.samples);
    let healthy = send(&agent(), "GET", &format!("{}/healthz", server.base), &[], Vec::new()).expect("healthz");
    assert_eq!(healthy.status, 200);
}

#[test]
fn sqlite_server_survives_malformed_requests() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(Place::sqlite(dir.path(), "data"));
}

#[test]
fn postgres_server_survives_malformed_requests() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(Place::postgres(dir.path(), "data", "malformed"));
}
