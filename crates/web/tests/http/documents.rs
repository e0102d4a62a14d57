//! Synthetic stroke registrations for the tests: invented persons with synthetic national
//! ids (month + 80), so no test ever holds a real person's number.

use serde_json::{Value as Json, json};

/// A synthetic Norwegian id (month + 80) for someone born on day/month/year 19xx; `seq`
/// picks a different individual number, so each test person is distinct.
pub fn synthetic_id(day: u32, month: u32, year: u32, male: bool, seq: u32) -> String {
    let mut individual = seq * 2 % 500;
    loop {
        let candidate = if male { individual | 1 } else { individual & !1 };
        let body = format!("{day:02}{:02}{:02}{candidate:03}", month + 80, year % 100);
        let mut digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
        if let Some(first) = check_digit(&digits, &[3, 7, 6, 1, 8, 9, 4, 5, 2]) {
            digits.push(first);
            if let Some(second) = check_digit(&digits, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) {
                return format!("{body}{first}{second}");
            }
        }
        individual = (individual + 2) % 500;
    }
}

fn check_digit(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        digit => Some(digit),
    }
}

/// A draft: identity, unit, diagnosis and the first times.
pub fn draft(seq: u32, hospital: &str, arrival_day: &str) -> Json {
    json!({
        "national_id": synthetic_id(14, 2, 1951, false, seq),
        "hospital": hospital,
        "sex": "female",
        "diagnosis": "I63",
        "onset_time": format!("{arrival_day}T07:40"),
        "arrival_time": format!("{arrival_day}T08:25"),
        "ivt": false,
        "evt": false,
    })
}

/// A registration with every value completion asks for (no thrombolysis, no thrombectomy).
pub fn complete(seq: u32, hospital: &str, arrival_day: &str) -> Json {
    let mut doc = draft(seq, hospital, arrival_day);
    let extra = json!({
        "inclusion_criterion": "1",
        "stroke_location": "outside_hospital",
        "discharge_date": arrival_day,
        "discharge_destination": "home",
        "nihss_admission": 4,
    });
    if let (Some(doc), Json::Object(extra)) = (doc.as_object_mut(), extra) {
        doc.extend(extra);
    }
    doc
}

#[test]
fn synthetic_ids_carry_the_sex_digit() {
    let female = synthetic_id(14, 2, 1951, false, 3);
    let male = synthetic_id(14, 2, 1951, true, 3);
    assert_eq!(&female[2..4], "82");
    assert_eq!(female.len(), 11);
    assert_eq!(female.as_bytes()[8] % 2, 0);
    assert_eq!(male.as_bytes()[8] % 2, 1);
    assert_ne!(synthetic_id(14, 2, 1951, false, 4), female);
}
