//! What a call between annotated functions passes for a parameter's tangent or adjoint: the
//! caller's own (a float, an array, a slice), or [`Zero`] for an argument it does not
//! differentiate, turned by the callee into what its body reads or adds into ([`TangentSlot`],
//! [`ArraySlot`], [`SliceTangent`] / [`TangentSlice`] with [`ZeroSlice`], [`SliceShadow`] /
//! [`Shadow`] with [`Sink`]).

use alloc::vec::Vec;

use crate::{Float, add_into};

/// The tangent of an argument that carries no derivative, in a call between annotated functions.
///
/// A caller does not know which of its callee's parameters are differentiated; it passes each
/// argument's tangent, or `Zero` for a constant argument, and [`TangentSlot`] turns that into
/// what the callee's parameter needs.
///
/// ```
/// use ad_runtime::{TangentSlot, Zero};
/// assert_eq!(TangentSlot::<f64>::tangent(Zero), 0.0);
/// assert_eq!(TangentSlot::<f64>::tangent(2.5_f64), 2.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zero;

/// A tangent passed to a float parameter of an annotated callee: the float itself, or [`Zero`].
///
/// ```
/// use ad_runtime::{TangentSlot, Zero};
/// fn takes<S: TangentSlot<f32>>(d: S) -> f32 {
///     d.tangent()
/// }
/// assert_eq!((takes(1.5_f32), takes(Zero)), (1.5, 0.0));
/// ```
pub trait TangentSlot<T> {
    /// The tangent as the parameter's float type.
    ///
    /// ```
    /// use ad_runtime::TangentSlot;
    /// assert_eq!(TangentSlot::<f64>::tangent(0.25_f64), 0.25);
    /// ```
    fn tangent(self) -> T;
}

impl<T: Float> TangentSlot<T> for T {
    #[inline(always)]
    fn tangent(self) -> T {
        self
    }
}

impl<T: Float> TangentSlot<T> for Zero {
    #[inline(always)]
    fn tangent(self) -> T {
        T::zero()
    }
}

/// A tangent passed to an array parameter `[F; N]` of an annotated callee (by value): the
/// caller's tangent array, or [`Zero`] for an array it does not differentiate.
///
/// ```
/// use ad_runtime::{ArraySlot, Zero};
/// fn takes<S: ArraySlot<[f64; 3]>>(d: S) -> [f64; 3] {
///     d.array()
/// }
/// assert_eq!(takes([1.0, 2.0, 3.0]), [1.0, 2.0, 3.0]);
/// assert_eq!(takes(Zero), [0.0; 3]);
/// ```
pub trait ArraySlot<A> {
    /// The tangent as an array of the parameter's type.
    fn array(self) -> A;
}

impl<T: Float, const N: usize> ArraySlot<[T; N]> for [T; N] {
    #[inline(always)]
    fn array(self) -> [T; N] {
        self
    }
}

impl<T: Float, const N: usize> ArraySlot<[T; N]> for Zero {
    #[inline(always)]
    fn array(self) -> [T; N] {
        [T::zero(); N]
    }
}

/// The tangent passed to a read-only slice parameter of an annotated callee in forward mode: the
/// caller's tangent slice (`&[F]`), or [`Zero`] for a slice the caller does not differentiate,
/// which the callee reads as a [`ZeroSlice`] without allocating.
///
/// ```
/// use ad_runtime::{SliceTangent, Zero};
/// let d = [1.0, 2.0];
/// assert_eq!(SliceTangent::<f64>::slice(&d[..], &mut ())[1], 2.0);
/// let mut store = Default::default();
/// assert_eq!(SliceTangent::<f64>::slice(Zero, &mut store)[5], 0.0);
/// ```
pub trait SliceTangent<'a, T> {
    /// Room the callee declares for the tangent: `()` for a slice, a [`ZeroSlice`] for [`Zero`].
    type Store: Default;
    /// What the callee reads: the slice `[T]`, or a [`ZeroSlice`].
    type Target: ?Sized + TangentSlice<T>;
    /// The tangent to read, kept in `store` if it needs room.
    ///
    /// ```
    /// use ad_runtime::SliceTangent;
    /// let d = [0.5_f64];
    /// assert_eq!(SliceTangent::<f64>::slice(&d[..], &mut ())[0], 0.5);
    /// ```
    fn slice<'s>(self, store: &'s mut Self::Store) -> &'s Self::Target
    where
        'a: 's;
    /// The tangent as a plain slice of `len` floats, for a user rule that reads `&[T]`: the
    /// slice itself, or `len` zeros kept in `store`.
    ///
    /// ```
    /// use ad_runtime::{SliceTangent, Zero};
    /// let mut store = Vec::new();
    /// assert_eq!(SliceTangent::<f64>::dense(Zero, 2, &mut store), &[0.0, 0.0][..]);
    /// ```
    fn dense<'s>(self, len: usize, store: &'s mut Vec<T>) -> &'s [T]
    where
        'a: 's;
}

