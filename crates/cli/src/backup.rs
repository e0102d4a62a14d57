//! `kvalreg backup` and `kvalreg restore`: an online, consistent copy of the database
//! (SQLite through `VACUUM INTO`, PostgreSQL through `pg_dump`) and its restore into an
//! empty place. The key file is never part of a backup.

use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use kvalreg_app::DataDir;
use kvalreg_store::SqliteStore;
use sqlx::Connection as _;

use crate::options::{BackupArgs, Global, RestoreArgs, shown, shown_url};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// The first bytes of a `pg_dump --format=custom` archive.
const PG_DUMP_MAGIC: &[u8] = b"PGDMP";

const KEY_REMINDER: &str = "the key file kvalreg.keys is NOT in the backup: keep a copy of it apart \
     from the backup; without it the national ids in the backup cannot be read";

/// The database a backup is taken from: the given URL or the data directory's SQLite file.
fn source_url(global: &Global) -> anyhow::Result<String> {
    match &global.database_url {
        Some(url) => Ok(url.clone()),
        None => Ok(DataDir::open(&global.data_root())?.sqlite_url()),
    }
}

/// The database a restore writes to: the given URL or the SQLite file of the data
/// directory, which need not hold a key file yet (it is copied in afterwards).
fn target_url(global: &Global) -> anyhow::Result<String> {
    match &global.database_url {
        Some(url) => Ok(url.clone()),
        None => {
            let root = global.data_root();
            std::fs::create_dir_all(&root).with_context(|| format!("cannot create data directory {}", shown(&root)))?;
            let root = root
                .canonicalize()
                .with_context(|| format!("cannot resolve data directory {}", shown(&root)))?;
            Ok(DataDir { root }.sqlite_url())
        }
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite:")
        .with_context(|| format!("{} is neither a sqlite:// nor a postgres:// URL", shown_url(url)))?;
    Ok(PathBuf::from(rest.strip_prefix("//").unwrap_or(rest)))
}

/// Writes a consistent copy of the running database to `--output`; refuses to overwrite.
pub async fn backup(global: &Global, args: BackupArgs) -> anyhow::Result<()> {
    let url = source_url(global)?;
    // Created empty and readable by the owner only before anything is written to it: a
    // backup holds health data. `VACUUM INTO` accepts an empty file; pg_dump overwrites it.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.output)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{} exists; a backup never overwrites a file, choose another --output",
                shown(&args.output)
            ),
            _ => anyhow::Error::new(e).context(format!("cannot create {}", shown(&args.output))),
        })?;
    let started = Instant::now();
    let written = if is_postgres(&url) {
        pg_tool("pg_dump", &url)
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(&args.output)
            .status_ok()
    } else {
        match sqlite_path(&url) {
            Ok(database) => backup_sqlite(&database, &args.output).await,
            Err(e) => Err(e),
        }
    };
    if let Err(e) = written {
        // No half-written or empty file is left to be taken for a backup.
        let _ = std::fs::remove_file(&args.output);
        return Err(e);
    }
    let size = std::fs::metadata(&args.output)
        .with_context(|| format!("cannot read {}", shown(&args.output)))?
        .len();
    println!(
        "backup written to {} ({size} bytes in {:.2} s)",
        shown(&args.output),
        started.elapsed().as_secs_f64()
    );
    eprintln!("reminder: {KEY_REMINDER}");
    Ok(())
}

/// `VACUUM INTO` reads one snapshot (a read transaction in WAL mode), so writers go on and
/// the copy holds every committed write up to that moment and none after.
async fn backup_sqlite(database: &Path, output: &Path) -> anyhow::Result<()> {
    if !database.is_file() {
        bail!("no database at {}: nothing to back up", shown(database));
    }
    let store = SqliteStore::open(database)
        .await
        .with_context(|| format!("cannot open {}", shown(database)))?;
    let target = output
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", shown(output)))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(store.pool())
        .await
        .with_context(|| format!("cannot write the backup to {}", shown(output)))?;
    store.pool().close().await;
    Ok(())
}

