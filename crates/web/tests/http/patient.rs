//! Patient insight by one-time access code, through the real server: a register admin
//! issues the code after a look-up; the person, without an account, gives national id and
//! code, is refused with a message when the pair is wrong and blocked after five wrong
//! tries, reads their report and its PDF, reserves themselves after confirming (their
//! registrations deleted, later ones refused), cannot reuse the code, and the session ends
//! when idle. On both backends.

use kvalreg_web::WebOptions;

use crate::documents;
use crate::server::{Reply, TestServer, between, pdf_text};

const FORM: &str = "application/x-www-form-urlencoded";

/// A browser without an account: the cookies the patient pages set.
#[derive(Default)]
struct Browser {
    form: String,
    patient: String,
}

impl Browser {
    fn cookies(&self) -> String {
        format!("kvalreg_patient_form={}; kvalreg_patient={}", self.form, self.patient)
    }

    /// Takes the cookies a reply sets (each `name=value; ...` header).
    fn keep(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some(v) = pair.strip_prefix("kvalreg_patient_form=") {
                self.form = v.to_owned();
            } else if let Some(v) = pair.strip_prefix("kvalreg_patient=") {
                self.patient = v.to_owned();
            }
        }
    }

    fn get(&mut self, server: &TestServer, path: &str) -> Reply {
        let reply = server.get(path).anonymous().header("Cookie", &self.cookies()).send();
        self.keep(&reply);
        reply
    }

    fn post(&mut self, server: &TestServer, path: &str, body: &str) -> Reply {
        let reply = server
            .post(path)
            .anonymous()
            .header("Cookie", &self.cookies())
            .raw(FORM, body.as_bytes().to_vec())
            .send();
        self.keep(&reply);
        reply
    }

    /// Opens the code page and sends national id and code with the page's form token.
    fn redeem(&mut self, server: &TestServer, national_id: &str, code: &str) -> Reply {
        let page = self.get(server, "/insight/code");
        assert_eq!(page.status, 200, "{}", page.text);
        let token = between(&page.text, "name=\"csrf\" value=\"", "\"").to_owned();
        self.post(
            server,
            "/insight/code",
            &format!("national_id={national_id}&code={code}&csrf={token}"),
        )
    }

    /// The patient session's form token, from the report page.
    fn token(&mut self, server: &TestServer) -> String {
        let page = self.get(server, "/insight/mine");
        assert_eq!(page.status, 200, "{}", page.text);
        between(&page.text, "name=\"csrf\" value=\"", "\"").to_owned()
    }
}

/// A register admin signs in, looks the person up and issues a code; returns the code.
fn issue_code(server: &TestServer, admin: &crate::server::Session, national_id: &str) -> String {
    let report = server
        .post("/insight")
        .session(admin)
        .raw(FORM, format!("national_id={national_id}").into_bytes())
        .send();
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(report.text.contains("id=\"insight-issue-code\""), "{}", report.text);
    let issued = server
        .post("/insight/issue-code")
        .session(admin)
        .raw(FORM, format!("national_id={national_id}&register=stroke").into_bytes())
        .send();
    assert_eq!(issued.status, 200, "{}", issued.text);
    between(&issued.text, "id=\"access-code\">", "<").to_owned()
}

