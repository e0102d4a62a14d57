//! `kvalreg serve --demo` starts on a fresh directory and serves the page and the API;
//! `definitions check` names file and line; the data directory is never wiped or reused
//! by mistake.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Kills the server when the test ends, also when it fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_demo_serves_the_start_page_and_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = common::kvalreg(dir.path())
        .args(["--data-dir", "demo", "serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kvalreg");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let _server = Server(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("the server prints its address");
    let mut log = String::new();
    if line.is_empty() {
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut log);
        panic!("the server stopped before listening:\n{log}");
    }
    let url = line
        .trim()
        .strip_prefix("kvalreg listening on ")
        .expect("the listening line")
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/') && !url.contains(":0/"),
        "{url}"
    );

    // Nothing but the sign-in page without signing in; a demo user signs in with the demo
    // password alone.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let start = agent.get(&url).call().expect("GET /");
    assert_eq!(start.status(), 303);
    assert_eq!(
        start.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/signin?back=/")
    );
    let signed_in = agent
        .post(&format!("{url}signin"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("user=admin&password={}", kvalreg_app::DEMO_PASSWORD))
        .expect("POST /signin");
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let mut page = agent.get(&url).header("Cookie", &cookie).call().expect("GET /");
    assert_eq!(page.status(), 200);
    let content_type = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        page.body_mut()
            .read_to_string()
            .expect("page body")
            .contains("Stroke register")
    );

    let token = common::ok(
        dir.path(),
        &[
            "--data-dir",
            "demo",
            "token",
            "add",
            "demo-script",
            "--grant",
            "register_admin:stroke",
        ],
    );
    let mut api = agent
        .get(&format!("{url}api/v1/registers/stroke/registrations?limit=5"))
        .header("Authorization", &format!("Bearer {}", token.trim()))
        .call()
        .expect("GET registrations");
    assert_eq!(api.status(), 200);
    let body: serde_json::Value = api.body_mut().read_json().expect("JSON body");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 5, "{body}");
    assert!(
        items
            .iter()
            .all(|r| r["values"]["national_id"].is_string() && r["register"] == "stroke")
    );
    assert!(body["total"].as_u64().is_some_and(|t| t > 10_000), "{}", body["total"]);
    assert!(
        dir.path().join("demo").join("DEMO").is_file(),
        "the demo directory is marked"
    );
}

#[test]
fn demo_never_wipes_a_directory_without_the_marker_and_serve_needs_init() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "real", "init"]);
    let out = common::run(
        root,
        &["--data-dir", "real", "serve", "--demo", "--listen", "127.0.0.1:0"],
    );
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("not a demo directory"),
        "{}",
        common::stderr(&out)
    );
    assert!(
        root.join("real").join("kvalreg.keys").is_file(),
        "the real directory is untouched"
    );

    let out = common::run(root, &["--data-dir", "real", "init"]);
    assert!(!out.status.success(), "a second init must not replace the keys");
    assert!(common::stderr(&out).starts_with("error: "), "{}", common::stderr(&out));

    let out = common::run(root, &["--data-dir", "missing", "serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("kvalreg init"),
        "{}",
        common::stderr(&out)
    );

    let out = common::run(
        root,
        &[
            "--data-dir",
            "d",
            "--database-url",
            "postgres://u:secret@localhost/x",
            "serve",
            "--demo",
        ],
    );
    assert!(!out.status.success());
    let stderr = common::stderr(&out);
    assert!(stderr.contains("--demo") && !stderr.contains("secret"), "{stderr}");
}

#[test]
fn definitions_check_passes_the_stroke_register_and_names_file_and_line_of_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stroke = common::registers_dir().join("stroke");
    let ok = common::ok(dir.path(), &["definitions", "check", stroke.to_str().expect("path")]);
    assert!(ok.starts_with("ok: register stroke, "), "{ok}");
    assert!(ok.contains(" variables, ") && ok.trim_end().ends_with(" rules"), "{ok}");

    let broken = dir.path().join("stroke");
    copy_dir(&stroke, &broken);
    let rules = std::fs::read_to_string(broken.join("rules.toml")).expect("rules");
    let line = rules
        .lines()
        .position(|l| l.contains("onset_time <= arrival_time"))
        .expect("the rule")
        + 1;
    std::fs::write(
        broken.join("rules.toml"),
        rules.replace("onset_time <= arrival_time", "onset_tme <= arrival_time"),
    )
    .expect("break the rule");
    let out = common::run(dir.path(), &["definitions", "check", broken.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains(&format!("rules.toml:{line}: ")),
        "expected rules.toml:{line} in:\n{stderr}"
    );
    assert!(stderr.contains("onset_tme"), "{stderr}");

    let codebook = common::ok(dir.path(), &["definitions", "codebook", stroke.to_str().expect("path")]);
    assert!(
        codebook.lines().count() > 50 && codebook.contains("nihss_admission"),
        "{codebook}"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}
