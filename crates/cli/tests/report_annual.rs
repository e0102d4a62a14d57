//! `kvalreg report annual` on the real binary over imported synthetic registrations (never
//! real persons): the HTML names every indicator, the PDF opens in poppler (`pdftotext`,
//! `pdftoppm`, `pdfinfo` from the Debian package poppler-utils), its text keeps the
//! Norwegian letters, and every page renders with visible content. A year without
//! registrations still gives a valid report that says so, an unknown register is refused,
//! and a patient-register file fills the coverage section.

mod common;

use std::path::Path;
use std::process::Command;

use kvalreg_store::Status;
use serde_json::{Map, Value as Json};

const YEAR: &str = "2025";

/// Runs a poppler tool, failing with what to install when it is missing.
fn poppler(tool: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}): install poppler-utils (Debian: apt-get install -y poppler-utils)")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn import(root: &Path, set: &[(Map<String, Json>, Status)]) {
    let lines: Vec<String> = set
        .iter()
        .map(|(doc, status)| common::ndjson_line(doc, *status))
        .collect();
    std::fs::write(root.join("set.ndjson"), lines.join("\n") + "\n").expect("write import file");
    common::ok(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", "set.ndjson"],
    );
}

fn annual(root: &Path, year: &str, out: &str, more: &[&str]) -> String {
    let mut args = vec![
        "--data-dir",
        "data",
        "report",
        "annual",
        "--register",
        "stroke",
        "--year",
        year,
        "--out",
        out,
    ];
    args.extend_from_slice(more);
    common::ok(root, &args)
}

/// The number of pages pdfinfo reports.
fn pages(pdf: &Path) -> usize {
    let info = poppler("pdfinfo", &[pdf.to_str().expect("path")]);
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

/// Shares of dark pixels per page of a grey-scale PGM (P5) rendering.
fn dark_share(pgm: &[u8]) -> f64 {
    // Header: "P5", width, height, maxval, each separated by white space, then one byte
    // per pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5", "a binary PGM");
    let width: usize = fields[1].parse().expect("width");
    let height: usize = fields[2].parse().expect("height");
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), width * height, "one byte per pixel");
    pixels.iter().filter(|&&p| p < 160).count() as f64 / pixels.len() as f64
}

/// Renders every page as PNG (one file per page) and as grey PGM, and checks each page has
/// visible content beyond the footer.
fn assert_renders(pdf: &Path, dir: &Path) -> usize {
    let count = pages(pdf);
    assert!(count >= 1);
    let png_root = dir.join("page");
    poppler(
        "pdftoppm",
        &["-r", "50", "-png", pdf.to_str().unwrap(), png_root.to_str().unwrap()],
    );
    let mut pngs: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "png")
                && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("page"))
        })
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), count, "one PNG per page: {pngs:?}");
    for png in &pngs {
        let bytes = std::fs::read(png).expect("read png");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is a PNG", png.display());
    }
    let pgm_root = dir.join("grey");
    poppler(
        "pdftoppm",
        &["-r", "50", "-gray", pdf.to_str().unwrap(), pgm_root.to_str().unwrap()],
    );
    let mut pgms: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pgm"))
        .collect();
    pgms.sort();
    assert_eq!(pgms.len(), count);
    for (i, pgm) in pgms.iter().enumerate() {
        let share = dark_share(&std::fs::read(pgm).expect("read pgm"));
        // The footer alone is well under 0.2 % of an A4 page at 50 dpi.
        assert!(share > 0.003, "page {} is nearly blank ({share:.4} dark)", i + 1);
    }
    count
}

