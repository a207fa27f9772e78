//! `lstm`: ADBench's LSTM loss and its gradient.
//!
//! A stack of `l` LSTM layers over `b`-bit characters (ADBench's variant: every weight matrix is
//! diagonal) reads a sequence of `c` characters and predicts each next one; [`objective`] is the
//! negative mean log-likelihood of the sequence. `objective` answers its value; `jacobian`
//! answers its gradient with respect to `main_params` (the `2l × 4b` layer weights and biases)
//! then `extra_params` (`3 × b`: input weight, output weight, output bias), each flattened by
//! rows, as GradBench's manual tool does.
//!
//! The primal is written as `cpp/gradbench/evals/lstm.hpp` writes it: [`sigmoid`],
//! [`logsumexp`], [`lstm_model`] (one layer, updating its hidden and cell state in place),
//! [`lstm_predict`] (all layers on one character) and [`objective`] (the loop over the
//! sequence), over flat slices with the C++ reference's offsets. Each carries
//! `#[derive_grad]`; the gradient is `objective_grad`, one reverse pass through the helpers'
//! generated companions. No derivative is written by hand.
//!
//! Rewrite: the C++ `lstm_predict` feeds layer `i` the hidden state of layer `i - 1` through a
//! pointer into the same state array that layer `i` writes. Rust's borrow rules need
//! `split_at_mut` for that, and the macro refuses lending both halves to one call (the generated
//! code would borrow the state twice), so the previous layer's hidden state is copied into the
//! `output` buffer, which the C++ code also uses as layer 0's input.

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::derive_grad;
use serde::Deserialize;
use serde_json::Value;

/// The sigmoid `1 / (1 + e^-x)`.
#[derive_grad]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `log(2 + Σ e^vᵢ)`, ADBench's log-sum-exp (with its extra 2).
#[derive_grad]
pub fn logsumexp(vect: &[f64]) -> f64 {
    let mut sum = 0.0;
    for v in vect {
        sum += v.exp();
    }
    sum += 2.0;
    sum.ln()
}

/// One LSTM layer on one input: `params` holds the layer's `8 hsize` weights and biases
/// (forget, ingate, outgate, change; weights then biases), `state` its `hidden` then `cell`
/// values (`2 hsize`), updated in place.
#[derive_grad]
pub fn lstm_model(hsize: usize, params: &[f64], state: &mut [f64], input: &[f64]) {
    for i in 0..hsize {
        let forget = sigmoid(input[i] * params[i] + params[4 * hsize + i]);
        let ingate = sigmoid(state[i] * params[hsize + i] + params[5 * hsize + i]);
        let outgate = sigmoid(input[i] * params[2 * hsize + i] + params[6 * hsize + i]);
        let change = (state[i] * params[3 * hsize + i] + params[7 * hsize + i]).tanh();

        state[hsize + i] = state[hsize + i] * forget + ingate * change;
        state[i] = outgate * state[hsize + i].tanh();
    }
}

/// The prediction for one input character: the input scaled by the input weights, through the
/// `l` layers (each updating its part of `state`), then the output weights and biases; written
/// into `output` (`b` values).
#[derive_grad]
pub fn lstm_predict(
    l: usize,
    b: usize,
    main_params: &[f64],
    extra_params: &[f64],
    state: &mut [f64],
    input: &[f64],
    output: &mut [f64],
) {
    for i in 0..b {
        output[i] = input[i] * extra_params[i];
    }
    for i in 0..l {
        if i > 0 {
            // gap: the C++ code points layer i's input at layer i-1's hidden state, inside the
            // state that layer i writes; that needs both halves of a `split_at_mut` lent to
            // one call (refused), so the hidden state is copied into `output`, layer 0's input.
            for j in 0..b {
                output[j] = state[2 * b * (i - 1) + j];
            }
        }
        lstm_model(
            b,
            &main_params[8 * b * i..8 * b * (i + 1)],
            &mut state[2 * b * i..2 * b * (i + 1)],
            &output[..],
        );
    }
    for i in 0..b {
        output[i] = state[2 * b * (l - 1) + i] * extra_params[b + i] + extra_params[2 * b + i];
    }
}

