#[inline]
fn sumsq_tangent(x: &[f64], dx: &[f64]) -> (f64, f64) {
    let acc: f64 = ::ad_runtime::zero();
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
    let mut acc_c = acc;
    let mut dacc_c_2 = ::ad_runtime::zero_like(&acc);
    for k in _t6 {
        let acc_1 = acc_c;
        let dacc_1 = dacc_c_2;
        let v = x[k];
        let dv = dx[k];
        let _t10 = v * v;
        let d_t10 = v * dv + v * dv;
        let acc_2 = acc_1 + _t10;
        let dacc_2 = dacc_1 + d_t10;
        acc_c = acc_2;
        dacc_c_2 = dacc_2;
    }
    let acc_3 = acc_c;
    let dacc_3 = dacc_c_2;
    (acc_3, dacc_3)
}

#[doc(hidden)]
fn sumsq__derive_tangent<'ad_slot, __AdD0: ::ad_runtime::SliceTangent<'ad_slot, f64>>(
    __ad_args: (&[f64],),
    __ad_tangents: (__AdD0,),
) -> (f64, f64) {
    let (x,) = __ad_args;
    let (__ad_slot0,) = __ad_tangents;
    let mut __ad_store0 = ::core::default::Default::default();
    let dx = ::ad_runtime::SliceTangent::<f64>::slice(__ad_slot0, &mut __ad_store0);
    let acc: f64 = ::ad_runtime::zero();
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
    let mut acc_c = acc;
    let mut dacc_c_2 = ::ad_runtime::zero_like(&acc);
    for k in _t6 {
        let acc_1 = acc_c;
        let dacc_1 = dacc_c_2;
        let v = x[k];
        let dv = dx[k];
        let _t10 = v * v;
        let d_t10 = v * dv + v * dv;
        let acc_2 = acc_1 + _t10;
        let dacc_2 = dacc_1 + d_t10;
        acc_c = acc_2;
        dacc_c_2 = dacc_2;
    }
    let acc_3 = acc_c;
    let dacc_3 = dacc_c_2;
    (acc_3, dacc_3)
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl sumsq {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_tangent<'ad_slot, __AdD0: ::ad_runtime::SliceTangent<'ad_slot, f64>>(
        __ad_args: (&[f64],),
        __ad_tangents: (__AdD0,),
    ) -> (f64, f64) {
        sumsq__derive_tangent(__ad_args, __ad_tangents)
    }
}

#[doc(hidden)]
struct sumsq {}

#[inline]
fn sumsq_vjp(x: &[f64], dx: &mut [f64], seed: f64) -> f64 {
    let acc: f64 = ::ad_runtime::zero();
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
    let acc_3_bar = seed;
    let mut acc_c = acc;
    let mut acc_c_bar = acc_3_bar;
    for k in _t6 {
        let acc_1 = acc_c;
        let v = x[k];
        let _t10 = v * v;
        let acc_2 = acc_1 + _t10;
        let acc_2_bar = acc_c_bar;
        let acc_1_bar = acc_2_bar;
        let _t10_bar = acc_2_bar;
        let mut v_bar = v * _t10_bar;
        v_bar = v_bar + v * _t10_bar;
        dx[k] = dx[k] + v_bar;
        acc_c_bar = acc_1_bar;
        acc_c = acc_2;
    }
    let acc_3 = acc_c;
    acc_3
}

#[inline]
fn sumsq_grad(x: &[f64], dx: &mut [f64]) -> f64 {
    sumsq_vjp(x, dx, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn sumsq__derive_grad<'ad_slot, __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>>(
    __ad_args: (&[f64],),
    __ad_shadows: (__AdS0,),
    seed: f64,
) -> (f64, ((),)) {
    let (x,) = __ad_args;
    let (__ad_shadow0,) = __ad_shadows;
    let mut __ad_store0 = ::core::default::Default::default();
    let dx = ::ad_runtime::SliceShadow::<f64>::shadow(__ad_shadow0, &mut __ad_store0);
    let __ad_value = {
        let acc: f64 = ::ad_runtime::zero();
        let _t4 = x.len();
        let _t5 = (0).._t4;
        let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
        let acc_3_bar = seed;
        let mut acc_c = acc;
        let mut acc_c_bar = acc_3_bar;
        for k in _t6 {
            let acc_1 = acc_c;
            let v = x[k];
            let _t10 = v * v;
            let acc_2 = acc_1 + _t10;
            let acc_2_bar = acc_c_bar;
            let acc_1_bar = acc_2_bar;
            let _t10_bar = acc_2_bar;
            let mut v_bar = v * _t10_bar;
            v_bar = v_bar + v * _t10_bar;
            dx[k] = dx[k] + v_bar;
            acc_c_bar = acc_1_bar;
            acc_c = acc_2;
        }
        let acc_3 = acc_c;
        acc_3
    };
    (__ad_value, ((),))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl sumsq {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<'ad_slot, __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>>(
        __ad_args: (&[f64],),
        __ad_shadows: (__AdS0,),
        seed: f64,
    ) -> (f64, ((),)) {
        sumsq__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[inline]
fn rosenbrock_vjp(x: &[f64], dx: &mut [f64], seed: f64) -> f64 {
    let s = 0.0;
    let _t0 = x.len();
    let _t1 = _t0 - 1;
    let _t2 = (0).._t1;
    let _t3 = ::core::iter::IntoIterator::into_iter(_t2);
    let s_3_bar = seed;
    let mut s_c = s;
    let mut s_c_bar = s_3_bar;
    for i in _t3 {
        let s_1 = s_c;
        let _t6 = i + 1;
        let _t7 = x[_t6];
        let _t8 = x[i];
        let _t9 = _t8;
        let _t10 = _t8 * _t9;
        let t = _t7 - _t10;
        let _t12 = _t8;
        let u = 1.0 - _t12;
        let _t14 = 100.0 * t;
        let _t15 = _t14 * t;
        let _t16 = u * u;
        let _t17 = _t15 + _t16;
        let s_2 = s_1 + _t17;
        let s_2_bar = s_c_bar;
        let s_1_bar = s_2_bar;
        let _t17_bar = s_2_bar;
        let _t15_bar = _t17_bar;
        let _t16_bar = _t17_bar;
        let mut u_bar = u * _t16_bar;
        u_bar = u_bar + u * _t16_bar;
        let _t14_bar = t * _t15_bar;
        let mut t_bar = _t14 * _t15_bar;
        t_bar = t_bar + 100.0 * _t14_bar;
        let _t12_bar = -u_bar;
        let mut _t8_bar = _t12_bar;
        let _t7_bar = t_bar;
        let _t10_bar = -t_bar;
        _t8_bar = _t8_bar + _t9 * _t10_bar;
        let _t9_bar = _t8 * _t10_bar;
        _t8_bar = _t8_bar + _t9_bar;
        dx[i] = dx[i] + _t8_bar;
        dx[_t6] = dx[_t6] + _t7_bar;
        s_c_bar = s_1_bar;
        s_c = s_2;
    }
    let s_3 = s_c;
    s_3
}

#[inline]
fn rosenbrock_grad(x: &[f64], dx: &mut [f64]) -> f64 {
    rosenbrock_vjp(x, dx, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn rosenbrock__derive_grad<'ad_slot, __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>>(
    __ad_args: (&[f64],),
    __ad_shadows: (__AdS0,),
    seed: f64,
) -> (f64, ((),)) {
    let (x,) = __ad_args;
    let (__ad_shadow0,) = __ad_shadows;
    let mut __ad_store0 = ::core::default::Default::default();
    let dx = ::ad_runtime::SliceShadow::<f64>::shadow(__ad_shadow0, &mut __ad_store0);
    let __ad_value = {
        let s = 0.0;
        let _t0 = x.len();
        let _t1 = _t0 - 1;
        let _t2 = (0).._t1;
        let _t3 = ::core::iter::IntoIterator::into_iter(_t2);
        let s_3_bar = seed;
        let mut s_c = s;
        let mut s_c_bar = s_3_bar;
        for i in _t3 {
            let s_1 = s_c;
            let _t6 = i + 1;
            let _t7 = x[_t6];
            let _t8 = x[i];
            let _t9 = _t8;
            let _t10 = _t8 * _t9;
            let t = _t7 - _t10;
            let _t12 = _t8;
            let u = 1.0 - _t12;
            let _t14 = 100.0 * t;
            let _t15 = _t14 * t;
            let _t16 = u * u;
            let _t17 = _t15 + _t16;
            let s_2 = s_1 + _t17;
            let s_2_bar = s_c_bar;
            let s_1_bar = s_2_bar;
            let _t17_bar = s_2_bar;
            let _t15_bar = _t17_bar;
            let _t16_bar = _t17_bar;
            let mut u_bar = u * _t16_bar;
            u_bar = u_bar + u * _t16_bar;
            let _t14_bar = t * _t15_bar;
            let mut t_bar = _t14 * _t15_bar;
            t_bar = t_bar + 100.0 * _t14_bar;
            let _t12_bar = -u_bar;
            let mut _t8_bar = _t12_bar;
            let _t7_bar = t_bar;
            let _t10_bar = -t_bar;
            _t8_bar = _t8_bar + _t9 * _t10_bar;
            let _t9_bar = _t8 * _t10_bar;
            _t8_bar = _t8_bar + _t9_bar;
            dx[i] = dx[i] + _t8_bar;
            dx[_t6] = dx[_t6] + _t7_bar;
            s_c_bar = s_1_bar;
            s_c = s_2;
        }
        let s_3 = s_c;
        s_3
    };
    (__ad_value, ((),))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl rosenbrock {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<'ad_slot, __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>>(
        __ad_args: (&[f64],),
        __ad_shadows: (__AdS0,),
        seed: f64,
    ) -> (f64, ((),)) {
        rosenbrock__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct rosenbrock {}
