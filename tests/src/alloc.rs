//! A counting global allocator for allocation tests: declare it in a test binary with
//! `#[global_allocator] static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;`
//! and measure with [`measure`].
//!
//! Only allocations made by a thread that is measuring are counted, so the test harness's own
//! threads (which may allocate at any moment) cannot disturb a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

/// The system allocator, counting allocations and live bytes of measuring threads.
pub struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Whether this thread is measuring. `const` initialised, no destructor: reading it never
    /// allocates.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn measuring() -> bool {
    MEASURING.try_with(Cell::get).unwrap_or(false)
}

fn grow(bytes: i64) {
    let live = LIVE.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(live, Ordering::SeqCst);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting
// touches only atomics and a `const` thread-local and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if measuring() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            grow(layout.size() as i64);
        }
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if measuring() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            grow(layout.size() as i64);
        }
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if measuring() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            grow(new_size as i64 - layout.size() as i64);
        }
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if measuring() {
            grow(-(layout.size() as i64));
        }
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// What [`measure`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocations: usize,
    /// The most bytes live at once, counting only memory allocated during the measurement.
    pub peak_bytes: usize,
}

/// Runs `body` on this thread and reports its allocations. Measurements must not overlap: run
/// them from one test function (or hold a lock).
pub fn measure(body: impl FnOnce()) -> Measured {
    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    MEASURING.with(|m| m.set(true));
    body();
    MEASURING.with(|m| m.set(false));
    Measured {
        allocations: ALLOCATIONS.load(Ordering::SeqCst) - before,
        peak_bytes: PEAK.load(Ordering::SeqCst).max(0) as usize,
    }
}

/// The number of allocations `body` makes on this thread.
pub fn allocations_in(body: impl FnOnce()) -> usize {
    measure(body).allocations
}
