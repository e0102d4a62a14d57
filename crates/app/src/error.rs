//! Why a request to the platform was refused, in terms a registrar or an operator can act on.

use kvalreg_core::identity::KeyError;
use kvalreg_core::messages::Text;
use kvalreg_core::validation::Finding;
use kvalreg_store::{Status, StoreError};
use uuid::Uuid;

/// One refused line of an import file: the line number in the file (a CSV header is line 1),
/// the field and rule that failed, and the message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineProblem {
    pub line: usize,
    pub field: String,
    pub rule: String,
    pub message_nb: String,
    pub message_en: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no register called `{0}`")]
    UnknownRegister(String),
    #[error("the registration was refused: {}", summary(.0))]
    Invalid(Vec<Finding>),
    #[error("registration {0} not found")]
    NotFound(Uuid),
    #[error("the registration is at version {current}, not {expected}: reload it and apply your change again")]
    Conflict { expected: i64, current: i64 },
    #[error("registration {0} is locked: reopen it (with a reason) before changing it")]
    Locked(Uuid),
    #[error("reopening a registration needs a reason")]
    ReasonRequired,
    #[error("cannot {action} a {} registration", status_name(*.from))]
    BadTransition { from: Status, action: &'static str },
    #[error("import refused: {} problem(s) in a file of {total_lines} line(s); nothing was written", .problems.len())]
    ImportRefused {
        problems: Vec<LineProblem>,
        total_lines: usize,
    },
    #[error(transparent)]
    Store(StoreError),
    #[error("national id protection failed: {0}")]
    Identity(#[from] KeyError),
    #[error("cannot read or write the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
    #[error("the research project was refused: {}", summary(.0))]
    ProjectRefused(Vec<Finding>),
    /// A research extract refused by the small-cell check, naming the combinations.
    #[error("{}", .0.en)]
    ExtractRefused(Text),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => AppError::NotFound(id),
            StoreError::Conflict { expected, current, .. } => AppError::Conflict { expected, current },
            other => AppError::Store(other),
        }
    }
}

/// The lower-case name of a status, as in files and the API.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Complete => "complete",
        Status::Locked => "locked",
    }
}

fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{}: {}: {}", f.field, f.rule, f.message_en))
        .collect::<Vec<_>>()
        .join("; ")
}
