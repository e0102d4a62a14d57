//! The data directory: the key file that protects national ids, the embedded SQLite database,
//! and the DEMO marker that allows a demo directory (and only that) to be wiped.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use kvalreg_core::identity::IdentityKeys;

const KEY_FILE: &str = "kvalreg.keys";
/// The new key file of a rotation, until the database is sealed under it.
const NEW_KEY_FILE: &str = "kvalreg.keys.new";
const SQLITE_FILE: &str = "kvalreg.sqlite";
const DEMO_MARKER: &str = "DEMO";

/// A data directory that holds a key file.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

/// What to do about a rotation that did not finish.
fn interrupted(staged: &Path) -> String {
    format!(
        "a key rotation did not finish: {} exists. If the audit log's last entry is keys.rotate, \
         the database is sealed under it: rename it to {KEY_FILE} (keep the old file). Otherwise delete it \
         and rotate again",
        staged.display()
    )
}

impl DataDir {
    /// Creates the directory (if needed) and a new key file readable by the owner only.
    /// Refuses when a key file exists: new keys would make the stored ids unreadable.
    pub fn init(root: &Path) -> anyhow::Result<DataDir> {
        fs::create_dir_all(root).with_context(|| format!("cannot create data directory {}", root.display()))?;
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve data directory {}", root.display()))?;
        let key_path = root.join(KEY_FILE);
        if key_path.exists() {
            bail!(
                "{} already holds a key file ({}); new keys would make the stored national ids unreadable",
                root.display(),
                key_path.display()
            );
        }
        let keys = IdentityKeys::generate().context("cannot generate identity keys")?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_path)
            .with_context(|| format!("cannot create key file {}", key_path.display()))?;
        file.write_all(keys.to_file_text().as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write key file {}", key_path.display()))?;
        Ok(DataDir { root })
    }

    /// Creates a fresh demo directory: a directory holding the DEMO marker is wiped first; an
    /// existing non-empty directory without the marker is refused (it may hold real data).
    pub fn init_demo(root: &Path) -> anyhow::Result<DataDir> {
        if root.exists() {
            if root.join(DEMO_MARKER).is_file() {
                fs::remove_dir_all(root)
                    .with_context(|| format!("cannot wipe the old demo directory {}", root.display()))?;
            } else {
                let empty = fs::read_dir(root)
                    .with_context(|| format!("cannot read {}", root.display()))?
                    .next()
                    .is_none();
                if !empty {
                    bail!(
                        "{} exists and is not a demo directory (no {DEMO_MARKER} marker); \
                         refusing to wipe it. Choose another --data-dir for the demo",
                        root.display()
                    );
                }
            }
        }
        let dir = DataDir::init(root)?;
        let marker = dir.root.join(DEMO_MARKER);
        fs::write(
            &marker,
            "This directory holds synthetic demo data and is wiped by `kvalreg serve --demo`.\n",
        )
        .with_context(|| format!("cannot write {}", marker.display()))?;
        Ok(dir)
    }

    /// Opens an initialised directory.
    pub fn open(root: &Path) -> anyhow::Result<DataDir> {
        let key_path = root.join(KEY_FILE);
        if !key_path.is_file() {
            bail!(
                "no key file in data directory {}: run `kvalreg init` first",
                root.display()
            );
        }
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve data directory {}", root.display()))?;
        Ok(DataDir { root })
    }

    /// Writes the next keys of a rotation beside the current ones, before anything in the
    /// database is sealed under them. Refuses while an earlier rotation's file is there.
    pub fn stage_new_keys(&self, keys: &IdentityKeys) -> anyhow::Result<()> {
        let path = self.root.join(NEW_KEY_FILE);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| interrupted(&path))?;
        file.write_all(keys.to_file_text().as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write key file {}", path.display()))
    }

    /// After the database was sealed under the staged keys: they become the key file and the
    /// old one is kept as `kvalreg.keys.old-<unix seconds>` (delete it once backups made with
    /// it have expired). Returns the old file's path.
    pub fn commit_new_keys(&self) -> anyhow::Result<std::path::PathBuf> {
        let old = self
            .root
            .join(format!("{KEY_FILE}.old-{}", jiff::Timestamp::now().as_second()));
        fs::rename(self.root.join(KEY_FILE), &old)
            .with_context(|| format!("cannot keep the old key file as {}", old.display()))?;
        fs::rename(self.root.join(NEW_KEY_FILE), self.root.join(KEY_FILE))
            .with_context(|| format!("the database uses {NEW_KEY_FILE} now: rename it to {KEY_FILE} by hand"))?;
        Ok(old)
    }

    /// Removes staged keys the database was never sealed under (a rotation that failed).
    pub fn discard_new_keys(&self) -> anyhow::Result<()> {
        let path = self.root.join(NEW_KEY_FILE);
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))
    }

    /// The keys that protect national ids.
    pub fn keys(&self) -> anyhow::Result<IdentityKeys> {
        let staged = self.root.join(NEW_KEY_FILE);
        if staged.exists() {
            bail!("{}", interrupted(&staged));
        }
        let key_path = self.root.join(KEY_FILE);
        let text =
            fs::read_to_string(&key_path).with_context(|| format!("cannot read key file {}", key_path.display()))?;
        IdentityKeys::from_file_text(&text).with_context(|| format!("key file {} is damaged", key_path.display()))
    }

    /// The URL of the embedded SQLite database in this directory.
    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.root.join(SQLITE_FILE).display())
    }

    /// Whether this directory holds demo data (and may be wiped by the demo).
    pub fn is_demo(&self) -> bool {
        self.root.join(DEMO_MARKER).is_file()
    }
}
