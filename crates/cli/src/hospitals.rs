//! `kvalreg hospitals list|import`: the hospital list an admin maintains, as CSV.

use std::path::Path;

use anyhow::Context as _;
use kvalreg_app::parse_hospitals_csv;

use crate::options::{Global, open_data_store, shown};
use crate::transfer::read_text;

/// Prints every hospital as CSV (the import format, with the `active` column).
pub async fn list(global: &Global) -> anyhow::Result<()> {
    let store = open_data_store(global).await?;
    let hospitals = store.hospitals().await.context("cannot read the hospital list")?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    out.write_record(["code", "name", "health_trust", "health_region", "evt_centre", "active"])?;
    for h in &hospitals {
        let evt_centre = h.evt_centre.to_string();
        let active = h.active.to_string();
        out.write_record([
            &h.code,
            &h.name,
            &h.health_trust,
            &h.health_region,
            &evt_centre,
            &active,
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Adds or updates the hospitals of a CSV file, by code.
pub async fn import(global: &Global, file: &Path) -> anyhow::Result<()> {
    let hospitals = parse_hospitals_csv(&read_text(file)?).with_context(|| format!("cannot read {}", shown(file)))?;
    let store = open_data_store(global).await?;
    store
        .upsert_hospitals(&hospitals)
        .await
        .context("cannot update the hospital list")?;
    println!("added or updated {} hospitals", hospitals.len());
    Ok(())
}
