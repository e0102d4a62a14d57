//! Europe/Oslo time in and out, and intervals across daylight-saving changes, checked
//! against an independent model of the EU summer-time rule.

use jiff::Timestamp;
use jiff::civil::date;
use kvalreg_core::time::{
    days_between, format_date, format_date_norwegian, format_moment, format_moment_norwegian, minutes_between,
    oslo_date, parse_date, parse_moment, years_between,
};
use kvalreg_core::value::Moment;
use proptest::prelude::*;

fn at(text: &str) -> Moment {
    match parse_moment(text) {
        Ok(m) => m,
        Err(e) => panic!("{text}: {e}"),
    }
}

#[test]
fn spring_forward_interval_is_twenty_minutes() {
    let arrival = at("31.03.2024 01:50");
    let needle = at("31.03.2024 03:10");
    assert_eq!(minutes_between(&arrival, &needle), Some(20));
    assert_eq!(minutes_between(&needle, &arrival), Some(-20));
    assert_eq!(format_moment(&arrival), "2024-03-31T01:50+01:00");
    assert_eq!(format_moment(&needle), "2024-03-31T03:10+02:00");
}

#[test]
fn autumn_fold_means_the_earlier_instant() {
    let first = at("2024-10-27T02:50");
    assert_eq!(format_moment(&first), "2024-10-27T02:50+02:00");
    let second = at("2024-10-27T02:10+01:00");
    assert_eq!(minutes_between(&first, &second), Some(20));
    assert_eq!(format_moment(&second), "2024-10-27T02:10+01:00");
    assert_eq!(format_moment_norwegian(&second), "27.10.2024 02:10");
}

#[test]
fn skipped_wall_time_is_refused_in_both_languages() {
    let err = parse_moment("2024-03-31 02:30").expect_err("02:30 did not exist");
    assert!(err.message_en.contains("skipped"), "{}", err.message_en);
    assert!(err.message_nb.contains("hoppet over"), "{}", err.message_nb);
    assert!(err.message_en.contains("31.03.2024 02:30"), "{}", err.message_en);
    assert_eq!(err.to_string(), err.message_en);
    assert!(parse_moment("31.03.2024 02:00").is_err());
    assert!(parse_moment("31.03.2024 02:59").is_err());
    // The same instant written with its offset is fine.
    assert_eq!(at("2024-03-31T02:30+01:00"), at("31.03.2024 03:30"));
}

#[test]
fn accepted_forms() {
    let expected = Moment::At("2024-03-31T01:10:00Z".parse::<Timestamp>().expect("timestamp"));
    for text in [
        "2024-03-31T03:10+02:00",
        "2024-03-31T03:10:00+02:00",
        "2024-03-31T01:10Z",
        "2024-03-31T01:10:00Z",
        "2024-03-31T03:10+0200",
        "2024-03-31 03:10+02:00",
        "2024-03-31T03:10",
        "2024-03-31 03:10",
        "31.03.2024 03:10",
        "  31.03.2024 03:10 ",
        "2024-03-30T20:10-05:00",
    ] {
        assert_eq!(parse_moment(text), Ok(expected), "{text}");
    }
    assert_eq!(parse_moment("2024-03-31"), Ok(Moment::DateOnly(date(2024, 3, 31))));
    assert_eq!(parse_moment("31.03.2024"), Ok(Moment::DateOnly(date(2024, 3, 31))));
}

#[test]
fn refused_forms() {
    for text in [
        "",
        "   ",
        "2024-3-31",
        "31/03/2024",
        "2024-03-31T3:10",
        "2024-03-31T03",
        "31.03.2024T03:10",
        "31.03.2024 03:10+02:00",
        "2024-03-31T03:10+2",
        "2024-03-31T03:10 CET",
        "yesterday",
        "2024-03-31T03:10:00.1234567891Z",
    ] {
        assert!(parse_moment(text).is_err(), "{text} should be refused");
    }
    let bad_date = parse_moment("30.02.2024 10:00").expect_err("no 30 February");
    assert!(
        bad_date.message_en.contains("date that does not exist"),
        "{}",
        bad_date.message_en
    );
    let bad_clock = parse_moment("2024-03-01T24:00").expect_err("no 24:00");
    assert!(bad_clock.message_nb.contains("klokkeslett"), "{}", bad_clock.message_nb);
    let bad_offset = parse_moment("2024-03-01T10:00+02:75").expect_err("minute 75");
    assert!(bad_offset.message_en.contains("offset"), "{}", bad_offset.message_en);
}

