//! `kvalreg definitions check|codebook`: a register folder checked on its own, the same
//! check `serve` runs at start-up, and the codebook a statistician reads.

use std::path::Path;
use std::process::ExitCode;

use kvalreg_app::load_register_dir;

use crate::options::shown;

/// Prints `ok: ...` and succeeds, or prints every error as `file:line: reason` and fails.
pub fn check(dir: &Path) -> ExitCode {
    match load_register_dir(dir) {
        Ok(register) => {
            println!(
                "ok: register {}, {} variables, {} rules",
                register.id,
                register.variables().count(),
                register.rules.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!("error: {} has {} definition error(s)", shown(dir), errors.len());
            ExitCode::FAILURE
        }
    }
}

/// Prints the codebook CSV of a register folder.
pub fn codebook(dir: &Path) -> anyhow::Result<ExitCode> {
    match load_register_dir(dir) {
        Ok(register) => {
            print!("{}", register.codebook_csv());
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            anyhow::bail!(
                "{} has {} definition error(s); no codebook written",
                shown(dir),
                errors.len()
            )
        }
    }
}
