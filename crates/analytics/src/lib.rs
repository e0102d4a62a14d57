//! Quality indicators over columns (architecture.md §7): a register's registrations held as
//! typed Arrow columns, the column evaluator of the expression language, and the indicator
//! engine that turns indicator definitions into results per hospital, health trust, health
//! region and nation, with Wilson intervals, quartiles, levels and low-N suppression.

pub mod awards;
pub mod chunks;
pub mod civil;
pub mod columns;
pub mod coverage;
pub mod engine;
pub mod eval;
pub mod period;
pub mod report;
pub mod rows;
pub mod stats;
pub mod svg;
pub mod units;
pub mod vector;

pub use awards::{AwardLevel, AwardResult, Criterion, awards, awards_of_chunks};
pub use chunks::{CHUNK_ROWS, Chunks};
pub use columns::{ColumnError, Columns, ColumnsBuilder};
pub use coverage::{CoverageResult, Linkage, Stay, coverage, link};
pub use engine::{Query, check_filter, compute, compute_chunks};
pub use eval::{Parameters, evaluate};
pub use period::Granularity;
pub use report::{IndicatorResult, Report, UnitLevel};
pub use units::{Hospital, Units};
pub use vector::Vector;
