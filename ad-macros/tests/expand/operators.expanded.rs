fn spring_vjp(a: Vec3, b: Vec3, rest: f64, seed: f64) -> (f64, (Vec3, Vec3, f64)) {
    let mut __ad_g_a = ::ad_runtime::Differentiable::zero_like(&a);
    let mut __ad_g_b = ::ad_runtime::Differentiable::zero_like(&b);
    let (__ad_value, __ad_adjoints) = spring__ad_flat_vjp(
        a.x,
        a.y,
        a.z,
        b.x,
        b.y,
        b.z,
        rest,
        seed,
    );
    __ad_g_a.x = __ad_adjoints.0;
    __ad_g_a.y = __ad_adjoints.1;
    __ad_g_a.z = __ad_adjoints.2;
    __ad_g_b.x = __ad_adjoints.3;
    __ad_g_b.y = __ad_adjoints.4;
    __ad_g_b.z = __ad_adjoints.5;
    (__ad_value, (__ad_g_a, __ad_g_b, __ad_adjoints.6))
}

fn spring_grad(a: Vec3, b: Vec3, rest: f64) -> (f64, (Vec3, Vec3, f64)) {
    let mut __ad_g_a = ::ad_runtime::Differentiable::zero_like(&a);
    let mut __ad_g_b = ::ad_runtime::Differentiable::zero_like(&b);
    let (__ad_value, __ad_adjoints) = spring__ad_flat_grad(
        a.x,
        a.y,
        a.z,
        b.x,
        b.y,
        b.z,
        rest,
    );
    __ad_g_a.x = __ad_adjoints.0;
    __ad_g_a.y = __ad_adjoints.1;
    __ad_g_a.z = __ad_adjoints.2;
    __ad_g_b.x = __ad_adjoints.3;
    __ad_g_b.y = __ad_adjoints.4;
    __ad_g_b.z = __ad_adjoints.5;
    (__ad_value, (__ad_g_a, __ad_g_b, __ad_adjoints.6))
}

#[inline]
#[doc(hidden)]
fn spring__ad_flat_vjp(
    a__x: f64,
    a__y: f64,
    a__z: f64,
    b__x: f64,
    b__y: f64,
    b__z: f64,
    rest: f64,
    seed: f64,
) -> (f64, (f64, f64, f64, f64, f64, f64, f64)) {
    let __st_s1 = a__x - b__x;
    let __st_s2 = a__y - b__y;
    let __st_s3 = a__z - b__z;
    let _t3 = __st_s1 * __st_s1;
    let _t4 = __st_s2 * __st_s2;
    let _t5 = _t3 + _t4;
    let _t6 = __st_s3 * __st_s3;
    let _t7 = _t5 + _t6;
    let _t8 = _t7.sqrt();
    let stretch = _t8 - rest;
    let _t10 = stretch * stretch;
    let _t10_bar = seed;
    let mut stretch_bar = stretch * _t10_bar;
    stretch_bar = stretch_bar + stretch * _t10_bar;
    let _t8_bar = stretch_bar;
    let rest_bar = -stretch_bar;
    let _t8_partials = ::ad_runtime::rules::sqrt_partial(_t8, _t8);
    let _t7_bar = _t8_partials * _t8_bar;
    let _t5_bar = _t7_bar;
    let _t6_bar = _t7_bar;
    let mut __st_s3_bar = __st_s3 * _t6_bar;
    __st_s3_bar = __st_s3_bar + __st_s3 * _t6_bar;
    let _t3_bar = _t5_bar;
    let _t4_bar = _t5_bar;
    let mut __st_s2_bar = __st_s2 * _t4_bar;
    __st_s2_bar = __st_s2_bar + __st_s2 * _t4_bar;
    let mut __st_s1_bar = __st_s1 * _t3_bar;
    __st_s1_bar = __st_s1_bar + __st_s1 * _t3_bar;
    let a__z_bar = __st_s3_bar;
    let b__z_bar = -__st_s3_bar;
    let a__y_bar = __st_s2_bar;
    let b__y_bar = -__st_s2_bar;
    let a__x_bar = __st_s1_bar;
    let b__x_bar = -__st_s1_bar;
    (_t10, (a__x_bar, a__y_bar, a__z_bar, b__x_bar, b__y_bar, b__z_bar, rest_bar))
}

