//! Full Jacobians, by vector forward mode or by reverse mode: the runtime half of
//! [`macro@crate::derive_jacobian`].
//!
//! Forward mode gives one *column block* per pass: with `K` lanes (`K` tangents carried side by
//! side through one pass), the Jacobian of `f: Rⁿ → Rᵐ` takes `ceil(n / K)` passes. Reverse mode
//! gives one *row* per pass: `m` passes. The generated `NAME_jacobian` picks the cheaper one from
//! the shapes (forward when `n <= m`), exactly the trade-off of choosing a mode by hand.
//!
//! The generated code calls [`forward`] and [`reverse`] with closures that run one pass; the
//! traits here say how an input is seeded ([`LaneSeed`]), how a pass's tangents or adjoints are
//! read ([`LaneRead`], [`AdjointRead`]) and where the Jacobian is written ([`JacobianStore`]).
//!
//! ```
//! use ad_runtime::derive_jacobian;
//!
//! #[derive_jacobian]
//! fn polar(p: [f64; 2]) -> [f64; 2] {
//!     [p[0] * p[1].cos(), p[0] * p[1].sin()]
//! }
//!
//! let (value, j) = polar_jacobian([2.0, 0.5]);
//! assert_eq!(value, polar([2.0, 0.5]));
//! // d(r cos t)/dr = cos t, d(r cos t)/dt = -r sin t
//! assert!((j[0][0] - 0.5_f64.cos()).abs() < 1e-15);
//! assert!((j[0][1] + 2.0 * 0.5_f64.sin()).abs() < 1e-15);
//! ```

use alloc::vec;
use alloc::vec::Vec;

use crate::Float;

/// A Jacobian whose shape is known only at run time: `rows` outputs by `cols` inputs, row-major.
///
/// ```
/// let mut j = ad_runtime::Jacobian::<f64>::zeros(2, 3);
/// j[(1, 2)] = 5.0;
/// assert_eq!((j.rows(), j.cols()), (2, 3));
/// assert_eq!(j.row(1), &[0.0, 0.0, 5.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Jacobian<F> {
    rows: usize,
    cols: usize,
    data: Vec<F>,
}

impl<F: Float> Jacobian<F> {
    /// An all-zero `rows` × `cols` matrix.
    ///
    /// ```
    /// assert_eq!(ad_runtime::Jacobian::<f32>::zeros(1, 2).as_slice(), &[0.0, 0.0]);
    /// ```
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Jacobian {
            rows,
            cols,
            data: vec![F::zero(); rows * cols],
        }
    }
}

impl<F> Jacobian<F> {
    /// The number of rows: outputs.
    ///
    /// ```
    /// assert_eq!(ad_runtime::Jacobian::<f64>::zeros(4, 1).rows(), 4);
    /// ```
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns: inputs.
    ///
    /// ```
    /// assert_eq!(ad_runtime::Jacobian::<f64>::zeros(4, 1).cols(), 1);
    /// ```
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i`: the gradient of output `i`.
    ///
    /// ```
    /// assert_eq!(ad_runtime::Jacobian::<f64>::zeros(2, 2).row(0), &[0.0, 0.0]);
    /// ```
    pub fn row(&self, i: usize) -> &[F] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// All entries, row after row.
    ///
    /// ```
    /// assert_eq!(ad_runtime::Jacobian::<f64>::zeros(2, 2).as_slice().len(), 4);
    /// ```
    pub fn as_slice(&self) -> &[F] {
        &self.data
    }
}

impl<F> core::ops::Index<(usize, usize)> for Jacobian<F> {
    type Output = F;
    fn index(&self, (i, j): (usize, usize)) -> &F {
        assert!(
            i < self.rows && j < self.cols,
            "Jacobian index out of range"
        );
        &self.data[i * self.cols + j]
    }
}

