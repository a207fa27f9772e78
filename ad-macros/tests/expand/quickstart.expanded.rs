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

#[doc(hidden)]
fn f__derive_tangent<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
>(__ad_args: (f64, f64), __ad_tangents: (__AdD0, __AdD1)) -> (f64, f64) {
    let (x, y) = __ad_args;
    let (__ad_slot0, __ad_slot1) = __ad_tangents;
    let dx = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let dy = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    f_tangent(x, dx, y, dy)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl f {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_tangent<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
    >(__ad_args: (f64, f64), __ad_tangents: (__AdD0, __AdD1)) -> (f64, f64) {
        f__derive_tangent(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
struct f {}

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

#[doc(hidden)]
fn f__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, f64),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, f64)) {
    let (x, y) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { f_vjp(x, y, seed) };
    (__ad_value, (__ad_adjoints.0, __ad_adjoints.1))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl f {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, f64),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, f64)) {
        f__derive_grad(__ad_args, __ad_shadows, seed)
    }
}
