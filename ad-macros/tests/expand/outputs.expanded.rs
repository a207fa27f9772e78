#[inline]
fn polar_vjp(x: f64, y: f64, scale: f64, seed: (f64, f64)) -> ((f64, f64), f64) {
    let _t0 = x.hypot(y);
    let r = _t0 * scale;
    let t = y.atan2(x);
    let _t3 = t / r;
    let mut r_bar = seed.0;
    let _t3_bar = seed.1;
    let _t3_partials = ::ad_runtime::rules::div_partials(t, r, _t3);
    let t_bar = _t3_partials.0 * _t3_bar;
    r_bar = r_bar + _t3_partials.1 * _t3_bar;
    let t_partials = ::ad_runtime::rules::atan2_partials(y, x, y);
    let mut x_bar = t_partials.1 * t_bar;
    let _t0_bar = scale * r_bar;
    let _t0_partials = ::ad_runtime::rules::hypot_partials(x, y, _t0);
    x_bar = x_bar + _t0_partials.0 * _t0_bar;
    ((r, _t3), x_bar)
}

#[doc(hidden)]
fn polar__derive_grad<__AdS0, __AdS1, __AdS2>(
    __ad_args: (f64, f64, f64),
    __ad_shadows: (__AdS0, __AdS1, __AdS2),
    seed: (f64, f64),
) -> ((f64, f64), (f64, (), ())) {
    let (x, y, scale) = __ad_args;
    let (__ad_shadow0, __ad_shadow1, __ad_shadow2) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { polar_vjp(x, y, scale, seed) };
    (__ad_value, (__ad_adjoints, (), ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl polar {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1, __AdS2>(
        __ad_args: (f64, f64, f64),
        __ad_shadows: (__AdS0, __AdS1, __AdS2),
        seed: (f64, f64),
    ) -> ((f64, f64), (f64, (), ())) {
        polar__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct polar {}

#[inline]
fn polar_tangent(x: f64, dx: f64, y: f64, scale: f64) -> ((f64, f64), (f64, f64)) {
    let _t0 = x.hypot(y);
    let _t0_partials = ::ad_runtime::rules::hypot_partials(x, y, _t0);
    let d_t0 = _t0_partials.0 * dx;
    let r = _t0 * scale;
    let dr = scale * d_t0;
    let t = y.atan2(x);
    let t_partials = ::ad_runtime::rules::atan2_partials(y, x, y);
    let dt = t_partials.1 * dx;
    let _t3 = t / r;
    let _t3_partials = ::ad_runtime::rules::div_partials(t, r, _t3);
    let d_t3 = _t3_partials.0 * dt + _t3_partials.1 * dr;
    ((r, _t3), (dr, d_t3))
}

#[doc(hidden)]
fn polar__derive_tangent<__AdD0: ::ad_runtime::TangentSlot<f64>, __AdD1, __AdD2>(
    __ad_args: (f64, f64, f64),
    __ad_tangents: (__AdD0, __AdD1, __AdD2),
) -> ((f64, f64), (f64, f64)) {
    let (x, y, scale) = __ad_args;
    let (__ad_slot0, __ad_slot1, __ad_slot2) = __ad_tangents;
    let dx = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    polar_tangent(x, dx, y, scale)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl polar {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_tangent<__AdD0: ::ad_runtime::TangentSlot<f64>, __AdD1, __AdD2>(
        __ad_args: (f64, f64, f64),
        __ad_tangents: (__AdD0, __AdD1, __AdD2),
    ) -> ((f64, f64), (f64, f64)) {
        polar__derive_tangent(__ad_args, __ad_tangents)
    }
}
