//! What the fuzz targets share: the shipped stroke register (loaded once, as the server
//! loads it), the reference hospital list, and the check that an accepted registration
//! reads back to itself from its canonical document.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use kvalreg_core::definition::{Register, SourceFile};
use kvalreg_core::validation::{Context, Finding};
use kvalreg_core::value::Record;
use kvalreg_store::Status;

/// The stroke register's folder in this repository.
const STROKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../registers/stroke");

/// The files of the shipped stroke register, read as the server reads them.
pub fn stroke_files() -> &'static [SourceFile] {
    static FILES: OnceLock<Vec<SourceFile>> = OnceLock::new();
    FILES.get_or_init(|| match kvalreg_app::read_register_dir(Path::new(STROKE)) {
        Ok(files) => files,
        Err(errors) => panic!(
            "the stroke register cannot be read: {}",
            kvalreg_app::format_definition_errors(&errors)
        ),
    })
}

/// The shipped stroke register, loaded and checked.
pub fn stroke() -> &'static Register {
    static REGISTER: OnceLock<Register> = OnceLock::new();
    REGISTER.get_or_init(|| match kvalreg_core::definition::load(stroke_files()) {
        Ok(register) => register,
        Err(errors) => panic!(
            "the stroke register does not load: {}",
            kvalreg_app::format_definition_errors(&errors)
        ),
    })
}

/// The codes of the reference hospital list (what a fresh installation holds).
pub fn hospitals() -> &'static BTreeSet<String> {
    static CODES: OnceLock<BTreeSet<String>> = OnceLock::new();
    CODES.get_or_init(|| kvalreg_app::reference_hospitals().into_iter().map(|h| h.code).collect())
}

/// The validation context of the targets: the reference hospitals.
pub fn context() -> Context<'static> {
    Context { hospitals: hospitals() }
}

/// Export → import is exact: an accepted registration's canonical document, checked again
/// at the same status, is accepted with the same record and the same warnings.
pub fn assert_reads_back(register: &Register, record: &Record, status: Status, warnings: &[Finding]) {
    let document = register.document(record);
    match kvalreg_app::check_document(register, &document, status, &context()) {
        Ok((again, warnings_again)) => {
            assert_eq!(
                &again, record,
                "the canonical document {document:?} reads back differently"
            );
            assert_eq!(
                warnings_again, warnings,
                "the canonical document {document:?} warns differently"
            );
        }
        Err(findings) => {
            panic!("the canonical document {document:?} of an accepted registration is refused: {findings:?}")
        }
    }
}

/// Every refusal names what is at fault: a field, a rule and a message in both languages.
pub fn assert_named(finding: &Finding) {
    assert!(!finding.rule.is_empty(), "a finding without a rule: {finding:?}");
    assert!(
        !finding.message_nb.trim().is_empty() && !finding.message_en.trim().is_empty(),
        "a finding without a message: {finding:?}"
    );
}
