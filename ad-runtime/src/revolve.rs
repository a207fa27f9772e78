//! Binomial checkpointing (revolve, after Griewank and Walther): the schedule by which reverse
//! mode walks a loop of `n` steps back while keeping at most `s` of its states, with the fewest
//! steps run again that any schedule with `s` stored states allows.
//!
//! `#[derive_grad(checkpoint(snapshots = s))]` drives a [`Revolve`] from the generated code. The
//! forward sweep offers each step's entry state to [`Revolve::offer`], which keeps the ones the
//! schedule's first descent wants (step 0 always). The reverse sweep calls
//! [`Revolve::start_reverse`] with the trip count, then asks [`Revolve::next`] what to do until it
//! answers `None`:
//!
//! - [`Action::Restore`]: set the loop's carried values to this stored state;
//! - [`Action::Advance`]`(lo, hi)`: run steps `lo..hi` forward, storing nothing;
//! - [`Action::Store`]: give the current state to [`Revolve::store`];
//! - [`Action::Reverse`]`(k)`: run step `k` forward storing what its reverse sweep needs, then
//!   reverse it.
//!
//! With `s` states and `r` the least integer with `C(s + r, s) >= n`, reversing `n` steps runs
//! `r n - C(s + r + 1, r - 1)` steps again ([`optimal_advances`]), about `r` times the loop, while
//! the memory is `s` states instead of `n` (plain reverse mode) or about `2 sqrt(n)`
//! (`checkpoint` alone). The forward sweep keeps the states of the schedule's first descent as
//! it goes, but runs the whole loop (its results are needed) where an offline revolve would stop
//! at the last of them, `m`: `n - m` steps more in all. [`Revolve::advances`] counts the steps
//! the reverse sweep ran again: exactly the optimum less the `m` of the first descent.
//!
//! ```
//! use ad_runtime::revolve::{Action, Revolve};
//! // x_(k+1) = x_k^2 / 2 + 1, four steps, two states kept; the derivative of x_4 by x_0.
//! let step = |x: f64| x * x / 2.0 + 1.0;
//! let mut schedule = Revolve::new(4, 2);
//! let mut x = 0.5;
//! for k in 0..4 {
//!     schedule.offer(k, || x);
//!     x = step(x);
//! }
//! schedule.start_reverse(4);
//! let (mut state, mut bar) = (0.0, 1.0);
//! while let Some(action) = schedule.next() {
//!     match action {
//!         Action::Restore(s) => state = s,
//!         Action::Advance(lo, hi) => (lo..hi).for_each(|_| state = step(state)),
//!         Action::Store => schedule.store(state),
//!         Action::Reverse(_) => bar *= state, // d step / dx = x at the step's entry
//!     }
//! }
//! let (mut x, mut want) = (0.5, 1.0);
//! for _ in 0..4 {
//!     want *= x;
//!     x = step(x);
//! }
//! assert_eq!(bar, want);
//! assert!(schedule.peak_states() <= 2);
//! ```

use alloc::vec::Vec;

/// What the reverse sweep of a checkpointed loop does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<S> {
    /// Set the carried values to this stored state.
    Restore(S),
    /// Run steps `lo..hi` forward without storing.
    Advance(usize, usize),
    /// Hand the current state to [`Revolve::store`].
    Store,
    /// Run step `k` forward storing what its reverse needs, then reverse it.
    Reverse(usize),
}

/// A part of the schedule still to run.
#[derive(Clone, Copy, Debug)]
enum Task {
    /// Reverse steps `lo..hi`, the state at `lo` on top of the stored ones, `c` states in all
    /// (that one included) to use.
    Range { lo: usize, hi: usize, c: usize },
    /// Forget the state on top.
    Drop,
}

/// The steps of one task, given out one by one.
#[derive(Clone, Copy, Debug)]
enum Step {
    Restore,
    Advance(usize, usize),
    Store,
    Reverse(usize),
}