#[inline]
#[doc(hidden)]
fn spring__ad_flat_grad(
    a__x: f64,
    a__y: f64,
    a__z: f64,
    b__x: f64,
    b__y: f64,
    b__z: f64,
    rest: f64,
) -> (f64, (f64, f64, f64, f64, f64, f64, f64)) {
    spring__ad_flat_vjp(
        a__x,
        a__y,
        a__z,
        b__x,
        b__y,
        b__z,
        rest,
        ::ad_runtime::one::<f64>(),
    )
}

#[doc(hidden)]
#[doc(hidden)]
fn spring__ad_flat__derive_grad<__AdS0, __AdS1, __AdS2, __AdS3, __AdS4, __AdS5, __AdS6>(
    __ad_args: (f64, f64, f64, f64, f64, f64, f64),
    __ad_shadows: (__AdS0, __AdS1, __AdS2, __AdS3, __AdS4, __AdS5, __AdS6),
    seed: f64,
) -> (f64, (f64, f64, f64, f64, f64, f64, f64)) {
    let (a__x, a__y, a__z, b__x, b__y, b__z, rest) = __ad_args;
    let (
        __ad_shadow0,
        __ad_shadow1,
        __ad_shadow2,
        __ad_shadow3,
        __ad_shadow4,
        __ad_shadow5,
        __ad_shadow6,
    ) = __ad_shadows;
    let (__ad_value, __ad_adjoints) = {
        spring__ad_flat_vjp(a__x, a__y, a__z, b__x, b__y, b__z, rest, seed)
    };
    (
        __ad_value,
        (
            __ad_adjoints.0,
            __ad_adjoints.1,
            __ad_adjoints.2,
            __ad_adjoints.3,
            __ad_adjoints.4,
            __ad_adjoints.5,
            __ad_adjoints.6,
        ),
    )
}

fn potential_vjp(pos: &[Vec3], dpos: &mut [Vec3], mass: &[f64], seed: f64) -> f64 {
    let __ad_flat_pos = ::ad_runtime::flat_elements(&pos[..]);
    let mut __ad_flat_dpos = ::ad_runtime::flat_elements(&dpos[..]);
    {
        let __ad_r = potential__ad_flat_vjp(
            &__ad_flat_pos,
            &mut __ad_flat_dpos,
            mass,
            seed,
        );
        ::ad_runtime::unflat_elements(&mut dpos[..], &__ad_flat_dpos);
        __ad_r
    }
}

fn potential_grad(pos: &[Vec3], dpos: &mut [Vec3], mass: &[f64]) -> f64 {
    let __ad_flat_pos = ::ad_runtime::flat_elements(&pos[..]);
    let mut __ad_flat_dpos = ::ad_runtime::flat_elements(&dpos[..]);
    {
        let __ad_r = potential__ad_flat_grad(&__ad_flat_pos, &mut __ad_flat_dpos, mass);
        ::ad_runtime::unflat_elements(&mut dpos[..], &__ad_flat_dpos);
        __ad_r
    }
}

