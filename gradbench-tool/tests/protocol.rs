//! The protocol, message by message: `start`, `define` (true only for a module this tool has),
//! `evaluate` (output, one timing per run, at least `min_runs` runs; an error for an unknown
//! function or module, never a value) and `analysis`.

use ad_gradbench::EVALS;
use ad_gradbench::protocol::answer;
use serde_json::json;

#[test]
fn start_define_evaluate_and_analysis() {
    let start = answer(EVALS, &json!({"id": 0, "kind": "start", "eval": "hello"}));
    assert_eq!(start, json!({"id": 0, "tool": "ad"}));

    for (module, known) in [
        ("hello", true),
        ("gmm", true),
        ("ba", true),
        ("nope", false),
    ] {
        let r = answer(EVALS, &json!({"id": 1, "kind": "define", "module": module}));
        assert_eq!(r, json!({"id": 1, "success": known}), "{module}");
    }

    let r = answer(
        EVALS,
        &json!({"id": 2, "kind": "evaluate", "module": "hello", "function": "double",
                "input": 3.0}),
    );
    assert_eq!(r["id"], 2);
    assert_eq!(r["success"], true);
    assert_eq!(r["output"], 6.0, "double is the derivative of square: 2x");
    assert_eq!(r["timings"].as_array().map(Vec::len), Some(1));

    // `min_runs` repetitions, each timed (the input of hello is a bare number, so the eval
    // passes the repetition fields only with object inputs; an object of another eval here).
    let r = answer(
        EVALS,
        &json!({"id": 3, "kind": "evaluate", "module": "lse", "function": "primal",
                "input": {"x": [0.0, 0.0], "min_runs": 3, "min_seconds": 0.0}}),
    );
    assert_eq!(r["success"], true, "{r}");
    assert!((r["output"].as_f64().unwrap() - 2f64.ln()).abs() < 1e-15);
    assert_eq!(r["timings"].as_array().map(Vec::len), Some(3));

    for (module, function) in [("hello", "triple"), ("nope", "square")] {
        let r = answer(
            EVALS,
            &json!({"id": 4, "kind": "evaluate", "module": module, "function": function,
                    "input": 1.0}),
        );
        assert_eq!(r["success"], false, "{module}::{function}");
        assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()));
        assert!(r.get("output").is_none(), "no value for an error");
    }

    let r = answer(
        EVALS,
        &json!({"id": 5, "kind": "analysis", "of": 2, "valid": true}),
    );
    assert_eq!(r, json!({"id": 5}));
}
