//! Selection loops: the running minimum or maximum `c = c.min(e)` of a loop, whose reverse
//! sweep generated code runs for the iterations that reach the result only.
//!
//! The partials of `a.min(b)` (see [`rules::min_partials`](crate::rules::min_partials)) send
//! the whole adjoint to the argument returned, so the adjoint of a running minimum reaches the
//! iteration that last *took* a new value (`e < c`) and, at a tie, shares it with the ones tied
//! after it. The forward sweep therefore keeps the index of the last iteration that took a
//! value ([`takes`]), the running value just before it, and whether a later iteration tied
//! with it ([`ties`]); the reverse sweep visits [`order`]: that iteration alone, or, after a
//! tie, also every later one (which then gets the `½` the partials give it). Every other
//! iteration would get a zero adjoint, so skipping it changes nothing, and the loop stores
//! nothing per iteration.
//!
//! ```
//! use ad_runtime::selection::{NONE, order, takes, ties};
//!
//! // The running minimum of 5, 3, 4, 3: iteration 1 takes 3, iteration 3 ties with it.
//! let (mut sel, mut tied, mut c) = (NONE, false, f64::INFINITY);
//! for (k, e) in [5.0, 3.0, 4.0, 3.0].into_iter().enumerate() {
//!     if takes(c, e, false) {
//!         (sel, tied) = (k, false);
//!     } else if ties(c, e) {
//!         tied = true;
//!     }
//!     c = c.min(e);
//! }
//! assert_eq!((sel, tied), (1, true));
//! assert_eq!(order(sel, tied, 4).collect::<Vec<_>>(), [3, 2, 1]);
//! ```

use core::iter::{Chain, Rev};
use core::ops::Range;

use num_traits::Float;

/// No iteration took a value: the result is the value the loop started from.
pub const NONE: usize = usize::MAX;

/// Whether `new` replaces the running value `kept` (`kept.min(new)`, or `kept.max(new)` when
/// `max`) in the sense of the partials: the whole adjoint then goes to `new`. True when `new` is
/// strictly better, or when `kept` is NaN and `new` is not.
///
/// ```
/// use ad_runtime::selection::takes;
/// assert!(takes(2.0, 1.0, false) && !takes(1.0, 1.0, false) && takes(f64::NAN, 1.0, true));
/// ```
#[inline(always)]
#[must_use]
pub fn takes<T: Float>(kept: T, new: T, max: bool) -> bool {
    // The comparison decides unless `kept` is NaN (then it is false): the usual case first.
    (if max { new > kept } else { new < kept }) || (kept.is_nan() && !new.is_nan())
}

/// Whether `new` is strictly worse than `kept` for `kept.min(new)` (or `max`): both numbers,
/// `new` greater (or less). Then `kept.min(new)` neither [`takes`] nor [`ties`]; the forward
/// sweep tests this first, since it is the usual case and one comparison.
///
/// ```
/// use ad_runtime::selection::{takes, ties, worse};
/// assert!(worse(1.0, 2.0, false) && !worse(1.0, 1.0, false) && !worse(f64::NAN, 2.0, false));
/// for (kept, new) in [(1.0, 2.0), (2.0, 1.0), (1.0, 1.0), (f64::NAN, 1.0), (1.0, f64::NAN)] {
///     assert!(!worse(kept, new, true) || !(takes(kept, new, true) || ties(kept, new)));
/// }
/// ```
#[inline(always)]
#[must_use]
pub fn worse<T: Float>(kept: T, new: T, max: bool) -> bool {
    if max { new < kept } else { new > kept }
}

/// Whether the partials of `kept.min(new)` (or `max`) split the adjoint rather than give it
/// all to one side: equal values (`½` each), or both NaN.
///
/// ```
/// use ad_runtime::selection::ties;
/// assert!(ties(1.0, 1.0) && ties(f64::NAN, f64::NAN) && !ties(1.0, 2.0));
/// ```
#[inline(always)]
#[must_use]
pub fn ties<T: Float>(kept: T, new: T) -> bool {
    kept == new || (kept.is_nan() && new.is_nan())
}

/// The iterations (by trip index, last first) whose reverse sweep a selection loop of `trips`
/// iterations runs: the one that last took a value (`sel`, none if [`NONE`]), after every later
/// one when some tied with it.
///
/// ```
/// use ad_runtime::selection::{NONE, order};
/// assert_eq!(order(2, false, 5).collect::<Vec<_>>(), [2]);
/// assert_eq!(order(NONE, true, 3).collect::<Vec<_>>(), [2, 1, 0]);
/// assert_eq!(order(NONE, false, 3).count(), 0);
/// ```
#[inline]
pub fn order(
    sel: usize,
    tied: bool,
    trips: usize,
) -> Chain<Rev<Range<usize>>, core::option::IntoIter<usize>> {
    // Past `sel`; `NONE + 1` wraps to the first iteration.
    let from = sel.wrapping_add(1);
    let to = if tied { trips } else { from };
    (from..to).rev().chain((sel != NONE).then_some(sel))
}
