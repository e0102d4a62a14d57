//! `kvalreg import` and `export` on the real binary: one bad line among 10,000 good ones
//! writes nothing and is named; export → import → export is byte-identical.

mod common;

use std::time::Instant;

use kvalreg_store::Status;
use serde_json::json;

/// 10,000 valid registrations with one bad one (NIHSS 99) placed after the first 6,000.
fn ten_thousand_and_one_bad() -> Vec<(serde_json::Map<String, serde_json::Value>, Status)> {
    let mut set = common::synthetic_set(42, 77);
    set.truncate(10_000);
    assert_eq!(set.len(), 10_000);
    let mut bad = set[0].0.clone();
    bad.insert("nihss_admission".into(), json!(99));
    set.insert(6_000, (bad, Status::Complete));
    set
}

/// Whether an onset or imaging time is written as a date alone (clock unknown).
fn has_date_only_time(format: &str, text: &str) -> bool {
    let times = ["onset_time", "imaging_time"];
    let date_only = |value: &str| value.len() == 10 && value.as_bytes()[4] == b'-';
    if format == "csv" {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        let columns: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| times.contains(h))
            .map(|(i, _)| i)
            .collect();
        reader.records().any(|row| {
            let row = row.expect("row");
            columns.iter().any(|&i| row.get(i).is_some_and(date_only))
        })
    } else {
        text.lines().any(|line| {
            let doc: serde_json::Value = serde_json::from_str(line).expect("json line");
            times.iter().any(|t| doc[*t].as_str().is_some_and(date_only))
        })
    }
}

async fn refused_import_writes_nothing(file_name: &str, text: String, bad_line: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    std::fs::write(root.join(file_name), text).expect("write import file");

    let started = Instant::now();
    let out = common::run(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", file_name],
    );
    let took = started.elapsed();
    eprintln!("import of 10,001 lines ({file_name}) refused in {took:.1?}");

    let stderr = common::stderr(&out);
    assert!(!out.status.success(), "the import must fail:\n{stderr}");
    let expected = format!("line {bad_line}: nihss_admission: hard_range: ");
    assert!(stderr.contains(&expected), "expected `{expected}` in:\n{stderr}");
    assert_eq!(
        stderr.matches("line ").count(),
        1,
        "only the bad line is reported:\n{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        common::stored_count(&root.join("data")).await,
        0,
        "nothing may be written"
    );
}

#[tokio::test]
async fn ndjson_import_with_one_bad_line_among_10000_writes_nothing() {
    let text: String = ten_thousand_and_one_bad()
        .iter()
        .map(|(doc, status)| common::ndjson_line(doc, *status) + "\n")
        .collect();
    refused_import_writes_nothing("registrations.ndjson", text, 6_001).await;
}

#[tokio::test]
async fn csv_import_with_one_bad_line_among_10000_writes_nothing() {
    // The header is line 1, so the 6,001st registration is on line 6,002.
    refused_import_writes_nothing(
        "registrations.csv",
        common::csv_text(&ten_thousand_and_one_bad()),
        6_002,
    )
    .await;
}

