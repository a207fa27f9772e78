#[inline]
fn piecewise_vjp(x: f64, seed: f64) -> (f64, f64) {
    let _t0 = x > 1.0;
    let (_t4,) = if _t0 {
        let _t1 = x * x;
        (_t1,)
    } else {
        let _t2 = 2.0 * x;
        let _t3 = _t2 - 1.0;
        (_t3,)
    };
    let mut x_bar = ::ad_runtime::zero_like(&x);
    let _t4_bar = seed;
    if _t0 {
        let _t1_bar = _t4_bar;
        ::ad_runtime::accumulate(&mut x_bar, x * _t1_bar);
        ::ad_runtime::accumulate(&mut x_bar, x * _t1_bar);
    } else {
        let _t3_bar = _t4_bar;
        let _t2_bar = _t3_bar;
        ::ad_runtime::accumulate(&mut x_bar, 2.0 * _t2_bar);
    }
    (_t4, x_bar)
}

#[inline]
fn piecewise_grad(x: f64) -> (f64, f64) {
    piecewise_vjp(x, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn piecewise__derive_grad<__AdS0>(
    __ad_args: (f64,),
    __ad_shadows: (__AdS0,),
    seed: f64,
) -> (f64, (f64,)) {
    let (x,) = __ad_args;
    let (__ad_shadow0,) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { piecewise_vjp(x, seed) };
    (__ad_value, (__ad_adjoints,))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl piecewise {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0>(
        __ad_args: (f64,),
        __ad_shadows: (__AdS0,),
        seed: f64,
    ) -> (f64, (f64,)) {
        piecewise__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct piecewise {}

#[inline]
fn reduction_vjp(x: f64, n: usize, seed: f64) -> (f64, f64) {
    let s = 0.0;
    let _t0 = ::core::iter::IntoIterator::into_iter(0..n);
    let mut x_bar = ::ad_runtime::zero_like(&x);
    let s_3_bar = seed;
    let mut s_c = s;
    let mut s_c_bar = s_3_bar;
    for i in _t0 {
        let s_1 = s_c;
        let _t3 = i as f64;
        let _t4 = _t3 * x;
        let _t5 = _t4.sin();
        let s_2 = s_1 + _t5;
        let s_2_bar = s_c_bar;
        let s_1_bar = s_2_bar;
        let _t5_bar = s_2_bar;
        let _t5_partials = ::ad_runtime::rules::sin_partial(_t4, _t4);
        let _t4_bar = _t5_partials * _t5_bar;
        ::ad_runtime::accumulate(&mut x_bar, _t3 * _t4_bar);
        s_c_bar = s_1_bar;
        s_c = s_2;
    }
    let s_3 = s_c;
    (s_3, x_bar)
}

#[inline]
fn reduction_grad(x: f64, n: usize) -> (f64, f64) {
    reduction_vjp(x, n, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn reduction__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, usize),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, ())) {
    let (x, n) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { reduction_vjp(x, n, seed) };
    (__ad_value, (__ad_adjoints, ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl reduction {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, usize),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, ())) {
        reduction__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct reduction {}

#[inline]
fn recurrence_vjp(x0: f64, p: f64, n: usize, seed: f64) -> (f64, (f64, f64)) {
    let mut x_stack = ::ad_runtime::Stack::new();
    let h = 0.01;
    let _t0 = ::core::iter::IntoIterator::into_iter(0..n);
    let mut x_c = x0;
    let mut trip: usize = 0;
    x_stack.reserve(::core::iter::Iterator::size_hint(&_t0).0);
    for _ in ::core::clone::Clone::clone(&_t0) {
        let x = x_c;
        trip += 1;
        x_stack.push(::core::clone::Clone::clone(&x));
        let _t2 = x.sin();
        let _t3 = h * _t2;
        let _t4 = _t3 * p;
        let x_1 = x + _t4;
        x_c = x_1;
    }
    let x_2 = x_c;
    let mut p_bar = ::ad_runtime::zero_like(&p);
    let x_2_bar = seed;
    let mut x_c_bar = x_2_bar;
    let mut p_bar_sum = ::ad_runtime::zero::<f64>();
    for k in (0..trip).rev() {
        let x = x_stack.pop();
        let _t2 = x.sin();
        let _t3 = h * _t2;
        let x_1_bar = x_c_bar;
        let mut x_bar = x_1_bar;
        let _t4_bar = x_1_bar;
        let _t3_bar = p * _t4_bar;
        ::ad_runtime::accumulate(&mut p_bar_sum, _t3 * _t4_bar);
        let _t2_bar = h * _t3_bar;
        let _t2_partials = ::ad_runtime::rules::sin_partial(x, x);
        x_bar = x_bar + _t2_partials * _t2_bar;
        x_c_bar = x_bar;
    }
    ::ad_runtime::accumulate(&mut p_bar, p_bar_sum);
    let x0_bar = x_c_bar;
    (x_2, (x0_bar, p_bar))
}

#[inline]
fn recurrence_grad(x0: f64, p: f64, n: usize) -> (f64, (f64, f64)) {
    let dx0: [f64; 2] = ::ad_runtime::jacobian::lanes::<
        f64,
        2,
    >(|__ad_k| {
        if __ad_k == 0 {
            ::ad_runtime::one::<f64>()
        } else {
            ::ad_runtime::zero::<f64>()
        }
    });
    let dp: [f64; 2] = ::ad_runtime::jacobian::lanes::<
        f64,
        2,
    >(|__ad_k| {
        if __ad_k == 1 {
            ::ad_runtime::one::<f64>()
        } else {
            ::ad_runtime::zero::<f64>()
        }
    });
    let (__ad_value, __ad_lanes) = {
        let h = 0.01;
        let _t0 = ::core::iter::IntoIterator::into_iter(0..n);
        let mut x_c = x0;
        let mut dx_c_2 = dx0;
        for _ in _t0 {
            let x = x_c;
            let dx = dx_c_2;
            let _t2 = x.sin();
            let _t2_partials = ::ad_runtime::rules::sin_partial(x, x);
            let d_t2 = [_t2_partials * dx[0], _t2_partials * dx[1]];
            let _t3 = h * _t2;
            let d_t3 = [h * d_t2[0], h * d_t2[1]];
            let _t4 = _t3 * p;
            let d_t4 = [p * d_t3[0] + _t3 * dp[0], p * d_t3[1] + _t3 * dp[1]];
            let x_1 = x + _t4;
            let dx_1 = [dx[0] + d_t4[0], dx[1] + d_t4[1]];
            x_c = x_1;
            dx_c_2 = dx_1;
        }
        let x_2 = x_c;
        let dx_2 = dx_c_2;
        (x_2, dx_2)
    };
    (__ad_value, (__ad_lanes[0], __ad_lanes[1]))
}

#[doc(hidden)]
fn recurrence__derive_grad<__AdS0, __AdS1, __AdS2>(
    __ad_args: (f64, f64, usize),
    __ad_shadows: (__AdS0, __AdS1, __AdS2),
    seed: f64,
) -> (f64, (f64, f64, ())) {
    let (x0, p, n) = __ad_args;
    let (__ad_shadow0, __ad_shadow1, __ad_shadow2) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { recurrence_vjp(x0, p, n, seed) };
    (__ad_value, (__ad_adjoints.0, __ad_adjoints.1, ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl recurrence {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1, __AdS2>(
        __ad_args: (f64, f64, usize),
        __ad_shadows: (__AdS0, __AdS1, __AdS2),
        seed: f64,
    ) -> (f64, (f64, f64, ())) {
        recurrence__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct recurrence {}

#[inline]
fn recurrence_tangent(x0: f64, dx0: f64, p: f64, dp: f64, n: usize) -> (f64, f64) {
    let h = 0.01;
    let _t0 = ::core::iter::IntoIterator::into_iter(0..n);
    let mut x_c = x0;
    let mut dx_c_2 = dx0;
    for _ in _t0 {
        let x = x_c;
        let dx = dx_c_2;
        let _t2 = x.sin();
        let _t2_partials = ::ad_runtime::rules::sin_partial(x, x);
        let d_t2 = _t2_partials * dx;
        let _t3 = h * _t2;
        let d_t3 = h * d_t2;
        let _t4 = _t3 * p;
        let d_t4 = p * d_t3 + _t3 * dp;
        let x_1 = x + _t4;
        let dx_1 = dx + d_t4;
        x_c = x_1;
        dx_c_2 = dx_1;
    }
    let x_2 = x_c;
    let dx_2 = dx_c_2;
    (x_2, dx_2)
}

#[doc(hidden)]
fn recurrence__derive_tangent<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
    __AdD2,
>(__ad_args: (f64, f64, usize), __ad_tangents: (__AdD0, __AdD1, __AdD2)) -> (f64, f64) {
    let (x0, p, n) = __ad_args;
    let (__ad_slot0, __ad_slot1, __ad_slot2) = __ad_tangents;
    let dx0 = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let dp = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    recurrence_tangent(x0, dx0, p, dp, n)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl recurrence {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_tangent<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
        __AdD2,
    >(
        __ad_args: (f64, f64, usize),
        __ad_tangents: (__AdD0, __AdD1, __AdD2),
    ) -> (f64, f64) {
        recurrence__derive_tangent(__ad_args, __ad_tangents)
    }
}
