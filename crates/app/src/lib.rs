//! What a registration write means: validated against its register's definition, the national
//! id protected (HMAC look-up key + AES-GCM ciphertext, never clear text beside clinical data),
//! and stored as a new version. Also the data directory, loading registers from disk, import
//! and export files, hospitals as reference data and synthetic demo data.

mod cells;
mod data_dir;
mod demo;
mod error;
mod export;
mod hospitals;
mod import;
mod person;
mod platform;
mod registers;
pub mod synthetic;

pub use data_dir::DataDir;
pub use demo::seed_demo;
pub use error::{AppError, LineProblem, status_name};
pub use hospitals::{parse_hospitals_csv, reference_hospitals, seed_reference_hospitals};
pub use import::{FileFormat, ImportProgress, ImportReport};
pub use platform::{Platform, RegistrationView, Saved};
pub use registers::{format_definition_errors, load_register_dir, load_registers};
