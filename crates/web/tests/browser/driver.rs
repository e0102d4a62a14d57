//! A small WebDriver client over chromedriver's HTTP interface: starts chromedriver on a
//! free port and headless Chromium, and offers the few commands the tests need.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// WebDriver key codes.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const ARROW_DOWN: &str = "\u{E015}";

const WAIT: Duration = Duration::from_secs(10);

fn find_program(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    for name in names {
        for dir in path.split(':').chain(["/usr/bin", "/usr/lib/chromium"]) {
            let candidate = std::path::Path::new(dir).join(name);
            if candidate.is_file() {
                return Some(candidate.display().to_string());
            }
        }
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One browser session; chromedriver is stopped when this is dropped.
pub struct Browser {
    agent: ureq::Agent,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium. Fails, saying what to install, when
    /// either is missing.
    pub fn start() -> Browser {
        let Some(chromedriver) = find_program(&["chromedriver"]) else {
            panic!(
                "chromedriver is not installed, so the browser tests cannot run. On Debian install \
                 Chromium and its driver as root: apt-get install -y chromium chromium-driver (.ci/run does this)"
            );
        };
        let Some(chromium) = find_program(&["chromium", "chromium-browser", "google-chrome"]) else {
            panic!("Chromium is not installed: apt-get install -y chromium chromium-driver");
        };
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(started.elapsed() < WAIT, "chromedriver did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("profile directory");
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--window-size=1280,2000".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let mut browser = Browser {
            agent,
            session: String::new(),
            driver,
            _profile: profile,
        };
        let answer = browser.call("POST", &format!("{base}/session"), Some(capabilities));
        browser.session = format!(
            "{base}/session/{}",
            answer["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {answer}"))
        );
        browser
    }

    fn call(&self, method: &str, url: &str, body: Option<Json>) -> Json {
        let response = match (method, body) {
            ("GET", _) => self.agent.get(url).call(),
            ("DELETE", _) => self.agent.delete(url).call(),
            (_, body) => self.agent.post(url).send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let answer: Json = response.body_mut().read_json().unwrap_or(Json::Null);
        if response.status().as_u16() >= 400 {
            panic!("{method} {url} failed: {answer}");
        }
        answer["value"].clone()
    }

    fn command(&self, method: &str, path: &str, body: Option<Json>) -> Json {
        self.call(method, &format!("{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({"url": url})));
    }

    pub fn url(&self) -> String {
        self.command("GET", "/url", None).as_str().unwrap_or("").to_owned()
    }

    /// Runs a script in the page and returns its result.
    pub fn script(&self, script: &str) -> Json {
        self.command("POST", "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    /// A PNG of the window, as the driver sends it (base64).
    pub fn screenshot_base64(&self) -> String {
        self.command("GET", "/screenshot", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// The browser console's entries at level SEVERE (script errors among them) since the
    /// last call.
    pub fn severe_console_entries(&self) -> Vec<String> {
        let entries = self.command("POST", "/se/log", Some(json!({"type": "browser"})));
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// The element for a CSS selector, waiting for it to appear.
    pub fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let found = self.command(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            );
            if let Some(id) = found.get(0).and_then(|e| e[ELEMENT_KEY].as_str()) {
                return id.to_owned();
            }
            assert!(started.elapsed() < WAIT, "no element {css} on {}", self.url());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether an element for the selector is on the page now.
    pub fn exists(&self, css: &str) -> bool {
        let found = self.command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        found.as_array().is_some_and(|a| !a.is_empty())
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.command("POST", &format!("/element/{id}/click"), None);
    }

    /// Clears a text input and types into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.command("POST", &format!("/element/{id}/clear"), None);
        self.command("POST", &format!("/element/{id}/value"), Some(json!({"text": text})));
    }

    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.command("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn value(&self, css: &str) -> String {
        let id = self.find(css);
        self.command("GET", &format!("/element/{id}/property/value"), None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Presses keys on the keyboard, one after the other, wherever the focus is (WebDriver
    /// key codes such as TAB for special keys).
    pub fn press(&self, keys: &str) {
        let actions: Vec<Json> = keys
            .chars()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k.to_string()}),
                    json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.command("POST", "/actions", Some(body));
    }

    /// The id of the element that has the keyboard focus.
    pub fn focused(&self) -> String {
        self.script("return document.activeElement ? document.activeElement.id : ''")
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Presses Tab until the element with `id` has the focus, failing after `limit` presses.
    pub fn tab_to(&self, id: &str, limit: usize) {
        for _ in 0..limit {
            if self.focused() == id {
                return;
            }
            self.press(TAB);
        }
        assert_eq!(self.focused(), id, "#{id} is not reachable with Tab on {}", self.url());
    }

    /// Waits until `condition` holds, failing with `what` after the timeout.
    pub fn wait_until(&self, what: &str, condition: impl Fn(&Browser) -> bool) {
        let started = Instant::now();
        while !condition(self) {
            assert!(
                started.elapsed() < WAIT,
                "timed out waiting for {what} on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until htmx has no request in flight (twice in a row, a moment apart).
    pub fn settle(&self) {
        let busy = |b: &Browser| {
            b.script("return document.querySelectorAll('.htmx-request').length")
                .as_u64()
                != Some(0)
        };
        let mut quiet = 0;
        let started = Instant::now();
        while quiet < 2 {
            std::thread::sleep(Duration::from_millis(120));
            quiet = if busy(self) { 0 } else { quiet + 1 };
            assert!(started.elapsed() < WAIT, "htmx did not settle on {}", self.url());
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.agent.delete(&self.session).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
