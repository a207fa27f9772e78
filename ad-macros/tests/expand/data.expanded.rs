fn sumsq_vjp(x: &[f64], dx: &mut [f64], seed: f64) -> f64 {
    let _t3 = ::ad_runtime::zero_elem(&x);
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
    let mut acc_c = _t3;
    let mut trip: usize = 0;
    for k in ::core::clone::Clone::clone(&_t6) {
        let acc = acc_c;
        trip += 1;
        let v = x[k];
        let _t9 = v * v;
        let acc_1 = acc + _t9;
        acc_c = acc_1;
    }
    let acc_2 = acc_c;
    let acc_2_bar = seed;
    let mut acc_c_bar = acc_2_bar;
    for k_2 in (0..trip).rev() {
        let k = ::ad_runtime::nth(&_t6, k_2);
        let v = x[k];
        let acc_1_bar = acc_c_bar;
        let acc_bar = acc_1_bar;
        let _t9_bar = acc_1_bar;
        let mut v_bar = v * _t9_bar;
        v_bar = v_bar + v * _t9_bar;
        dx[k] = dx[k] + v_bar;
        acc_c_bar = acc_bar;
    }
    acc_2
}

fn sumsq_grad(x: &[f64], dx: &mut [f64]) -> f64 {
    let seed: f64 = ::ad_runtime::one::<f64>();
    let _t3 = ::ad_runtime::zero_elem(&x);
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
    let mut acc_c = _t3;
    let mut trip: usize = 0;
    for k in ::core::clone::Clone::clone(&_t6) {
        let acc = acc_c;
        trip += 1;
        let v = x[k];
        let _t9 = v * v;
        let acc_1 = acc + _t9;
        acc_c = acc_1;
    }
    let acc_2 = acc_c;
    let acc_2_bar = seed;
    let mut acc_c_bar = acc_2_bar;
    for k_2 in (0..trip).rev() {
        let k = ::ad_runtime::nth(&_t6, k_2);
        let v = x[k];
        let acc_1_bar = acc_c_bar;
        let acc_bar = acc_1_bar;
        let _t9_bar = acc_1_bar;
        let mut v_bar = v * _t9_bar;
        v_bar = v_bar + v * _t9_bar;
        dx[k] = dx[k] + v_bar;
        acc_c_bar = acc_bar;
    }
    acc_2
}

fn sumsq_tangent(x: &[f64], dx: &[f64]) -> (f64, f64) {
    let _t3 = ::ad_runtime::zero_elem(&x);
    let _t4 = x.len();
    let _t5 = (0).._t4;
    let _t6 = ::core::iter::IntoIterator::into_iter(_t5);
    let mut acc_c = _t3;
    let mut dacc_c_2 = ::ad_runtime::zero_like(&_t3);
    for k in _t6 {
        let acc = acc_c;
        let dacc = dacc_c_2;
        let v = x[k];
        let dv = dx[k];
        let _t9 = v * v;
        let d_t9 = v * dv + v * dv;
        let acc_1 = acc + _t9;
        let dacc_1 = dacc + d_t9;
        acc_c = acc_1;
        dacc_c_2 = dacc_1;
    }
    let acc_2 = acc_c;
    let dacc_2 = dacc_c_2;
    (acc_2, dacc_2)
}
