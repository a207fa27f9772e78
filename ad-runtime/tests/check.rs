//! `ad_runtime::check` catches wrong derivatives and passes right ones.

use ad_runtime::check;

fn f(x: &[f64]) -> f64 {
    x[0].exp() * x[1] + x[1].powi(3)
}

#[test]
fn a_right_gradient_passes_and_a_wrong_one_is_caught_where_it_is_wrong() {
    let x = [0.4_f64, -1.3];
    let right = [x[0].exp() * x[1], x[0].exp() + 3.0 * x[1] * x[1]];
    let r = check::gradient(f, &x, &right);
    assert!(r.worst < 1e-8, "{r}");
    let mut wrong = right;
    wrong[1] *= 1.01;
    let r = check::gradient(f, &x, &wrong);
    assert_eq!(r.index, 1);
    assert!(r.worst > 1e-3, "{r}");
    assert!(std::panic::catch_unwind(|| r.assert_below(1e-6)).is_err());
}

#[test]
fn a_nan_where_the_finite_difference_is_finite_is_an_infinite_error() {
    let r = check::gradient(f, &[0.0, 1.0], &[f64::NAN, 4.0]);
    assert_eq!(r.worst, f64::INFINITY);
    assert_eq!(r.index, 0);
}

#[test]
fn tangents_are_checked_output_by_output() {
    let g = |x: &[f64], y: &mut [f64]| {
        y[0] = x[0] * x[1];
        y[1] = x[0].sin();
    };
    let (x, v) = ([0.5_f64, 2.0], [1.0, -1.0]);
    let right = [x[1] * v[0] + x[0] * v[1], x[0].cos() * v[0]];
    assert!(check::tangent(g, &x, &v, &right).worst < 1e-8);
    let r = check::tangent(g, &x, &v, &[right[0], right[1] + 0.1]);
    assert_eq!(r.index, 1);
    assert!(r.worst > 0.05);
}
