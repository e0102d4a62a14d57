//! `kvalreg insight issue-code`: register staff issue a person a one-time access code for
//! patient insight, to print in a letter; the national id comes from stdin, never the
//! command line.

use anyhow::Context as _;

use crate::options::{Global, IssueCodeArgs, open_platform};
use crate::privacy::national_id_from_stdin;

/// Issues a code for the national id on stdin and prints it with its expiry.
pub async fn issue_code(global: &Global, args: IssueCodeArgs) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let id = national_id_from_stdin()?;
    let issued = platform
        .issue_insight_code(&args.register, &id, &args.actor, jiff::Timestamp::now())
        .await
        .context("no access code was issued")?;
    println!("{}", issued.code);
    eprintln!(
        "access code issued for {}; valid once until {} (the person enters it at /insight/code)",
        args.register,
        issued.expires.strftime("%Y-%m-%d %H:%M UTC")
    );
    Ok(())
}
