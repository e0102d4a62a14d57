//! Research extracts through the platform, on SQLite and PostgreSQL, with synthetic data:
//! pseudonyms are stable within a project and differ across projects, no national id leaves,
//! dates are coarsened or shifted, ages come in bands, a combination of quasi-identifiers
//! shared by fewer than 5 persons refuses the extract (naming it) and writes nothing, the
//! XLSX opens in openpyxl, the Parquet file reads back in pyarrow with typed columns and
//! nulls, and both steps are audited.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use jiff::civil::date;
use kvalreg_app::research::{ExtractFormat, NewProject};
use kvalreg_app::{AppError, ExportFormat, FileFormat, Platform, reference_hospitals, synthetic};
use kvalreg_core::identity::IdentityKeys;
use kvalreg_core::time::parse_moment;
use kvalreg_core::value::Moment;
use kvalreg_store::{AuditFilter, DateHandling, Filter, Grant, Role, Scope, Status};
use serde_json::{Map, Value as Json, json};

const STROKE: &str = "stroke";
const LONELY: &str = "FIN-HAM";

fn ndjson_line(doc: &Map<String, Json>, status: Status) -> String {
    let mut line = Map::new();
    line.insert("status".into(), json!(kvalreg_app::status_name(status)));
    line.extend(doc.clone());
    serde_json::to_string(&line).expect("json")
}

/// Synthetic registrations at four hospitals (2024–2025, many per hospital) and two
/// complete registrations of women at FIN-HAM, imported; returns every national id.
async fn load(platform: &Platform) -> Vec<String> {
    let hospitals: Vec<_> = reference_hospitals()
        .into_iter()
        .filter(|h| h.code != LONELY)
        .take(4)
        .collect();
    let mut set = synthetic::stroke_registrations_as_of(date(2026, 6, 30), &hospitals, 2024..=2025, 300, 7);
    let lonely: Vec<_> = synthetic::stroke_registrations_as_of(date(2026, 6, 30), &hospitals, 2024..=2025, 10, 99)
        .into_iter()
        .filter(|(doc, status)| {
            *status == Status::Complete
                && doc.get("sex") == Some(&json!("female"))
                && doc.get("ivt") == Some(&Json::Bool(false))
                && doc.get("evt") == Some(&Json::Bool(false))
                && !doc.contains_key("transferred_from")
        })
        .take(2)
        .map(|(mut doc, status)| {
            doc.insert("hospital".into(), json!(LONELY));
            (doc, status)
        })
        .collect();
    assert_eq!(lonely.len(), 2, "two plain complete registrations of women");
    set.extend(lonely);
    let text: Vec<String> = set.iter().map(|(doc, status)| ndjson_line(doc, *status)).collect();
    let input = text.join("\n").into_bytes();
    let mut input = input.as_slice();
    platform
        .import(STROKE, FileFormat::Ndjson, &mut input, "importer", &mut |_| {})
        .await
        .expect("import the synthetic registrations");
    set.iter()
        .filter_map(|(doc, _)| doc.get("national_id").and_then(Json::as_str).map(str::to_owned))
        .collect()
}