/// A binomial checkpointing schedule for one loop, with the states it keeps. See the
/// [module documentation](self).
#[derive(Clone, Debug)]
pub struct Revolve<S> {
    /// The states kept at most.
    snapshots: usize,
    /// The trip count the first descent was planned for.
    planned: usize,
    /// The entry states the forward sweep keeps, by step, increasing.
    stores: Vec<usize>,
    /// How many of `stores` are kept so far.
    stored: usize,
    /// The stored states, the last one on top.
    states: Vec<S>,
    /// What is left to do, the next task last.
    tasks: Vec<Task>,
    /// The steps of the task being run, the next one last (at most three).
    steps: Vec<Step>,
    /// Steps run forward without storing, in the reverse sweep.
    advances: usize,
    /// The most states kept at once.
    peak: usize,
    /// Online (the trip count unknown): the step and level of each stored state, in the
    /// order of `states`.
    online: Option<Vec<(usize, usize)>>,
}

/// `C(c + r, c)`: the most steps `c` states reverse with every step run at most `r` times again
/// (saturating).
fn beta(c: usize, r: usize) -> usize {
    let mut b: usize = 1;
    for i in 1..=r {
        // C(c + i, i) = C(c + i - 1, i - 1) (c + i) / i, exact at every step.
        b = match b.checked_mul(c + i) {
            Some(p) => p / i,
            None => return usize::MAX,
        };
    }
    b
}

/// The least `r` with `beta(c, r) >= l`.
fn repetitions(l: usize, c: usize) -> usize {
    let mut r = 0;
    while beta(c, r) < l {
        r += 1;
    }
    r
}

/// Where to keep the next state when reversing `l >= 2` steps with `c >= 2` states: the length
/// of the left part, `j`, chosen so that `j + T(l - j, c - 1) + T(j, c) = T(l, c)` (the largest
/// such `j` the binomial bounds give, so that the forward sweep's last segment is short).
fn split(l: usize, c: usize) -> usize {
    let r = repetitions(l, c);
    let below = |x: usize| l.saturating_sub(x);
    let hi = (l - 1).min(beta(c, r - 1)).min(below(beta(c - 1, r - 1)));
    let lo = 1
        .max(below(beta(c - 1, r)))
        .max(if r >= 2 { beta(c, r - 2) } else { 0 });
    debug_assert!(lo <= hi, "no optimal split for {l} steps and {c} states");
    hi.max(lo)
}

/// The fewest steps run again (forward, without storing) by any schedule that reverses `n` steps
/// keeping at most `snapshots` states, the state at step 0 included:
/// `r n - C(s + r + 1, r - 1)` with `r` the least integer such that `C(s + r, s) >= n`.
///
/// ```
/// use ad_runtime::revolve::optimal_advances;
/// assert_eq!(optimal_advances(10, 1), 45); // one state: 0 + 1 + .. + 9
/// assert_eq!(optimal_advances(10, 10), 9); // every state kept: one sweep
/// ```
///
/// # Panics
///
/// If `snapshots` is 0.
pub fn optimal_advances(n: usize, snapshots: usize) -> usize {
    assert!(snapshots > 0, "a schedule keeps at least the first state");
    if n <= 1 {
        return 0;
    }
    let r = repetitions(n, snapshots);
    r * n - beta(snapshots + 1, r - 1)
}

impl<S: Clone> Revolve<S> {
    /// A schedule for a loop expected to run `n` steps (a wrong guess costs a fresh schedule
    /// from step 0 when the reverse sweep starts), keeping at most `snapshots` states.
    ///
    /// # Panics
    ///
    /// If `snapshots` is 0.
    pub fn new(n: usize, snapshots: usize) -> Self {
        assert!(
            snapshots > 0,
            "binomial checkpointing keeps at least one state (the loop's first)"
        );
        let mut r = Revolve {
            snapshots,
            planned: n,
            stores: Vec::new(),
            stored: 0,
            states: Vec::new(),
            tasks: Vec::new(),
            steps: Vec::new(),
            advances: 0,
            peak: 0,
            online: None,
        };
        r.plan(n);
        r
    }

