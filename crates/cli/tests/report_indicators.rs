//! `kvalreg report indicators` on the real binary over a small imported data set: the JSON
//! shape of issue 4 and figures counted by hand from the imported lines; the API of
//! `kvalreg serve` gives the same results, and sees an import made by another process
//! within a second.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kvalreg_store::Status;
use serde_json::{Map, Value as Json};

const AS_OF: &str = "2026-06-30";
const HOSPITAL: &str = "UNN-TRO";
const TRUST_PARTNER: &str = "UNN-HAR";
const TRUST: &str = "Universitetssykehuset Nord-Norge HF";

/// Kills the server when the test ends, also when it fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Synthetic registrations of the two UNN hospitals (one health trust), drafts included.
fn unn_registrations(seed: u64) -> Vec<(Map<String, Json>, Status)> {
    common::synthetic_set(12, seed)
        .into_iter()
        .filter(|(doc, _)| [HOSPITAL, TRUST_PARTNER].iter().any(|h| doc["hospital"] == *h))
        .collect()
}

fn import(root: &std::path::Path, name: &str, set: &[(Map<String, Json>, Status)]) {
    let lines: Vec<String> = set
        .iter()
        .map(|(doc, status)| common::ndjson_line(doc, *status))
        .collect();
    std::fs::write(root.join(name), lines.join("\n") + "\n").expect("write import file");
    common::ok(root, &["--data-dir", "data", "import", "--register", "stroke", name]);
}

/// ivt_rate counted by hand: complete and locked cerebral infarctions (I63) of the given
/// hospitals arriving in `year` (the arrival time is written in Oslo time, so its first
/// four characters are the Oslo year), and how many of them had thrombolysis.
fn ivt_by_hand(set: &[(Map<String, Json>, Status)], hospitals: &[&str], year: &str) -> (u64, u64) {
    let counted = set.iter().filter(|(doc, status)| {
        *status != Status::Draft
            && hospitals.iter().any(|h| doc["hospital"] == *h)
            && doc["diagnosis"] == "I63"
            && doc["arrival_time"].as_str().is_some_and(|t| t.starts_with(year))
    });
    let (mut denominator, mut numerator) = (0, 0);
    for (doc, _) in counted {
        denominator += 1;
        if doc.get("ivt") == Some(&Json::Bool(true)) {
            numerator += 1;
        }
    }
    (numerator, denominator)
}

fn find<'a>(report: &'a Json, indicator: &str, level: &str, unit: &str, period: &str) -> Option<&'a Json> {
    report["results"].as_array().expect("results").iter().find(|r| {
        r["indicator"] == indicator && r["level_of_unit"] == level && r["unit"] == unit && r["period"] == period
    })
}

/// The figures of one ivt_rate line equal the hand count (value hidden below 5).
fn assert_ivt(report: &Json, level: &str, unit: &str, year: &str, (numerator, denominator): (u64, u64)) {
    let line = find(report, "ivt_rate", level, unit, year);
    if denominator == 0 {
        assert!(line.is_none(), "no line without registrations: {line:?}");
        return;
    }
    let line = line.unwrap_or_else(|| panic!("ivt_rate {level} {unit} {year} missing"));
    assert_eq!(line["denominator"], denominator, "{line}");
    if denominator < 5 {
        assert_eq!(line["low_n"], true, "{line}");
        assert!(line["numerator"].is_null() && line["value"].is_null(), "{line}");
    } else {
        assert_eq!(line["low_n"], false, "{line}");
        assert_eq!(line["numerator"], numerator, "{line}");
        let value = line["value"].as_f64().expect("value");
        assert!((value - numerator as f64 / denominator as f64).abs() < 1e-12, "{line}");
        let (low, high) = (
            line["ci_low"].as_f64().expect("ci_low"),
            line["ci_high"].as_f64().expect("ci_high"),
        );
        assert!(low <= value && value <= high && low >= 0.0 && high <= 1.0, "{line}");
        let level = line["level"].as_str().expect("level");
        let expected = if value >= 0.20 {
            "green"
        } else if value >= 0.15 {
            "yellow"
        } else {
            "red"
        };
        assert_eq!(level, expected, "{line}");
    }
}

