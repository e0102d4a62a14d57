//! The authorization matrix: every route of the route table × every role (and no one) ×
//! own and foreign hospital, each answered as expected — allowed routes never refuse with
//! 401/403/404, denied ones always do (or send the browser to sign in), and none answers 5xx.
//! The expected rule of every route is listed here, so a route added without a rule the
//! test knows of fails it.

use kvalreg_web::{Rule, WebOptions, route_table};

use crate::documents;
use crate::server::TestServer;

const OWN: &str = "UNN-TRO";
const FOREIGN: &str = "FIN-HAM";

/// The rule each route is expected to have: the matrix's specification.
const EXPECTED: &[(&str, &str, Rule)] = &[
    ("GET", "/", Rule::SignedIn),
    ("GET", "/healthz", Rule::Public),
    ("GET", "/static/{file}", Rule::Public),
    ("GET", "/api/v1", Rule::Public),
    ("GET", "/api/v1/openapi.json", Rule::Public),
    ("GET", "/api/v1/registers", Rule::SignedIn),
    ("GET", "/api/v1/registers/{register}/codebook.csv", Rule::SignedIn),
    ("GET", "/api/v1/registers/{register}/registrations", Rule::Records),
    ("POST", "/api/v1/registers/{register}/registrations", Rule::Records),
    ("GET", "/api/v1/registers/{register}/registrations/{id}", Rule::Records),
    ("PUT", "/api/v1/registers/{register}/registrations/{id}", Rule::Records),
    (
        "GET",
        "/api/v1/registers/{register}/registrations/{id}/history",
        Rule::Records,
    ),
    (
        "POST",
        "/api/v1/registers/{register}/registrations/{id}/complete",
        Rule::ManageRecords,
    ),
    (
        "POST",
        "/api/v1/registers/{register}/registrations/{id}/reopen",
        Rule::ManageRecords,
    ),
    (
        "POST",
        "/api/v1/registers/{register}/registrations/{id}/lock",
        Rule::ManageRecords,
    ),
    ("GET", "/api/v1/registers/{register}/worklist", Rule::Records),
    ("GET", "/api/v1/registers/{register}/indicators", Rule::NationalReports),
    ("GET", "/api/v1/hospitals", Rule::SignedIn),
    ("PUT", "/api/v1/hospitals/{code}", Rule::RegisterAdmin),
    ("GET", "/signin", Rule::Public),
    ("POST", "/signin", Rule::Public),
    ("POST", "/signout", Rule::Account),
    ("POST", "/signout/everywhere", Rule::Account),
    ("GET", "/account/second-factor", Rule::Account),
    ("POST", "/account/second-factor", Rule::Account),
    ("GET", "/lang/{code}", Rule::Public),
    ("GET", "/h/{hospital}", Rule::Records),
    ("GET", "/h/{hospital}/new", Rule::Records),
    ("POST", "/h/{hospital}/new", Rule::Records),
    ("POST", "/h/{hospital}/check", Rule::Records),
    ("POST", "/h/{hospital}/render", Rule::Records),
    ("GET", "/h/{hospital}/r/{id}", Rule::Records),
    ("POST", "/h/{hospital}/r/{id}", Rule::Records),
    ("POST", "/h/{hospital}/r/{id}/lock", Rule::ManageRecords),
    ("POST", "/h/{hospital}/r/{id}/reopen", Rule::ManageRecords),
    ("GET", "/h/{hospital}/r/{id}/history", Rule::Records),
    ("GET", "/h/{hospital}/quality", Rule::HospitalReports),
    ("GET", "/quality/{indicator}", Rule::NationalReports),
    ("GET", "/audit", Rule::Auditor),
    ("GET", "/insight", Rule::RegisterAdmin),
    ("POST", "/insight", Rule::RegisterAdmin),
    ("POST", "/insight/pdf", Rule::RegisterAdmin),
    ("POST", "/insight/issue-code", Rule::RegisterAdmin),
    ("GET", "/insight/code", Rule::Public),
    ("POST", "/insight/code", Rule::Public),
    ("GET", "/insight/mine", Rule::Public),
    ("POST", "/insight/mine/pdf", Rule::Public),
    ("POST", "/insight/mine/reserve", Rule::Public),
    ("POST", "/insight/mine/signout", Rule::Public),
    ("GET", "/research", Rule::Research),
    ("GET", "/research/{project}/{part}", Rule::Research),
    ("GET", "/admin/users", Rule::RegisterAdmin),
    ("POST", "/admin/users", Rule::RegisterAdmin),
    ("POST", "/admin/users/{name}/disable", Rule::RegisterAdmin),
    ("POST", "/admin/users/{name}/enable", Rule::RegisterAdmin),
    ("POST", "/admin/users/{name}/reset-2fa", Rule::RegisterAdmin),
];

