//! Award status of a register's hospitals per quarter (docs/indicators.md, "Awards"),
//! computed from the database's complete and locked registrations.

use jiff::civil::Date;
use kvalreg_analytics::{AwardResult, awards};

use crate::indicators::{read_register, units};
use crate::{AppError, Platform};

/// Award status per hospital and quarter of `register`, counting registrations up to `as_of`.
pub async fn award_status(platform: &Platform, register: &str, as_of: Date) -> Result<Vec<AwardResult>, AppError> {
    let definition = platform.register(register)?;
    let hospitals = platform.hospital_codes().await?;
    let (columns, _) = read_register(platform, definition, &hospitals).await?;
    awards(definition, &columns, &units(platform).await?, as_of).map_err(AppError::Format)
}
