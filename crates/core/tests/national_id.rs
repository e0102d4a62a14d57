//! National ids: synthetic numbers made with the test's own check-digit code, valid and
//! invalid, so every refusal rule is hit.

use jiff::civil::{Date, date};
use kvalreg_core::national_id::{IdError, IdKind, Sex, parse};

fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

fn digits(text: &str) -> Vec<u32> {
    text.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn text(digits: &[u32]) -> String {
    digits.iter().map(|d| d.to_string()).collect()
}

/// The Norwegian number for nine leading digits, when both check digits exist.
fn norwegian(nine: &str) -> Option<String> {
    let mut d = digits(nine);
    assert_eq!(d.len(), 9, "{nine}");
    d.push(mod11(&d, &[3, 7, 6, 1, 8, 9, 4, 5, 2])?);
    d.push(mod11(&d, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])?);
    Some(text(&d))
}

/// A valid Norwegian number for `ddmmyy` whose individual number starts at `from`, with the
/// ninth digit of the wanted parity (odd = male).
fn norwegian_with(ddmmyy: &str, from: u32, male: bool) -> String {
    (from..from + 100)
        .filter(|i| (i % 2 == 1) == male)
        .find_map(|i| norwegian(&format!("{ddmmyy}{i:03}")))
        .unwrap_or_else(|| panic!("no valid number for {ddmmyy} from {from}"))
}

fn luhn(digits: &[u32]) -> u32 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { *d })
        .sum();
    (10 - sum % 10) % 10
}

/// The Swedish number for eleven leading digits `YYYYMMDDNNN`.
fn swedish(eleven: &str) -> String {
    let d = digits(eleven);
    format!("{eleven}{}", luhn(&d[2..]))
}

fn refused(text: &str) -> IdError {
    match parse(text) {
        Ok(id) => panic!("{text} should be refused, got {id:?}"),
        Err(e) => {
            assert!(!e.message_nb.is_empty() && !e.message_en.is_empty());
            assert_eq!(e.to_string(), e.message_en);
            e
        }
    }
}

/// Replaces digit `index` with another digit.
fn with_digit_changed(number: &str, index: usize) -> String {
    number
        .char_indices()
        .map(|(i, c)| {
            if i == index {
                if c == '9' { '0' } else { char::from(c as u8 + 1) }
            } else {
                c
            }
        })
        .collect()
}

#[test]
fn norwegian_birth_numbers() {
    let cases: [(&str, u32, bool, Date); 5] = [
        ("150650", 0, true, date(1950, 6, 15)),
        ("150650", 400, false, date(1950, 6, 15)),
        ("010185", 500, true, date(1885, 1, 1)),
        ("290204", 500, false, date(2004, 2, 29)),
        ("311245", 900, true, date(1945, 12, 31)),
    ];
    for (ddmmyy, from, male, born) in cases {
        let number = norwegian_with(ddmmyy, from, male);
        let id = parse(&number).unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!(id.kind, IdKind::NorwegianBirthNumber);
        assert_eq!(id.birth_date, Some(born), "{number}");
        assert_eq!(id.sex, if male { Sex::Male } else { Sex::Female });
        assert_eq!(id.sex.code(), if male { "male" } else { "female" });
        assert!(!id.synthetic);
        assert_eq!(id.normalized, number);
        assert!(id.kind.is_norwegian());
    }
}

#[test]
fn spaces_and_a_hyphen_are_ignored() {
    let number = norwegian_with("150650", 100, true);
    let spaced = format!(" {} {} ", &number[..6], &number[6..]);
    assert_eq!(parse(&spaced).map(|id| id.normalized), Ok(number.clone()));
    let hyphen = format!("{}-{}", &number[..6], &number[6..]);
    assert_eq!(parse(&hyphen).map(|id| id.normalized), Ok(number));
}

#[test]
fn d_numbers_and_synthetic_numbers() {
    let d_number = norwegian_with("551080", 100, false);
    let id = parse(&d_number).expect("D-number");
    assert_eq!(id.kind, IdKind::NorwegianDNumber);
    assert_eq!(id.birth_date, Some(date(1980, 10, 15)));
    assert!(!id.synthetic);

    let synthetic = norwegian_with("158650", 100, true);
    let id = parse(&synthetic).expect("synthetic birth number");
    assert_eq!(id.kind, IdKind::NorwegianBirthNumber);
    assert_eq!(id.birth_date, Some(date(1950, 6, 15)));
    assert!(id.synthetic);

    let synthetic_d = norwegian_with("559280", 100, false);
    let id = parse(&synthetic_d).expect("synthetic D-number");
    assert_eq!(id.kind, IdKind::NorwegianDNumber);
    assert_eq!(id.birth_date, Some(date(1980, 12, 15)));
    assert!(id.synthetic);
}

