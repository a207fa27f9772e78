// A Jacobian: vector forward mode (4 tangents per pass) and reverse mode (one pass per output);
// `polar_jacobian` picks forward mode here, as N <= M.
#[derive_jacobian]
fn polar(p: [f64; 2]) -> [f64; 2] {
    [p[0] * p[1].cos(), p[0] * p[1].sin()]
}

// A Hessian: the tangent transform run over the reverse transform's code.
#[derive_grad(hessian)]
fn cubic(x: [f64; 2]) -> f64 {
    x[0] * x[0] * x[1]
}

// A Hessian over two parameters: a direction after each, the Hessian over their components.
#[derive_grad(hessian)]
fn two(a: f64, b: [f64; 2]) -> f64 {
    a * b[0] * b[1]
}

// A Hessian through a call: the callee's `hessian` also writes the second-order companions
// (`__derive_hvp_fwd`, `__derive_hvp`) that the caller's forward-over-reverse code runs, and marks
// its anchor `SecondOrder`, which the caller asserts.
#[derive_grad(hessian)]
fn square(u: f64) -> f64 {
    u * u
}

#[derive_grad(hessian)]
fn through_call(x: f64, y: f64) -> f64 {
    square(x * y) + y
}

// A checkpointed loop: carried values every ceil(sqrt(n)) steps, segments run again backwards.
#[derive_grad(checkpoint)]
fn recurrence(x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.01 * x.sin();
    }
    x
}

// Binomial checkpointing: at most 4 states, the reverse sweep run by the schedule's actions.
#[derive_grad(checkpoint(snapshots = 4))]
fn recurrence_revolve(x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.01 * x.sin();
    }
    x
}

// A `while` loop under the binomial schedule: its trip count is known at its end only, so a
// counting pass (storing nothing) runs first, and the schedule is planned for that count.
#[derive_grad(wrt(p), checkpoint(snapshots = 4))]
fn fixed_point(p: f64, tol: f64) -> f64 {
    let mut x = 0.5;
    let mut step = 1.0;
    while step > tol {
        let next = (x * p).cos();
        step = (next - x).abs();
        x = next;
    }
    x
}

// A time loop updating a local grid in place: each checkpoint also keeps a copy of the array.
#[derive_grad(wrt(u0), checkpoint)]
fn diffuse(u0: [f64; 3], steps: usize) -> f64 {
    let mut u = [u0[0], u0[1], u0[2]];
    for _ in 0..steps {
        u[1] = u[1] + 0.1 * (u[0] - 2.0 * u[1] + u[2]).sin();
    }
    u[1] * u[1]
}

// Writes through `iter_mut()`: `*o = e` is the store `out[k] = e`.
#[derive_tangent]
fn scale(x: &[f64], a: f64, out: &mut [f64]) {
    for (o, &xi) in out.iter_mut().zip(x.iter()) {
        *o = a * xi;
    }
}

// A sparse Jacobian: the vector forward pass in `_jacfwd`, `_sparsity` (NaN tangents, one input
// per lane) and `_jacsparse` (one colour per lane).
#[derive_jacobian(sparse, forward, lanes = 2)]
fn chain(x: &[f64], y: &mut [f64]) {
    for i in 1..x.len() {
        y[i - 1] = x[i] - x[i - 1] * x[i - 1];
    }
}
