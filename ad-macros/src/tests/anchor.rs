//! Anchors through the whole pipeline: the struct next to a free function, and the `impl` that
//! forwards to each companion.

use quote::quote;

use crate::emit::anchor::anchor;
use crate::expand::generate;
use crate::front::Mode;

#[test]
fn a_free_function_gets_a_struct_and_forwarders() {
    let item = quote!(
        pub fn g(x: f64) -> f64 {
            x * x
        }
    );
    let a = anchor(&syn::parse2(item.clone()).unwrap()).to_string();
    assert!(a.contains("pub struct g { }"), "{a}");
    for mode in [Mode::Grad, Mode::Tangent] {
        let generated = generate(mode, quote!(), item.clone()).unwrap();
        let g = generated.to_string();
        assert!(g.contains("impl g"), "{g}");
        assert!(g.contains("pub fn __derive_"), "{g}");
    }
}