fn patient_flow(server: TestServer) {
    let doc = documents::draft(41, "UNN-TRO", "2024-03-10");
    let national_id = doc["national_id"].as_str().expect("id").to_owned();
    server
        .post("/api/v1/registers/stroke/registrations")
        .json(&doc)
        .send()
        .expect(201);
    server.add_user("admin", &["register_admin:stroke"]);
    let admin = server.sign_in("admin");
    let code = issue_code(&server, &admin, &national_id);
    assert_eq!(code.len(), 14, "{code}");

    // Without a session the report sends the browser to the code page.
    let mut browser = Browser::default();
    let away = browser.get(&server, "/insight/mine");
    assert_eq!((away.status, away.header("location")), (303, Some("/insight/code")));
    // Without the page's form token the post is refused and nothing is tried.
    let forged = browser.post(
        &server,
        "/insight/code",
        &format!("national_id={national_id}&code={code}&csrf=forged"),
    );
    assert_eq!(forged.status, 400, "{}", forged.text);
    // A wrong code is refused with a message, in English when asked.
    let wrong = server
        .post("/insight/code")
        .anonymous()
        .header("Cookie", &format!("{}; kvalreg_lang=en", browser.cookies()))
        .raw(
            FORM,
            format!("national_id={national_id}&code=aaaa-bbbb-cccc&csrf={}", browser.form).into_bytes(),
        )
        .send();
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert!(
        between(&wrong.text, "id=\"code-refusal\">", "<").contains("do not belong together"),
        "{}",
        wrong.text
    );
    // The right code, typed in capitals with spaces: the report, with the registration.
    let typed = code.to_uppercase().replace('-', " ");
    let opened = browser.redeem(&server, &national_id, &typed.replace(' ', "+"));
    assert_eq!(
        (opened.status, opened.header("location")),
        (303, Some("/insight/mine")),
        "{}",
        opened.text
    );
    let cookie = opened
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kvalreg_patient="))
        .expect("a patient cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"),
        "{cookie}"
    );
    let report = browser.get(&server, "/insight/mine");
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(report.text.contains("Registrering ved UNN-TRO"), "{}", report.text);
    let accesses = between(&report.text, "<table class=\"insight-accesses\">", "</table>");
    assert!(
        accesses.contains("registration.create") && accesses.contains("register_admin"),
        "who and their role: {accesses}"
    );
    let token = browser.token(&server);
    let pdf = server
        .post("/insight/mine/pdf")
        .anonymous()
        .header("Cookie", &browser.cookies())
        .raw(FORM, format!("csrf={token}").into_bytes())
        .send_bytes();
    assert_eq!(pdf.0, 200);
    let text = pdf_text(&pdf.1);
    assert!(text.contains("Registrering ved UNN-TRO"), "{text}");
    // A post without the session's token changes nothing.
    let forged = browser.post(&server, "/insight/mine/reserve", "register=stroke&confirm=yes&csrf=x");
    assert_eq!(forged.status, 403);
    // Reserving asks first, then deletes and refuses later registrations.
    let ask = browser.post(
        &server,
        "/insight/mine/reserve",
        &format!("register=stroke&csrf={token}"),
    );
    assert_eq!(ask.status, 200, "{}", ask.text);
    assert!(ask.text.contains("id=\"patient-reserve-confirm\""), "{}", ask.text);
    let listed = server.get("/api/v1/registers/stroke/registrations").send().expect(200);
    assert_eq!(listed["total"], 1, "nothing deleted before confirming");
    let done = browser.post(
        &server,
        "/insight/mine/reserve",
        &format!("register=stroke&confirm=yes&csrf={token}"),
    );
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(
        between(&done.text, "id=\"patient-notice\">", "<").contains("1 registrering"),
        "{}",
        done.text
    );
    assert!(
        done.text.contains("Reservert mot registeret stroke siden"),
        "{}",
        done.text
    );
    let listed = server.get("/api/v1/registers/stroke/registrations").send().expect(200);
    assert_eq!(listed["total"], 0, "{listed}");
    let again = server
        .post("/api/v1/registers/stroke/registrations")
        .json(&doc)
        .send()
        .problem(422);
    assert!(again.to_string().contains("reserved"), "{again}");
    // The staff page shows the reservation too.
    let staff = server
        .post("/insight")
        .session(&admin)
        .raw(FORM, format!("national_id={national_id}").into_bytes())
        .send();
    assert!(
        staff.text.contains("Reservert mot registeret stroke siden"),
        "{}",
        staff.text
    );

    // The reservation ended the session and removed the person's codes with their look-up
    // key: the spent code is now unknown.
    assert!(browser.patient.is_empty(), "the cookie is cleared");
    assert_eq!(browser.get(&server, "/insight/mine").status, 303);
    let reused = browser.redeem(&server, &national_id, &code);
    assert_eq!(reused.status, 401);
    assert!(reused.text.contains("hører ikke sammen"), "{}", reused.text);

    let audit = server.audit_entries();
    let count = |action: &str| audit.iter().filter(|e| e.action == action).count();
    assert_eq!(count("insight.code_issue"), 1);
    assert_eq!(count("insight.code_use"), 1);
    assert_eq!(count("insight.code_failed"), 2, "the wrong and the reused code");
    let reservation = audit.iter().find(|e| e.action == "reservation.add").expect("reserved");
    assert_eq!(reservation.actor, "patient");
    for entry in &audit {
        assert!(
            !entry.detail.contains(&national_id) && !entry.detail.contains(&code),
            "{entry:?}"
        );
    }
}

