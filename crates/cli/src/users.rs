//! `kvalreg user add|list|disable|reset-2fa` and `kvalreg token add|list|revoke`: the first
//! admin, user operations and system credentials from the command line. Passwords come
//! from stdin, never from the command line (visible in `ps`).

use std::io::BufRead;

use anyhow::{Context as _, bail};
use kvalreg_store::{Grant, Role};

use crate::options::{Global, UserAddArgs, open_platform};

/// A grant written `role[:register[:hospital]]`, e.g. `registrar:stroke:AHUS` or `auditor`.
fn parse_grant(text: &str) -> anyhow::Result<Grant> {
    let mut parts = text.split(':');
    let role_name = parts.next().unwrap_or_default();
    let Some(role) = Role::parse(role_name) else {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
        bail!("unknown role {role_name:?} in {text:?}; roles: {}", known.join(", "));
    };
    let register = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
    let hospital = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
    if parts.next().is_some() {
        bail!("a grant is role[:register[:hospital]], not {text:?}");
    }
    Ok(Grant {
        role,
        register,
        hospital,
    })
}

/// Adds a user with the password on the first line of stdin.
pub async fn add(global: &Global, args: UserAddArgs) -> anyhow::Result<()> {
    let grants = args
        .grant
        .iter()
        .map(|g| parse_grant(g))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let platform = open_platform(global).await?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']);
    platform
        .add_user(&args.name, password, &grants, &args.actor)
        .await
        .with_context(|| format!("user {} was not added", args.name))?;
    println!("user {} added with {} role(s)", args.name, grants.len());
    Ok(())
}

/// Prints every user as CSV: name, active, and grants separated by spaces.
pub async fn list(global: &Global) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let users = platform.users().await.context("cannot read the users")?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    out.write_record(["name", "active", "grants"])?;
    for user in &users {
        let grants: Vec<String> = user.grants.iter().map(Grant::to_string).collect();
        out.write_record([user.name.as_str(), &user.active.to_string(), &grants.join(" ")])?;
    }
    out.flush()?;
    Ok(())
}

/// Disables a user.
pub async fn disable(global: &Global, name: &str, actor: &str) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    platform
        .set_user_active(name, false, actor)
        .await
        .with_context(|| format!("user {name} was not disabled"))?;
    println!("user {name} disabled");
    Ok(())
}

/// Removes a user's second factor (they enrol again at their next sign-in).
pub async fn reset_second_factor(global: &Global, name: &str, actor: &str) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    platform
        .reset_second_factor(name, actor)
        .await
        .with_context(|| format!("the second factor of {name} was not reset"))?;
    println!("second factor of {name} removed and their sessions ended; they enrol again at their next sign-in");
    Ok(())
}

/// Adds an API token and prints it on stdout (the only time it is shown).
pub async fn add_token(global: &Global, name: &str, grant: &str, actor: &str) -> anyhow::Result<()> {
    let grant = parse_grant(grant)?;
    let platform = open_platform(global).await?;
    let token = platform
        .add_token(name, grant, actor)
        .await
        .with_context(|| format!("token {name} was not added"))?;
    eprintln!("token {name} added; it is shown only now, store it in the system that uses it:");
    println!("{token}");
    Ok(())
}

/// Prints every token as CSV: name, grant, created by, created and revoked (RFC 3339).
pub async fn list_tokens(global: &Global) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    let tokens = platform.tokens().await.context("cannot read the tokens")?;
    let at = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let mut out = csv::Writer::from_writer(std::io::stdout());
    out.write_record(["name", "grant", "created_by", "created_at", "revoked_at"])?;
    for token in &tokens {
        out.write_record([
            token.name.as_str(),
            &token.grant.to_string(),
            &token.created_by,
            &at(token.created_us),
            &token.revoked_us.map(at).unwrap_or_default(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Revokes a token.
pub async fn revoke_token(global: &Global, name: &str, actor: &str) -> anyhow::Result<()> {
    let platform = open_platform(global).await?;
    platform
        .revoke_token(name, actor)
        .await
        .with_context(|| format!("token {name} was not revoked"))?;
    println!("token {name} revoked");
    Ok(())
}
