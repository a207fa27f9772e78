//! `det`: the determinant of an `ell x ell` matrix by recursive expansion in minors (cmpad's
//! `det_of_minor`), and its gradient with respect to the matrix's entries.
//!
//! [`det_of_minor`] is the C++ reference's recursive helper, written the same way: the minor is
//! represented by two linked lists of row and column indices `r` and `c` (integer state, a
//! constant for differentiation) that each call edits and restores. Both functions carry
//! `#[derive_grad(wrt(a))]`; `gradient` is `primal_grad` (reverse mode), whose reverse pass goes
//! through the recursive calls' generated companions. `primal_tangent` (`#[derive_tangent]`) is
//! used by the tests only, to check reverse mode against forward mode.

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// The eval's input: the matrix `a` row-major, `ell * ell` entries, and its order `ell`.
#[derive(Deserialize)]
pub struct Input {
    /// The matrix, row-major.
    #[serde(rename = "A")]
    pub a: Vec<f64>,
    /// The matrix's order.
    pub ell: usize,
}

/// The determinant of the `m x m` minor of the `n x n` matrix `a` whose rows and columns are
/// listed by `r` and `c`: `r[n]` is the first row, `r[i]` the row after row `i` (likewise `c`).
/// `r` and `c` are edited during the call and restored on return.
#[derive_tangent(wrt(a))]
#[derive_grad(wrt(a))]
pub fn det_of_minor(a: &[f64], n: usize, m: usize, r: &mut [usize], c: &mut [usize]) -> f64 {
    let r0 = r[n];
    let mut cj = c[n];
    if m == 1 {
        return a[r0 * n + cj];
    }
    // Determinant of the minor M.
    let mut det_m = 0.0;
    // Sign of the factor for the next sub-minor.
    let mut sign = 1;
    // Remove row 0 of M from all the sub-minors of M.
    r[n] = r[r0];
    // The index in c of the previous column of M.
    let mut cj1 = n;
    for _j in 0..m {
        // M[0, j] = A[R0, Cj].
        let m0j = a[r0 * n + cj];
        // Remove column j of M to form the sub-minor S.
        c[cj1] = c[cj];
        let det_s = det_of_minor(a, n, m - 1, r, c);
        // Restore column j.
        c[cj1] = cj;
        if sign > 0 {
            det_m += m0j * det_s;
        } else {
            det_m -= m0j * det_s;
        }
        // Advance to the next column of M.
        cj1 = cj;
        cj = c[cj];
        sign = -sign;
    }
    // Restore row 0 of M.
    r[n] = r0;
    det_m
}

/// The determinant of the `ell x ell` row-major matrix `a`.
#[derive_tangent(wrt(a))]
#[derive_grad(wrt(a))]
pub fn primal(ell: usize, a: &[f64]) -> f64 {
    let mut r = vec![0usize; ell + 1];
    let mut c = vec![0usize; ell + 1];
    for i in 0..ell {
        r[i] = i + 1;
        c[i] = i + 1;
    }
    det_of_minor(a, ell, ell, &mut r, &mut c)
}

/// The gradient of [`primal`] with respect to `a` (row-major), from `primal_grad`.
pub fn gradient(ell: usize, a: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; a.len()];
    primal_grad(ell, a, &mut g);
    g
}

/// Runs `primal` or `gradient` on an [`Input`].
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    let (ell, a) = (input.ell, &input.a[..]);
    if a.len() != ell * ell {
        return Err(format!(
            "det: A has {} entries, not ell^2 = {}",
            a.len(),
            ell * ell
        ));
    }
    let (output, nanoseconds) = match function {
        "primal" => {
            let (y, ns) = measure(runs, || primal(ell, a));
            (Value::from(y), ns)
        }
        "gradient" => {
            let (g, ns) = measure(runs, || gradient(ell, a));
            (Value::from(g), ns)
        }
        _ => return Err(format!("det has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
