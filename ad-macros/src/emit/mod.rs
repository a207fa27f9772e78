//! Emission: here, the tokens shared by both transforms (the primal statements, and the local
//! partial derivatives of a definition); in the child modules, the items written around the
//! transforms' output: the generated function with its attributes and docs (`item`, `docs`),
//! the companions other annotated functions call (`companion`), and the anchor (`anchor`).

pub mod anchor;
pub mod companion;
pub mod docs;
pub mod item;
pub mod scopes;
pub mod struct_hessian;
pub mod structs;

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Type;

use crate::ir::{Form, Func, Operand, Rhs, Step, Value};
use crate::rules::{Partial, Rule};

/// The tokens of an operand in primal code.
pub fn operand(func: &Func, op: &Operand) -> TokenStream {
    match op {
        Operand::Var(v) => func.vars[*v].ident.to_token_stream(),
        Operand::Const(t) => t.clone(),
    }
}

/// `a + b`, `a.sin()`, `f64::powf(a, b)`: a primitive as the user wrote it.
pub fn primitive(
    rule: &Rule,
    args: &[TokenStream],
    form: &Form,
    span: proc_macro2::Span,
) -> TokenStream {
    match form {
        Form::Operator => match (rule.name, args) {
            ("neg", [a]) => quote_spanned!(span=> -#a),
            ("add", [a, b]) => quote_spanned!(span=> #a + #b),
            ("sub", [a, b]) => quote_spanned!(span=> #a - #b),
            ("mul", [a, b]) => quote_spanned!(span=> #a * #b),
            ("div", [a, b]) => quote_spanned!(span=> #a / #b),
            ("rem", [a, b]) => quote_spanned!(span=> #a % #b),
            _ => unreachable!("operator rows are add, sub, mul, div, rem, neg"),
        },
        Form::Method => {
            let name = Ident::new(rule.name, span);
            let (recv, rest) = args.split_first().expect("a method has a receiver");
            quote_spanned!(span=> #recv.#name(#(#rest),*))
        }
        Form::Path(path) => quote_spanned!(span=> #path(#(#args),*)),
    }
}

/// A primal definition, as in the user's function but in three-address form.
pub fn def(func: &Func, var: usize, ty: Option<&TokenStream>, rhs: &Rhs) -> TokenStream {
    let v = &func.vars[var];
    let ident = &v.ident;
    let mutability = v.mutable.then(|| quote!(mut));
    let ty = ty.map(|t| quote!(: #t));
    let rhs = primal_rhs(func, rhs);
    quote!(let #mutability #ident #ty = #rhs;)
}

/// The tangent or adjoint companion of an operand, or the zero of its type when it has none.
pub fn companion_or_zero(func: &Func, op: &Operand, companion: &[Option<Ident>]) -> TokenStream {
    match Func::var_of(op).and_then(|v| companion[v].as_ref()) {
        Some(d) => d.to_token_stream(),
        None => {
            let primal = operand(func, op);
            quote!(::ad_runtime::zero_like(&#primal))
        }
    }
}

/// The expression of a definition's right-hand side, as the primal computes it.
pub fn primal_rhs(func: &Func, rhs: &Rhs) -> TokenStream {
    match rhs {
        Rhs::Prim {
            rule,
            args,
            form,
            span,
        } => {
            let args: Vec<_> = args.iter().map(|a| operand(func, a)).collect();
            primitive(rule, &args, form, *span)
        }
        Rhs::Copy(op) => operand(func, op),
        Rhs::Cast { value, ty } => {
            let value = operand(func, value);
            quote!(#value as #ty)
        }
        Rhs::Inert { tokens, .. } | Rhs::NewArray { tokens, .. } => tokens.clone(),
        Rhs::Call {
            callee,
            args,
            memory,
            state,
            span,
            second,
        } => {
            let mut args = call_args(func, args, memory, state, false);
            if *second == Some(crate::ir::Second::Adjoint) {
                // The callee's reverse pass as the reverse-mode code wrote it: the arguments,
                // no shadows (none of them is a slice), the seed.
                let f = callee.tokens(Some("_derive_grad"));
                let seed = args.pop();
                let zeros = args.iter().map(|_| quote!(::ad_runtime::Zero));
                return quote_spanned!(*span=> #f((#(#args,)*), (#(#zeros,)*), #seed));
            }
            let f = callee.tokens(None);
            quote_spanned!(*span=> #f(#(#args),*))
        }
        Rhs::Pop { array } => {
            let a = &func.vars[*array].ident;
            quote!(#a.pop())
        }
        Rhs::Field {
            base,
            index,
            element,
        } => component(&operand(func, base), *index, *element),
        Rhs::Load { array, index } => {
            let index: Vec<TokenStream> = index.iter().map(|i| operand(func, i)).collect();
            element(&func.vars[*array].ident.to_token_stream(), &index)
        }
    }
}

/// The arguments of a call as written: memory passed by reference where the user borrowed it.
/// With `copies` (a reverse pass), state the function changes in place is replaced by the copy
/// taken before the call.
pub fn call_args(
    func: &Func,
    args: &[Operand],
    memory: &[Option<crate::ir::MemArg>],
    state: &[Option<crate::ir::StateArg>],
    copies: bool,
) -> Vec<TokenStream> {
    args.iter()
        .zip(memory)
        .zip(state)
        .map(|((a, m), s)| match (m, s) {
            (Some(m), _) => memory_arg(func, &operand(func, a), m),
            (None, Some(s)) => match (&s.snapshot, copies) {
                (Some(copy), true) => s.pass.pass(&operand(func, copy), true),
                _ => s.pass.pass(&operand(func, a), false),
            },
            (None, None) => operand(func, a),
        })
        .collect()
}

/// A memory argument as the user passes it.
fn memory_arg(func: &Func, base: &TokenStream, m: &crate::ir::MemArg) -> TokenStream {
    match &m.range {
        Some(_) => slice_of(func, base, m, m.mutable),
        None if m.mutable => quote!(&mut #base[..]),
        None if m.borrowed => quote!(&#base),
        None => base.clone(),
    }
}

/// The slice of `base` (a tangent or adjoint) that a memory argument covers: `&base[range]` or
/// `&base[..]`, `&mut` for an adjoint.
pub fn slice_of(
    func: &Func,
    base: &TokenStream,
    m: &crate::ir::MemArg,
    mutable: bool,
) -> TokenStream {
    let r = if mutable { quote!(&mut) } else { quote!(&) };
    let range = range_of(func, m);
    quote!(#r #base[#range])
}

/// The range of an array argument: `..`, or a clone of the sub-slice's range.
pub fn range_of(func: &Func, m: &crate::ir::MemArg) -> TokenStream {
    match &m.range {
        Some(range) => {
            let range = operand(func, range);
            quote!(::core::clone::Clone::clone(&#range))
        }
        None => quote!(..),
    }
}

/// Component `index` of a call's result: `base.0`, or `base[0]` for an array.
pub fn component(base: &TokenStream, index: usize, element: bool) -> TokenStream {
    if element {
        let i = proc_macro2::Literal::usize_unsuffixed(index);
        quote!(#base[#i])
    } else {
        let i = syn::Index::from(index);
        quote!(#base.#i)
    }
}

/// `base[i][j]`, or `*base` for memory of one float.
pub fn element(base: &TokenStream, index: &[TokenStream]) -> TokenStream {
    if index.is_empty() {
        quote!((*#base))
    } else {
        quote!(#base #([#index])*)
    }
}

/// `slot = value;` or, when `add`, `slot = slot + value;` (`+=` would need `AddAssign`).
pub fn store(slot: &TokenStream, value: &TokenStream, add: bool) -> TokenStream {
    if add {
        quote!(#slot = #slot + #value;)
    } else {
        quote!(#slot = #value;)
    }
}

/// The arguments of a primitive whose partial derivative must be carried: active, with a partial
/// that is not identically zero.
pub fn active_args(func: &Func, rule: &Rule, args: &[Operand]) -> Vec<usize> {
    (0..args.len())
        .filter(|&i| rule.partials[i] != Partial::Zero && func.is_active(&args[i]))
        .collect()
}

/// Binds the runtime partials of a definition (`let y_partials = rules::div_partials(a, b, y);`)
/// when the selected arguments need them.
pub fn bind_partials(
    func: &mut Func,
    rule: &Rule,
    args: &[TokenStream],
    result: &Ident,
    active: &[usize],
    out: &mut TokenStream,
) -> Option<Ident> {
    if !needs_runtime(rule, active.iter().copied()) {
        return None;
    }
    let p = func.namer.partials(result);
    let call = partials_call(rule, args, result).expect("runtime partials have a rule");
    out.extend(quote!(let #p = #call;));
    Some(p)
}

/// The index operands of a memory access, as tokens.
pub fn index(func: &Func, index: &[Operand]) -> Vec<TokenStream> {
    index.iter().map(|i| operand(func, i)).collect()
}

/// Zeros shaped like a local array; with `lanes = Some(K)` (vector forward mode), `K` zero
/// lanes for each of its floats.
pub fn zeros(
    zeros: crate::ir::Zeros,
    primal: &Ident,
    lanes: Option<&proc_macro2::Literal>,
) -> TokenStream {
    use crate::ir::Zeros;
    match (zeros, lanes) {
        (Zeros::Stack, _) => quote!(::ad_runtime::Stack::new()),
        (Zeros::Grow, _) => quote!(::ad_runtime::Adjoints::new()),
        (Zeros::Vec, None) => quote!(::ad_runtime::zeros_vec(&#primal)),
        (Zeros::Array, None) => quote!(::ad_runtime::zeros_array(&#primal)),
        (Zeros::Array2, None) => quote!(::ad_runtime::zeros_array2(&#primal)),
        (Zeros::Vec, Some(k)) => quote!(::ad_runtime::jacobian::lanes_zeros_vec::<_, #k>(&#primal)),
        (Zeros::Array, Some(k)) => {
            quote!(::ad_runtime::jacobian::lanes_zeros_array::<_, #k, _>(&#primal))
        }
        (Zeros::Array2, Some(k)) => {
            quote!(::ad_runtime::jacobian::lanes_zeros_array2::<_, #k, _, _>(&#primal))
        }
    }
}

/// A partial derivative as a factor of a product.
pub enum Factor {
    /// 1: the term is the derivative itself.
    One,
    /// -1: the term is the negated derivative.
    MinusOne,
    /// Any other factor.
    Expr(TokenStream),
}

impl Factor {
    /// `factor * d`, simplified.
    pub fn times(&self, d: &TokenStream) -> TokenStream {
        match self {
            Factor::One => d.clone(),
            Factor::MinusOne => quote!(-#d),
            Factor::Expr(e) => quote!(#e * #d),
        }
    }
}

/// The call to the runtime rule computing the partials of a definition, if it needs one. What
/// the function does not read (`Rule::reads`) is passed a value it does read, so that only that
/// value need be in scope: `sin_partial(x, x)`, `tanh_partial(y, y)`.
pub fn partials_call(rule: &Rule, args: &[TokenStream], result: &Ident) -> Option<TokenStream> {
    let (name, _) = rule.runtime?;
    let name = Ident::new(name, proc_macro2::Span::mixed_site());
    let y = result.to_token_stream();
    let (args, result): (Vec<&TokenStream>, &TokenStream) = match rule.reads {
        crate::rules::Reads::All => (args.iter().collect(), &y),
        crate::rules::Reads::Args => (args.iter().collect(), &args[0]),
        crate::rules::Reads::Result => (args.iter().map(|_| &y).collect(), &y),
    };
    Some(quote!(::ad_runtime::rules::#name(#(#args,)* #result)))
}

/// Whether the derivative with respect to any of the arguments selected needs the runtime rule.
pub fn needs_runtime(rule: &Rule, selected: impl IntoIterator<Item = usize>) -> bool {
    selected
        .into_iter()
        .any(|i| matches!(rule.partials[i], Partial::Runtime(_)))
}

/// The partial derivative of `rule` with respect to argument `i`.
pub fn factor(rule: &Rule, i: usize, args: &[TokenStream], partials: Option<&Ident>) -> Factor {
    match rule.partials[i] {
        Partial::One => Factor::One,
        Partial::MinusOne => Factor::MinusOne,
        Partial::Arg(j) => Factor::Expr(args[j].clone()),
        // Where the runtime partials are bound anyway (the divisor is differentiated too),
        // their component `i` is the same reciprocal.
        Partial::Recip(_) if partials.is_some() && rule.runtime.is_some_and(|(_, t)| t) => {
            let p = partials.expect("checked");
            let i = syn::Index::from(i);
            Factor::Expr(quote!(#p.#i))
        }
        Partial::Recip(j) => {
            let b = &args[j];
            Factor::Expr(quote!(::ad_runtime::rules::recip(#b)))
        }
        Partial::Runtime(k) => {
            let p = partials.expect("a runtime partial is bound before use");
            let tuple = rule.runtime.is_some_and(|(_, t)| t);
            let k = syn::Index::from(k);
            Factor::Expr(if tuple { quote!(#p.#k) } else { quote!(#p) })
        }
        Partial::Zero => unreachable!("no term is made for a zero partial"),
    }
}

/// The zero of the type `ty` (a float, or a tuple or array of floats), or of the primal value's
/// type when the type is not spelled out; with `lanes = Some(K)`, `K` zero lanes per float.
pub fn zero_of(
    ty: Option<&Type>,
    primal: &TokenStream,
    lanes: Option<&proc_macro2::Literal>,
) -> TokenStream {
    match ty {
        Some(Type::Tuple(t)) => {
            let zeros = t.elems.iter().map(|e| zero_of(Some(e), &quote!(_), lanes));
            quote!((#(#zeros,)*))
        }
        Some(Type::Array(a)) => {
            let zero = zero_of(Some(&a.elem), &quote!(_), lanes);
            let len = &a.len;
            quote!([#zero; #len])
        }
        Some(Type::Paren(p)) => zero_of(Some(&p.elem), primal, lanes),
        Some(ty @ Type::Path(_)) => match lanes {
            Some(k) => quote!([::ad_runtime::zero::<#ty>(); #k]),
            None => quote!(::ad_runtime::zero::<#ty>()),
        },
        _ => match lanes {
            Some(k) => quote!(::ad_runtime::jacobian::lanes_zero::<_, #k>(&#primal)),
            None => quote!(::ad_runtime::zero_like(&#primal)),
        },
    }
}

/// The type of a component of an aggregate type, where it is spelled out.
pub fn component_type(ty: Option<&Type>, step: Step) -> Option<&Type> {
    match (ty?, step) {
        (Type::Tuple(t), Step::Field(i)) => t.elems.iter().nth(i),
        (Type::Array(a), Step::Index(_)) => Some(&a.elem),
        (Type::Paren(p), _) => component_type(Some(&p.elem), step),
        _ => None,
    }
}

/// `base.0[1]`: the component of a value reached by a path of steps.
pub fn project(base: &TokenStream, path: &[Step]) -> TokenStream {
    let mut out = base.clone();
    for step in path {
        out = match step {
            Step::Field(i) => {
                let i = syn::Index::from(*i);
                quote!(#out.#i)
            }
            Step::Index(i) => quote!(#out[#i]),
        };
    }
    out
}

/// The primal value of an output, as an expression.
pub fn value(func: &Func, v: &Value) -> TokenStream {
    match v {
        Value::Scalar(op) => operand(func, op),
        Value::Tuple(items) => {
            let items = items.iter().map(|i| value(func, i));
            quote!((#(#items,)*))
        }
        Value::Array(items) => {
            let items = items.iter().map(|i| value(func, i));
            quote!([#(#items),*])
        }
    }
}
