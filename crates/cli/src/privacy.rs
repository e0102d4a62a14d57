//! `kvalreg audit verify` and `kvalreg reservation add|withdraw`: the operator's side of the
//! audit chain and of a person's opt-out. National ids come from stdin, never from the
//! command line, which other users of the machine can read in the process list.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use kvalreg_store::{AuditFilter, AuditProblem};

use crate::options::{Global, ReservationArgs, open_data_store, open_platform};

/// Checks the whole audit chain; prints the entry count and head hash (worth recording
/// outside the database: removing the newest entries leaves a shorter valid chain) or names
/// the first bad entry and fails. With `anchors`, every anchored entry must still carry its
/// recorded hash.
pub async fn verify(global: &Global, anchors: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = open_data_store(global).await?;
    let report = store.verify_audit().await.context("cannot read the audit log")?;
    match report.first_bad {
        None => {
            if let Some(path) = anchors {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("cannot read anchors {}", path.display()))?;
                for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let mut parts = line.split_whitespace();
                    let (Some(seq), Some(hash)) = (parts.next().and_then(|s| s.parse::<i64>().ok()), parts.next())
                    else {
                        bail!("{} line {}: not `<entry> <hash> [time]`", path.display(), number + 1);
                    };
                    let filter = AuditFilter {
                        after_seq: Some(seq - 1),
                        limit: 1,
                        ..AuditFilter::default()
                    };
                    let entry = store
                        .audit_entries(&filter)
                        .await
                        .context("cannot read the audit log")?;
                    match entry.first().filter(|e| e.seq == seq) {
                        None => {
                            eprintln!(
                                "audit log broken: entry {seq}, anchored in {}, is gone (the newest entries were removed)",
                                path.display()
                            );
                            return Ok(ExitCode::FAILURE);
                        }
                        Some(e) if e.hash != hash => {
                            eprintln!(
                                "audit log broken: entry {seq} no longer has the hash anchored in {} (the chain was rewritten)",
                                path.display()
                            );
                            return Ok(ExitCode::FAILURE);
                        }
                        Some(_) => {}
                    }
                }
            }
            println!("audit log intact: {} entries, head {}", report.entries, report.head);
            Ok(ExitCode::SUCCESS)
        }
        Some((seq, problem)) => {
            let why = match problem {
                AuditProblem::Missing => "is missing or out of order (an entry was removed or moved)",
                AuditProblem::BrokenLink => "does not follow the entry before it (entries were removed or reordered)",
                AuditProblem::Altered => "was altered (its contents do not match its hash)",
            };
            eprintln!("audit log broken: entry {seq} {why}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Appends `<entries> <head hash> <time>` to the anchor file.
pub async fn anchor(global: &Global, path: &Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    let store = open_data_store(global).await?;
    let report = store.verify_audit().await.context("cannot read the audit log")?;
    if let Some((seq, _)) = report.first_bad {
        bail!("the audit log is broken at entry {seq}: run `kvalreg audit verify`; nothing anchored");
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open anchors {}", path.display()))?;
    writeln!(file, "{} {} {}", report.entries, report.head, jiff::Timestamp::now())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write anchors {}", path.display()))?;
    println!(
        "anchored entry {} ({}) in {}",
        report.entries,
        report.head,
        path.display()
    );
    Ok(())
}

/// The national id on the first line of stdin.
pub(crate) fn national_id_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the national id from stdin")?;
    let id = line.trim().to_owned();
    if id.is_empty() {
        bail!("no national id on stdin: pipe or type it (it is never taken from the command line)");
    }
    Ok(id)
}

/// Records a reservation read from stdin; prints how many registrations were deleted.
pub async fn add(global: &Global, args: ReservationArgs) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let id = national_id_from_stdin()?;
    let deleted = platform
        .reserve(&args.register, &id, &args.actor)
        .await
        .context("the reservation was not recorded")?;
    println!(
        "reservation recorded for {}; {deleted} registration(s) deleted",
        args.register
    );
    Ok(())
}

/// Withdraws a reservation read from stdin; fails if there was none.
pub async fn withdraw(global: &Global, args: ReservationArgs) -> anyhow::Result<ExitCode> {
    let platform = open_platform(global).await?;
    let id = national_id_from_stdin()?;
    let removed = platform
        .withdraw_reservation(&args.register, &id, &args.actor)
        .await
        .context("the reservation was not withdrawn")?;
    if removed {
        println!("reservation withdrawn for {}", args.register);
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("the person has no reservation for {}", args.register);
        Ok(ExitCode::FAILURE)
    }
}
