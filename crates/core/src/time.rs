//! Norwegian wall-clock time (Europe/Oslo) in and out, and intervals that are right across
//! daylight-saving changes (domain.md 3.4).
//!
//! A registrar types Norwegian wall time; it is turned into an instant here, once, so every
//! interval is plain instant arithmetic. A time whose clock is unknown stays a date
//! ([`Moment::DateOnly`]) and never takes part in minute intervals.

use std::fmt;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

use crate::value::Moment;

/// The time zone registrars enter times in.
pub const ZONE: &str = "Europe/Oslo";

/// Why a date or time text was refused, in Norwegian bokmål and English.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeError {
    pub message_nb: String,
    pub message_en: String,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en)
    }
}

impl std::error::Error for TimeError {}

impl TimeError {
    fn new(message_nb: String, message_en: String) -> Self {
        TimeError { message_nb, message_en }
    }

    fn unrecognised(text: &str) -> Self {
        TimeError::new(
            format!(
                "«{text}» er ikke et tidspunkt kvalreg forstår; skriv for eksempel \
                 31.03.2024 14:05, 31.03.2024 eller 2024-03-31T14:05+02:00"
            ),
            format!(
                "`{text}` is not a time kvalreg understands; write for example \
                 31.03.2024 14:05, 31.03.2024 or 2024-03-31T14:05+02:00"
            ),
        )
    }
}

/// The Europe/Oslo zone from jiff's bundled time zone database. The database is compiled
/// into the binary (feature `tzdb-bundle-always`), so the look-up cannot fail at run time;
/// the unit test `oslo_zone_is_bundled` guards the build configuration.
fn oslo() -> &'static TimeZone {
    static OSLO: LazyLock<TimeZone> =
        LazyLock::new(|| TimeZone::get(ZONE).expect("jiff's bundled tz database contains Europe/Oslo"));
    &OSLO
}

/// Parses a point in time: `2024-03-31` (clock unknown), ISO 8601 with an offset
/// (`2024-03-31T03:10+02:00`, `2024-03-31T01:10Z`, seconds and fractions optional), ISO
/// without offset (Europe/Oslo wall time), or Norwegian `31.03.2024 03:10` / `31.03.2024`.
/// A wall time the clocks skipped is refused; a wall time that occurred twice (the autumn
/// change) means the earlier instant.
pub fn parse_moment(text: &str) -> Result<Moment, TimeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TimeError::new(
            "Tidspunktet er tomt".to_string(),
            "The time is empty".to_string(),
        ));
    }
    let bytes = trimmed.as_bytes();
    let (date, rest, norwegian) = if let Some((date, rest)) = split_iso_date(bytes) {
        (date, rest, false)
    } else if let Some((date, rest)) = split_norwegian_date(bytes) {
        (date, rest, true)
    } else {
        return Err(TimeError::unrecognised(trimmed));
    };
    let date = date.ok_or_else(|| invalid_date(trimmed))?;
    if rest.is_empty() {
        return Ok(Moment::DateOnly(date));
    }
    let rest = match (rest.split_first(), norwegian) {
        (Some((b'T' | b't' | b' ', rest)), false) => rest,
        (Some((b' ', rest)), true) => rest,
        _ => return Err(TimeError::unrecognised(trimmed)),
    };
    let (time, rest) = split_clock(rest).ok_or_else(|| TimeError::unrecognised(trimmed))?;
    let time = time.ok_or_else(|| invalid_clock(trimmed))?;
    let wall = DateTime::from_parts(date, time);
    if rest.is_empty() {
        return oslo_instant(wall).map(Moment::At);
    }
    if norwegian {
        return Err(TimeError::unrecognised(trimmed));
    }
    let offset = parse_offset(rest).ok_or_else(|| TimeError::unrecognised(trimmed))?;
    let offset = offset.ok_or_else(|| {
        TimeError::new(
            format!("Tidssoneforskyvningen i «{trimmed}» er ugyldig"),
            format!("The UTC offset in `{trimmed}` is not valid"),
        )
    })?;
    let instant = offset.to_timestamp(wall).map_err(|_| out_of_range(trimmed))?;
    // Canonical text has four-digit years; keep every parsed moment writable as one.
    if !(1..=9999).contains(&oslo().to_datetime(instant).year()) {
        return Err(out_of_range(trimmed));
    }
    Ok(Moment::At(instant))
}

/// Canonical text of a moment: `2024-03-31` when the clock is unknown, else Europe/Oslo
/// wall time with its offset, to the minute (`2024-03-31T03:10+02:00`), with seconds (and
/// fractions) only when they are not zero. [`parse_moment`] reads it back exactly.
pub fn format_moment(m: &Moment) -> String {
    match m {
        Moment::DateOnly(date) => format_date(*date),
        Moment::At(instant) => {
            let wall = oslo().to_datetime(*instant);
            let offset = oslo().to_offset(*instant);
            format!(
                "{}T{}{}",
                format_date(wall.date()),
                format_clock(wall.time()),
                format_offset(offset)
            )
        }
    }
}

