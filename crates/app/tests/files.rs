//! Import and export files through the platform: every bad line is named with its line
//! number, field and rule and nothing is written; a good file is written in one go; export
//! writes what import reads.

mod common;

use kvalreg_app::{AppError, FileFormat, ImportProgress, LineProblem, Platform};
use kvalreg_store::{Filter, Scope, Status};
use serde_json::{Map, Value as Json, json};

fn ndjson_line(doc: &Map<String, Json>, status: Status) -> String {
    let mut line = Map::new();
    line.insert("status".into(), json!(kvalreg_app::status_name(status)));
    line.extend(doc.clone());
    serde_json::to_string(&line).expect("json")
}

async fn import(
    platform: &Platform,
    format: FileFormat,
    text: &str,
) -> (Result<kvalreg_app::ImportReport, AppError>, Vec<ImportProgress>) {
    let mut seen = Vec::new();
    let mut input = text.as_bytes();
    let result = platform
        .import("stroke", format, &mut input, "test", &mut |p| seen.push(p))
        .await;
    (result, seen)
}

async fn count(platform: &Platform) -> u64 {
    let filter = Filter {
        register: "stroke".into(),
        ..Filter::default()
    };
    platform
        .store
        .count(&Scope::AllHospitals, &filter)
        .await
        .expect("count")
}

fn refused(result: Result<kvalreg_app::ImportReport, AppError>) -> (Vec<LineProblem>, usize) {
    match result {
        Err(AppError::ImportRefused { problems, total_lines }) => (problems, total_lines),
        other => panic!("expected ImportRefused, got {other:?}"),
    }
}

fn has(problems: &[LineProblem], line: usize, field: &str, rule: &str) -> bool {
    problems
        .iter()
        .any(|p| p.line == line && p.field == field && p.rule == rule)
}

#[tokio::test]
async fn ndjson_problems_are_named_by_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    let good = common::synthetic_set(1, 3);
    let mut lines: Vec<String> = good
        .iter()
        .take(6)
        .map(|(doc, status)| ndjson_line(doc, *status))
        .collect();
    lines[1] = "{\"diagnosis\": \"I63\",".to_string();
    lines.insert(3, String::new());
    let mut bad_nihss = good[6].0.clone();
    bad_nihss.insert("nihss_admission".into(), json!(43));
    lines.push(ndjson_line(&bad_nihss, Status::Complete));
    lines.push(ndjson_line(&good[7].0, Status::Complete).replace("\"status\":\"complete\"", "\"status\":\"finished\""));
    lines.push("[1, 2]".into());
    let (result, _) = import(&platform, FileFormat::Ndjson, &lines.join("\n")).await;
    let (problems, total) = refused(result);
    assert_eq!(total, 9, "blank lines do not count");
    assert!(has(&problems, 2, "", "json"), "{problems:?}");
    assert!(has(&problems, 8, "nihss_admission", "hard_range"), "{problems:?}");
    assert!(has(&problems, 9, "status", "status"), "{problems:?}");
    assert!(has(&problems, 10, "", "json"), "{problems:?}");
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| !p.message_nb.is_empty() && !p.message_en.is_empty())
    );
    assert_eq!(count(&platform).await, 0);
}

#[tokio::test]
async fn csv_cells_are_read_by_type_and_bad_columns_are_named_at_the_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    let doc = common::plain_complete();
    let names: Vec<&String> = doc.keys().collect();
    let cells = |doc: &Map<String, Json>| -> String {
        names
            .iter()
            .map(|n| match &doc[*n] {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let header = names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(",");
    let good_row = cells(&doc);
    let unknown_bool = good_row.replacen("true", "yes", 1);
    let mut bad_int = doc.clone();
    bad_int.insert("prestroke_mrs".into(), json!("two"));
    let text = format!(
        "{header},status\n{good_row},draft\n{unknown_bool},\n{},complete\n",
        cells(&bad_int)
    );
    let (result, _) = import(&platform, FileFormat::Csv, &text).await;
    let (problems, total) = refused(result);
    assert_eq!(total, 3);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].line, 3);
    assert_eq!(problems[0].rule, "type");
    assert!(has(&problems, 4, "prestroke_mrs", "type"), "{problems:?}");

    let text = format!("{header},age,shoe_size\n{good_row},80,44\n");
    let (result, _) = import(&platform, FileFormat::Csv, &text).await;
    let (problems, _) = refused(result);
    assert!(
        has(&problems, 1, "age", "unknown_field") && has(&problems, 1, "shoe_size", "unknown_field"),
        "{problems:?}"
    );
    assert_eq!(count(&platform).await, 0);

    // Without problems the file is written, with progress and the draft kept a draft.
    let text = format!("{header},status\n{good_row},draft\n");
    let (result, progress) = import(&platform, FileFormat::Csv, &text).await;
    assert_eq!(result.expect("import").written, 1);
    assert_eq!(progress.last(), Some(&ImportProgress::Written(1)));
    let filter = Filter {
        register: "stroke".into(),
        status: Some(Status::Draft),
        ..Filter::default()
    };
    assert_eq!(
        platform
            .store
            .count(&Scope::AllHospitals, &filter)
            .await
            .expect("count"),
        1
    );
}