/// The roles of domain.md 2 as tokens, each scoped to the own hospital where it has one.
const ROLES: &[(&str, &str)] = &[
    ("registrar", "registrar:stroke:UNN-TRO"),
    ("unit_lead", "unit_lead:stroke:UNN-TRO"),
    ("register_admin", "register_admin:stroke"),
    ("researcher", "researcher"),
    ("auditor", "auditor"),
    ("trainee", "trainee:stroke"),
    ("supervisor", "supervisor:stroke"),
];

/// Whether `role` (None: no one signed in) may reach a route of `rule` — for the own
/// hospital, or a foreign one where the address names a hospital or its registration.
/// Every principal here is a token: the account pages are for browser sessions only, and
/// a research project belongs to a user, so a researcher's token reaches the project list
/// but no project (404, as for another's project).
fn expected(rule: Rule, role: Option<&str>, own: bool, names_project: bool) -> bool {
    let Some(role) = role else {
        return rule == Rule::Public;
    };
    match rule {
        Rule::Public | Rule::SignedIn => true,
        Rule::Account => false,
        Rule::Records | Rule::HospitalReports => {
            role == "register_admin" || (own && matches!(role, "registrar" | "unit_lead"))
        }
        Rule::ManageRecords => role == "register_admin" || (own && role == "unit_lead"),
        Rule::NationalReports => matches!(role, "register_admin" | "unit_lead"),
        Rule::RegisterAdmin => role == "register_admin",
        Rule::Auditor => role == "auditor",
        Rule::Research => role == "register_admin" || (role == "researcher" && !names_project),
    }
}

#[test]
fn every_route_has_the_rule_this_test_expects() {
    let mut actual: Vec<(String, &str, Rule)> = route_table()
        .into_iter()
        .map(|(m, p, r)| (m.to_string(), p, r))
        .collect();
    let mut listed: Vec<(String, &str, Rule)> = EXPECTED.iter().map(|(m, p, r)| ((*m).to_owned(), *p, *r)).collect();
    actual.sort();
    listed.sort();
    assert_eq!(
        actual, listed,
        "a route was added, removed or given another rule: list it in EXPECTED"
    );
}

