//! The building blocks of synthetic data: seeded random draws (chances, ranges, weighted
//! picks, normal values, unique persons) and a registration document under construction.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan as _};
use kvalreg_core::time::{format_date, format_moment, oslo_date};
use kvalreg_core::value::Moment;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value as Json};

use super::synthetic_national_id;

/// A registration document under construction.
#[derive(Default)]
pub(super) struct Doc(pub(super) Map<String, Json>);

impl Doc {
    pub(super) fn text(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), Json::String(value.to_string()));
    }
    pub(super) fn flag(&mut self, name: &str, value: bool) {
        self.0.insert(name.to_string(), Json::Bool(value));
    }
    pub(super) fn int(&mut self, name: &str, value: i64) {
        self.0.insert(name.to_string(), Json::from(value));
    }
    pub(super) fn unknown(&mut self, name: &str) {
        self.text(name, "unknown");
    }
    pub(super) fn date(&mut self, name: &str, value: Date) {
        self.text(name, &format_date(value));
    }
    pub(super) fn time(&mut self, name: &str, value: Timestamp) {
        self.text(name, &format_moment(&Moment::At(value)));
    }
    /// A time whose clock is unknown: only its Europe/Oslo date is written.
    pub(super) fn date_of_time(&mut self, name: &str, value: Timestamp) {
        self.text(name, &format_moment(&Moment::DateOnly(oslo_date(&Moment::At(value)))));
    }
    pub(super) fn remove(&mut self, names: &[&str]) {
        for name in names {
            self.0.remove(*name);
        }
    }
}

pub(super) struct Generator {
    pub(super) rng: Xoshiro256PlusPlus,
    pub(super) today: Date,
    used_ids: HashSet<String>,
}

impl Generator {
    pub(super) fn new(seed: u64, today: Date) -> Self {
        Generator {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            today,
            used_ids: HashSet::new(),
        }
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    pub(super) fn between(&mut self, range: RangeInclusive<i64>) -> i64 {
        self.rng.random_range(range)
    }

    pub(super) fn pick<'a>(&mut self, weighted: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut draw = self.rng.random_range(0..total.max(1));
        for (item, weight) in weighted {
            if draw < *weight {
                return item;
            }
            draw -= weight;
        }
        weighted.last().map_or("", |(item, _)| item)
    }

    /// A normally distributed number (Box–Muller).
    pub(super) fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1: f64 = 1.0 - self.rng.random::<f64>();
        let u2: f64 = self.rng.random::<f64>();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A person of `age` completed years on `onset_day`: a unique synthetic id (which
    /// carries the birth date) and whether the person is male.
    pub(super) fn person(&mut self, age: i64, onset_day: Date) -> Option<(String, bool)> {
        let male = self.chance(0.52);
        let anniversary = onset_day.checked_sub(age.years()).ok()?;
        let birth = anniversary.checked_sub(self.between(0..=364).days()).ok()?;
        for _ in 0..100 {
            let id = synthetic_national_id(birth, male, &mut self.rng);
            if self.used_ids.insert(id.clone()) {
                return Some((id, male));
            }
        }
        None
    }
}