#[tokio::test]
async fn export_then_import_then_export_is_exact_in_both_formats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (source, _data) = common::sqlite_platform(&dir.path().join("a")).await;
    let set = common::synthetic_set(1, 9);
    let text: String = set
        .iter()
        .map(|(doc, status)| ndjson_line(doc, *status) + "\n")
        .collect();
    let (result, _) = import(&source, FileFormat::Ndjson, &text).await;
    let report = result.expect("import");
    assert_eq!(report.written, set.len());
    assert!(report.warnings > 0);

    for format in [FileFormat::Ndjson, FileFormat::Csv] {
        let mut first = Vec::new();
        assert_eq!(
            source
                .export("stroke", format, &mut first, "tester")
                .await
                .expect("export"),
            set.len()
        );
        let target_dir = tempfile::tempdir().expect("temp dir");
        let (target, _data) = common::sqlite_platform(target_dir.path()).await;
        let (result, _) = import(&target, format, &String::from_utf8(first.clone()).expect("utf-8")).await;
        assert_eq!(result.expect("re-import").written, set.len());
        let mut second = Vec::new();
        target
            .export("stroke", format, &mut second, "tester")
            .await
            .expect("export again");
        assert!(first == second, "{format:?} export differs after a round trip");
    }
}

/// Found by the fuzz target `import_record`: the csv reader ends rows at CR LF and at a lone
/// CR (classic Mac line breaks, as old Excel for Mac wrote CSV) but counts lines by LF
/// alone, so rows of a CR LF file were reported one line early and every row of a CR-only
/// file as line 1, the header's line.
#[test]
fn csv_rows_are_numbered_by_their_line_with_any_line_break() {
    let register = common::stroke();
    let hospitals = kvalreg_app::reference_hospitals().into_iter().map(|h| h.code).collect();
    let ctx = kvalreg_core::validation::Context { hospitals: &hospitals };
    let doc = common::plain_complete();
    let header = doc.keys().map(String::as_str).collect::<Vec<_>>().join(",");
    let cell = |value: &Json| match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let good_row = doc.values().map(cell).collect::<Vec<_>>().join(",");
    let bad_row = good_row.replacen("true", "yes", 1);
    for line_break in ["\n", "\r\n", "\r"] {
        let text = [header.as_str(), &good_row, &bad_row, &good_row, &bad_row].join(line_break) + line_break;
        let mut answered = Vec::new();
        let header_problems = kvalreg_app::check_lines(
            &register,
            FileFormat::Csv,
            &mut text.as_bytes(),
            &ctx,
            &mut |line, checked| answered.push((line, checked.is_ok())),
        )
        .expect("read from memory");
        assert!(header_problems.is_empty(), "{header_problems:?}");
        assert_eq!(
            answered,
            [(2, true), (3, false), (4, true), (5, false)],
            "line break {line_break:?}"
        );
    }
}

/// More lines than one chunk of writes: the first chunk is written inside the import's
/// transaction before the bad line is read, and still nothing is left once it is refused.
async fn a_bad_line_after_the_first_written_chunk_leaves_nothing(platform: &Platform) {
    // The import does no duplicate detection, so one registration repeated is a good file.
    let line = ndjson_line(&common::plain_complete(), Status::Complete);
    let mut lines = vec![line; 5_002];
    lines[5_001] = lines[5_001].replace("\"status\":\"complete\"", "\"status\":\"finished\"");
    let (result, _) = import(platform, FileFormat::Ndjson, &lines.join("\n")).await;
    let (problems, total) = refused(result);
    assert_eq!(total, 5_002);
    assert!(has(&problems, 5_002, "status", "status"), "{problems:?}");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        count(platform).await,
        0,
        "the chunk written before the bad line is rolled back"
    );
    let audit = platform.store.verify_audit().await.expect("verify the audit chain");
    assert_eq!(
        (audit.entries, audit.first_bad),
        (0, None),
        "and so are its audit entries"
    );

    lines[5_001] = lines[5_000].clone();
    let (result, _) = import(platform, FileFormat::Ndjson, &lines.join("\n")).await;
    assert_eq!(result.expect("import").written, 5_002);
    assert_eq!(count(platform).await, 5_002);
    assert_eq!(platform.store.verify_audit().await.expect("verify").entries, 5_002);
}

#[tokio::test]
async fn sqlite_a_bad_line_after_the_first_written_chunk_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    a_bad_line_after_the_first_written_chunk_leaves_nothing(&platform).await;
}

#[tokio::test]
async fn postgres_a_bad_line_after_the_first_written_chunk_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(dir.path()).await;
    a_bad_line_after_the_first_written_chunk_leaves_nothing(&fresh.platform).await;
}