/// Norwegian display: `31.03.2024 03:10` (Europe/Oslo wall time), or `31.03.2024` when the
/// clock is unknown.
pub fn format_moment_norwegian(m: &Moment) -> String {
    match m {
        Moment::DateOnly(date) => format_date_norwegian(*date),
        Moment::At(instant) => {
            let wall = oslo().to_datetime(*instant);
            format!("{} {}", format_date_norwegian(wall.date()), format_clock(wall.time()))
        }
    }
}

/// Parses a calendar date, `2024-03-31` or Norwegian `31.03.2024`.
pub fn parse_date(text: &str) -> Result<Date, TimeError> {
    let trimmed = text.trim();
    let bytes = trimmed.as_bytes();
    let split = split_iso_date(bytes).or_else(|| split_norwegian_date(bytes));
    match split {
        Some((Some(date), [])) => Ok(date),
        Some((None, [])) => Err(invalid_date(trimmed)),
        _ => Err(TimeError::new(
            format!("«{trimmed}» er ikke en dato; skriv for eksempel 31.03.2024 eller 2024-03-31"),
            format!("`{trimmed}` is not a date; write for example 31.03.2024 or 2024-03-31"),
        )),
    }
}

/// Parses an ISO date `YYYY-MM-DD` only (the `DATE '...'` literal of the expression
/// language); `None` when the text is not one.
pub(crate) fn parse_iso_date(text: &str) -> Option<Date> {
    match split_iso_date(text.as_bytes()) {
        Some((date, [])) => date,
        _ => None,
    }
}

/// `2024-03-31`
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `31.03.2024`
pub fn format_date_norwegian(d: Date) -> String {
    format!("{:02}.{:02}.{:04}", d.day(), d.month(), d.year())
}

/// The Europe/Oslo calendar date of a moment (the date itself when the clock is unknown).
pub fn oslo_date(m: &Moment) -> Date {
    match m {
        Moment::DateOnly(date) => *date,
        Moment::At(instant) => oslo().to_datetime(*instant).date(),
    }
}

/// Whole minutes from `from` to `to` (negative when `to` is earlier; truncated toward
/// zero). `None` when either clock time is unknown: such a time is never taken as 00:00.
pub fn minutes_between(from: &Moment, to: &Moment) -> Option<i64> {
    match (from, to) {
        (Moment::At(from), Moment::At(to)) => Some(from.duration_until(*to).as_secs() / 60),
        _ => None,
    }
}

/// Calendar days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    from.duration_until(to).as_secs() / 86_400
}

/// Completed years from `from` to `to` (an age). Someone born on 29 February completes a
/// year on 1 March in years without a 29 February. Negative when `to` is earlier.
pub fn years_between(from: Date, to: Date) -> i64 {
    if to < from {
        return -years_between(to, from);
    }
    let years = i64::from(to.year()) - i64::from(from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years - 1
    } else {
        years
    }
}

/// Europe/Oslo wall time to an instant: a skipped wall time is refused, a repeated one is
/// the earlier instant.
fn oslo_instant(wall: DateTime) -> Result<Timestamp, TimeError> {
    let shown = format!("{} {}", format_date_norwegian(wall.date()), format_clock(wall.time()));
    let offset = match oslo().to_ambiguous_timestamp(wall).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Fold { before, .. } => before,
        AmbiguousOffset::Gap { .. } => {
            return Err(TimeError::new(
                format!(
                    "{shown} fantes ikke i Norge: klokka hoppet over denne timen da \
                     sommertiden begynte. Sjekk klokkeslettet (eller oppgi det med \
                     UTC-forskyvning)"
                ),
                format!(
                    "{shown} did not exist in Norway: the clock skipped that hour when \
                     summer time began. Check the time (or give it with a UTC offset)"
                ),
            ));
        }
    };
    offset.to_timestamp(wall).map_err(|_| out_of_range(&shown))
}

fn invalid_date(text: &str) -> TimeError {
    TimeError::new(
        format!("«{text}» inneholder en dato som ikke finnes"),
        format!("`{text}` contains a date that does not exist"),
    )
}

fn invalid_clock(text: &str) -> TimeError {
    TimeError::new(
        format!("«{text}» inneholder et klokkeslett som ikke finnes (00:00–23:59)"),
        format!("`{text}` contains a clock time that does not exist (00:00–23:59)"),
    )
}

fn out_of_range(text: &str) -> TimeError {
    TimeError::new(
        format!("«{text}» ligger utenfor tidsrommet kvalreg kan lagre"),
        format!("`{text}` is outside the range of time kvalreg can store"),
    )
}

/// `HH:MM`, `HH:MM:SS` when seconds are not zero, `HH:MM:SS.fff` when fractions are not.
fn format_clock(t: Time) -> String {
    let mut out = format!("{:02}:{:02}", t.hour(), t.minute());
    let nanos = t.subsec_nanosecond();
    if t.second() != 0 || nanos != 0 {
        out.push_str(&format!(":{:02}", t.second()));
    }
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out
}

