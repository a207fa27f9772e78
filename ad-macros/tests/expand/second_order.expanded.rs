fn polar_jacfwd(p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
    let mut __ad_pass = |p: [f64; 2], dp: [[f64; 4]; 2]| -> ([f64; 2], [[f64; 4]; 2]) {
        let _t0 = p[0];
        let d_t0 = dp[0];
        let _t1 = p[1];
        let d_t1 = dp[1];
        let _t2 = _t1.cos();
        let _t2_partials = ::ad_runtime::rules::cos_partial(_t1, _t1);
        let d_t2 = [
            _t2_partials * d_t1[0],
            _t2_partials * d_t1[1],
            _t2_partials * d_t1[2],
            _t2_partials * d_t1[3],
        ];
        let _t3 = _t0 * _t2;
        let d_t3 = [
            _t2 * d_t0[0] + _t0 * d_t2[0],
            _t2 * d_t0[1] + _t0 * d_t2[1],
            _t2 * d_t0[2] + _t0 * d_t2[2],
            _t2 * d_t0[3] + _t0 * d_t2[3],
        ];
        let _t4 = _t0;
        let d_t4 = d_t0;
        let _t5 = _t1;
        let d_t5 = d_t1;
        let _t6 = _t5.sin();
        let _t6_partials = ::ad_runtime::rules::sin_partial(_t5, _t5);
        let d_t6 = [
            _t6_partials * d_t5[0],
            _t6_partials * d_t5[1],
            _t6_partials * d_t5[2],
            _t6_partials * d_t5[3],
        ];
        let _t7 = _t4 * _t6;
        let d_t7 = [
            _t6 * d_t4[0] + _t4 * d_t6[0],
            _t6 * d_t4[1] + _t4 * d_t6[1],
            _t6 * d_t4[2] + _t4 * d_t6[2],
            _t6 * d_t4[3] + _t4 * d_t6[3],
        ];
        ([_t3, _t7], [d_t3, d_t7])
    };
    let __ad_jac: (_, [[f64; 2]; 2]) = ::ad_runtime::jacobian::forward::<
        f64,
        4,
        _,
        _,
        _,
        [[f64; 2]; 2],
    >(&p, 2, |__ad_seed| { __ad_pass(p, __ad_seed) });
    __ad_jac
}

fn polar_jacrev(p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
    let mut __ad_pull = |p: [f64; 2], seed: [f64; 2]| -> ([f64; 2], [f64; 2]) {
        let _t0 = p[0];
        let _t1 = p[1];
        let _t2 = _t1.cos();
        let _t3 = _t0 * _t2;
        let _t4 = _t0;
        let _t5 = _t1;
        let _t6 = _t5.sin();
        let _t7 = _t4 * _t6;
        let mut p_bar = ::ad_runtime::zeros_array(&p);
        let _t3_bar = seed[0usize];
        let _t7_bar = seed[1usize];
        let _t4_bar = _t6 * _t7_bar;
        let _t6_bar = _t4 * _t7_bar;
        let _t6_partials = ::ad_runtime::rules::sin_partial(_t5, _t5);
        let _t5_bar = _t6_partials * _t6_bar;
        let mut _t1_bar = _t5_bar;
        let mut _t0_bar = _t4_bar;
        _t0_bar = _t0_bar + _t2 * _t3_bar;
        let _t2_bar = _t0 * _t3_bar;
        let _t2_partials = ::ad_runtime::rules::cos_partial(_t1, _t1);
        _t1_bar = _t1_bar + _t2_partials * _t2_bar;
        p_bar[1] = p_bar[1] + _t1_bar;
        p_bar[0] = p_bar[0] + _t0_bar;
        ([_t3, _t7], p_bar)
    };
    let __ad_jac: (_, [[f64; 2]; 2]) = ::ad_runtime::jacobian::reverse::<
        f64,
        _,
        _,
        [[f64; 2]; 2],
    >(
        2,
        2,
        |__ad_row| {
            let __ad_result = __ad_pull(
                p,
                <[f64; 2] as ::ad_runtime::jacobian::Basis<f64>>::basis(__ad_row),
            );
            __ad_result
        },
    );
    __ad_jac
}

fn polar_jacobian(p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
    if (2) <= (2) { polar_jacfwd(p) } else { polar_jacrev(p) }
}

#[doc(hidden)]
struct polar {}

#[inline]
fn cubic_vjp(x: [f64; 2], seed: f64) -> (f64, [f64; 2]) {
    let _t0 = x[0];
    let _t1 = _t0;
    let _t2 = _t0 * _t1;
    let _t3 = x[1];
    let _t4 = _t2 * _t3;
    let mut x_bar = ::ad_runtime::zeros_array(&x);
    let _t4_bar = seed;
    let _t2_bar = _t3 * _t4_bar;
    let _t3_bar = _t2 * _t4_bar;
    x_bar[1] = x_bar[1] + _t3_bar;
    let mut _t0_bar = _t1 * _t2_bar;
    let _t1_bar = _t0 * _t2_bar;
    _t0_bar = _t0_bar + _t1_bar;
    x_bar[0] = x_bar[0] + _t0_bar;
    (_t4, x_bar)
}

#[inline]
fn cubic_grad(x: [f64; 2]) -> (f64, [f64; 2]) {
    cubic_vjp(x, ::ad_runtime::one::<f64>())
}

fn cubic_hvp(x: [f64; 2], v: [f64; 2]) -> (f64, [f64; 2], [f64; 2]) {
    let mut __ad_hvp = |
        x: [f64; 2],
        dx: [f64; 2],
        seed: f64,
    | -> ((f64, [f64; 2]), (f64, [f64; 2])) {
        let _t4 = x[0];
        let d_t4 = dx[0];
        let _t6 = _t4 * _t4;
        let d_t6 = _t4 * d_t4 + _t4 * d_t4;
        let _t7 = x[1];
        let d_t7 = dx[1];
        let _t8 = _t6 * _t7;
        let mut x_bar = ::ad_runtime::zeros_array(&x);
        let mut dx_bar = ::ad_runtime::zeros_array(&x_bar);
        let _t6_bar = _t7 * seed;
        let d_t6_bar = seed * d_t7;
        let _t7_bar = _t6 * seed;
        let d_t7_bar = seed * d_t6;
        let _t26 = x_bar[1];
        let d_t26 = dx_bar[1];
        let _t27 = _t26 + _t7_bar;
        let d_t27 = d_t26 + d_t7_bar;
        x_bar[1] = _t27;
        dx_bar[1] = d_t27;
        let _t4_bar = _t4 * _t6_bar;
        let d_t4_bar = _t6_bar * d_t4 + _t4 * d_t6_bar;
        let _t5_bar = _t4 * _t6_bar;
        let d_t5_bar = _t6_bar * d_t4 + _t4 * d_t6_bar;
        let _t4_bar_1 = _t4_bar + _t5_bar;
        let d_t4_bar_1 = d_t4_bar + d_t5_bar;
        let _t32 = x_bar[0];
        let d_t32 = dx_bar[0];
        let _t33 = _t32 + _t4_bar_1;
        let d_t33 = d_t32 + d_t4_bar_1;
        x_bar[0] = _t33;
        dx_bar[0] = d_t33;
        ((_t8, x_bar), (::ad_runtime::zero::<f64>(), dx_bar))
    };
    let ((__ad_value, __ad_grad), (_, __ad_hv)) = __ad_hvp(
        x,
        v,
        ::ad_runtime::one::<f64>(),
    );
    (__ad_value, __ad_grad, __ad_hv)
}