    /// A schedule for a loop whose trip count is known only at its end (a `while` loop),
    /// keeping at most `snapshots` states, placed as the loop runs by the dynamic checkpointing
    /// of Wang, Moin and Iaccarino. Each state the forward sweep offers is kept, in place of
    /// one the schedule no longer needs: every state has a level, the first one's infinite, a
    /// new one's 0; a state is dispensable when a later one has a higher level, and the latest
    /// dispensable state is dropped for the new one; when none is dispensable, the last state
    /// is replaced by the new one, one level higher. The states kept are spaced so that the
    /// reverse sweep, binomial between each two of them, runs about as many steps again as an
    /// offline schedule that knew the trip count, and the loop runs only once forward
    /// (`tests/tests/checkpoint.rs` and `docs/guide.md` state the measured counts).
    ///
    /// ```
    /// use ad_runtime::revolve::{Action, Revolve};
    /// let step = |x: f64| x * x / 2.0 + 1.0;
    /// let mut schedule = Revolve::online(3);
    /// let (mut x, mut k) = (0.5, 0);
    /// while x < 100.0 {
    ///     schedule.offer(k, || x);
    ///     x = step(x);
    ///     k += 1;
    /// }
    /// schedule.start_reverse(k);
    /// let (mut state, mut bar) = (0.0, 1.0);
    /// while let Some(action) = schedule.next() {
    ///     match action {
    ///         Action::Restore(s) => state = s,
    ///         Action::Advance(lo, hi) => (lo..hi).for_each(|_| state = step(state)),
    ///         Action::Store => schedule.store(state),
    ///         Action::Reverse(_) => bar *= state,
    ///     }
    /// }
    /// // The product of the steps' derivatives, last step first as the reverse sweep takes it.
    /// let (mut x, mut entries) = (0.5, Vec::new());
    /// while x < 100.0 {
    ///     entries.push(x);
    ///     x = step(x);
    /// }
    /// let want = entries.iter().rev().fold(1.0, |bar, x| bar * x);
    /// assert_eq!(bar, want);
    /// assert!(schedule.peak_states() <= 3);
    /// ```
    ///
    /// # Panics
    ///
    /// If `snapshots` is 0.
    pub fn online(snapshots: usize) -> Self {
        let mut r = Revolve::new(0, snapshots);
        r.online = Some(Vec::new());
        r
    }

    /// The online placement of the entry state of step `k` (see [`online`](Self::online)).
    fn place(&mut self, k: usize, state: S) {
        let Some(kept) = self.online.as_mut() else {
            return;
        };
        let level = if kept.is_empty() {
            usize::MAX
        } else if kept.len() < self.snapshots {
            0
        } else {
            // The latest state with a higher level after it.
            let mut highest_after = 0;
            let mut dispensable = None;
            for i in (1..kept.len()).rev() {
                if kept[i].1 < highest_after {
                    dispensable = Some(i);
                    break;
                }
                highest_after = highest_after.max(kept[i].1);
            }
            match dispensable {
                Some(i) => {
                    kept.remove(i);
                    self.states.remove(i);
                    0
                }
                // The first state is never replaced: with one state only, it is the one kept.
                None if kept.len() == 1 => return,
                None => {
                    let (_, level) = kept.pop().expect("a state to replace");
                    self.states.pop();
                    level.saturating_add(1)
                }
            }
        };
        kept.push((k, level));
        self.store(state);
    }

    /// The first descent: the states the forward sweep keeps, and the tasks it leaves.
    fn plan(&mut self, n: usize) {
        self.tasks.clear();
        self.stores.clear();
        self.stored = 0;
        // Step 0's state always: a loop may run steps its size hint did not promise.
        self.stores.push(0);
        if n == 0 {
            return;
        }
        let (mut lo, mut c) = (0, self.snapshots);
        while n - lo >= 2 && c >= 2 {
            let m = lo + split(n - lo, c);
            self.tasks.push(Task::Range { lo, hi: m, c });
            self.tasks.push(Task::Drop);
            self.stores.push(m);
            lo = m;
            c -= 1;
        }
        self.tasks.push(Task::Range { lo, hi: n, c });
    }

    /// Offers the entry state of step `k` of the forward sweep (steps in order from 0); kept if
    /// the schedule wants it. `state` is only called then.
    pub fn offer(&mut self, k: usize, state: impl FnOnce() -> S) {
        if self.online.is_some() {
            self.place(k, state());
        } else if self.stores.get(self.stored) == Some(&k) {
            self.stored += 1;
            self.store(state());
        }
    }

