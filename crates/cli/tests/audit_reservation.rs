//! `kvalreg audit verify` and `kvalreg reservation add|withdraw` run as the real binary on a
//! SQLite data directory: a tampered audit row is named, a reservation read from stdin
//! deletes the person's registrations and refuses them on the next import; `kvalreg insight
//! issue-code` prints a one-time access code for a national id read from stdin.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};

use sqlx::{Connection, SqliteConnection};

/// Runs kvalreg with `input` on stdin.
fn with_stdin(root: &Path, args: &[&str], input: &str) -> Output {
    let mut child = common::kvalreg(root)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kvalreg");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for kvalreg")
}

async fn tamper(root: &Path, sql: &str) {
    let url = format!("sqlite://{}", root.join("data").join("kvalreg.sqlite").display());
    let mut conn = SqliteConnection::connect(&url).await.expect("open the database");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect("tamper");
}

#[tokio::test]
async fn audit_verify_names_a_tampered_entry_and_reservations_refuse_the_person() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set = common::synthetic_set(1, 5);
    let (doc, status) = &set[0];
    let national_id = doc["national_id"].as_str().expect("national id").to_owned();
    let others: Vec<_> = set
        .iter()
        .filter(|(d, _)| d["national_id"] != doc["national_id"])
        .take(2)
        .collect();
    let mut lines = vec![common::ndjson_line(doc, *status)];
    lines.extend(others.iter().map(|(d, s)| common::ndjson_line(d, *s)));
    std::fs::write(root.join("first.ndjson"), lines.join("\n") + "\n").expect("write import file");
    common::ok(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", "first.ndjson"],
    );

    let intact = common::ok(root, &["--data-dir", "data", "audit", "verify"]);
    assert!(intact.starts_with("audit log intact: 3 entries, head "), "{intact}");

    let out = with_stdin(
        root,
        &["--data-dir", "data", "reservation", "add", "--register", "stroke"],
        &format!("{national_id}\n"),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("1 registration(s) deleted"), "{said}");
    assert!(!said.contains(&national_id) && !common::stderr(&out).contains(&national_id));
    assert_eq!(common::stored_count(&root.join("data")).await, 2);

    std::fs::write(root.join("again.ndjson"), common::ndjson_line(doc, *status) + "\n").expect("write");
    let out = common::run(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", "again.ndjson"],
    );
    let stderr = common::stderr(&out);
    assert!(!out.status.success(), "a reserved person must be refused:\n{stderr}");
    assert!(stderr.contains("line 1: national_id: reserved: "), "{stderr}");

    let empty = with_stdin(
        root,
        &["--data-dir", "data", "reservation", "add", "--register", "stroke"],
        "\n",
    );
    assert!(!empty.status.success());
    assert!(
        common::stderr(&empty).contains("no national id on stdin"),
        "{}",
        common::stderr(&empty)
    );

    let out = with_stdin(
        root,
        &["--data-dir", "data", "reservation", "withdraw", "--register", "stroke"],
        &national_id,
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let again = with_stdin(
        root,
        &["--data-dir", "data", "reservation", "withdraw", "--register", "stroke"],
        &national_id,
    );
    assert!(!again.status.success(), "there is nothing left to withdraw");
    common::ok(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", "again.ndjson"],
    );

    let intact = common::ok(root, &["--data-dir", "data", "audit", "verify"]);
    assert!(intact.starts_with("audit log intact: 7 entries"), "{intact}");

    tamper(root, "UPDATE audit SET actor = 'someone else' WHERE seq = 2").await;
    let out = common::run(root, &["--data-dir", "data", "audit", "verify"]);
    let stderr = common::stderr(&out);
    assert!(!out.status.success(), "a tampered log must fail verification");
    assert!(stderr.contains("entry 2 was altered"), "{stderr}");

    tamper(root, "DELETE FROM audit WHERE seq = 1").await;
    let out = common::run(root, &["--data-dir", "data", "audit", "verify"]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("entry 1 is missing"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn users_are_added_with_a_password_from_stdin_listed_and_disabled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let hospitals = common::ok(root, &["--data-dir", "data", "hospitals", "list"]);
    let code = hospitals
        .lines()
        .nth(1)
        .and_then(|line| line.split(',').next())
        .expect("a reference hospital")
        .to_owned();
    let grant = format!("registrar:stroke:{code}");
    let password = "a synthetic passphrase";

    let out = with_stdin(
        root,
        &[
            "--data-dir",
            "data",
            "user",
            "add",
            "kari",
            "--grant",
            &grant,
            "--grant",
            "auditor",
        ],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    let refused = with_stdin(
        root,
        &[
            "--data-dir",
            "data",
            "user",
            "add",
            "per",
            "--grant",
            "unit_lead:stroke",
        ],
        &format!("{password}\n"),
    );
    assert!(!refused.status.success());
    assert!(
        common::stderr(&refused).contains("hospital: required"),
        "{}",
        common::stderr(&refused)
    );
    let short = with_stdin(root, &["--data-dir", "data", "user", "add", "per"], "short\n");
    assert!(
        common::stderr(&short).contains("password: length"),
        "{}",
        common::stderr(&short)
    );
    let unknown = common::run(root, &["--data-dir", "data", "user", "add", "per", "--grant", "boss"]);
    assert!(
        common::stderr(&unknown).contains("unknown role"),
        "{}",
        common::stderr(&unknown)
    );

    let listed = common::ok(root, &["--data-dir", "data", "user", "list"]);
    assert_eq!(
        listed,
        format!("name,active,grants\nkari,true,registrar:stroke:{code} auditor\n")
    );
    common::ok(root, &["--data-dir", "data", "user", "disable", "kari"]);
    let listed = common::ok(root, &["--data-dir", "data", "user", "list"]);
    assert!(listed.contains("kari,false,"), "{listed}");
    let missing = common::run(root, &["--data-dir", "data", "user", "disable", "nobody"]);
    assert!(!missing.status.success());

    let intact = common::ok(root, &["--data-dir", "data", "audit", "verify"]);
    assert!(
        intact.starts_with("audit log intact: 2 entries"),
        "user.add and user.disable: {intact}"
    );
    for name in ["kvalreg.sqlite", "kvalreg.sqlite-wal"] {
        let file = std::fs::read(root.join("data").join(name)).unwrap_or_default();
        assert!(
            !file.windows(password.len()).any(|w| w == password.as_bytes()),
            "{name} holds the password"
        );
    }
}

#[tokio::test]
async fn an_anchored_head_catches_removed_newest_entries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set = common::synthetic_set(1, 9);
    let lines: Vec<String> = set.iter().take(5).map(|(d, s)| common::ndjson_line(d, *s)).collect();
    std::fs::write(root.join("five.ndjson"), lines.join("\n") + "\n").expect("write");
    common::ok(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", "five.ndjson"],
    );
    let anchors = root.join("anchors.txt");
    let said = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "audit",
            "anchor",
            "--append",
            &anchors.display().to_string(),
        ],
    );
    assert!(said.starts_with("anchored entry 5 "), "{said}");
    let verify = [
        "--data-dir",
        "data",
        "audit",
        "verify",
        "--anchors",
        &anchors.display().to_string(),
    ];
    assert!(common::ok(root, &verify).starts_with("audit log intact: 5 entries"));
    // Removing the newest entries leaves a valid shorter chain; only the anchor notices.
    tamper(root, "DELETE FROM audit WHERE seq >= 4").await;
    assert!(common::ok(root, &["--data-dir", "data", "audit", "verify"]).starts_with("audit log intact: 3 entries"));
    let out = common::run(root, &verify);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("entry 5, anchored in"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn insight_access_codes_are_issued_for_a_national_id_from_stdin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let set = common::synthetic_set(1, 1);
    let national_id = set[0].0["national_id"].as_str().expect("national id").to_owned();
    let issue = ["--data-dir", "data", "insight", "issue-code", "--register", "stroke"];

    let out = with_stdin(root, &issue, &format!("{national_id}\n"));
    assert!(out.status.success(), "{}", common::stderr(&out));
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let groups: Vec<&str> = code.split('-').collect();
    assert!(
        groups.len() == 3
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric())),
        "{code}"
    );
    let said = common::stderr(&out);
    assert!(said.contains("valid once until"), "{said}");
    assert!(!said.contains(&national_id));
    let again = with_stdin(root, &issue, &format!("{national_id}\n"));
    assert_ne!(
        String::from_utf8_lossy(&again.stdout).trim(),
        code,
        "a fresh code each time"
    );

    let malformed = with_stdin(root, &issue, "12345678901\n");
    assert!(!malformed.status.success());
    assert!(
        common::stderr(&malformed).contains("national_id"),
        "{}",
        common::stderr(&malformed)
    );
    let unknown = with_stdin(
        root,
        &["--data-dir", "data", "insight", "issue-code", "--register", "hip"],
        &format!("{national_id}\n"),
    );
    assert!(
        common::stderr(&unknown).contains("no register called `hip`"),
        "{}",
        common::stderr(&unknown)
    );

    let intact = common::ok(root, &["--data-dir", "data", "audit", "verify"]);
    assert!(intact.starts_with("audit log intact: 2 entries"), "{intact}");
}
