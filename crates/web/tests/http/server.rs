//! Starts the real router on 127.0.0.1:0 against a fresh database (a temporary SQLite data
//! directory, or a new PostgreSQL database) and talks HTTP to it with a blocking client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kvalreg_app::Platform;
use kvalreg_core::identity::IdentityKeys;
use kvalreg_core::totp::TotpSecret;
use kvalreg_store::{AuditFilter, AuditRecord, Grant, Role, Store};
use kvalreg_web::WebOptions;
use serde_json::Value as Json;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The variable naming the PostgreSQL server the tests create their databases on.
pub const DATABASE_URL_VAR: &str = "KVALREG_TEST_DATABASE_URL";

/// A running server and what it needs to be cleaned up.
pub struct TestServer {
    pub base: String,
    agent: ureq::Agent,
    runtime: Option<tokio::runtime::Runtime>,
    /// The server's store, for looking at what the requests left behind (the audit log).
    store: Option<Arc<dyn Store>>,
    /// The platform, for adding users and tokens as an operator would.
    platform: Option<Arc<Platform>>,
    /// The token every call sends unless it says otherwise: register admin of stroke.
    admin_token: String,
    /// Unused recovery codes of each enrolled test user, for signing in again.
    recovery_codes: std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
    _data: tempfile::TempDir,
    /// (admin URL, database name) of a database to drop when done.
    postgres: Option<(String, String)>,
}

/// The stroke register's definition folder in this repository.
pub fn stroke_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registers/stroke")
}

impl TestServer {
    /// A server on a fresh SQLite data directory with the stroke register.
    pub fn sqlite(options: WebOptions) -> TestServer {
        TestServer::sqlite_with_register(&stroke_dir(), options)
    }

    /// A server on a fresh SQLite data directory with the register defined in `register_dir`.
    pub fn sqlite_with_register(register_dir: &Path, options: WebOptions) -> TestServer {
        let data = tempfile::tempdir().expect("temporary data directory");
        let url = format!("sqlite://{}", data.path().join("kvalreg.sqlite").display());
        TestServer::start(&url, register_dir, options, data, None)
    }

