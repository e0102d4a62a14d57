//! Loading register folders from disk: the core checks definitions without I/O, so this
//! module reads the files and hands them over, and lists every error as file:line: reason.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use kvalreg_core::definition::{self, DefinitionError, Register, SourceFile};

/// The file that marks a folder as a register.
const REGISTER_FILE: &str = "register.toml";

/// Reads every file of a register folder (sub-folders included, in name order) and loads
/// the register. A file that cannot be read becomes a definition error of its own.
pub fn load_register_dir(dir: &Path) -> Result<Register, Vec<DefinitionError>> {
    let files = read_register_dir(dir)?;
    definition::load(&files).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| DefinitionError {
                file: dir.join(&e.file).display().to_string(),
                ..e
            })
            .collect()
    })
}

/// Every file of a register folder (sub-folders included, in name order), as the loader
/// takes them; a file that cannot be read becomes a definition error of its own.
pub fn read_register_dir(dir: &Path) -> Result<Vec<SourceFile>, Vec<DefinitionError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    collect_files(dir, dir, &mut files, &mut errors);
    if errors.is_empty() { Ok(files) } else { Err(errors) }
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<SourceFile>, errors: &mut Vec<DefinitionError>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(read_error(dir, &e));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, files, errors);
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(text) => {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                files.push(SourceFile {
                    path: relative.display().to_string(),
                    text,
                });
            }
            Err(e) => errors.push(read_error(&path, &e)),
        }
    }
}

fn read_error(path: &Path, e: &std::io::Error) -> DefinitionError {
    DefinitionError {
        file: path.display().to_string(),
        line: 0,
        reason: format!("cannot read: {e}"),
    }
}

/// Formats definition errors one per line as `file:line: reason` (`file: reason` for an
/// error about a whole file).
pub fn format_definition_errors(errors: &[DefinitionError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Loads every sub-folder of `root` that holds a `register.toml`, refusing with every
/// definition error of every register.
pub fn load_registers(root: &Path) -> anyhow::Result<Vec<Register>> {
    let entries = fs::read_dir(root).with_context(|| format!("cannot read register folder {}", root.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join(REGISTER_FILE).is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        bail!(
            "{} holds no register (no sub-folder with a {REGISTER_FILE})",
            root.display()
        );
    }
    let mut registers = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        match load_register_dir(&dir) {
            Ok(register) => registers.push(register),
            Err(mut found) => errors.append(&mut found),
        }
    }
    if !errors.is_empty() {
        bail!(
            "register definitions have errors:\n{}",
            format_definition_errors(&errors)
        );
    }
    Ok(registers)
}
