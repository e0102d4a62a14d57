//! `kvalreg init`, `kvalreg serve` and `kvalreg keys rotate`: setting up a data directory,
//! running the web app on it (or on a fresh demo directory with synthetic data), and
//! moving it to a new encryption key.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use kvalreg_app::{DEMO_PASSWORD, DataDir, Platform, load_registers, seed_demo, seed_demo_users};
use kvalreg_web::WebOptions;

use crate::options::{Global, ServeArgs, open_store, shown, shown_url};

/// Creates the data directory, its key file and the database, and adds the hospitals.
pub async fn init(global: &Global) -> anyhow::Result<()> {
    let data = DataDir::init(&global.data_root())?;
    println!("created data directory {}", shown(&data.root));
    println!(
        "created key file {} (back it up and keep it secret: without it the stored national ids cannot be read)",
        shown(&data.root.join("kvalreg.keys"))
    );
    let url = global.database_url(&data);
    open_store(&url).await?;
    println!("database ready: {}", shown_url(&url));
    Ok(())
}

/// Loads the registers, opens (or, with --demo, creates) the data, then serves until
/// Ctrl-C or SIGTERM.
pub async fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let registers = load_registers(&global.registers)?;
    let (data, url) = if args.demo {
        if let Some(url) = &global.database_url {
            bail!(
                "--demo uses the SQLite database of its own demo data directory and never another \
                 database ({}); unset --database-url / KVALREG_DATABASE_URL for the demo",
                shown_url(url)
            );
        }
        let root = global.data_dir.clone().unwrap_or_else(|| PathBuf::from("data-demo"));
        let data = DataDir::init_demo(&root)?;
        let url = data.sqlite_url();
        (data, url)
    } else {
        let data = DataDir::open(&global.data_root())?;
        let url = global.database_url(&data);
        (data, url)
    };
    let store = open_store(&url).await?;
    let platform = Platform::new(store, registers, data.keys()?);
    if args.demo {
        let seeded = seed_demo(&platform).await.context("cannot seed the demo data")?;
        eprintln!(
            "seeded {seeded} synthetic stroke registrations in {} (synthetic data: made-up persons with synthetic test ids)",
            shown(&data.root)
        );
        let users = seed_demo_users(&platform).await.context("cannot add the demo users")?;
        eprintln!("demo users (password {DEMO_PASSWORD}, no second factor):");
        for (name, grant) in users {
            eprintln!("  {name:<10} {grant}");
        }
    }
    let platform = Arc::new(platform);
    let indicators = kvalreg_app::indicators::IndicatorColumns::start(Arc::clone(&platform))
        .await
        .context("cannot build the indicator columns")?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr().context("cannot read the listening address")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "kvalreg listening on http://{address}/").and_then(|()| stdout.flush())?;
    let options = WebOptions {
        demo: args.demo,
        session_idle: jiff::SignedDuration::from_mins(i64::from(args.session_idle_minutes)),
        second_factor_required: !(args.password_only || args.demo),
        secure_cookies: !args.insecure_cookies,
    };
    kvalreg_web::serve_with_indicators(listener, platform, options, indicators)
        .await
        .context("the web server stopped")
}

/// Stages new keys, seals the database under them in one transaction, then makes them the
/// key file. An interruption leaves `kvalreg.keys.new` and a message saying what to do.
pub async fn rotate_keys(global: &Global, actor: &str) -> anyhow::Result<()> {
    let data = DataDir::open(&global.data_root())?;
    let platform = crate::options::open_platform(global).await?;
    let new = data
        .keys()?
        .with_new_encryption_key()
        .context("cannot make a new key")?;
    data.stage_new_keys(&new)?;
    let rotated = match platform.reseal(&new, actor).await {
        Ok(rotated) => rotated,
        Err(err) => {
            data.discard_new_keys()?;
            return Err(anyhow::Error::new(err).context("the database was not sealed under a new key; nothing changed"));
        }
    };
    let old = data.commit_new_keys()?;
    println!(
        "sealed {} national ids and {} second factors under a new encryption key; the old key file is {} (keep it while backups made before now may be restored)",
        rotated.registrations,
        rotated.second_factors,
        shown(&old)
    );
    Ok(())
}
