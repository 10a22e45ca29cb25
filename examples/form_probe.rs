//! The form-writing measures (fields found / empty, blue ink, scribbles,
//! correction patches, strike-throughs) and the reasons given, on generated
//! photos of the two printed forms: filled in blue and in black, blank,
//! scribbled, taped, struck through, at 1200 × 1600 and 12 MP, at several
//! angles and seeds, in poor light, soft focus, perspective, a scanner's crop
//! and under a lamp's reflection.
//! `cargo run --release --example form_probe`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

use prescreen::{check_file, Rules};
use synth::{doc_scene, jpeg, DocScene, FormPage, Layout, BLACK_PEN, BLUE_PEN};

fn main() {
    let rules = Rules::builtin().unwrap();
    let slot = rules.slot("application_form");
    let mut cases: Vec<(String, DocScene)> = Vec::new();
    let forms = [("blue", Some(BLUE_PEN)), ("black", Some(BLACK_PEN)), ("blank", None)];
    for layout in [Layout::Application, Layout::Pledge] {
        for (pen_name, pen) in forms {
            for (angle, seed, size) in [(0.0, 1, 1200), (3.0, 2, 1200), (-4.0, 3, 1200), (2.0, 4, 3000)] {
                cases.push((
                    format!("{layout:?} {pen_name} {angle}° {size}"),
                    DocScene {
                        width: size,
                        height: size * 4 / 3,
                        angle,
                        seed,
                        form: FormPage {
                            pen,
                            ..FormPage::blank(layout)
                        },
                        ..Default::default()
                    },
                ));
            }
        }
        for (what, scribble, tape, strike) in [
            ("scribble", true, false, None),
            ("tape", false, true, None),
            ("strike", false, false, Some(1.0)),
        ] {
            for (pen_name, pen) in &forms[..2] {
                for (angle, seed) in [(0.0, 5), (-3.0, 6)] {
                    cases.push((
                        format!("{layout:?} {pen_name} {what} {angle}°"),
                        DocScene {
                            angle,
                            seed,
                            form: FormPage {
                                pen: *pen,
                                scribble,
                                tape,
                                strike,
                                ..FormPage::blank(layout)
                            },
                            ..Default::default()
                        },
                    ));
                }
            }
        }
    }
    // Harder light and focus, within what the page checks let through.
    for layout in [Layout::Application, Layout::Pledge] {
        for (pen_name, pen) in forms {
            for (what, gain, blur, shadow, keystone, seed) in [
                ("dim", 0.7, 0.0, 1.0, 0.0, 7),
                ("soft focus", 1.0, 1.2, 1.0, 0.0, 8),
                ("light shadow", 1.0, 0.0, 0.8, 0.0, 9),
                ("perspective and vignette", 1.0, 0.0, 1.0, 0.08, 13),
            ] {
                cases.push((
                    format!("{layout:?} {pen_name} {what}"),
                    DocScene {
                        angle: 1.5,
                        gain,
                        blur,
                        shadow,
                        keystone,
                        vignette: if keystone > 0.0 { 0.3 } else { 0.0 },
                        seed,
                        form: FormPage {
                            pen,
                            ..FormPage::blank(layout)
                        },
                        ..Default::default()
                    },
                ));
            }
        }
    }
    // A scanner app's crop: the page fills the frame.
    for layout in [Layout::Application, Layout::Pledge] {
        for (pen_name, pen) in forms {
            cases.push((
                format!("{layout:?} {pen_name} scanner crop"),
                DocScene {
                    width: 1240,
                    height: 1754,
                    page_width: 1.0,
                    angle: 0.0,
                    seed: 12,
                    form: FormPage {
                        pen,
                        ..FormPage::blank(layout)
                    },
                    ..Default::default()
                },
            ));
        }
    }
    // A lamp's reflection: a soft highlight, from faint to clipping.
    for layout in [Layout::Application, Layout::Pledge] {
        for glare in [15.0, 30.0, 60.0] {
            cases.push((
                format!("{layout:?} black glare +{glare}"),
                DocScene {
                    glare,
                    seed: 10,
                    form: FormPage::filled(layout, BLACK_PEN),
                    ..Default::default()
                },
            ));
        }
    }
    // Strike-throughs at other tilts, and at 12 MP.
    for layout in [Layout::Application, Layout::Pledge] {
        for (tilt, size) in [(-2.0, 1200), (3.0, 1200), (4.0, 1200), (6.0, 1200), (1.0, 3000)] {
            cases.push((
                format!("{layout:?} black strike {tilt}° {size}"),
                DocScene {
                    width: size,
                    height: size * 4 / 3,
                    angle: 1.0,
                    seed: 14,
                    form: FormPage {
                        strike: Some(tilt),
                        ..FormPage::filled(layout, BLACK_PEN)
                    },
                    ..Default::default()
                },
            ));
        }
    }
    if let Ok(only) = std::env::var("PROBE_ONLY") {
        cases.retain(|c| c.0 == only);
    }
    println!("| case | fields | empty | blue ink | reasons |");
    println!("|---|---|---|---|---|");
    for (name, scene) in &cases {
        let bytes = jpeg(&doc_scene(scene), 85);
        let t = std::time::Instant::now();
        let r = &check_file(&bytes, "form.jpg", slot, &rules);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let m = &r.measurements;
        let reasons: Vec<String> = r
            .reasons
            .iter()
            .map(|x| format!("{} {}", x.code, serde_json::Value::Object(x.detail.clone())))
            .collect();
        println!(
            "| {name} | {} | {} | {} | {} | {ms:.0} ms |",
            m.get("form_fields").map(|v| v.to_string()).unwrap_or_default(),
            m.get("form_empty_fields").map(|v| v.to_string()).unwrap_or_default(),
            m.get("form_blue_ink").map(|v| v.to_string()).unwrap_or_default(),
            reasons.join("; ")
        );
    }
}