impl<'a, T: Float> SliceTangent<'a, T> for &'a [T] {
    type Store = ();
    type Target = [T];
    #[inline(always)]
    fn slice<'s>(self, _store: &'s mut ()) -> &'s [T]
    where
        'a: 's,
    {
        self
    }
    #[inline(always)]
    fn dense<'s>(self, _len: usize, _store: &'s mut Vec<T>) -> &'s [T]
    where
        'a: 's,
    {
        self
    }
}

/// A caller's `&mut [T]` lent to a parameter the callee only reads (a written slice passed on
/// as `&[T]`): read as the slice it is.
///
/// ```
/// use ad_runtime::SliceTangent;
/// let mut d = [0.5_f64, 1.5];
/// assert_eq!(SliceTangent::<f64>::slice(&mut d[..], &mut ())[1], 1.5);
/// ```
impl<'a, T: Float> SliceTangent<'a, T> for &'a mut [T] {
    type Store = ();
    type Target = [T];
    #[inline(always)]
    fn slice<'s>(self, _store: &'s mut ()) -> &'s [T]
    where
        'a: 's,
    {
        self
    }
    #[inline(always)]
    fn dense<'s>(self, _len: usize, _store: &'s mut Vec<T>) -> &'s [T]
    where
        'a: 's,
    {
        self
    }
}

impl<'a, T: Float> SliceTangent<'a, T> for Zero {
    type Store = ZeroSlice<T>;
    type Target = ZeroSlice<T>;
    #[inline(always)]
    fn slice<'s>(self, store: &'s mut ZeroSlice<T>) -> &'s ZeroSlice<T>
    where
        'a: 's,
    {
        store
    }
    fn dense<'s>(self, len: usize, store: &'s mut Vec<T>) -> &'s [T]
    where
        'a: 's,
    {
        store.clear();
        store.resize(len, T::zero());
        store
    }
}

/// The tangent of a read-only slice inside an annotated callee: what its forward pass reads and
/// lends to the calls it makes. Implemented by `[T]` and by [`ZeroSlice`].
///
/// ```
/// use ad_runtime::{TangentSlice, ZeroSlice};
/// let d = [1.0_f64, 2.0, 3.0];
/// assert_eq!(TangentSlice::lend(&d[..], 1..), &[2.0, 3.0][..]);
/// let _: ad_runtime::Zero = TangentSlice::lend(&ZeroSlice::<f64>::default(), ..);
/// ```
pub trait TangentSlice<T>: core::ops::Index<usize, Output = T> {
    /// The tangent this one passes to a call for the sub-slice it lends: `&[T]` or [`Zero`].
    type Lent<'s>: SliceTangent<'s, T>
    where
        Self: 's;
    /// The tangent of `self[range]`, for a call.
    ///
    /// ```
    /// use ad_runtime::TangentSlice;
    /// assert_eq!(TangentSlice::lend(&[1.0_f64, 2.0][..], ..1), &[1.0][..]);
    /// ```
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&self, range: R) -> Self::Lent<'_>;
}

impl<T: Float> TangentSlice<T> for [T] {
    type Lent<'s>
        = &'s [T]
    where
        T: 's;
    #[inline(always)]
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&self, range: R) -> &[T] {
        &self[range]
    }
}

/// The tangent of a `&[F; N]` parameter lends like a slice's.
///
/// ```
/// use ad_runtime::TangentSlice;
/// assert_eq!(TangentSlice::lend(&[1.0_f64, 2.0, 3.0], 1..), &[2.0, 3.0][..]);
/// ```
impl<T: Float, const N: usize> TangentSlice<T> for [T; N] {
    type Lent<'s>
        = &'s [T]
    where
        T: 's;
    #[inline(always)]
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&self, range: R) -> &[T] {
        &self[..][range]
    }
}

