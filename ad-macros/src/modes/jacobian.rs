//! `#[derive_jacobian]`: full Jacobians by vector forward mode or by reverse mode, after JAX's
//! `jacfwd` and `jacrev`, with the cheaper mode picked from the shapes.
//!
//! Both transforms run on the same IR; their code goes into closures inside the generated
//! functions (a closure, unlike a helper function, needs no `Self::` inside an `impl`), and the
//! runtime's `jacobian::forward` / `jacobian::reverse` call them once per pass.
//!
//! Input:  `fn f(x: [f64; 3]) -> [f64; 2] { .. }`
//! Output: `fn f_jacfwd(x: [f64; 3]) -> ([f64; 2], [[f64; 3]; 2]) {`
//!         `    let mut pass = |x: [f64; 3], dx: [[f64; 4]; 3]| -> ([f64; 2], [[f64; 4]; 2]) { .. };`
//!         `    forward::<f64, 4, _, _, _, [[f64; 3]; 2]>(&x, 2, |seed| pass(x, seed)) }`
//!         `fn f_jacrev(x: [f64; 3]) -> .. { reverse(2, 3, |i| pull(x, Basis::basis(i))) }`
//!         `fn f_jacobian(x: [f64; 3]) -> .. { if 3 <= 2 { f_jacfwd(x) } else { f_jacrev(x) } }`
//!
//! With `sparse`, the forward pass also goes into `f_sparsity(x) -> Sparsity` (the runtime's
//! `sparse::detect`, NaN tangents) and `f_jacsparse(x, sparsity: &Sparsity) -> (.., CsMat)`
//! (`sparse::jacobian`, one pass per `K` colours).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{ItemFn, Type};

use crate::emit::item::{Signature, closure, function_item, pretty, reborrow};
use crate::errors::Errors;
use crate::front::attr::{Args, Pick};
use crate::ir::Kind;
use crate::ir::{Func, Rhs, Stmt};
use crate::names;
use crate::transform::{adjoint, tangent};

/// The lanes of vector forward mode when `lanes = K` is not given.
pub const DEFAULT_LANES: usize = 4;

/// What the Jacobian is of: the one input parameter, and the output (returned, or written into
/// `&mut [F]` / `&mut [F; M]` parameters, their outputs one after the other).
struct Shape {
    /// Index of the input parameter in `func.params`.
    input: usize,
    /// The number of inputs, when known at compile time (`1` for a scalar, `N` for `[F; N]`).
    n: Option<TokenStream>,
    /// The output parameters (`&mut [F]`, `&mut [F; M]`), in order, when the function returns
    /// `()`.
    out_params: Vec<usize>,
    /// The number of outputs, when known at compile time.
    m: Option<TokenStream>,
    /// The float type.
    elem: Type,
}

