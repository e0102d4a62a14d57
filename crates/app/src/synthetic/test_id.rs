//! Synthetic Norwegian test ids (fødselsnummer with month + 80): valid check digits, so they
//! pass the national id rules, yet they can never belong to a real person.

use jiff::civil::Date;
use rand::RngExt;

/// Weights of the first and second mod-11 check digits.
const FIRST_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const SECOND_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// A mod-11 check digit over `digits`, or None when the remainder makes the number invalid.
fn check_digit(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        digit => Some(digit),
    }
}

/// A synthetic test id for a person born on `birth` with the given sex: the month is written
/// plus 80, the individual number lies in the range of the birth century and its last digit
/// is odd for men. Draws individual numbers until both check digits exist.
pub fn synthetic_national_id(birth: Date, male: bool, rng: &mut impl RngExt) -> String {
    let year = i32::from(birth.year());
    let individual_range = if year >= 2000 { 500..1000 } else { 0..500 };
    loop {
        let individual: u32 = rng.random_range(individual_range.clone());
        let individual = if (individual % 2 == 1) == male {
            individual
        } else {
            individual ^ 1
        };
        let body = format!(
            "{:02}{:02}{:02}{:03}",
            birth.day(),
            birth.month() as i32 + 80,
            year.rem_euclid(100),
            individual
        );
        let mut digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
        let Some(first) = check_digit(&digits, &FIRST_WEIGHTS) else {
            continue;
        };
        digits.push(first);
        let Some(second) = check_digit(&digits, &SECOND_WEIGHTS) else {
            continue;
        };
        return format!("{body}{first}{second}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn ids_carry_birth_date_sex_and_valid_check_digits() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for (birth, male) in [
            (jiff::civil::date(1948, 3, 31), true),
            (jiff::civil::date(2001, 12, 1), false),
        ] {
            for _ in 0..200 {
                let id = synthetic_national_id(birth, male, &mut rng);
                let digits: Vec<u32> = id.chars().map(|c| c.to_digit(10).expect("digit")).collect();
                assert_eq!(digits.len(), 11);
                assert_eq!(&id[0..2], &format!("{:02}", birth.day()));
                assert_eq!(&id[2..4], &format!("{:02}", birth.month() as i32 + 80));
                assert_eq!(digits[8] % 2 == 1, male, "{id}");
                assert_eq!(check_digit(&digits[..9], &FIRST_WEIGHTS), Some(digits[9]));
                assert_eq!(check_digit(&digits[..10], &SECOND_WEIGHTS), Some(digits[10]));
                let individual: u32 = id[6..9].parse().expect("number");
                assert_eq!(individual >= 500, birth.year() >= 2000, "{id}");
            }
        }
    }
}