/// The tangent of a slice the caller does not differentiate: zero at every index, without
/// allocating.
///
/// ```
/// let z = ad_runtime::ZeroSlice::<f32>::default();
/// assert_eq!((z[0], z[1000]), (0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ZeroSlice<T> {
    zero: T,
}

impl<T: Float> Default for ZeroSlice<T> {
    #[inline(always)]
    fn default() -> Self {
        ZeroSlice { zero: T::zero() }
    }
}

impl<T> core::ops::Index<usize> for ZeroSlice<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, _: usize) -> &T {
        &self.zero
    }
}

impl<T: Float> TangentSlice<T> for ZeroSlice<T> {
    type Lent<'s>
        = Zero
    where
        T: 's;
    #[inline(always)]
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&self, _range: R) -> Zero {
        Zero
    }
}

/// The shadow passed to a read-only slice parameter of an annotated callee in reverse mode: the
/// caller's adjoint slice (`&mut [F]`) for the callee to add into, or [`Zero`] when the caller
/// wants no adjoint for that argument. With [`Zero`] the callee adds into a [`Sink`], which keeps
/// nothing: nothing is allocated, and the optimiser removes the arithmetic that fed it.
///
/// ```
/// use ad_runtime::{Shadow, SliceShadow, Zero};
/// let mut g = [0.0_f64; 2];
/// let mut no_room = ();
/// let shadow = SliceShadow::<f64>::shadow(&mut g[..], &mut no_room);
/// shadow[1] = shadow[1] + 3.0;
/// assert_eq!(g, [0.0, 3.0]);
///
/// let mut store = Default::default();
/// let sink = SliceShadow::<f64>::shadow(Zero, &mut store);
/// sink[7] = sink[7] + 3.0; // any index: the sink keeps nothing the caller sees
/// ```
pub trait SliceShadow<'a, T> {
    /// Room the callee declares for the shadow: `()` for a slice, a [`Sink`] for [`Zero`].
    type Store: Default;
    /// What the callee adds into: the slice `[T]`, or a [`Sink`].
    type Target: ?Sized + Shadow<T>;
    /// The shadow to add into, kept in `store` if it needs room.
    ///
    /// ```
    /// use ad_runtime::SliceShadow;
    /// let mut g = [1.0_f64];
    /// SliceShadow::<f64>::shadow(&mut g[..], &mut ())[0] += 1.0;
    /// assert_eq!(g, [2.0]);
    /// ```
    fn shadow<'s>(self, store: &'s mut Self::Store) -> &'s mut Self::Target
    where
        'a: 's;
    /// The shadow as a plain slice of `len` floats, for a user rule that adds into `&mut [T]`:
    /// the slice itself, or `len` scratch zeros kept in `store` (what is added there is dropped).
    ///
    /// ```
    /// use ad_runtime::{SliceShadow, Zero};
    /// let mut store = Vec::new();
    /// SliceShadow::<f64>::dense(Zero, 2, &mut store)[1] += 1.0;
    /// let mut g = [1.0_f64];
    /// SliceShadow::<f64>::dense(&mut g[..], 1, &mut store)[0] += 1.0;
    /// assert_eq!(g, [2.0]);
    /// ```
    fn dense<'s>(self, len: usize, store: &'s mut Vec<T>) -> &'s mut [T]
    where
        'a: 's;
}

impl<'a, T: Float> SliceShadow<'a, T> for &'a mut [T] {
    type Store = ();
    type Target = [T];
    #[inline(always)]
    fn shadow<'s>(self, _store: &'s mut ()) -> &'s mut [T]
    where
        'a: 's,
    {
        self
    }
    #[inline(always)]
    fn dense<'s>(self, _len: usize, _store: &'s mut Vec<T>) -> &'s mut [T]
    where
        'a: 's,
    {
        self
    }
}

impl<'a, T: Float> SliceShadow<'a, T> for Zero {
    type Store = Sink<T>;
    type Target = Sink<T>;
    #[inline(always)]
    fn shadow<'s>(self, store: &'s mut Sink<T>) -> &'s mut Sink<T>
    where
        'a: 's,
    {
        store
    }
    fn dense<'s>(self, len: usize, store: &'s mut Vec<T>) -> &'s mut [T]
    where
        'a: 's,
    {
        store.clear();
        store.resize(len, T::zero());
        store
    }
}

