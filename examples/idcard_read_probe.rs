//! How well the ID card is read (`measure::idtext`, `checks::idcard`) on
//! phone-like scenes (`tests/support/scenes.rs`) of text cards
//! (`tests/support/cards.rs`): per surface family and per cover, the share
//! of validity lines and numbers read exactly, the character accuracy, the
//! verdicts against the truth (expired caught, wrong check characters and
//! a printed 性别 unlike the number caught, valid cards rejected by the
//! reading codes) and occlusion found
//! and falsely reported. Dates are judged at 2026-11-27.
//!
//! `cargo run --release --example idcard_read_probe [-- --n N] [--seed-offset K]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

#[path = "../tests/support/scenes.rs"]
mod scenes;

#[path = "../tests/support/glyphs.rs"]
mod glyphs;

#[path = "../tests/support/cards.rs"]
mod cards;

use cards::{random_text, Cover};
use chrono::NaiveDate;
use prescreen::measure::glyphs::Model;
use prescreen::measure::idtext::{number_grammar, read_line, validity_grammar, LineSpec};
use prescreen::measure::quad::first_side;
use prescreen::pipeline::{check_upload_within, Budget};
use prescreen::unpack::Upload;
use prescreen::{Code, Rules};
use rayon::prelude::*;
use scenes::{render, Clutter, Light, Object, Scene, Surface};
use std::collections::BTreeMap;

struct Outcome {
    seed: u64,
    /// How far the scene's clutter (a pen) lies over the card, as a share
    /// of its width.
    clutter_depth: f64,
    /// The `idcard.occluded` and `idcard.number_invalid` reasons' details,
    /// when given.
    details: String,
    surface: Surface,
    light: Light,
    clutter: Clutter,
    cover: Cover,
    back: bool,
    located: bool,
    truth: String,
    read: Option<String>,
    confident: bool,
    should_reject: bool,
    codes: Vec<Code>,
    occlusion: f64,
    printed_read: bool,
}

/// Which outcomes a SHOW list holds.
type Pick = fn(&Outcome) -> bool;

impl Outcome {
    /// One line for the SHOW lists: the scene, what the check measured and
    /// said.
    fn describe(&self) -> String {
        format!(
            "{} {:?} {:?} {:?} {:?} {} truth {} read {:?} fraction {:.3} codes {:?} {}",
            self.seed,
            self.cover,
            self.surface,
            self.light,
            self.clutter,
            if self.back { "back" } else { "front" },
            self.truth,
            self.read,
            self.occlusion,
            self.codes,
            self.details
        )
    }
    /// Nothing on the card: no cover, and the clutter at most touching it
    /// (under 1 % of its width over it).
    fn bare(&self) -> bool {
        self.cover == Cover::None && self.clutter_depth < 0.01
    }
    /// Something on the card: a cover, or the clutter (a pen) 3 % of its
    /// width or more over it. Between the two (a pen along the edge) is
    /// neither.
    fn covered(&self) -> bool {
        self.cover != Cover::None || self.clutter_depth >= 0.03
    }
}

