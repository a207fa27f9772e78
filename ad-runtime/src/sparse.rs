//! Sparse Jacobians and Hessians (SPEC §10): the sparsity pattern detected once, its columns
//! coloured so that columns without a common row share a pass, and the non-zeros recovered into
//! a compressed sparse row matrix of [`sprs`].
//!
//! `#[derive_jacobian(sparse)]` writes two functions that call this module:
//!
//! - `NAME_sparsity(args..) -> Sparsity` runs vector forward mode with one input per lane, its
//!   tangent NaN, and reads the pattern from the outputs whose tangents came out NaN (`0 · NaN` is
//!   NaN, so a dependency shows even where its partial derivative is zero at this point). It then
//!   colours the columns. This costs as much as one dense Jacobian; keep the result and reuse it.
//! - `NAME_jacsparse(args.., &Sparsity)` seeds each lane with the sum of one colour's unit
//!   vectors, `ceil(colours / K)` passes for `K` lanes, and returns the Jacobian as a
//!   [`CsMat`] in CSR form (row `i` is the gradient of output `i`).
//!
//! `#[derive_grad(hessian, sparse)]` does the same for the Hessian of a function of a slice
//! through [`detect_columns`] and [`columns`], with one Hessian-vector product (forward over
//! reverse) per input to detect and one per colour to compute: `NAME_hessian_sparsity` and
//! `NAME_hessian_sparse`. A diagonal Hessian takes one product.
//!
//! The pattern is the one of the path the function takes at the point of detection: a branch on
//! the values may change it. For such functions, detect at several points and take the
//! [`Sparsity::union`], or give the pattern with [`Sparsity::from_entries`]. An output whose
//! tangent is NaN in every pass (the function or its derivative is not finite at that point) is
//! taken as depending on every input, which is correct but dense.
//!
//! ```
//! use ad_runtime::sparse::{Sparsity, detect, jacobian};
//! // r(u) = [u0 * u1, u1 + u2, 3 u2] with its lane tangent written by hand.
//! let pass = |u: &[f64; 3], du: [[f64; 2]; 3]| {
//!     let dr: [[f64; 2]; 3] = [
//!         core::array::from_fn(|k| u[1] * du[0][k] + u[0] * du[1][k]),
//!         core::array::from_fn(|k| du[1][k] + du[2][k]),
//!         core::array::from_fn(|k| 3.0 * du[2][k]),
//!     ];
//!     ([u[0] * u[1], u[1] + u[2], 3.0 * u[2]], dr)
//! };
//! let u = [2.0, 0.0, 1.0];
//! // u0's derivative in the first output is u1 = 0 here, but the dependency is found.
//! let s: Sparsity = detect::<f64, 2, _, _, _>(&u, 3, |du| pass(&u, du));
//! assert_eq!(s.nnz(), 5);
//! assert_eq!(s.row(0), &[0, 1]);
//! assert_eq!(s.colours(), 2); // columns 0 and 2 share no row
//! let (r, j) = jacobian::<f64, 2, _, _, _>(&u, &s, |du| pass(&u, du));
//! assert_eq!(r, [0.0, 1.0, 3.0]);
//! assert_eq!(j.get(0, 0), Some(&0.0));
//! assert_eq!(j.get(0, 1), Some(&2.0));
//! assert_eq!(j.get(2, 2), Some(&3.0));
//! assert_eq!(j.get(2, 0), None); // not stored
//! ```

use alloc::vec::Vec;

use num_traits::Float;
pub use sprs::{self, CsMat};

use crate::jacobian::{LaneRead, LaneSeed};

/// A Jacobian's sparsity pattern (rows × columns, the non-zeros of each row in increasing column
/// order) and a colouring of its columns: two columns with a non-zero in a common row never share
/// a colour, so one forward pass per colour gives every non-zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sparsity {
    rows: usize,
    cols: usize,
    /// Row `i`'s columns are `col_idx[row_ptr[i]..row_ptr[i + 1]]`.
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
    /// The colour of each column.
    colour: Vec<usize>,
    colours: usize,
}