fn pdf_text(pdf: &Path) -> String {
    let out = poppler("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

#[test]
fn annual_report_writes_pdf_and_html_with_every_indicator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set = common::synthetic_set(8, 20_250_101);
    import(root, &set);

    let printed = annual(root, YEAR, "out", &[]);
    let pdf = root.join("out/stroke-annual-2025.pdf");
    let html_path = root.join("out/stroke-annual-2025.html");
    assert!(printed.contains("stroke-annual-2025.pdf") && printed.contains("stroke-annual-2025.html"));

    // Every indicator's title (from registers/stroke/indicators.toml) is in the HTML.
    let register = kvalreg_app::load_register_dir(&common::registers_dir().join("stroke")).expect("stroke loads");
    assert!(register.indicators.len() >= 18);
    let html = std::fs::read_to_string(&html_path).expect("read html");
    let escaped = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    for indicator in &register.indicators {
        assert!(
            html.contains(&escaped(&indicator.title.nb)),
            "the HTML lacks the title of {}: {}",
            indicator.id,
            indicator.title.nb
        );
        assert!(html.contains(&format!("id=\"bars-{}\"", indicator.id)) || html.contains("Ingen sykehus"));
    }
    for section in [
        "Sammendrag",
        "Om registeret",
        "Resultater per kvalitetsindikator",
        "Dekningsgrad og kompletthet",
        "Datakvalitet",
    ] {
        assert!(html.contains(section), "section {section}");
    }
    assert!(html.contains("<svg") && html.contains("band-green") && html.contains("class=\"whisker\""));
    assert!(
        html.contains("ingen liste over innleggelser"),
        "coverage says none was imported"
    );

    // The year's registrations as the summary counts them, by hand from the imported set.
    let in_year = set
        .iter()
        .filter(|(doc, _)| doc["arrival_time"].as_str().is_some_and(|t| t.starts_with(YEAR)))
        .count();
    assert!(in_year > 100, "the synthetic set has data in {YEAR}");
    assert!(
        html.contains(&format!(
            "<th scope=\"row\">Registreringer</th><td class=\"n\">{in_year}</td>"
        )),
        "key figures count {in_year} registrations"
    );

    let text = pdf_text(&pdf);
    for word in [
        "Årsrapport",
        "Hjerneslagregisteret",
        "sykehus",
        "Dekningsgrad",
        "Datakvalitet",
        "måloppnåelse",
        "Side 1 av",
    ] {
        assert!(text.contains(word), "the PDF text lacks «{word}»:\n{text}");
    }
    for indicator in &register.indicators {
        // pdftotext may break a long heading over two lines; its first word is on one.
        let first_words: String = indicator.title.nb.split(' ').take(2).collect::<Vec<_>>().join(" ");
        assert!(text.contains(&first_words), "the PDF lacks {}", indicator.title.nb);
    }
    assert!(text.contains("lav N") || text.contains("95 % KI"));
    let renders = root.join("render");
    std::fs::create_dir(&renders).expect("mkdir");
    let count = assert_renders(&pdf, &renders);
    assert!(count > 5, "18 indicators with figures take several pages, got {count}");
    assert!(text.contains(&format!("Side {count} av {count}")));
}

#[test]
fn a_year_without_registrations_says_so_and_a_wrong_register_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    // The default folder is the current one.
    common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "annual",
            "--register",
            "stroke",
            "--year",
            "2019",
        ],
    );
    let pdf = root.join("stroke-annual-2019.pdf");
    let html = std::fs::read_to_string(root.join("stroke-annual-2019.html")).expect("html");
    assert!(html.contains("ingen registreringer"), "{html}");
    let text = pdf_text(&pdf);
    assert!(text.contains("ingen registreringer"), "{text}");
    let renders = root.join("render");
    std::fs::create_dir(&renders).expect("mkdir");
    assert_renders(&pdf, &renders);

    let out = common::run(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "annual",
            "--register",
            "nope",
            "--year",
            "2025",
        ],
    );
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains("no register called `nope`") && err.contains("stroke"),
        "{err}"
    );
}

#[test]
fn a_patient_register_file_fills_the_coverage_section() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set: Vec<_> = common::synthetic_set(8, 77)
        .into_iter()
        .filter(|(doc, _)| doc["hospital"] == "UNN-TRO" || doc["hospital"] == "UNN-HAR")
        .collect();
    import(root, &set);
    // Every counted 2025 registration of UNN-TRO is in the patient register on its arrival
    // day: UNN-TRO's coverage is 100 %.
    let mut csv = String::from("national_id,hospital,admission_date\n");
    let mut admissions = 0;
    for (doc, status) in &set {
        let arrival = doc["arrival_time"].as_str().unwrap_or("");
        if *status != Status::Draft && doc["hospital"] == "UNN-TRO" && arrival.starts_with(YEAR) {
            if let Some(id) = doc.get("national_id").and_then(Json::as_str) {
                csv.push_str(&format!("{id},UNN-TRO,{}\n", &arrival[..10]));
                admissions += 1;
            }
        }
    }
    assert!(admissions > 0);
    std::fs::write(root.join("npr.csv"), csv).expect("write");
    annual(root, YEAR, "out", &["--patient-register", "npr.csv"]);
    let html = std::fs::read_to_string(root.join("out/stroke-annual-2025.html")).expect("html");
    assert!(!html.contains("ingen liste over innleggelser"));
    let coverage = &html[html.find("id=\"coverage\"").expect("coverage section")..];
    let row = coverage
        .lines()
        .find(|l| l.contains("(UNN-TRO)</th><td class=\"n\">"))
        .unwrap_or_else(|| panic!("a coverage row for UNN-TRO: {html}"));
    assert!(
        row.contains(&format!(
            "<td class=\"n\">{admissions}</td><td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">100,0 %</td>"
        )),
        "{row}"
    );
    let text = pdf_text(&root.join("out/stroke-annual-2025.pdf"));
    assert!(text.contains("Dekningsgraden mot Norsk pasientregister var"), "{text}");
}