impl<F> core::ops::IndexMut<(usize, usize)> for Jacobian<F> {
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut F {
        assert!(
            i < self.rows && j < self.cols,
            "Jacobian index out of range"
        );
        &mut self.data[i * self.cols + j]
    }
}

/// Where a Jacobian is written: `[[F; N]; M]` when the shapes are known at compile time, a
/// [`Jacobian`] otherwise.
///
/// ```
/// use ad_runtime::jacobian::JacobianStore;
/// let mut j = <[[f64; 2]; 1] as JacobianStore<f64>>::zeros(1, 2);
/// j.set(0, 1, 3.0);
/// assert_eq!(j, [[0.0, 3.0]]);
/// ```
pub trait JacobianStore<F> {
    /// All zeros, `m` rows by `n` columns (arrays ignore the numbers: their type fixes them).
    fn zeros(m: usize, n: usize) -> Self;
    /// Writes entry `(i, j)`.
    fn set(&mut self, i: usize, j: usize, value: F);
}

impl<F: Float, const N: usize, const M: usize> JacobianStore<F> for [[F; N]; M] {
    fn zeros(m: usize, n: usize) -> Self {
        debug_assert_eq!((m, n), (M, N));
        [[F::zero(); N]; M]
    }
    fn set(&mut self, i: usize, j: usize, value: F) {
        self[i][j] = value;
    }
}

impl<F: Float> JacobianStore<F> for Jacobian<F> {
    fn zeros(m: usize, n: usize) -> Self {
        Jacobian::zeros(m, n)
    }
    fn set(&mut self, i: usize, j: usize, value: F) {
        self[(i, j)] = value;
    }
}

/// An input of vector forward mode: its length, and its `K` tangents for the pass whose first
/// column is `first` (lane `k` is the unit vector `e_(first + k)`; lanes past the end are zero).
///
/// ```
/// use ad_runtime::jacobian::LaneSeed;
/// let x = [1.0_f64, 2.0, 3.0];
/// let seed: [[f64; 2]; 3] = LaneSeed::<f64, 2>::seed(&x, 2);
/// assert_eq!(seed, [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]);
/// ```
pub trait LaneSeed<F, const K: usize> {
    /// The tangent type: `[F; K]` for a scalar, `[[F; K]; N]` for an array, `Vec<[F; K]>` for a
    /// slice.
    type Lanes;
    /// The number of inputs (columns).
    fn len(&self) -> usize;
    /// Whether there are no inputs.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The tangents of the pass starting at column `first`.
    fn seed(&self, first: usize) -> Self::Lanes
    where
        F: Float,
    {
        self.seed_with(|i| unit(i, first))
    }
    /// The tangents with input `i`'s `K` lanes given by `lanes(i)` (sparse Jacobians seed a sum
    /// of unit vectors per lane).
    fn seed_with(&self, lanes: impl FnMut(usize) -> [F; K]) -> Self::Lanes;
}

fn unit<F: Float, const K: usize>(i: usize, first: usize) -> [F; K] {
    core::array::from_fn(|k| if first + k == i { F::one() } else { F::zero() })
}

impl<F: Float, const K: usize> LaneSeed<F, K> for F {
    type Lanes = [F; K];
    fn len(&self) -> usize {
        1
    }
    fn seed_with(&self, mut lanes: impl FnMut(usize) -> [F; K]) -> [F; K] {
        lanes(0)
    }
}

impl<F: Float, const K: usize, const N: usize> LaneSeed<F, K> for [F; N] {
    type Lanes = [[F; K]; N];
    fn len(&self) -> usize {
        N
    }
    fn seed_with(&self, lanes: impl FnMut(usize) -> [F; K]) -> [[F; K]; N] {
        core::array::from_fn(lanes)
    }
}

impl<F: Float, const K: usize> LaneSeed<F, K> for [F] {
    type Lanes = Vec<[F; K]>;
    fn len(&self) -> usize {
        <[F]>::len(self)
    }
    fn seed_with(&self, lanes: impl FnMut(usize) -> [F; K]) -> Vec<[F; K]> {
        (0..<[F]>::len(self)).map(lanes).collect()
    }
}

