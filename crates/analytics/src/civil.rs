//! Calendar dates as Arrow `Date32` day numbers (days since 1970-01-01) and back, so the
//! columns keep dates as plain integers and date arithmetic is integer arithmetic.

use jiff::civil::Date;

/// The day number of a calendar date (proleptic Gregorian; negative before 1970).
pub fn day_number(date: Date) -> i32 {
    days_from_civil(i32::from(date.year()), i32::from(date.month()), i32::from(date.day()))
}

/// The calendar date of a day number, or `None` outside the years jiff knows (-9999..=9999).
pub fn date_of_day(day: i32) -> Option<Date> {
    let (year, month, day) = civil_from_days(day);
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// Days since 1970-01-01 of year-month-day: the era-based method (400-year cycles of
/// 146,097 days), exact for every proleptic Gregorian date.
pub fn days_from_civil(year: i32, month: i32, day: i32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Year, month (1–12) and day (1–31) of a day number; the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i32) -> (i32, i32, i32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // A day number is an i32, so the year is far inside i32.
    (year as i32, month as i32, day as i32)
}

/// Completed years from one day to another, as `kvalreg_core::time::years_between`: a
/// birthday on 29 February is reached on 1 March in other years; negative when `to` is earlier.
pub fn years_between(from: i32, to: i32) -> i64 {
    if to < from {
        return -years_between(to, from);
    }
    let (fy, fm, fd) = civil_from_days(from);
    let (ty, tm, td) = civil_from_days(to);
    let years = i64::from(ty) - i64::from(fy);
    if (tm, td) < (fm, fd) { years - 1 } else { years }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_jiff_over_centuries() {
        let epoch = jiff::civil::date(1970, 1, 1);
        let mut date = jiff::civil::date(1600, 1, 1);
        let end = jiff::civil::date(2400, 12, 31);
        while date <= end {
            let expected = epoch.until(date).expect("span").get_days();
            assert_eq!(day_number(date), expected, "{date}");
            assert_eq!(date_of_day(expected), Some(date));
            date = date.tomorrow().expect("in range");
        }
    }

    #[test]
    fn years_between_matches_the_core() {
        let days = [-40_000, -1, 0, 59, 60, 365, 11_016, 11_017, 19_782, 19_783, 20_000];
        for &a in &days {
            for &b in &days {
                let (da, db) = (date_of_day(a).expect("date"), date_of_day(b).expect("date"));
                assert_eq!(
                    years_between(a, b),
                    kvalreg_core::time::years_between(da, db),
                    "{da} {db}"
                );
            }
        }
    }
}
