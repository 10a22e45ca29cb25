//! Typed or handwritten (`form.not_handwritten`) on phone-like photos of the
//! two forms (`tests/support/scenes.rs`): entries typed before printing,
//! written with a jittered Kai font, and handwritten from stroke data, in
//! blue and black pen, over every surface and light. Prints per condition
//! how many typed forms were caught and how many handwritten ones were
//! flagged, and the measurements' range.
//!
//! The rulebook's constants were chosen on the surfaces marked "tuned"
//! (the same split as `scene_probe`); the others are held out.
//!
//! `cargo run --release --example handwriting_probe [-- --n N] [--seed-offset K]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

#[path = "../tests/support/scenes.rs"]
mod scenes;

#[path = "../tests/support/glyphs.rs"]
mod glyphs;

#[path = "../tests/support/cards.rs"]
mod cards;

use prescreen::{check_file, Code, Rules};
use rayon::prelude::*;
use scenes::{render, Clutter, Light, Object, Scene, Surface};
use std::collections::BTreeMap;
use synth::{jpeg, FormPage, Hand, Layout, BLACK_PEN, BLUE_PEN};

const TUNED: [Surface; 4] = [Surface::Wood, Surface::Granite, Surface::Light, Surface::ClutteredDesk];

fn arg(name: &str, default: u64) -> u64 {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    n: u32,
    flagged: u32,
    unread: u32,
    shares: Vec<f64>,
}

fn main() {
    let rules = Rules::builtin().unwrap();
    let n = arg("--n", 216) as usize;
    let offset = arg("--seed-offset", 0);
    let hands = [
        ("typed", Hand::Typed, BLACK_PEN),
        ("font blue", Hand::Font, BLUE_PEN),
        ("font black", Hand::Font, BLACK_PEN),
        ("strokes blue", Hand::Strokes, BLUE_PEN),
        ("strokes black", Hand::Strokes, BLACK_PEN),
    ];
    let mut scenes = Vec::new();
    for i in 0..n {
        let (hname, hand, pen) = hands[i % hands.len()];
        let layout = if (i / hands.len()).is_multiple_of(2) {
            Layout::Application
        } else {
            Layout::Pledge
        };
        let mut page = FormPage::filled(layout, pen);
        page.hand = hand;
        let mut s = Scene::new(Object::Page(page), offset + 7000 + i as u64);
        s.surface = Surface::ALL[(i / 2) % Surface::ALL.len()];
        s.light = Light::ALL[(i / 3) % Light::ALL.len()];
        s.clutter = Clutter::ALL[(i / 7) % Clutter::ALL.len()];
        scenes.push((hname, layout, s));
    }
    let slot = rules.slot("application_form");
    let outcomes: Vec<_> = scenes
        .into_par_iter()
        .map(|(hname, layout, s)| {
            let shot = render(&s);
            let r = check_file(&jpeg(&shot.image, 85), "form.jpg", slot, &rules);
            let share = r.measurements.get("form_fill_same_size_share").and_then(|v| v.as_f64());
            let pairs = r.measurements.get("form_fill_similar_pairs").and_then(|v| v.as_u64());
            if std::env::var("SHOW").is_ok() && hname == "typed" && !r.has(Code::FormNotHandwritten) {
                let codes: Vec<&str> = r.reasons.iter().map(|x| x.code.as_str()).collect();
                eprintln!(
                    "typed not flagged: {layout:?} {:?} {:?} seed {} pairs {pairs:?} share {share:?} {codes:?}",
                    s.surface, s.light, s.seed
                );
            }
            (
                hname,
                layout,
                s.surface,
                s.light,
                r.has(Code::FormNotHandwritten),
                share,
                pairs,
            )
        })
        .collect();
    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
    for (hname, layout, surface, light, flagged, share, pairs) in &outcomes {
        let split = if TUNED.contains(surface) { "tuned" } else { "held-out" };
        for key in [
            format!("{hname:14} all"),
            format!("{hname:14} {split}"),
            format!("{hname:14} {layout:?}"),
            format!("{hname:14} {surface:?}"),
            format!("{hname:14} {light:?}"),
        ] {
            let t = by.entry(key).or_default();
            t.n += 1;
            t.flagged += u32::from(*flagged);
            match (share, pairs) {
                (Some(s), Some(p)) if *p > 0 => t.shares.push(*s),
                _ => t.unread += 1,
            }
        }
    }
    println!(
        "{:34} {:>4} {:>8} {:>7}  same-size share min / median / max",
        "entries, condition", "n", "flagged", "unread"
    );
    for (k, t) in &by {
        let mut s = t.shares.clone();
        s.sort_by(f64::total_cmp);
        let q = |f: f64| {
            s.get(((s.len() as f64 - 1.0) * f).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "{k:34} {:>4} {:>8} {:>7}  {:.2} / {:.2} / {:.2}",
            t.n,
            t.flagged,
            t.unread,
            q(0.0),
            q(0.5),
            q(1.0)
        );
    }
}