impl Sparsity {
    /// The pattern of the given non-zeros `(row, column)` (in any order, repeats allowed),
    /// coloured.
    ///
    /// ```
    /// use ad_runtime::sparse::Sparsity;
    /// // Tridiagonal, 5 × 5: three colours whatever the size.
    /// let s = Sparsity::from_entries(5, 5, (0..5_usize).flat_map(|i| {
    ///     [i.wrapping_sub(1), i, i + 1].into_iter().filter(|&j| j < 5).map(move |j| (i, j))
    /// }));
    /// assert_eq!((s.nnz(), s.colours()), (13, 3));
    /// ```
    ///
    /// # Panics
    ///
    /// If an entry lies outside `rows × cols`.
    pub fn from_entries(
        rows: usize,
        cols: usize,
        entries: impl IntoIterator<Item = (usize, usize)>,
    ) -> Self {
        let mut per_row: Vec<Vec<usize>> = (0..rows).map(|_| Vec::new()).collect();
        for (i, j) in entries {
            assert!(
                i < rows && j < cols,
                "the entry ({i}, {j}) is outside the {rows} × {cols} pattern"
            );
            per_row[i].push(j);
        }
        Self::from_rows(cols, per_row)
    }

    /// The pattern with row `i`'s columns in `per_row[i]` (any order, repeats allowed).
    fn from_rows(cols: usize, per_row: Vec<Vec<usize>>) -> Self {
        let rows = per_row.len();
        let mut row_ptr = Vec::with_capacity(rows + 1);
        let mut col_idx = Vec::new();
        row_ptr.push(0);
        for mut r in per_row {
            r.sort_unstable();
            r.dedup();
            col_idx.extend(r);
            row_ptr.push(col_idx.len());
        }
        let (colour, colours) = colour_columns(rows, cols, &row_ptr, &col_idx);
        Sparsity {
            rows,
            cols,
            row_ptr,
            col_idx,
            colour,
            colours,
        }
    }

    /// The number of rows (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of structural non-zeros.
    pub fn nnz(&self) -> usize {
        self.col_idx.len()
    }

    /// The columns of row `i`'s non-zeros, in increasing order.
    pub fn row(&self, i: usize) -> &[usize] {
        &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]]
    }

    /// The number of colours: forward passes of one lane each that give the whole Jacobian.
    pub fn colours(&self) -> usize {
        self.colours
    }

    /// The colour of column `j`.
    pub fn colour(&self, j: usize) -> usize {
        self.colour[j]
    }

    /// The pattern with the non-zeros of both, coloured again: for a function whose branches
    /// change its pattern, the union of the patterns detected at several points.
    ///
    /// ```
    /// use ad_runtime::sparse::Sparsity;
    /// let a = Sparsity::from_entries(2, 2, [(0, 0)]);
    /// let b = Sparsity::from_entries(2, 2, [(0, 1), (1, 1)]);
    /// let u = a.union(&b);
    /// assert_eq!((u.row(0), u.row(1), u.colours()), (&[0, 1][..], &[1][..], 2));
    /// ```
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    pub fn union(&self, other: &Sparsity) -> Sparsity {
        assert_eq!(
            (self.rows, self.cols),
            (other.rows, other.cols),
            "the union of patterns of different shapes"
        );
        let per_row = (0..self.rows)
            .map(|i| {
                let mut r = self.row(i).to_vec();
                r.extend_from_slice(other.row(i));
                r
            })
            .collect();
        Self::from_rows(self.cols, per_row)
    }

    /// The pattern as a matrix of ones, for a look at it or for a solver's symbolic step.
    pub fn to_csmat<F: Float>(&self) -> CsMat<F> {
        self.with_values(alloc::vec![F::one(); self.nnz()])
    }

    /// The matrix of this pattern with these values, one per non-zero in CSR order.
    fn with_values<F: Float>(&self, data: Vec<F>) -> CsMat<F> {
        CsMat::new(
            (self.rows, self.cols),
            self.row_ptr.clone(),
            self.col_idx.clone(),
            data,
        )
    }

    /// Recovers the non-zeros whose column has a colour in `colours` from one compressed pass:
    /// entry `(i, j)` is `product(i, colour(j) - colours.start)`.
    fn recover<F: Float>(
        &self,
        data: &mut [F],
        colours: core::ops::Range<usize>,
        product: impl Fn(usize, usize) -> F,
    ) {
        for i in 0..self.rows {
            let row = self.row_ptr[i]..self.row_ptr[i + 1];
            for (value, &j) in data[row.clone()].iter_mut().zip(&self.col_idx[row]) {
                let c = self.colour[j];
                if colours.contains(&c) {
                    *value = product(i, c - colours.start);
                }
            }
        }
    }
}

