//! Cross-check of national id validation against python-stdnum (no.fodselsnummer,
//! se.personnummer) on 20,000 random numbers, valid and corrupted, so our reading of the
//! rules is checked by an implementation we did not write.
//!
//! Compared: Norwegian birth numbers and D-numbers, Swedish personal numbers and
//! coordination numbers (stdnum has no module for these; tests/stdnum_verdicts.py answers
//! with stdnum's Luhn check and its date rule on the day minus 60). Left out, by design:
//! - Norwegian synthetic test persons (80 added to the month): stdnum reads any month above
//!   40 as an H-number and refuses these, while kvalreg accepts them so demo and test data
//!   never need a real person's number.
//! - H-numbers (40 added to the month): stdnum accepts them; a register needs a birth
//!   number or D-number, so kvalreg refuses them (asserted here, rule `h_number`).
//! - Norwegian numbers stdnum refuses only for a birth date after today: kvalreg's id rule
//!   knows no "today"; the register's date rules judge a birth after the event.
//! - Swedish coordination numbers with the month or day unknown (00): valid for kvalreg,
//!   no date for stdnum's rule.
//!
//! Needs python3 with python-stdnum (`pip install python-stdnum`); fails, never skips,
//! without it.

use std::io::Write as _;
use std::process::{Command, Stdio};

use kvalreg_core::national_id;

/// A small deterministic generator (SplitMix64), so a failure can be reproduced.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u32, high: u32) -> u32 {
        let span = u64::from(high - low + 1);
        low + u32::try_from(self.next() % span).expect("fits")
    }
}

fn digits(text: &str) -> Vec<u32> {
    text.chars().map(|c| c.to_digit(10).expect("digit")).collect()
}

fn mod11(d: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = d.iter().zip(weights).map(|(a, b)| a * b).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

fn luhn(d: &[u32]) -> u32 {
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, x)| if i % 2 == 0 { (x * 2) / 10 + (x * 2) % 10 } else { *x })
        .sum();
    (10 - sum % 10) % 10
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A valid Norwegian number (D-number if `d_number`), born 1854–2024.
fn norwegian(rng: &mut Random, d_number: bool) -> String {
    loop {
        let year = rng.between(1854, 2024);
        let month = rng.between(1, 12);
        let day = rng.between(1, days_in(year, month));
        let individual = match year {
            1854..=1899 => rng.between(500, 749),
            1900..=1939 => rng.between(0, 499),
            1940..=1999 => {
                if rng.between(0, 1) == 0 {
                    rng.between(0, 499)
                } else {
                    rng.between(900, 999)
                }
            }
            _ => rng.between(500, 999),
        };
        let shown_day = day + if d_number { 40 } else { 0 };
        let head = format!("{shown_day:02}{month:02}{:02}{individual:03}", year % 100);
        let mut d = digits(&head);
        let Some(k1) = mod11(&d, &[3, 7, 6, 1, 8, 9, 4, 5, 2]) else {
            continue;
        };
        d.push(k1);
        let Some(k2) = mod11(&d, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) else {
            continue;
        };
        return format!("{head}{k1}{k2}");
    }
}

/// A valid Swedish number (coordination number if `coordination`), born 1900–2024.
fn swedish(rng: &mut Random, coordination: bool) -> String {
    let year = rng.between(1900, 2024);
    let month = rng.between(1, 12);
    let day = rng.between(1, days_in(year, month)) + if coordination { 60 } else { 0 };
    let head = format!("{year:04}{month:02}{day:02}{:03}", rng.between(0, 999));
    let check = luhn(&digits(&head)[2..]);
    format!("{head}{check}")
}

/// The number with one typical error: a digit changed, two neighbours swapped, or every
/// digit after the date random.
fn corrupt(rng: &mut Random, number: &str) -> String {
    let mut d: Vec<char> = number.chars().collect();
    let len = u32::try_from(d.len()).expect("short");
    match rng.between(0, 2) {
        0 => {
            let at = rng.between(0, len - 1) as usize;
            let old = d[at];
            while d[at] == old {
                d[at] = char::from_digit(rng.between(0, 9), 10).expect("digit");
            }
        }
        1 => {
            let at = rng.between(0, len - 2) as usize;
            d.swap(at, at + 1);
        }
        _ => {
            let from = if len == 11 { 6 } else { 8 };
            for c in d.iter_mut().skip(from) {
                *c = char::from_digit(rng.between(0, 9), 10).expect("digit");
            }
        }
    }
    d.into_iter().collect()
}