#[test]
fn seconds_and_fractions_appear_only_when_set() {
    assert_eq!(
        format_moment(&at("2024-06-01T12:00:00+02:00")),
        "2024-06-01T12:00+02:00"
    );
    assert_eq!(
        format_moment(&at("2024-06-01T12:00:07+02:00")),
        "2024-06-01T12:00:07+02:00"
    );
    assert_eq!(
        format_moment(&at("2024-06-01T10:00:07.250Z")),
        "2024-06-01T12:00:07.25+02:00"
    );
    assert_eq!(format_moment(&at("2024-01-15T08:05")), "2024-01-15T08:05+01:00");
    assert_eq!(
        format_moment_norwegian(&at("2024-01-15T08:05:09")),
        "15.01.2024 08:05:09"
    );
    assert_eq!(format_moment(&Moment::DateOnly(date(2024, 3, 31))), "2024-03-31");
    assert_eq!(
        format_moment_norwegian(&Moment::DateOnly(date(2024, 3, 31))),
        "31.03.2024"
    );
}

#[test]
fn historical_offsets_round_trip() {
    for text in [
        "1890-06-01T12:00",
        "1943-01-15T08:00",
        "1965-07-01T12:00",
        "0001-01-01T10:00",
        "9999-12-30T10:00",
    ] {
        let moment = at(text);
        let canonical = format_moment(&moment);
        assert!(canonical.starts_with(text), "{text} -> {canonical}");
        assert_eq!(parse_moment(&canonical), Ok(moment), "{canonical}");
    }
    assert!(parse_moment("0001-01-01T00:00+14:00").is_err());
    assert!(parse_moment("9999-12-31T23:59").is_err());
}

#[test]
fn unknown_clock_gives_no_minutes() {
    let day = Moment::DateOnly(date(2024, 3, 31));
    assert_eq!(minutes_between(&day, &at("2024-03-31T10:00")), None);
    assert_eq!(minutes_between(&at("2024-03-31T10:00"), &day), None);
    assert_eq!(minutes_between(&day, &day), None);
}

#[test]
fn minutes_are_truncated_toward_zero() {
    let a = at("2024-06-01T10:00:00");
    let b = at("2024-06-01T10:20:59");
    assert_eq!(minutes_between(&a, &b), Some(20));
    assert_eq!(minutes_between(&b, &a), Some(-20));
}

#[test]
fn oslo_date_follows_wall_time() {
    // 23:30 UTC on 31 March is already 1 April in Oslo.
    assert_eq!(oslo_date(&at("2024-03-31T23:30Z")), date(2024, 4, 1));
    assert_eq!(oslo_date(&Moment::DateOnly(date(2024, 3, 31))), date(2024, 3, 31));
}

#[test]
fn dates() {
    assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
    assert_eq!(parse_date("29.02.2024"), Ok(date(2024, 2, 29)));
    assert!(
        parse_date("29.02.2023")
            .expect_err("not a leap year")
            .message_en
            .contains("does not exist")
    );
    assert!(parse_date("2024-02-29T10:00").is_err());
    assert!(parse_date("").is_err());
    assert_eq!(format_date(date(2024, 3, 1)), "2024-03-01");
    assert_eq!(format_date_norwegian(date(2024, 3, 1)), "01.03.2024");
    assert_eq!(days_between(date(2024, 3, 30), date(2024, 4, 1)), 2);
    assert_eq!(days_between(date(2024, 4, 1), date(2024, 3, 30)), -2);
    assert_eq!(days_between(date(2023, 1, 1), date(2024, 1, 1)), 365);
}

#[test]
fn completed_years() {
    assert_eq!(years_between(date(1950, 6, 15), date(2024, 6, 14)), 73);
    assert_eq!(years_between(date(1950, 6, 15), date(2024, 6, 15)), 74);
    // Born on 29 February: a year is completed on 1 March when February has 28 days.
    assert_eq!(years_between(date(2000, 2, 29), date(2001, 2, 28)), 0);
    assert_eq!(years_between(date(2000, 2, 29), date(2001, 3, 1)), 1);
    assert_eq!(years_between(date(2000, 2, 29), date(2004, 2, 28)), 3);
    assert_eq!(years_between(date(2000, 2, 29), date(2004, 2, 29)), 4);
    assert_eq!(years_between(date(2024, 6, 15), date(1950, 6, 15)), -74);
    assert_eq!(years_between(date(2024, 6, 15), date(2024, 6, 15)), 0);
}

