//! What a registration write means: validated against its register's definition, the national
//! id protected (HMAC look-up key + AES-GCM ciphertext, never clear text beside clinical data),
//! and stored as a new version. Also the data directory, loading registers from disk, import
//! and export files, hospitals as reference data and synthetic demo data.

pub mod access;
mod audited_list;
pub mod awards;
mod cells;
pub mod coverage;
mod data_dir;
mod demo;
mod duplicates;
mod error;
mod export;
mod hospitals;
mod import;
pub mod indicators;
pub mod insight;
pub mod insight_code;
pub mod keys;
mod masking;
pub mod parquet;
mod person;
mod platform;
mod privacy;
mod registers;
pub mod research;
pub mod research_download;
pub mod synthetic;
mod users;
mod workflow;
mod worklist;

pub use audited_list::ListPage;
pub use data_dir::DataDir;
pub use demo::{DEMO_PASSWORD, seed_demo, seed_demo_users};
pub use duplicates::DUPLICATE_WINDOW_DAYS;
pub use error::{AppError, LineProblem, status_name};
pub use export::ExportFormat;
pub use hospitals::{parse_hospitals_csv, reference_hospitals, seed_reference_hospitals};
pub use import::{CheckedLine, FileFormat, ImportProgress, ImportReport, check_lines};
pub use masking::masked_national_id;
pub use platform::{Platform, RegistrationView, Saved, check_document};
pub use privacy::RESERVED_RULE;
pub use registers::{format_definition_errors, load_register_dir, load_registers, read_register_dir};
pub use users::{MIN_PASSWORD_CHARS, hash_password, password_matches};
pub use worklist::{FOLLOW_UP_FROM_DAYS, FOLLOW_UP_TO_DAYS, WorkItem, Worklist};
