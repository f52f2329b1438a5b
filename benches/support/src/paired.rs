//! Paired ratios and their spread, for the side-by-side benchmarks that time two sides round by
//! round (`benches/compare.rs`, `benches/overlay.rs`).
//!
//! A round times both sides back to back, so a slow round slows both; the per-round ratios are
//! what is compared. [`Spread`] is their median with the interquartile range, which says how far
//! a single figure can be trusted on a noisy machine.

use std::fmt;

/// The median and quartiles of a set of per-round figures (ratios, usually).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The lower quartile.
    pub low: f64,
    /// The median.
    pub median: f64,
    /// The upper quartile.
    pub high: f64,
}

impl Spread {
    /// The spread of `values` (`NaN` throughout when there are none). Quartiles are interpolated
    /// between the nearest values, as most statistics packages do by default.
    pub fn of(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self {
            low: quantile(&sorted, 0.25),
            median: quantile(&sorted, 0.5),
            high: quantile(&sorted, 0.75),
        }
    }

    /// The spread of `a[i] ÷ b[i]` over the rounds both sides have.
    pub fn of_ratios(a: &[f64], b: &[f64]) -> Self {
        let ratios: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
        Self::of(&ratios)
    }

    /// Half the interquartile range: how far the middle half of the rounds lies from the median.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// `0.98 (0.95–1.01)`: the median, then the interquartile range.
impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} ({:.2}–{:.2})", self.median, self.low, self.high)
    }
}

/// The `q` quantile of sorted `values`, interpolating linearly between neighbours.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        len => {
            #[expect(clippy::cast_precision_loss, reason = "a round count is far below 2^52")]
            let at = q * (len - 1) as f64;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "`at` lies in 0..len"
            )]
            let below = at.floor() as usize;
            let above = (below + 1).min(len - 1);
            let fraction = at - at.floor();
            sorted[below] + (sorted[above] - sorted[below]) * fraction
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate() {
        let spread = Spread::of(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!((spread.low, spread.median, spread.high), (2.0, 3.0, 4.0));
        let even = Spread::of(&[1.0, 2.0, 3.0, 4.0]);
        assert!((even.median - 2.5).abs() < 1e-12);
        assert!((even.low - 1.75).abs() < 1e-12);
        assert_eq!(Spread::of(&[7.0]).to_string(), "7.00 (7.00–7.00)");
        assert!(Spread::of(&[]).median.is_nan());
    }

    #[test]
    fn ratios_pair_rounds() {
        let spread = Spread::of_ratios(&[2.0, 4.0, 9.0], &[1.0, 4.0, 3.0]);
        assert!((spread.median - 2.0).abs() < 1e-12);
    }
}