/// Greedy distance-1 colouring of the columns (two columns sharing a row conflict), in natural
/// order and in largest-first order (columns with more non-zeros first); the one with fewer
/// colours is kept. Returns each column's colour and the number of colours.
fn colour_columns(
    rows: usize,
    cols: usize,
    row_ptr: &[usize],
    col_idx: &[usize],
) -> (Vec<usize>, usize) {
    // The rows of each column (the transpose's pattern).
    let mut col_ptr = alloc::vec![0usize; cols + 1];
    for &j in col_idx {
        col_ptr[j + 1] += 1;
    }
    for j in 0..cols {
        col_ptr[j + 1] += col_ptr[j];
    }
    let mut fill = col_ptr.clone();
    let mut row_of = alloc::vec![0usize; col_idx.len()];
    for i in 0..rows {
        for &j in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
            row_of[fill[j]] = i;
            fill[j] += 1;
        }
    }
    let greedy = |order: &[usize]| -> (Vec<usize>, usize) {
        const NONE: usize = usize::MAX;
        let mut colour = alloc::vec![NONE; cols];
        // `seen[c] == j` marks colour `c` as taken by a neighbour of column `j`.
        let mut seen: Vec<usize> = Vec::new();
        let mut colours = 0;
        for &j in order {
            for &i in &row_of[col_ptr[j]..col_ptr[j + 1]] {
                for &k in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
                    if colour[k] != NONE {
                        seen[colour[k]] = j;
                    }
                }
            }
            let c = (0..colours).find(|&c| seen[c] != j).unwrap_or(colours);
            if c == colours {
                colours += 1;
                seen.push(NONE);
            }
            colour[j] = c;
        }
        (colour, colours)
    };
    let natural: Vec<usize> = (0..cols).collect();
    let mut largest_first = natural.clone();
    largest_first.sort_by_key(|&j| core::cmp::Reverse(col_ptr[j + 1] - col_ptr[j]));
    let a = greedy(&natural);
    let b = greedy(&largest_first);
    if b.1 < a.1 { b } else { a }
}

/// The pattern of the Jacobian at `x` (`m` outputs), from vector forward passes of `K` lanes
/// whose tangent is NaN in one input per lane, then coloured. `pass` is one vector forward pass:
/// the input tangents in, the value and the output tangents out. `ceil(n / K)` passes.
pub fn detect<F, const K: usize, X, V, Y>(
    x: &X,
    m: usize,
    mut pass: impl FnMut(X::Lanes) -> (V, Y),
) -> Sparsity
where
    F: Float,
    X: LaneSeed<F, K> + ?Sized,
    Y: LaneRead<F, K>,
{
    assert!(K > 0, "vector forward mode needs at least one lane");
    let n = x.len();
    let mut per_row: Vec<Vec<usize>> = (0..m).map(|_| Vec::new()).collect();
    for first in (0..n).step_by(K) {
        let seed = x.seed_with(|j| {
            core::array::from_fn(|k| if j == first + k { F::nan() } else { F::zero() })
        });
        let (_, dy) = pass(seed);
        assert_eq!(dy.len(), m, "the pass gave {} outputs, not {m}", dy.len());
        let lanes = K.min(n - first);
        for (i, row) in per_row.iter_mut().enumerate() {
            row.extend(
                (0..lanes)
                    .filter(|&k| dy.get(i, k).is_nan())
                    .map(|k| first + k),
            );
        }
    }
    Sparsity::from_rows(n, per_row)
}