/// `+02:00`; seconds only for historical offsets that have them.
fn format_offset(offset: Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.unsigned_abs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}:{minutes:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}:{seconds:02}")
    }
}

/// Exactly `n` ASCII digits at the start of `bytes`, as a number.
fn digits(bytes: &[u8], n: usize) -> Option<u32> {
    let part = bytes.get(..n)?;
    part.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// `Date` from parts, `None` when the day does not exist.
fn make_date(year: u32, month: u32, day: u32) -> Option<Date> {
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// `YYYY-MM-DD` at the start: the outer `None` means "not this shape", the inner `None` a
/// date that does not exist.
fn split_iso_date(bytes: &[u8]) -> Option<(Option<Date>, &[u8])> {
    let year = digits(bytes, 4)?;
    (bytes.get(4) == Some(&b'-')).then_some(())?;
    let month = digits(bytes.get(5..)?, 2)?;
    (bytes.get(7) == Some(&b'-')).then_some(())?;
    let day = digits(bytes.get(8..)?, 2)?;
    Some((make_date(year, month, day), bytes.get(10..)?))
}

/// `DD.MM.YYYY` at the start, as [`split_iso_date`].
fn split_norwegian_date(bytes: &[u8]) -> Option<(Option<Date>, &[u8])> {
    let day = digits(bytes, 2)?;
    (bytes.get(2) == Some(&b'.')).then_some(())?;
    let month = digits(bytes.get(3..)?, 2)?;
    (bytes.get(5) == Some(&b'.')).then_some(())?;
    let year = digits(bytes.get(6..)?, 4)?;
    Some((make_date(year, month, day), bytes.get(10..)?))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f…` (up to nine fraction digits) at the start.
fn split_clock(bytes: &[u8]) -> Option<(Option<Time>, &[u8])> {
    let hour = digits(bytes, 2)?;
    (bytes.get(2) == Some(&b':')).then_some(())?;
    let minute = digits(bytes.get(3..)?, 2)?;
    let mut rest = bytes.get(5..)?;
    let mut second = 0;
    let mut nanos = 0;
    if let Some((b':', after)) = rest.split_first() {
        second = digits(after, 2)?;
        rest = after.get(2..)?;
        if let Some((b'.' | b',', after)) = rest.split_first() {
            let count = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if count == 0 || count > 9 {
                return None;
            }
            let fraction = digits(after, count)?;
            nanos = fraction * 10u32.pow(9 - u32::try_from(count).ok()?);
            rest = after.get(count..)?;
        }
    }
    let time = Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        i32::try_from(nanos).ok()?,
    );
    Some((time.ok(), rest))
}

/// `Z`, `+HH:MM`, `+HHMM` or `+HH:MM:SS` as the whole of `bytes`; the inner `None` is an
/// offset out of range.
fn parse_offset(bytes: &[u8]) -> Option<Option<Offset>> {
    let (sign, rest) = match bytes.split_first()? {
        (b'Z' | b'z', []) => return Some(Some(Offset::UTC)),
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    let hours = digits(rest, 2)?;
    let (minutes, seconds) = match rest.get(2..)? {
        [] => (0, 0),
        [b':', m1, m2] => (digits(&[*m1, *m2], 2)?, 0),
        [m1, m2] => (digits(&[*m1, *m2], 2)?, 0),
        [b':', m1, m2, b':', s1, s2] => (digits(&[*m1, *m2], 2)?, digits(&[*s1, *s2], 2)?),
        _ => return None,
    };
    if minutes > 59 || seconds > 59 {
        return Some(None);
    }
    let total = i32::try_from(hours * 3600 + minutes * 60 + seconds).ok()?;
    Some(Offset::from_seconds(sign * total).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oslo_zone_is_bundled() {
        assert!(TimeZone::get(ZONE).is_ok());
    }

    #[test]
    fn offset_forms() {
        assert_eq!(parse_offset(b"Z"), Some(Some(Offset::UTC)));
        assert_eq!(parse_offset(b"+0200").flatten().map(Offset::seconds), Some(7200));
        assert_eq!(parse_offset(b"-01:30").flatten().map(Offset::seconds), Some(-5400));
        assert_eq!(parse_offset(b"+02"), parse_offset(b"+02:00"));
        assert_eq!(parse_offset(b"+02:60"), Some(None));
        assert_eq!(parse_offset(b"+2:00"), None);
    }

    #[test]
    fn clock_forms() {
        let (time, rest) = split_clock(b"03:10:05.25+01:00").expect("a clock");
        assert_eq!(time, Time::new(3, 10, 5, 250_000_000).ok());
        assert_eq!(rest, b"+01:00");
        assert_eq!(split_clock(b"24:00").map(|(t, _)| t), Some(None));
        assert_eq!(split_clock(b"3:10"), None);
        assert_eq!(split_clock(b"03:10:05.1234567890"), None);
    }
}