#[test]
fn every_route_role_and_hospital_is_allowed_or_denied_as_expected() {
    let server = TestServer::sqlite(WebOptions::default());
    let create = |seq, hospital| {
        let doc = documents::draft(seq, hospital, "2024-03-10");
        let body = server
            .post("/api/v1/registers/stroke/registrations")
            .json(&doc)
            .send()
            .expect(201);
        body["id"].as_str().expect("id").to_owned()
    };
    server.add_user("matrix-user", &["registrar:stroke:UNN-TRO"]);
    server.add_user("matrix-researcher", &["researcher"]);
    let (runtime, platform) = server.operator();
    let project = kvalreg_app::research::NewProject {
        id: "P-MATRIX".into(),
        register: "stroke".into(),
        researcher: "matrix-researcher".into(),
        variables: vec!["nihss_admission".into()],
        period_from: jiff::civil::date(2024, 1, 1),
        period_to: jiff::civil::date(2024, 12, 31),
        approval: "REK matrix".into(),
        date_handling: kvalreg_store::DateHandling::Month,
        age_bands: false,
    };
    runtime
        .block_on(platform.add_research_project(project, "test"))
        .expect("the matrix's research project");
    let own_id = create(71, OWN);
    let foreign_id = create(72, FOREIGN);
    let tokens: Vec<(&str, String)> = ROLES
        .iter()
        .map(|(role, grant)| {
            (
                *role,
                server.token(&format!("matrix-{}", role.replace('_', "-")), grant),
            )
        })
        .collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (method, pattern, rule) in route_table() {
        let names_a_hospital = pattern.contains("{hospital}") || pattern.contains("{id}") || pattern.contains("{code}");
        for own in [true, false].into_iter().filter(|own| *own || names_a_hospital) {
            let (hospital, id) = if own { (OWN, &own_id) } else { (FOREIGN, &foreign_id) };
            let path = pattern
                .replace("{register}", "stroke")
                .replace("{hospital}", hospital)
                .replace("{code}", hospital)
                .replace("{id}", id)
                .replace("{file}", "style.css")
                .replace("{indicator}", "stroke_unit")
                .replace("{name}", "matrix-user")
                .replace("{project}", "P-MATRIX")
                .replace("{part}", "codebook.csv");
            let principals = tokens
                .iter()
                .map(|(role, token)| (Some(*role), Some(token)))
                .chain([(None, None)]);
            for (role, token) in principals {
                // A version and a JSON body, so that writes reach the data rather than stop
                // at a missing precondition.
                let call = server.call(method.as_str(), &path).if_match(1);
                let call = if method == "GET" {
                    call
                } else {
                    call.json(&serde_json::json!({"reason": "matrix"}))
                };
                let call = match token {
                    Some(token) => call.bearer(token),
                    None => call.anonymous(),
                };
                let reply = call.send();
                let sent_to_sign_in =
                    reply.status == 303 && reply.header("location").is_some_and(|l| l.starts_with("/signin"));
                let denied = matches!(reply.status, 401 | 403 | 404) || sent_to_sign_in;
                let want = expected(rule, role, own, pattern.contains("{project}"));
                if reply.status >= 500 || denied == want {
                    failures.push(format!(
                        "{method} {path} as {} ({}): {} — expected {}",
                        role.unwrap_or("no one"),
                        rule.name(),
                        reply.status,
                        if want { "allowed" } else { "denied" }
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 300, "only {checked} checks");
}

#[test]
fn a_registrar_never_sees_nor_counts_another_hospitals_registrations() {
    let server = TestServer::sqlite(WebOptions::default());
    for (seq, hospital) in [(81, OWN), (82, OWN), (83, FOREIGN), (84, FOREIGN), (85, FOREIGN)] {
        let doc = documents::draft(seq, hospital, "2024-03-10");
        server
            .post("/api/v1/registers/stroke/registrations")
            .json(&doc)
            .send()
            .expect(201);
    }
    let registrar = server.token("tromso-registrar", "registrar:stroke:UNN-TRO");
    let list = server
        .get("/api/v1/registers/stroke/registrations")
        .bearer(&registrar)
        .send()
        .expect(200);
    assert_eq!(list["total"], 2, "{list}");
    let hospitals: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["hospital"].as_str())
        .collect();
    assert_eq!(hospitals, [OWN, OWN]);
    let asked_for_foreign = server
        .get(&format!("/api/v1/registers/stroke/registrations?hospital={FOREIGN}"))
        .bearer(&registrar)
        .send()
        .expect(200);
    assert_eq!(
        asked_for_foreign["total"], 0,
        "no count of the foreign hospital: {asked_for_foreign}"
    );
    let worklist = server
        .get(&format!("/api/v1/registers/stroke/worklist?hospital={FOREIGN}"))
        .bearer(&registrar)
        .send()
        .expect(200);
    assert_eq!(worklist["counts"]["drafts"], 0, "{worklist}");
    // Writing for a foreign hospital is refused naming the hospital field.
    let refused = server
        .post("/api/v1/registers/stroke/registrations")
        .bearer(&registrar)
        .json(&documents::draft(86, FOREIGN, "2024-03-11"))
        .send()
        .problem(422);
    assert!(refused.to_string().contains("\"scope\""), "{refused}");
    // The start page counts only what the registrar may see.
    let start = server.get("/").bearer(&registrar).send();
    assert_eq!(start.status, 200);
    assert!(start.text.contains("<td class=\"number\">2</td>"), "{}", start.text);
    // A revoked token stops working at once.
    let lead = server.token("revoked-lead", "unit_lead:stroke:UNN-TRO");
    server.get("/api/v1/registers").bearer(&lead).send().expect(200);
    let (runtime, platform) = server.operator();
    runtime
        .block_on(platform.revoke_token("revoked-lead", "test"))
        .expect("revoke");
    server.get("/api/v1/registers").bearer(&lead).send().problem(401);
    server
        .get("/api/v1/registers")
        .bearer("kvr_not-a-token")
        .send()
        .problem(401);
}
