//! Signing in as a registrar would: password and authenticator code, recovery codes, the
//! lockout after repeated failures, CSRF on every form post, the idle timeout, signing out
//! here and everywhere — each attempt and change in the audit log.

use kvalreg_core::totp::TotpSecret;
use kvalreg_web::WebOptions;

use crate::server::{PASSWORD, Session, TestServer, between};

const FORM: &str = "application/x-www-form-urlencoded";

fn sign_in_with(server: &TestServer, user: &str, password: &str, code: &str) -> crate::server::Reply {
    server
        .post("/signin")
        .anonymous()
        .raw(
            FORM,
            format!("user={user}&password={password}&code={code}").into_bytes(),
        )
        .send()
}

fn session_of(reply: &crate::server::Reply) -> Session {
    let cookie = reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.strip_prefix("kvalreg_session="))
        .unwrap_or_else(|| panic!("no session cookie: {reply:?}"))
        .to_owned();
    Session {
        cookie,
        csrf: String::new(),
    }
}

fn actions(server: &TestServer) -> Vec<String> {
    server.audit_entries().into_iter().map(|e| e.action).collect()
}

#[test]
fn enrolment_then_code_or_recovery_code_and_nothing_without() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("kari", &["unit_lead:stroke:UNN-TRO"]);
    // Before enrolment the password opens only the enrolment page.
    let first = sign_in_with(&server, "kari", PASSWORD, "");
    assert_eq!(first.header("location"), Some("/account/second-factor"));
    let cookie = first.header("set-cookie").expect("cookie").to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = session_of(&first);
    let elsewhere = server.get("/h/UNN-TRO").session(&session).send();
    assert_eq!(elsewhere.header("location"), Some("/account/second-factor"));
    let page = server.get("/account/second-factor").session(&session).send();
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<svg"), "a QR code is drawn");
    let secret = TotpSecret::from_base32(between(&page.text, "id=\"tfa-secret\">", "<")).expect("secret");
    let csrf = between(&page.text, "name=\"csrf\" value=\"", "\"").to_owned();
    let session = Session { csrf, ..session };
    let step = jiff::Timestamp::now().as_second() / 30;
    let wrong = format!("{:06}", (secret.code_at_step(step) + 1) % 1_000_000);
    let refused = server
        .post("/account/second-factor")
        .session(&session)
        .raw(FORM, format!("code={wrong}").into_bytes())
        .send();
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("id=\"tfa-refusal\""));
    // The refusal offered a fresh secret.
    let secret = TotpSecret::from_base32(between(&refused.text, "id=\"tfa-secret\">", "<")).expect("secret");
    let done = server
        .post("/account/second-factor")
        .session(&session)
        .raw(FORM, format!("code={:06}", secret.code_at_step(step)).into_bytes())
        .send();
    assert_eq!(done.status, 200, "{}", done.text);
    let codes: Vec<String> = between(&done.text, "<ol id=\"recovery-codes\">", "</ol>")
        .split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert_eq!(server.get("/h/UNN-TRO").session(&session).send().status, 200);

    // Now the password alone is refused, as is the code already used; the next step's code
    // and a recovery code (once) work.
    assert_eq!(sign_in_with(&server, "kari", PASSWORD, "").status, 401);
    let used = format!("{:06}", secret.code_at_step(step));
    assert_eq!(
        sign_in_with(&server, "kari", PASSWORD, &used).status,
        401,
        "a code works once"
    );
    let next = format!("{:06}", secret.code_at_step(step + 1));
    assert_eq!(sign_in_with(&server, "kari", PASSWORD, &next).status, 303);
    let recovery = codes[3].to_uppercase();
    assert_eq!(sign_in_with(&server, "kari", PASSWORD, &recovery).status, 303);
    assert_eq!(
        sign_in_with(&server, "kari", PASSWORD, &recovery).status,
        401,
        "a recovery code works once"
    );
    let seen = actions(&server);
    assert!(seen.contains(&"user.2fa_enrol".to_owned()));
    assert_eq!(seen.iter().filter(|a| *a == "signin").count(), 3, "{seen:?}");
    assert_eq!(seen.iter().filter(|a| *a == "signin.failed").count(), 3, "{seen:?}");

    // After a reset (lost phone) the sessions are gone and enrolment starts again.
    let (runtime, platform) = server.operator();
    runtime
        .block_on(platform.reset_second_factor("kari", "operator"))
        .expect("reset");
    assert_eq!(server.get("/h/UNN-TRO").session(&session).send().status, 303);
    assert_eq!(
        sign_in_with(&server, "kari", PASSWORD, "").header("location"),
        Some("/account/second-factor")
    );
}

