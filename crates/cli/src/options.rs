//! The command line: global options (data directory, database, register folders) and the
//! subcommands, and how the global options resolve into a store and a platform.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kvalreg_app::{DataDir, FileFormat, Platform, load_registers, seed_reference_hospitals};
use kvalreg_store::Store;

#[derive(Parser)]
#[command(name = "kvalreg", version, about = "Runs national medical quality registers")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Global {
    /// The data directory: key file, SQLite database, demo marker [default: data; data-demo with serve --demo]
    #[arg(long, global = true, env = "KVALREG_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite://PATH or postgres://...) [default: the SQLite file in the data directory]
    #[arg(long, global = true, env = "KVALREG_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The folder of register definition folders
    #[arg(long, global = true, env = "KVALREG_REGISTERS", default_value = "registers")]
    pub registers: PathBuf,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create the data directory, the key file and the database, and add the reference hospitals
    Init,
    /// Run the web app and the JSON API
    Serve(ServeArgs),
    /// Import registrations from an NDJSON or CSV file: all lines or none
    Import(ImportArgs),
    /// Export a register's registrations as NDJSON or CSV
    Export(ExportArgs),
    /// Check register definitions or print their codebook
    Definitions {
        #[command(subcommand)]
        command: DefinitionsCommand,
    },
    /// List or update the hospital list
    Hospitals {
        #[command(subcommand)]
        command: HospitalsCommand,
    },
    /// Check the audit log's hash chain
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Record or withdraw a person's reservation (opt-out); the national id is read from stdin
    Reservation {
        #[command(subcommand)]
        command: ReservationCommand,
    },
    /// Issue a person a one-time access code for patient insight, to send by letter; the
    /// national id is read from stdin
    Insight {
        #[command(subcommand)]
        command: InsightCommand,
    },
    /// Compute reports as JSON: quality indicators, coverage, award status
    Report {
        #[command(subcommand)]
        command: crate::report::ReportCommand,
    },
    /// Approve research projects and write their pseudonymised extracts with a codebook
    Research {
        #[command(subcommand)]
        command: crate::research::ResearchCommand,
    },
    /// Write an online, consistent backup of the database (not the key file)
    Backup(BackupArgs),
    /// Restore a backup into a fresh data directory or an empty PostgreSQL database
    Restore(RestoreArgs),
    /// Add, list or disable users; a new user's password is read from stdin
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Add, list or revoke API tokens for systems
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Rotate the key file's encryption key (stop every `kvalreg serve` first)
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Seal every national id and second factor again under a new encryption key; the old
    /// key file is kept as kvalreg.keys.old-<time> for backups made with it
    Rotate {
        /// Who rotates, for the audit log
        #[arg(long, default_value = "operator")]
        actor: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password (at least 12 characters) is read from stdin
    Add(UserAddArgs),
    /// Print every user and their roles as CSV
    List,
    /// Disable a user
    Disable {
        name: String,
        /// Who disables the user, for the audit log
        #[arg(long, default_value = "operator")]
        actor: String,
    },
    /// Remove a user's second factor and recovery codes and end their sessions (lost phone);
    /// they enrol again at their next sign-in
    #[command(name = "reset-2fa")]
    ResetSecondFactor {
        name: String,
        /// Who resets it, for the audit log
        #[arg(long, default_value = "operator")]
        actor: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Add an API token with one role; prints the token once (it is kept only as a hash)
    Add {
        /// The token's name (lower-case a-z, digits, . _ - @), e.g. the system using it
        name: String,
        /// The role as role[:register[:hospital]], e.g. registrar:stroke:AHUS
        #[arg(long)]
        grant: String,
        /// Who adds the token, for the audit log
        #[arg(long, default_value = "operator")]
        actor: String,
    },
    /// Print every token (never the token itself) as CSV
    List,
    /// Revoke a token at once
    Revoke {
        name: String,
        /// Who revokes the token, for the audit log
        #[arg(long, default_value = "operator")]
        actor: String,
    },
}

#[derive(Args)]
pub struct UserAddArgs {
    /// The user name (lower-case a-z, digits, . _ - @)
    pub name: String,
    /// A role as role[:register[:hospital]], e.g. registrar:stroke:AHUS or auditor; repeatable
    #[arg(long)]
    pub grant: Vec<String>,
    /// Who adds the user, for the audit log
    #[arg(long, default_value = "operator")]
    pub actor: String,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every entry; exits non-zero naming the first altered, removed or reordered one
    Verify {
        /// A file of anchors written by `audit anchor`: each recorded entry must still be
        /// there with the same hash (catches the newest entries being removed)
        #[arg(long)]
        anchors: Option<PathBuf>,
    },
    /// Append the chain's head (entry number and hash) to a file kept outside the database
    /// (another machine, write-once storage, a printed report)
    Anchor {
        /// The anchor file to append to
        #[arg(long)]
        append: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum ReservationCommand {
    /// Record a reservation and delete the person's registrations in the register
    Add(ReservationArgs),
    /// Withdraw a reservation
    Withdraw(ReservationArgs),
}

#[derive(Args)]
pub struct ReservationArgs {
    /// The register the reservation is for (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// Who records it, for the audit log
    #[arg(long, default_value = "register-admin")]
    pub actor: String,
}

#[derive(Subcommand)]
pub enum InsightCommand {
    /// Issue a one-time access code (valid 30 days); prints the code once (it is kept only as a hash)
    IssueCode(IssueCodeArgs),
}

#[derive(Args)]
pub struct IssueCodeArgs {
    /// The register whose staff issue the code (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// Who issues it, for the audit log
    #[arg(long, default_value = "register-admin")]
    pub actor: String,
}

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to write (never overwritten)
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup file to restore
    #[arg(long)]
    pub input: PathBuf,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Start on a fresh demo data directory filled with synthetic registrations and demo
    /// users (printed at start; they sign in with a password only)
    #[arg(long)]
    pub demo: bool,
    /// Minutes a session may stay unused before it is signed out
    #[arg(long, env = "KVALREG_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..))]
    pub session_idle_minutes: u16,
    /// Let users without a second factor in with their password alone (never in production)
    #[arg(long, env = "KVALREG_PASSWORD_ONLY")]
    pub password_only: bool,
    /// Send the session cookie without `Secure`, for plain HTTP on a host other than localhost
    /// (behind TLS leave this off)
    #[arg(long, env = "KVALREG_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The register to import into (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// The file to import
    pub file: PathBuf,
    /// The file's format [default: from the file's extension: .ndjson/.jsonl or .csv]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Who the new registrations are recorded as written by
    #[arg(long, default_value = "import")]
    pub actor: String,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The register to export (e.g. stroke)
    #[arg(long)]
    pub register: String,
    /// ndjson and csv as import reads them, or parquet (typed columns; needs --output)
    #[arg(long, value_enum)]
    pub format: crate::transfer::ExportFileFormat,
    /// Write to this file instead of stdout
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Who the export is recorded as made by in the audit log
    #[arg(long, default_value = "export")]
    pub actor: String,
}

#[derive(Subcommand)]
pub enum DefinitionsCommand {
    /// Load and check a register folder; lists every error as file:line: reason
    Check { dir: PathBuf },
    /// Print a register's codebook as CSV
    Codebook { dir: PathBuf },
}

#[derive(Subcommand)]
pub enum HospitalsCommand {
    /// Print the hospital list as CSV
    List,
    /// Add or update hospitals from a CSV file (code,name,health_trust,health_region,evt_centre[,active])
    Import { file: PathBuf },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Ndjson,
    Csv,
}

impl From<Format> for FileFormat {
    fn from(format: Format) -> FileFormat {
        match format {
            Format::Ndjson => FileFormat::Ndjson,
            Format::Csv => FileFormat::Csv,
        }
    }
}

impl Global {
    /// The data directory, with the default for ordinary (non-demo) use.
    pub fn data_root(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| PathBuf::from("data"))
    }

    /// The database URL: the given one, or the data directory's SQLite file.
    pub fn database_url(&self, data: &DataDir) -> String {
        self.database_url.clone().unwrap_or_else(|| data.sqlite_url())
    }
}

/// A URL as it may be shown: without the password.
pub fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Opens the store a URL names and adds the reference hospitals to an empty hospital list.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = kvalreg_store::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", shown_url(url)))?;
    let added = seed_reference_hospitals(store.as_ref())
        .await
        .context("cannot add the reference hospitals")?;
    if added > 0 {
        eprintln!("added {added} reference hospitals to the hospital list");
    }
    Ok(store)
}

/// The platform of an initialised data directory: registers loaded and checked, keys
/// read, database opened.
pub async fn open_platform(global: &Global) -> anyhow::Result<Platform> {
    let registers = load_registers(&global.registers)?;
    let data = DataDir::open(&global.data_root())?;
    let keys = data.keys()?;
    let store = open_store(&global.database_url(&data)).await?;
    Ok(Platform::new(store, registers, keys))
}

/// The store of an initialised data directory (hospital administration needs no registers).
pub async fn open_data_store(global: &Global) -> anyhow::Result<Arc<dyn Store>> {
    let data = DataDir::open(&global.data_root())?;
    open_store(&global.database_url(&data)).await
}

/// `path` for messages.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}