/// The output tangents of one vector forward pass: output `i`, lane `k`.
///
/// ```
/// use ad_runtime::jacobian::LaneRead;
/// let dy = [[1.0_f64, 2.0], [3.0, 4.0]];
/// assert_eq!(LaneRead::<f64, 2>::get(&dy, 1, 0), 3.0);
/// ```
pub trait LaneRead<F, const K: usize> {
    /// The number of outputs (rows).
    fn len(&self) -> usize;
    /// Whether there are no outputs.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Lane `k` of output `i`'s tangent.
    fn get(&self, i: usize, k: usize) -> F;
}

impl<F: Float, const K: usize> LaneRead<F, K> for [F; K] {
    fn len(&self) -> usize {
        1
    }
    fn get(&self, _i: usize, k: usize) -> F {
        self[k]
    }
}

impl<F: Float, const K: usize, const M: usize> LaneRead<F, K> for [[F; K]; M] {
    fn len(&self) -> usize {
        M
    }
    fn get(&self, i: usize, k: usize) -> F {
        self[i][k]
    }
}

impl<F: Float, const K: usize> LaneRead<F, K> for Vec<[F; K]> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize, k: usize) -> F {
        self[i][k]
    }
}

/// The adjoint of the input after one reverse pass: component `j`.
///
/// ```
/// use ad_runtime::jacobian::AdjointRead;
/// assert_eq!(AdjointRead::<f64>::get(&[1.0_f64, 2.0], 1), 2.0);
/// assert_eq!(AdjointRead::<f64>::get(&4.0_f64, 0), 4.0);
/// ```
pub trait AdjointRead<F> {
    /// Component `j` of the adjoint.
    fn get(&self, j: usize) -> F;
}

impl<F: Float> AdjointRead<F> for F {
    fn get(&self, _j: usize) -> F {
        *self
    }
}

impl<F: Float, const N: usize> AdjointRead<F> for [F; N] {
    fn get(&self, j: usize) -> F {
        self[j]
    }
}

impl<F: Float> AdjointRead<F> for Vec<F> {
    fn get(&self, j: usize) -> F {
        self[j]
    }
}

/// The cotangent selecting output `i`: the `i`-th unit vector in the output's shape.
///
/// ```
/// use ad_runtime::jacobian::Basis;
/// assert_eq!(<[f64; 3] as Basis<f64>>::basis(1), [0.0, 1.0, 0.0]);
/// assert_eq!(<f32 as Basis<f32>>::basis(0), 1.0);
/// ```
pub trait Basis<F> {
    /// The number of components.
    const DIM: usize;
    /// The `i`-th unit vector (zero when `i >= DIM`).
    fn basis(i: usize) -> Self;
}

impl<F: Float> Basis<F> for F {
    const DIM: usize = 1;
    fn basis(i: usize) -> F {
        if i == 0 { F::one() } else { F::zero() }
    }
}

impl<F: Float, const M: usize> Basis<F> for [F; M] {
    const DIM: usize = M;
    fn basis(i: usize) -> [F; M] {
        core::array::from_fn(|k| if k == i { F::one() } else { F::zero() })
    }
}

/// [`Basis`] for tuples of outputs (a trait of its own: `Basis` is implemented for every float
/// type, which a tuple might be as far as coherence knows): their components' components in
/// order.
pub trait TupleBasis<F> {
    /// The number of components.
    const DIM: usize;
    /// The `i`-th unit vector (zero when `i >= DIM`).
    fn basis(i: usize) -> Self;
}