/// The LSTM loss: for each of the first `c - 1` characters of `sequence` (`c × b` bits), the
/// log-likelihood of the next character under the softmax of the prediction, summed, negated
/// and divided by the number of bits. `state` (`2l × b`) is the initial state; it is copied.
#[derive_grad(wrt(main_params, extra_params))]
pub fn objective(
    l: usize,
    c: usize,
    b: usize,
    main_params: &[f64],
    extra_params: &[f64],
    state: &[f64],
    sequence: &[f64],
) -> f64 {
    let mut total = 0.0;
    let mut count = 0;
    let mut state_copy = state.to_vec();
    let mut ypred = vec![0.0; b];
    let mut ynorm = vec![0.0; b];
    for t in 0..c - 1 {
        lstm_predict(
            l,
            b,
            main_params,
            extra_params,
            &mut state_copy,
            &sequence[b * t..b * (t + 1)],
            &mut ypred,
        );
        let lse = logsumexp(&ypred);
        for i in 0..b {
            ynorm[i] = ypred[i] - lse;
        }
        for i in 0..b {
            total += sequence[b * (t + 1) + i] * ynorm[i];
        }
        count += b;
    }
    -total / count as f64
}

/// The eval's input: every array as rows.
#[derive(Deserialize)]
pub struct Input {
    /// `2l` rows of `4b`: each layer's weights, then its biases.
    pub main_params: Vec<Vec<f64>>,
    /// 3 rows of `b`: input weights, output weights, output biases.
    pub extra_params: Vec<Vec<f64>>,
    /// `2l` rows of `b`: each layer's hidden, then cell state.
    pub state: Vec<Vec<f64>>,
    /// `c` rows of `b`: the characters' bits.
    pub sequence: Vec<Vec<f64>>,
}

/// The input flattened as the C++ reference reads it.
#[derive(Clone, Debug)]
pub struct Flat {
    /// Layers.
    pub l: usize,
    /// Characters.
    pub c: usize,
    /// Bits per character.
    pub b: usize,
    /// `8 l b` layer parameters.
    pub main_params: Vec<f64>,
    /// `3 b` input and output parameters.
    pub extra_params: Vec<f64>,
    /// `2 l b` initial state.
    pub state: Vec<f64>,
    /// `c b` bits.
    pub sequence: Vec<f64>,
}

impl Flat {
    /// Flattens an [`Input`] by rows.
    pub fn new(input: Input) -> Flat {
        Flat {
            l: input.main_params.len() / 2,
            b: input.main_params.first().map_or(0, |r| r.len() / 4),
            c: input.sequence.len(),
            main_params: input.main_params.concat(),
            extra_params: input.extra_params.concat(),
            state: input.state.concat(),
            sequence: input.sequence.concat(),
        }
    }

    /// The loss.
    pub fn objective(&self) -> f64 {
        objective(
            self.l,
            self.c,
            self.b,
            &self.main_params,
            &self.extra_params,
            &self.state,
            &self.sequence,
        )
    }

    /// The gradient with respect to the main, then the extra parameters, by `objective_grad`.
    pub fn jacobian(&self) -> Vec<f64> {
        let mut d_main = vec![0.0; self.main_params.len()];
        let mut d_extra = vec![0.0; self.extra_params.len()];
        objective_grad(
            self.l,
            self.c,
            self.b,
            &self.main_params,
            &mut d_main,
            &self.extra_params,
            &mut d_extra,
            &self.state,
            &self.sequence,
        );
        d_main.extend_from_slice(&d_extra);
        d_main
    }
}

/// Runs `objective` or `jacobian` (the gradient, by reverse mode).
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let flat = Flat::new(parse(input)?);
    if flat.l == 0 || flat.b == 0 || flat.c < 2 {
        return Err("lstm needs at least one layer, one bit and two characters".into());
    }
    let (output, nanoseconds) = match function {
        "objective" => {
            let (v, ns) = measure(runs, || flat.objective());
            (Value::from(v), ns)
        }
        "jacobian" => {
            let (g, ns) = measure(runs, || flat.jacobian());
            (Value::from(g), ns)
        }
        _ => return Err(format!("lstm has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