#[test]
fn five_failures_lock_the_account_and_every_attempt_is_audited() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("ola", &["registrar:stroke:UNN-TRO"]);
    for attempt in 1..=4 {
        let reply = sign_in_with(&server, "ola", "not the password", "");
        assert_eq!(reply.status, 401, "attempt {attempt}");
        assert!(
            reply.text.contains("Feil brukernavn, passord eller kode"),
            "{}",
            reply.text
        );
        assert!(reply.text.contains("value=\"ola\""), "the name is kept");
    }
    let fifth = sign_in_with(&server, "ola", "not the password", "");
    assert_eq!(fifth.status, 429);
    assert!(fifth.text.contains("låst"), "{}", fifth.text);
    let right = sign_in_with(&server, "ola", PASSWORD, "");
    assert_eq!(right.status, 429, "locked even with the right password");
    assert!(right.header("set-cookie").is_none());
    let unknown = sign_in_with(&server, "nobody", PASSWORD, "");
    assert_eq!(unknown.status, 401);
    let entries = server.audit_entries();
    let failed: Vec<String> = entries
        .iter()
        .filter(|e| e.action == "signin.failed")
        .map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).expect("detail")["reason"].to_string())
        .collect();
    assert_eq!(
        failed,
        [
            "password",
            "password",
            "password",
            "password",
            "password",
            "locked",
            "unknown_user"
        ]
        .map(|r| format!("\"{r}\""))
    );
    assert!(
        entries
            .iter()
            .all(|e| !e.detail.contains(PASSWORD) && !e.detail.contains("not the password"))
    );
}

#[test]
fn form_posts_need_the_sessions_csrf_token() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("kari", &["unit_lead:stroke:UNN-TRO"]);
    let session = server.sign_in("kari");
    let page = server.get("/h/UNN-TRO/new").session(&session).send();
    assert!(
        page.text.contains(&format!("name=\"csrf\" value=\"{}\"", session.csrf)),
        "forms carry the token"
    );
    assert!(
        page.text.contains("hx-headers='{\"X-CSRF-Token\""),
        "htmx requests carry it too"
    );
    let body = b"hospital=UNN-TRO&evt=false&action=save".to_vec();
    let no_token = Session {
        csrf: String::new(),
        ..session.clone()
    };
    let refused = server
        .post("/h/UNN-TRO/new")
        .session(&no_token)
        .raw(FORM, body.clone())
        .send();
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("class=\"refusal\""));
    let forged = Session {
        csrf: "0".repeat(64),
        ..session.clone()
    };
    assert_eq!(
        server
            .post("/h/UNN-TRO/new")
            .session(&forged)
            .raw(FORM, body.clone())
            .send()
            .status,
        403
    );
    let mut with_field = format!("csrf={}&", session.csrf).into_bytes();
    with_field.extend_from_slice(&body);
    let accepted = server
        .post("/h/UNN-TRO/new")
        .session(&no_token)
        .raw(FORM, with_field)
        .send();
    assert_ne!(accepted.status, 403, "{}", accepted.text);
}

#[test]
fn signing_out_here_and_everywhere_ends_the_sessions() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("kari", &["registrar:stroke:UNN-TRO"]);
    let laptop = server.sign_in("kari");
    let phone = server.sign_in("kari");
    let ward = server.sign_in("kari");
    let out = server.post("/signout").session(&laptop).send();
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(server.get("/h/UNN-TRO").session(&laptop).send().status, 303);
    assert_eq!(server.get("/h/UNN-TRO").session(&phone).send().status, 200);
    let everywhere = server.post("/signout/everywhere").session(&phone).send();
    assert_eq!(everywhere.status, 200);
    assert!(everywhere.text.contains("(2 "), "{}", everywhere.text);
    for session in [&phone, &ward] {
        let reply = server.get("/h/UNN-TRO").session(session).send();
        assert_eq!(reply.header("location"), Some("/signin?back=/h/UNN-TRO"));
    }
    let seen = actions(&server);
    assert!(seen.contains(&"signout".to_owned()) && seen.contains(&"signout.everywhere".to_owned()));
}