/// Restores `--input` into an empty database; refuses when the target holds data.
pub async fn restore(global: &Global, args: RestoreArgs) -> anyhow::Result<()> {
    let url = target_url(global)?;
    let head = file_head(&args.input)?;
    let started = Instant::now();
    if is_postgres(&url) {
        if !head.starts_with(PG_DUMP_MAGIC) {
            bail!(
                "{} is not a PostgreSQL backup (pg_dump --format=custom); a SQLite backup restores into a data directory without --database-url",
                shown(&args.input)
            );
        }
        restore_postgres(&url, &args.input).await?;
    } else {
        if !head.starts_with(SQLITE_MAGIC) {
            bail!(
                "{} is not a SQLite backup; a PostgreSQL backup restores with --database-url postgres://...",
                shown(&args.input)
            );
        }
        restore_sqlite(&sqlite_path(&url)?, &args.input).await?;
    }
    let store = kvalreg_store::connect(&url)
        .await
        .with_context(|| format!("the restored database {} cannot be opened", shown_url(&url)))?;
    let report = store
        .verify_audit()
        .await
        .context("cannot read the restored audit log")?;
    match report.first_bad {
        None => println!(
            "restored {} into {} in {:.2} s; audit log intact: {} entries, head {}",
            shown(&args.input),
            shown_url(&url),
            started.elapsed().as_secs_f64(),
            report.entries,
            report.head
        ),
        Some((seq, _)) => {
            bail!("restored, but the audit log does not verify from entry {seq}: run `kvalreg audit verify`")
        }
    }
    eprintln!("reminder: {KEY_REMINDER}; copy the original kvalreg.keys into the data directory before serving");
    Ok(())
}

fn file_head(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|file| file.take(16).read_to_end(&mut head))
        .with_context(|| format!("cannot read the backup {}", shown(path)))?;
    Ok(head)
}

/// Copies the backup beside the target, checks it, then renames it into place, so a failed
/// restore leaves no database behind.
async fn restore_sqlite(database: &Path, input: &Path) -> anyhow::Result<()> {
    let wal = database.with_extension("sqlite-wal");
    if database.exists() || wal.exists() {
        bail!(
            "{} already holds a database; restore only into a fresh data directory (or remove it first, if you mean to replace it)",
            shown(database)
        );
    }
    let staging = database.with_extension("sqlite.restoring");
    std::fs::copy(input, &staging).with_context(|| format!("cannot copy {} to {}", shown(input), shown(&staging)))?;
    let checked = integrity_check(&staging).await;
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    std::fs::rename(&staging, database)
        .with_context(|| format!("cannot move {} to {}", shown(&staging), shown(database)))?;
    Ok(())
}

async fn integrity_check(path: &Path) -> anyhow::Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open the backup copy {}", shown(path)))?;
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("cannot check {}", shown(path)))?;
    conn.close().await.ok();
    if result != "ok" {
        bail!("the backup is damaged: integrity check says {result}");
    }
    Ok(())
}

async fn restore_postgres(url: &str, input: &Path) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to {}", shown_url(url)))?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await
    .context("cannot list the tables of the target database")?;
    conn.close().await.ok();
    if tables > 0 {
        bail!(
            "the database {} is not empty ({tables} tables); restore only into a new, empty database (createdb -O USER NAME)",
            shown_url(url)
        );
    }
    pg_tool("pg_restore", url)
        .arg("--no-owner")
        .arg("--exit-on-error")
        .arg("--single-transaction")
        .arg(input)
        .status_ok()
}

/// A PostgreSQL client tool pointed at `url`; the password goes in `PGPASSWORD`, not on the
/// command line that other users of the machine can read.
fn pg_tool(tool: &str, url: &str) -> Command {
    let mut command = Command::new(tool);
    match split_password(url) {
        Some((without, password)) => {
            command.arg("--dbname").arg(without).env("PGPASSWORD", password);
        }
        None => {
            command.arg("--dbname").arg(url);
        }
    }
    command
}

/// The URL without its password, and the password percent-decoded.
fn split_password(url: &str) -> Option<(String, String)> {
    let scheme_end = url.find("://")? + 3;
    let at = scheme_end + url[scheme_end..].rfind('@')?;
    let colon = scheme_end + url[scheme_end..at].find(':')?;
    let password = percent_decode(&url[colon + 1..at]);
    Some((format!("{}{}", &url[..colon], &url[at..]), password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

trait StatusOk {
    fn status_ok(&mut self) -> anyhow::Result<()>;
}

impl StatusOk for Command {
    /// Runs the tool; a missing tool says what to install.
    fn status_ok(&mut self) -> anyhow::Result<()> {
        let tool = self.get_program().to_string_lossy().into_owned();
        let status = self.status().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!("{tool} is not installed: install the PostgreSQL client tools (Debian: apt-get install postgresql-client), of the server's major version or newer")
            } else {
                anyhow::Error::new(e).context(format!("cannot run {tool}"))
            }
        })?;
        if !status.success() {
            bail!("{tool} failed ({status}); its messages are above");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_decoded() {
        let (url, password) = split_password("postgres://kv:p%40ss:w@db:5432/reg").expect("has a password");
        assert_eq!(url, "postgres://kv@db:5432/reg");
        assert_eq!(password, "p@ss:w");
        assert!(split_password("postgres://kv@db/reg").is_none());
    }
}
