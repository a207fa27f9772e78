use ad_runtime::derive_grad;

#[derive_grad]
fn fill(x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] = x[i].sin();
    }
}

#[derive_grad]
fn into_local(x: &[f64]) -> f64 {
    let mut y = vec![0.0; x.len()];
    fill(x, &mut y);
    y[0]
}

#[derive_grad]
fn passes_its_output_on(x: &[f64], y: &mut [f64]) {
    fill(x, y);
}

fn main() {}
