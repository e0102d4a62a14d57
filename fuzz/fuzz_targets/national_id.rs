//! National id parsing on arbitrary text.
//!
//! Invariant: `national_id::parse` never panics. A refusal names one of the id rules with a
//! message in both languages. An accepted id is the input's digits (11 Norwegian, 12
//! Swedish), its normalized form parses again to the same id, its check digits agree with
//! an independent computation (Norwegian mod 11 twice, Swedish Luhn), and the birth date,
//! sex and synthetic flag it reports are the ones its digits spell.
#![no_main]

use jiff::civil::Date;
use kvalreg_core::national_id::{self, IdKind, NationalId, Sex};
use libfuzzer_sys::fuzz_target;

const RULES: &[&str] = &[
    "length",
    "digits",
    "century",
    "h_number",
    "individual_number",
    "date",
    "check_digit_1",
    "check_digit_2",
    "luhn",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match national_id::parse(text) {
        Err(refused) => {
            assert!(
                RULES.contains(&refused.rule),
                "unknown rule {:?} for {text:?}",
                refused.rule
            );
            assert!(!refused.message_nb.is_empty() && !refused.message_en.is_empty());
        }
        Ok(id) => accepted(text, &id),
    }
});

fn accepted(text: &str, id: &NationalId) {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(
        id.normalized, digits,
        "the normalized form of {text:?} is not its digits"
    );
    assert_eq!(
        national_id::parse(&id.normalized).as_ref(),
        Ok(id),
        "the normalized form of {text:?} reparses differently"
    );
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let number = |range: std::ops::Range<usize>| d[range].iter().fold(0, |acc, x| acc * 10 + x);
    match id.kind {
        IdKind::NorwegianBirthNumber | IdKind::NorwegianDNumber => {
            assert_eq!(d.len(), 11, "a Norwegian id of {} digits: {text:?}", d.len());
            assert_eq!(
                mod11(&d[..9], &[3, 7, 6, 1, 8, 9, 4, 5, 2]),
                Some(d[9]),
                "check digit 1 of {text:?}"
            );
            assert_eq!(
                mod11(&d[..10], &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]),
                Some(d[10]),
                "check digit 2 of {text:?}"
            );
            assert_eq!(
                id.kind == IdKind::NorwegianDNumber,
                d[0] >= 4,
                "D-number flag of {text:?}"
            );
            let day = number(0..2) - if d[0] >= 4 { 40 } else { 0 };
            let coded_month = number(2..4);
            assert_eq!(id.synthetic, coded_month > 80, "synthetic flag of {text:?}");
            let month = if coded_month > 80 {
                coded_month - 80
            } else {
                coded_month
            };
            let birth = id.birth_date.expect("a Norwegian id always has a birth date");
            assert_eq!(
                (birth.day() as u32, birth.month() as u32, birth.year() as u32 % 100),
                (day, month, number(4..6)),
                "birth date of {text:?}"
            );
        }
        IdKind::SwedishPersonalNumber | IdKind::SwedishCoordinationNumber => {
            assert_eq!(d.len(), 12, "a Swedish id of {} digits: {text:?}", d.len());
            assert_eq!(luhn(&d[2..11]), d[11], "Luhn check digit of {text:?}");
            assert!(!id.synthetic);
            let coded_day = number(6..8);
            assert_eq!(id.kind == IdKind::SwedishCoordinationNumber, coded_day >= 60);
            let day = if coded_day >= 60 { coded_day - 60 } else { coded_day };
            match id.birth_date {
                Some(birth) => assert_eq!(
                    birth,
                    date(number(0..4), number(4..6), day).expect("a valid date"),
                    "birth date of {text:?}"
                ),
                None => assert!(
                    id.kind == IdKind::SwedishCoordinationNumber && (number(4..6) == 0 || day == 0),
                    "only a coordination number with month or day 00 lacks a birth date: {text:?}"
                ),
            }
        }
    }
    // The individual number's last digit: the ninth of a Norwegian id, the eleventh of a Swedish one.
    let sex_digit = if id.kind.is_norwegian() { d[8] } else { d[10] };
    let sex = if sex_digit % 2 == 1 { Sex::Male } else { Sex::Female };
    assert_eq!(id.sex, sex, "sex of {text:?}");
}

fn date(year: u32, month: u32, day: u32) -> Option<Date> {
    Date::new(year.try_into().ok()?, month.try_into().ok()?, day.try_into().ok()?).ok()
}

/// The Norwegian check digit: 11 minus the weighted sum mod 11; 11 is 0, 10 is none.
fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match (11 - sum % 11) % 11 {
        10 => None,
        k => Some(k),
    }
}

/// The Luhn check digit: from the left, every other digit doubled (digits of the product summed).
fn luhn(digits: &[u32]) -> u32 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { *d })
        .sum();
    (10 - sum % 10) % 10
}