/// Tuples of outputs: their components' components in order.
///
/// ```
/// use ad_runtime::jacobian::{LaneRead, TupleBasis};
/// assert_eq!(<(f64, [f64; 2]) as TupleBasis<f64>>::basis(2), (0.0, [0.0, 1.0]));
/// let lanes: ([f64; 2], [[f64; 2]; 2]) = ([1.0, 2.0], [[3.0, 4.0], [5.0, 6.0]]);
/// assert_eq!((LaneRead::<f64, 2>::len(&lanes), LaneRead::<f64, 2>::get(&lanes, 2, 1)), (3, 6.0));
/// ```
macro_rules! tuple_outputs {
    ($(($($t:ident $i:tt),+)),+) => {$(
        impl<F: Float, $($t: Basis<F>),+> TupleBasis<F> for ($($t,)+) {
            const DIM: usize = 0 $(+ $t::DIM)+;
            #[allow(unused_assignments)] // `first` after the last component
            fn basis(i: usize) -> Self {
                let mut first = 0;
                ($({
                    let b = $t::basis(i.wrapping_sub(first));
                    first += $t::DIM;
                    b
                },)+)
            }
        }

        impl<F: Float, const K: usize, $($t: LaneRead<F, K>),+> LaneRead<F, K> for ($($t,)+) {
            fn len(&self) -> usize {
                0 $(+ self.$i.len())+
            }
            fn get(&self, i: usize, k: usize) -> F {
                let mut i = i;
                $(
                    if i < self.$i.len() {
                        return self.$i.get(i, k);
                    }
                    i -= self.$i.len();
                )+
                panic!("output {i} past the end of the tuple")
            }
        }
    )+};
}

tuple_outputs!((A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3));

/// The `i`-th unit vector of length `m`, for a slice output's shadow.
///
/// ```
/// assert_eq!(ad_runtime::jacobian::basis_vec::<f64>(3, 2), vec![0.0, 0.0, 1.0]);
/// ```
pub fn basis_vec<F: Float>(m: usize, i: usize) -> Vec<F> {
    (0..m)
        .map(|k| if k == i { F::one() } else { F::zero() })
        .collect()
}

/// Lanes of zeros: the tangent of a value that does not depend on the input.
///
/// ```
/// assert_eq!(ad_runtime::jacobian::lanes_zero::<f64, 3>(&1.5), [0.0; 3]);
/// ```
pub fn lanes_zero<F: Float, const K: usize>(_like: &F) -> [F; K] {
    [F::zero(); K]
}

/// One lane-wise computation: `[f(0), .., f(K - 1)]`. The generated tangent of one operation in
/// vector forward mode.
///
/// ```
/// let dx = [1.0_f64, 0.0];
/// assert_eq!(ad_runtime::jacobian::lanes::<f64, 2>(|k| 3.0 * dx[k]), [3.0, 0.0]);
/// ```
#[inline(always)]
pub fn lanes<F, const K: usize>(f: impl FnMut(usize) -> F) -> [F; K] {
    core::array::from_fn(f)
}

/// Lane-wise sum, for `y[i] += v` on lanes.
///
/// ```
/// assert_eq!(ad_runtime::jacobian::lanes_add([1.0_f64, 2.0], [3.0, 4.0]), [4.0, 6.0]);
/// ```
#[inline(always)]
pub fn lanes_add<F: Float, const K: usize>(a: [F; K], b: [F; K]) -> [F; K] {
    core::array::from_fn(|k| a[k] + b[k])
}

/// Zero lanes for each element of a local `Vec`.
///
/// ```
/// let v = vec![1.0_f64, 2.0];
/// assert_eq!(ad_runtime::jacobian::lanes_zeros_vec::<f64, 2>(&v), vec![[0.0; 2]; 2]);
/// ```
pub fn lanes_zeros_vec<F: Float, const K: usize>(v: &[F]) -> Vec<[F; K]> {
    vec![[F::zero(); K]; v.len()]
}