/// stdnum's verdict on every number, from one python3 process.
fn stdnum_verdicts(sample: &[(&'static str, String)]) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/stdnum_verdicts.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 for the python-stdnum cross-check: {e}"));
    let input: String = sample.iter().map(|(kind, n)| format!("{kind} {n}\n")).collect();
    // A script that stops early (python-stdnum missing) closes its stdin: its exit status
    // and stderr below say why, so a failed write is only remembered.
    let sent = child.stdin.take().expect("stdin").write_all(input.as_bytes());
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "the python-stdnum cross-check could not run (install it with `pip install python-stdnum`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    sent.expect("send the sample to python3");
    assert_eq!(verdicts.len(), sample.len(), "one verdict per number");
    verdicts
}

/// Why a number is left out of the comparison, if it is.
fn left_out(kind: &str, number: &str, verdict: &str) -> Option<&'static str> {
    let d = digits(number);
    if kind == "no" {
        let month = d[2] * 10 + d[3];
        if month > 80 {
            return Some("synthetic");
        }
        if (41..=52).contains(&month) {
            return Some("h_number");
        }
        if verdict == "future" {
            return Some("future");
        }
    } else {
        let month = d[4] * 10 + d[5];
        let day = d[6] * 10 + d[7];
        if day >= 60 && (day == 60 || month == 0) {
            return Some("unknown date");
        }
    }
    None
}

#[test]
fn national_id_validation_agrees_with_python_stdnum() {
    let mut rng = Random(0x6b76_616c_7265_6721);
    // Four kinds in turn; every other round corrupted: 10,000 valid and 10,000 corrupted.
    let sample: Vec<(&'static str, String)> = (0..20_000)
        .map(|i| {
            let (kind, valid) = match i % 4 {
                0 => ("no", norwegian(&mut rng, false)),
                1 => ("no", norwegian(&mut rng, true)),
                2 => ("se", swedish(&mut rng, false)),
                _ => ("se", swedish(&mut rng, true)),
            };
            if (i / 4) % 2 == 0 {
                (kind, valid)
            } else {
                (kind, corrupt(&mut rng, &valid))
            }
        })
        .collect();
    let verdicts = stdnum_verdicts(&sample);

    let mut compared = 0;
    let mut agreed_valid = 0;
    let mut agreed_invalid = 0;
    let mut h_numbers = 0;
    let mut disagreements = Vec::new();
    for ((kind, number), verdict) in sample.iter().zip(&verdicts) {
        let ours = national_id::parse(number);
        match left_out(kind, number, verdict) {
            Some("h_number") => {
                h_numbers += 1;
                assert!(ours.is_err(), "kvalreg must refuse the H-number {number}");
            }
            Some(_) => {}
            None => {
                compared += 1;
                match (ours.is_ok(), verdict.as_str()) {
                    (true, "valid") => agreed_valid += 1,
                    (false, "invalid") => agreed_invalid += 1,
                    (ok, theirs) => disagreements.push(format!(
                        "{kind} {number}: kvalreg {} ({}), stdnum {theirs}",
                        if ok { "valid" } else { "invalid" },
                        ours.as_ref().err().map_or("", |e| e.rule)
                    )),
                }
            }
        }
    }
    eprintln!(
        "compared {compared} of {}: {agreed_valid} valid and {agreed_invalid} invalid on both sides; {h_numbers} H-numbers",
        sample.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) with python-stdnum, first ones:\n{}",
        disagreements.len(),
        disagreements.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(compared >= 19_000, "only {compared} numbers compared");
    assert!(agreed_valid >= 9_000, "only {agreed_valid} valid numbers compared");
    assert!(
        agreed_invalid >= 5_000,
        "only {agreed_invalid} invalid numbers compared"
    );
}
