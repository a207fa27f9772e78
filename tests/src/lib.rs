//! Shared helpers for the integration tests: finite differences.

/// Central finite difference of `f` at `x` along coordinate `i`.
pub fn central_difference(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * x[i].abs().max(1.0);
    let mut plus = x.to_vec();
    let mut minus = x.to_vec();
    plus[i] += h;
    minus[i] -= h;
    (f(&plus) - f(&minus)) / (plus[i] - minus[i])
}

/// The gradient of `f` at `x` by central finite differences.
pub fn fd_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len()).map(|i| central_difference(&f, x, i)).collect()
}