/// Zero lanes for each element of a local array.
///
/// ```
/// let a = [1.0_f64; 3];
/// assert_eq!(ad_runtime::jacobian::lanes_zeros_array::<f64, 2, 3>(&a), [[0.0; 2]; 3]);
/// ```
pub fn lanes_zeros_array<F: Float, const K: usize, const N: usize>(_a: &[F; N]) -> [[F; K]; N] {
    [[F::zero(); K]; N]
}

/// Zero lanes for each element of a local two-dimensional array.
///
/// ```
/// let a = [[1.0_f64; 3]; 2];
/// let z = ad_runtime::jacobian::lanes_zeros_array2::<f64, 4, 3, 2>(&a);
/// assert_eq!(z, [[[0.0; 4]; 3]; 2]);
/// ```
pub fn lanes_zeros_array2<F: Float, const K: usize, const N: usize, const M: usize>(
    _a: &[[F; N]; M],
) -> [[[F; K]; N]; M] {
    [[[F::zero(); K]; N]; M]
}

/// A callee's output in vector forward mode: `K` scalar tangent passes of the callee, one per
/// lane, gathered into lanes (`F` into `[F; K]`, `[F; N]` into `[[F; K]; N]`).
///
/// ```
/// use ad_runtime::jacobian::Lanable;
/// let mut lanes = <[f64; 2] as Lanable<f64, 3>>::empty();
/// <[f64; 2] as Lanable<f64, 3>>::set(&mut lanes, 1, [5.0, 6.0]);
/// assert_eq!(lanes, [[0.0, 5.0, 0.0], [0.0, 6.0, 0.0]]);
/// ```
pub trait Lanable<F, const K: usize>: Sized {
    /// The lanes of a value of this type.
    type Lanes;
    /// All lanes zero.
    fn empty() -> Self::Lanes;
    /// Writes lane `k`.
    fn set(lanes: &mut Self::Lanes, k: usize, value: Self);
}

impl<F: Float, const K: usize> Lanable<F, K> for F {
    type Lanes = [F; K];
    fn empty() -> [F; K] {
        [F::zero(); K]
    }
    fn set(lanes: &mut [F; K], k: usize, value: F) {
        lanes[k] = value;
    }
}

impl<F: Float, const K: usize, const N: usize> Lanable<F, K> for [F; N] {
    type Lanes = [[F; K]; N];
    fn empty() -> [[F; K]; N] {
        [[F::zero(); K]; N]
    }
    fn set(lanes: &mut [[F; K]; N], k: usize, value: [F; N]) {
        for (lane, v) in lanes.iter_mut().zip(value) {
            lane[k] = v;
        }
    }
}

/// A call in vector forward mode: the callee's scalar forward mode once per lane (`pass(k)`
/// returns the value and the tangent along lane `k`), gathered. Returns the value and the lanes.
///
/// ```
/// // The callee y = x², its tangent 2 x dx, on two lanes dx = [1, 3].
/// let (x, dx) = (2.0_f64, [1.0, 3.0]);
/// let (y, dy) = ad_runtime::jacobian::per_lane::<f64, f64, 2>(|k| (x * x, 2.0 * x * dx[k]));
/// assert_eq!((y, dy), (4.0, [4.0, 12.0]));
/// ```
pub fn per_lane<F, V, const K: usize>(mut pass: impl FnMut(usize) -> (V, V)) -> (V, V::Lanes)
where
    V: Lanable<F, K>,
{
    let mut lanes = V::empty();
    let mut value = None;
    for k in 0..K {
        let (v, d) = pass(k);
        V::set(&mut lanes, k, d);
        value = Some(v);
    }
    (
        value.expect("vector forward mode has at least one lane"),
        lanes,
    )
}

/// Lane `k` of a slice's tangent lanes, as a slice of its own (for a callee's scalar forward mode).
///
/// ```
/// let lanes = [[1.0_f64, 2.0], [3.0, 4.0]];
/// assert_eq!(ad_runtime::jacobian::lane_slice(&lanes, 1), vec![2.0, 4.0]);
/// ```
pub fn lane_slice<F: Float, const K: usize>(lanes: &[[F; K]], k: usize) -> Vec<F> {
    lanes.iter().map(|l| l[k]).collect()
}