/// The Jacobian at `x` in CSR form, one vector forward pass per `K` colours of `sparsity`, each
/// lane seeded with the sum of one colour's unit vectors; with the value of the last pass.
///
/// # Panics
///
/// If `sparsity` was made for another number of inputs or outputs.
pub fn jacobian<F, const K: usize, X, V, Y>(
    x: &X,
    sparsity: &Sparsity,
    mut pass: impl FnMut(X::Lanes) -> (V, Y),
) -> (V, CsMat<F>)
where
    F: Float,
    X: LaneSeed<F, K> + ?Sized,
    Y: LaneRead<F, K>,
{
    assert!(K > 0, "vector forward mode needs at least one lane");
    assert_eq!(
        x.len(),
        sparsity.cols,
        "the sparsity pattern has {} columns but the input has {} components",
        sparsity.cols,
        x.len()
    );
    let mut data = alloc::vec![F::zero(); sparsity.nnz()];
    let mut first = 0;
    let value = loop {
        let seed = x.seed_with(|j| {
            let c = sparsity.colour[j];
            core::array::from_fn(|k| if c == first + k { F::one() } else { F::zero() })
        });
        let (value, dy) = pass(seed);
        assert_eq!(
            dy.len(),
            sparsity.rows,
            "the sparsity pattern has {} rows but the function has {} outputs",
            sparsity.rows,
            dy.len()
        );
        sparsity.recover(&mut data, first..first + K, |i, k| dy.get(i, k));
        first += K;
        if first >= sparsity.colours {
            break value;
        }
    };
    (value, sparsity.with_values(data))
}

/// The pattern of an `m` × `n` matrix known by its products with vectors, `pass(v, out)`
/// writing `A v` into `out`: one pass per column with `v` NaN in that column, then coloured.
/// Sparse Hessians use it with Hessian-vector products (`NAME_hessian_sparsity`).
///
/// ```
/// use ad_runtime::sparse::detect_columns;
/// // A = [[2, 0, 1], [0, 3, 0]]: a product that does not read v[j] leaves out column j.
/// let s = detect_columns::<f64>(3, 2, |v, out| {
///     out[0] = 2.0 * v[0] + v[2];
///     out[1] = 3.0 * v[1];
/// });
/// assert_eq!((s.row(0), s.row(1), s.colours()), (&[0, 2][..], &[1][..], 2));
/// ```
pub fn detect_columns<F: Float>(
    n: usize,
    m: usize,
    mut pass: impl FnMut(&[F], &mut [F]),
) -> Sparsity {
    let mut per_row: Vec<Vec<usize>> = (0..m).map(|_| Vec::new()).collect();
    let mut v = alloc::vec![F::zero(); n];
    let mut out = alloc::vec![F::zero(); m];
    for j in 0..n {
        v[j] = F::nan();
        pass(&v, &mut out);
        v[j] = F::zero();
        for (row, o) in per_row.iter_mut().zip(&out) {
            if o.is_nan() {
                row.push(j);
            }
        }
    }
    Sparsity::from_rows(n, per_row)
}