    /// Keeps `state` on top of the stored ones (after [`Action::Store`], or from
    /// [`offer`](Self::offer)).
    pub fn store(&mut self, state: S) {
        self.states.push(state);
        self.peak = self.peak.max(self.states.len());
    }

    /// Starts the reverse sweep of a loop that ran `trip` steps. If that is not the count the
    /// forward sweep's stores were planned for, the schedule starts again from step 0.
    pub fn start_reverse(&mut self, trip: usize) {
        self.steps.clear();
        if let Some(kept) = &self.online {
            // Each two states kept bound a range reversed from the first of them, with the
            // states not held below it.
            self.tasks.clear();
            for (i, &(lo, _)) in kept.iter().enumerate() {
                if i > 0 {
                    self.tasks.push(Task::Drop);
                }
                let hi = kept.get(i + 1).map_or(trip, |&(k, _)| k);
                self.tasks.push(Task::Range {
                    lo,
                    hi,
                    c: self.snapshots - i,
                });
            }
            return;
        }
        if trip != self.planned || self.stored != self.stores.len() {
            // Only step 0's state is sure to be kept: reverse every step from it.
            self.states.truncate(1);
            self.tasks.clear();
            if trip > 0 {
                self.tasks.push(Task::Range {
                    lo: 0,
                    hi: trip,
                    c: self.snapshots,
                });
            }
        }
    }

