//! The registrar pages without JavaScript: plain form posts, the sign-in guard, duplicate
//! detection with its confirmation box, the htmx fragments, and dates shown as Norwegians
//! write them.

use kvalreg_web::WebOptions;

use crate::documents;
use crate::server::{Session, TestServer};

const FORM: &str = "application/x-www-form-urlencoded";

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Kari, unit lead at UNN Tromsø, signed in through the form (second factor enrolled).
fn kari(server: &TestServer) -> Session {
    server.add_user("kari", &["unit_lead:stroke:UNN-TRO"]);
    server.sign_in("kari")
}

/// The English pages.
const ENGLISH: (&str, &str) = ("Cookie", "kvalreg_lang=en");

#[test]
fn pages_need_a_sign_in_and_a_known_hospital() {
    let server = TestServer::sqlite(WebOptions::default());
    let reply = server.get("/h/UNN-TRO").anonymous().send();
    assert_eq!(
        (reply.status, reply.header("location")),
        (303, Some("/signin?back=/h/UNN-TRO"))
    );
    let signin = server.get("/signin?back=/h/UNN-TRO").anonymous().send();
    assert_eq!(signin.status, 200);
    assert!(signin.text.contains("<html lang=\"nb\">") && signin.text.contains("name=\"password\""));
    assert!(signin.text.contains("value=\"/h/UNN-TRO\""), "the page to go back to");
    let kari = kari(&server);
    let unknown = server.get("/h/NO-SUCH").session(&kari).send();
    assert_eq!(unknown.status, 403, "a hospital outside her grants");
    let own = server
        .get("/h/UNN-TRO")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .send();
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(own.text.contains("Signed in as kari"));
    let switch = server.get("/lang/en?back=//evil.example/").anonymous().send();
    assert_eq!(switch.header("location"), Some("/"));
}

#[test]
fn a_probable_duplicate_asks_for_confirmation_and_keeps_the_values() {
    let server = TestServer::sqlite(WebOptions::default());
    let kari = kari(&server);
    let first = documents::draft(3, "UNN-TRO", "2024-03-10");
    server
        .post("/api/v1/registers/stroke/registrations")
        .json(&first)
        .send()
        .expect(201);
    let id = first["national_id"].as_str().expect("id");
    let fields = [
        ("national_id", id),
        ("hospital", "UNN-TRO"),
        ("onset_time", "12.03.2024 09:15"),
        ("evt", "false"),
        ("action", "save"),
    ];
    let refused = server
        .post("/h/UNN-TRO/new")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .raw(FORM, form(&fields))
        .send();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("data-rule=\"possible_duplicate\""));
    assert!(refused.text.contains("id=\"confirm_new_event\""));
    assert!(
        refused.text.contains("value=\"12.03.2024 09:15\""),
        "the typed time is kept"
    );

    let elsewhere = server
        .post("/h/UNN-TRO/new")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .raw(FORM, form(&[("hospital", "FIN-HAM"), ("action", "save")]))
        .send();
    assert_eq!(elsewhere.status, 422);
    assert!(elsewhere.text.contains("data-rule=\"scope\""), "{}", elsewhere.text);

    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm_new_event", "on"));
    let created = server
        .post("/h/UNN-TRO/new")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .raw(FORM, form(&confirmed))
        .send();
    assert_eq!(created.status, 303, "{}", created.text);
    let location = created.header("location").expect("location").to_owned();
    let page = server.get(&location).session(&kari).header(ENGLISH.0, ENGLISH.1).send();
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("value=\"12.03.2024 09:15\""),
        "shown as Norwegians write it"
    );
    let list = server
        .get("/h/UNN-TRO")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .send();
    assert!(
        list.text.contains("<td class=\"number\" id=\"count-drafts\">2</td>"),
        "{}",
        list.text
    );
}

#[test]
fn htmx_fragments_check_one_field_and_render_the_sections() {
    let server = TestServer::sqlite(WebOptions::default());
    let kari = kari(&server);
    let check = server
        .post("/h/UNN-TRO/check?field=nihss_admission")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .raw(FORM, form(&[("nihss_admission", "77"), ("passes", "12")]))
        .send();
    assert_eq!(check.status, 200);
    assert!(
        check.text.starts_with("<div id=\"msg-nihss_admission\""),
        "{}",
        check.text
    );
    assert!(check.text.contains("class=\"error\""));
    assert!(!check.text.contains("passes"), "only the asked field: {}", check.text);
    let body = server
        .post("/h/UNN-TRO/render")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .raw(FORM, form(&[("evt", "true"), ("passes", "12")]))
        .send();
    assert!(body.text.starts_with("<div id=\"form-body\">"));
    assert!(body.text.contains("id=\"section-evt_module\"") && body.text.contains("value=\"12\""));
    assert!(body.text.contains("class=\"warning\""), "the soft range of passes");
    let without = server
        .post("/h/UNN-TRO/render")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .raw(FORM, form(&[("evt", "false"), ("passes", "12")]))
        .send();
    assert!(!without.text.contains("section-evt_module") && !without.text.contains("f-passes"));
}

#[test]
fn the_follow_up_form_shows_when_it_is_due() {
    let server = TestServer::sqlite(WebOptions::default());
    let kari = kari(&server);
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut ids = Vec::new();
    for (seq, days) in [(4, 100), (5, 20)] {
        let day = today
            .checked_sub(jiff::Span::new().days(days))
            .expect("day")
            .to_string();
        let doc = documents::draft(seq, "UNN-TRO", &day);
        let created = server
            .post("/api/v1/registers/stroke/registrations")
            .json(&doc)
            .send()
            .expect(201);
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let due = server
        .get(&format!("/h/UNN-TRO/r/{}", ids[0]))
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .send();
    assert!(
        due.text.contains("id=\"f-fu_done\""),
        "100 days after onset the follow-up shows"
    );
    let early = server
        .get(&format!("/h/UNN-TRO/r/{}", ids[1]))
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .send();
    assert!(early.text.contains("id=\"f-evt\"") && !early.text.contains("id=\"f-fu_done\""));
    let list = server
        .get("/h/UNN-TRO")
        .session(&kari)
        .header(ENGLISH.0, ENGLISH.1)
        .send();
    assert!(
        list.text.contains("<td class=\"number\" id=\"count-followups\">1</td>"),
        "{}",
        list.text
    );
    assert!(list.text.contains(&format!("/h/UNN-TRO/r/{}", ids[0])));
}