/// The adjoint of a read-only slice inside an annotated callee: what its reverse pass adds into
/// (`shadow[i] = shadow[i] + contribution`), lends to the calls it makes, and adds scratch
/// adjoints into. Implemented by `[T]` and by [`Sink`].
///
/// ```
/// use ad_runtime::{Shadow, Sink};
/// let mut g = [0.0_f64; 3];
/// let lent: &mut [f64] = Shadow::lend(&mut g[..], 1..);
/// lent[0] = 5.0;
/// Shadow::add_from(&mut g[..], ..2, &[1.0, 1.0]);
/// assert_eq!(g, [1.0, 6.0, 0.0]);
///
/// let mut sink = Sink::<f64>::default();
/// let _: ad_runtime::Zero = Shadow::lend(&mut sink, 1..); // a sink lends a sink
/// ```
pub trait Shadow<T>: core::ops::IndexMut<usize, Output = T> {
    /// The shadow this one passes to a call for the sub-slice it lends: `&mut [T]` or [`Zero`].
    type Lent<'s>: SliceShadow<'s, T>
    where
        Self: 's;
    /// The shadow of `self[range]`, for a call.
    ///
    /// ```
    /// use ad_runtime::Shadow;
    /// let mut g = [0.0_f64; 2];
    /// Shadow::lend(&mut g[..], ..)[1] = 1.0;
    /// assert_eq!(g, [0.0, 1.0]);
    /// ```
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, range: R) -> Self::Lent<'_>;
    /// Adds `source` into `self[range]` elementwise.
    ///
    /// ```
    /// use ad_runtime::Shadow;
    /// let mut g = [1.0_f64, 1.0];
    /// Shadow::add_from(&mut g[..], 1.., &[2.0]);
    /// assert_eq!(g, [1.0, 3.0]);
    /// ```
    fn add_from<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, range: R, source: &[T]);
}

impl<T: Float> Shadow<T> for [T] {
    type Lent<'s>
        = &'s mut [T]
    where
        T: 's;
    #[inline(always)]
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, range: R) -> &mut [T] {
        &mut self[range]
    }
    #[inline(always)]
    fn add_from<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, range: R, source: &[T]) {
        add_into(&mut self[range], source);
    }
}

/// The shadow of a `&[F; N]` parameter lends like a slice's.
///
/// ```
/// use ad_runtime::Shadow;
/// let mut g = [0.0_f64; 3];
/// Shadow::lend(&mut g, 1..)[0] = 2.0;
/// Shadow::add_from(&mut g, ..1, &[1.0]);
/// assert_eq!(g, [1.0, 2.0, 0.0]);
/// ```
impl<T: Float, const N: usize> Shadow<T> for [T; N] {
    type Lent<'s>
        = &'s mut [T]
    where
        T: 's;
    #[inline(always)]
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, range: R) -> &mut [T] {
        &mut self[..][range]
    }
    #[inline(always)]
    fn add_from<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, range: R, source: &[T]) {
        add_into(&mut self[..][range], source);
    }
}

/// Where a callee adds the adjoint of a slice its caller does not differentiate: one float that
/// every index reaches. Nothing reads it, so the optimiser drops the work that fed it.
///
/// ```
/// let mut sink = ad_runtime::Sink::<f64>::default();
/// sink[3] = sink[3] + 1.0;
/// sink[9] = sink[9] + 1.0;
/// assert_eq!(sink[0], 2.0); // one slot for every index
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Sink<T> {
    slot: T,
}

impl<T: Float> Default for Sink<T> {
    #[inline(always)]
    fn default() -> Self {
        Sink { slot: T::zero() }
    }
}

impl<T> core::ops::Index<usize> for Sink<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, _: usize) -> &T {
        &self.slot
    }
}

impl<T> core::ops::IndexMut<usize> for Sink<T> {
    #[inline(always)]
    fn index_mut(&mut self, _: usize) -> &mut T {
        &mut self.slot
    }
}

impl<T: Float> Shadow<T> for Sink<T> {
    type Lent<'s>
        = Zero
    where
        T: 's;
    #[inline(always)]
    fn lend<R: core::slice::SliceIndex<[T], Output = [T]>>(&mut self, _range: R) -> Zero {
        Zero
    }
    #[inline(always)]
    fn add_from<R: core::slice::SliceIndex<[T], Output = [T]>>(
        &mut self,
        _range: R,
        _source: &[T],
    ) {
    }
}