fn cubic_hessian(x: [f64; 2]) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let mut __ad_h = [[::ad_runtime::zero::<f64>(); 2]; 2];
    let mut __ad_last = None;
    for __ad_j in 0..(2).max(1) {
        let v = <[f64; 2] as ::ad_runtime::jacobian::Basis<f64>>::basis(__ad_j);
        let (__ad_value, __ad_grad, __ad_hv) = cubic_hvp(x, v);
        for __ad_i in 0..2 {
            __ad_h[__ad_i][__ad_j] = __ad_hv[__ad_i];
        }
        __ad_last = Some((__ad_value, __ad_grad));
    }
    let (__ad_value, __ad_grad) = __ad_last.expect("one pass at least");
    (__ad_value, __ad_grad, __ad_h)
}

#[doc(hidden)]
fn cubic__derive_hvp_fwd<__AdD0: ::ad_runtime::ArraySlot<[f64; 2]>>(
    __ad_args: ([f64; 2],),
    __ad_tangents: (__AdD0,),
) -> (f64, f64) {
    let (x,) = __ad_args;
    let (__ad_slot0,) = __ad_tangents;
    let dx = <__AdD0 as ::ad_runtime::ArraySlot<[f64; 2]>>::array(__ad_slot0);
    let _t4 = x[0];
    let d_t4 = dx[0];
    let _t5 = _t4;
    let d_t5 = d_t4;
    let _t6 = _t4 * _t5;
    let d_t6 = _t5 * d_t4 + _t4 * d_t5;
    let _t7 = x[1];
    let d_t7 = dx[1];
    let _t8 = _t6 * _t7;
    let d_t8 = _t7 * d_t6 + _t6 * d_t7;
    (_t8, d_t8)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl cubic {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp_fwd<__AdD0: ::ad_runtime::ArraySlot<[f64; 2]>>(
        __ad_args: ([f64; 2],),
        __ad_tangents: (__AdD0,),
    ) -> (f64, f64) {
        cubic__derive_hvp_fwd(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
fn cubic__derive_hvp<
    __AdD0: ::ad_runtime::ArraySlot<[f64; 2]>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
>(
    __ad_args: ([f64; 2], f64),
    __ad_tangents: (__AdD0, __AdD1),
) -> ((f64, ([f64; 2],)), (f64, ([f64; 2],))) {
    let (x, seed) = __ad_args;
    let (__ad_slot0, __ad_slot1) = __ad_tangents;
    let dx = <__AdD0 as ::ad_runtime::ArraySlot<[f64; 2]>>::array(__ad_slot0);
    let dseed = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    let ((__ad_value, __ad_adjoints), (__ad_dvalue, __ad_dadjoints)) = {
        let _t4 = x[0];
        let d_t4 = dx[0];
        let _t6 = _t4 * _t4;
        let d_t6 = _t4 * d_t4 + _t4 * d_t4;
        let _t7 = x[1];
        let d_t7 = dx[1];
        let _t8 = _t6 * _t7;
        let d_t8 = _t7 * d_t6 + _t6 * d_t7;
        let mut x_bar = ::ad_runtime::zeros_array(&x);
        let mut dx_bar = ::ad_runtime::zeros_array(&x_bar);
        let _t6_bar = _t7 * seed;
        let d_t6_bar = seed * d_t7 + _t7 * dseed;
        let _t7_bar = _t6 * seed;
        let d_t7_bar = seed * d_t6 + _t6 * dseed;
        let _t26 = x_bar[1];
        let d_t26 = dx_bar[1];
        let _t27 = _t26 + _t7_bar;
        let d_t27 = d_t26 + d_t7_bar;
        x_bar[1] = _t27;
        dx_bar[1] = d_t27;
        let _t4_bar = _t4 * _t6_bar;
        let d_t4_bar = _t6_bar * d_t4 + _t4 * d_t6_bar;
        let _t5_bar = _t4 * _t6_bar;
        let d_t5_bar = _t6_bar * d_t4 + _t4 * d_t6_bar;
        let _t4_bar_1 = _t4_bar + _t5_bar;
        let d_t4_bar_1 = d_t4_bar + d_t5_bar;
        let _t32 = x_bar[0];
        let d_t32 = dx_bar[0];
        let _t33 = _t32 + _t4_bar_1;
        let d_t33 = d_t32 + d_t4_bar_1;
        x_bar[0] = _t33;
        dx_bar[0] = d_t33;
        ((_t8, x_bar), (d_t8, dx_bar))
    };
    ((__ad_value, (__ad_adjoints,)), (__ad_dvalue, (__ad_dadjoints,)))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl cubic {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp<
        __AdD0: ::ad_runtime::ArraySlot<[f64; 2]>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
    >(
        __ad_args: ([f64; 2], f64),
        __ad_tangents: (__AdD0, __AdD1),
    ) -> ((f64, ([f64; 2],)), (f64, ([f64; 2],))) {
        cubic__derive_hvp(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
impl ::ad_runtime::SecondOrder for cubic {}

#[doc(hidden)]
fn cubic__derive_grad<__AdS0>(
    __ad_args: ([f64; 2],),
    __ad_shadows: (__AdS0,),
    seed: f64,
) -> (f64, ([f64; 2],)) {
    let (x,) = __ad_args;
    let (__ad_shadow0,) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { cubic_vjp(x, seed) };
    (__ad_value, (__ad_adjoints,))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl cubic {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0>(
        __ad_args: ([f64; 2],),
        __ad_shadows: (__AdS0,),
        seed: f64,
    ) -> (f64, ([f64; 2],)) {
        cubic__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct cubic {}

#[inline]
fn two_vjp(a: f64, b: [f64; 2], seed: f64) -> (f64, (f64, [f64; 2])) {
    let _t0 = b[0];
    let _t1 = a * _t0;
    let _t2 = b[1];
    let _t3 = _t1 * _t2;
    let mut b_bar = ::ad_runtime::zeros_array(&b);
    let _t3_bar = seed;
    let _t1_bar = _t2 * _t3_bar;
    let _t2_bar = _t1 * _t3_bar;
    b_bar[1] = b_bar[1] + _t2_bar;
    let a_bar = _t0 * _t1_bar;
    let _t0_bar = a * _t1_bar;
    b_bar[0] = b_bar[0] + _t0_bar;
    (_t3, (a_bar, b_bar))
}

#[inline]
fn two_grad(a: f64, b: [f64; 2]) -> (f64, (f64, [f64; 2])) {
    two_vjp(a, b, ::ad_runtime::one::<f64>())
}

fn two_hvp(
    a: f64,
    v0: f64,
    b: [f64; 2],
    v1: [f64; 2],
) -> (f64, (f64, [f64; 2]), (f64, [f64; 2])) {
    let mut __ad_hvp = |
        a: f64,
        da: f64,
        b: [f64; 2],
        db: [f64; 2],
        seed: f64,
    | -> ((f64, (f64, [f64; 2])), (f64, (f64, [f64; 2]))) {
        let _t5 = b[0];
        let d_t5 = db[0];
        let _t6 = a * _t5;
        let d_t6 = _t5 * da + a * d_t5;
        let _t7 = b[1];
        let d_t7 = db[1];
        let _t8 = _t6 * _t7;
        let mut b_bar = ::ad_runtime::zeros_array(&b);
        let mut db_bar = ::ad_runtime::zeros_array(&b_bar);
        let _t6_bar = _t7 * seed;
        let d_t6_bar = seed * d_t7;
        let _t7_bar = _t6 * seed;
        let d_t7_bar = seed * d_t6;
        let _t26 = b_bar[1];
        let d_t26 = db_bar[1];
        let _t27 = _t26 + _t7_bar;
        let d_t27 = d_t26 + d_t7_bar;
        b_bar[1] = _t27;
        db_bar[1] = d_t27;
        let a_bar = _t5 * _t6_bar;
        let da_bar = _t6_bar * d_t5 + _t5 * d_t6_bar;
        let _t5_bar = a * _t6_bar;
        let d_t5_bar = _t6_bar * da + a * d_t6_bar;
        let _t30 = b_bar[0];
        let d_t30 = db_bar[0];
        let _t31 = _t30 + _t5_bar;
        let d_t31 = d_t30 + d_t5_bar;
        b_bar[0] = _t31;
        db_bar[0] = d_t31;
        ((_t8, (a_bar, b_bar)), (::ad_runtime::zero::<f64>(), (da_bar, db_bar)))
    };
    let mut __ad_g0 = ::ad_runtime::zero::<f64>();
    let mut __ad_h0 = ::ad_runtime::zero::<f64>();
    let mut __ad_g1 = ::ad_runtime::zeros_array(&b);
    let mut __ad_h1 = ::ad_runtime::zeros_array(&b);
    let mut __ad_value = ::ad_runtime::unreached::<f64>();
    ((__ad_value, (__ad_g0, __ad_g1)), (_, (__ad_h0, __ad_h1))) = __ad_hvp(
        a,
        v0,
        b,
        v1,
        ::ad_runtime::one::<f64>(),
    );
    (__ad_value, (__ad_g0, __ad_g1), (__ad_h0, __ad_h1))
}

fn two_hessian(
    a: f64,
    b: [f64; 2],
) -> (f64, (f64, [f64; 2]), ::ad_runtime::Jacobian<f64>) {
    let mut __ad_hvp = |
        a: f64,
        da: f64,
        b: [f64; 2],
        db: [f64; 2],
        seed: f64,
    | -> ((f64, (f64, [f64; 2])), (f64, (f64, [f64; 2]))) {
        let _t5 = b[0];
        let d_t5 = db[0];
        let _t6 = a * _t5;
        let d_t6 = _t5 * da + a * d_t5;
        let _t7 = b[1];
        let d_t7 = db[1];
        let _t8 = _t6 * _t7;
        let mut b_bar = ::ad_runtime::zeros_array(&b);
        let mut db_bar = ::ad_runtime::zeros_array(&b_bar);
        let _t6_bar = _t7 * seed;
        let d_t6_bar = seed * d_t7;
        let _t7_bar = _t6 * seed;
        let d_t7_bar = seed * d_t6;
        let _t26 = b_bar[1];
        let d_t26 = db_bar[1];
        let _t27 = _t26 + _t7_bar;
        let d_t27 = d_t26 + d_t7_bar;
        b_bar[1] = _t27;
        db_bar[1] = d_t27;
        let a_bar = _t5 * _t6_bar;
        let da_bar = _t6_bar * d_t5 + _t5 * d_t6_bar;
        let _t5_bar = a * _t6_bar;
        let d_t5_bar = _t6_bar * da + a * d_t6_bar;
        let _t30 = b_bar[0];
        let d_t30 = db_bar[0];
        let _t31 = _t30 + _t5_bar;
        let d_t31 = d_t30 + d_t5_bar;
        b_bar[0] = _t31;
        db_bar[0] = d_t31;
        ((_t8, (a_bar, b_bar)), (::ad_runtime::zero::<f64>(), (da_bar, db_bar)))
    };
    let mut __ad_g0 = ::ad_runtime::zero::<f64>();
    let mut __ad_h0 = ::ad_runtime::zero::<f64>();
    let mut __ad_g1 = ::ad_runtime::zeros_array(&b);
    let mut __ad_h1 = ::ad_runtime::zeros_array(&b);
    let mut v0 = ::ad_runtime::zero::<f64>();
    let mut v1 = ::ad_runtime::zeros_array(&b);
    let __ad_n = 0usize + 1usize + (2);
    let mut __ad_hess = ::ad_runtime::Jacobian::<f64>::zeros(__ad_n, __ad_n);
    let mut __ad_value = ::ad_runtime::unreached::<f64>();
    for __ad_j in 0..__ad_n.max(1) {
        v0 = if __ad_j == (0usize) {
            ::ad_runtime::one::<f64>()
        } else {
            ::ad_runtime::zero::<f64>()
        };
        v1 = ::ad_runtime::zeros_array(&b);
        if __ad_j >= (0usize + 1usize) && __ad_j < (0usize + 1usize) + (2) {
            v1[(__ad_j - (0usize + 1usize))] = ::ad_runtime::one::<f64>();
        }
        ((__ad_value, (__ad_g0, __ad_g1)), (_, (__ad_h0, __ad_h1))) = __ad_hvp(
            a,
            v0,
            b,
            v1,
            ::ad_runtime::one::<f64>(),
        );
        if __ad_j < __ad_n {
            __ad_hess[(0usize, __ad_j)] = __ad_h0;
            for __ad_i in 0..(2) {
                __ad_hess[((0usize + 1usize) + __ad_i, __ad_j)] = __ad_h1[__ad_i];
            }
        }
    }
    (__ad_value, (__ad_g0, __ad_g1), __ad_hess)
}

#[doc(hidden)]
fn two__derive_hvp_fwd<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::ArraySlot<[f64; 2]>,
>(__ad_args: (f64, [f64; 2]), __ad_tangents: (__AdD0, __AdD1)) -> (f64, f64) {
    let (a, b) = __ad_args;
    let (__ad_slot0, __ad_slot1) = __ad_tangents;
    let da = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let db = <__AdD1 as ::ad_runtime::ArraySlot<[f64; 2]>>::array(__ad_slot1);
    let _t5 = b[0];
    let d_t5 = db[0];
    let _t6 = a * _t5;
    let d_t6 = _t5 * da + a * d_t5;
    let _t7 = b[1];
    let d_t7 = db[1];
    let _t8 = _t6 * _t7;
    let d_t8 = _t7 * d_t6 + _t6 * d_t7;
    (_t8, d_t8)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl two {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp_fwd<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::ArraySlot<[f64; 2]>,
    >(__ad_args: (f64, [f64; 2]), __ad_tangents: (__AdD0, __AdD1)) -> (f64, f64) {
        two__derive_hvp_fwd(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
fn two__derive_hvp<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::ArraySlot<[f64; 2]>,
    __AdD2: ::ad_runtime::TangentSlot<f64>,
>(
    __ad_args: (f64, [f64; 2], f64),
    __ad_tangents: (__AdD0, __AdD1, __AdD2),
) -> ((f64, (f64, [f64; 2])), (f64, (f64, [f64; 2]))) {
    let (a, b, seed) = __ad_args;
    let (__ad_slot0, __ad_slot1, __ad_slot2) = __ad_tangents;
    let da = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let db = <__AdD1 as ::ad_runtime::ArraySlot<[f64; 2]>>::array(__ad_slot1);
    let dseed = <__AdD2 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot2);
    let ((__ad_value, __ad_adjoints), (__ad_dvalue, __ad_dadjoints)) = {
        let _t5 = b[0];
        let d_t5 = db[0];
        let _t6 = a * _t5;
        let d_t6 = _t5 * da + a * d_t5;
        let _t7 = b[1];
        let d_t7 = db[1];
        let _t8 = _t6 * _t7;
        let d_t8 = _t7 * d_t6 + _t6 * d_t7;
        let mut b_bar = ::ad_runtime::zeros_array(&b);
        let mut db_bar = ::ad_runtime::zeros_array(&b_bar);
        let _t6_bar = _t7 * seed;
        let d_t6_bar = seed * d_t7 + _t7 * dseed;
        let _t7_bar = _t6 * seed;
        let d_t7_bar = seed * d_t6 + _t6 * dseed;
        let _t26 = b_bar[1];
        let d_t26 = db_bar[1];
        let _t27 = _t26 + _t7_bar;
        let d_t27 = d_t26 + d_t7_bar;
        b_bar[1] = _t27;
        db_bar[1] = d_t27;
        let a_bar = _t5 * _t6_bar;
        let da_bar = _t6_bar * d_t5 + _t5 * d_t6_bar;
        let _t5_bar = a * _t6_bar;
        let d_t5_bar = _t6_bar * da + a * d_t6_bar;
        let _t30 = b_bar[0];
        let d_t30 = db_bar[0];
        let _t31 = _t30 + _t5_bar;
        let d_t31 = d_t30 + d_t5_bar;
        b_bar[0] = _t31;
        db_bar[0] = d_t31;
        ((_t8, (a_bar, b_bar)), (d_t8, (da_bar, db_bar)))
    };
    (
        (__ad_value, (__ad_adjoints.0, __ad_adjoints.1)),
        (__ad_dvalue, (__ad_dadjoints.0, __ad_dadjoints.1)),
    )
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl two {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::ArraySlot<[f64; 2]>,
        __AdD2: ::ad_runtime::TangentSlot<f64>,
    >(
        __ad_args: (f64, [f64; 2], f64),
        __ad_tangents: (__AdD0, __AdD1, __AdD2),
    ) -> ((f64, (f64, [f64; 2])), (f64, (f64, [f64; 2]))) {
        two__derive_hvp(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
impl ::ad_runtime::SecondOrder for two {}

#[doc(hidden)]
fn two__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, [f64; 2]),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, [f64; 2])) {
    let (a, b) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { two_vjp(a, b, seed) };
    (__ad_value, (__ad_adjoints.0, __ad_adjoints.1))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl two {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, [f64; 2]),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, [f64; 2])) {
        two__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct two {}

#[inline]
fn square_vjp(u: f64, seed: f64) -> (f64, f64) {
    let _t0 = u * u;
    let _t0_bar = seed;
    let mut u_bar = u * _t0_bar;
    u_bar = u_bar + u * _t0_bar;
    (_t0, u_bar)
}

#[inline]
fn square_grad(u: f64) -> (f64, f64) {
    square_vjp(u, ::ad_runtime::one::<f64>())
}

fn square_hvp(u: f64, v: f64) -> (f64, f64, f64) {
    let mut __ad_hvp = |u: f64, du: f64, seed: f64| -> ((f64, f64), (f64, f64)) {
        let _t4 = u * u;
        let u_bar = u * seed;
        let du_bar = seed * du;
        let _t12 = u * seed;
        let d_t12 = seed * du;
        let u_bar_1 = u_bar + _t12;
        let du_bar_1 = du_bar + d_t12;
        ((_t4, u_bar_1), (::ad_runtime::zero::<f64>(), du_bar_1))
    };
    let ((__ad_value, __ad_grad), (_, __ad_hv)) = __ad_hvp(
        u,
        v,
        ::ad_runtime::one::<f64>(),
    );
    (__ad_value, __ad_grad, __ad_hv)
}

fn square_hessian(u: f64) -> (f64, f64, f64) {
    square_hvp(u, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn square__derive_hvp_fwd<__AdD0: ::ad_runtime::TangentSlot<f64>>(
    __ad_args: (f64,),
    __ad_tangents: (__AdD0,),
) -> (f64, f64) {
    let (u,) = __ad_args;
    let (__ad_slot0,) = __ad_tangents;
    let du = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let _t4 = u * u;
    let d_t4 = u * du + u * du;
    (_t4, d_t4)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl square {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp_fwd<__AdD0: ::ad_runtime::TangentSlot<f64>>(
        __ad_args: (f64,),
        __ad_tangents: (__AdD0,),
    ) -> (f64, f64) {
        square__derive_hvp_fwd(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
fn square__derive_hvp<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
>(
    __ad_args: (f64, f64),
    __ad_tangents: (__AdD0, __AdD1),
) -> ((f64, (f64,)), (f64, (f64,))) {
    let (u, seed) = __ad_args;
    let (__ad_slot0, __ad_slot1) = __ad_tangents;
    let du = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let dseed = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    let ((__ad_value, __ad_adjoints), (__ad_dvalue, __ad_dadjoints)) = {
        let _t4 = u * u;
        let d_t4 = u * du + u * du;
        let u_bar = u * seed;
        let du_bar = seed * du + u * dseed;
        let _t12 = u * seed;
        let d_t12 = seed * du + u * dseed;
        let u_bar_1 = u_bar + _t12;
        let du_bar_1 = du_bar + d_t12;
        ((_t4, u_bar_1), (d_t4, du_bar_1))
    };
    ((__ad_value, (__ad_adjoints,)), (__ad_dvalue, (__ad_dadjoints,)))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl square {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
    >(
        __ad_args: (f64, f64),
        __ad_tangents: (__AdD0, __AdD1),
    ) -> ((f64, (f64,)), (f64, (f64,))) {
        square__derive_hvp(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
impl ::ad_runtime::SecondOrder for square {}

#[doc(hidden)]
fn square__derive_grad<__AdS0>(
    __ad_args: (f64,),
    __ad_shadows: (__AdS0,),
    seed: f64,
) -> (f64, (f64,)) {
    let (u,) = __ad_args;
    let (__ad_shadow0,) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { square_vjp(u, seed) };
    (__ad_value, (__ad_adjoints,))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl square {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0>(
        __ad_args: (f64,),
        __ad_shadows: (__AdS0,),
        seed: f64,
    ) -> (f64, (f64,)) {
        square__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct square {}

#[inline]
fn through_call_vjp(x: f64, y: f64, seed: f64) -> (f64, (f64, f64)) {
    let _t0 = x * y;
    let _t1_seed = seed;
    let (_t1, _t1_adjoints) = square::__derive_grad(
        (_t0,),
        (::ad_runtime::Zero,),
        _t1_seed,
    );
    let _t2 = _t1 + y;
    let _t2_bar = seed;
    let _t1_bar = _t2_bar;
    let mut y_bar = _t2_bar;
    let _t0_bar = _t1_adjoints.0;
    let x_bar = y * _t0_bar;
    y_bar = y_bar + x * _t0_bar;
    (_t2, (x_bar, y_bar))
}

#[inline]
fn through_call_grad(x: f64, y: f64) -> (f64, (f64, f64)) {
    through_call_vjp(x, y, ::ad_runtime::one::<f64>())
}

fn through_call_hvp(x: f64, v0: f64, y: f64, v1: f64) -> (f64, (f64, f64), (f64, f64)) {
    let mut __ad_hvp = |
        x: f64,
        dx: f64,
        y: f64,
        dy: f64,
        seed: f64,
    | -> ((f64, (f64, f64)), (f64, (f64, f64))) {
        let _t9 = x * y;
        let d_t9 = y * dx + x * dy;
        let _t10 = square(_t9);
        let _t11 = _t10 + y;
        ::ad_runtime::second_order::<square>();
        let (_t25, d_t25) = square::__derive_hvp(
            (_t9, seed),
            (d_t9, ::ad_runtime::Zero),
        );
        let _t26 = _t25.0;
        let call_adjoints = _t25.1;
        let dcall_adjoints = d_t25.1;
        let _t9_bar = call_adjoints.0;
        let d_t9_bar = dcall_adjoints.0;
        let x_bar = y * _t9_bar;
        let dx_bar = _t9_bar * dy + y * d_t9_bar;
        let _t30 = x * _t9_bar;
        let d_t30 = _t9_bar * dx + x * d_t9_bar;
        let y_bar = seed + _t30;
        let dy_bar = d_t30;
        ((_t11, (x_bar, y_bar)), (::ad_runtime::zero::<f64>(), (dx_bar, dy_bar)))
    };
    let mut __ad_g0 = ::ad_runtime::zero::<f64>();
    let mut __ad_h0 = ::ad_runtime::zero::<f64>();
    let mut __ad_g1 = ::ad_runtime::zero::<f64>();
    let mut __ad_h1 = ::ad_runtime::zero::<f64>();
    let mut __ad_value = ::ad_runtime::unreached::<f64>();
    ((__ad_value, (__ad_g0, __ad_g1)), (_, (__ad_h0, __ad_h1))) = __ad_hvp(
        x,
        v0,
        y,
        v1,
        ::ad_runtime::one::<f64>(),
    );
    (__ad_value, (__ad_g0, __ad_g1), (__ad_h0, __ad_h1))
}

fn through_call_hessian(
    x: f64,
    y: f64,
) -> (f64, (f64, f64), ::ad_runtime::Jacobian<f64>) {
    let mut __ad_hvp = |
        x: f64,
        dx: f64,
        y: f64,
        dy: f64,
        seed: f64,
    | -> ((f64, (f64, f64)), (f64, (f64, f64))) {
        let _t9 = x * y;
        let d_t9 = y * dx + x * dy;
        let _t10 = square(_t9);
        let _t11 = _t10 + y;
        ::ad_runtime::second_order::<square>();
        let (_t25, d_t25) = square::__derive_hvp(
            (_t9, seed),
            (d_t9, ::ad_runtime::Zero),
        );
        let _t26 = _t25.0;
        let call_adjoints = _t25.1;
        let dcall_adjoints = d_t25.1;
        let _t9_bar = call_adjoints.0;
        let d_t9_bar = dcall_adjoints.0;
        let x_bar = y * _t9_bar;
        let dx_bar = _t9_bar * dy + y * d_t9_bar;
        let _t30 = x * _t9_bar;
        let d_t30 = _t9_bar * dx + x * d_t9_bar;
        let y_bar = seed + _t30;
        let dy_bar = d_t30;
        ((_t11, (x_bar, y_bar)), (::ad_runtime::zero::<f64>(), (dx_bar, dy_bar)))
    };
    let mut __ad_g0 = ::ad_runtime::zero::<f64>();
    let mut __ad_h0 = ::ad_runtime::zero::<f64>();
    let mut __ad_g1 = ::ad_runtime::zero::<f64>();
    let mut __ad_h1 = ::ad_runtime::zero::<f64>();
    let mut v0 = ::ad_runtime::zero::<f64>();
    let mut v1 = ::ad_runtime::zero::<f64>();
    let __ad_n = 0usize + 1usize + 1usize;
    let mut __ad_hess = ::ad_runtime::Jacobian::<f64>::zeros(__ad_n, __ad_n);
    let mut __ad_value = ::ad_runtime::unreached::<f64>();
    for __ad_j in 0..__ad_n.max(1) {
        v0 = if __ad_j == (0usize) {
            ::ad_runtime::one::<f64>()
        } else {
            ::ad_runtime::zero::<f64>()
        };
        v1 = if __ad_j == (0usize + 1usize) {
            ::ad_runtime::one::<f64>()
        } else {
            ::ad_runtime::zero::<f64>()
        };
        ((__ad_value, (__ad_g0, __ad_g1)), (_, (__ad_h0, __ad_h1))) = __ad_hvp(
            x,
            v0,
            y,
            v1,
            ::ad_runtime::one::<f64>(),
        );
        if __ad_j < __ad_n {
            __ad_hess[(0usize, __ad_j)] = __ad_h0;
            __ad_hess[(0usize + 1usize, __ad_j)] = __ad_h1;
        }
    }
    (__ad_value, (__ad_g0, __ad_g1), __ad_hess)
}

#[doc(hidden)]
fn through_call__derive_hvp_fwd<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
>(__ad_args: (f64, f64), __ad_tangents: (__AdD0, __AdD1)) -> (f64, f64) {
    let (x, y) = __ad_args;
    let (__ad_slot0, __ad_slot1) = __ad_tangents;
    let dx = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let dy = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    let _t9 = x * y;
    let d_t9 = y * dx + x * dy;
    ::ad_runtime::second_order::<square>();
    let (_t10, d_t10) = square::__derive_hvp_fwd((_t9,), (d_t9,));
    let _t11 = _t10 + y;
    let d_t11 = d_t10 + dy;
    (_t11, d_t11)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl through_call {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp_fwd<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
    >(__ad_args: (f64, f64), __ad_tangents: (__AdD0, __AdD1)) -> (f64, f64) {
        through_call__derive_hvp_fwd(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
fn through_call__derive_hvp<
    __AdD0: ::ad_runtime::TangentSlot<f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
    __AdD2: ::ad_runtime::TangentSlot<f64>,
>(
    __ad_args: (f64, f64, f64),
    __ad_tangents: (__AdD0, __AdD1, __AdD2),
) -> ((f64, (f64, f64)), (f64, (f64, f64))) {
    let (x, y, seed) = __ad_args;
    let (__ad_slot0, __ad_slot1, __ad_slot2) = __ad_tangents;
    let dx = <__AdD0 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot0);
    let dy = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    let dseed = <__AdD2 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot2);
    let ((__ad_value, __ad_adjoints), (__ad_dvalue, __ad_dadjoints)) = {
        let _t9 = x * y;
        let d_t9 = y * dx + x * dy;
        ::ad_runtime::second_order::<square>();
        let (_t10, d_t10) = square::__derive_hvp_fwd((_t9,), (d_t9,));
        let _t11 = _t10 + y;
        let d_t11 = d_t10 + dy;
        ::ad_runtime::second_order::<square>();
        let (_t25, d_t25) = square::__derive_hvp((_t9, seed), (d_t9, dseed));
        let _t26 = _t25.0;
        let call_adjoints = _t25.1;
        let dcall_adjoints = d_t25.1;
        let _t9_bar = call_adjoints.0;
        let d_t9_bar = dcall_adjoints.0;
        let x_bar = y * _t9_bar;
        let dx_bar = _t9_bar * dy + y * d_t9_bar;
        let _t30 = x * _t9_bar;
        let d_t30 = _t9_bar * dx + x * d_t9_bar;
        let y_bar = seed + _t30;
        let dy_bar = dseed + d_t30;
        ((_t11, (x_bar, y_bar)), (d_t11, (dx_bar, dy_bar)))
    };
    (
        (__ad_value, (__ad_adjoints.0, __ad_adjoints.1)),
        (__ad_dvalue, (__ad_dadjoints.0, __ad_dadjoints.1)),
    )
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl through_call {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_hvp<
        __AdD0: ::ad_runtime::TangentSlot<f64>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
        __AdD2: ::ad_runtime::TangentSlot<f64>,
    >(
        __ad_args: (f64, f64, f64),
        __ad_tangents: (__AdD0, __AdD1, __AdD2),
    ) -> ((f64, (f64, f64)), (f64, (f64, f64))) {
        through_call__derive_hvp(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
impl ::ad_runtime::SecondOrder for through_call {}

#[doc(hidden)]
fn through_call__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, f64),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, f64)) {
    let (x, y) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { through_call_vjp(x, y, seed) };
    (__ad_value, (__ad_adjoints.0, __ad_adjoints.1))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl through_call {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, f64),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, f64)) {
        through_call__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct through_call {}

#[inline]
fn recurrence_vjp(x0: f64, n: usize, seed: f64) -> (f64, f64) {
    let mut checkpoints = ::ad_runtime::Stack::new();
    let mut x_stack = ::ad_runtime::Stack::new();
    let _t0 = ::core::iter::IntoIterator::into_iter(0..n);
    let mut x_c = x0;
    let every = ::ad_runtime::checkpoint_interval(
        ::core::iter::Iterator::size_hint(&_t0).0,
    );
    let mut trip: usize = 0;
    for _ in ::core::clone::Clone::clone(&_t0) {
        let x = x_c;
        if trip % every == 0 {
            checkpoints.push((x_c,));
        }
        trip += 1;
        let _t2 = x.sin();
        let _t3 = 0.01 * _t2;
        let x_1 = x + _t3;
        x_c = x_1;
    }
    let x_2 = x_c;
    let x_2_bar = seed;
    let mut x_c_bar = x_2_bar;
    for segment in (0..trip.div_ceil(every)).rev() {
        let restored = checkpoints.pop();
        x_c = restored.0;
        let lo = segment * every;
        let hi = ::core::cmp::min(trip, lo + every);
        for k in lo..hi {
            let _ = ::ad_runtime::nth(&_t0, k);
            let x = x_c;
            x_stack.push(::core::clone::Clone::clone(&x));
            let _t2 = x.sin();
            let _t3 = 0.01 * _t2;
            let x_1 = x + _t3;
            x_c = x_1;
        }
        for k in (lo..hi).rev() {
            let x = x_stack.pop();
            let x_1_bar = x_c_bar;
            let mut x_bar = x_1_bar;
            let _t3_bar = x_1_bar;
            let _t2_bar = 0.01 * _t3_bar;
            let _t2_partials = ::ad_runtime::rules::sin_partial(x, x);
            x_bar = x_bar + _t2_partials * _t2_bar;
            x_c_bar = x_bar;
        }
    }
    let x0_bar = x_c_bar;
    (x_2, x0_bar)
}

#[inline]
fn recurrence_grad(x0: f64, n: usize) -> (f64, f64) {
    recurrence_vjp(x0, n, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn recurrence__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, usize),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, ())) {
    let (x0, n) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { recurrence_vjp(x0, n, seed) };
    (__ad_value, (__ad_adjoints, ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl recurrence {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, usize),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, ())) {
        recurrence__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct recurrence {}

#[inline]
fn recurrence_revolve_vjp(x0: f64, n: usize, seed: f64) -> (f64, f64) {
    let mut x_stack = ::ad_runtime::Stack::new();
    let _t0 = ::core::iter::IntoIterator::into_iter(0..n);
    let mut x_c = x0;
    let mut checkpoints = ::ad_runtime::revolve::Revolve::new(
        ::core::iter::Iterator::size_hint(&_t0).0,
        4,
    );
    let mut trip: usize = 0;
    for _ in ::core::clone::Clone::clone(&_t0) {
        let x = x_c;
        checkpoints.offer(trip, || (x_c,));
        trip += 1;
        let _t2 = x.sin();
        let _t3 = 0.01 * _t2;
        let x_1 = x + _t3;
        x_c = x_1;
    }
    let x_2 = x_c;
    let x_2_bar = seed;
    let mut x_c_bar = x_2_bar;
    checkpoints.start_reverse(trip);
    while let ::core::option::Option::Some(action) = checkpoints.next() {
        match action {
            ::ad_runtime::revolve::Action::Restore(restored) => {
                x_c = restored.0;
            }
            ::ad_runtime::revolve::Action::Advance(lo, hi) => {
                for k in lo..hi {
                    let _ = ::ad_runtime::nth(&_t0, k);
                    let x = x_c;
                    let _t2 = x.sin();
                    let _t3 = 0.01 * _t2;
                    let x_1 = x + _t3;
                    x_c = x_1;
                }
            }
            ::ad_runtime::revolve::Action::Store => checkpoints.store((x_c,)),
            ::ad_runtime::revolve::Action::Reverse(k) => {
                let _ = ::ad_runtime::nth(&_t0, k);
                let x = x_c;
                x_stack.push(::core::clone::Clone::clone(&x));
                let _t2 = x.sin();
                let _t3 = 0.01 * _t2;
                let x_1 = x + _t3;
                x_c = x_1;
                let x = x_stack.pop();
                let x_1_bar = x_c_bar;
                let mut x_bar = x_1_bar;
                let _t3_bar = x_1_bar;
                let _t2_bar = 0.01 * _t3_bar;
                let _t2_partials = ::ad_runtime::rules::sin_partial(x, x);
                x_bar = x_bar + _t2_partials * _t2_bar;
                x_c_bar = x_bar;
            }
        }
    }
    let x0_bar = x_c_bar;
    (x_2, x0_bar)
}

#[inline]
fn recurrence_revolve_grad(x0: f64, n: usize) -> (f64, f64) {
    recurrence_revolve_vjp(x0, n, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn recurrence_revolve__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, usize),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, ())) {
    let (x0, n) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { recurrence_revolve_vjp(x0, n, seed) };
    (__ad_value, (__ad_adjoints, ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl recurrence_revolve {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, usize),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, ())) {
        recurrence_revolve__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct recurrence_revolve {}

#[inline]
fn fixed_point_vjp(p: f64, tol: f64, seed: f64) -> (f64, f64) {
    let mut x_1_stack = ::ad_runtime::Stack::new();
    let x = 0.5;
    let step = 1.0;
    let mut step_c = step;
    let mut x_c = x;
    let mut checkpoints = ::ad_runtime::revolve::Revolve::online(4);
    let mut trip: usize = 0;
    loop {
        let step_1 = step_c;
        let x_1 = x_c;
        let _t4 = step_1 > tol;
        if !(_t4) {
            break;
        }
        checkpoints.offer(trip, || (step_c, x_c));
        trip += 1;
        let _t5 = x_1 * p;
        let next = _t5.cos();
        let _t7 = next - x_1;
        let step_2 = _t7.abs();
        step_c = step_2;
        x_c = next;
    }
    let step_3 = step_c;
    let x_2 = x_c;
    let mut p_bar = ::ad_runtime::zero_like(&p);
    let x_2_bar = seed;
    let mut x_c_bar = x_2_bar;
    let mut p_bar_sum = ::ad_runtime::zero::<f64>();
    checkpoints.start_reverse(trip);
    while let ::core::option::Option::Some(action) = checkpoints.next() {
        match action {
            ::ad_runtime::revolve::Action::Restore(restored) => {
                step_c = restored.0;
                x_c = restored.1;
            }
            ::ad_runtime::revolve::Action::Advance(lo, hi) => {
                for k in lo..hi {
                    let step_1 = step_c;
                    let x_1 = x_c;
                    let _t4 = step_1 > tol;
                    let _t5 = x_1 * p;
                    let next = _t5.cos();
                    let _t7 = next - x_1;
                    let step_2 = _t7.abs();
                    step_c = step_2;
                    x_c = next;
                }
            }
            ::ad_runtime::revolve::Action::Store => checkpoints.store((step_c, x_c)),
            ::ad_runtime::revolve::Action::Reverse(k) => {
                let step_1 = step_c;
                let x_1 = x_c;
                let _t4 = step_1 > tol;
                x_1_stack.push(::core::clone::Clone::clone(&x_1));
                let _t5 = x_1 * p;
                let next = _t5.cos();
                let _t7 = next - x_1;
                let step_2 = _t7.abs();
                step_c = step_2;
                x_c = next;
                let x_1 = x_1_stack.pop();
                let _t5 = x_1 * p;
                let next_bar = x_c_bar;
                let next_partials = ::ad_runtime::rules::cos_partial(_t5, _t5);
                let _t5_bar = next_partials * next_bar;
                let x_1_bar = p * _t5_bar;
                ::ad_runtime::accumulate(&mut p_bar_sum, x_1 * _t5_bar);
                x_c_bar = x_1_bar;
            }
        }
    }
    ::ad_runtime::accumulate(&mut p_bar, p_bar_sum);
    (x_2, p_bar)
}

#[inline]
fn fixed_point_grad(p: f64, tol: f64) -> (f64, f64) {
    fixed_point_vjp(p, tol, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn fixed_point__derive_grad<__AdS0, __AdS1>(
    __ad_args: (f64, f64),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, (f64, ())) {
    let (p, tol) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { fixed_point_vjp(p, tol, seed) };
    (__ad_value, (__ad_adjoints, ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl fixed_point {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: (f64, f64),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, (f64, ())) {
        fixed_point__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct fixed_point {}

fn diffuse_vjp(u0: [f64; 3], steps: usize, seed: f64) -> (f64, [f64; 3]) {
    let mut checkpoints = ::ad_runtime::Stack::new();
    let mut _t4_stack = ::ad_runtime::Stack::new();
    let mut _t5_stack = ::ad_runtime::Stack::new();
    let mut _t9_stack = ::ad_runtime::Stack::new();
    let _t0 = u0[0];
    let _t1 = u0[1];
    let _t2 = u0[2];
    let mut u = [_t0, _t1, _t2];
    u[0] = _t0;
    u[1] = _t1;
    u[2] = _t2;
    let _t3 = ::core::iter::IntoIterator::into_iter(0..steps);
    let every = ::ad_runtime::checkpoint_interval(
        ::core::iter::Iterator::size_hint(&_t3).0,
    );
    let mut trip: usize = 0;
    for _ in ::core::clone::Clone::clone(&_t3) {
        if trip % every == 0 {
            checkpoints.push((::core::clone::Clone::clone(&u),));
        }
        trip += 1;
        let _t4 = u[1];
        let _t5 = u[0];
        let _t6 = _t4;
        let _t7 = 2.0 * _t6;
        let _t8 = _t5 - _t7;
        let _t9 = u[2];
        let _t10 = _t8 + _t9;
        let _t11 = _t10.sin();
        let _t12 = 0.1 * _t11;
        let _t13 = _t4 + _t12;
        u[1] = _t13;
    }
    let _t14 = u[1];
    let _t15 = _t14;
    let _t16 = _t14 * _t15;
    let mut u0_bar = ::ad_runtime::zeros_array(&u0);
    let mut u_bar = ::ad_runtime::zeros_array(&u);
    let _t16_bar = seed;
    let mut _t14_bar = _t15 * _t16_bar;
    let _t15_bar = _t14 * _t16_bar;
    _t14_bar = _t14_bar + _t15_bar;
    u_bar[1] = u_bar[1] + _t14_bar;
    for segment in (0..trip.div_ceil(every)).rev() {
        let restored = checkpoints.pop();
        u = restored.0;
        let lo = segment * every;
        let hi = ::core::cmp::min(trip, lo + every);
        for k in lo..hi {
            let _ = ::ad_runtime::nth(&_t3, k);
            let _t4 = u[1];
            _t4_stack.push(::core::clone::Clone::clone(&_t4));
            let _t5 = u[0];
            _t5_stack.push(::core::clone::Clone::clone(&_t5));
            let _t6 = _t4;
            let _t7 = 2.0 * _t6;
            let _t8 = _t5 - _t7;
            let _t9 = u[2];
            _t9_stack.push(::core::clone::Clone::clone(&_t9));
            let _t10 = _t8 + _t9;
            let _t11 = _t10.sin();
            let _t12 = 0.1 * _t11;
            let _t13 = _t4 + _t12;
            u[1] = _t13;
        }
        for k in (lo..hi).rev() {
            let _t4 = _t4_stack.pop();
            let _t5 = _t5_stack.pop();
            let _t6 = _t4;
            let _t7 = 2.0 * _t6;
            let _t8 = _t5 - _t7;
            let _t9 = _t9_stack.pop();
            let _t10 = _t8 + _t9;
            let slot_bar = u_bar[1];
            u_bar[1] = ::ad_runtime::zero();
            let _t13_bar = slot_bar;
            let mut _t4_bar = _t13_bar;
            let _t12_bar = _t13_bar;
            let _t11_bar = 0.1 * _t12_bar;
            let _t11_partials = ::ad_runtime::rules::sin_partial(_t10, _t10);
            let _t10_bar = _t11_partials * _t11_bar;
            let _t8_bar = _t10_bar;
            let _t9_bar = _t10_bar;
            u_bar[2] = u_bar[2] + _t9_bar;
            let _t5_bar = _t8_bar;
            let _t7_bar = -_t8_bar;
            let _t6_bar = 2.0 * _t7_bar;
            _t4_bar = _t4_bar + _t6_bar;
            u_bar[0] = u_bar[0] + _t5_bar;
            u_bar[1] = u_bar[1] + _t4_bar;
        }
    }
    let slot_bar_2 = u_bar[2];
    u_bar[2] = ::ad_runtime::zero();
    let _t2_bar = slot_bar_2;
    let slot_bar_3 = u_bar[1];
    u_bar[1] = ::ad_runtime::zero();
    let _t1_bar = slot_bar_3;
    let slot_bar_4 = u_bar[0];
    u_bar[0] = ::ad_runtime::zero();
    let _t0_bar = slot_bar_4;
    u0_bar[2] = u0_bar[2] + _t2_bar;
    u0_bar[1] = u0_bar[1] + _t1_bar;
    u0_bar[0] = u0_bar[0] + _t0_bar;
    (_t16, u0_bar)
}

#[inline]
fn diffuse_grad(u0: [f64; 3], steps: usize) -> (f64, [f64; 3]) {
    diffuse_vjp(u0, steps, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn diffuse__derive_grad<__AdS0, __AdS1>(
    __ad_args: ([f64; 3], usize),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, ([f64; 3], ())) {
    let (u0, steps) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = { diffuse_vjp(u0, steps, seed) };
    (__ad_value, (__ad_adjoints, ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl diffuse {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<__AdS0, __AdS1>(
        __ad_args: ([f64; 3], usize),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, ([f64; 3], ())) {
        diffuse__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct diffuse {}

#[inline]
fn scale_tangent(
    x: &[f64],
    dx: &[f64],
    a: f64,
    da: f64,
    out: &mut [f64],
    dout: &mut [f64],
) -> () {
    let _t2 = out.len();
    let _t3 = (0).._t2;
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = _t3.zip(_t5);
    let _t7 = ::core::iter::IntoIterator::into_iter(_t6);
    for (k, k_2) in _t7 {
        let xi = x[k_2];
        let dxi = dx[k_2];
        let _t9 = a * xi;
        let d_t9 = xi * da + a * dxi;
        out[k] = _t9;
        dout[k] = d_t9;
    }
    ()
}

#[doc(hidden)]
fn scale__derive_tangent<
    'ad_slot,
    __AdD0: ::ad_runtime::SliceTangent<'ad_slot, f64>,
    __AdD1: ::ad_runtime::TangentSlot<f64>,
>(
    __ad_args: (&[f64], f64, &mut [f64]),
    __ad_tangents: (__AdD0, __AdD1, &'ad_slot mut [f64]),
) -> ((), ()) {
    let (x, a, out) = __ad_args;
    let (__ad_slot0, __ad_slot1, __ad_slot2) = __ad_tangents;
    let mut __ad_store0 = ::core::default::Default::default();
    let dx = ::ad_runtime::SliceTangent::<f64>::slice(__ad_slot0, &mut __ad_store0);
    let da = <__AdD1 as ::ad_runtime::TangentSlot<f64>>::tangent(__ad_slot1);
    let dout: &mut [f64] = __ad_slot2;
    let () = {
        let _t2 = out.len();
        let _t3 = (0).._t2;
        let _t4 = x.len();
        let _t5 = (0).._t4;
        let _t6 = _t3.zip(_t5);
        let _t7 = ::core::iter::IntoIterator::into_iter(_t6);
        for (k, k_2) in _t7 {
            let xi = x[k_2];
            let dxi = dx[k_2];
            let _t9 = a * xi;
            let d_t9 = xi * da + a * dxi;
            out[k] = _t9;
            dout[k] = d_t9;
        }
        ()
    };
    ((), ())
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl scale {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_tangent<
        'ad_slot,
        __AdD0: ::ad_runtime::SliceTangent<'ad_slot, f64>,
        __AdD1: ::ad_runtime::TangentSlot<f64>,
    >(
        __ad_args: (&[f64], f64, &mut [f64]),
        __ad_tangents: (__AdD0, __AdD1, &'ad_slot mut [f64]),
    ) -> ((), ()) {
        scale__derive_tangent(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
struct scale {}

fn chain_jacfwd(x: &[f64], y: &mut [f64]) -> ::ad_runtime::Jacobian<f64> {
    let __ad_entry0 = y.to_vec();
    let mut __ad_pass = |
        x: &[f64],
        dx: &[[f64; 2]],
        y: &mut [f64],
        dy: &mut [[f64; 2]],
    | -> () {
        let _t0 = x.len();
        let _t1 = (1).._t0;
        let _t2 = ::core::iter::IntoIterator::into_iter(_t1);
        for i in _t2 {
            let _t3 = i - 1;
            let _t4 = x[i];
            let d_t4 = dx[i];
            let _t5 = i - 1;
            let _t6 = x[_t5];
            let d_t6 = dx[_t5];
            let _t7 = i - 1;
            let _t8 = x[_t7];
            let d_t8 = dx[_t7];
            let _t9 = _t6 * _t8;
            let d_t9 = [_t8 * d_t6[0] + _t6 * d_t8[0], _t8 * d_t6[1] + _t6 * d_t8[1]];
            let _t10 = _t4 - _t9;
            let d_t10 = [d_t4[0] - d_t9[0], d_t4[1] - d_t9[1]];
            y[_t3] = _t10;
            dy[_t3] = d_t10;
        }
        ()
    };
    let __ad_jac: (_, ::ad_runtime::Jacobian<f64>) = ::ad_runtime::jacobian::forward::<
        f64,
        2,
        _,
        _,
        _,
        ::ad_runtime::Jacobian<f64>,
    >(
        &x[..],
        y.len(),
        |__ad_seed| {
            y.copy_from_slice(&__ad_entry0);
            let mut __ad_dy0 = ::ad_runtime::jacobian::lanes_zeros_vec::<f64, 2>(&*y);
            let __ad_value = __ad_pass(x, &__ad_seed[..], &mut *y, &mut __ad_dy0[..]);
            (__ad_value, __ad_dy0)
        },
    );
    __ad_jac.1
}

fn chain_sparsity(x: &[f64], y: &mut [f64]) -> ::ad_runtime::sparse::Sparsity {
    let __ad_entry0 = y.to_vec();
    let mut __ad_pass = |
        x: &[f64],
        dx: &[[f64; 2]],
        y: &mut [f64],
        dy: &mut [[f64; 2]],
    | -> () {
        let _t0 = x.len();
        let _t1 = (1).._t0;
        let _t2 = ::core::iter::IntoIterator::into_iter(_t1);
        for i in _t2 {
            let _t3 = i - 1;
            let _t4 = x[i];
            let d_t4 = dx[i];
            let _t5 = i - 1;
            let _t6 = x[_t5];
            let d_t6 = dx[_t5];
            let _t7 = i - 1;
            let _t8 = x[_t7];
            let d_t8 = dx[_t7];
            let _t9 = _t6 * _t8;
            let d_t9 = [_t8 * d_t6[0] + _t6 * d_t8[0], _t8 * d_t6[1] + _t6 * d_t8[1]];
            let _t10 = _t4 - _t9;
            let d_t10 = [d_t4[0] - d_t9[0], d_t4[1] - d_t9[1]];
            y[_t3] = _t10;
            dy[_t3] = d_t10;
        }
        ()
    };
    ::ad_runtime::sparse::detect::<
        f64,
        2,
        _,
        _,
        _,
    >(
        &x[..],
        y.len(),
        |__ad_seed| {
            y.copy_from_slice(&__ad_entry0);
            let mut __ad_dy0 = ::ad_runtime::jacobian::lanes_zeros_vec::<f64, 2>(&*y);
            let __ad_value = __ad_pass(x, &__ad_seed[..], &mut *y, &mut __ad_dy0[..]);
            (__ad_value, __ad_dy0)
        },
    )
}

fn chain_jacsparse(
    x: &[f64],
    y: &mut [f64],
    sparsity: &::ad_runtime::sparse::Sparsity,
) -> ::ad_runtime::sparse::CsMat<f64> {
    let __ad_entry0 = y.to_vec();
    let mut __ad_pass = |
        x: &[f64],
        dx: &[[f64; 2]],
        y: &mut [f64],
        dy: &mut [[f64; 2]],
    | -> () {
        let _t0 = x.len();
        let _t1 = (1).._t0;
        let _t2 = ::core::iter::IntoIterator::into_iter(_t1);
        for i in _t2 {
            let _t3 = i - 1;
            let _t4 = x[i];
            let d_t4 = dx[i];
            let _t5 = i - 1;
            let _t6 = x[_t5];
            let d_t6 = dx[_t5];
            let _t7 = i - 1;
            let _t8 = x[_t7];
            let d_t8 = dx[_t7];
            let _t9 = _t6 * _t8;
            let d_t9 = [_t8 * d_t6[0] + _t6 * d_t8[0], _t8 * d_t6[1] + _t6 * d_t8[1]];
            let _t10 = _t4 - _t9;
            let d_t10 = [d_t4[0] - d_t9[0], d_t4[1] - d_t9[1]];
            y[_t3] = _t10;
            dy[_t3] = d_t10;
        }
        ()
    };
    let __ad_jac = ::ad_runtime::sparse::jacobian::<
        f64,
        2,
        _,
        _,
        _,
    >(
        &x[..],
        sparsity,
        |__ad_seed| {
            y.copy_from_slice(&__ad_entry0);
            let mut __ad_dy0 = ::ad_runtime::jacobian::lanes_zeros_vec::<f64, 2>(&*y);
            let __ad_value = __ad_pass(x, &__ad_seed[..], &mut *y, &mut __ad_dy0[..]);
            (__ad_value, __ad_dy0)
        },
    );
    __ad_jac.1
}

fn chain_jacobian(x: &[f64], y: &mut [f64]) -> ::ad_runtime::Jacobian<f64> {
    chain_jacfwd(x, &mut *y)
}

#[doc(hidden)]
struct chain {}