#[test]
fn norwegian_refusals_name_their_rule() {
    assert_eq!(refused(&norwegian_with("154650", 100, true)).rule, "h_number");
    assert_eq!(refused(&norwegian_with("310250", 100, true)).rule, "date");
    assert_eq!(refused(&norwegian_with("150050", 100, true)).rule, "date");
    let bad_d_number = refused(&norwegian_with("721080", 100, true));
    assert_eq!(bad_d_number.rule, "date");
    assert!(
        bad_d_number.message_en.contains("D-number"),
        "{}",
        bad_d_number.message_en
    );
    // 750–899 fits no birth year from 40; 500–749 fits none from 40 to 53.
    assert_eq!(refused(&norwegian_with("150645", 750, true)).rule, "individual_number");
    assert_eq!(refused(&norwegian_with("150645", 600, true)).rule, "individual_number");
    let e = refused(&norwegian_with("150645", 750, true));
    assert!(e.message_nb.contains("Individnummeret"), "{}", e.message_nb);

    let valid = norwegian_with("150650", 200, true);
    let first = refused(&with_digit_changed(&valid, 9));
    assert_eq!(first.rule, "check_digit_1");
    assert!(first.message_en.contains("first check digit"), "{}", first.message_en);
    assert!(first.message_nb.contains("kontrollsiffer"), "{}", first.message_nb);
    assert_eq!(refused(&with_digit_changed(&valid, 10)).rule, "check_digit_2");

    // Nine digits for which the first check digit would have to be 10: every tenth digit fails.
    let impossible = (0..500)
        .map(|i| format!("150650{i:03}"))
        .find(|nine| mod11(&digits(nine), &[3, 7, 6, 1, 8, 9, 4, 5, 2]).is_none())
        .expect("a prefix with remainder 10");
    for tenth in 0..10 {
        assert_eq!(refused(&format!("{impossible}{tenth}0")).rule, "check_digit_1");
    }
    // Likewise for the second check digit.
    let impossible_second = (0..500)
        .filter_map(|i| {
            let nine = format!("150650{i:03}");
            let k1 = mod11(&digits(&nine), &[3, 7, 6, 1, 8, 9, 4, 5, 2])?;
            let ten = format!("{nine}{k1}");
            mod11(&digits(&ten), &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
                .is_none()
                .then_some(ten)
        })
        .next()
        .expect("a prefix whose second check digit would be 10");
    for last in 0..10 {
        assert_eq!(refused(&format!("{impossible_second}{last}")).rule, "check_digit_2");
    }
}

#[test]
fn shape_refusals() {
    assert_eq!(refused("").rule, "length");
    assert_eq!(refused("123456789").rule, "length");
    assert_eq!(refused("1234567890123").rule, "length");
    assert_eq!(refused("1506501234a").rule, "digits");
    assert_eq!(refused("15.06.50 12345").rule, "digits");
    assert_eq!(refused("1506-5012345").rule, "digits");
    assert_eq!(refused("19500615-12-34").rule, "digits");
    let century = refused("500615-1234");
    assert_eq!(century.rule, "century");
    assert!(century.message_en.contains("century"), "{}", century.message_en);
    assert_eq!(refused("5006151234").rule, "century");
    assert_eq!(refused("500615+1234").rule, "century");
}

#[test]
fn swedish_numbers() {
    let personal = swedish("19500615123");
    let id = parse(&personal).expect("personnummer");
    assert_eq!(id.kind, IdKind::SwedishPersonalNumber);
    assert_eq!(id.birth_date, Some(date(1950, 6, 15)));
    assert_eq!(id.sex, Sex::Male);
    assert!(!id.synthetic && !id.kind.is_norwegian());
    assert_eq!(id.normalized, personal);
    let hyphen = format!("{}-{}", &personal[..8], &personal[8..]);
    assert_eq!(parse(&hyphen).map(|id| id.normalized), Ok(personal.clone()));

    let female = parse(&swedish("20040229124")).expect("leap day");
    assert_eq!((female.sex, female.birth_date), (Sex::Female, Some(date(2004, 2, 29))));

    let coordination = parse(&swedish("19500675123")).expect("samordningsnummer");
    assert_eq!(coordination.kind, IdKind::SwedishCoordinationNumber);
    assert_eq!(coordination.birth_date, Some(date(1950, 6, 15)));
    let no_day = parse(&swedish("19500660123")).expect("samordningsnummer without a day");
    assert_eq!(no_day.kind, IdKind::SwedishCoordinationNumber);
    assert_eq!(no_day.birth_date, None);

    assert_eq!(refused(&with_digit_changed(&personal, 11)).rule, "luhn");
    assert_eq!(refused(&with_digit_changed(&personal, 9)).rule, "luhn");
    assert_eq!(refused(&swedish("19500230123")).rule, "date");
    assert_eq!(refused(&swedish("19501315123")).rule, "date");
    assert_eq!(refused(&swedish("19500615123").replace("0615", "0600")).rule, "date");
    let bad_coordination = refused(&swedish("19500291123"));
    assert_eq!(bad_coordination.rule, "date");
    assert!(
        bad_coordination.message_en.contains("coordination"),
        "{}",
        bad_coordination.message_en
    );
}
