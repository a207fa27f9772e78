fn loss_vjp(p: &Params, dp: &mut Params, xs: &[f64], ys: &[f64], seed: f64) -> f64 {
    loss__ad_flat_vjp(&p.w, &mut dp.w, &p.b, &mut dp.b, xs, ys, seed)
}

fn loss_grad(p: &Params, dp: &mut Params, xs: &[f64], ys: &[f64]) -> f64 {
    loss__ad_flat_grad(&p.w, &mut dp.w, &p.b, &mut dp.b, xs, ys)
}

#[inline]
#[doc(hidden)]
fn loss__ad_flat_vjp(
    p__w: &Vec<f64>,
    dp__w: &mut [f64],
    p__b: &f64,
    dp__b: &mut f64,
    xs: &[f64],
    ys: &[f64],
    seed: f64,
) -> f64 {
    let s = 0.0;
    let _t0 = ::core::iter::IntoIterator::into_iter(0..xs.len());
    let s_3_bar = seed;
    let mut s_c = s;
    let mut s_c_bar = s_3_bar;
    let loop_seed = s_c_bar;
    s_c_bar = ::ad_runtime::one::<f64>();
    let mut dp__w_0 = ::ad_runtime::zero::<f64>();
    let mut dp__b_ = ::ad_runtime::zero::<f64>();
    for i in _t0 {
        let s_1 = s_c;
        let _t3 = p__w[0];
        let _t4 = xs[i];
        let _t5 = _t3 * _t4;
        let _t6 = (*p__b);
        let _t7 = _t5 + _t6;
        let _t8 = ys[i];
        let r = _t7 - _t8;
        let _t10 = r * r;
        let s_2 = s_1 + _t10;
        let s_2_bar = s_c_bar;
        let s_1_bar = s_2_bar;
        let _t10_bar = s_2_bar;
        let mut r_bar = r * _t10_bar;
        r_bar = r_bar + r * _t10_bar;
        let _t7_bar = r_bar;
        let _t5_bar = _t7_bar;
        let _t6_bar = _t7_bar;
        dp__b_ = dp__b_ + _t6_bar;
        let _t3_bar = _t4 * _t5_bar;
        dp__w_0 = dp__w_0 + _t3_bar;
        s_c_bar = s_1_bar;
        s_c = s_2;
    }
    let s_3 = s_c;
    s_c_bar = loop_seed;
    dp__w[0] = dp__w[0] + s_c_bar * dp__w_0;
    (*dp__b) = (*dp__b) + s_c_bar * dp__b_;
    s_3
}

#[inline]
#[doc(hidden)]
fn loss__ad_flat_grad(
    p__w: &Vec<f64>,
    dp__w: &mut [f64],
    p__b: &f64,
    dp__b: &mut f64,
    xs: &[f64],
    ys: &[f64],
) -> f64 {
    loss__ad_flat_vjp(p__w, dp__w, p__b, dp__b, xs, ys, ::ad_runtime::one::<f64>())
}

fn spring_energy_vjp(s: Spring, x: f64, seed: f64) -> (f64, (Spring, f64)) {
    let mut __ad_g_s = ::ad_runtime::Differentiable::zero_like(&s);
    let (__ad_value, __ad_adjoints) = spring_energy__ad_flat_vjp(s.k, s.rest, x, seed);
    __ad_g_s.k = __ad_adjoints.0;
    __ad_g_s.rest = __ad_adjoints.1;
    (__ad_value, (__ad_g_s, __ad_adjoints.2))
}

fn spring_energy_grad(s: Spring, x: f64) -> (f64, (Spring, f64)) {
    let mut __ad_g_s = ::ad_runtime::Differentiable::zero_like(&s);
    let (__ad_value, __ad_adjoints) = spring_energy__ad_flat_grad(s.k, s.rest, x);
    __ad_g_s.k = __ad_adjoints.0;
    __ad_g_s.rest = __ad_adjoints.1;
    (__ad_value, (__ad_g_s, __ad_adjoints.2))
}

#[inline]
#[doc(hidden)]
fn spring_energy__ad_flat_vjp(
    s__k: f64,
    s__rest: f64,
    x: f64,
    seed: f64,
) -> (f64, (f64, f64, f64)) {
    let _t0 = 0.5 * s__k;
    let _t1 = x - s__rest;
    let _t2 = _t1.powi(2);
    let _t3 = _t0 * _t2;
    let _t3_bar = seed;
    let _t0_bar = _t2 * _t3_bar;
    let _t2_bar = _t0 * _t3_bar;
    let _t2_partials = ::ad_runtime::rules::powi_partial(_t1, 2, _t1);
    let _t1_bar = _t2_partials * _t2_bar;
    let x_bar = _t1_bar;
    let s__rest_bar = -_t1_bar;
    let s__k_bar = 0.5 * _t0_bar;
    (_t3, (s__k_bar, s__rest_bar, x_bar))
}

#[inline]
#[doc(hidden)]
fn spring_energy__ad_flat_grad(
    s__k: f64,
    s__rest: f64,
    x: f64,
) -> (f64, (f64, f64, f64)) {
    spring_energy__ad_flat_vjp(s__k, s__rest, x, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
#[doc(hidden)]
fn spring_energy__ad_flat__derive_grad<__AdS0, __AdS1, __AdS2>(
    __ad_args: (f64, f64, f64),
    __ad_shadows: (__AdS0, __AdS1, __AdS2),
    seed: f64,
) -> (f64, (f64, f64, f64)) {
    let (s__k, s__rest, x) = __ad_args;
    let (__ad_shadow0, __ad_shadow1, __ad_shadow2) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = {
        spring_energy__ad_flat_vjp(s__k, s__rest, x, seed)
    };
    (__ad_value, (__ad_adjoints.0, __ad_adjoints.1, __ad_adjoints.2))
}

fn spring_energy_tangent(s: Spring, ds: Spring, x: f64, dx: f64) -> (f64, f64) {
    spring_energy__ad_flat_tangent(s.k, ds.k, s.rest, ds.rest, x, dx)
}

#[inline]
#[doc(hidden)]
fn spring_energy__ad_flat_tangent(
    s__k: f64,
    ds__k: f64,
    s__rest: f64,
    ds__rest: f64,
    x: f64,
    dx: f64,
) -> (f64, f64) {
    let _t0 = 0.5 * s__k;
    let d_t0 = 0.5 * ds__k;
    let _t1 = x - s__rest;
    let d_t1 = dx - ds__rest;
    let _t2 = _t1.powi(2);
    let _t2_partials = ::ad_runtime::rules::powi_partial(_t1, 2, _t1);
    let d_t2 = _t2_partials * d_t1;
    let _t3 = _t0 * _t2;
    let d_t3 = _t2 * d_t0 + _t0 * d_t2;
    (_t3, d_t3)
}

#[doc(hidden)]
#[doc(hidden)]
fn spring_energy__ad_flat__derive_tangent<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
    __AdD2: ::ad_runtime::TangentSlot<f64>,
>(__ad_args: (f64, f64, f64), __ad_tangents: (__AdD0, __AdD1, __AdD2)) -> (f64, f64) {
    let (s__k, s__rest, x) = __ad_args;
    let (__ad_slot0, __ad_slot1, __ad_slot2) = __ad_tangents;
    let ds__k = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let ds__rest = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    let dx = <__AdD2 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot2);
    spring_energy__ad_flat_tangent(s__k, ds__k, s__rest, ds__rest, x, dx)
}
