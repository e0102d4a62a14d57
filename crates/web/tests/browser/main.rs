//! Registrar pages end to end in headless Chromium (Debian's chromium + chromedriver): the
//! real server on a real SQLite file, driven as a registrar would with keyboard-reachable
//! controls. Missing chromedriver fails the tests with what to install.

mod driver;
mod quality;

use std::sync::Arc;

use driver::{ARROW_DOWN, Browser, ENTER, TAB};
use kvalreg_app::Platform;
use kvalreg_core::definition::Register;
use kvalreg_core::identity::IdentityKeys;
use kvalreg_core::time::{format_date_norwegian, format_moment_norwegian, parse_date, parse_moment};
use kvalreg_core::value::VarType;
use kvalreg_store::Status;
use kvalreg_web::WebOptions;
use serde_json::{Map, Value as Json, json};

/// The app on a fresh SQLite file, serving on a free port.
struct Server {
    base: String,
    platform: Arc<Platform>,
    runtime: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

fn stroke() -> Register {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registers/stroke");
    kvalreg_app::load_register_dir(&dir).unwrap_or_else(|e| panic!("stroke register: {e:?}"))
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().expect("data directory");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let url = format!("sqlite://{}", data.path().join("kvalreg.sqlite").display());
        let (base, platform) = runtime.block_on(async {
            let store = kvalreg_store::connect(&url).await.expect("store");
            kvalreg_app::seed_reference_hospitals(&*store).await.expect("hospitals");
            let keys = IdentityKeys::generate().expect("keys");
            let platform = Arc::new(Platform::new(store, vec![stroke()], keys));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
            let address = listener.local_addr().expect("address");
            // Second factors have their own HTTP tests; here users sign in with a password.
            let options = WebOptions {
                second_factor_required: false,
                ..WebOptions::default()
            };
            tokio::spawn(kvalreg_web::serve(listener, platform.clone(), options));
            (format!("http://{address}"), platform)
        });
        Server {
            base,
            platform,
            runtime,
            _data: data,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The password of every browser-test user.
const PASSWORD: &str = "synthetic browser password";

impl Server {
    /// Adds `user` as unit lead of `hospital` (they may complete and lock).
    fn add_unit_lead(&self, user: &str, hospital: &str) {
        let grant = kvalreg_store::Grant {
            role: kvalreg_store::Role::UnitLead,
            register: Some("stroke".to_owned()),
            hospital: Some(hospital.to_owned()),
        };
        self.runtime
            .block_on(self.platform.add_user(user, PASSWORD, &[grant], "test"))
            .unwrap_or_else(|e| panic!("user {user}: {e}"));
    }
}

/// Adds `user` as unit lead of `hospital` and signs in through the sign-in form.
fn sign_in(browser: &Browser, server: &Server, user: &str, hospital: &str) {
    server.add_unit_lead(user, hospital);
    browser.goto(&server.url("/signin"));
    browser.type_into("#user", user);
    browser.type_into("#password", PASSWORD);
    browser.click("form.signin button[type=submit]");
    browser.wait_until("the worklist", |b| b.url().ends_with(&format!("/h/{hospital}")));
}

/// A complete synthetic registration with thrombolysis and thrombectomy, without the
/// follow-up form.
fn treated_registration(register: &Register) -> Map<String, Json> {
    kvalreg_app::synthetic::stroke_registrations_as_of(
        jiff::civil::date(2026, 6, 30),
        &kvalreg_app::reference_hospitals(),
        2025..=2025,
        3,
        5,
    )
    .into_iter()
    .find(|(d, s)| *s == Status::Complete && d.get("ivt") == Some(&json!(true)) && d.get("evt") == Some(&json!(true)))
    .map(|(d, _)| {
        d.into_iter()
            .filter(|(k, _)| register.variable(k).is_some_and(|v| v.form == "acute"))
            .collect()
    })
    .expect("a registration with thrombolysis and thrombectomy")
}

/// A canonical value as a registrar types it.
fn typed(var_type: VarType, value: &Json) -> String {
    match (var_type, value) {
        (VarType::Datetime, Json::String(s)) if s != "unknown" => {
            format_moment_norwegian(&parse_moment(s).expect("stored moment"))
        }
        (VarType::Date, Json::String(s)) => format_date_norwegian(parse_date(s).expect("stored date")),
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Fills the form field by field in the definition's order, as the sections appear.
fn fill(browser: &Browser, register: &Register, doc: &Map<String, Json>, skip: &[&str]) {
    for variable in register.variables() {
        let Some(value) = doc.get(&variable.name) else { continue };
        if skip.contains(&variable.name.as_str()) {
            continue;
        }
        let text = typed(variable.var_type, value);
        let css = format!("#f-{}", variable.name);
        match variable.var_type {
            VarType::Bool | VarType::Code => {
                browser.click(&format!("{css} option[value=\"{text}\"]"));
                browser.settle();
            }
            _ => browser.type_into(&css, &text),
        }
    }
    browser.settle();
}

#[test]
fn registrar_completes_a_treated_registration_after_fixing_an_error_and_confirming_a_warning() {
    let server = Server::start();
    let register = stroke();
    let doc = treated_registration(&register);
    let hospital = doc["hospital"].as_str().expect("hospital").to_owned();
    let browser = Browser::start();
    sign_in(&browser, &server, "kari.registrar", &hospital);
    browser.click("#new-registration");
    browser.find("#f-national_id");
    fill(&browser, &register, &doc, &["hospital", "nihss_admission", "passes"]);

    // A hard error and a soft warning show beside their fields as they are typed.
    browser.type_into("#f-nihss_admission", "99");
    browser.type_into("#f-passes", "12");
    browser.click("#f-national_id");
    browser.wait_until("the NIHSS error", |b| b.exists("#msg-nihss_admission p.error"));
    browser.wait_until("the passes warning", |b| b.exists("#msg-passes p.warning"));
    assert!(
        browser.text("#msg-nihss_admission").contains("42"),
        "{}",
        browser.text("#msg-nihss_admission")
    );

    // Completing is refused; every value entered is still there.
    browser.click("#complete");
    browser.wait_until("the error summary", |b| b.exists("#error-summary"));
    assert_eq!(browser.value("#f-nihss_admission"), "99");
    let onset = typed(VarType::Datetime, &doc["onset_time"]);
    assert_eq!(browser.value("#f-onset_time"), onset);
    assert!(browser.exists("#section-evt_module"));

    // Fixed, the warning must still be confirmed before completion.
    browser.type_into("#f-nihss_admission", "5");
    browser.click("#complete");
    browser.wait_until("the warning confirmation", |b| b.exists("#confirm_warnings"));
    assert!(browser.exists("#msg-passes p.warning"));
    assert!(!browser.exists("#error-summary"));
    browser.click("#confirm_warnings");
    browser.click("#complete");
    browser.wait_until("the completed registration", |b| b.url().contains("notice=completed"));
    assert!(
        browser.text("#status").contains("Fullført"),
        "{}",
        browser.text("#status")
    );
    assert_eq!(browser.value("#f-passes"), "12");
    assert_eq!(browser.value("#f-onset_time"), onset);

    // The unit lead locks it; a locked registration cannot be edited.
    browser.click("#lock");
    browser.wait_until("the locked registration", |b| b.url().contains("notice=locked"));
    assert!(browser.text("#status").contains("Låst"));
    assert!(!browser.exists("#complete"));
    assert_eq!(
        browser.script("return document.querySelector('#f-passes').disabled"),
        json!(true)
    );

    // Reopen with a reason; the history page shows every version and the reason.
    browser.type_into("#reason", "Feil antall passasjer");
    browser.click("#reopen");
    browser.wait_until("the reopened registration", |b| b.url().contains("notice=reopened"));
    assert!(browser.text("#status").contains("Utkast"));
    browser.click("#history-link");
    browser.wait_until("the history page", |b| b.url().ends_with("/history"));
    assert_eq!(browser.text(".version .reason"), "Feil antall passasjer");
    let who = browser.script("return [...document.querySelectorAll('.version .who')].map(e => e.textContent)");
    // Created complete in one step (version 1), locked (2), reopened (3); newest first.
    assert_eq!(who, json!(["kari.registrar", "kari.registrar", "kari.registrar"]));
    let statuses = browser.script("return [...document.querySelectorAll('.version .status')].map(e => e.textContent)");
    assert_eq!(statuses, json!(["Utkast", "Låst", "Fullført"]));
    let locking = browser.text("#version-2 table");
    assert!(
        locking.contains("Status\tFullført\tLåst") || locking.contains("Status Fullført Låst"),
        "{locking}"
    );
}

#[test]
fn the_evt_section_appears_only_when_evt_is_ticked() {
    let server = Server::start();
    let browser = Browser::start();
    sign_in(&browser, &server, "ola", "UNN-TRO");
    browser.goto(&server.url("/h/UNN-TRO/new"));
    browser.find("#f-evt");
    assert!(!browser.exists("#section-evt_module"));
    browser.click("#f-evt option[value=\"true\"]");
    browser.wait_until("the EVT section", |b| b.exists("#section-evt_module #f-evt_pathway"));
    // Every control is labelled and reachable with Tab (no negative tabindex).
    let unlabelled = browser.script(
        "return [...document.querySelectorAll('#registration-form input:not([type=hidden]), #registration-form select')]\
         .filter(e => !document.querySelector(`label[for='${e.id}']`) || e.tabIndex < 0).map(e => e.name)",
    );
    assert_eq!(unlabelled, json!([]));
    browser.click("#f-evt option[value=\"false\"]");
    browser.wait_until("the EVT section to go", |b| !b.exists("#section-evt_module"));
    // Without JavaScript the same happens through the "update the form" button.
    browser.script("document.querySelector('#f-evt').value = 'true'");
    browser.click("button[value=refresh]");
    browser.wait_until("the EVT section after a plain post", |b| {
        b.exists("#section-evt_module")
    });
}

#[test]
fn the_pages_switch_language() {
    let server = Server::start();
    let browser = Browser::start();
    sign_in(&browser, &server, "ola", "UNN-TRO");
    assert_eq!(browser.script("return document.documentElement.lang"), json!("nb"));
    assert!(browser.text("h1").starts_with("Arbeidsliste"));
    browser.click("#lang-switch");
    browser.wait_until("English", |b| {
        b.script("return document.documentElement.lang") == json!("en")
    });
    assert!(browser.text("h1").starts_with("Worklist"), "{}", browser.text("h1"));
    browser.click("#new-registration");
    browser.find("#f-evt");
    assert!(browser.text("label[for=f-evt]").contains("Thrombectomy"));
    browser.click("#lang-switch");
    browser.wait_until("Norwegian", |b| {
        b.script("return document.documentElement.lang") == json!("nb")
    });
    assert!(browser.text("label[for=f-evt]").contains("Trombektomi"));
}

#[test]
fn stored_script_text_is_shown_as_text_and_never_run() {
    let server = Server::start();
    let person = treated_registration(&stroke())["national_id"].clone();
    let hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";
    let doc: Map<String, Json> = serde_json::from_value(json!({
        "national_id": person, "hospital": "UNN-TRO", "onset_time": "2025-03-10T07:40",
        "ivt": false, "evt": true, "operator1_id": hostile,
    }))
    .expect("a document");
    let saved = server
        .runtime
        .block_on(server.platform.create(
            &kvalreg_store::Scope::AllHospitals,
            "stroke",
            doc,
            Status::Draft,
            "seed",
        ))
        .unwrap_or_else(|e| panic!("seed registration: {e}"));
    let browser = Browser::start();
    sign_in(&browser, &server, "ola", "UNN-TRO");
    browser.goto(&server.url(&format!("/h/UNN-TRO/r/{}", saved.registration.id)));
    assert_eq!(browser.value("#f-operator1_id"), hostile);
    browser.click("#history-link");
    browser.wait_until("the history page", |b| b.url().ends_with("/history"));
    assert!(browser.text("main").contains(hostile));
    assert_eq!(browser.script("return window.__pwned === undefined"), json!(true));
    assert_eq!(
        browser.script("return document.querySelectorAll('main script, main img').length"),
        json!(0)
    );
}

#[test]
fn a_registrar_gets_around_with_the_keyboard_alone() {
    let server = Server::start();
    server.add_unit_lead("kari", "UNN-TRO");
    let browser = Browser::start();
    browser.goto(&server.url("/signin"));
    browser.tab_to("user", 10);
    browser.press("kari");
    browser.press(TAB);
    assert_eq!(browser.focused(), "password");
    browser.press(PASSWORD);
    browser.press(ENTER);
    browser.wait_until("the worklist", |b| b.url().contains("/h/"));
    browser.tab_to("new-registration", 15);
    browser.press(ENTER);
    browser.wait_until("the form", |b| b.exists("#f-evt"));
    browser.tab_to("f-evt", 80);
    // Yes is the first choice after the empty one.
    browser.press(ARROW_DOWN);
    browser.wait_until("the EVT section", |b| b.exists("#section-evt_module"));
    browser.settle();
    assert_eq!(
        browser.focused(),
        "f-evt",
        "the focus stays on the field after the sections change"
    );
    browser.tab_to("f-evt_pathway", 10);
}
