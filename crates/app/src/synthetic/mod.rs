//! Realistic synthetic stroke registrations for the demo and for tests: made-up persons with
//! synthetic test ids, plausible case mix and times, deterministic for a seed. Never real data.

mod draw;
mod stroke;
mod test_id;

use std::ops::RangeInclusive;

use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp, ToSpan as _};
use kvalreg_core::time::oslo_date;
use kvalreg_core::value::Moment;
use kvalreg_store::{Hospital, Status};
use serde_json::{Map, Value as Json};

use draw::Generator;

pub use test_id::synthetic_national_id;

/// Synthetic stroke registrations: for every hospital and year, `per_hospital_year`
/// registrations with arrival in that year (never later than a month before today).
pub fn stroke_registrations(
    hospitals: &[Hospital],
    years: RangeInclusive<i16>,
    per_hospital_year: usize,
    seed: u64,
) -> Vec<(Map<String, Json>, Status)> {
    let today = oslo_date(&Moment::At(Timestamp::now()));
    stroke_registrations_as_of(today, hospitals, years, per_hospital_year, seed)
}

/// As [`stroke_registrations`], as seen on `today` (which decides what is recent enough to
/// still be a draft and which follow-ups are due): the same inputs give the same output.
pub fn stroke_registrations_as_of(
    today: Date,
    hospitals: &[Hospital],
    years: RangeInclusive<i16>,
    per_hospital_year: usize,
    seed: u64,
) -> Vec<(Map<String, Json>, Status)> {
    let mut generator = Generator::new(seed, today);
    let latest_arrival = today.saturating_sub(30.days());
    let mut out = Vec::new();
    for hospital in hospitals {
        for year in years.clone() {
            let Some(window) = ArrivalWindow::of_year(year, latest_arrival) else {
                continue;
            };
            for _ in 0..per_hospital_year {
                if let Some(registration) = generator.registration(hospital, hospitals, &window) {
                    out.push(registration);
                }
            }
        }
    }
    out
}

/// The instants an arrival may fall between.
pub(super) struct ArrivalWindow {
    pub(super) start: Timestamp,
    pub(super) minutes: i64,
}

impl ArrivalWindow {
    fn of_year(year: i16, latest: Date) -> Option<ArrivalWindow> {
        let first = Date::new(year, 1, 1).ok()?;
        let last = Date::new(year, 12, 31).ok()?.min(latest);
        if last < first {
            return None;
        }
        let start = midnight_utc(first)?;
        let end = midnight_utc(last.tomorrow().ok()?)?;
        let minutes = start.duration_until(end).as_mins();
        Some(ArrivalWindow { start, minutes })
    }
}

fn midnight_utc(date: Date) -> Option<Timestamp> {
    Offset::UTC.to_timestamp(date.to_datetime(Time::midnight())).ok()
}

pub(super) fn after(instant: Timestamp, minutes: i64) -> Timestamp {
    instant
        .saturating_add(SignedDuration::from_mins(minutes))
        .unwrap_or(instant)
}
