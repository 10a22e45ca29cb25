//! The ID-card photos (身份证人像面 / 国徽面): the card found and whole, of
//! ID-1 proportions and large enough, on white paper, sharp, well exposed,
//! without glare, and the right side in the right slot. The card's corners
//! and every score go into the measurements for a reviewer to draw.

use crate::codes::Code;
use crate::input::decode::Decoded;
use crate::measure::blur::measure_blur;
use crate::measure::card::{find_object, rectify, CARD_H};
use crate::measure::colour::lab;
use crate::measure::exposure::measure_exposure;
use crate::measure::{luma, r1, r3, region};
use crate::report::{FileReport, Reason};
use crate::rules::IdCardRules;
use serde_json::json;

/// Runs the card checks on an upright image uploaded for `slot`.
pub fn check_idcard(d: &Decoded, slot: &str, rules: &IdCardRules, report: &mut FileReport) {
    let Some(card) = find_object(&d.rgb, rules.min_region_fraction, rules.min_delta_e) else {
        report.push(Reason::new(Code::IdcardNotFound, json!({ "problem": "no_region" })));
        return;
    };
    let corners: Vec<[f64; 2]> = card.corners.iter().map(|(x, y)| [r1(*x), r1(*y)]).collect();
    report.measure("card_corners", json!(corners));
    report.measure("card_aspect", r3(card.aspect));
    report.measure("card_area_fraction", r3(card.area_fraction));
    if card.touches_edge {
        report.push(Reason::new(
            Code::IdcardCropped,
            json!({ "corners": corners, "area_fraction": r3(card.area_fraction) }),
        ));
        return;
    }
    if (card.aspect / rules.aspect_ratio - 1.0).abs() > rules.aspect_tolerance {
        report.push(Reason::new(
            Code::IdcardNotFound,
            json!({
                "problem": "not_card_shaped",
                "aspect": r3(card.aspect),
                "expected": rules.aspect_ratio,
                "tolerance": rules.aspect_tolerance,
            }),
        ));
        return;
    }
    if card.area_fraction < rules.min_area_fraction {
        report.push(Reason::new(
            Code::IdcardTooSmall,
            json!({ "area_fraction": r3(card.area_fraction), "min_area_fraction": rules.min_area_fraction }),
        ));
    }

    let [bl, ba, bb] = card.background_lab;
    let chroma = (ba * ba + bb * bb).sqrt();
    report.measure("background_lab", json!([r3(bl), r3(ba), r3(bb)]));
    if bl < rules.background_min_lightness || chroma > rules.background_max_chroma {
        report.push(Reason::new(
            Code::IdcardBackgroundNotWhite,
            json!({
                "lightness": r3(bl),
                "chroma": r3(chroma),
                "min_lightness": rules.background_min_lightness,
                "max_chroma": rules.background_max_chroma,
            }),
        ));
    }

    let Some(rectified) = rectify(&d.rgb, &card.corners) else {
        // The outline is degenerate: no projection maps it to a card.
        report.push(Reason::new(Code::IdcardNotFound, json!({ "problem": "no_region" })));
        return;
    };
    let y = luma(&rectified);
    let blur = measure_blur(&y, CARD_H);
    report.measure("card_blur", r3(blur));
    if blur > rules.max_blur {
        report.push(Reason::new(
            Code::IdcardBlurry,
            json!({ "blur": r3(blur), "max_blur": rules.max_blur }),
        ));
    }

    // Exposure and glare inside the card, away from its rounded corners.
    let (cw, ch) = y.dimensions();
    let inner = region(cw, ch, 0.04, 0.06, 0.96, 0.94);
    let ex = measure_exposure(&y, inner);
    report.measure("card_exposure_median", ex.median);
    let median = f64::from(ex.median);
    if median < rules.min_median || median > rules.max_median {
        let problem = if median < rules.min_median {
            "too_dark"
        } else {
            "too_bright"
        };
        report.push(Reason::new(
            Code::IdcardExposure,
            json!({ "problem": problem, "median": ex.median, "min_median": rules.min_median, "max_median": rules.max_median }),
        ));
    }
    // Blown out: the exposure measure's clipped share (luma >= 250).
    let glare = ex.clipped_fraction;
    report.measure("card_glare_fraction", r3(glare));
    if glare > rules.max_glare_fraction && median <= rules.max_median {
        report.push(Reason::new(
            Code::IdcardGlare,
            json!({ "glare_fraction": r3(glare), "max_glare_fraction": rules.max_glare_fraction }),
        ));
    }

    // The emblem is red and sits in the top-left quarter of the back; a
    // card photographed upside down has it bottom-right.
    let red = |(x0, y0, x1, y1): (u32, u32, u32, u32)| {
        let (mut k, mut m) = (0u32, 0u32);
        for yy in y0..y1 {
            for xx in x0..x1 {
                m += 1;
                k += u32::from(f64::from(lab(rectified.get_pixel(xx, yy).0).a) > rules.emblem_min_a);
            }
        }
        if m == 0 {
            0.0
        } else {
            f64::from(k) / f64::from(m)
        }
    };
    let emblem = red(region(cw, ch, 0.0, 0.0, 0.5, 0.5)).max(red(region(cw, ch, 0.5, 0.5, 1.0, 1.0)));
    report.measure("emblem_fraction", r3(emblem));
    let is_back = emblem >= rules.emblem_min_fraction;
    let expected = if slot == rules.front_slot && is_back {
        Some("front")
    } else if slot == rules.back_slot && !is_back {
        Some("back")
    } else {
        None
    };
    if let Some(expected) = expected {
        report.push(Reason::new(
            Code::IdcardWrongSide,
            json!({
                "expected": expected,
                "emblem_fraction": r3(emblem),
                "emblem_min_fraction": rules.emblem_min_fraction,
            }),
        ));
    }
}
