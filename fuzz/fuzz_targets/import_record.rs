//! Import lines (NDJSON, or CSV when the input starts with a line `csv`) through the
//! import's own read and validation path (`kvalreg_app::check_lines`) for the stroke register.
//!
//! Invariant: reading and checking never panics or fails as a whole on bytes in memory.
//! Each line is answered at most once, in order, with a number within the file; each
//! problem names its rule and has a message in both languages. Every accepted line's
//! registration, written as its canonical NDJSON line and imported again, is accepted with
//! the same values, status and warnings (export → import is exact).
#![no_main]

use kvalreg_app::{CheckedLine, FileFormat, LineProblem, check_lines};
use kvalreg_core::value::Record;
use kvalreg_store::Status;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value as Json};

fuzz_target!(|data: &[u8]| {
    let (format, file) = match data.strip_prefix(b"csv\n") {
        Some(rest) => (FileFormat::Csv, rest),
        None => (FileFormat::Ndjson, data),
    };
    let lines_in_file = match format {
        // NDJSON lines end at LF; a CSV line at LF, CR LF or a lone CR.
        FileFormat::Ndjson => file.split(|&b| b == b'\n').count(),
        FileFormat::Csv => {
            1 + file
                .iter()
                .enumerate()
                .filter(|&(i, &b)| line_break(file, i, b))
                .count()
        }
    };
    let mut answered: Vec<usize> = Vec::new();
    let mut accepted: Vec<(Record, Status, usize)> = Vec::new();
    let header = import(format, file, &mut |line, checked| {
        assert!(
            (1..=lines_in_file).contains(&line),
            "line {line} answered in a file of {lines_in_file} lines"
        );
        assert!(
            answered.last().is_none_or(|&last| last < line),
            "line {line} answered again or out of order"
        );
        answered.push(line);
        match checked {
            Ok((record, status, warnings)) => accepted.push((record, status, warnings.len())),
            Err(problems) => {
                assert!(!problems.is_empty(), "line {line} refused without a problem");
                problems.iter().for_each(|p| named(p, line));
            }
        }
    });
    header.iter().for_each(|p| named(p, 1));
    for (record, status, warnings) in accepted {
        let line = canonical_line(&record, status);
        let mut again = Vec::new();
        let header = import(FileFormat::Ndjson, line.as_bytes(), &mut |_, checked| {
            again.push(checked)
        });
        assert!(header.is_empty());
        match again.as_slice() {
            [Ok((record_again, status_again, warnings_again))] => {
                assert_eq!(record_again, &record, "{line} imports as other values");
                assert_eq!(*status_again, status, "{line} imports with another status");
                assert_eq!(warnings_again.len(), warnings, "{line} warns differently");
            }
            other => panic!("the canonical line {line} of an accepted registration is answered {other:?}"),
        }
    }
});

/// Whether the byte at `i` ends a line: LF, or a CR not followed by LF.
fn line_break(file: &[u8], i: usize, byte: u8) -> bool {
    byte == b'\n' || (byte == b'\r' && file.get(i + 1) != Some(&b'\n'))
}

/// Runs the import's checking half on bytes in memory; returns the header's problems.
fn import(format: FileFormat, mut file: &[u8], each: &mut dyn FnMut(usize, CheckedLine)) -> Vec<LineProblem> {
    let register = kvalreg_fuzz::stroke();
    match check_lines(register, format, &mut file, &kvalreg_fuzz::context(), each) {
        Ok(header) => header,
        Err(e) => panic!("reading a file in memory failed as a whole: {e}"),
    }
}

fn named(problem: &LineProblem, line: usize) {
    assert_eq!(
        problem.line, line,
        "a problem of line {line} names line {}",
        problem.line
    );
    assert!(!problem.rule.is_empty(), "a problem without a rule: {problem:?}");
    assert!(
        !problem.message_nb.trim().is_empty() && !problem.message_en.trim().is_empty(),
        "a problem without a message: {problem:?}"
    );
}

/// The NDJSON line export writes for a registration: its canonical document and status.
fn canonical_line(record: &Record, status: Status) -> String {
    let mut document: Map<String, Json> = kvalreg_fuzz::stroke().document(record);
    document.insert("status".into(), Json::String(kvalreg_app::status_name(status).into()));
    Json::Object(document).to_string()
}
