//! What the reliability tests share: a `kvalreg serve` process on SQLite or on a fresh
//! PostgreSQL database, killed (also with SIGKILL) and restarted on the same data, and a
//! keep-alive HTTP client that reads every answer in full.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value as Json;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::common;

const ENV: &str = "KVALREG_TEST_DATABASE_URL";

/// The PostgreSQL server the tests may create databases on. Fails (never skips) without it.
pub fn admin_url() -> String {
    match std::env::var(ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{ENV} is not set, so the PostgreSQL half of the reliability tests cannot run. Start \
             PostgreSQL with a role that may create databases and set, for example:\n  \
             export {ENV}=postgres://kvalreg:kvalreg@localhost:5432/kvalreg_test"
        ),
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, String::new()), |(b, q)| (b, format!("?{q}")));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let stem = base[authority..]
        .find('/')
        .map_or(base, |slash| &base[..authority + slash]);
    format!("{stem}/{database}{query}")
}

/// Runs a future to completion on a runtime of its own (the tests themselves are blocking).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn admin(sql: String) {
    block_on(async move {
        let mut conn = PgConnection::connect(&admin_url())
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("admin statement");
        conn.close().await.expect("close");
    });
}

/// A new, empty PostgreSQL database, dropped when this is dropped.
pub struct FreshPostgres {
    pub name: String,
    pub url: String,
}

impl FreshPostgres {
    pub fn new(prefix: &str) -> FreshPostgres {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos();
        let name = format!("kvalreg_{prefix}_{}_{nanos}", std::process::id());
        admin(format!("CREATE DATABASE {name}"));
        let url = with_database(&admin_url(), &name);
        FreshPostgres { name, url }
    }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).join();
    }
}

/// Where a test's data lives: a data directory, and for PostgreSQL its database.
pub struct Place {
    pub root: PathBuf,
    pub data_dir: String,
    pub postgres: Option<FreshPostgres>,
    /// The `Authorization` value of the register admin token the clients use.
    bearer: std::sync::OnceLock<String>,
}

impl Place {
    pub fn sqlite(root: &Path, data_dir: &str) -> Place {
        Place {
            root: root.to_owned(),
            data_dir: data_dir.to_owned(),
            postgres: None,
            bearer: std::sync::OnceLock::new(),
        }
    }

    pub fn postgres(root: &Path, data_dir: &str, prefix: &str) -> Place {
        Place {
            root: root.to_owned(),
            data_dir: data_dir.to_owned(),
            postgres: Some(FreshPostgres::new(prefix)),
            bearer: std::sync::OnceLock::new(),
        }
    }

    /// The global options naming this place.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.data_dir.clone()];
        if let Some(pg) = &self.postgres {
            args.extend(["--database-url".to_owned(), pg.url.clone()]);
        }
        args
    }

    /// Runs kvalreg on this place and requires success; returns stdout.
    pub fn ok(&self, more: &[&str]) -> String {
        let mut args = self.args();
        args.extend(more.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::ok(&self.root, &args)
    }

    /// Waits (at most a minute) until no session of a killed server is left on this place's
    /// PostgreSQL database: a COMMIT the server sent just before it died still completes, and
    /// a check that reads while it lands sees the registration before it and its audit
    /// entries after it. Nothing to wait for on SQLite, whose writer died with the process.
    pub fn settle(&self) {
        let Some(pg) = &self.postgres else { return };
        let name = pg.name.clone();
        block_on(async move {
            let mut conn = PgConnection::connect(&admin_url())
                .await
                .expect("connect to PostgreSQL");
            for _ in 0..600 {
                let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .expect("sessions left");
                if left == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            conn.close().await.expect("close");
        });
    }

    pub fn url(&self) -> String {
        match &self.postgres {
            Some(pg) => pg.url.clone(),
            None => format!(
                "sqlite://{}",
                self.root.join(&self.data_dir).join("kvalreg.sqlite").display()
            ),
        }
    }

    /// Imports `count` synthetic registrations (at most what the synthetic set holds).
    pub fn seed(&self, count: usize, seed: u64) -> usize {
        let set = common::synthetic_set(1, seed);
        let lines: Vec<String> = set
            .iter()
            .take(count)
            .map(|(doc, status)| common::ndjson_line(doc, *status))
            .collect();
        let file = self.root.join(format!("seed-{seed}.ndjson"));
        std::fs::write(&file, lines.join("\n") + "\n").expect("write the import file");
        self.ok(&["import", "--register", "stroke", &file.display().to_string()]);
        lines.len()
    }

    /// `Bearer <token>` of a register admin token for the stroke register, added through
    /// `kvalreg token add` the first time it is asked for.
    pub fn bearer(&self) -> &str {
        self.bearer.get_or_init(|| {
            let token = self.ok(&["token", "add", "test-client", "--grant", "register_admin:stroke"]);
            format!("Bearer {}", token.trim())
        })
    }

    pub fn serve(&self) -> Server {
        Server::start(self)
    }
}

/// A running `kvalreg serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// The `Authorization` value every client request carries.
    pub bearer: String,
    /// Everything the server wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
}

impl Server {
    fn start(place: &Place) -> Server {
        let bearer = place.bearer().to_owned();
        let mut args = place.args();
        args.extend(["serve", "--listen", "127.0.0.1:0"].map(str::to_owned));
        let mut child = common::kvalreg(&place.root)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kvalreg serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("log")
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut line = String::new();
            let _ = lines.read_line(&mut line);
            let _ = tx.send(line);
            // Keep reading so the server never blocks on a full pipe.
            let mut rest = String::new();
            while lines.read_line(&mut rest).is_ok_and(|n| n > 0) {
                rest.clear();
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
        let Some(base) = line.trim().strip_prefix("kvalreg listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(200));
            panic!("the server did not start:\n{}", log.lock().expect("log"));
        };
        let base = base.trim_end_matches('/').to_owned();
        Server {
            child,
            base,
            bearer,
            log,
        }
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no shutdown, no flushing.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_text(&self) -> String {
        self.log.lock().expect("log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive client that never turns a status into an error and never follows redirects.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .allow_non_standard_methods(true)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// An answer read in full.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

/// Sends one request; `Err` only when no answer came (connection refused or cut).
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Reply, ureq::Error> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body).map_err(ureq::Error::from)?;
    let mut response = agent.run(request)?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.body_mut().read_to_string()?;
    Ok(Reply {
        status,
        content_type,
        text,
    })
}

pub const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";
