#[inline]
fn f_tangent(x: f64, dx: f64, y: f64, dy: f64) -> (f64, f64) {
    let _t0 = x * y;
    let d_t0 = y * dx + x * dy;
    let _t1 = x.sin();
    let _t1_partials = ::ad_runtime::rules::sin_partial(x, x);
    let d_t1 = _t1_partials * dx;
    let _t2 = _t0 + _t1;
    let d_t2 = d_t0 + d_t1;
    (_t2, d_t2)
}

#[inline]
fn f_vjp(x: f64, y: f64, seed: f64) -> (f64, (f64, f64)) {
    let _t0 = x * y;
    let _t1 = x.sin();
    let _t2 = _t0 + _t1;
    let _t2_bar = seed;
    let _t0_bar = _t2_bar;
    let _t1_bar = _t2_bar;
    let _t1_partials = ::ad_runtime::rules::sin_partial(x, x);
    let mut x_bar = _t1_partials * _t1_bar;
    x_bar = x_bar + y * _t0_bar;
    let y_bar = x * _t0_bar;
    (_t2, (x_bar, y_bar))
}

#[inline]
fn f_grad(x: f64, y: f64) -> (f64, (f64, f64)) {
    f_vjp(x, y, ::ad_runtime::one::<f64>())
}