    /// The next action of the reverse sweep, `None` when every step is reversed.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Action<S>> {
        loop {
            if let Some(step) = self.steps.pop() {
                return Some(match step {
                    Step::Restore => Action::Restore(
                        self.states
                            .last()
                            .expect("a range starts from a stored state")
                            .clone(),
                    ),
                    Step::Advance(lo, hi) => {
                        self.advances += hi - lo;
                        Action::Advance(lo, hi)
                    }
                    Step::Store => Action::Store,
                    Step::Reverse(k) => Action::Reverse(k),
                });
            }
            match self.tasks.pop()? {
                Task::Drop => {
                    self.states.pop();
                }
                Task::Range { lo, hi, c } => {
                    let l = hi - lo;
                    if l == 0 {
                        continue;
                    }
                    // Steps pushed last first.
                    if l == 1 {
                        self.steps.extend([Step::Reverse(lo), Step::Restore]);
                    } else if c == 1 {
                        // The last step from the one state, then the rest likewise.
                        self.tasks.push(Task::Range { lo, hi: hi - 1, c });
                        self.steps.extend([
                            Step::Reverse(hi - 1),
                            Step::Advance(lo, hi - 1),
                            Step::Restore,
                        ]);
                    } else {
                        let m = lo + split(l, c);
                        self.tasks.push(Task::Range { lo, hi: m, c });
                        self.tasks.push(Task::Drop);
                        self.tasks.push(Task::Range {
                            lo: m,
                            hi,
                            c: c - 1,
                        });
                        self.steps
                            .extend([Step::Store, Step::Advance(lo, m), Step::Restore]);
                    }
                }
            }
        }
    }

    /// Steps run forward again (without storing) by the reverse sweep so far.
    pub fn advances(&self) -> usize {
        self.advances
    }

    /// The most states kept at once so far.
    pub fn peak_states(&self) -> usize {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a schedule over a loop of `n` steps whose state is the step index, checking that
    /// every action sees the state it should; returns (steps reversed in order, advances, peak).
    fn run(n: usize, planned: usize, snapshots: usize) -> (Vec<usize>, usize, usize) {
        run_schedule(n, Revolve::new(planned, snapshots))
    }

    /// [`run`] with any schedule, online ones included.
    fn run_schedule(n: usize, mut r: Revolve<usize>) -> (Vec<usize>, usize, usize) {
        for k in 0..n {
            r.offer(k, || k);
        }
        r.start_reverse(n);
        let mut state = usize::MAX;
        let mut reversed = Vec::new();
        while let Some(a) = r.next() {
            match a {
                Action::Restore(s) => state = s,
                Action::Advance(lo, hi) => {
                    assert_eq!(state, lo, "advance from the wrong state");
                    state = hi;
                }
                Action::Store => r.store(state),
                Action::Reverse(k) => {
                    assert_eq!(state, k, "reverse from the wrong state");
                    reversed.push(k);
                    state = usize::MAX; // the step's own forward run is not the schedule's
                }
            }
        }
        (reversed, r.advances(), r.peak_states())
    }

    /// The fewest advances by dynamic programming over every split: an independent check of
    /// the closed form and of `split`.
    fn by_search(n: usize, c: usize) -> Vec<Vec<usize>> {
        let mut t = vec![vec![0usize; c + 1]; n + 1];
        for l in 2..=n {
            t[l][1] = l * (l - 1) / 2;
            for k in 2..=c {
                t[l][k] = (1..l).map(|j| j + t[l - j][k - 1] + t[j][k]).min().unwrap();
            }
        }
        t
    }

    #[test]
    fn the_closed_form_is_the_optimum() {
        let t = by_search(120, 6);
        for l in 1..=120 {
            for c in 1..=6 {
                assert_eq!(optimal_advances(l, c), t[l][c], "l = {l}, c = {c}");
                if l >= 2 && c >= 2 {
                    let j = split(l, c);
                    assert_eq!(j + t[l - j][c - 1] + t[j][c], t[l][c], "split of {l}, {c}");
                }
            }
        }
    }

    #[test]
    fn every_step_is_reversed_once_in_reverse_order_within_the_budget() {
        for n in 0..60 {
            for c in 1..6 {
                let (reversed, advances, peak) = run(n, n, c);
                let want: Vec<usize> = (0..n).rev().collect();
                assert_eq!(reversed, want, "n = {n}, c = {c}");
                assert!(peak <= c.max(1), "n = {n}, c = {c}: {peak} states");
                // The forward sweep did the first descent's advances, up to the last state it
                // kept; the reverse sweep does the rest of the optimum.
                let last = *Revolve::<usize>::new(n, c).stores.last().unwrap();
                assert_eq!(advances, optimal_advances(n, c) - last, "n = {n}, c = {c}");
            }
        }
    }

    #[test]
    fn a_wrong_guess_of_the_trip_count_starts_over() {
        for (n, planned) in [(10, 20), (20, 10), (7, 0), (0, 5)] {
            let (reversed, advances, peak) = run(n, planned, 3);
            assert_eq!(reversed, (0..n).rev().collect::<Vec<_>>());
            assert!(peak <= 3);
            assert_eq!(advances, optimal_advances(n, 3));
        }
    }

    #[test]
    fn ten_thousand_steps() {
        let n = 10_000;
        for c in [2, 5, 10, 20, 100] {
            let (reversed, advances, peak) = run(n, n, c);
            assert_eq!(reversed.len(), n);
            assert!(peak <= c);
            let last = *Revolve::<usize>::new(n, c).stores.last().unwrap();
            assert_eq!(advances, optimal_advances(n, c) - last, "{c} states");
        }
    }

    #[test]
    fn online_schedules_reverse_every_step_within_the_budget() {
        for n in 0..200 {
            for c in 1..8 {
                let (reversed, advances, peak) = run_schedule(n, Revolve::online(c));
                assert_eq!(
                    reversed,
                    (0..n).rev().collect::<Vec<_>>(),
                    "n = {n}, c = {c}"
                );
                assert!(peak <= c, "n = {n}, c = {c}: {peak} states");
                // Never more steps run again than the offline optimum, which also counts the
                // first descent an offline forward sweep does; so the one forward sweep plus
                // these is never more than a counting pass plus the offline schedule.
                assert!(
                    advances <= optimal_advances(n, c),
                    "n = {n}, c = {c}: {advances} against {}",
                    optimal_advances(n, c)
                );
            }
        }
    }

    #[test]
    fn online_ten_thousand_steps() {
        let n = 10_000;
        for c in [2, 5, 10, 20, 100] {
            let (reversed, advances, peak) = run_schedule(n, Revolve::online(c));
            assert_eq!(reversed.len(), n);
            assert!(peak <= c);
            assert!(advances <= optimal_advances(n, c), "{c} states");
            // Against the offline schedule after a counting pass (n more steps).
            let (_, offline, _) = run(n, n, c);
            std::println!(
                "{c} states: online {:.2} steps again per step, offline {:.2} + 1 to count",
                advances as f64 / n as f64,
                offline as f64 / n as f64
            );
        }
    }
}