#[test]
fn an_idle_session_is_signed_out() {
    let server = TestServer::sqlite(WebOptions {
        session_idle: jiff::SignedDuration::from_secs(1),
        second_factor_required: false,
        ..WebOptions::default()
    });
    server.add_user("kari", &["registrar:stroke:UNN-TRO"]);
    let session = server.sign_in("kari");
    assert_eq!(server.get("/h/UNN-TRO").session(&session).send().status, 200);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(server.get("/h/UNN-TRO").session(&session).send().status, 303);
}

#[test]
fn the_auditor_searches_the_log_sees_the_chain_and_the_search_is_audited() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("revisor", &["auditor"]);
    server.add_user("kari", &["registrar:stroke:UNN-TRO"]);
    let kari = server.sign_in("kari");
    let revisor = server.sign_in("revisor");
    assert_eq!(
        server.get("/audit").session(&kari).send().status,
        403,
        "a registrar may not read the log"
    );
    let page = server
        .get("/audit?actor=kari&action=signin")
        .session(&revisor)
        .header("Cookie", "kvalreg_lang=en")
        .send();
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("The chain is whole"), "{}", page.text);
    assert!(page.text.contains("id=\"audit-head\""));
    let rows = between(&page.text, "<tbody>", "</tbody>");
    assert_eq!(rows.matches("<tr>").count(), 1, "kari signed in once: {rows}");
    assert!(rows.contains("<td>signin</td>") && rows.contains("<td>kari</td>"));
    let bad = server.get("/audit?colour=red").session(&revisor).send();
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("colour"));
    let searches: Vec<_> = server
        .audit_entries()
        .into_iter()
        .filter(|e| e.action == "audit.search")
        .collect();
    assert_eq!(searches.len(), 1, "the refused search is not recorded");
    assert_eq!(searches[0].actor, "revisor");
    assert!(
        searches[0].detail.contains("\"actor\":\"kari\""),
        "{}",
        searches[0].detail
    );
}

#[test]
fn a_register_admin_looks_a_person_up_and_sees_every_access() {
    let server = TestServer::sqlite(WebOptions::default());
    let doc = crate::documents::draft(61, "UNN-TRO", "2024-03-10");
    let created = server
        .post("/api/v1/registers/stroke/registrations")
        .json(&doc)
        .send()
        .expect(201);
    let id = created["id"].as_str().expect("id").to_owned();
    let reader = server.token("ward-system", "registrar:stroke:UNN-TRO");
    server
        .get(&format!("/api/v1/registers/stroke/registrations/{id}"))
        .bearer(&reader)
        .send()
        .expect(200);
    server.add_user("admin", &["register_admin:stroke"]);
    server.add_user("kari", &["unit_lead:stroke:UNN-TRO"]);
    let admin = server.sign_in("admin");
    let kari = server.sign_in("kari");
    let national_id = doc["national_id"].as_str().expect("id");
    let body = format!("national_id={national_id}").into_bytes();
    assert_eq!(
        server
            .post("/insight")
            .session(&kari)
            .raw(FORM, body.clone())
            .send()
            .status,
        403
    );
    let report = server
        .post("/insight")
        .session(&admin)
        .header("Cookie", "kvalreg_lang=en")
        .raw(FORM, body)
        .send();
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(
        report.text.contains("Registration at UNN-TRO (draft)"),
        "{}",
        report.text
    );
    let accesses = between(&report.text, "<table class=\"insight-accesses\">", "</table>");
    assert!(
        accesses.contains("token:ward-system") && accesses.contains("registration.read"),
        "{accesses}"
    );
    assert!(
        accesses.contains("registration.create") && accesses.contains("api_read"),
        "{accesses}"
    );
    let pdf = server
        .post("/insight/pdf")
        .session(&admin)
        .raw(FORM, format!("national_id={national_id}").into_bytes())
        .send_bytes();
    assert_eq!(pdf.0, 200);
    assert!(pdf.1.starts_with(b"%PDF-1.4"), "a PDF");
    let text = crate::server::pdf_text(&pdf.1);
    assert!(
        text.contains("Innsynsrapport") && text.contains("Registrering ved UNN-TRO"),
        "{text}"
    );
    assert!(text.contains("token:ward-system"), "{text}");
    let malformed = server
        .post("/insight")
        .session(&admin)
        .raw(FORM, b"national_id=12345678901".to_vec())
        .send();
    assert_eq!(malformed.status, 422);
    assert!(malformed.text.contains("id=\"insight-refusal\""));
    let lookups: Vec<_> = server
        .audit_entries()
        .into_iter()
        .filter(|e| e.action == "insight.lookup")
        .collect();
    assert_eq!(lookups.len(), 2, "the page and the PDF");
    assert!(lookups[0].detail.contains(&id) && !lookups[0].detail.contains(national_id));
}