#[doc(hidden)]
fn potential__ad_flat_vjp(
    pos: &[f64],
    dpos: &mut [f64],
    mass: &[f64],
    seed: f64,
) -> f64 {
    let e = 0.0;
    let _t0 = pos.len();
    let _t1 = _t0 / 3usize;
    let _t2 = (0).._t1;
    let _t3 = ::core::iter::IntoIterator::into_iter(_t2);
    let mut e_c = e;
    let mut trip: usize = 0;
    for i in ::core::clone::Clone::clone(&_t3) {
        let e_1 = e_c;
        trip += 1;
        let _t6 = i + 1;
        let _t7 = pos.len();
        let _t8 = _t7 / 3usize;
        let _t9 = _t6.._t8;
        let _t10 = ::core::iter::IntoIterator::into_iter(_t9);
        let mut e_c_2 = e_1;
        let mut trip_2: usize = 0;
        for j in ::core::clone::Clone::clone(&_t10) {
            let e_2 = e_c_2;
            trip_2 += 1;
            let _t13 = mass[i];
            let _t14 = mass[j];
            let _t15 = _t13 * _t14;
            let _t16 = i * 3usize;
            let _t17 = _t16 + 0usize;
            let _t18 = pos[_t17];
            let _t19 = j * 3usize;
            let _t20 = _t19 + 0usize;
            let _t21 = pos[_t20];
            let __st_s1 = _t18 - _t21;
            let _t23 = i * 3usize;
            let _t24 = _t23 + 1usize;
            let _t25 = pos[_t24];
            let _t26 = j * 3usize;
            let _t27 = _t26 + 1usize;
            let _t28 = pos[_t27];
            let __st_s2 = _t25 - _t28;
            let _t30 = i * 3usize;
            let _t31 = _t30 + 2usize;
            let _t32 = pos[_t31];
            let _t33 = j * 3usize;
            let _t34 = _t33 + 2usize;
            let _t35 = pos[_t34];
            let __st_s3 = _t32 - _t35;
            let _t37 = __st_s1 * __st_s1;
            let _t38 = __st_s2 * __st_s2;
            let _t39 = _t37 + _t38;
            let _t40 = __st_s3 * __st_s3;
            let _t41 = _t39 + _t40;
            let _t42 = _t41.sqrt();
            let _t43 = _t15 / _t42;
            let e_3 = e_2 - _t43;
            e_c_2 = e_3;
        }
        let e_4 = e_c_2;
        e_c = e_4;
    }
    let e_5 = e_c;
    let e_5_bar = seed;
    let mut e_c_bar = e_5_bar;
    for k in (0..trip).rev() {
        let i = ::ad_runtime::nth(&_t3, k);
        let _t6 = i + 1;
        let _t7 = pos.len();
        let _t8 = _t7 / 3usize;
        let _t9 = _t6.._t8;
        let _t10 = ::core::iter::IntoIterator::into_iter(_t9);
        let e_4_bar = e_c_bar;
        let mut e_c_2_bar = e_4_bar;
        let trip_2: usize = ::ad_runtime::trip_count(&_t10);
        for k_2 in 0..trip_2 {
            let j = ::ad_runtime::nth(&_t10, k_2);
            let _t13 = mass[i];
            let _t14 = mass[j];
            let _t15 = _t13 * _t14;
            let _t16 = i * 3usize;
            let _t17 = _t16 + 0usize;
            let _t18 = pos[_t17];
            let _t19 = j * 3usize;
            let _t20 = _t19 + 0usize;
            let _t21 = pos[_t20];
            let __st_s1 = _t18 - _t21;
            let _t23 = i * 3usize;
            let _t24 = _t23 + 1usize;
            let _t25 = pos[_t24];
            let _t26 = j * 3usize;
            let _t27 = _t26 + 1usize;
            let _t28 = pos[_t27];
            let __st_s2 = _t25 - _t28;
            let _t30 = i * 3usize;
            let _t31 = _t30 + 2usize;
            let _t32 = pos[_t31];
            let _t33 = j * 3usize;
            let _t34 = _t33 + 2usize;
            let _t35 = pos[_t34];
            let __st_s3 = _t32 - _t35;
            let _t37 = __st_s1 * __st_s1;
            let _t38 = __st_s2 * __st_s2;
            let _t39 = _t37 + _t38;
            let _t40 = __st_s3 * __st_s3;
            let _t41 = _t39 + _t40;
            let _t42 = _t41.sqrt();
            let _t43 = _t15 / _t42;
            let e_3_bar = e_c_2_bar;
            let e_2_bar = e_3_bar;
            let _t43_bar = -e_3_bar;
            let _t43_partials = ::ad_runtime::rules::div_partials(_t15, _t42, _t43);
            let _t42_bar = _t43_partials.1 * _t43_bar;
            let _t42_partials = ::ad_runtime::rules::sqrt_partial(_t42, _t42);
            let _t41_bar = _t42_partials * _t42_bar;
            let _t39_bar = _t41_bar;
            let _t40_bar = _t41_bar;
            let mut __st_s3_bar = __st_s3 * _t40_bar;
            __st_s3_bar = __st_s3_bar + __st_s3 * _t40_bar;
            let _t37_bar = _t39_bar;
            let _t38_bar = _t39_bar;
            let mut __st_s2_bar = __st_s2 * _t38_bar;
            __st_s2_bar = __st_s2_bar + __st_s2 * _t38_bar;
            let mut __st_s1_bar = __st_s1 * _t37_bar;
            __st_s1_bar = __st_s1_bar + __st_s1 * _t37_bar;
            let _t32_bar = __st_s3_bar;
            let _t35_bar = -__st_s3_bar;
            dpos[_t34] = dpos[_t34] + _t35_bar;
            dpos[_t31] = dpos[_t31] + _t32_bar;
            let _t25_bar = __st_s2_bar;
            let _t28_bar = -__st_s2_bar;
            dpos[_t27] = dpos[_t27] + _t28_bar;
            dpos[_t24] = dpos[_t24] + _t25_bar;
            let _t18_bar = __st_s1_bar;
            let _t21_bar = -__st_s1_bar;
            dpos[_t20] = dpos[_t20] + _t21_bar;
            dpos[_t17] = dpos[_t17] + _t18_bar;
            e_c_2_bar = e_2_bar;
        }
        let e_1_bar = e_c_2_bar;
        e_c_bar = e_1_bar;
    }
    e_5
}