/// An independent model of Norwegian civil time since 1996: CET (+1) with summer time (+2)
/// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
mod model {
    /// Days since 1970-01-01 of a proleptic Gregorian date.
    pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date of a day count, inverse of [`days_from_civil`].
    pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
    }

    /// Day count of the last Sunday of a 31-day month.
    pub fn last_sunday(y: i64, m: i64) -> i64 {
        let last = days_from_civil(y, m, 31);
        // 1970-01-01 was a Thursday: weekday 0 = Sunday.
        last - (last + 4).rem_euclid(7)
    }

    /// Minutes since the epoch (UTC) when summer time starts and ends in year `y`.
    pub fn summer_time(y: i64) -> (i64, i64) {
        (last_sunday(y, 3) * 1440 + 60, last_sunday(y, 10) * 1440 + 60)
    }

    /// UTC minutes of an Oslo wall time (minutes since the epoch as if it were UTC), the
    /// earlier one when it occurs twice, `None` when the clocks skipped it.
    pub fn wall_to_utc(y: i64, wall: i64) -> Option<i64> {
        let (start, end) = summer_time(y);
        let summer = |utc: i64| start <= utc && utc < end;
        let (as_summer, as_winter) = (wall - 120, wall - 60);
        if summer(as_summer) {
            Some(as_summer)
        } else if !summer(as_winter) {
            Some(as_winter)
        } else {
            None
        }
    }

    /// The offset in minutes in force at a UTC instant.
    pub fn offset_at(y: i64, utc: i64) -> i64 {
        let (start, end) = summer_time(y);
        if start <= utc && utc < end { 120 } else { 60 }
    }

    /// `YYYY-MM-DDTHH:MM` or Norwegian `DD.MM.YYYY HH:MM` of wall minutes.
    pub fn wall_text(wall: i64, norwegian: bool) -> String {
        let (y, m, d) = civil_from_days(wall.div_euclid(1440));
        let minute = wall.rem_euclid(1440);
        let (hh, mm) = (minute / 60, minute % 60);
        if norwegian {
            format!("{d:02}.{m:02}.{y:04} {hh:02}:{mm:02}")
        } else {
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}")
        }
    }
}

#[test]
fn model_agrees_with_known_dates() {
    // Summer time 2024: 31 March to 27 October; 2025: 30 March to 26 October.
    assert_eq!(model::last_sunday(2024, 3), model::days_from_civil(2024, 3, 31));
    assert_eq!(model::last_sunday(2024, 10), model::days_from_civil(2024, 10, 27));
    assert_eq!(model::last_sunday(2025, 3), model::days_from_civil(2025, 3, 30));
    assert_eq!(
        model::civil_from_days(model::days_from_civil(2033, 10, 30)),
        (2033, 10, 30)
    );
}

/// A year, whether the spring (false) or autumn (true) change, and a wall time within a
/// day and a half either side of 00:00 on the day of the change.
fn near_change() -> impl Strategy<Value = (i64, i64)> {
    (2015i64..=2035, any::<bool>(), -2160i64..=2160 + 1440).prop_map(|(y, autumn, delta)| {
        let day = model::last_sunday(y, if autumn { 10 } else { 3 });
        (y, day * 1440 + delta)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn minutes_between_matches_the_utc_model(
        (y, a) in near_change(),
        delta in -1500i64..=1500,
        norwegian in any::<bool>(),
    ) {
        let b = a + delta;
        let (text_a, text_b) = (model::wall_text(a, norwegian), model::wall_text(b, !norwegian));
        match (model::wall_to_utc(y, a), model::wall_to_utc(y, b)) {
            (Some(utc_a), Some(utc_b)) => {
                let (ma, mb) = (parse_moment(&text_a), parse_moment(&text_b));
                prop_assert!(ma.is_ok() && mb.is_ok(), "{} / {}", text_a, text_b);
                let (ma, mb) = (ma.unwrap(), mb.unwrap());
                prop_assert_eq!(minutes_between(&ma, &mb), Some(utc_b - utc_a));
            }
            (None, _) => prop_assert!(parse_moment(&text_a).is_err(), "{} is in the gap", text_a),
            (_, None) => prop_assert!(parse_moment(&text_b).is_err(), "{} is in the gap", text_b),
        }
    }

    #[test]
    fn instants_format_with_the_model_offset_and_round_trip(
        (y, wall) in near_change(),
        second in 0i64..60,
        nanos in prop_oneof![Just(0i32), 0i32..1_000_000_000],
    ) {
        let utc = wall - 90; // any instant near the change, not only valid wall times
        let instant = Timestamp::new(utc * 60 + second, nanos).unwrap();
        let moment = Moment::At(instant);
        let text = format_moment(&moment);
        let offset = model::offset_at(y, utc);
        let expected_prefix = model::wall_text(utc + offset, false);
        prop_assert!(text.starts_with(&expected_prefix), "{} vs {}", text, expected_prefix);
        let expected_offset = if offset == 120 { "+02:00" } else { "+01:00" };
        prop_assert!(text.ends_with(expected_offset), "{}", text);
        prop_assert_eq!(parse_moment(&text), Ok(moment));
        prop_assert_eq!(format_moment(&parse_moment(&text).unwrap()), text);
    }

    #[test]
    fn dates_round_trip(days in -40_000i64..80_000) {
        let (y, m, d) = model::civil_from_days(days);
        let day = date(y as i16, m as i8, d as i8);
        let moment = Moment::DateOnly(day);
        prop_assert_eq!(parse_moment(&format_moment(&moment)), Ok(moment));
        prop_assert_eq!(parse_moment(&format_moment_norwegian(&moment)), Ok(moment));
        prop_assert_eq!(parse_date(&format_date_norwegian(day)), Ok(day));
        prop_assert_eq!(days_between(date(1970, 1, 1), day), days);
    }
}
