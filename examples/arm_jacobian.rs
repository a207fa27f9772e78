//! The Jacobian of a planar arm's forward kinematics, from structs, in both modes; and inverse
//! kinematics with it.
//!
//! A two-link arm is `Arm { l1: Link, l2: Link }`, each `Link { length, angle }` deriving
//! `Differentiable` (angles relative to the previous link). The end effector's coordinates are
//! two scalar functions of `&Arm` carrying both macros. The 2x2 Jacobian
//! `d(x, y) / d(angle1, angle2)` comes out two ways:
//!
//! - reverse mode, one pass per output: `end_x_grad(&arm, &mut shadow)` fills a shadow `Arm`
//!   with the gradient of `x` with respect to every float of the arm, and the Jacobian's row is
//!   read from the shadow's `angle` fields (the `length` fields hold `dx / dlength`, free);
//! - forward mode, one pass per angle: `end_x_tangent(&arm, &direction)` along a direction
//!   `Arm` whose only nonzero float is that angle gives one column.
//!
//! Both are checked against the Jacobian by hand, then damped least squares moves the arm from
//! a straight (singular) pose to a target point.
//!
//! Run with `cargo run --example arm_jacobian`.

use ad_runtime::{Differentiable, derive_grad, derive_tangent};

#[derive(Differentiable, Clone, Copy, Debug)]
struct Link {
    length: f64,
    /// Relative to the previous link (the first link's to the x axis).
    angle: f64,
}

#[derive(Differentiable, Clone, Copy, Debug)]
struct Arm {
    l1: Link,
    l2: Link,
}

/// The end effector's x coordinate (the arm's base at the origin).
#[derive_tangent]
#[derive_grad]
fn end_x(arm: &Arm) -> f64 {
    let a1 = arm.l1.angle;
    let a2 = a1 + arm.l2.angle;
    arm.l1.length * a1.cos() + arm.l2.length * a2.cos()
}

/// The end effector's y coordinate.
#[derive_tangent]
#[derive_grad]
fn end_y(arm: &Arm) -> f64 {
    let a1 = arm.l1.angle;
    let a2 = a1 + arm.l2.angle;
    arm.l1.length * a1.sin() + arm.l2.length * a2.sin()
}

/// A 2x2 matrix, by rows.
type Mat2 = [[f64; 2]; 2];

/// Reverse mode: one pass per output, each row read from the shadow's angles.
fn jacobian_reverse(arm: &Arm) -> Mat2 {
    // `_grad` adds into its shadow: each starts from zeros.
    let mut dx = arm.zero_like();
    end_x_grad(arm, &mut dx);
    let mut dy = arm.zero_like();
    end_y_grad(arm, &mut dy);
    [[dx.l1.angle, dx.l2.angle], [dy.l1.angle, dy.l2.angle]]
}

/// Forward mode: one pass per angle, each giving a column.
fn jacobian_forward(arm: &Arm) -> Mat2 {
    let mut along_angle1 = arm.zero_like();
    along_angle1.l1.angle = 1.0;
    let mut along_angle2 = arm.zero_like();
    along_angle2.l2.angle = 1.0;
    let (_, dx1) = end_x_tangent(arm, &along_angle1);
    let (_, dy1) = end_y_tangent(arm, &along_angle1);
    let (_, dx2) = end_x_tangent(arm, &along_angle2);
    let (_, dy2) = end_y_tangent(arm, &along_angle2);
    [[dx1, dx2], [dy1, dy2]]
}

/// The Jacobian by hand.
fn jacobian_by_hand(arm: &Arm) -> Mat2 {
    let (l1, l2) = (arm.l1.length, arm.l2.length);
    let a1 = arm.l1.angle;
    let a2 = a1 + arm.l2.angle;
    [
        [-l1 * a1.sin() - l2 * a2.sin(), -l2 * a2.sin()],
        [l1 * a1.cos() + l2 * a2.cos(), l2 * a2.cos()],
    ]
}