#[tokio::test]
async fn export_import_export_is_byte_identical_in_both_formats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let set = common::synthetic_set(2, 2024);
    assert!((300..1_000).contains(&set.len()), "{}", set.len());
    let text: String = set
        .iter()
        .map(|(doc, status)| common::ndjson_line(doc, *status) + "\n")
        .collect();
    std::fs::write(root.join("source.ndjson"), text).expect("write");
    common::ok(root, &["--data-dir", "a", "init"]);
    let imported = common::ok(
        root,
        &["--data-dir", "a", "import", "--register", "stroke", "source.ndjson"],
    );
    assert!(
        imported.contains(&format!("imported {} registrations", set.len())),
        "{imported}"
    );

    for format in ["ndjson", "csv"] {
        let first = common::ok(
            root,
            &["--data-dir", "a", "export", "--register", "stroke", "--format", format],
        );
        assert_eq!(first.lines().count(), set.len() + usize::from(format == "csv"));
        assert!(first.contains("draft"), "drafts are exported");
        assert!(
            first.lines().any(|l| l.contains("unknown")),
            "unknown NIHSS is exported"
        );
        assert!(
            has_date_only_time(format, &first),
            "a datetime with unknown clock time (date only) is exported"
        );

        let file = format!("first.{format}");
        common::ok(
            root,
            &[
                "--data-dir",
                "a",
                "export",
                "--register",
                "stroke",
                "--format",
                format,
                "--output",
                &file,
            ],
        );
        assert_eq!(
            std::fs::read_to_string(root.join(&file)).expect("read"),
            first,
            "--output writes the same as stdout"
        );

        let fresh = format!("fresh-{format}");
        common::ok(root, &["--data-dir", &fresh, "init"]);
        common::ok(root, &["--data-dir", &fresh, "import", "--register", "stroke", &file]);
        let second = common::ok(
            root,
            &[
                "--data-dir",
                &fresh,
                "export",
                "--register",
                "stroke",
                "--format",
                format,
            ],
        );
        assert!(
            first == second,
            "{format}: export → import → export is not byte-identical"
        );
    }
}

#[tokio::test]
async fn parquet_export_reads_back_in_pyarrow_with_typed_columns_and_nulls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let set = common::synthetic_set(2, 2024);
    let text: String = set
        .iter()
        .map(|(doc, status)| common::ndjson_line(doc, *status) + "\n")
        .collect();
    std::fs::write(root.join("source.ndjson"), text).expect("write");
    common::ok(root, &["--data-dir", "a", "init"]);
    common::ok(
        root,
        &["--data-dir", "a", "import", "--register", "stroke", "source.ndjson"],
    );

    let to_stdout = common::run(
        root,
        &[
            "--data-dir",
            "a",
            "export",
            "--register",
            "stroke",
            "--format",
            "parquet",
        ],
    );
    let stderr = common::stderr(&to_stdout);
    assert!(!to_stdout.status.success(), "Parquet to stdout must be refused");
    assert!(stderr.contains("--format parquet needs --output FILE"), "{stderr}");

    for (format, file) in [("parquet", "export.parquet"), ("csv", "export.csv")] {
        common::ok(
            root,
            &[
                "--data-dir",
                "a",
                "export",
                "--register",
                "stroke",
                "--format",
                format,
                "--output",
                file,
            ],
        );
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/tests/parquet_vs_csv.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(root.join("export.parquet"))
        .arg(root.join("export.csv"))
        .output()
        .expect("python3 is needed for the Parquet check (with pyarrow: python3 -m pip install pyarrow)");
    assert!(
        output.status.success(),
        "pyarrow could not read the export: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).expect("pyarrow output");
    let header: Vec<String> = csv::Reader::from_path(root.join("export.csv"))
        .expect("open the CSV export")
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(seen["names"], json!(header), "the CSV's columns in the CSV's order");
    assert_eq!(seen["rows"], json!(set.len()));
    assert_eq!(seen["csv_rows"], json!(set.len()));
    assert_eq!(seen["differences"], json!([]), "the Parquet cells are the CSV cells");
    for (column, arrow_type) in [
        ("status", "string"),
        ("national_id", "string"),
        ("hospital", "string"),
        ("arrival_time", "string"),
        ("nihss_admission", "string"),
        ("mrs_discharge", "int64"),
        ("ivt", "bool"),
        ("discharge_date", "date32[day]"),
        ("fu_date", "date32[day]"),
    ] {
        assert_eq!(seen["types"][column], json!(arrow_type), "type of {column}: {seen}");
    }
    assert_eq!(seen["nulls"]["status"], json!(0));
    assert!(
        seen["nulls"]["fu_date"].as_u64().expect("count") > 0,
        "registrations without a follow-up have null dates: {seen}"
    );
}