#[test]
fn a_person_reads_their_insight_with_a_code_and_reserves_themselves() {
    patient_flow(TestServer::sqlite(WebOptions::default()));
}

#[test]
fn a_person_reads_their_insight_with_a_code_and_reserves_themselves_on_postgres() {
    patient_flow(TestServer::postgres());
}

#[test]
fn five_wrong_codes_block_the_persons_code() {
    let server = TestServer::sqlite(WebOptions::default());
    let doc = documents::draft(42, "UNN-TRO", "2024-03-10");
    let national_id = doc["national_id"].as_str().expect("id").to_owned();
    server.add_user("admin", &["register_admin:stroke"]);
    let admin = server.sign_in("admin");
    let code = issue_code(&server, &admin, &national_id);
    let mut browser = Browser::default();
    for attempt in 1..=5 {
        let reply = browser.redeem(&server, &national_id, &format!("zzzz-zzzz-zzz{attempt}"));
        let expected = if attempt < 5 { 401 } else { 429 };
        assert_eq!(reply.status, expected, "attempt {attempt}: {}", reply.text);
    }
    let blocked = browser.redeem(&server, &national_id, &code);
    assert_eq!(blocked.status, 429);
    assert!(
        between(&blocked.text, "id=\"code-refusal\">", "<").contains("sperret"),
        "{}",
        blocked.text
    );
    assert!(browser.patient.is_empty(), "no session");
    // A malformed national id is refused naming the rule, and counts against nothing.
    let malformed = browser.redeem(&server, "12345678901", &code);
    assert_eq!(malformed.status, 422);
    // A new code from the register works.
    let fresh = issue_code(&server, &admin, &national_id);
    assert_eq!(browser.redeem(&server, &national_id, &fresh).status, 303);
    // Signing out ends the session; the spent code opens nothing again.
    let token = browser.token(&server);
    let out = browser.post(&server, "/insight/mine/signout", &format!("csrf={token}"));
    assert_eq!(out.status, 200);
    assert_eq!(browser.get(&server, "/insight/mine").status, 303);
    let reused = browser.redeem(&server, &national_id, &fresh);
    assert_eq!(reused.status, 401);
    assert!(reused.text.contains("allerede brukt"), "{}", reused.text);
}

#[test]
fn an_idle_patient_session_ends() {
    let options = WebOptions {
        session_idle: jiff::SignedDuration::from_secs(1),
        ..WebOptions::default()
    };
    let server = TestServer::sqlite(options);
    let doc = documents::draft(43, "UNN-TRO", "2024-03-10");
    let national_id = doc["national_id"].as_str().expect("id").to_owned();
    // Issued as on the command line, so no staff session has to outlive the short timeout.
    let (runtime, platform) = server.operator();
    let code = runtime
        .block_on(platform.issue_insight_code("stroke", &national_id, "operator", jiff::Timestamp::now()))
        .expect("issue")
        .code;
    let mut browser = Browser::default();
    assert_eq!(browser.redeem(&server, &national_id, &code).status, 303);
    assert_eq!(browser.get(&server, "/insight/mine").status, 200);
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let expired = browser.get(&server, "/insight/mine");
    assert_eq!(
        (expired.status, expired.header("location")),
        (303, Some("/insight/code"))
    );
    assert!(browser.patient.is_empty(), "the cookie is cleared");
}
