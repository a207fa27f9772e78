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
//! through [`detect_symmetric`] and [`columns`], with one Hessian-vector product (forward over
//! reverse) per input to detect and one per colour to compute: `NAME_hessian_sparsity` and
//! `NAME_hessian_sparse`. A diagonal Hessian takes one product. The columns of a symmetric
//! pattern are also star-coloured, which uses the symmetry (an arrowhead takes two products,
//! not one per column), and the colouring with fewer colours is kept.
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
/// a colour, so one forward pass per colour gives every non-zero. A symmetric pattern
/// ([`Sparsity::symmetric_from_entries`]) may instead carry a star colouring, whose non-zeros are
/// recovered through the symmetry.
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
    /// A symmetric matrix's pattern whose colouring is a star colouring: an entry is recovered
    /// from its column's product or, through the symmetry, from its row's ([`columns`]).
    symmetric: bool,
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
            symmetric: false,
        }
    }

    /// The pattern of a symmetric `n` × `n` matrix (a Hessian) with the given non-zeros, each
    /// also taken at its mirror position, coloured for Hessian-vector products: by a star
    /// colouring when it needs fewer colours than the columns' colouring (an arrowhead needs 2
    /// instead of `n`), in which case [`columns`] recovers each entry from its column's product
    /// or from its row's, by the symmetry.
    ///
    /// ```
    /// use ad_runtime::sparse::Sparsity;
    /// // Arrowhead: x0 coupled to every other input, each of those only to itself.
    /// let n = 100;
    /// let s = Sparsity::symmetric_from_entries(n, (0..n).flat_map(|i| [(0, i), (i, i)]));
    /// assert_eq!((s.nnz(), s.colours()), (3 * n - 2, 2));
    /// ```
    ///
    /// # Panics
    ///
    /// If an entry lies outside `n × n`.
    pub fn symmetric_from_entries(
        n: usize,
        entries: impl IntoIterator<Item = (usize, usize)>,
    ) -> Self {
        let mirrored = entries.into_iter().flat_map(|(i, j)| [(i, j), (j, i)]);
        let mut s = Self::from_entries(n, n, mirrored);
        let (colour, colours) = star_colouring(n, &s.row_ptr, &s.col_idx);
        if colours < s.colours {
            (s.colour, s.colours, s.symmetric) = (colour, colours, true);
        }
        s
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
        let rows =
            (0..self.rows).map(|i| self.row(i).iter().chain(other.row(i)).map(move |&j| (i, j)));
        let entries = rows.flatten();
        if self.symmetric || other.symmetric {
            Self::symmetric_from_entries(self.cols, entries)
        } else {
            Self::from_entries(self.rows, self.cols, entries)
        }
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

    /// Recovers every non-zero of a star-coloured symmetric pattern from the products
    /// (`product(c, i)`: row `i` of colour `c`'s product): from its column's colour where that
    /// colour has no other non-zero in its row, else from its row's colour in its column.
    fn recover_symmetric<F: Float>(&self, data: &mut [F], product: impl Fn(usize, usize) -> F) {
        let mut count = alloc::vec![0usize; self.colours];
        for i in 0..self.rows {
            let row = self.row_ptr[i]..self.row_ptr[i + 1];
            for &j in &self.col_idx[row.clone()] {
                count[self.colour[j]] += 1;
            }
            for (value, &j) in data[row.clone()].iter_mut().zip(&self.col_idx[row.clone()]) {
                *value = if count[self.colour[j]] == 1 {
                    product(self.colour[j], i)
                } else {
                    product(self.colour[i], j)
                };
            }
            for &j in &self.col_idx[row] {
                count[self.colour[j]] = 0;
            }
        }
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
    // Column `j` may not take the colour of a column sharing a row with it.
    best_of_orders(
        cols,
        |j| col_ptr[j + 1] - col_ptr[j],
        |j, colour, forbid| {
            for &i in &row_of[col_ptr[j]..col_ptr[j + 1]] {
                for &k in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
                    if colour[k] != NONE {
                        forbid(colour[k]);
                    }
                }
            }
        },
    )
}

/// No colour yet.
const NONE: usize = usize::MAX;

