//! Research extracts over the web, through the real server: the researcher sees and
//! downloads only their own projects (CSV, codebook, XLSX), another's project answers 404
//! like an unknown one, no one signed in is sent to sign in, a register admin downloads
//! their register's projects, a k-anonymity refusal is shown naming the combination, and
//! every download is audited.

use jiff::civil::date;
use kvalreg_app::research::NewProject;
use kvalreg_store::DateHandling;
use kvalreg_web::WebOptions;

use crate::documents;
use crate::server::TestServer;

fn project(id: &str, researcher: &str, variables: &[&str]) -> NewProject {
    NewProject {
        id: id.into(),
        register: "stroke".into(),
        researcher: researcher.into(),
        variables: variables.iter().map(|v| v.to_string()).collect(),
        period_from: date(2024, 1, 1),
        period_to: date(2024, 12, 31),
        approval: "REK 2026/777".into(),
        date_handling: DateHandling::Month,
        age_bands: true,
    }
}

#[test]
fn a_researcher_downloads_only_their_own_projects() {
    let server = TestServer::sqlite(WebOptions::default());
    // Six persons: five at one hospital, one alone at another.
    for (seq, hospital) in [
        (110, "UNN-TRO"),
        (120, "UNN-TRO"),
        (130, "UNN-TRO"),
        (140, "UNN-TRO"),
        (150, "UNN-TRO"),
        (160, "FIN-HAM"),
    ] {
        let mut doc = documents::complete(seq, hospital, "2024-03-10");
        doc["status"] = "complete".into();
        server
            .post("/api/v1/registers/stroke/registrations")
            .json(&doc)
            .send()
            .expect(201);
    }
    server.add_user("forsker", &["researcher"]);
    server.add_user("annen", &["researcher"]);
    server.add_user("admin", &["register_admin:stroke"]);
    let (runtime, platform) = server.operator();
    for new in [
        project("P-OWN", "forsker", &["nihss_admission"]),
        project("P-RARE", "forsker", &["hospital"]),
        project("P-OTHER", "annen", &["nihss_admission"]),
    ] {
        runtime
            .block_on(platform.add_research_project(new, "admin"))
            .expect("project");
    }
    let forsker = server.sign_in("forsker");

    let page = server.get("/research").session(&forsker).send();
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("id=\"project-P-OWN\"") && page.text.contains("REK 2026/777"));
    assert!(!page.text.contains("P-OTHER"), "{}", page.text);
    for file in ["codebook.csv", "extract.csv", "extract.xlsx", "extract.parquet"] {
        assert!(
            page.text.contains(&format!("href=\"/research/P-OWN/{file}\"")),
            "{file}: {}",
            page.text
        );
    }

    let csv = server.get("/research/P-OWN/extract.csv").session(&forsker).send();
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(
        csv.header("content-disposition")
            .is_some_and(|d| d.contains("P-OWN-extract.csv"))
    );
    let mut lines = csv.text.lines();
    assert_eq!(lines.next(), Some("pseudonym,age_band,nihss_admission"));
    assert_eq!(lines.filter(|row| row.ends_with(",4")).count(), 6, "{}", csv.text);
    let codebook = server.get("/research/P-OWN/codebook.csv").session(&forsker).send();
    assert_eq!(codebook.status, 200);
    assert!(codebook.text.starts_with("variable,"), "{}", codebook.text);
    let (status, xlsx) = server
        .get("/research/P-OWN/extract.xlsx")
        .session(&forsker)
        .send_bytes();
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK"), "an XLSX (zip) file");
    let (status, parquet) = server
        .get("/research/P-OWN/extract.parquet")
        .session(&forsker)
        .send_bytes();
    assert_eq!(status, 200);
    assert!(
        parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"),
        "a Parquet file"
    );

    // Another's project and an unknown one answer alike; so does an unknown file.
    for path in [
        "/research/P-OTHER/extract.csv",
        "/research/P-NONE/extract.csv",
        "/research/P-OWN/extract.pdf",
    ] {
        assert_eq!(server.get(path).session(&forsker).send().status, 404, "{path}");
    }
    // No one signed in: sent to sign in.
    let anonymous = server.get("/research/P-OWN/extract.csv").anonymous().send();
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.header("location").is_some_and(|l| l.starts_with("/signin")));
    // A registrar is no researcher.
    let registrar = server.token("ward", "registrar:stroke:UNN-TRO");
    assert_eq!(server.get("/research").bearer(&registrar).send().status, 403);

    // One person alone at a hospital: refused on the page, naming the combination.
    let refused = server.get("/research/P-RARE/extract.csv").session(&forsker).send();
    assert_eq!(refused.status, 422, "{}", refused.text);
    let message = crate::server::between(&refused.text, "id=\"research-refusal\">", "</p>");
    assert!(
        message.contains("k-anonymitet")
            && message.contains("hospital=FIN-HAM: 1 person")
            && message.contains("ingenting ble skrevet"),
        "{message}"
    );

    // The register admin downloads any project of the register.
    let admin = server.sign_in("admin");
    assert_eq!(
        server
            .get("/research/P-OTHER/extract.csv")
            .session(&admin)
            .send()
            .status,
        200
    );

    let downloads: Vec<_> = server
        .audit_entries()
        .into_iter()
        .filter(|e| e.action == "research.extract")
        .collect();
    let details: Vec<(&str, &str)> = downloads
        .iter()
        .map(|e| (e.actor.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(downloads.len(), 5, "{details:?}");
    assert_eq!(downloads[0].actor, "forsker");
    let first: serde_json::Value = serde_json::from_str(&downloads[0].detail).expect("detail");
    assert_eq!(
        (&first["project"], &first["rows"], &first["format"], &first["via"]),
        (&"P-OWN".into(), &6.into(), &"csv".into(), &"web".into())
    );
    assert!(downloads[2].detail.contains("\"format\":\"xlsx\""), "{details:?}");
    assert!(downloads[3].detail.contains("\"format\":\"parquet\""), "{details:?}");
    assert_eq!(downloads[4].actor, "admin");
}
