//! Reads the shipped stroke register folder for tests (the core itself does no I/O); shared
//! by the core's and the analytics' tests so there is one folder reader.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kvalreg_core::definition::{Register, SourceFile, load};

/// The shipped stroke register's folder.
pub fn stroke_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registers/stroke")
}

/// Every file below `root` with its path relative to `root` ('/'-separated), in name order.
pub fn read_folder(root: &Path) -> Vec<SourceFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable folder")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("inside the folder");
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(SourceFile {
                    path: parts.join("/"),
                    text: std::fs::read_to_string(&path).expect("utf-8 file"),
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The shipped stroke register, loaded once; a definition error fails the test with every error.
pub fn stroke() -> &'static Register {
    static REGISTER: OnceLock<Register> = OnceLock::new();
    REGISTER.get_or_init(|| {
        load(&read_folder(&stroke_folder())).unwrap_or_else(|errors| {
            panic!(
                "{}",
                errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
            )
        })
    })
}