#[test]
fn a_register_admin_adds_disables_and_resets_users_of_their_register() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("admin", &["register_admin:stroke"]);
    server.add_user("revisor", &["auditor"]);
    let admin = server.sign_in("admin");
    let form = |pairs: &str| pairs.as_bytes().to_vec();
    let added = server
        .post("/admin/users")
        .session(&admin)
        .header("Cookie", "kvalreg_lang=en")
        .raw(
            FORM,
            form(&format!(
                "name=nina&password={PASSWORD}&role=registrar&register=stroke&hospital=UNN-TRO"
            )),
        )
        .send();
    assert_eq!(added.status, 200, "{}", added.text);
    assert!(added.text.contains("User nina added"), "{}", added.text);
    assert!(between(&added.text, "<tbody>", "</tbody>").contains("registrar:stroke:UNN-TRO"));
    assert!(
        !added.text.contains("id=\"user-revisor\""),
        "platform-wide users are not listed"
    );
    let refused = server
        .post("/admin/users")
        .session(&admin)
        .header("Cookie", "kvalreg_lang=en")
        .raw(FORM, form("name=Nina%20B&password=short&role=auditor&register=stroke"))
        .send();
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("cannot be granted here"), "{}", refused.text);
    let short = server
        .post("/admin/users")
        .session(&admin)
        .header("Cookie", "kvalreg_lang=en")
        .raw(
            FORM,
            form("name=ola&password=short&role=registrar&register=stroke&hospital=UNN-TRO"),
        )
        .send();
    assert_eq!(short.status, 422);
    assert!(short.text.contains("password: "), "the field is named: {}", short.text);
    // The new user signs in (and enrols); disabled, they cannot.
    let nina = server.sign_in("nina");
    assert_eq!(server.get("/h/UNN-TRO").session(&nina).send().status, 200);
    let disabled = server.post("/admin/users/nina/disable").session(&admin).send();
    assert_eq!(disabled.header("location"), Some("/admin/users"));
    assert_eq!(
        server.get("/h/UNN-TRO").session(&nina).send().status,
        303,
        "the session ends with the user"
    );
    assert_eq!(
        server
            .post("/admin/users/revisor/disable")
            .session(&admin)
            .send()
            .status,
        403
    );
    let actions: Vec<String> = server.audit_entries().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"user.disable".to_owned()));
    assert_eq!(actions.iter().filter(|a| *a == "user.add").count(), 3);
}

#[test]
fn another_sites_posts_are_refused_before_any_session_exists() {
    let server = TestServer::sqlite(WebOptions::default());
    server.add_user("kari", &["registrar:stroke:UNN-TRO"]);
    let form = format!("user=kari&password={PASSWORD}&code=").into_bytes();
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://elsewhere.example"),
        ("origin", "null"),
    ] {
        let reply = server
            .post("/signin")
            .anonymous()
            .header(header, value)
            .raw(FORM, form.clone())
            .send();
        assert_eq!(reply.status, 403, "{header}: {value}: {}", reply.text);
        assert!(reply.header("set-cookie").is_none(), "{header}: {value}");
        assert!(reply.text.contains("kom ikke fra kvalreg"), "{}", reply.text);
    }
    assert!(
        !actions(&server).iter().any(|a| a.starts_with("signin")),
        "a refused post never reaches the sign-in"
    );
    // The browser's own page posts with its origin and same-origin.
    let reply = server
        .post("/signin")
        .anonymous()
        .header("origin", &server.base)
        .header("sec-fetch-site", "same-origin")
        .raw(FORM, form)
        .send();
    assert_eq!(reply.status, 303, "{}", reply.text);
    assert!(reply.header("set-cookie").is_some());
}
