// The two halves of a `split_at_mut` lent to one call, one to be written (an LSTM layer reading
// the previous layer's hidden state): the generated code would borrow the slice twice.
use ad_runtime::derive_grad;

#[derive_grad]
fn layer(b: usize, w: &[f64], state: &mut [f64], input: &[f64]) {
    for i in 0..b {
        state[i] = (state[i] * w[i] + input[i]).tanh();
    }
}

#[derive_grad]
fn predict(l: usize, b: usize, w: &[f64], state: &mut [f64]) {
    for i in 1..l {
        let (prev, cur) = state.split_at_mut(b * i);
        layer(b, &w[b * i..b * (i + 1)], &mut cur[..b], &prev[b * (i - 1)..]);
    }
}

fn main() {}
