//! The start page, the health check, the API index and the codebook.

use std::path::Path;

use kvalreg_web::WebOptions;

use crate::documents;
use crate::server::{TestServer, stroke_dir};

#[test]
fn start_page_shows_registers_counts_and_demo_banner() {
    let server = TestServer::sqlite(WebOptions {
        demo: true,
        ..WebOptions::default()
    });
    let doc = documents::draft(40, "UNN-TRO", "2024-03-10");
    server
        .post("/api/v1/registers/stroke/registrations")
        .json(&doc)
        .send()
        .expect(201);
    server
        .post("/api/v1/registers/stroke/registrations")
        .json(&documents::draft(41, "UNN-TRO", "2024-03-11"))
        .send()
        .expect(201);

    let page = server.get("/").send();
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    assert!(page.text.contains("<html lang=\"en\">"), "{}", page.text);
    assert!(page.text.contains("DEMO – synthetic data / syntetiske data"));
    assert!(page.text.contains("Stroke register"));
    assert!(
        page.text
            .contains("<td class=\"number\">2</td><td class=\"number\">0</td><td class=\"number\">0</td>"),
        "{}",
        page.text
    );
    let hospitals = server.get("/api/v1/hospitals").send().expect(200)["total"]
        .as_u64()
        .expect("total");
    assert!(page.text.contains(&format!("<strong>{hospitals}</strong>")));
    assert!(page.text.contains("href=\"/api/v1\""));
    assert!(page.text.contains("href=\"/api/v1/registers/stroke/codebook.csv\""));

    let norwegian = server.get("/").nb().send();
    assert!(norwegian.text.contains("<html lang=\"nb\">"));
    assert!(norwegian.text.contains("Hjerneslagregisteret"));

    let plain = TestServer::sqlite(WebOptions::default());
    let page = plain.get("/").send();
    assert_eq!(page.status, 200);
    assert!(!page.text.contains("DEMO"), "no banner without demo data");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn start_page_escapes_text_from_definitions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let register = dir.path().join("stroke");
    copy_dir(&stroke_dir(), &register);
    let file = register.join("register.toml");
    let text = std::fs::read_to_string(&file).expect("register.toml");
    let title_line = text
        .lines()
        .find(|l| l.starts_with("title"))
        .expect("title line")
        .to_owned();
    let marked = r#"title = { nb = "Slag <script>alert('nb')</script>", en = "Stroke <b>bold</b> & \"quoted\"" }"#;
    std::fs::write(&file, text.replace(&title_line, marked)).expect("write register.toml");

    let server = TestServer::sqlite_with_register(
        &register,
        WebOptions {
            demo: true,
            ..WebOptions::default()
        },
    );
    let page = server.get("/").send();
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text
            .contains("Stroke &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<b>bold</b>"));
    let norwegian = server.get("/").nb().send();
    assert!(
        norwegian
            .text
            .contains("Slag &lt;script&gt;alert(&#39;nb&#39;)&lt;/script&gt;"),
        "{}",
        norwegian.text
    );
    assert!(!norwegian.text.contains("<script>"));
}

#[test]
fn health_index_codebook_and_static_files() {
    let server = TestServer::sqlite(WebOptions::default());
    let health = server.get("/healthz").send();
    assert_eq!((health.status, health.text.as_str()), (200, "ok"));

    let index = server.get("/api/v1").send().expect(200);
    assert_eq!(index["name"], "kvalreg");
    assert_eq!(index["registers"][0]["id"], "stroke");
    assert_eq!(index["registers"][0]["title"]["nb"], "Hjerneslagregisteret");
    assert_eq!(index["links"]["hospitals"], "/api/v1/hospitals");
    let registers = server.get("/api/v1/registers").send().expect(200);
    assert_eq!(
        registers["items"][0]["links"]["codebook"],
        "/api/v1/registers/stroke/codebook.csv"
    );

    let codebook = server.get("/api/v1/registers/stroke/codebook.csv").send();
    assert_eq!(codebook.status, 200);
    assert!(
        codebook
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/csv"))
    );
    assert!(
        codebook.text.starts_with("variable,form,"),
        "{}",
        &codebook.text[..codebook.text.len().min(200)]
    );
    assert!(codebook.text.lines().any(|l| l.starts_with("nihss_admission,")));

    let css = server.get("/static/style.css").send();
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").is_some_and(|c| c.starts_with("text/css")));
    assert_eq!(server.get("/static/missing.js").send().status, 404);
    let missing = server.get("/no-such-page").send();
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("<html lang=\"en\">"));
}
