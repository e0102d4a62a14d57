//! The definition loader on arbitrary file contents of a register folder.
//!
//! Input: one or more files, each introduced by a line `>>> PATH` (e.g. `>>> forms/acute.toml`)
//! and followed by its text; they replace or add to the shipped stroke register's files, so
//! a mutation of one file is checked against the rest of a real register.
//!
//! Invariant: loading never panics and gives the same answer twice. A refused folder names,
//! for every error, one of its files and a line within it (0 for the file as a whole). A
//! loaded register answers for each of its variables by name, keeps every expression as
//! text that parses to the expression it holds, and validates and derives an empty
//! registration and writes its codebook without panicking.
#![no_main]

use kvalreg_core::definition::{self, Register, SourceFile};
use kvalreg_core::expr;
use kvalreg_core::validation::Stage;
use kvalreg_core::value::Record;
use libfuzzer_sys::fuzz_target;

const HEADER: &str = ">>> ";

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut files: Vec<SourceFile> = kvalreg_fuzz::stroke_files().to_vec();
    for file in split(input) {
        match files.iter_mut().find(|f| f.path == file.path) {
            Some(existing) => *existing = file,
            None => files.push(file),
        }
    }
    let loaded = definition::load(&files);
    assert_eq!(loaded, definition::load(&files), "loading the same files twice differs");
    match loaded {
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal without an error");
            for error in &errors {
                let Some(file) = files.iter().find(|f| f.path == error.file) else {
                    assert_eq!(
                        (error.file.as_str(), error.line),
                        ("register.toml", 0),
                        "an error names a file the folder does not have: {error}"
                    );
                    continue;
                };
                let lines = file.text.split('\n').count();
                assert!(error.line <= lines, "{error}: the file has {lines} lines");
            }
        }
        Ok(register) => loaded_register(&register),
    }
});

/// The files of the input: each starts at a line `>>> PATH`; text before the first is ignored.
fn split(input: &str) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut rest = input;
    while let Some(at) = find_header(rest) {
        let after = &rest[at + HEADER.len()..];
        let (path, body) = after.split_once('\n').unwrap_or((after, ""));
        let end = find_header(body).unwrap_or(body.len());
        files.push(SourceFile {
            path: path.to_string(),
            text: body[..end].to_string(),
        });
        rest = &body[end..];
    }
    files
}

/// Where the next header line starts.
fn find_header(text: &str) -> Option<usize> {
    if text.starts_with(HEADER) {
        return Some(0);
    }
    text.find(&format!("\n{HEADER}")).map(|at| at + 1)
}

fn loaded_register(register: &Register) {
    for variable in register.variables() {
        assert_eq!(register.variable(&variable.name), Some(variable));
        for condition in register.show_conditions(variable) {
            assert_eq!(expr::parse(&condition.text).as_ref(), Ok(&condition.expr));
        }
    }
    let expressions = register
        .rules
        .iter()
        .map(|r| &r.assert)
        .chain(register.derived.iter().map(|d| &d.expression))
        .chain(register.indicators.iter().map(|i| &i.denominator));
    for expression in expressions {
        assert_eq!(
            expr::parse(&expression.text).as_ref(),
            Ok(&expression.expr),
            "`{}` is kept as another expression",
            expression.text
        );
    }
    let empty = Record::new();
    let ctx = kvalreg_fuzz::context();
    register.validate(&empty, Stage::Draft, &ctx);
    register.validate(&empty, Stage::Complete, &ctx);
    register.derive(&empty);
    register.codebook_csv();
}