/// Asserts that both generated Jacobians equal the one by hand, entry by entry, to 1e-12.
fn check_jacobians(arm: &Arm) -> Mat2 {
    let want = jacobian_by_hand(arm);
    for (mode, got) in [
        ("reverse", jacobian_reverse(arm)),
        ("forward", jacobian_forward(arm)),
    ] {
        for i in 0..2 {
            for j in 0..2 {
                assert!(
                    (got[i][j] - want[i][j]).abs() <= 1e-12,
                    "{mode} Jacobian entry ({i}, {j}): {} against {} by hand",
                    got[i][j],
                    want[i][j]
                );
            }
        }
    }
    want
}

/// One damped-least-squares step: `J^T (J J^T + damping^2 I)^-1 e`, the angle change that moves
/// the end effector by about `e` and stays bounded near a singular pose (a plain Newton step
/// `J^-1 e` is infinite when the arm is straight).
fn damped_step(j: &Mat2, e: [f64; 2], damping: f64) -> [f64; 2] {
    let d2 = damping * damping;
    // A = J J^T + d2 I, symmetric.
    let a00 = j[0][0] * j[0][0] + j[0][1] * j[0][1] + d2;
    let a01 = j[0][0] * j[1][0] + j[0][1] * j[1][1];
    let a11 = j[1][0] * j[1][0] + j[1][1] * j[1][1] + d2;
    let det = a00 * a11 - a01 * a01;
    let u = [
        (a11 * e[0] - a01 * e[1]) / det,
        (a00 * e[1] - a01 * e[0]) / det,
    ];
    [
        j[0][0] * u[0] + j[1][0] * u[1],
        j[0][1] * u[0] + j[1][1] * u[1],
    ]
}

fn print_matrix(name: &str, m: &Mat2) {
    println!("{name}:");
    for row in m {
        println!("  [{:>10.6} {:>10.6}]", row[0], row[1]);
    }
}

fn main() {
    let arm = Arm {
        l1: Link {
            length: 1.0,
            angle: 0.6,
        },
        l2: Link {
            length: 0.7,
            angle: -0.9,
        },
    };
    println!(
        "arm at angles ({}, {}): end effector ({:.6}, {:.6})\n",
        arm.l1.angle,
        arm.l2.angle,
        end_x(&arm),
        end_y(&arm)
    );
    print_matrix(
        "d(x, y)/d(angle1, angle2), reverse mode (2 passes)",
        &jacobian_reverse(&arm),
    );
    print_matrix("the same, forward mode (2 passes)", &jacobian_forward(&arm));
    print_matrix("the same, by hand", &jacobian_by_hand(&arm));
    check_jacobians(&arm);
    let mut dx = arm.zero_like();
    end_x_grad(&arm, &mut dx);
    println!(
        "the reverse pass for x also gives dx/dlength1 = {:.6}, dx/dlength2 = {:.6}",
        dx.l1.length, dx.l2.length
    );

    // Inverse kinematics: from the arm stretched along the x axis (a singular pose: both
    // columns of the Jacobian point along y) to a reachable target.
    let target = [0.9, 1.1];
    let damping = 0.05;
    let mut arm = Arm {
        l1: Link {
            length: 1.0,
            angle: 0.0,
        },
        l2: Link {
            length: 0.7,
            angle: 0.0,
        },
    };
    println!(
        "\ninverse kinematics to ({}, {}), damped least squares (damping {damping}):",
        target[0], target[1]
    );
    println!(
        "{:>4} {:>10} {:>10} {:>10}",
        "iter", "angle1", "angle2", "error"
    );
    let mut error = f64::INFINITY;
    for iteration in 0..=30 {
        let e = [target[0] - end_x(&arm), target[1] - end_y(&arm)];
        error = e[0].hypot(e[1]);
        println!(
            "{iteration:>4} {:>10.6} {:>10.6} {error:>10.3e}",
            arm.l1.angle, arm.l2.angle
        );
        if error < 1e-12 {
            break;
        }
        // Every iterate is a new point at which both modes must agree with the hand Jacobian.
        let j = check_jacobians(&arm);
        let step = damped_step(&j, e, damping);
        arm.l1.angle += step[0];
        arm.l2.angle += step[1];
    }
    println!(
        "\nfinal end effector ({:.12}, {:.12}), error {error:.3e}",
        end_x(&arm),
        end_y(&arm)
    );
    assert!(
        error < 1e-10,
        "inverse kinematics did not converge: error {error:e}"
    );
}
