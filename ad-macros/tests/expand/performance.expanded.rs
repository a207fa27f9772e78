fn mlp_loss_vjp(
    params: &[f64],
    dparams: &mut [f64],
    x: &[f64],
    dx: &mut [f64],
    target: f64,
    seed: f64,
) -> (f64, f64) {
    let mut hidden = [0.0; 8];
    let _t0 = ::core::iter::IntoIterator::into_iter(0..8);
    let mut trip: usize = 0;
    for j in ::core::clone::Clone::clone(&_t0) {
        trip += 1;
        let _t1 = 32 + j;
        let a = params[_t1];
        let _t3 = ::core::iter::IntoIterator::into_iter(0..4);
        let mut a_c = a;
        let mut trip_2: usize = 0;
        for k in ::core::clone::Clone::clone(&_t3) {
            let a_1 = a_c;
            trip_2 += 1;
            let _t6 = j * 4;
            let _t7 = _t6 + k;
            let _t8 = params[_t7];
            let _t9 = x[k];
            let _t10 = _t8 * _t9;
            let a_2 = a_1 + _t10;
            a_c = a_2;
        }
        let a_3 = a_c;
        let _t14 = a_3.tanh();
        hidden[j] = _t14;
    }
    let out = params[48];
    let _t16 = ::core::iter::IntoIterator::into_iter(0..8);
    let mut out_c = out;
    let mut trip_3: usize = 0;
    for j_1 in ::core::clone::Clone::clone(&_t16) {
        let out_1 = out_c;
        trip_3 += 1;
        let _t20 = 40 + j_1;
        let _t21 = params[_t20];
        let _t22 = hidden[j_1];
        let _t23 = _t21 * _t22;
        let out_2 = out_1 + _t23;
        out_c = out_2;
    }
    let out_3 = out_c;
    let e = out_3 - target;
    let _t28 = e * e;
    let mut hidden_bar = ::ad_runtime::zeros_array(&hidden);
    let _t28_bar = seed;
    let mut e_bar = e * _t28_bar;
    e_bar = e_bar + e * _t28_bar;
    let out_3_bar = e_bar;
    let target_bar = -e_bar;
    let mut out_c_bar = out_3_bar;
    for k in 0..trip_3 {
        let j_1 = ::ad_runtime::nth(&_t16, k);
        let _t20 = 40 + j_1;
        let _t21 = params[_t20];
        let _t22 = hidden[j_1];
        let out_2_bar = out_c_bar;
        let out_1_bar = out_2_bar;
        let _t23_bar = out_2_bar;
        let _t21_bar = _t22 * _t23_bar;
        let _t22_bar = _t21 * _t23_bar;
        hidden_bar[j_1] = hidden_bar[j_1] + _t22_bar;
        dparams[_t20] = dparams[_t20] + _t21_bar;
        out_c_bar = out_1_bar;
    }
    let out_bar = out_c_bar;
    dparams[48] = dparams[48] + out_bar;
    for k_2 in (0..trip).rev() {
        let j = ::ad_runtime::nth(&_t0, k_2);
        let _t1 = 32 + j;
        let _t3 = ::core::iter::IntoIterator::into_iter(0..4);
        let _t14 = hidden[j];
        let slot_bar = hidden_bar[j];
        hidden_bar[j] = ::ad_runtime::zero();
        let _t14_bar = slot_bar;
        let _t14_partials = ::ad_runtime::rules::tanh_partial(_t14, _t14);
        let a_3_bar = _t14_partials * _t14_bar;
        let mut a_c_bar = a_3_bar;
        let trip_2: usize = ::ad_runtime::trip_count(&_t3);
        for k_3 in 0..trip_2 {
            let k = ::ad_runtime::nth(&_t3, k_3);
            let _t6 = j * 4;
            let _t7 = _t6 + k;
            let _t8 = params[_t7];
            let _t9 = x[k];
            let a_2_bar = a_c_bar;
            let a_1_bar = a_2_bar;
            let _t10_bar = a_2_bar;
            let _t8_bar = _t9 * _t10_bar;
            let _t9_bar = _t8 * _t10_bar;
            dx[k] = dx[k] + _t9_bar;
            dparams[_t7] = dparams[_t7] + _t8_bar;
            a_c_bar = a_1_bar;
        }
        let a_bar = a_c_bar;
        dparams[_t1] = dparams[_t1] + a_bar;
    }
    (_t28, target_bar)
}