#[test]
fn report_indicators_prints_the_issue_json_with_hand_counted_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set = unn_registrations(4242);
    assert!(
        set.iter().any(|(_, s)| *s == Status::Draft),
        "the set has drafts, which must not count"
    );
    import(root, "unn.ndjson", &set);

    let text = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "indicators",
            "--register",
            "stroke",
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ],
    );
    let report: Json = serde_json::from_str(&text).expect("JSON");
    let keys: BTreeSet<&str> = report.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["register", "as_of", "results"]));
    assert_eq!(report["register"], "stroke");
    assert_eq!(report["as_of"], AS_OF);
    let line_keys = BTreeSet::from([
        "indicator",
        "level_of_unit",
        "unit",
        "period",
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "q1",
        "q3",
        "level",
        "low_n",
    ]);
    let results = report["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for line in results {
        let keys: BTreeSet<&str> = line.as_object().expect("line").keys().map(String::as_str).collect();
        assert_eq!(keys, line_keys, "{line}");
        assert!(["hospital", "trust", "region", "nation"].contains(&line["level_of_unit"].as_str().unwrap_or("")));
    }

    for year in ["2022", "2023", "2024", "2025", "2026"] {
        assert_ivt(
            &report,
            "hospital",
            HOSPITAL,
            year,
            ivt_by_hand(&set, &[HOSPITAL], year),
        );
        let both = ivt_by_hand(&set, &[HOSPITAL, TRUST_PARTNER], year);
        assert_ivt(&report, "trust", TRUST, year, both);
        assert_ivt(&report, "nation", "Norge", year, both);
    }
    // `age` comes from the national id, which is stored encrypted: the statin indicator
    // (I63, aged 80 or younger) only counts anyone if the id was decrypted on reading.
    let statin = find(&report, "statin", "nation", "Norge", "2024").expect("statin 2024");
    let (_, infarctions) = ivt_by_hand(&set, &[HOSPITAL, TRUST_PARTNER], "2024");
    let counted = statin["denominator"].as_u64().expect("denominator");
    assert!(counted > 0 && counted <= infarctions, "{statin}");

    let quarters = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "indicators",
            "--register",
            "stroke",
            "--as-of",
            AS_OF,
            "--period",
            "quarter",
        ],
    );
    let quarters: Json = serde_json::from_str(&quarters).expect("JSON");
    let periods: BTreeSet<&str> = quarters["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["period"].as_str())
        .collect();
    assert!(
        periods.contains("2024-Q1") && periods.contains("2026-Q2"),
        "{periods:?}"
    );
    assert!(
        !periods.contains("2026-Q3"),
        "nothing after the report date: {periods:?}"
    );

    let out = common::run(
        root,
        &["--data-dir", "data", "report", "indicators", "--register", "nope"],
    );
    assert!(!out.status.success());
    assert!(common::stderr(&out).contains("nope"), "{}", common::stderr(&out));
    let out = common::run(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "indicators",
            "--register",
            "stroke",
            "--as-of",
            "2026-02-30",
        ],
    );
    assert!(!out.status.success(), "an impossible date is refused");
}

#[test]
fn the_api_serves_the_cli_results_and_follows_another_process_within_a_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set = unn_registrations(99);
    let (first, later) = set.split_at(set.len() - 40);
    import(root, "first.ndjson", first);
    let cli = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "indicators",
            "--register",
            "stroke",
            "--as-of",
            AS_OF,
        ],
    );
    let cli: Json = serde_json::from_str(&cli).expect("JSON");
    // The quality lead's system reads the indicators with a unit lead's token.
    let token = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "token",
            "add",
            "dashboard",
            "--grant",
            "unit_lead:stroke:UNN-TRO",
        ],
    );
    let bearer = format!("Bearer {}", token.trim());

    let mut child = common::kvalreg(root)
        .args(["--data-dir", "data", "serve", "--listen", "127.0.0.1:0"])
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
        .recv_timeout(Duration::from_secs(120))
        .expect("the server prints its address");
    if line.is_empty() {
        let mut log = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut log);
        panic!("the server stopped before listening:\n{log}");
    }
    let url = line
        .trim()
        .strip_prefix("kvalreg listening on ")
        .expect("the listening line")
        .to_string();
    let endpoint = format!("{url}api/v1/registers/stroke/indicators?as_of={AS_OF}");
    let get = |url: &str| -> Json {
        let mut response = ureq::get(url)
            .header("Authorization", &bearer)
            .call()
            .expect("GET indicators");
        assert_eq!(response.status(), 200);
        response.body_mut().read_json().expect("JSON body")
    };
    assert_eq!(get(&endpoint), cli, "the API and the CLI give the same results");

    // Another process (kvalreg import) writes; the server's follower counts it within a second.
    let year_of_later = "2026";
    let before = ivt_by_hand(first, &[HOSPITAL, TRUST_PARTNER], year_of_later);
    let after = ivt_by_hand(&set, &[HOSPITAL, TRUST_PARTNER], year_of_later);
    assert!(
        after.1 > before.1,
        "the later lines add 2026 infarctions: {before:?} → {after:?}"
    );
    import(root, "later.ndjson", later);
    let written = Instant::now();
    loop {
        let report = get(&endpoint);
        let counted = find(&report, "ivt_rate", "nation", "Norge", year_of_later).map(|l| l["denominator"].clone());
        if counted == Some(Json::from(after.1)) {
            eprintln!("the import was counted by the server after {:?}", written.elapsed());
            assert_ivt(&report, "trust", TRUST, year_of_later, after);
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "the server still counts {counted:?} a second after the import, not {}",
            after.1
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut refused = ureq::get(&format!(
        "{url}api/v1/registers/stroke/indicators?period=week&as_of=2026-02-30"
    ))
    .header("Authorization", &bearer)
    .config()
    .http_status_as_error(false)
    .build()
    .call()
    .expect("GET with bad parameters");
    assert_eq!(refused.status(), 400);
    let problem: Json = refused.body_mut().read_json().expect("problem JSON");
    assert_eq!(problem["type"], "/problems/bad-request", "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["period", "as_of"], "{problem}");
}