/// Greedy colourings of `n` vertices in natural and in largest-first order (by `degree`), each
/// vertex taking the smallest colour that `closed(v, colours so far, forbid)` does not forbid;
/// the one with fewer colours. Returns each vertex's colour and the number of colours.
fn best_of_orders(
    n: usize,
    degree: impl Fn(usize) -> usize,
    closed: impl Fn(usize, &[usize], &mut dyn FnMut(usize)),
) -> (Vec<usize>, usize) {
    let greedy = |order: &[usize]| -> (Vec<usize>, usize) {
        let mut colour = alloc::vec![NONE; n];
        // `forbidden[c] == v` marks colour `c` as closed to vertex `v`.
        let mut forbidden: Vec<usize> = Vec::new();
        let mut colours = 0;
        for &v in order {
            closed(v, &colour, &mut |c| forbidden[c] = v);
            let c = (0..colours).find(|&c| forbidden[c] != v).unwrap_or(colours);
            if c == colours {
                colours += 1;
                forbidden.push(NONE);
            }
            colour[v] = c;
        }
        (colour, colours)
    };
    let natural: Vec<usize> = (0..n).collect();
    let mut largest_first = natural.clone();
    largest_first.sort_by_key(|&v| core::cmp::Reverse(degree(v)));
    let a = greedy(&natural);
    let b = greedy(&largest_first);
    if b.1 < a.1 { b } else { a }
}

