//! The statistics indicator results are published with: Wilson score intervals for
//! proportions, quantiles for medians and quartiles, and funnel-plot control limits.

/// The standard normal quantile for a two-sided 95 % interval (Φ⁻¹(0.975)).
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The standard normal quantile for two-sided 99.8 % limits (Φ⁻¹(0.999)).
pub const Z_998: f64 = 3.090_232_306_167_813;

/// The Wilson score interval of `successes` out of `trials` for the normal quantile `z`
/// (use [`Z_95`] for 95 %). `None` when there are no trials or more successes than trials.
pub fn wilson(successes: u64, trials: u64, z: f64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The `q` quantile (0 ≤ q ≤ 1) of values sorted ascending, by linear interpolation
/// between the two nearest ranks: position `(n - 1) · q`, counted from 0 (Hyndman and
/// Fan's type 7; R's and NumPy's default, DuckDB's `quantile_cont`). `None` when empty.
pub fn quantile(sorted: &[i64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = last as f64 * q.clamp(0.0, 1.0);
    let below = position.floor();
    let fraction = position - below;
    let low = *sorted.get(below as usize)? as f64;
    match sorted.get(below as usize + 1) {
        Some(&high) if fraction > 0.0 => Some(low + (high as f64 - low) * fraction),
        _ => Some(low),
    }
}

/// A median with its quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartiles {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
}

/// The quartiles of values sorted ascending (type 7, see [`quantile`]).
pub fn quartiles(sorted: &[i64]) -> Option<Quartiles> {
    Some(Quartiles {
        q1: quantile(sorted, 0.25)?,
        median: quantile(sorted, 0.5)?,
        q3: quantile(sorted, 0.75)?,
    })
}

/// Control limits of a funnel plot at one denominator.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FunnelLimits {
    pub lower_95: f64,
    pub upper_95: f64,
    pub lower_998: f64,
    pub upper_998: f64,
}

/// Funnel-plot limits around the target proportion `target` (the national proportion) for
/// a unit with denominator `n`: `target ± z · √(target · (1 − target) / n)` with z for 95 %
/// and 99.8 %, kept within 0 and 1 (the normal approximation to the binomial). `None` for
/// n = 0 or a target outside 0..=1.
pub fn funnel_limits(target: f64, n: u64) -> Option<FunnelLimits> {
    if n == 0 || !(0.0..=1.0).contains(&target) {
        return None;
    }
    let spread = (target * (1.0 - target) / n as f64).sqrt();
    let limit = |z: f64, sign: f64| (target + sign * z * spread).clamp(0.0, 1.0);
    Some(FunnelLimits {
        lower_95: limit(Z_95, -1.0),
        upper_95: limit(Z_95, 1.0),
        lower_998: limit(Z_998, -1.0),
        upper_998: limit(Z_998, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// Newcombe (1998), "Two-sided confidence intervals for the single proportion",
    /// Statistics in Medicine 17: 857–872, table I, method 3 (score interval).
    #[test]
    fn wilson_matches_newcombes_published_intervals() {
        for (x, n, low, high) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
            (29, 29, 0.8830, 1.0),
        ] {
            let (l, h) = wilson(x, n, Z_95).expect("an interval");
            assert!(
                close(l, low, 5e-5) && close(h, high, 5e-5),
                "{x}/{n}: ({l}, {h}) vs ({low}, {high})"
            );
        }
        assert_eq!(wilson(0, 0, Z_95), None);
        assert_eq!(wilson(3, 2, Z_95), None);
    }

    #[test]
    fn wilson_is_symmetric_about_a_half() {
        let (l, h) = wilson(5, 10, Z_95).expect("an interval");
        assert!(close(l, 0.2366, 5e-5) && close(h, 0.7634, 5e-5));
        assert!(close(l + h, 1.0, 1e-12));
    }

    #[test]
    fn quantiles_interpolate_linearly() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(
            quartiles(&values),
            Some(Quartiles {
                q1: 3.25,
                median: 5.5,
                q3: 7.75
            })
        );
        assert_eq!(
            quartiles(&[7]),
            Some(Quartiles {
                q1: 7.0,
                median: 7.0,
                q3: 7.0
            })
        );
        assert_eq!(
            quartiles(&[10, 20]),
            Some(Quartiles {
                q1: 12.5,
                median: 15.0,
                q3: 17.5
            })
        );
        assert_eq!(quantile(&[1, 2, 3, 4, 5], 0.5), Some(3.0));
        assert_eq!(quantile(&[-5, 0, 5, 100], 1.0), Some(100.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn funnel_limits_narrow_with_the_denominator() {
        let at_100 = funnel_limits(0.5, 100).expect("limits");
        assert!(close(at_100.upper_95, 0.5 + Z_95 * 0.05, 1e-12));
        assert!(close(at_100.lower_95, 0.4020, 5e-5));
        assert!(close(at_100.upper_998, 0.6545, 5e-5));
        let at_400 = funnel_limits(0.5, 400).expect("limits");
        assert!(at_400.upper_95 < at_100.upper_95 && at_400.lower_998 > at_100.lower_998);
        let small = funnel_limits(0.9, 4).expect("limits");
        assert_eq!(small.upper_998, 1.0);
        assert_eq!(funnel_limits(0.5, 0), None);
        assert_eq!(funnel_limits(1.5, 10), None);
    }
}
