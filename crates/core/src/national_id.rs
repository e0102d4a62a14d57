//! Norwegian fødselsnummer and D-number, Swedish personnummer and samordningsnummer:
//! validation naming the failed rule, birth date and sex (domain.md 6).

use std::fmt;

use jiff::civil::Date;

/// Which kind of national id a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// Norwegian fødselsnummer (11 digits).
    NorwegianBirthNumber,
    /// Norwegian D-number: 4 added to the first digit.
    NorwegianDNumber,
    /// Swedish personnummer, written with the century (12 digits).
    SwedishPersonalNumber,
    /// Swedish samordningsnummer: 60 added to the day.
    SwedishCoordinationNumber,
}

impl IdKind {
    /// Norwegian ids carry the sex in the ninth digit the stroke register checks.
    pub fn is_norwegian(self) -> bool {
        matches!(self, IdKind::NorwegianBirthNumber | IdKind::NorwegianDNumber)
    }
}

/// The sex a national id encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The code of the register's `sex` variable: `male` or `female`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Odd = male, even = female, in both countries.
    fn from_digit(digit: u32) -> Sex {
        if digit % 2 == 1 { Sex::Male } else { Sex::Female }
    }
}

/// A valid national id and what it tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalId {
    /// Digits only: 11 for Norwegian ids, 12 for Swedish ids.
    pub normalized: String,
    pub kind: IdKind,
    /// `None` only for a Swedish samordningsnummer issued without a full birth date.
    pub birth_date: Option<Date>,
    pub sex: Sex,
    /// A Norwegian synthetic test person (80 added to the month); never a real person.
    pub synthetic: bool,
}

/// Why a number was refused: the rule that failed and a message in nb and en naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    pub rule: &'static str,
    pub message_nb: String,
    pub message_en: String,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en)
    }
}

impl std::error::Error for IdError {}

fn refuse(rule: &'static str, message_nb: String, message_en: String) -> IdError {
    IdError {
        rule,
        message_nb,
        message_en,
    }
}

/// Validates a national id. Spaces are ignored; a Swedish number may be written
/// `YYYYMMDD-NNNC`.
pub fn parse(text: &str) -> Result<NationalId, IdError> {
    let compact: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(refuse(
            "length",
            "Fødselsnummeret mangler".to_string(),
            "The national id is empty".to_string(),
        ));
    }
    if let Some(bad) = compact.iter().find(|c| !c.is_ascii_digit() && **c != '-' && **c != '+') {
        return Err(refuse(
            "digits",
            format!("Fødselsnummeret kan bare inneholde sifre, ikke «{bad}»"),
            format!("A national id may contain digits only, not `{bad}`"),
        ));
    }
    let digits: Vec<u32> = compact.iter().filter_map(|c| c.to_digit(10)).collect();
    let separators: Vec<(usize, char)> = compact
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_ascii_digit())
        .map(|(i, c)| (i, *c))
        .collect();
    let separator_fits = matches!(
        (digits.len(), separators.as_slice()),
        (_, []) | (10 | 11, [(6, '-')]) | (10, [(6, '+')]) | (12, [(8, '-')])
    );
    if !separator_fits {
        return Err(refuse(
            "digits",
            "Fødselsnummeret har en bindestrek på feil sted (svensk personnummer skrives ÅÅÅÅMMDD-NNNK)".to_string(),
            "The national id has a hyphen in the wrong place (a Swedish number is written YYYYMMDD-NNNC)".to_string(),
        ));
    }
    match digits.len() {
        11 => norwegian(&digits),
        12 => swedish(&digits),
        10 => Err(refuse(
            "century",
            "Svensk personnummer må skrives med århundre, 12 sifre (ÅÅÅÅMMDD-NNNK)".to_string(),
            "Write a Swedish personal number with the century, 12 digits (YYYYMMDD-NNNC)".to_string(),
        )),
        n => Err(refuse(
            "length",
            format!("Fødselsnummeret må ha 11 sifre (norsk) eller 12 sifre (svensk), ikke {n}"),
            format!("A national id has 11 digits (Norwegian) or 12 digits (Swedish), not {n}"),
        )),
    }
}

fn number(digits: &[u32]) -> u32 {
    digits.iter().fold(0, |acc, d| acc * 10 + d)
}

fn text(digits: &[u32]) -> String {
    digits.iter().filter_map(|d| char::from_digit(*d, 10)).collect()
}