/// The matrix known by its products with vectors (`pass(v, out)` writes `A v`), in CSR form:
/// one product per colour of `sparsity`, `v` the sum of that colour's unit vectors.
///
/// # Panics
///
/// If `sparsity` has no colours for these `n` columns (made for another size).
pub fn columns<F: Float>(
    n: usize,
    sparsity: &Sparsity,
    mut pass: impl FnMut(&[F], &mut [F]),
) -> CsMat<F> {
    assert_eq!(
        n, sparsity.cols,
        "the sparsity pattern has {} columns but the input has {n} components",
        sparsity.cols
    );
    let mut data = alloc::vec![F::zero(); sparsity.nnz()];
    let mut v = alloc::vec![F::zero(); n];
    let mut out = alloc::vec![F::zero(); sparsity.rows];
    // One pass at least, for what the pass computes besides the product (a value, a gradient).
    for c in 0..sparsity.colours.max(1) {
        for (vj, &cj) in v.iter_mut().zip(&sparsity.colour) {
            *vj = if cj == c { F::one() } else { F::zero() };
        }
        pass(&v, &mut out);
        sparsity.recover(&mut data, c..c + 1, |i, _| out[i]);
    }
    sparsity.with_values(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No two columns of one colour share a row.
    fn valid(s: &Sparsity) -> bool {
        (0..s.rows).all(|i| {
            let r = s.row(i);
            (0..r.len()).all(|a| (a + 1..r.len()).all(|b| s.colour(r[a]) != s.colour(r[b])))
        })
    }

    #[test]
    fn tridiagonal_needs_three_colours() {
        let n = 1000;
        let s = Sparsity::from_entries(
            n,
            n,
            (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |j| (i, j))),
        );
        assert_eq!(s.nnz(), 3 * n - 2);
        assert_eq!(s.colours(), 3);
        assert!(valid(&s));
    }

    #[test]
    fn arrowhead_row_makes_every_column_conflict() {
        // Row 0 and column 0 full, plus the diagonal: row 0 links every pair of columns.
        let n = 20;
        let s = Sparsity::from_entries(n, n, (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]));
        assert_eq!(s.colours(), n);
        assert!(valid(&s));
        // Without the full row, column 0 against the rest: two colours.
        let t = Sparsity::from_entries(n, n, (0..n).flat_map(|i| [(i, 0), (i, i)]));
        assert_eq!(t.colours(), 2);
        assert!(valid(&t));
    }

    #[test]
    fn random_patterns_are_coloured_validly() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50 {
            let (rows, cols) = (1 + next() as usize % 40, 1 + next() as usize % 40);
            let count = next() as usize % 200;
            let entries: Vec<(usize, usize)> = (0..count)
                .map(|_| (next() as usize % rows, next() as usize % cols))
                .collect();
            let s = Sparsity::from_entries(rows, cols, entries.iter().copied());
            assert!(valid(&s));
            // No more colours than the widest row needs at least, nor than columns.
            let widest = (0..rows).map(|i| s.row(i).len()).max().unwrap_or(0);
            assert!(s.colours() >= widest && s.colours() <= cols);
            for &(i, j) in &entries {
                assert!(s.row(i).contains(&j));
            }
            assert_eq!(s.union(&s), s);
        }
    }

    #[test]
    fn an_output_nan_at_the_point_is_dense() {
        // y0 = x0 / x1 at x1 = 0: NaN tangents in every pass, so row 0 is taken as full.
        let x = [1.0_f64, 0.0, 2.0];
        let s = detect::<f64, 2, _, _, _>(&x, 2, |dx: [[f64; 2]; 3]| {
            let q = x[0] / x[1];
            let dq: [f64; 2] = core::array::from_fn(|k| (dx[0][k] - q * dx[1][k]) / x[1]);
            let dz: [f64; 2] = core::array::from_fn(|k| 2.0 * dx[2][k]);
            ((), [dq, dz])
        });
        assert_eq!(s.row(0), &[0, 1, 2]);
        assert_eq!(s.row(1), &[2]);
    }
}
