//! GradBench's gradient-descent solver (`cpp/gradbench/gd.hpp`), used by `particle` and
//! `saddle` as the outer optimiser: plain Rust, not differentiated. The gradient it is given is
//! the caller's (generated) derivative.

/// The Euclidean norm of `v`.
pub fn magnitude(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The Euclidean distance between `u` and `v`.
pub fn vector_dist(u: &[f64], v: &[f64]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

/// The argmin of `objective` from `xp` by gradient descent with gd.hpp's step control: stop
/// when the gradient or the step is below 1e-5, halve the step after a step that does not
/// decrease the objective, double it after 10 that do.
pub fn multivariate_argmin(
    objective: impl Fn(&[f64]) -> f64,
    gradient: impl Fn(&[f64]) -> Vec<f64>,
    xp: &[f64],
) -> Vec<f64> {
    let mut x = xp.to_vec();
    let mut fx = objective(xp);
    let mut gx = gradient(&x);
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if magnitude(&gx) <= 1e-5 {
            return x;
        } else if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let x_prime: Vec<f64> = x.iter().zip(&gx).map(|(a, g)| a - eta * g).collect();
            if vector_dist(&x, &x_prime) <= 1e-5 {
                return x;
            }
            let fx_prime = objective(&x_prime);
            if fx_prime < fx {
                x = x_prime;
                fx = fx_prime;
                gx = gradient(&x);
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
}

/// The argmax of `objective` from `xp`: the argmin of its negation.
pub fn multivariate_argmax(
    objective: impl Fn(&[f64]) -> f64,
    gradient: impl Fn(&[f64]) -> Vec<f64>,
    xp: &[f64],
) -> Vec<f64> {
    multivariate_argmin(
        |x| -objective(x),
        |x| gradient(x).into_iter().map(|g| -g).collect(),
        xp,
    )
}
