//! Published reports of a register: the annual report (årsrapport) of issue 4, written as a
//! self-contained HTML page and as a PDF from the small PDF writer in [`pdf`], so a report
//! needs neither a browser nor a typesetting system; and the patient-insight report as PDF.

pub mod annual;
pub mod insight;
pub mod layout;
pub mod pdf;

pub use annual::{AnnualReport, ReportError, gather};