/// Greedy star colouring of a symmetric pattern's adjacency graph (columns `i` and `j` adjacent
/// when entry `(i, j)`, `i != j`, is a non-zero): a distance-1 colouring in which every path on
/// four vertices has three colours at least, so that each entry can be recovered from one
/// product, its column's or, by the symmetry, its row's. Each vertex takes the smallest colour
/// that closes no two-coloured path of four vertices among those already coloured (Gebremedhin,
/// Manne and Pothen's greedy scheme), in natural and largest-first order; the one with fewer
/// colours is kept.
fn star_colouring(n: usize, row_ptr: &[usize], col_idx: &[usize]) -> (Vec<usize>, usize) {
    let adj = |v: usize| {
        col_idx[row_ptr[v]..row_ptr[v + 1]]
            .iter()
            .copied()
            .filter(move |&w| w != v)
    };
    best_of_orders(
        n,
        |v| row_ptr[v + 1] - row_ptr[v],
        |v, colour, forbid| {
            for a in adj(v).filter(|&a| colour[a] != NONE) {
                // A neighbour's colour.
                forbid(colour[a]);
                for b in adj(a).filter(|&b| b != v && colour[b] != NONE) {
                    // v - a - b - c with c(c) = c(a), or a' - v - a - b with c(a') = c(a): v may
                    // not take c(b).
                    if adj(b).any(|c| c != a && c != v && colour[c] == colour[a])
                        || adj(v).any(|a2| a2 != a && colour[a2] == colour[a])
                    {
                        forbid(colour[b]);
                    }
                }
            }
        },
    )
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

/// [`detect_columns`] for a symmetric `n` × `n` matrix (a Hessian, `pass` a Hessian-vector
/// product): the pattern made symmetric and coloured by [`Sparsity::symmetric_from_entries`].
///
/// ```
/// use ad_runtime::sparse::detect_symmetric;
/// // The Hessian of x0 (x1 + x2 + x3): an arrowhead without its diagonal.
/// let s = detect_symmetric::<f64>(4, |v, out| {
///     out[0] = v[1] + v[2] + v[3];
///     for i in 1..4 {
///         out[i] = v[0];
///     }
/// });
/// assert_eq!((s.nnz(), s.colours()), (6, 2));
/// ```
pub fn detect_symmetric<F: Float>(n: usize, pass: impl FnMut(&[F], &mut [F])) -> Sparsity {
    let s = detect_columns(n, n, pass);
    let entries = (0..n).flat_map(|i| s.row(i).iter().map(move |&j| (i, j)));
    Sparsity::symmetric_from_entries(n, entries)
}

/// The matrix known by its products with vectors (`pass(v, out)` writes `A v`), in CSR form:
/// one product per colour of `sparsity`, `v` the sum of that colour's unit vectors. For a
/// star-coloured symmetric pattern, entry `(i, j)` comes from colour `c(j)`'s product at row `i`
/// when no other column of that colour has a non-zero in row `i`, and otherwise from colour
/// `c(i)`'s product at row `j` (the star colouring makes one of the two exact).
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
    // A star colouring needs every product before recovering: colour by colour, row by row.
    let mut products = Vec::new();
    // One pass at least, for what the pass computes besides the product (a value, a gradient).
    for c in 0..sparsity.colours.max(1) {
        for (vj, &cj) in v.iter_mut().zip(&sparsity.colour) {
            *vj = if cj == c { F::one() } else { F::zero() };
        }
        pass(&v, &mut out);
        if sparsity.symmetric {
            products.extend_from_slice(&out);
        } else {
            sparsity.recover(&mut data, c..c + 1, |i, _| out[i]);
        }
    }
    if sparsity.symmetric {
        sparsity.recover_symmetric(&mut data, |c, i| products[c * n + i]);
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

    /// A star colouring: proper, and no path on four vertices with two colours (by brute force).
    fn star(s: &Sparsity) -> bool {
        let n = s.cols;
        let adj = |v: usize| s.row(v).iter().copied().filter(move |&w| w != v);
        let c = |v: usize| s.colour(v);
        (0..n).all(|a| {
            adj(a).all(|b| {
                c(a) != c(b)
                    && adj(b).filter(|&x| x != a).all(|x| {
                        adj(x)
                            .filter(|&y| y != b && y != a)
                            .all(|y| !(c(a) == c(x) && c(b) == c(y)))
                    })
            })
        })
    }

    /// A symmetric matrix of the pattern with values from `seed`, dense.
    fn values(s: &Sparsity, seed: u64) -> Vec<Vec<f64>> {
        let n = s.cols;
        let mut a = alloc::vec![alloc::vec![0.0; n]; n];
        for (i, row) in a.iter_mut().enumerate() {
            for &j in s.row(i) {
                let (lo, hi) = (i.min(j) as u64, i.max(j) as u64);
                let h = (lo * 31 + hi * 17 + seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                row[j] = 1.0 + (h >> 40) as f64 / (1u64 << 24) as f64;
            }
        }
        a
    }

    /// The matrix recovered from its products by `columns`, against the matrix itself.
    fn recovered_exactly(s: &Sparsity, a: &[Vec<f64>]) -> bool {
        let n = s.cols;
        let m = columns::<f64>(n, s, |v, out| {
            for i in 0..n {
                out[i] = (0..n).map(|j| a[i][j] * v[j]).sum();
            }
        });
        (0..n).all(|i| (0..n).all(|j| m.get(i, j).copied().unwrap_or(0.0) == a[i][j]))
    }

    #[test]
    fn star_colouring_of_an_arrowhead_takes_two_colours() {
        let n = 50;
        let s = Sparsity::symmetric_from_entries(n, (0..n).flat_map(|i| [(0, i), (i, i)]));
        assert_eq!(s.colours(), 2);
        assert!(s.symmetric && star(&s) && recovered_exactly(&s, &values(&s, 7)));
        // The columns' colouring would need n.
        let t = Sparsity::from_entries(n, n, (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]));
        assert_eq!(t.colours(), n);
    }

    #[test]
    fn star_colouring_of_a_grid_and_a_band() {
        // The 5-point Laplacian on a 12 × 12 grid.
        let m = 12;
        let at = |r: usize, c: usize| r * m + c;
        let mut entries = Vec::new();
        for r in 0..m {
            for c in 0..m {
                entries.push((at(r, c), at(r, c)));
                if r + 1 < m {
                    entries.push((at(r, c), at(r + 1, c)));
                }
                if c + 1 < m {
                    entries.push((at(r, c), at(r, c + 1)));
                }
            }
        }
        let s = Sparsity::symmetric_from_entries(m * m, entries.iter().copied());
        let columns_only = Sparsity::from_entries(
            m * m,
            m * m,
            entries.iter().flat_map(|&(i, j)| [(i, j), (j, i)]),
        );
        assert!(s.colours() <= columns_only.colours());
        assert!(valid(&s) || star(&s));
        assert!(recovered_exactly(&s, &values(&s, 3)));
        // Tridiagonal: three colours either way, recovered directly.
        let t = Sparsity::symmetric_from_entries(
            30,
            (0..30).flat_map(|i| [(i, i), (i, (i + 1).min(29))]),
        );
        assert_eq!(t.colours(), 3);
        assert!(recovered_exactly(&t, &values(&t, 5)));
    }

    #[test]
    fn random_symmetric_patterns_are_star_coloured_and_recovered() {
        let mut state = 0x51ed_270b_2710_9a1f_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut star_used = 0;
        for round in 0..200 {
            let n = 1 + next() as usize % 30;
            let count = next() as usize % (3 * n);
            let mut entries: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).collect();
            // Some patterns with hubs, where star colouring pays.
            let hubs = next() as usize % 3;
            for h in 0..hubs.min(n) {
                entries.extend((0..n).filter(|_| next() % 2 == 0).map(|j| (h, j)));
            }
            entries.extend((0..count).map(|_| (next() as usize % n, next() as usize % n)));
            let s = Sparsity::symmetric_from_entries(n, entries.iter().copied());
            for &(i, j) in &entries {
                assert!(s.row(i).contains(&j) && s.row(j).contains(&i));
            }
            if s.symmetric {
                star_used += 1;
                assert!(star(&s), "round {round}: not a star colouring");
            } else {
                assert!(valid(&s));
            }
            assert!(recovered_exactly(&s, &values(&s, round)), "round {round}");
            assert_eq!(s.union(&s), s);
        }
        assert!(star_used > 20, "star colouring chosen {star_used} times");
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