/// A calendar date; year 0 is none (the proleptic calendar has no year 0000 for a birth,
/// and python-stdnum, which the cross-check compares with, refuses it too).
fn make_date(year: u32, month: u32, day: u32) -> Option<Date> {
    if year == 0 {
        return None;
    }
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// A Norwegian mod-11 check digit; `None` when the remainder rule gives 10 (no valid digit).
fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

const WEIGHTS_1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const WEIGHTS_2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The century a Norwegian individual number gives a two-digit birth year.
fn norwegian_century(individual: u32, year: u32) -> Option<u32> {
    match (individual, year) {
        (0..=499, _) => Some(1900),
        (500..=749, 54..=99) => Some(1800),
        (500..=999, 0..=39) => Some(2000),
        (900..=999, 40..=99) => Some(1900),
        _ => None,
    }
}

fn norwegian(d: &[u32]) -> Result<NationalId, IdError> {
    let shown = text(d);
    let d_number = d[0] >= 4;
    let day = number(&d[0..2]) - if d_number { 40 } else { 0 };
    let coded_month = number(&d[2..4]);
    let year = number(&d[4..6]);
    let individual = number(&d[6..9]);
    if (41..=52).contains(&coded_month) {
        return Err(refuse(
            "h_number",
            format!(
                "{shown} er et H-nummer (hjelpenummer, 40 lagt til måneden); registeret krever fødselsnummer eller D-nummer"
            ),
            format!("{shown} is an H-number (40 added to the month); the register needs a birth number or D-number"),
        ));
    }
    let synthetic = coded_month > 80;
    let month = if synthetic { coded_month - 80 } else { coded_month };
    let Some(century) = norwegian_century(individual, year) else {
        return Err(refuse(
            "individual_number",
            format!(
                "Individnummeret {:03} passer ikke med fødselsåret ..{year:02} i {shown}",
                individual
            ),
            format!("The individual number {individual:03} does not fit the birth year ..{year:02} in {shown}"),
        ));
    };
    let Some(birth_date) = make_date(century + year, month, day) else {
        let what_nb = if d_number {
            " (D-nummer: 4 lagt til første siffer)"
        } else {
            ""
        };
        let what_en = if d_number {
            " (D-number: 4 added to the first digit)"
        } else {
            ""
        };
        return Err(refuse(
            "date",
            format!("De seks første sifrene i {shown} er ikke en gyldig fødselsdato{what_nb}"),
            format!("The first six digits of {shown} are not a valid birth date{what_en}"),
        ));
    };
    if mod11(&d[0..9], &WEIGHTS_1) != Some(d[9]) {
        return Err(refuse(
            "check_digit_1",
            format!("Første kontrollsiffer (siffer 10) i {shown} stemmer ikke; sjekk nummeret for skrivefeil"),
            format!("The first check digit (digit 10) of {shown} is wrong; check the number for typing errors"),
        ));
    }
    if mod11(&d[0..10], &WEIGHTS_2) != Some(d[10]) {
        return Err(refuse(
            "check_digit_2",
            format!("Andre kontrollsiffer (siffer 11) i {shown} stemmer ikke; sjekk nummeret for skrivefeil"),
            format!("The second check digit (digit 11) of {shown} is wrong; check the number for typing errors"),
        ));
    }
    Ok(NationalId {
        normalized: shown,
        kind: if d_number {
            IdKind::NorwegianDNumber
        } else {
            IdKind::NorwegianBirthNumber
        },
        birth_date: Some(birth_date),
        sex: Sex::from_digit(d[8]),
        synthetic,
    })
}

/// The Luhn check digit of `digits`: every other digit from the left doubled.
fn luhn(digits: &[u32]) -> u32 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                *d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

fn swedish(d: &[u32]) -> Result<NationalId, IdError> {
    let shown = text(d);
    let year = number(&d[0..4]);
    let month = number(&d[4..6]);
    let coded_day = number(&d[6..8]);
    let coordination = coded_day >= 60;
    let day = if coordination { coded_day - 60 } else { coded_day };
    let birth_date = match make_date(year, month, day) {
        Some(date) => Some(date),
        // A samordningsnummer may be issued with the month or day unknown (written 00).
        None if coordination && (month == 0 || day == 0) && month <= 12 => None,
        None => {
            let what_nb = if coordination {
                " (samordningsnummer: 60 lagt til dagen)"
            } else {
                ""
            };
            let what_en = if coordination {
                " (coordination number: 60 added to the day)"
            } else {
                ""
            };
            return Err(refuse(
                "date",
                format!("De åtte første sifrene i {shown} er ikke en gyldig fødselsdato{what_nb}"),
                format!("The first eight digits of {shown} are not a valid birth date{what_en}"),
            ));
        }
    };
    if luhn(&d[2..11]) != d[11] {
        return Err(refuse(
            "luhn",
            format!("Kontrollsifferet (siste siffer) i {shown} stemmer ikke; sjekk nummeret for skrivefeil"),
            format!("The check digit (last digit) of {shown} is wrong; check the number for typing errors"),
        ));
    }
    Ok(NationalId {
        normalized: shown,
        kind: if coordination {
            IdKind::SwedishCoordinationNumber
        } else {
            IdKind::SwedishPersonalNumber
        },
        birth_date,
        sex: Sex::from_digit(d[10]),
        synthetic: false,
    })
}