    /// A server on a new database of the PostgreSQL server in KVALREG_TEST_DATABASE_URL.
    /// Fails (never skips) when the variable is not set.
    pub fn postgres() -> TestServer {
        let Ok(admin_url) = std::env::var(DATABASE_URL_VAR) else {
            panic!(
                "{DATABASE_URL_VAR} is not set: the PostgreSQL tests need a server where they may run \
                 CREATE DATABASE (each test makes its own kvalreg_web_<random> database and drops it). \
                 Locally: export {DATABASE_URL_VAR}=postgres://kvalreg:kvalreg@localhost:5432/kvalreg_test \
                 (.ci/run starts PostgreSQL and sets it)"
            )
        };
        let name = format!("kvalreg_web_{}", uuid::Uuid::new_v4().simple());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut admin = PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {DATABASE_URL_VAR}: {e}"));
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        });
        let url = database_url(&admin_url, &name);
        let data = tempfile::tempdir().expect("temporary directory");
        TestServer::start(
            &url,
            &stroke_dir(),
            WebOptions::default(),
            data,
            Some((admin_url, name)),
        )
    }

    fn start(
        url: &str,
        register_dir: &Path,
        options: WebOptions,
        data: tempfile::TempDir,
        postgres: Option<(String, String)>,
    ) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        let register = kvalreg_app::load_register_dir(register_dir)
            .unwrap_or_else(|errors| panic!("register definition refused: {errors:?}"));
        let (base, store, platform, admin_token) = runtime.block_on(async {
            let store = kvalreg_store::connect(url).await.expect("store");
            kvalreg_app::seed_reference_hospitals(&*store)
                .await
                .expect("reference hospitals");
            let keys = IdentityKeys::generate().expect("identity keys");
            let platform = Arc::new(Platform::new(store.clone(), vec![register], keys));
            let admin_token = platform
                .add_token("test-admin", grant("register_admin:stroke"), "test")
                .await
                .expect("the test's admin token");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
            let address = listener.local_addr().expect("address");
            tokio::spawn(kvalreg_web::serve(listener, platform.clone(), options));
            (format!("http://{address}"), store, platform, admin_token)
        });
        // Redirects (the registrar pages answer form posts with 303) are looked at, not followed.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        TestServer {
            base,
            agent,
            runtime: Some(runtime),
            store: Some(store),
            platform: Some(platform),
            admin_token,
            recovery_codes: Default::default(),
            _data: data,
            postgres,
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call("GET", path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.call("POST", path)
    }

    pub fn put(&self, path: &str) -> Call<'_> {
        self.call("PUT", path)
    }

    /// Writes raw bytes to the server and reads its answer until it closes the connection
    /// (for requests an HTTP client would not send as such).
    pub fn raw_exchange(&self, request: &[u8]) -> String {
        let address = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        // The server may answer and close before it has read everything.
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Every audit entry the server's store holds, oldest first.
    pub fn audit_entries(&self) -> Vec<AuditRecord> {
        let (Some(runtime), Some(store)) = (&self.runtime, &self.store) else {
            panic!("the server is running until it is dropped");
        };
        runtime
            .block_on(store.audit_entries(&AuditFilter::default()))
            .expect("audit entries")
    }

    pub fn call(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            server: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            credential: Credential::Token(self.admin_token.clone()),
            body: None,
        }
    }

    /// The runtime and platform, to act as an operator on the command line would.
    pub fn operator(&self) -> (&tokio::runtime::Runtime, &Platform) {
        let (Some(runtime), Some(platform)) = (&self.runtime, &self.platform) else {
            panic!("the server is running until it is dropped");
        };
        (runtime, platform)
    }

    /// Adds a user with [`PASSWORD`] and grants written `role[:register[:hospital]]`.
    pub fn add_user(&self, name: &str, grants: &[&str]) {
        let (runtime, platform) = self.operator();
        let grants: Vec<Grant> = grants.iter().map(|g| grant(g)).collect();
        runtime
            .block_on(platform.add_user(name, PASSWORD, &grants, "test"))
            .unwrap_or_else(|e| panic!("user {name}: {e}"));
    }

    /// An API token with one grant written `role[:register[:hospital]]`.
    pub fn token(&self, name: &str, grant_text: &str) -> String {
        let (runtime, platform) = self.operator();
        runtime
            .block_on(platform.add_token(name, grant(grant_text), "test"))
            .unwrap_or_else(|e| panic!("token {name}: {e}"))
    }

    /// Signs `name` in through the sign-in form and, when the server asks for it, enrols a
    /// second factor through the account page as the user would with an authenticator app.
    pub fn sign_in(&self, name: &str) -> Session {
        let code = self
            .recovery_codes
            .lock()
            .expect("recovery codes")
            .get_mut(name)
            .and_then(Vec::pop)
            .unwrap_or_default();
        let reply = self
            .post("/signin")
            .anonymous()
            .raw(
                "application/x-www-form-urlencoded",
                format!("user={name}&password={PASSWORD}&code={code}").into_bytes(),
            )
            .send();
        assert_eq!(reply.status, 303, "sign-in of {name}: {}", reply.text);
        let cookie = reply
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .and_then(|c| c.strip_prefix("kvalreg_session="))
            .unwrap_or_else(|| panic!("no session cookie for {name}"))
            .to_owned();
        let enrol = reply.header("location") == Some("/account/second-factor");
        let mut session = Session {
            cookie,
            csrf: String::new(),
        };
        let page = self.get("/account/second-factor").session(&session).send();
        session.csrf = between(&page.text, "name=\"csrf\" value=\"", "\"").to_owned();
        if enrol {
            let secret =
                TotpSecret::from_base32(between(&page.text, "id=\"tfa-secret\">", "<")).expect("a base32 secret");
            let code = format!("{:06}", secret.code_at_step(jiff::Timestamp::now().as_second() / 30));
            let done = self
                .post("/account/second-factor")
                .session(&session)
                .raw("application/x-www-form-urlencoded", format!("code={code}").into_bytes())
                .send();
            assert_eq!(done.status, 200, "enrolment of {name}: {}", done.text);
            let codes = between(&done.text, "<ol id=\"recovery-codes\">", "</ol>")
                .split("<code>")
                .skip(1)
                .map(|c| c.split('<').next().unwrap_or_default().to_owned())
                .collect();
            self.recovery_codes
                .lock()
                .expect("recovery codes")
                .insert(name.to_owned(), codes);
        }
        session
    }
}

/// The password of every test user.
pub const PASSWORD: &str = "synthetic test password";