fn project(id: &str, variables: &[&str], dates: DateHandling, age_bands: bool) -> NewProject {
    NewProject {
        id: id.into(),
        register: STROKE.into(),
        researcher: "forsker".into(),
        variables: variables.iter().map(|v| v.to_string()).collect(),
        period_from: date(2024, 1, 1),
        period_to: date(2025, 12, 31),
        approval: "REK 2026/12345".into(),
        date_handling: dates,
        age_bands,
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("open CSV");
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    rows.iter().map(|r| r[i].clone()).collect()
}

/// Complete and locked registrations of the period, in creation order, as the extract reads them.
async fn originals(platform: &Platform) -> Vec<Map<String, Json>> {
    let filter = Filter {
        register: STROKE.into(),
        event_from: Some(date(2024, 1, 1)),
        event_to: Some(date(2025, 12, 31)),
        ..Filter::default()
    };
    let (views, _) = platform.list(&Scope::AllHospitals, &filter).await.expect("list");
    views
        .into_iter()
        .filter(|v| matches!(v.status, Status::Complete | Status::Locked))
        .map(|v| v.values)
        .collect()
}

fn assert_no_national_id(bytes: &[u8], ids: &[String], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for id in ids {
        assert!(!text.contains(id.as_str()), "{what} holds the national id {id}");
    }
}

async fn scenario(platform: &Platform, dir: &Path, key_file: &Path) {
    platform
        .add_user(
            "forsker",
            "a long synthetic password",
            &[Grant {
                role: Role::Researcher,
                register: None,
                hospital: None,
            }],
            "admin",
        )
        .await
        .expect("add the researcher");
    let ids = load(platform).await;
    export_in_every_format(platform, dir).await;

    // Refused projects name field and rule.
    let refused = |result: Result<_, AppError>| match result {
        Err(AppError::ProjectRefused(findings)) => findings.into_iter().map(|f| (f.field, f.rule)).collect::<Vec<_>>(),
        other => panic!("expected a refused project, got {other:?}"),
    };
    let national = platform
        .add_research_project(
            project("P-BAD", &["sex", "national_id"], DateHandling::Month, false),
            "admin",
        )
        .await;
    assert_eq!(
        refused(national),
        vec![("variables".to_string(), "national_id".to_string())]
    );
    let unknown = platform
        .add_research_project(
            project("P-BAD", &["sex", "shoe_size"], DateHandling::Month, false),
            "admin",
        )
        .await;
    assert_eq!(refused(unknown), vec![("variables".to_string(), "unknown".to_string())]);
    let mut stranger = project("P-BAD", &["sex"], DateHandling::Month, false);
    stranger.researcher = "nobody".into();
    assert_eq!(
        refused(platform.add_research_project(stranger, "admin").await),
        vec![("researcher".to_string(), "unknown".to_string())]
    );
    let mut elsewhere = project("P-BAD", &["sex"], DateHandling::Month, false);
    elsewhere.register = "knee".into();
    assert!(matches!(
        platform.add_research_project(elsewhere, "admin").await,
        Err(AppError::UnknownRegister(_))
    ));

    // Two projects with the same variables; month coarsening, age bands.
    let variables = [
        "sex",
        "age",
        "arrival_time",
        "discharge_date",
        "nihss_admission",
        "mrs_discharge",
    ];
    for id in ["P2026-01", "P2026-02"] {
        platform
            .add_research_project(project(id, &variables, DateHandling::Month, true), "admin")
            .await
            .expect("add the project");
    }
    let again = platform
        .add_research_project(project("P2026-01", &variables, DateHandling::Month, true), "admin")
        .await;
    assert!(again.is_err(), "a project id is used once");
    let listed: Vec<String> = platform
        .research_projects()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, vec!["P2026-01", "P2026-02"]);

    let first = platform
        .write_research_extract("P2026-01", ExtractFormat::Csv, &dir.join("a"), "admin")
        .await
        .expect("extract of P2026-01");
    let (header, rows) = read_csv(&first.extract);
    assert_eq!(
        header,
        vec![
            "pseudonym",
            "sex",
            "age_band",
            "arrival_time",
            "discharge_date",
            "nihss_admission",
            "mrs_discharge"
        ]
    );
    let originals = originals(platform).await;
    assert_eq!(
        rows.len(),
        originals.len(),
        "every complete and locked registration of the period"
    );
    assert!(rows.len() > 100);
    assert_eq!(first.rows, rows.len());
    let pseudonyms = column(&header, &rows, "pseudonym");
    assert!(
        pseudonyms
            .iter()
            .all(|p| p.len() == 16 && p.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    for cell in column(&header, &rows, "arrival_time")
        .iter()
        .chain(&column(&header, &rows, "discharge_date"))
    {
        assert!(
            cell.is_empty() || (cell.len() == 7 && cell.as_bytes()[4] == b'-'),
            "a date coarsened to YYYY-MM, not {cell}"
        );
    }
    for (cell, original) in column(&header, &rows, "arrival_time").iter().zip(&originals) {
        let arrival = original["arrival_time"].as_str().expect("arrival");
        assert!(arrival.starts_with(cell.as_str()), "{arrival} is in month {cell}");
    }
    let bands: BTreeSet<String> = column(&header, &rows, "age_band").into_iter().collect();
    let known = ["0-17", "18-49", "50-59", "60-69", "70-79", "80-89", "90+"];
    assert!(
        bands.iter().all(|b| known.contains(&b.as_str())),
        "age bands only: {bands:?}"
    );
    assert_no_national_id(&std::fs::read(&first.extract).expect("read"), &ids, "the CSV extract");
    let (codebook_header, codebook) = read_csv(&first.codebook);
    assert_eq!(
        codebook_header,
        vec!["variable", "label_nb", "label_en", "type", "codes"]
    );
    assert_eq!(column(&codebook_header, &codebook, "variable"), header);
    let types = column(&codebook_header, &codebook, "type");
    assert_eq!(types[3], "month (YYYY-MM)");
    assert!(codebook[1][4].contains("female=Female"), "sex codes: {:?}", codebook[1]);

    // Stable within a project, different across projects.
    let repeat = platform
        .write_research_extract("P2026-01", ExtractFormat::Csv, &dir.join("b"), "admin")
        .await
        .expect("second extract of P2026-01");
    let (_, repeat_rows) = read_csv(&repeat.extract);
    assert_eq!(
        column(&header, &repeat_rows, "pseudonym"),
        pseudonyms,
        "stable within a project"
    );
    let other = platform
        .write_research_extract("P2026-02", ExtractFormat::Csv, &dir.join("c"), "admin")
        .await
        .expect("extract of P2026-02");
    let (_, other_rows) = read_csv(&other.extract);
    let other_pseudonyms = column(&header, &other_rows, "pseudonym");
    assert_eq!(other_pseudonyms.len(), pseudonyms.len());
    let mine: BTreeSet<&String> = pseudonyms.iter().collect();
    assert!(
        other_pseudonyms.iter().all(|p| !mine.contains(p)),
        "different across projects"
    );
    // Same person, same pseudonym: persons map one to one between the projects.
    let pairs: BTreeMap<&String, &String> = pseudonyms.iter().zip(&other_pseudonyms).collect();
    assert_eq!(pairs.len(), mine.len());

    // Shifted dates: back 0..=30 days, the same for every date of one person.
    platform
        .add_research_project(
            project(
                "P2026-03",
                &["sex", "arrival_time", "discharge_date", "length_of_stay"],
                DateHandling::Shift,
                false,
            ),
            "admin",
        )
        .await
        .expect("add the shift project");
    let shifted = platform
        .write_research_extract("P2026-03", ExtractFormat::Csv, &dir.join("d"), "admin")
        .await
        .expect("extract of P2026-03");
    let (shift_header, shift_rows) = read_csv(&shifted.extract);
    let arrivals = column(&shift_header, &shift_rows, "arrival_time");
    let discharges = column(&shift_header, &shift_rows, "discharge_date");
    let mut checked = 0;
    for (row, original) in originals.iter().enumerate() {
        let Some(Ok(Moment::At(before))) = original.get("arrival_time").and_then(Json::as_str).map(parse_moment) else {
            continue;
        };
        let Ok(Moment::At(after)) = parse_moment(&arrivals[row]) else {
            panic!("row {row}: the shifted arrival {} is not a time", arrivals[row]);
        };
        let hours = before.duration_since(after).as_hours();
        assert!(
            hours % 24 == 0 && (0..=720).contains(&hours),
            "row {row}: shifted by {hours} hours"
        );
        if let Some(discharge) = original.get("discharge_date").and_then(Json::as_str) {
            let before: jiff::civil::Date = discharge.parse().expect("date");
            let after: jiff::civil::Date = discharges[row].parse().expect("shifted date");
            assert_eq!(
                (before - after).get_days() as i64,
                hours / 24,
                "row {row}: one shift per person"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "shifted discharge dates checked: {checked}");
    assert!(
        column(&shift_header, &shift_rows, "length_of_stay")
            .iter()
            .any(|v| !v.is_empty())
    );

    // k-anonymity: two women at one hospital are too few; the refusal names them and writes nothing.
    platform
        .add_research_project(
            project(
                "P2026-04",
                &["sex", "hospital", "arrival_time"],
                DateHandling::Month,
                false,
            ),
            "admin",
        )
        .await
        .expect("add the hospital project");
    let refusal_dir = dir.join("refused");
    match platform
        .write_research_extract("P2026-04", ExtractFormat::Csv, &refusal_dir, "admin")
        .await
    {
        Err(AppError::ExtractRefused(reason)) => {
            assert!(
                reason.en.contains(&format!("sex=female, hospital={LONELY}: 2 persons")),
                "{reason:?}"
            );
            assert!(
                reason
                    .nb
                    .contains(&format!("sex=female, hospital={LONELY}: 2 personer")),
                "{reason:?}"
            );
        }
        other => panic!("expected a k-anonymity refusal, got {other:?}"),
    }
    assert!(!refusal_dir.exists(), "a refused extract writes nothing");

    // XLSX: a workbook openpyxl opens, with the same cells as the CSV.
    let workbook = platform
        .write_research_extract("P2026-01", ExtractFormat::Xlsx, &dir.join("x"), "admin")
        .await
        .expect("XLSX extract");
    let bytes = std::fs::read(&workbook.extract).expect("read the workbook");
    assert_no_national_id(&bytes, &ids, "the XLSX extract");
    check_xlsx(&workbook.extract, &header, rows.len());

    // Parquet: typed columns that pyarrow reads, the same cells as the CSV, empty cells as nulls.
    let parquet = platform
        .write_research_extract("P2026-01", ExtractFormat::Parquet, &dir.join("p"), "admin")
        .await
        .expect("Parquet extract");
    assert!(parquet.extract.ends_with("p/P2026-01-extract.parquet"));
    assert!(parquet.codebook.ends_with("p/P2026-01-codebook.csv"));
    assert_no_national_id(
        &std::fs::read(&parquet.extract).expect("read the Parquet file"),
        &ids,
        "the Parquet extract",
    );
    let seen = parquet_vs_csv(&parquet.extract, &first.extract);
    assert_eq!(seen["names"], json!(header));
    assert_eq!(
        seen["types"],
        json!({"pseudonym": "string", "sex": "string", "age_band": "string", "arrival_time": "string",
               "discharge_date": "string", "nihss_admission": "string", "mrs_discharge": "int64"}),
        "dates as YYYY-MM and NIHSS (which allows `unknown`) are text; mRS is an integer"
    );
    assert_eq!(seen["rows"], json!(rows.len()));
    assert_eq!(seen["differences"], json!([]), "the Parquet cells are the CSV cells");
    let missing_mrs = column(&header, &rows, "mrs_discharge")
        .iter()
        .filter(|c| c.is_empty())
        .count();
    assert!(missing_mrs > 0, "some registrations have no mRS at discharge");
    assert_eq!(
        seen["nulls"]["mrs_discharge"],
        json!(missing_mrs),
        "missing values are nulls"
    );

    let shifted_parquet = platform
        .write_research_extract("P2026-03", ExtractFormat::Parquet, &dir.join("q"), "admin")
        .await
        .expect("Parquet extract with shifted dates");
    let seen = parquet_vs_csv(&shifted_parquet.extract, &shifted.extract);
    assert_eq!(
        seen["types"],
        json!({"pseudonym": "string", "sex": "string", "arrival_time": "string",
               "discharge_date": "date32[day]", "length_of_stay": "int64"}),
        "a shifted date stays a date; a datetime (maybe a date alone) is text"
    );
    assert_eq!(seen["rows"], json!(shift_rows.len()));
    assert_eq!(seen["differences"], json!([]), "the Parquet cells are the CSV cells");

    // Audit: projects added and extracts delivered, with project, rows and format only.
    let entries = platform
        .store
        .audit_entries(&AuditFilter {
            action: Some("research.extract".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    let details: Vec<Json> = entries
        .iter()
        .map(|e| serde_json::from_str(&e.detail).expect("detail"))
        .collect();
    assert_eq!(
        details.len(),
        7,
        "seven delivered extracts, none for the refused one: {details:?}"
    );
    assert_eq!(
        details[0],
        json!({"format": "csv", "project": "P2026-01", "rows": rows.len()})
    );
    assert_eq!(details[4]["format"], json!("xlsx"));
    assert_eq!(details[5]["format"], json!("parquet"));
    let added = platform
        .store
        .audit_entries(&AuditFilter {
            action: Some("research.project_add".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    let projects: Vec<Json> = added
        .iter()
        .map(|e| serde_json::from_str::<Json>(&e.detail).expect("detail")["project"].clone())
        .collect();
    assert_eq!(
        projects,
        vec![
            json!("P2026-01"),
            json!("P2026-02"),
            json!("P2026-03"),
            json!("P2026-04")
        ]
    );
    for entry in entries.iter().chain(&added) {
        assert_no_national_id(entry.detail.as_bytes(), &ids, "an audit entry");
        assert!(entry.registration_id.is_none());
    }
    assert_eq!(platform.store.verify_audit().await.expect("verify").first_bad, None);

    // A key rotation seals the project keys again: pseudonyms stay the same.
    let keys = IdentityKeys::from_file_text(&std::fs::read_to_string(key_file).expect("key file")).expect("keys");
    let new = keys.with_new_encryption_key().expect("new key");
    platform.reseal(&new, "admin").await.expect("rotate the keys");
    let rotated = Platform::new(platform.store.clone(), vec![common::stroke()], new);
    let after = rotated
        .write_research_extract("P2026-01", ExtractFormat::Csv, &dir.join("rotated"), "admin")
        .await
        .expect("extract after the key rotation");
    let (_, after_rows) = read_csv(&after.extract);
    assert_eq!(
        column(&header, &after_rows, "pseudonym"),
        pseudonyms,
        "pseudonyms survive a key rotation"
    );
}

/// Opens the workbook with Python's openpyxl and compares its shape and first row.
fn check_xlsx(path: &Path, header: &[String], rows: usize) {
    let script = r#"
import sys, json
try:
    import openpyxl
except ImportError:
    sys.exit("openpyxl is missing: python3 -m pip install openpyxl")
book = openpyxl.load_workbook(sys.argv[1])
sheet = book["extract"]
values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
print(json.dumps({"sheets": book.sheetnames, "header": values[0], "rows": len(values) - 1,
                  "codebook": book["codebook"].max_row}))
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 is needed for the XLSX check (with openpyxl: python3 -m pip install openpyxl)");
    assert!(
        output.status.success(),
        "openpyxl could not open the workbook: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Json = serde_json::from_slice(&output.stdout).expect("openpyxl output");
    assert_eq!(seen["sheets"], json!(["extract", "codebook"]));
    assert_eq!(seen["header"], json!(header));
    assert_eq!(seen["rows"], json!(rows));
    assert_eq!(seen["codebook"], json!(header.len() + 1));
}

/// The register export on this backend: the NDJSON is every registration as the platform
/// shows it (status, then the document in definition order, whatever order the database
/// keeps its keys in), and the Parquet file holds the CSV's cells, typed.
async fn export_in_every_format(platform: &Platform, dir: &Path) {
    let filter = Filter {
        register: STROKE.into(),
        ..Filter::default()
    };
    let (views, _) = platform.list(&Scope::AllHospitals, &filter).await.expect("list");
    let mut ndjson = Vec::new();
    let written = platform
        .export(STROKE, ExportFormat::Ndjson, &mut ndjson, "admin")
        .await
        .expect("NDJSON export");
    assert_eq!(written, views.len());
    let text = String::from_utf8(ndjson).expect("utf-8");
    for (line, view) in text.lines().zip(&views) {
        assert_eq!(
            line,
            ndjson_line(&view.values, view.status),
            "the NDJSON export is the registrations in definition order"
        );
    }
    for (format, name) in [
        (ExportFormat::Csv, "export.csv"),
        (ExportFormat::Parquet, "export.parquet"),
    ] {
        let mut file = std::fs::File::create(dir.join(name)).expect("create the export file");
        platform
            .export(STROKE, format, &mut file, "admin")
            .await
            .expect("export");
    }
    let seen = parquet_vs_csv(&dir.join("export.parquet"), &dir.join("export.csv"));
    assert_eq!(seen["rows"], json!(views.len()));
    assert_eq!(seen["differences"], json!([]), "the Parquet cells are the CSV cells");
    assert_eq!(seen["types"]["age"], Json::Null, "derived values are not exported");
    assert_eq!(seen["types"]["arrival_time"], json!("string"));
    assert_eq!(seen["types"]["discharge_date"], json!("date32[day]"));
    assert_eq!(seen["types"]["mrs_discharge"], json!("int64"));
    assert_eq!(seen["types"]["fu_date"], json!("date32[day]"));
    assert!(
        seen["nulls"]["fu_date"].as_u64().expect("count") > 0,
        "registrations without a follow-up have null dates: {seen}"
    );
}

/// Reads the Parquet file with Python's pyarrow and compares it with the CSV of the same rows
/// (`parquet_vs_csv.py`): names, types, row counts, null counts and the first differences.
fn parquet_vs_csv(parquet: &Path, csv: &Path) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parquet_vs_csv.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(parquet)
        .arg(csv)
        .output()
        .expect("python3 is needed for the Parquet check (with pyarrow: python3 -m pip install pyarrow)");
    assert!(
        output.status.success(),
        "pyarrow could not read the Parquet file: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Json = serde_json::from_slice(&output.stdout).expect("pyarrow output");
    assert_eq!(seen["rows"], seen["csv_rows"], "{seen}");
    seen
}

#[tokio::test]
async fn research_extracts_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    scenario(&platform, dir.path(), &dir.path().join("data/kvalreg.keys")).await;
}

#[tokio::test]
async fn research_extracts_on_postgres() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fresh = common::postgres_platform(dir.path()).await;
    scenario(&fresh.platform, dir.path(), &dir.path().join("keys/kvalreg.keys")).await;
}
