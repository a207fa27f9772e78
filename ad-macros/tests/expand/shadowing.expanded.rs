#[inline]
fn g_vjp(x: f64, y: f64, seed: f64) -> (f64, (f64, f64)) {
    let s = x * y;
    let _t1 = s.exp();
    let s_1 = s * _t1;
    let _t4 = s_1 / y;
    let s_2 = _t4 + 2.0;
    let _t7 = s_2.powi(3);
    let _t7_bar = seed;
    let _t7_partials = ::ad_runtime::rules::powi_partial(s_2, 3, s_2);
    let s_2_bar = _t7_partials * _t7_bar;
    let _t4_bar = s_2_bar;
    let _t4_partials = ::ad_runtime::rules::div_partials(s_1, y, _t4);
    let s_1_bar = _t4_partials.0 * _t4_bar;
    let mut y_bar = _t4_partials.1 * _t4_bar;
    let mut s_bar = _t1 * s_1_bar;
    let _t1_bar = s * s_1_bar;
    let _t1_partials = ::ad_runtime::rules::exp_partial(_t1, _t1);
    s_bar = s_bar + _t1_partials * _t1_bar;
    let x_bar = y * s_bar;
    y_bar = y_bar + x * s_bar;
    (_t7, (x_bar, y_bar))
}

#[inline]
fn g_grad(x: f64, y: f64) -> (f64, (f64, f64)) {
    g_vjp(x, y, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn g__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, f64),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, f64)) {
    let (x, y) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { g_vjp(x, y, seed) };
    (__ad_value, (__ad_adjoints.0, __ad_adjoints.1))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl g {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, f64),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, f64)) {
        g__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct g {}