/// A grant written `role[:register[:hospital]]`.
pub fn grant(text: &str) -> Grant {
    let mut parts = text.split(':');
    let role = Role::parse(parts.next().unwrap_or_default()).unwrap_or_else(|| panic!("role in {text}"));
    Grant {
        role,
        register: parts.next().map(str::to_owned),
        hospital: parts.next().map(str::to_owned),
    }
}

/// The text between `start` and the next `end` in `text`.
pub fn between<'t>(text: &'t str, start: &str, end: &str) -> &'t str {
    let from = text
        .find(start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| panic!("no {start:?} in {text}"));
    let to = text[from..].find(end).map_or(text.len(), |i| from + i);
    &text[from..to]
}

/// A signed-in browser: its session cookie and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// How a call identifies itself.
#[derive(Debug, Clone)]
enum Credential {
    Token(String),
    Session(Session),
    None,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The store goes while the runtime its connections belong to still runs.
        self.store.take();
        self.platform.take();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
        if let Some((admin_url, name)) = self.postgres.take() {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut admin).await {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                }
            });
        }
    }
}

/// The admin URL with its database name replaced by `name` (query parameters kept).
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    format!("{prefix}/{name}{query}")
}

/// One request being built.
pub struct Call<'a> {
    server: &'a TestServer,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    credential: Credential,
    body: Option<Vec<u8>>,
}

impl Call<'_> {
    /// Sends no credential at all.
    pub fn anonymous(mut self) -> Self {
        self.credential = Credential::None;
        self
    }

    /// Sends this API token instead of the test's admin token.
    pub fn bearer(mut self, token: &str) -> Self {
        self.credential = Credential::Token(token.to_owned());
        self
    }

    /// Sends the session cookie (and, on posts, its CSRF token) instead of a token.
    pub fn session(mut self, session: &Session) -> Self {
        self.credential = Credential::Session(session.clone());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn if_match(self, version: i64) -> Self {
        self.header("If-Match", &format!("\"{version}\""))
    }

    pub fn nb(self) -> Self {
        self.header("Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5")
    }

    pub fn json(self, body: &Json) -> Self {
        self.raw("application/json", body.to_string().into_bytes())
    }

    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        if !content_type.is_empty() {
            self.headers.push(("Content-Type".to_owned(), content_type.to_owned()));
        }
        self.body = Some(body);
        self
    }

    pub fn send(self) -> Reply {
        let (status, headers, bytes) = self.exchange();
        let text = String::from_utf8(bytes).expect("a text response body");
        Reply { status, headers, text }
    }

    /// Sends the request and returns the status and the body as bytes (a PDF).
    pub fn send_bytes(self) -> (u16, Vec<u8>) {
        let (status, _, bytes) = self.exchange();
        (status, bytes)
    }

    fn exchange(self) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
        let mut request = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(format!("{}{}", self.server.base, self.path));
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        match &self.credential {
            Credential::Token(token) => request = request.header("Authorization", format!("Bearer {token}")),
            Credential::Session(session) => {
                request = request.header("Cookie", format!("kvalreg_session={}", session.cookie));
                if self.method != "GET" && !session.csrf.is_empty() {
                    request = request.header("X-CSRF-Token", session.csrf.clone());
                }
            }
            Credential::None => {}
        }
        let request = request.body(self.body.unwrap_or_default()).expect("request");
        let mut response = self
            .server
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{} {}: {e}", self.method, self.path));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.body_mut().read_to_vec().expect("response body");
        (status, headers, bytes)
    }
}

/// A response, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and returns the JSON body, showing the body when the status differs.
    pub fn expect(&self, status: u16) -> Json {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self.json()
    }

    /// Asserts a problem details answer with this status and returns it.
    pub fn problem(&self, status: u16) -> Json {
        let body = self.expect(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(body["status"], status);
        assert!(
            body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")),
            "{body}"
        );
        assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
        body
    }
}

/// The (field, rule) pairs of a problem's errors.
pub fn field_rules(problem: &Json) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_owned(),
                        e["rule"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(
        database_url("postgres://u:p@localhost:5432/kvalreg_test", "x1"),
        "postgres://u:p@localhost:5432/x1"
    );
    assert_eq!(
        database_url("postgres://localhost?sslmode=disable", "x2"),
        "postgres://localhost/x2?sslmode=disable"
    );
}

/// The text of a PDF, by Debian's `pdftotext` (package poppler-utils).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, pdf).expect("write the PDF");
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
