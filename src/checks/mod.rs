//! The checks, one module per concern: `file` for what every upload gets
//! (type, size, structure, decoding), then one module per kind of material.
//! Each takes measured facts and the rulebook and adds reasons to a
//! [`FileReport`](crate::report::FileReport); none does I/O or logging.

pub mod document;
pub mod file;
pub mod idcard;
pub mod photo;

use crate::measure::quad::{outside_frame, Quad};
use crate::measure::r1;
use serde_json::{json, Value};

/// Corner names, clockwise from the top-left, as reports give them.
pub const CORNER_NAMES: [&str; 4] = ["top_left", "top_right", "bottom_right", "bottom_left"];

/// What a found quadrilateral says about being cut off by the frame: the
/// corners further outside than `max_outside` (share of the diagonal) and
/// the frame edges the object runs into or over; empty when whole.
pub fn cut_off(q: &Quad, width: u32, height: u32, max_outside: f64) -> (Vec<Value>, Vec<&'static str>) {
    let (w, h) = (f64::from(width), f64::from(height));
    let limit = max_outside * (w * w + h * h).sqrt();
    let mut corners = Vec::new();
    let mut edges: Vec<&'static str> = Vec::new();
    let mut add = |e: &'static str| {
        if !edges.contains(&e) {
            edges.push(e);
        }
    };
    for (i, &(x, y)) in q.corners.iter().enumerate() {
        let out = outside_frame((x, y), w, h);
        if out > limit {
            corners.push(json!({ "corner": CORNER_NAMES[i], "outside_px": r1(out) }));
            if x < 0.0 {
                add("left");
            }
            if y < 0.0 {
                add("top");
            }
            if x > w {
                add("right");
            }
            if y > h {
                add("bottom");
            }
        }
    }
    if !q.full_frame {
        // A side on the frame: the object goes on past that frame edge.
        for i in 0..4 {
            if q.frame_side[i] {
                let (a, b) = (q.corners[i], q.corners[(i + 1) % 4]);
                // A frame side lies on its frame edge; the tolerance only
                // absorbs the analysis copy's rounding (it names the edge,
                // it does not decide).
                let near = |v: f64, t: f64| (v - t).abs() < 0.02 * w.max(h);
                if near(a.0, 0.0) && near(b.0, 0.0) {
                    add("left");
                } else if near(a.0, w) && near(b.0, w) {
                    add("right");
                } else if near(a.1, 0.0) && near(b.1, 0.0) {
                    add("top");
                } else {
                    add("bottom");
                }
            }
        }
    }
    (corners, edges)
}
