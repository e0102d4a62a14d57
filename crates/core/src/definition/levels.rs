//! Goal levels of an indicator (green, yellow, red) as written in `indicators.toml`, e.g.
//! `green = ">= 0.80"`, `yellow = "> 60 %"`, and how a value is placed among them.

use std::fmt;

/// How a value is compared with a level's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>=`
    AtLeast,
    /// `>`
    Above,
    /// `<=`
    AtMost,
    /// `<`
    Below,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
            Comparison::AtMost => "<=",
            Comparison::Below => "<",
        }
    }

    /// Whether the comparison asks for high values (`>=`, `>`).
    pub fn wants_high(self) -> bool {
        matches!(self, Comparison::AtLeast | Comparison::Above)
    }
}

/// One level's condition: a comparison and a limit. Proportions are fractions (0.8 for 80 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub comparison: Comparison,
    pub limit: f64,
}

impl Threshold {
    /// Reads `>= 0.80`, `> 60 %` or `<= 30`. A `%` divides the number by 100 and is only
    /// allowed when `percent` is true (proportions).
    pub fn parse(text: &str, percent: bool) -> Result<Threshold, String> {
        let trimmed = text.trim();
        let (comparison, rest) = [
            (">=", Comparison::AtLeast),
            ("<=", Comparison::AtMost),
            (">", Comparison::Above),
            ("<", Comparison::Below),
        ]
        .into_iter()
        .find_map(|(symbol, comparison)| trimmed.strip_prefix(symbol).map(|rest| (comparison, rest)))
        .ok_or_else(|| format!("`{trimmed}` must start with >=, >, <= or <, e.g. \">= 0.80\""))?;
        let rest = rest.trim();
        let (number, is_percent) = match rest.strip_suffix('%') {
            Some(number) => (number.trim(), true),
            None => (rest, false),
        };
        let limit: f64 = number
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| format!("`{trimmed}`: `{number}` is not a number"))?;
        if is_percent && !percent {
            return Err(format!(
                "`{trimmed}`: `%` is only for proportions; a median's level is in its own unit"
            ));
        }
        let limit = if is_percent { limit / 100.0 } else { limit };
        if percent && !(0.0..=1.0).contains(&limit) {
            return Err(format!(
                "`{trimmed}`: a proportion's level lies between 0 and 1 (write 0.80 or 80 % for 80 %)"
            ));
        }
        Ok(Threshold { comparison, limit })
    }

    /// Whether `value` reaches this level.
    pub fn met(&self, value: f64) -> bool {
        match self.comparison {
            Comparison::AtLeast => value >= self.limit,
            Comparison::Above => value > self.limit,
            Comparison::AtMost => value <= self.limit,
            Comparison::Below => value < self.limit,
        }
    }

    /// Whether every value that meets `self` also meets `other`, with some value meeting
    /// `other` but not `self` (a green level stricter than its yellow level).
    pub fn stricter_than(&self, other: &Threshold) -> bool {
        if self.comparison.wants_high() != other.comparison.wants_high() {
            return false;
        }
        let high = self.comparison.wants_high();
        let beyond = if high {
            self.limit > other.limit
        } else {
            self.limit < other.limit
        };
        let same_limit_strict = self.limit == other.limit
            && matches!(self.comparison, Comparison::Above | Comparison::Below)
            && matches!(other.comparison, Comparison::AtLeast | Comparison::AtMost);
        beyond || same_limit_strict
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.comparison.symbol(), self.limit)
    }
}

/// An indicator's goal levels: green (high goal attainment) and yellow (moderate); a value
/// meeting neither is red.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    pub green: Threshold,
    pub yellow: Threshold,
}

/// The goal attainment of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Green,
    Yellow,
    Red,
}

impl Levels {
    pub fn level(&self, value: f64) -> Level {
        if self.green.met(value) {
            Level::Green
        } else if self.yellow.met(value) {
            Level::Yellow
        } else {
            Level::Red
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Threshold {
        Threshold::parse(text, true).expect("a threshold")
    }

    #[test]
    fn reads_fractions_and_percentages() {
        assert_eq!(
            t(">= 0.80"),
            Threshold {
                comparison: Comparison::AtLeast,
                limit: 0.8
            }
        );
        assert_eq!(
            t("> 60 %"),
            Threshold {
                comparison: Comparison::Above,
                limit: 0.6
            }
        );
        assert_eq!(
            t("<=0.06"),
            Threshold {
                comparison: Comparison::AtMost,
                limit: 0.06
            }
        );
        assert!(Threshold::parse("= 0.5", true).is_err());
        assert!(Threshold::parse(">= 80", true).unwrap_err().contains("between 0 and 1"));
        assert!(
            Threshold::parse("<= 30 %", false)
                .unwrap_err()
                .contains("only for proportions")
        );
        assert_eq!(
            Threshold::parse("<= 30", false),
            Ok(Threshold {
                comparison: Comparison::AtMost,
                limit: 30.0
            })
        );
        assert!(Threshold::parse(">= NaN", true).is_err());
    }

    #[test]
    fn places_values_at_the_edges() {
        let levels = Levels {
            green: t(">= 0.80"),
            yellow: t("> 0.60"),
        };
        assert_eq!(levels.level(0.8), Level::Green);
        assert_eq!(levels.level(4.0 / 5.0), Level::Green);
        assert_eq!(levels.level(0.7999), Level::Yellow);
        assert_eq!(levels.level(0.6), Level::Red);
        assert_eq!(levels.level(0.6001), Level::Yellow);
    }

    #[test]
    fn strictness_follows_the_direction() {
        assert!(t(">= 0.9").stricter_than(&t(">= 0.8")));
        assert!(!t(">= 0.8").stricter_than(&t(">= 0.9")));
        assert!(t("> 0.8").stricter_than(&t(">= 0.8")));
        assert!(!t(">= 0.8").stricter_than(&t(">= 0.8")));
        assert!(t("<= 0.06").stricter_than(&t("< 0.10")));
        assert!(!t("<= 0.06").stricter_than(&t(">= 0.01")));
    }
}