#[inline]
#[doc(hidden)]
fn potential__ad_flat_grad(pos: &[f64], dpos: &mut [f64], mass: &[f64]) -> f64 {
    potential__ad_flat_vjp(pos, dpos, mass, ::ad_runtime::one::<f64>())
}

#[doc(hidden)]
#[doc(hidden)]
fn potential__ad_flat__derive_grad<
    'ad_slot,
    __AdS0: ::ad_runtime::SliceShadow<'ad_slot, f64>,
    __AdS1,
>(
    __ad_args: (&[f64], &[f64]),
    __ad_shadows: (__AdS0, __AdS1),
    seed: f64,
) -> (f64, ((), ())) {
    let (pos, mass) = __ad_args;
    let (__ad_shadow0, __ad_shadow1) = __ad_shadows;
    let mut __ad_store0 = ::core::default::Default::default();
    let dpos = ::ad_runtime::SliceShadow::<f64>::shadow(__ad_shadow0, &mut __ad_store0);
    let __ad_value = {
        let e = 0.0;
        let _t0 = pos.len();
        let _t1 = _t0 / 3usize;
        let _t2 = (0).._t1;
        let _t3 = ::core::iter::IntoIterator::into_iter(_t2);
        let mut e_c = e;
        let mut trip: usize = 0;
        for i in ::core::clone::Clone::clone(&_t3) {
            let e_1 = e_c;
            trip += 1;
            let _t6 = i + 1;
            let _t7 = pos.len();
            let _t8 = _t7 / 3usize;
            let _t9 = _t6.._t8;
            let _t10 = ::core::iter::IntoIterator::into_iter(_t9);
            let mut e_c_2 = e_1;
            let mut trip_2: usize = 0;
            for j in ::core::clone::Clone::clone(&_t10) {
                let e_2 = e_c_2;
                trip_2 += 1;
                let _t13 = mass[i];
                let _t14 = mass[j];
                let _t15 = _t13 * _t14;
                let _t16 = i * 3usize;
                let _t17 = _t16 + 0usize;
                let _t18 = pos[_t17];
                let _t19 = j * 3usize;
                let _t20 = _t19 + 0usize;
                let _t21 = pos[_t20];
                let __st_s1 = _t18 - _t21;
                let _t23 = i * 3usize;
                let _t24 = _t23 + 1usize;
                let _t25 = pos[_t24];
                let _t26 = j * 3usize;
                let _t27 = _t26 + 1usize;
                let _t28 = pos[_t27];
                let __st_s2 = _t25 - _t28;
                let _t30 = i * 3usize;
                let _t31 = _t30 + 2usize;
                let _t32 = pos[_t31];
                let _t33 = j * 3usize;
                let _t34 = _t33 + 2usize;
                let _t35 = pos[_t34];
                let __st_s3 = _t32 - _t35;
                let _t37 = __st_s1 * __st_s1;
                let _t38 = __st_s2 * __st_s2;
                let _t39 = _t37 + _t38;
                let _t40 = __st_s3 * __st_s3;
                let _t41 = _t39 + _t40;
                let _t42 = _t41.sqrt();
                let _t43 = _t15 / _t42;
                let e_3 = e_2 - _t43;
                e_c_2 = e_3;
            }
            let e_4 = e_c_2;
            e_c = e_4;
        }
        let e_5 = e_c;
        let e_5_bar = seed;
        let mut e_c_bar = e_5_bar;
        for k in (0..trip).rev() {
            let i = ::ad_runtime::nth(&_t3, k);
            let _t6 = i + 1;
            let _t7 = pos.len();
            let _t8 = _t7 / 3usize;
            let _t9 = _t6.._t8;
            let _t10 = ::core::iter::IntoIterator::into_iter(_t9);
            let e_4_bar = e_c_bar;
            let mut e_c_2_bar = e_4_bar;
            let trip_2: usize = ::ad_runtime::trip_count(&_t10);
            for k_2 in 0..trip_2 {
                let j = ::ad_runtime::nth(&_t10, k_2);
                let _t13 = mass[i];
                let _t14 = mass[j];
                let _t15 = _t13 * _t14;
                let _t16 = i * 3usize;
                let _t17 = _t16 + 0usize;
                let _t18 = pos[_t17];
                let _t19 = j * 3usize;
                let _t20 = _t19 + 0usize;
                let _t21 = pos[_t20];
                let __st_s1 = _t18 - _t21;
                let _t23 = i * 3usize;
                let _t24 = _t23 + 1usize;
                let _t25 = pos[_t24];
                let _t26 = j * 3usize;
                let _t27 = _t26 + 1usize;
                let _t28 = pos[_t27];
                let __st_s2 = _t25 - _t28;
                let _t30 = i * 3usize;
                let _t31 = _t30 + 2usize;
                let _t32 = pos[_t31];
                let _t33 = j * 3usize;
                let _t34 = _t33 + 2usize;
                let _t35 = pos[_t34];
                let __st_s3 = _t32 - _t35;
                let _t37 = __st_s1 * __st_s1;
                let _t38 = __st_s2 * __st_s2;
                let _t39 = _t37 + _t38;
                let _t40 = __st_s3 * __st_s3;
                let _t41 = _t39 + _t40;
                let _t42 = _t41.sqrt();
                let _t43 = _t15 / _t42;
                let e_3_bar = e_c_2_bar;
                let e_2_bar = e_3_bar;
                let _t43_bar = -e_3_bar;
                let _t43_partials = ::ad_runtime::rules::div_partials(_t15, _t42, _t43);
                let _t42_bar = _t43_partials.1 * _t43_bar;
                let _t42_partials = ::ad_runtime::rules::sqrt_partial(_t42, _t42);
                let _t41_bar = _t42_partials * _t42_bar;
                let _t39_bar = _t41_bar;
                let _t40_bar = _t41_bar;
                let mut __st_s3_bar = __st_s3 * _t40_bar;
                __st_s3_bar = __st_s3_bar + __st_s3 * _t40_bar;
                let _t37_bar = _t39_bar;
                let _t38_bar = _t39_bar;
                let mut __st_s2_bar = __st_s2 * _t38_bar;
                __st_s2_bar = __st_s2_bar + __st_s2 * _t38_bar;
                let mut __st_s1_bar = __st_s1 * _t37_bar;
                __st_s1_bar = __st_s1_bar + __st_s1 * _t37_bar;
                let _t32_bar = __st_s3_bar;
                let _t35_bar = -__st_s3_bar;
                dpos[_t34] = dpos[_t34] + _t35_bar;
                dpos[_t31] = dpos[_t31] + _t32_bar;
                let _t25_bar = __st_s2_bar;
                let _t28_bar = -__st_s2_bar;
                dpos[_t27] = dpos[_t27] + _t28_bar;
                dpos[_t24] = dpos[_t24] + _t25_bar;
                let _t18_bar = __st_s1_bar;
                let _t21_bar = -__st_s1_bar;
                dpos[_t20] = dpos[_t20] + _t21_bar;
                dpos[_t17] = dpos[_t17] + _t18_bar;
                e_c_2_bar = e_2_bar;
            }
            let e_1_bar = e_c_2_bar;
            e_c_bar = e_1_bar;
        }
        e_5
    };
    (__ad_value, ((), ()))
}