#[inline]
fn mlp_loss_grad(
    params: &[f64],
    dparams: &mut [f64],
    x: &[f64],
    dx: &mut [f64],
    target: f64,
) -> (f64, f64) {
    mlp_loss_vjp(params, dparams, x, dx, target, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn mlp_loss__derive_grad<
    'ad_slot,
    __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>,
    __AdS1: ::ad_runtime::SliceShadow<'ad_slot, f64>,
    __AdS2,
>(
    __ad_args: (&[f64], &[f64], f64),
    __ad_shadows: (__AdS0, __AdS1, __AdS2),
    seed: f64,
) -> (f64, ((), (), f64)) {
    let (params, x, target) = __ad_args;
    let (__ad_shadow0, __ad_shadow1, __ad_shadow2) = __ad_shadows;
    let mut __ad_store0 = ::core::default::Default::default();
    let dparams = ::ad_runtime::SliceShadow::<
        f64,
    >::shadow(__ad_shadow0, &mut __ad_store0);
    let mut __ad_store1 = ::core::default::Default::default();
    let dx = ::ad_runtime::SliceShadow::<f64>::shadow(__ad_shadow1, &mut __ad_store1);
    let (__ad_value, __ad_adjoints) = {
        let mut hidden = [0.0; 8];
        let _t0 = ::core::iter::IntoIterator::into_iter(0..8);
        let mut trip: usize = 0;
        for j in ::core::clone::Clone::clone(&_t0) {
            trip += 1;
            let _t1 = 32 + j;
            let a = params[_t1];
            let _t3 = ::core::iter::IntoIterator::into_iter(0..4);
            let mut a_c = a;
            let mut trip_2: usize = 0;
            for k in ::core::clone::Clone::clone(&_t3) {
                let a_1 = a_c;
                trip_2 += 1;
                let _t6 = j * 4;
                let _t7 = _t6 + k;
                let _t8 = params[_t7];
                let _t9 = x[k];
                let _t10 = _t8 * _t9;
                let a_2 = a_1 + _t10;
                a_c = a_2;
            }
            let a_3 = a_c;
            let _t14 = a_3.tanh();
            hidden[j] = _t14;
        }
        let out = params[48];
        let _t16 = ::core::iter::IntoIterator::into_iter(0..8);
        let mut out_c = out;
        let mut trip_3: usize = 0;
        for j_1 in ::core::clone::Clone::clone(&_t16) {
            let out_1 = out_c;
            trip_3 += 1;
            let _t20 = 40 + j_1;
            let _t21 = params[_t20];
            let _t22 = hidden[j_1];
            let _t23 = _t21 * _t22;
            let out_2 = out_1 + _t23;
            out_c = out_2;
        }
        let out_3 = out_c;
        let e = out_3 - target;
        let _t28 = e * e;
        let mut hidden_bar = ::ad_runtime::zeros_array(&hidden);
        let _t28_bar = seed;
        let mut e_bar = e * _t28_bar;
        e_bar = e_bar + e * _t28_bar;
        let out_3_bar = e_bar;
        let target_bar = -e_bar;
        let mut out_c_bar = out_3_bar;
        for k in 0..trip_3 {
            let j_1 = ::ad_runtime::nth(&_t16, k);
            let _t20 = 40 + j_1;
            let _t21 = params[_t20];
            let _t22 = hidden[j_1];
            let out_2_bar = out_c_bar;
            let out_1_bar = out_2_bar;
            let _t23_bar = out_2_bar;
            let _t21_bar = _t22 * _t23_bar;
            let _t22_bar = _t21 * _t23_bar;
            hidden_bar[j_1] = hidden_bar[j_1] + _t22_bar;
            dparams[_t20] = dparams[_t20] + _t21_bar;
            out_c_bar = out_1_bar;
        }
        let out_bar = out_c_bar;
        dparams[48] = dparams[48] + out_bar;
        for k_2 in (0..trip).rev() {
            let j = ::ad_runtime::nth(&_t0, k_2);
            let _t1 = 32 + j;
            let _t3 = ::core::iter::IntoIterator::into_iter(0..4);
            let _t14 = hidden[j];
            let slot_bar = hidden_bar[j];
            hidden_bar[j] = ::ad_runtime::zero();
            let _t14_bar = slot_bar;
            let _t14_partials = ::ad_runtime::rules::tanh_partial(_t14, _t14);
            let a_3_bar = _t14_partials * _t14_bar;
            let mut a_c_bar = a_3_bar;
            let trip_2: usize = ::ad_runtime::trip_count(&_t3);
            for k_3 in 0..trip_2 {
                let k = ::ad_runtime::nth(&_t3, k_3);
                let _t6 = j * 4;
                let _t7 = _t6 + k;
                let _t8 = params[_t7];
                let _t9 = x[k];
                let a_2_bar = a_c_bar;
                let a_1_bar = a_2_bar;
                let _t10_bar = a_2_bar;
                let _t8_bar = _t9 * _t10_bar;
                let _t9_bar = _t8 * _t10_bar;
                dx[k] = dx[k] + _t9_bar;
                dparams[_t7] = dparams[_t7] + _t8_bar;
                a_c_bar = a_1_bar;
            }
            let a_bar = a_c_bar;
            dparams[_t1] = dparams[_t1] + a_bar;
        }
        (_t28, target_bar)
    };
    (__ad_value, ((), (), __ad_adjoints))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl mlp_loss {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<
        'ad_slot,
        __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>,
        __AdS1: ::ad_runtime::SliceShadow<'ad_slot, f64>,
        __AdS2,
    >(
        __ad_args: (&[f64], &[f64], f64),
        __ad_shadows: (__AdS0, __AdS1, __AdS2),
        seed: f64,
    ) -> (f64, ((), (), f64)) {
        mlp_loss__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct mlp_loss {}

#[inline]
fn affine_mse_vjp(
    w: &[f64],
    dw: &mut [f64],
    xs: &[[f64; 3]],
    ys: &[f64],
    seed: f64,
) -> f64 {
    let s = 0.0;
    let _t2 = ::core::iter::IntoIterator::into_iter((0..xs.len()).zip((0..ys.len())));
    let _t21 = xs.len() as f64;
    let _t22_bar = seed;
    let s_3_bar = ::ad_runtime::rules::recip(_t21) * _t22_bar;
    let mut s_c = s;
    let mut s_c_bar = s_3_bar;
    let mut dw_3 = ::ad_runtime::zero::<f64>();
    for (k, k_2) in _t2 {
        let s_1 = s_c;
        let y = ys[k_2];
        let pred = w[3];
        let _t7 = ::core::iter::IntoIterator::into_iter(0..3);
        let mut pred_c = pred;
        let mut trip_2: usize = 0;
        for k in ::core::clone::Clone::clone(&_t7) {
            let pred_1 = pred_c;
            trip_2 += 1;
            let _t10 = w[k];
            let _t11 = xs[k][k];
            let _t12 = _t10 * _t11;
            let pred_2 = pred_1 + _t12;
            pred_c = pred_2;
        }
        let pred_3 = pred_c;
        let r = pred_3 - y;
        let _t17 = r * r;
        let s_2 = s_1 + _t17;
        let s_2_bar = s_c_bar;
        let s_1_bar = s_2_bar;
        let _t17_bar = s_2_bar;
        let mut r_bar = r * _t17_bar;
        r_bar = r_bar + r * _t17_bar;
        let pred_3_bar = r_bar;
        let mut pred_c_bar = pred_3_bar;
        for k_3 in 0..trip_2 {
            let k = ::ad_runtime::nth(&_t7, k_3);
            let _t11 = xs[k][k];
            let pred_2_bar = pred_c_bar;
            let pred_1_bar = pred_2_bar;
            let _t12_bar = pred_2_bar;
            let _t10_bar = _t11 * _t12_bar;
            dw[k] = dw[k] + _t10_bar;
            pred_c_bar = pred_1_bar;
        }
        let pred_bar = pred_c_bar;
        dw_3 = dw_3 + pred_bar;
        s_c_bar = s_1_bar;
        s_c = s_2;
    }
    let s_3 = s_c;
    let _t22 = s_3 / _t21;
    dw[3] = dw[3] + dw_3;
    _t22
}

#[inline]
fn affine_mse_grad(w: &[f64], dw: &mut [f64], xs: &[[f64; 3]], ys: &[f64]) -> f64 {
    affine_mse_vjp(w, dw, xs, ys, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn affine_mse__derive_grad<
    'ad_slot,
    __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>,
    __AdS1,
    __AdS2,
>(
    __ad_args: (&[f64], &[[f64; 3]], &[f64]),
    __ad_shadows: (__AdS0, __AdS1, __AdS2),
    seed: f64,
) -> (f64, ((), (), ())) {
    let (w, xs, ys) = __ad_args;
    let (__ad_shadow0, __ad_shadow1, __ad_shadow2) = __ad_shadows;
    let mut __ad_store0 = ::core::default::Default::default();
    let dw = ::ad_runtime::SliceShadow::<f64>::shadow(__ad_shadow0, &mut __ad_store0);
    let __ad_value = {
        let s = 0.0;
        let _t2 = ::core::iter::IntoIterator::into_iter(
            (0..xs.len()).zip((0..ys.len())),
        );
        let _t21 = xs.len() as f64;
        let _t22_bar = seed;
        let s_3_bar = ::ad_runtime::rules::recip(_t21) * _t22_bar;
        let mut s_c = s;
        let mut s_c_bar = s_3_bar;
        let mut dw_3 = ::ad_runtime::zero::<f64>();
        for (k, k_2) in _t2 {
            let s_1 = s_c;
            let y = ys[k_2];
            let pred = w[3];
            let _t7 = ::core::iter::IntoIterator::into_iter(0..3);
            let mut pred_c = pred;
            let mut trip_2: usize = 0;
            for k in ::core::clone::Clone::clone(&_t7) {
                let pred_1 = pred_c;
                trip_2 += 1;
                let _t10 = w[k];
                let _t11 = xs[k][k];
                let _t12 = _t10 * _t11;
                let pred_2 = pred_1 + _t12;
                pred_c = pred_2;
            }
            let pred_3 = pred_c;
            let r = pred_3 - y;
            let _t17 = r * r;
            let s_2 = s_1 + _t17;
            let s_2_bar = s_c_bar;
            let s_1_bar = s_2_bar;
            let _t17_bar = s_2_bar;
            let mut r_bar = r * _t17_bar;
            r_bar = r_bar + r * _t17_bar;
            let pred_3_bar = r_bar;
            let mut pred_c_bar = pred_3_bar;
            for k_3 in 0..trip_2 {
                let k = ::ad_runtime::nth(&_t7, k_3);
                let _t11 = xs[k][k];
                let pred_2_bar = pred_c_bar;
                let pred_1_bar = pred_2_bar;
                let _t12_bar = pred_2_bar;
                let _t10_bar = _t11 * _t12_bar;
                dw[k] = dw[k] + _t10_bar;
                pred_c_bar = pred_1_bar;
            }
            let pred_bar = pred_c_bar;
            dw_3 = dw_3 + pred_bar;
            s_c_bar = s_1_bar;
            s_c = s_2;
        }
        let s_3 = s_c;
        let _t22 = s_3 / _t21;
        dw[3] = dw[3] + dw_3;
        _t22
    };
    (__ad_value, ((), (), ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl affine_mse {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<
        'ad_slot,
        __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>,
        __AdS1,
        __AdS2,
    >(
        __ad_args: (&[f64], &[[f64; 3]], &[f64]),
        __ad_shadows: (__AdS0, __AdS1, __AdS2),
        seed: f64,
    ) -> (f64, ((), (), ())) {
        affine_mse__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct affine_mse {}

fn nearest_cost_vjp(
    points: &[[f64; 2]],
    c: &[[f64; 2]],
    dc: &mut [[f64; 2]],
    seed: f64,
) -> f64 {
    let cost = 0.0;
    let _t1 = ::core::iter::IntoIterator::into_iter((0..points.len()));
    let cost_3_bar = seed;
    let mut cost_c = cost;
    let mut cost_c_bar = cost_3_bar;
    for k in _t1 {
        let cost_1 = cost_c;
        let best = f64::INFINITY;
        let _t4 = c.len();
        let _t5 = (0).._t4;
        let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
        let mut best_c = best;
        let mut trip_2: usize = 0;
        let mut selected: usize = ::ad_runtime::selection::NONE;
        let mut tied = false;
        let mut before = best;
        for j in ::core::clone::Clone::clone(&_t6) {
            let best_1 = best_c;
            trip_2 += 1;
            let _t9 = points[k][0];
            let _t10 = c[j][0];
            let dx = _t9 - _t10;
            let _t12 = points[k][1];
            let _t13 = c[j][1];
            let dy = _t12 - _t13;
            let _t15 = dx * dx;
            let _t16 = dy * dy;
            let _t17 = _t15 + _t16;
            let best_2 = best_1.min(_t17);
            if !::ad_runtime::selection::worse(best_1, _t17, false) {
                if ::ad_runtime::selection::takes(best_1, _t17, false) {
                    selected = trip_2 - 1;
                    before = best_1;
                    tied = false;
                } else if ::ad_runtime::selection::ties(best_1, _t17) {
                    tied = true;
                }
            }
            best_c = best_2;
        }
        let best_3 = best_c;
        let cost_2 = cost_1 + best_3;
        let cost_2_bar = cost_c_bar;
        let cost_1_bar = cost_2_bar;
        let best_3_bar = cost_2_bar;
        let mut best_c_bar = best_3_bar;
        for k_2 in ::ad_runtime::selection::order(selected, tied, trip_2) {
            let j = ::ad_runtime::nth(&_t6, k_2);
            let best_1 = if k_2 == selected { before } else { best_3 };
            let _t9 = points[k][0];
            let _t10 = c[j][0];
            let dx = _t9 - _t10;
            let _t12 = points[k][1];
            let _t13 = c[j][1];
            let dy = _t12 - _t13;
            let _t15 = dx * dx;
            let _t16 = dy * dy;
            let _t17 = _t15 + _t16;
            let best_2 = best_1.min(_t17);
            let best_2_bar = best_c_bar;
            let best_2_partials = ::ad_runtime::rules::min_partials(
                best_1,
                _t17,
                best_1,
            );
            let best_1_bar = best_2_partials.0 * best_2_bar;
            let _t17_bar = best_2_partials.1 * best_2_bar;
            let _t15_bar = _t17_bar;
            let _t16_bar = _t17_bar;
            let mut dy_bar = dy * _t16_bar;
            dy_bar = dy_bar + dy * _t16_bar;
            let mut dx_bar = dx * _t15_bar;
            dx_bar = dx_bar + dx * _t15_bar;
            let _t13_bar = -dy_bar;
            dc[j][1] = dc[j][1] + _t13_bar;
            let _t10_bar = -dx_bar;
            dc[j][0] = dc[j][0] + _t10_bar;
            best_c_bar = best_1_bar;
        }
        cost_c_bar = cost_1_bar;
        cost_c = cost_2;
    }
    let cost_3 = cost_c;
    cost_3
}

#[inline]
fn nearest_cost_grad(points: &[[f64; 2]], c: &[[f64; 2]], dc: &mut [[f64; 2]]) -> f64 {
    nearest_cost_vjp(points, c, dc, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
fn nearest_cost__derive_grad<
    'ad_slot,
    __AdS0,
    __AdS1: ::ad_runtime::rows::RowsShadow<'ad_slot, [f64; 2]>,
>(
    __ad_args: (&[[f64; 2]], &[[f64; 2]]),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, ((), ())) {
    let (points, c) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let mut __ad_store1 = ::core::default::Default::default();
    let dc = ::ad_runtime::rows::RowsShadow::<
        [f64; 2],
    >::rows(__ad_shadow1, &c[..], &mut __ad_store1);
    let __ad_value = {
        let cost = 0.0;
        let _t1 = ::core::iter::IntoIterator::into_iter((0..points.len()));
        let cost_3_bar = seed;
        let mut cost_c = cost;
        let mut cost_c_bar = cost_3_bar;
        for k in _t1 {
            let cost_1 = cost_c;
            let best = f64::INFINITY;
            let _t4 = c.len();
            let _t5 = (0).._t4;
            let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
            let mut best_c = best;
            let mut trip_2: usize = 0;
            let mut selected: usize = ::ad_runtime::selection::NONE;
            let mut tied = false;
            let mut before = best;
            for j in ::core::clone::Clone::clone(&_t6) {
                let best_1 = best_c;
                trip_2 += 1;
                let _t9 = points[k][0];
                let _t10 = c[j][0];
                let dx = _t9 - _t10;
                let _t12 = points[k][1];
                let _t13 = c[j][1];
                let dy = _t12 - _t13;
                let _t15 = dx * dx;
                let _t16 = dy * dy;
                let _t17 = _t15 + _t16;
                let best_2 = best_1.min(_t17);
                if !::ad_runtime::selection::worse(best_1, _t17, false) {
                    if ::ad_runtime::selection::takes(best_1, _t17, false) {
                        selected = trip_2 - 1;
                        before = best_1;
                        tied = false;
                    } else if ::ad_runtime::selection::ties(best_1, _t17) {
                        tied = true;
                    }
                }
                best_c = best_2;
            }
            let best_3 = best_c;
            let cost_2 = cost_1 + best_3;
            let cost_2_bar = cost_c_bar;
            let cost_1_bar = cost_2_bar;
            let best_3_bar = cost_2_bar;
            let mut best_c_bar = best_3_bar;
            for k_2 in ::ad_runtime::selection::order(selected, tied, trip_2) {
                let j = ::ad_runtime::nth(&_t6, k_2);
                let best_1 = if k_2 == selected { before } else { best_3 };
                let _t9 = points[k][0];
                let _t10 = c[j][0];
                let dx = _t9 - _t10;
                let _t12 = points[k][1];
                let _t13 = c[j][1];
                let dy = _t12 - _t13;
                let _t15 = dx * dx;
                let _t16 = dy * dy;
                let _t17 = _t15 + _t16;
                let best_2 = best_1.min(_t17);
                let best_2_bar = best_c_bar;
                let best_2_partials = ::ad_runtime::rules::min_partials(
                    best_1,
                    _t17,
                    best_1,
                );
                let best_1_bar = best_2_partials.0 * best_2_bar;
                let _t17_bar = best_2_partials.1 * best_2_bar;
                let _t15_bar = _t17_bar;
                let _t16_bar = _t17_bar;
                let mut dy_bar = dy * _t16_bar;
                dy_bar = dy_bar + dy * _t16_bar;
                let mut dx_bar = dx * _t15_bar;
                dx_bar = dx_bar + dx * _t15_bar;
                let _t13_bar = -dy_bar;
                dc[j][1] = dc[j][1] + _t13_bar;
                let _t10_bar = -dx_bar;
                dc[j][0] = dc[j][0] + _t10_bar;
                best_c_bar = best_1_bar;
            }
            cost_c_bar = cost_1_bar;
            cost_c = cost_2;
        }
        let cost_3 = cost_c;
        cost_3
    };
    (__ad_value, ((), ()))
}

#[doc(hidden)]
#[allow(dead_code, clippy::all, clippy::pedantic)]
impl nearest_cost {
    #[doc(hidden)]
    #[inline(always)]
    pub fn __derive_grad<
        'ad_slot,
        __AdS0,
        __AdS1: ::ad_runtime::rows::RowsShadow<'ad_slot, [f64; 2]>,
    >(
        __ad_args: (&[[f64; 2]], &[[f64; 2]]),
        __ad_shadows: (__AdS0, __AdS1),
        seed: f64,
    ) -> (f64, ((), ())) {
        nearest_cost__derive_grad(__ad_args, __ad_shadows, seed)
    }
}

#[doc(hidden)]
struct nearest_cost {}