fn synth_window(img: &image::RgbImage) -> Vec<u8> {
    for q in (20..=95).rev().step_by(5) {
        let j = synth::jpeg(img, q);
        if j.len() <= 76_000 {
            return j;
        }
    }
    synth::jpeg(img, 20)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n, offset) = (flag("--n", 540) as usize, flag("--seed-offset", 0));
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let rules = Rules::builtin().unwrap();
    let model = Model::embedded().expect("model");
    // ONLY=seed runs that one scene.
    let only: Option<u64> = std::env::var("ONLY").ok().and_then(|v| v.parse().ok());
    let outcomes: Vec<Outcome> = (0..n)
        .into_par_iter()
        .filter(|i| only.is_none_or(|s| s == offset + 20_000 + *i as u64))
        .map(|i| {
            let seed = offset + 20_000 + i as u64;
            let back = i % 2 == 1;
            let mut text = random_text(seed);
            // Every eighth front has its check character wrong.
            let bad_check = !back && i % 8 == 6;
            if bad_check {
                let last = text.number.pop().unwrap();
                text.number.push(if last == '0' { '1' } else { '0' });
            }
            // Every eighth front prints the other sex than its number says.
            let bad_sex = !back && i % 8 == 2;
            if bad_sex {
                text.male = !text.male;
            }
            // Two scenes in three uncovered.
            let cover = if (i / 9) % 3 == 2 {
                Cover::ALL[1 + (i / 27) % 5]
            } else {
                Cover::None
            };
            let mut s = Scene::new(
                Object::TextCard {
                    back,
                    text: Box::new(text.clone()),
                    cover,
                },
                seed,
            );
            s.surface = Surface::ALL[i % Surface::ALL.len()];
            s.light = Light::ALL[(i / Surface::ALL.len()) % Light::ALL.len()];
            s.clutter = if i % 5 == 4 {
                Clutter::ALL[1 + (i / 5) % 4]
            } else {
                Clutter::None
            };
            let shot = render(&s);
            let bytes = synth_window(&shot.image);
            let slot = if back { "id_card_back" } else { "id_card_front" };
            let upload = Upload::sniffed(
                "card.jpg",
                Some(slot.into()),
                bytes.clone(),
                bytes.len() as u64,
                prescreen::format::sniff(&bytes),
            );
            let budget = Budget::new(10_000, None).with_as_of(as_of);
            let report = check_upload_within(&upload, rules.slot(slot), &rules, &budget).swap_remove(0);
            let codes: Vec<Code> = report.reasons.iter().map(|r| r.code).collect();
            let corners: Option<[(f64, f64); 4]> = report.measurements.get("card_corners").and_then(|v| {
                let a = v.as_array()?;
                let p = |k: usize| -> Option<(f64, f64)> {
                    let c = a.get(k)?.as_array()?;
                    Some((c.first()?.as_f64()?, c.get(1)?.as_f64()?))
                };
                Some([p(0)?, p(1)?, p(2)?, p(3)?])
            });
            let located = corners.is_some()
                && !codes
                    .iter()
                    .any(|c| matches!(c, Code::IdcardCropped | Code::IdcardNotFound));
            let r = &rules.id_card().read;
            let (band, digit_mm, grammars, truth) = if back {
                (
                    r.validity_band,
                    r.validity_digit_mm,
                    validity_grammar(),
                    text.validity(),
                )
            } else {
                (r.number_band, r.number_digit_mm, number_grammar(), text.number.clone())
            };
            let spec = LineSpec {
                band,
                digit_mm,
                px_per_mm: r.px_per_mm,
                grammars,
            };
            let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
            // The way the check reads it: the back by its emblem's side
            // (taken from the truth here), the front both ways.
            let way = if back {
                report
                    .measurements
                    .get("card_text_upside_down")
                    .and_then(|v| v.as_bool())
            } else {
                None
            };
            let read = corners.and_then(|c| read_line(&decoded, &first_side(c, true), &spec, model, way));
            let confident = read
                .as_ref()
                .is_some_and(|l| f64::from(l.confidence) >= r.min_confidence);
            let expired = back
                && text.valid_to != "长期"
                && NaiveDate::parse_from_str(&text.valid_to, "%Y.%m.%d").unwrap() < as_of;
            // DUMP=dir writes the scenes SEEDS (comma-separated) lists, the found
            // card outlined in red, and the JPEG checked.
            if let (Ok(dir), Ok(list)) = (std::env::var("DUMP"), std::env::var("SEEDS")) {
                if list.split(',').any(|v| v == seed.to_string()) {
                    let mut img = shot.image.clone();
                    if let Some(q) = corners {
                        scenes::outline(&mut img, &q, [255, 0, 0]);
                    }
                    img.save(format!("{dir}/card-{seed}.png")).unwrap();
                    std::fs::write(format!("{dir}/card-{seed}.jpg"), &bytes).unwrap();
                }
            }
            Outcome {
                seed,
                clutter_depth: shot.clutter_depth,
                details: report
                    .reasons
                    .iter()
                    .filter(|r| matches!(r.code, Code::IdcardOccluded | Code::IdcardNumberInvalid))
                    .map(|r| serde_json::to_string(&r.detail).unwrap_or_default())
                    .collect(),
                surface: s.surface,
                light: s.light,
                clutter: s.clutter,
                cover,
                back,
                located,
                truth,
                read: read.map(|l| l.text),
                confident,
                should_reject: expired || bad_check || bad_sex,
                printed_read: report
                    .measurements
                    .get("card_printed_read")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                codes,
                occlusion: report
                    .measurements
                    .get("card_occlusion_fraction")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(-1.0),
            }
        })
        .collect();
    let reading = [
        Code::IdcardExpired,
        Code::IdcardValidityInvalid,
        Code::IdcardNumberInvalid,
    ];
    println!("| surface | side | cards read | exact | char accuracy | confident | wrong & confident | should reject: caught | valid: rejected by reading | covered: occluded | uncovered: occluded |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut groups: BTreeMap<(String, &str), Vec<&Outcome>> = BTreeMap::new();
    for o in &outcomes {
        let side = if o.back { "back" } else { "front" };
        groups.entry((format!("{:?}", o.surface), side)).or_default().push(o);
        groups.entry(("all".into(), side)).or_default().push(o);
    }
    for ((surface, side), v) in &groups {
        let clean: Vec<&&Outcome> = v.iter().filter(|o| o.bare() && o.located).collect();
        let exact = clean
            .iter()
            .filter(|o| o.read.as_deref() == Some(o.truth.as_str()))
            .count();
        let (mut ok, mut total) = (0usize, 0usize);
        for o in &clean {
            let t: Vec<char> = o.truth.chars().collect();
            let r: Vec<char> = o.read.as_deref().unwrap_or("").chars().collect();
            total += t.len();
            ok += t.iter().zip(&r).filter(|(a, b)| a == b).count();
        }
        let confident = clean.iter().filter(|o| o.confident).count();
        let wrong_conf = clean
            .iter()
            .filter(|o| o.confident && o.read.as_deref() != Some(o.truth.as_str()))
            .count();
        let bad: Vec<&&&Outcome> = clean.iter().filter(|o| o.should_reject).collect();
        let caught = bad
            .iter()
            .filter(|o| o.codes.iter().any(|c| reading.contains(c)))
            .count();
        let good: Vec<&&&Outcome> = clean.iter().filter(|o| !o.should_reject).collect();
        let false_rej = good
            .iter()
            .filter(|o| {
                o.codes
                    .iter()
                    .any(|c| reading.contains(c) || *c == Code::IdcardOccluded)
            })
            .count();
        if std::env::var("SHOW").is_ok() {
            for o in good.iter().filter(|o| o.codes.iter().any(|c| reading.contains(c))) {
                println!("valid rejected: {}", o.describe());
            }
        }
        let covered: Vec<&&Outcome> = v.iter().filter(|o| o.covered() && o.located).collect();
        let found = covered
            .iter()
            .filter(|o| o.codes.contains(&Code::IdcardOccluded))
            .count();
        let false_occ = clean.iter().filter(|o| o.codes.contains(&Code::IdcardOccluded)).count();
        println!(
            "| {surface} | {side} | {} | {exact} ({:.1} %) | {:.2} % | {confident} | {wrong_conf} | {caught}/{} | {false_rej}/{} | {found}/{} | {false_occ}/{} |",
            clean.len(),
            100.0 * exact as f64 / clean.len().max(1) as f64,
            100.0 * ok as f64 / total.max(1) as f64,
            bad.len(),
            good.len(),
            covered.len(),
            clean.len()
        );
    }
    let mut per_cover: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.located) {
        let what = if o.cover == Cover::None && o.covered() {
            "clutter pen on the card".to_string()
        } else if o.cover == Cover::None && !o.bare() {
            "clutter pen along the edge".to_string()
        } else {
            format!("{:?}", o.cover)
        };
        let e = per_cover.entry(what).or_default();
        e.1 += 1;
        e.0 += usize::from(o.codes.contains(&Code::IdcardOccluded));
    }
    println!("\nidcard.occluded per cover: {per_cover:?}");
    let fronts: Vec<&Outcome> = outcomes.iter().filter(|o| !o.back && o.located && o.bare()).collect();
    println!(
        "fronts whose 出生 and 性别 were both read: {} of {}",
        fronts.iter().filter(|o| o.printed_read).count(),
        fronts.len()
    );
    let mut alarms: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.located && o.bare()) {
        for key in [format!("light {:?}", o.light), format!("clutter {:?}", o.clutter)] {
            let e = alarms.entry(key).or_default();
            e.1 += 1;
            e.0 += usize::from(o.codes.contains(&Code::IdcardOccluded));
        }
    }
    println!("uncovered cards reported idcard.occluded, per condition: {alarms:?}");
    for covered in [false, true] {
        let mut f: Vec<f64> = outcomes
            .iter()
            .filter(|o| o.located && if covered { o.covered() } else { o.bare() })
            .map(|o| o.occlusion)
            .collect();
        f.sort_by(f64::total_cmp);
        let q = |p: f64| {
            f.get(((f.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "occlusion fraction, {}: min {:.3} p5 {:.3} p50 {:.3} p95 {:.3} p99 {:.3} max {:.3}",
            if covered { "covered" } else { "uncovered" },
            q(0.0),
            q(0.05),
            q(0.5),
            q(0.95),
            q(0.99),
            q(1.0)
        );
    }
    if std::env::var("SHOW").is_ok() {
        let lists: [(&str, Pick); 3] = [
            ("false occlusion", |o| {
                o.bare() && o.codes.contains(&Code::IdcardOccluded)
            }),
            ("missed cover", |o| {
                o.covered() && !o.codes.contains(&Code::IdcardOccluded)
            }),
            ("misread", |o| o.bare() && o.read.as_deref() != Some(o.truth.as_str())),
        ];
        for (name, pick) in lists {
            for o in outcomes.iter().filter(|o| o.located && pick(o)) {
                println!("{name}: {}", o.describe());
            }
        }
    }
}