/// Vector forward mode: runs `pass` once per block of `K` input columns and assembles the
/// `m` × `n` Jacobian. `pass` takes the lanes of the input's tangent and returns the value and
/// the lanes of the output's tangent. Returns the value (of the last pass) and the Jacobian.
///
/// ```
/// use ad_runtime::jacobian::forward;
/// // f(x) = [x0 * x1, 3 x0] with its lane tangent written by hand.
/// let x = [2.0_f64, 5.0];
/// let (v, j): ([f64; 2], [[f64; 2]; 2]) = forward::<f64, 2, _, _, _, _>(&x, 2, |dx: [[f64; 2]; 2]| {
///     let dy0: [f64; 2] = std::array::from_fn(|k| x[1] * dx[0][k] + x[0] * dx[1][k]);
///     let dy1: [f64; 2] = std::array::from_fn(|k| 3.0 * dx[0][k]);
///     ([x[0] * x[1], 3.0 * x[0]], [dy0, dy1])
/// });
/// assert_eq!(v, [10.0, 6.0]);
/// assert_eq!(j, [[5.0, 2.0], [3.0, 0.0]]);
/// ```
pub fn forward<F, const K: usize, X, V, Y, J>(
    x: &X,
    m: usize,
    mut pass: impl FnMut(X::Lanes) -> (V, Y),
) -> (V, J)
where
    F: Float,
    X: LaneSeed<F, K> + ?Sized,
    Y: LaneRead<F, K>,
    J: JacobianStore<F>,
{
    assert!(K > 0, "vector forward mode needs at least one lane");
    let n = x.len();
    let mut jac = J::zeros(m, n);
    let mut first = 0;
    loop {
        let (value, dy) = pass(x.seed(first));
        debug_assert_eq!(dy.len(), m);
        // Row by row: a row's lanes are next to each other in `dy` and in a row-major `jac`.
        let lanes = K.min(n.saturating_sub(first));
        for i in 0..m {
            for k in 0..lanes {
                jac.set(i, first + k, dy.get(i, k));
            }
        }
        first += K;
        if first >= n {
            return (value, jac);
        }
    }
}

/// Reverse mode: runs `pull` once per output row `i` (the pass seeded with the `i`-th unit
/// cotangent) and assembles the `m` × `n` Jacobian from the input adjoints. With `m == 0` the
/// function still runs once, for its value.
///
/// ```
/// use ad_runtime::jacobian::reverse;
/// // f(x) = [x0 * x1, 3 x0]; row i of the Jacobian is the gradient of output i.
/// let x = [2.0_f64, 5.0];
/// let (v, j): ([f64; 2], [[f64; 2]; 2]) = reverse(2, 2, |i| {
///     let s: [f64; 2] = ad_runtime::jacobian::Basis::<f64>::basis(i);
///     ([x[0] * x[1], 3.0 * x[0]], [s[0] * x[1] + 3.0 * s[1], s[0] * x[0]])
/// });
/// assert_eq!(v, [10.0, 6.0]);
/// assert_eq!(j, [[5.0, 2.0], [3.0, 0.0]]);
/// ```
pub fn reverse<F, V, A, J>(m: usize, n: usize, mut pull: impl FnMut(usize) -> (V, A)) -> (V, J)
where
    F: Float,
    A: AdjointRead<F>,
    J: JacobianStore<F>,
{
    let mut jac = J::zeros(m, n);
    let mut i = 0;
    loop {
        let (value, adjoint) = pull(i.min(m.saturating_sub(1)));
        if m > 0 {
            for j in 0..n {
                jac.set(i, j, adjoint.get(j));
            }
        }
        i += 1;
        if i >= m {
            return (value, jac);
        }
    }
}
