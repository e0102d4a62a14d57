//! Periods results are given for: the year, quarter or month of a registration's period
//! date (its Europe/Oslo date), as a number that orders like time and a label.

use crate::civil;

/// How finely results are split in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Year,
    Quarter,
    Month,
}

impl Granularity {
    /// Reads `year`, `quarter` or `month`.
    pub fn parse(text: &str) -> Option<Granularity> {
        match text {
            "year" => Some(Granularity::Year),
            "quarter" => Some(Granularity::Quarter),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    /// The period of a day number: consecutive periods have consecutive numbers.
    pub fn period_of(self, day: i32) -> i32 {
        let (year, month, _) = civil::civil_from_days(day);
        match self {
            Granularity::Year => year,
            Granularity::Quarter => year * 4 + (month - 1) / 3,
            Granularity::Month => year * 12 + (month - 1),
        }
    }

    /// The label of a period number: `2024`, `2024-Q1`, `2024-03`.
    pub fn label(self, period: i32) -> String {
        match self {
            Granularity::Year => format!("{period}"),
            Granularity::Quarter => format!("{}-Q{}", period.div_euclid(4), period.rem_euclid(4) + 1),
            Granularity::Month => format!("{}-{:02}", period.div_euclid(12), period.rem_euclid(12) + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn periods_and_labels() {
        let day = civil::day_number(date(2024, 3, 31));
        assert_eq!(Granularity::Year.label(Granularity::Year.period_of(day)), "2024");
        assert_eq!(
            Granularity::Quarter.label(Granularity::Quarter.period_of(day)),
            "2024-Q1"
        );
        assert_eq!(Granularity::Month.label(Granularity::Month.period_of(day)), "2024-03");
        let next = civil::day_number(date(2024, 4, 1));
        assert_eq!(
            Granularity::Quarter.period_of(next),
            Granularity::Quarter.period_of(day) + 1
        );
        let december = civil::day_number(date(2023, 12, 31));
        assert_eq!(
            Granularity::Month.period_of(december) + 4,
            Granularity::Month.period_of(next)
        );
        assert_eq!(
            Granularity::Quarter.label(Granularity::Quarter.period_of(december)),
            "2023-Q4"
        );
    }
}
