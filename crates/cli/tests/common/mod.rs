//! What the CLI tests share: the real `kvalreg` binary run in a temporary directory, and
//! synthetic registrations written as NDJSON or CSV import files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kvalreg_app::{reference_hospitals, status_name, synthetic};
use kvalreg_store::{Filter, Scope, Status};
use serde_json::{Map, Value as Json};

pub fn registers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registers")
}

/// The binary with the shipped registers, run in `dir`, unaffected by KVALREG_* variables
/// of the environment the tests run in.
pub fn kvalreg(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvalreg"));
    command
        .current_dir(dir)
        .env_remove("KVALREG_DATA_DIR")
        .env_remove("KVALREG_DATABASE_URL")
        .env_remove("KVALREG_REGISTERS")
        .arg("--registers")
        .arg(registers_dir());
    command
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    kvalreg(dir).args(args).output().expect("run kvalreg")
}

/// Runs and requires success; returns stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "kvalreg {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Synthetic registrations as of a fixed day (independent of the calendar).
pub fn synthetic_set(per_hospital_year: usize, seed: u64) -> Vec<(Map<String, Json>, Status)> {
    synthetic::stroke_registrations_as_of(
        jiff::civil::date(2026, 6, 30),
        &reference_hospitals(),
        2022..=2026,
        per_hospital_year,
        seed,
    )
}

pub fn ndjson_line(doc: &Map<String, Json>, status: Status) -> String {
    let mut line = Map::new();
    line.insert("status".into(), Json::String(status_name(status).into()));
    line.extend(doc.clone());
    serde_json::to_string(&line).expect("json")
}

/// A CSV file with a `status` column and every entered variable of the stroke register.
pub fn csv_text(set: &[(Map<String, Json>, Status)]) -> String {
    let register = kvalreg_app::load_register_dir(&registers_dir().join("stroke")).expect("stroke loads");
    let names: Vec<String> = register.variables().map(|v| v.name.clone()).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(std::iter::once("status").chain(names.iter().map(String::as_str)))
        .expect("header");
    for (doc, status) in set {
        let cells = names.iter().map(|name| match doc.get(name) {
            None => String::new(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        });
        out.write_record(std::iter::once(status_name(*status).to_string()).chain(cells))
            .expect("row");
    }
    String::from_utf8(out.into_inner().expect("flush")).expect("utf-8")
}

/// How many stroke registrations the data directory's SQLite database holds.
pub async fn stored_count(data_dir: &Path) -> u64 {
    let url = format!("sqlite://{}", data_dir.join("kvalreg.sqlite").display());
    let store = kvalreg_store::connect(&url).await.expect("open the database");
    let filter = Filter {
        register: "stroke".into(),
        ..Filter::default()
    };
    store.count(&Scope::AllHospitals, &filter).await.expect("count")
}