/// Checks that the function has the shape of `f: Rⁿ → Rᵐ`, reporting what does not fit.
fn shape(func: &Func, out: Option<&Type>, name: &str, errors: &mut Errors) -> Option<Shape> {
    let inputs: Vec<usize> = (0..func.params.len())
        .filter(|&i| func.params[i].active && !func.params[i].kind.writes_through())
        .collect();
    let outputs: Vec<usize> = (0..func.params.len())
        .filter(|&i| func.params[i].active && func.params[i].kind.writes_through())
        .collect();
    let span = func
        .params
        .first()
        .map(|p| p.ident.span())
        .unwrap_or_else(Span::call_site);
    let [input] = inputs[..] else {
        errors.at(
            span,
            format!(
                "{name} needs exactly one differentiated input, found {}: pack the inputs into one \
                 array `[F; N]` or slice `&[F]`, or pick one with `wrt(x)`",
                inputs.len()
            ),
        );
        return None;
    };
    let p = &func.params[input];
    let n = match (p.kind, &p.ty) {
        (Kind::Scalar, _) => Some(quote!(1)),
        (Kind::Array { depth: 1 }, Type::Array(a)) => Some(a.len.to_token_stream()),
        (Kind::ArrayRef { depth: 1, .. }, ty) => array_len(ty),
        (Kind::Slice { mutable: false }, _) => None,
        _ => {
            errors.spanned(
                &p.ty,
                format!(
                    "{name} takes the input as a float, an array `[F; N]` or `&[F; N]`, or a \
                     slice `&[F]`, not `{}`: pass the inputs in one of these forms",
                    crate::errors::show_type(&p.ty)
                ),
            );
            return None;
        }
    };
    let elem = p.elem.clone();
    // The outputs a float or an array `[F; M]` holds.
    let count = |ty: &Type| match ty {
        Type::Array(a) if !matches!(&*a.elem, Type::Array(_) | Type::Tuple(_)) => {
            Some(a.len.to_token_stream())
        }
        Type::Tuple(_) | Type::Array(_) => None,
        _ => Some(quote!(1)),
    };
    let (out_params, m) = match (out, &outputs[..]) {
        (Some(ty), []) => match ty {
            // A tuple of floats and arrays: its components' outputs in order.
            Type::Tuple(t)
                if (2..=4).contains(&t.elems.len())
                    && t.elems.iter().all(|e| count(e).is_some()) =>
            {
                let counts = t.elems.iter().filter_map(count);
                (Vec::new(), Some(quote!(#((#counts))+*)))
            }
            Type::Array(a) if !matches!(&*a.elem, Type::Array(_) | Type::Tuple(_)) => {
                (Vec::new(), Some(a.len.to_token_stream()))
            }
            Type::Tuple(_) | Type::Array(_) => {
                errors.spanned(
                    ty,
                    format!(
                        "{name} needs the output as a float, an array `[F; M]` or a tuple of 2 to 4 \
                         of these, not `{}`: return the outputs in one array",
                        crate::errors::show_type(ty)
                    ),
                );
                return None;
            }
            _ => (Vec::new(), Some(quote!(1))),
        },
        // `&mut [F]` and `&mut [F; M]` parameters the function writes, their outputs in order.
        (None, os)
            if !os.is_empty()
                && os.iter().all(|&o| {
                    matches!(
                        func.params[o].kind,
                        Kind::Slice { mutable: true }
                            | Kind::ArrayRef {
                                depth: 1,
                                mutable: true,
                            }
                    )
                }) =>
        {
            let lens: Option<Vec<TokenStream>> =
                os.iter().map(|&o| array_len(&func.params[o].ty)).collect();
            (os.to_vec(), lens.map(|l| quote!(#((#l))+*)))
        }
        _ => {
            errors.at(
                span,
                format!(
                    "{name} needs the outputs as a returned float or array `[F; M]`, or (returning \
                     `()`) as `&mut [F]` or `&mut [F; M]` parameters the function writes"
                ),
            );
            return None;
        }
    };
    Some(Shape {
        input,
        n,
        out_params,
        m,
        elem,
    })
}

/// `N` of `&[F; N]` or `&mut [F; N]`.
fn array_len(ty: &Type) -> Option<TokenStream> {
    match ty {
        Type::Reference(r) => match &*r.elem {
            Type::Array(a) => Some(a.len.to_token_stream()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the parameter is an array by reference, `&[F; N]` or `&mut [F; N]`.
fn by_array_ref(p: &crate::ir::Param) -> bool {
    matches!(p.kind, Kind::ArrayRef { .. })
}

/// The spans of slices lent to active calls to be written (floats, or state such as an index
/// list): vector forward mode, which runs the callee once per lane, does not lend them.
fn written_calls(func: &Func, stmts: &[Stmt], out: &mut Vec<Span>) {
    for s in stmts {
        match s {
            Stmt::Def {
                var,
                rhs: Rhs::Call { memory, state, .. },
                ..
            } if func.vars[*var].active() => {
                out.extend(
                    memory
                        .iter()
                        .flatten()
                        .filter(|m| m.mutable)
                        .map(|m| m.span),
                );
                out.extend(state.iter().flatten().filter(|s| s.lent()).map(|s| s.span));
            }
            Stmt::If(i) => {
                written_calls(func, &i.then, out);
                written_calls(func, &i.els, out);
            }
            Stmt::Loop(l) => written_calls(func, &l.body, out),
            _ => {}
        }
    }
}

/// Writes `NAME_jacfwd` (unless reverse mode is asked for), `NAME_jacrev` (unless forward mode
/// is) and `NAME_jacobian`.
pub fn generate(
    f: &ItemFn,
    func: &mut Func,
    args: &Args,
    out: Option<&Type>,
    mut errors: Errors,
) -> syn::Result<TokenStream> {
    let name = "#[derive_jacobian]";
    let shape = shape(func, out, name, &mut errors);
    let pick = args.pick.as_ref().map(|(p, _)| *p);
    if pick != Some(Pick::Reverse) {
        let mut lent = Vec::new();
        written_calls(func, &func.stmts, &mut lent);
        for span in lent {
            errors.at(
                span,
                "vector forward mode (`_jacfwd`) cannot lend a slice to a call to be written; \
                 use `#[derive_jacobian(reverse)]`",
            );
        }
    }
    if let (Some(span), Some(Pick::Reverse)) = (args.sparse, pick) {
        errors.at(
            span,
            "sparse Jacobians are computed by vector forward mode, one pass per colour of the \
             columns: drop `reverse`",
        );
    }
    errors.finish()?;
    let shape = shape.expect("errors are reported above");
    let lanes = args.lanes.map_or(DEFAULT_LANES, |(k, _)| k);

    let fresh = func.namer.clone();
    let mut tokens = TokenStream::new();
    let forward = (pick != Some(Pick::Reverse)).then(|| {
        let g = tangent::transform_lanes(func, out, lanes);
        let fwd = forward_parts(func, &shape, &g, lanes);
        let mut tokens = forward_fn(f, func, &shape, out, &fwd, lanes);
        if args.sparse.is_some() {
            tokens.extend(sparse_fns(f, func, out, &fwd, lanes));
        }
        tokens
    });
    func.namer = fresh;
    let reverse = (pick != Some(Pick::Forward)).then(|| {
        let g = adjoint::transform(func, out);
        reverse_fn(f, func, &shape, out, g)
    });
    let call = |suffix: &str| {
        let ident = names::function(&f.sig.ident, suffix);
        let args = call_args(func);
        match f.sig.receiver() {
            Some(_) => quote!(self.#ident(#(#args),*)),
            None => quote!(#ident(#(#args),*)),
        }
    };
    let (pick_body, how) = match (pick, &shape.n, &shape.m) {
        (Some(Pick::Forward), ..) => (call("jacfwd"), "by forward mode (asked for)"),
        (Some(Pick::Reverse), ..) => (call("jacrev"), "by reverse mode (asked for)"),
        (None, Some(n), Some(m)) => {
            let (fwd, rev) = (call("jacfwd"), call("jacrev"));
            (
                quote!(if (#n) <= (#m) { #fwd } else { #rev }),
                "by forward mode when it has no more inputs than outputs (N <= M), by reverse \
                 mode otherwise: the shapes decide at compile time",
            )
        }
        (None, ..) => {
            let (fwd, rev) = (call("jacfwd"), call("jacrev"));
            let (n, m) = (len_of(func, &shape, true), len_of(func, &shape, false));
            (
                quote!(if #n <= #m { #fwd } else { #rev }),
                "by forward mode when it has no more inputs than outputs, by reverse mode \
                 otherwise: the slices' lengths decide at run time",
            )
        }
    };
    let (ret, _) = signature(&shape, out);
    let doc = format!(
        "The Jacobian of `{}`, generated by `#[derive_jacobian]`: {how}.\n\nReturns {}; row `i` \
         of the Jacobian is the gradient of output `i`.",
        f.sig.ident,
        returns(out)
    );
    tokens.extend(forward);
    tokens.extend(reverse);
    tokens.extend(item(f, func, "jacobian", &ret, &[], pick_body, &doc));
    Ok(tokens)
}

fn returns(out: Option<&Type>) -> &'static str {
    match out {
        Some(_) => "`(value, jacobian)`",
        None => "the Jacobian (the value is in the output parameter)",
    }
}

/// The number of inputs (`input`) or outputs at run time.
fn len_of(func: &Func, shape: &Shape, input: bool) -> TokenStream {
    let known = if input { &shape.n } else { &shape.m };
    if let Some(k) = known {
        return k.clone();
    }
    if input {
        let ident = &func.params[shape.input].ident;
        return quote!(#ident.len());
    }
    // Outputs without a length at compile time are parameters.
    let lens: Vec<TokenStream> = shape
        .out_params
        .iter()
        .map(|&o| {
            let ident = &func.params[o].ident;
            quote!(#ident.len())
        })
        .collect();
    match &lens[..] {
        [one] => one.clone(),
        all => quote!((#(#all)+*)),
    }
}

/// The return type and the Jacobian's type.
fn signature(shape: &Shape, out: Option<&Type>) -> (TokenStream, TokenStream) {
    let elem = &shape.elem;
    let jac = match (&shape.n, &shape.m) {
        (Some(n), Some(m)) => quote!([[#elem; #n]; #m]),
        _ => quote!(::ad_runtime::Jacobian<#elem>),
    };
    let ret = match out {
        Some(ty) => quote!((#ty, #jac)),
        None => jac.clone(),
    };
    (ret, jac)
}

/// The parameters of the generated functions: the original ones, by name.
fn params(f: &ItemFn, func: &Func) -> Vec<TokenStream> {
    let mut out: Vec<TokenStream> = f
        .sig
        .receiver()
        .map(|r| r.to_token_stream())
        .into_iter()
        .collect();
    out.extend(func.params.iter().map(|p| {
        let (ident, ty) = (&p.ident, &p.ty);
        quote!(#ident: #ty)
    }));
    out
}

/// The arguments forwarding the parameters.
fn call_args(func: &Func) -> Vec<TokenStream> {
    func.params.iter().map(reborrow).collect()
}

/// One generated function, with the generated code in its documentation.
fn item(
    f: &ItemFn,
    func: &Func,
    suffix: &str,
    ret: &TokenStream,
    extra: &[TokenStream],
    body: TokenStream,
    doc: &str,
) -> TokenStream {
    let ident = names::function(&f.sig.ident, suffix);
    let generics = &f.sig.generics;
    let where_clause = &generics.where_clause;
    let mut params = params(f, func);
    params.extend(extra.iter().cloned());
    let code = pretty(&quote!(fn #ident #generics(#(#params),*) -> #ret #where_clause { #body }));
    let doc = format!("{doc}\n\n# Generated code\n\n```text\n{code}```");
    let sig = Signature {
        ident: &ident,
        receiver: false,
        params: &params,
        ret,
        bounds: &[],
    };
    function_item(f, &sig, &body, &doc, false)
}

/// The entry values of the output parameters, restored before each pass so that every pass
/// differentiates the same function.
fn save_entry(func: &Func, shape: &Shape) -> (TokenStream, TokenStream) {
    let (mut save, mut restore) = (TokenStream::new(), TokenStream::new());
    for (k, &o) in shape.out_params.iter().enumerate() {
        let y = &func.params[o].ident;
        let entry = Ident::new(&format!("__ad_entry{k}"), Span::mixed_site());
        save.extend(quote!(let #entry = #y.to_vec();));
        restore.extend(quote!(#y.copy_from_slice(&#entry);));
    }
    (save, restore)
}

/// The tangent (or adjoint) buffer of output parameter `k`.
fn out_buffer(k: usize) -> Ident {
    Ident::new(&format!("__ad_dy{k}"), Span::mixed_site())
}

/// The argument lending output parameter `k`'s buffer `p` to the generated pass.
fn out_arg(p: &crate::ir::Param, k: usize) -> TokenStream {
    let dy = out_buffer(k);
    if by_array_ref(p) {
        quote!(&mut #dy)
    } else {
        quote!(&mut #dy[..])
    }
}

/// The pieces of a vector forward pass that `_jacfwd`, `_sparsity` and `_jacsparse` share.
struct Forward {
    /// The lanes per pass, as a literal, and the float type.
    k: proc_macro2::Literal,
    elem: Type,
    /// Keeps the output parameter's entry values (empty without one).
    save: TokenStream,
    /// `let mut __ad_pass = |..| ..;`, the transformed body.
    closure: TokenStream,
    /// The input, borrowed: `&x` or `&x[..]`.
    x_ref: TokenStream,
    /// The number of outputs.
    m: TokenStream,
    /// The parameter of the seeding closure, and that closure's body: one pass giving
    /// `(value, output tangents)`.
    seed: Ident,
    run: TokenStream,
}

fn forward_parts(func: &Func, shape: &Shape, g: &crate::ir::Generated, lanes: usize) -> Forward {
    let k = proc_macro2::Literal::usize_unsuffixed(lanes);
    let elem = &shape.elem;
    let pass = Ident::new("__ad_pass", Span::mixed_site());
    let seed = Ident::new("__ad_seed", Span::mixed_site());
    let mut args = Vec::new();
    for (i, p) in func.params.iter().enumerate() {
        args.push(reborrow(p));
        if i == shape.input {
            args.push(match p.kind {
                Kind::Slice { .. } => quote!(&#seed[..]),
                Kind::ArrayRef { .. } => quote!(&#seed),
                _ => quote!(#seed),
            });
        } else if let Some(k) = shape.out_params.iter().position(|&o| o == i) {
            args.push(out_arg(p, k));
        } else if p.active {
            unreachable!("the shape has one input, and output parameters")
        }
    }
    let (save, restore) = save_entry(func, shape);
    let x = &func.params[shape.input].ident;
    let x_ref = match func.params[shape.input].kind {
        Kind::Slice { .. } => quote!(&#x[..]),
        Kind::ArrayRef { .. } => quote!(#x),
        _ => quote!(&#x),
    };
    let run = if shape.out_params.is_empty() {
        quote!(#pass(#(#args),*))
    } else {
        let mut zeros = TokenStream::new();
        let mut dys = Vec::new();
        for (k_out, &o) in shape.out_params.iter().enumerate() {
            let (y, dy) = (&func.params[o].ident, out_buffer(k_out));
            let z = if by_array_ref(&func.params[o]) {
                quote!(::ad_runtime::jacobian::lanes_zeros_array::<#elem, #k, _>(&*#y))
            } else {
                quote!(::ad_runtime::jacobian::lanes_zeros_vec::<#elem, #k>(&*#y))
            };
            zeros.extend(quote!(let mut #dy = #z;));
            dys.push(dy);
        }
        // One output's lanes, or a tuple of them (read one after the other).
        let dy = match &dys[..] {
            [one] => quote!(#one),
            all => quote!((#(#all,)*)),
        };
        quote! {
            #restore
            #zeros
            let __ad_value = #pass(#(#args),*);
            (__ad_value, #dy)
        }
    };
    Forward {
        k,
        elem: elem.clone(),
        save,
        closure: closure(&pass, g),
        x_ref,
        m: len_of(func, shape, false),
        seed,
        run,
    }
}

/// What a generated function returns of a pair `(value, jacobian)` named `__ad_jac`: all of it,
/// or the Jacobian alone when the value went into the output parameter.
fn finish(out: Option<&Type>) -> TokenStream {
    match out {
        Some(_) => quote!(__ad_jac),
        None => quote!(__ad_jac.1),
    }
}

fn forward_fn(
    f: &ItemFn,
    func: &Func,
    shape: &Shape,
    out: Option<&Type>,
    fwd: &Forward,
    lanes: usize,
) -> TokenStream {
    let (ret, jac) = signature(shape, out);
    let Forward {
        k,
        elem,
        save,
        closure,
        x_ref,
        m,
        seed,
        run,
    } = fwd;
    let finish = finish(out);
    let body = quote! {
        #save
        #closure
        let __ad_jac: (_, #jac) = ::ad_runtime::jacobian::forward::<#elem, #k, _, _, _, #jac>(
            #x_ref,
            #m,
            |#seed| { #run },
        );
        #finish
    };
    let doc = format!(
        "The Jacobian of `{}` by vector forward mode, generated by `#[derive_jacobian]`: {lanes} \
         tangents per pass, so `ceil(n / {lanes})` passes for `n` inputs.\n\nReturns {}; row `i` \
         of the Jacobian is the gradient of output `i`.",
        f.sig.ident,
        returns(out)
    );
    item(f, func, "jacfwd", &ret, &[], body, &doc)
}

/// `NAME_sparsity` (the pattern detected at the arguments, coloured) and `NAME_jacsparse` (the
/// Jacobian in CSR form, one pass per `lanes` colours), after `ad_runtime::sparse`.
fn sparse_fns(
    f: &ItemFn,
    func: &Func,
    out: Option<&Type>,
    fwd: &Forward,
    lanes: usize,
) -> TokenStream {
    let Forward {
        k,
        elem,
        save,
        closure,
        x_ref,
        m,
        seed,
        run,
    } = fwd;
    let detect = quote! {
        #save
        #closure
        ::ad_runtime::sparse::detect::<#elem, #k, _, _, _>(#x_ref, #m, |#seed| { #run })
    };
    let name = &f.sig.ident;
    let jacsparse = names::function(name, "jacsparse");
    let doc = format!(
        "The sparsity pattern of `{name}`'s Jacobian at these arguments, its columns coloured, \
         generated by `#[derive_jacobian(sparse)]`: `ceil(n / {lanes})` forward passes whose \
         tangents are NaN in one input per lane. Detect once and pass the result to \
         `{jacsparse}`; see `ad_runtime::sparse` for what the pattern covers."
    );
    let mut tokens = item(
        f,
        func,
        "sparsity",
        &quote!(::ad_runtime::sparse::Sparsity),
        &[],
        detect,
        &doc,
    );
    let sparsity = Ident::new("sparsity", Span::mixed_site());
    let finish = finish(out);
    let jac = quote!(::ad_runtime::sparse::CsMat<#elem>);
    let ret = match out {
        Some(ty) => quote!((#ty, #jac)),
        None => jac,
    };
    let body = quote! {
        #save
        #closure
        let __ad_jac = ::ad_runtime::sparse::jacobian::<#elem, #k, _, _, _>(
            #x_ref,
            #sparsity,
            |#seed| { #run },
        );
        #finish
    };
    let doc = format!(
        "The Jacobian of `{name}` as a sparse matrix in CSR form, generated by \
         `#[derive_jacobian(sparse)]`: one vector forward pass per {lanes} colours of \
         `sparsity` (from `{}`), each lane seeded with one colour's columns.\n\nReturns {}; row \
         `i` of the Jacobian is the gradient of output `i`.",
        names::function(name, "sparsity"),
        returns(out)
    );
    tokens.extend(item(
        f,
        func,
        "jacsparse",
        &ret,
        &[quote!(#sparsity: &::ad_runtime::sparse::Sparsity)],
        body,
        &doc,
    ));
    tokens
}

fn reverse_fn(
    f: &ItemFn,
    func: &Func,
    shape: &Shape,
    out: Option<&Type>,
    g: crate::ir::Generated,
) -> TokenStream {
    let elem = &shape.elem;
    let (ret, jac) = signature(shape, out);
    let pull = Ident::new("__ad_pull", Span::mixed_site());
    let row = Ident::new("__ad_row", Span::mixed_site());
    let dx = Ident::new("__ad_dx", Span::mixed_site());
    let pull_closure = closure(&pull, &g);
    let m = len_of(func, shape, false);
    let n = len_of(func, shape, true);
    let input = &func.params[shape.input];
    let slice_input = matches!(input.kind, Kind::Slice { .. } | Kind::ArrayRef { .. });
    let mut args = Vec::new();
    for (i, p) in func.params.iter().enumerate() {
        args.push(reborrow(p));
        if i == shape.input && by_array_ref(p) {
            args.push(quote!(&mut #dx));
        } else if i == shape.input && slice_input {
            args.push(quote!(&mut #dx[..]));
        } else if let Some(k) = shape.out_params.iter().position(|&o| o == i) {
            args.push(out_arg(p, k));
        }
    }
    match out {
        Some(ty @ Type::Tuple(_)) => {
            args.push(quote!(<#ty as ::ad_runtime::jacobian::TupleBasis<#elem>>::basis(#row)));
        }
        Some(ty) => args.push(quote!(<#ty as ::ad_runtime::jacobian::Basis<#elem>>::basis(#row))),
        None => {}
    }
    let (save, restore) = save_entry(func, shape);
    let mut setup = restore;
    if slice_input {
        let x = &input.ident;
        setup.extend(if by_array_ref(input) {
            quote!(let mut #dx = ::ad_runtime::zeros_array(#x);)
        } else {
            quote!(let mut #dx = ::ad_runtime::zeros_vec::<#elem>(#x);)
        });
    }
    // Output `row` is in the output parameter whose outputs start at or before it: the seed
    // is 1 there (`wrapping_sub` puts the rows of earlier parameters out of every other's
    // range), 0 in every other.
    let mut offset = quote!(0usize);
    for (k, &o) in shape.out_params.iter().enumerate() {
        let (p, dy) = (&func.params[o], out_buffer(k));
        let at = quote!(#row.wrapping_sub(#offset));
        let len = match array_len(&p.ty).filter(|_| by_array_ref(p)) {
            Some(len) => {
                setup.extend(quote! {
                    let mut #dy = [::ad_runtime::zero::<#elem>(); #len];
                    if let Some(__ad_e) = #dy.get_mut(#at) {
                        *__ad_e = ::ad_runtime::one::<#elem>();
                    }
                });
                quote!((#len))
            }
            None => {
                let y = &p.ident;
                setup.extend(quote! {
                    let mut #dy = ::ad_runtime::jacobian::basis_vec::<#elem>(#y.len(), #at);
                });
                quote!(#y.len())
            }
        };
        offset = quote!(#offset + #len);
    }
    let result = Ident::new("__ad_result", Span::mixed_site());
    let pair = match (out.is_some(), slice_input) {
        (true, false) => quote!(#result),
        (true, true) => quote!((#result, #dx)),
        (false, false) => quote!(((), #result)),
        (false, true) => quote!({ let () = #result; ((), #dx) }),
    };
    let finish = finish(out);
    let body = quote! {
        #save
        #pull_closure
        let __ad_jac: (_, #jac) = ::ad_runtime::jacobian::reverse::<#elem, _, _, #jac>(
            #m,
            #n,
            |#row| {
                #setup
                let #result = #pull(#(#args),*);
                #pair
            },
        );
        #finish
    };
    let doc = format!(
        "The Jacobian of `{}` by reverse mode, generated by `#[derive_jacobian]`: one pass per \
         output, each giving one row.\n\nReturns {}; row `i` of the Jacobian is the gradient of \
         output `i`.",
        f.sig.ident,
        returns(out)
    );
    item(f, func, "jacrev", &ret, &[], body, &doc)
}
