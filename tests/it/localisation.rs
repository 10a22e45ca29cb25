//! Finding the card and the page in phone-like scenes (`support/scenes.rs`):
//! surfaces, light and clutter the detector was not tuned on, with the true
//! corners known; and the card and page checks on the found quadrilateral
//! (issue 14). The full sweep with per-condition figures is
//! `cargo run --release --example scene_probe`.

use crate::common::{check, codes, reason};
use crate::scenes::{render, Clutter, Framing, Light, Object, Scene, Shot, Surface};
use crate::synth::{jpeg, jpeg_in_window, with_exif, FormPage, Layout, BLACK_PEN, BLUE_PEN};
use prescreen::measure::quad::{corner_error, jaccard};
use prescreen::{Code, FileReport, Verdict};

fn card(surface: Surface, light: Light, clutter: Clutter, seed: u64) -> Scene {
    let mut s = Scene::new(Object::Card { back: seed % 2 == 1 }, seed);
    s.surface = surface;
    s.light = light;
    s.clutter = clutter;
    s
}

fn page(form: FormPage, surface: Surface, light: Light, clutter: Clutter, seed: u64) -> Scene {
    let mut s = Scene::new(Object::Page(form), seed);
    s.surface = surface;
    s.light = light;
    s.clutter = clutter;
    s
}

/// Renders and checks a scene in the slot its object belongs to.
fn shoot(s: &Scene) -> (Shot, FileReport) {
    let shot = render(s);
    let (bytes, slot) = match s.object {
        Object::Card { back } | Object::TextCard { back, .. } => (
            jpeg_in_window(&shot.image, 70_000),
            if back { "id_card_back" } else { "id_card_front" },
        ),
        Object::Page(_) => (jpeg(&shot.image, 85), "application_form"),
    };
    let bytes = match shot.orientation {
        Some(o) => with_exif(bytes, o, None),
        None => bytes,
    };
    let report = check(&bytes, slot);
    (shot, report)
}

fn found(r: &FileReport, key: &str) -> Option<[(f64, f64); 4]> {
    let a = r.measurements.get(key)?.as_array()?;
    let p = |i: usize| Some((a.get(i)?[0].as_f64()?, a.get(i)?[1].as_f64()?));
    Some([p(0)?, p(1)?, p(2)?, p(3)?])
}

fn localisation_reject(r: &FileReport) -> bool {
    r.reasons.iter().any(|x| {
        matches!(
            x.code,
            Code::IdcardNotFound
                | Code::IdcardCropped
                | Code::IdcardTooSmall
                | Code::DocumentNotFound
                | Code::DocumentCropped
        )
    })
}

/// The share of `scenes` whose object is found without a localisation
/// reject and overlaps the truth by more than 0.93, and the mean overlap of
/// those found; the misses are named in the panic message of the caller.
fn sweep(scenes: &[Scene], key: &str) -> (usize, f64, Vec<String>) {
    let mut good = 0;
    let mut overlaps = Vec::new();
    let mut misses = Vec::new();
    for s in scenes {
        let (shot, r) = shoot(s);
        assert!(shot.whole);
        let j = found(&r, key).map_or(0.0, |f| jaccard(&f, &shot.corners));
        if !localisation_reject(&r) && j > 0.93 {
            good += 1;
            overlaps.push(j);
        } else {
            misses.push(format!(
                "{:?}/{:?}/{:?}: {:?} J {j:.3}",
                s.surface,
                s.light,
                s.clutter,
                codes(&r)
            ));
        }
    }
    let mean = overlaps.iter().sum::<f64>() / overlaps.len().max(1) as f64;
    (good, mean, misses)
}

#[test]
fn cards_are_found_on_every_surface_under_every_light() {
    // One card per surface, the lights and clutter turning with it. Known
    // misses (README): a white card on white paper in dim light with a pen
    // across one edge, compressed into 70 KB, loses that edge; on tiles
    // under a brightness ramp, the edge of a phone lying against the card
    // is taken for the card's (Jaccard 0.89).
    let scenes: Vec<Scene> = Surface::ALL
        .iter()
        .enumerate()
        .map(|(i, &surface)| {
            card(
                surface,
                Light::ALL[(i * 3) % Light::ALL.len()],
                Clutter::ALL[i % Clutter::ALL.len()],
                300 + i as u64,
            )
        })
        .collect();
    let (good, mean, misses) = sweep(&scenes, "card_corners");
    assert!(good >= 7, "{good} of 9 found: {misses:?}");
    assert!(mean > 0.97, "mean Jaccard {mean}");
}

#[test]
fn pages_are_found_on_every_surface_with_clutter_on_their_edge() {
    // Known miss (README): a cup over the top edge of a page on light
    // tiles, where the table's top line is taken for the page's edge.
    let scenes: Vec<Scene> = Surface::ALL
        .iter()
        .enumerate()
        .map(|(i, &surface)| {
            let pen = if i % 2 == 0 { BLUE_PEN } else { BLACK_PEN };
            page(
                FormPage::filled(Layout::Application, pen),
                surface,
                Light::ALL[(i * 5 + 1) % Light::ALL.len()],
                [Clutter::Cup, Clutter::Phone, Clutter::SecondSheet][i % 3],
                400 + i as u64,
            )
        })
        .collect();
    let (good, mean, misses) = sweep(&scenes, "page_corners");
    assert!(good >= 8, "{good} of 9 found: {misses:?}");
    assert!(mean > 0.97, "mean Jaccard {mean}");
}

#[test]
fn card_on_white_paper_with_darker_corners_passes() {
    // The case that was "cropped" with the whole frame as the card.
    for (light, seed) in [(Light::Vignette, 11), (Light::Cool, 12), (Light::PhoneShadow, 13)] {
        let (shot, r) = shoot(&card(Surface::WhiteOnWhite, light, Clutter::None, seed));
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "{light:?}: {:?} {:?}",
            codes(&r),
            r.measurements
        );
        let j = jaccard(&found(&r, "card_corners").expect("corners"), &shot.corners);
        assert!(j > 0.95, "{light:?}: Jaccard {j}");
    }
}

#[test]
fn the_tiles_below_a_card_are_not_an_object_run_into_the_frame() {
    // A card in dim light on tiles, a sheet under one corner: the strip of
    // tiles between the card's bottom edge and the frame outscored the
    // card once weighed by how object-like each looked. A region on the far
    // side of the card's own side is the surface beside it. (The card's
    // top side is still drawn a little off, along the sheet: Jaccard 0.82.)
    let (shot, r) = shoot(&card(Surface::Tiles, Light::Dim, Clutter::SecondSheet, 1192));
    assert!(!localisation_reject(&r), "{:?} {:?}", codes(&r), r.measurements);
    let j = jaccard(&found(&r, "card_corners").expect("corners"), &shot.corners);
    assert!(j > 0.8, "Jaccard {j}");
}

/// The found card's worst corner off the truth, in % of the diagonal.
fn card_corner_error(s: &Scene) -> f64 {
    let (shot, r) = shoot(s);
    assert!(!localisation_reject(&r), "{:?} {:?}", codes(&r), r.measurements);
    let (w, h) = shot.image.dimensions();
    let f = found(&r, "card_corners").expect("corners");
    100.0 * corner_error(&f, &shot.corners) / f64::from(w).hypot(f64::from(h))
}

/// Jaccard index of the page found against the truth; the page must not
/// be rejected as not found, cut off or too small.
fn page_jaccard(s: &Scene) -> f64 {
    let (shot, r) = shoot(s);
    assert!(!localisation_reject(&r), "{:?} {:?}", codes(&r), r.measurements);
    jaccard(&found(&r, "page_corners").expect("corners"), &shot.corners)
}

#[test]
fn a_phone_or_a_shadow_beside_the_card_is_not_its_side() {
    // A phone lying against the card, or the card's own drop shadow, draws
    // a crisper line a few pixels out than the card's edge: the side was
    // drawn there (6.4 % and 2.2 % corner error) until sides settled
    // inwards onto the card's own colour step, and a candidate nearly the
    // same as the best (two sides kept) had to outscore it rather than
    // enclose it. (Seed 1069, a phone 6-10 px off the card's top edge and
    // not parallel to it, is still 2.4 % off.)
    for (surface, light, seed) in [(Surface::Light, Light::Warm, 1249), (Surface::Light, Light::Even, 1294)] {
        let e = card_corner_error(&card(surface, light, Clutter::Phone, seed));
        assert!(e <= 2.0, "seed {seed}: corner error {e:.2} %");
    }
}

#[test]
fn a_white_card_on_white_paper_beats_a_phone_run_into_the_frame() {
    // White on white the card's outside is its inside's colour, so it looks
    // no more like an object than lines on a surface, and a dark phone run
    // into the frame outweighed it. Four real sides around one smooth
    // colour are credited as an object.
    let e = card_corner_error(&card(Surface::WhiteOnWhite, Light::Ramp, Clutter::Phone, 201160));
    assert!(e <= 2.0, "corner error {e:.2} %");
}

#[test]
fn a_pen_across_a_cards_side_is_not_its_side() {
    // A pen lying across the card's side draws two crisp lines, and one of
    // them made a side of the best quadrilateral: not card-shaped (aspect
    // 1.44, 1.45) or run out of the frame (`cropped`), corner errors 6.5-
    // 9.5 %. A side with the same colour on both sides of a thin dark bar
    // is the bar's; the search is run again without its lines, up to
    // three times (a pen's two edges are not always dropped together).
    for (surface, light, seed) in [
        (Surface::Wood, Light::Dim, 201261),
        (Surface::Light, Light::Ramp, 1231),
        (Surface::WhiteOnWhite, Light::Ramp, 1232),
    ] {
        let e = card_corner_error(&card(surface, light, Clutter::Pen, seed));
        assert!(e <= 2.0, "seed {seed}: corner error {e:.2} %");
    }
    // White on white, without the pen's lines, the card's faint left side
    // still loses to the edge of its text: found card-shaped, no longer
    // rejected, but 5.6 % off at this JPEG quality (0.2 % at the probe's).
    let e = card_corner_error(&card(Surface::WhiteOnWhite, Light::Warm, Clutter::Pen, 301322));
    assert!(e <= 6.0, "corner error {e:.2} %");
}

#[test]
fn a_card_over_a_second_sheet_is_found_by_its_soft_side() {
    // The card's side against the white sheet under it steps 5-10 levels
    // over four or five analysis pixels, under the edge threshold at each
    // of them: the card was found on its portrait or the sheet's edge, or
    // run into the frame (corner errors 6.1-14.3 %, occluded or cropped).
    // At half the scale the step is an edge.
    for (surface, light, seed) in [
        (Surface::Wood, Light::Vignette, 301162),
        (Surface::Tiles, Light::Dim, 1192),
        (Surface::Granite, Light::Dim, 301118),
    ] {
        let e = card_corner_error(&card(surface, light, Clutter::SecondSheet, seed));
        assert!(e <= 2.0, "seed {seed}: corner error {e:.2} %");
    }
}

#[test]
fn a_forms_table_is_not_the_page_even_when_its_lines_are_crisper() {
    // White on white in vignetted light: the page's edge is faint, the
    // table's ruled border crisp, and the table was taken for the page
    // (then too small: not_found). A printed rectangle gives way to the
    // best candidate that encloses it.
    let form = FormPage::filled(Layout::Application, BLACK_PEN);
    let j = page_jaccard(&page(form, Surface::WhiteOnWhite, Light::Vignette, Clutter::Pen, 1097));
    assert!(j > 0.95, "Jaccard {j}");
}

#[test]
fn a_page_over_a_second_sheet_is_found_to_its_edge_not_its_print() {
    // Over a second sheet of near the same white the page's edge makes
    // almost no edge pixels, and a table's rule (seed 1237: Jaccard 0.57)
    // or the table's border and a signature line (1028: 0.64; 1298, a rule
    // between rows of text: 0.55) with the page's three other sides made
    // the best quadrilateral. A side on print (a ridge of ink, paper
    // beyond) is walked outwards to the paper's end.
    // On 301252 the page's edge over the sheet (a step of 9 levels) was
    // not among the lines at all: the table's rules and the text took all
    // of the Hough transform's 64 lines (`not_found`, Jaccard 0.43). Pages
    // now also take the clearest steps among the next 64.
    for (surface, light, pen, seed) in [
        (Surface::Tiles, Light::Vignette, BLACK_PEN, 1237),
        (Surface::Granite, Light::Ramp, BLUE_PEN, 1298),
        (Surface::Wood, Light::Cool, BLUE_PEN, 301252),
    ] {
        let form = FormPage::filled(Layout::Application, pen);
        let j = page_jaccard(&page(form, surface, light, Clutter::SecondSheet, seed));
        assert!(j > 0.97, "seed {seed}: Jaccard {j}");
    }
    // The cost of those extra lines: on 1028 the table's left rule is now
    // one of them, and with the page's three other sides it outscores the
    // page's faint left side over the sheet. The page is found and passes,
    // 3.5 % off (Jaccard 0.99 before); `page_jaccard` asserts it passes.
    let form = FormPage::filled(Layout::Application, BLUE_PEN);
    let j = page_jaccard(&page(form, Surface::Granite, Light::Warm, Clutter::SecondSheet, 1028));
    assert!(j > 0.9, "Jaccard {j}");
}

#[test]
fn a_page_on_tiles_with_white_grout_is_walked_to_its_edge() {
    // Found on a rule of its table (Jaccard 0.58, `not_found` as under a
    // quarter of the frame): walked past the print, the rows beyond the
    // page's top are tiles whose white grout is paper-white at the top of
    // each row, so the step onto them was taken for another sheet and the
    // walk stopped on the tiles' medians without moving the side. The page
    // now ends where the medians leave the paper for good.
    let form = FormPage::filled(Layout::Application, BLACK_PEN);
    // `page_jaccard` also asserts no localisation reject.
    let j = page_jaccard(&page(form, Surface::Tiles, Light::Vignette, Clutter::None, 201165));
    assert!(j > 0.97, "Jaccard {j}");
}

#[test]
fn a_line_of_the_surface_beyond_a_tilted_page_is_not_its_side() {
    // The page was found, then replaced by a weaker quadrilateral enclosing
    // it that kept three of its sides and took for the fourth a line of the
    // surface beyond (tiles' mortar 23-27 degrees off the page's side; a
    // desk's line past a curled pledge): its corner ran out of the frame
    // and the good page was `cropped`. A moved side must run along the
    // side it replaces and have the page's colour inside.
    for (layout, pen, surface, light, clutter, curl, seed) in [
        (
            Layout::Application,
            BLACK_PEN,
            Surface::Tiles,
            Light::Cool,
            Clutter::Pen,
            0.0,
            101111,
        ),
        (
            Layout::Application,
            BLACK_PEN,
            Surface::Tiles,
            Light::Vignette,
            Clutter::Phone,
            0.0,
            101309,
        ),
        (
            Layout::Pledge,
            BLUE_PEN,
            Surface::ClutteredDesk,
            Light::Ramp,
            Clutter::Pen,
            0.015,
            101158,
        ),
    ] {
        let mut s = page(FormPage::filled(layout, pen), surface, light, clutter, seed);
        s.curl = curl;
        let j = page_jaccard(&s);
        assert!(j > 0.95, "seed {seed}: Jaccard {j}");
    }
    // A moved side that is not along the one it replaces is still the page's
    // when it bounds the page more clearly: the best had a phone's shadow
    // line across the page for its bottom side (shadowed paper beyond it).
    let form = FormPage::filled(Layout::Application, BLACK_PEN);
    let s = page(form, Surface::WhiteOnWhite, Light::PhoneShadow, Clutter::Phone, 101205);
    let j = page_jaccard(&s);
    assert!(j > 0.97, "Jaccard {j}");
}

#[test]
fn a_page_edge_with_white_paper_and_notes_beyond_is_not_walked_past() {
    // The walk past a print side stops where the rows stop being the page:
    // past this page's edge the rows are desk with a white sheet along
    // them, whose top colour is paper-white, and the page was stretched to
    // the blue notes beyond (Jaccard 0.86) until most rows' median had to
    // be paper too.
    let form = FormPage::filled(Layout::Pledge, BLACK_PEN);
    let mut s = page(form, Surface::ClutteredDesk, Light::Even, Clutter::Cup, 101005);
    s.framing = Framing::Landscape { exif: false };
    let j = page_jaccard(&s);
    assert!(j > 0.97, "Jaccard {j}");
}

#[test]
fn form_with_a_cup_on_its_edge_is_not_cropped() {
    let form = FormPage::filled(Layout::Application, BLUE_PEN);
    let (_, r) = shoot(&page(form, Surface::Wood, Light::Even, Clutter::Cup, 21));
    assert_eq!(r.verdict, Verdict::Pass, "{:?} {:?}", codes(&r), r.measurements);
}

#[test]
fn a_corner_outside_the_frame_is_cropped_with_that_corner_named() {
    for (object, seed) in [
        (Object::Card { back: false }, 31),
        (Object::Page(FormPage::filled(Layout::Pledge, BLUE_PEN)), 32),
    ] {
        let is_card = matches!(object, Object::Card { .. });
        let mut s = Scene::new(object, seed);
        s.surface = Surface::Light;
        s.framing = Framing::CornerCut;
        let (shot, r) = shoot(&s);
        assert!(!shot.whole);
        let code = if is_card {
            Code::IdcardCropped
        } else {
            Code::DocumentCropped
        };
        let detail = &reason(&r, code).detail;
        assert!(
            !detail["outside"].as_array().unwrap().is_empty() || !detail["edges"].as_array().unwrap().is_empty(),
            "{detail:?}"
        );
    }
}

#[test]
fn a_card_cut_off_in_uneven_light_is_cropped() {
    // The frame side's strip of card is compared with the card's inside
    // along its real sides; under a light ramp (strip 1.13 times as bright:
    // colour distance 47 against the limit of 30), a phone's shadow or a
    // vignette it differed, the cut-off card had no candidate, and its
    // portrait was taken for a too-small card. Evened for brightness, the
    // strip is the card.
    for (surface, light, seed) in [
        (Surface::Dark, Light::Ramp, 305081),
        (Surface::ClutteredDesk, Light::PhoneShadow, 205051),
        (Surface::WhiteOnWhite, Light::Vignette, 205073),
        (Surface::ClutteredDesk, Light::PhoneShadow, 105051),
        (Surface::Granite, Light::Vignette, 305011),
    ] {
        let mut s = Scene::new(Object::Card { back: false }, seed);
        (s.surface, s.light, s.framing) = (surface, light, Framing::CornerCut);
        let (shot, r) = shoot(&s);
        assert!(!shot.whole);
        assert!(codes(&r).contains(&Code::IdcardCropped), "seed {seed}: {:?}", codes(&r));
    }
}

#[test]
fn a_page_cut_off_past_its_print_is_cropped() {
    // The page runs off the frame, and the best quadrilateral had a table's
    // rule (seeds 5020, 5081) or the table's top (5071, a white desk) for
    // the cut side: a whole smaller page. Walked past the print, the paper
    // runs on into the frame's edge, which becomes that side.
    for (surface, light, seed) in [
        (Surface::Fabric, Light::Vignette, 5020),
        (Surface::WhiteOnWhite, Light::Even, 5071),
        (Surface::Dark, Light::Ramp, 5081),
    ] {
        let mut s = Scene::new(Object::Page(FormPage::filled(Layout::Application, BLUE_PEN)), seed);
        (s.surface, s.light, s.framing) = (surface, light, Framing::CornerCut);
        let (shot, r) = shoot(&s);
        assert!(!shot.whole);
        assert!(
            codes(&r).contains(&Code::DocumentCropped),
            "seed {seed}: {:?}",
            codes(&r)
        );
    }
}

#[test]
fn a_card_under_a_third_of_the_frame_is_too_small() {
    let mut s = card(Surface::Fabric, Light::Even, Clutter::None, 41);
    s.framing = Framing::Small;
    let (_, r) = shoot(&s);
    assert!(codes(&r).contains(&Code::IdcardTooSmall), "{:?}", codes(&r));
}

#[test]
fn a_small_card_on_planks_is_too_small_not_cropped() {
    // Plank grain, all one way, filled the search's 64 lines and the small
    // card's short sides were not among them: the planks run into the frame
    // were reported as a cut-off card. The card search keeps at most 20
    // lines a direction.
    let mut s = card(Surface::Wood, Light::Warm, Clutter::None, 6003);
    s.framing = Framing::Small;
    let (shot, r) = shoot(&s);
    assert_eq!(codes(&r)[0], Code::IdcardTooSmall, "{:?}", codes(&r));
    let j = jaccard(&found(&r, "card_corners").expect("corners"), &shot.corners);
    assert!(j > 0.95, "Jaccard {j}");
}

#[test]
fn blurry_card_on_granite_is_blurry() {
    // Sensor noise lands after the blur, as in a phone, and the blur index
    // counts it as detail: sigma 4 reads 0.499 here (limit 0.50) against
    // 0.61 for sigma 3 with the noise under the blur. A known weakness of
    // the blur measure, not of the localisation.
    let mut s = card(Surface::Granite, Light::Even, Clutter::None, 51);
    s.blur = 5.0;
    let (_, r) = shoot(&s);
    assert!(
        codes(&r).contains(&Code::IdcardBlurry),
        "{:?} {:?}",
        codes(&r),
        r.measurements
    );
    // Granite around the card is not white paper either.
    assert!(codes(&r).contains(&Code::IdcardBackgroundNotWhite));
}

#[test]
fn card_on_wood_has_no_white_background_measured_beside_the_card() {
    let (_, r) = shoot(&card(Surface::Wood, Light::Even, Clutter::None, 52));
    assert_eq!(codes(&r), [Code::IdcardBackgroundNotWhite], "{:?}", r.measurements);
}

#[test]
fn glare_on_a_card_on_white_paper_is_glare() {
    let mut s = card(Surface::WhiteOnWhite, Light::Even, Clutter::None, 53);
    s.hard_glare = 0.12;
    let (_, r) = shoot(&s);
    assert_eq!(codes(&r), [Code::IdcardGlare], "{:?}", r.measurements);
}

#[test]
fn blank_form_on_wood_is_blank() {
    let (_, r) = shoot(&page(
        FormPage::blank(Layout::Application),
        Surface::Wood,
        Light::Ramp,
        Clutter::None,
        61,
    ));
    assert_eq!(codes(&r), [Code::FormBlank], "{:?}", r.measurements);
}

#[test]
fn scribbled_form_with_a_cup_on_its_edge_is_altered() {
    let form = FormPage {
        scribble: true,
        ..FormPage::filled(Layout::Application, BLUE_PEN)
    };
    let (_, r) = shoot(&page(form, Surface::Wood, Light::Even, Clutter::Cup, 62));
    assert_eq!(codes(&r), [Code::FormAltered], "{:?}", r.measurements);
}

#[test]
fn landscape_photo_of_a_page_is_found_with_and_without_exif() {
    for exif in [true, false] {
        let mut s = page(
            FormPage::filled(Layout::Application, BLUE_PEN),
            Surface::Tiles,
            Light::Even,
            Clutter::None,
            71,
        );
        s.framing = Framing::Landscape { exif };
        let (shot, r) = shoot(&s);
        assert!(!localisation_reject(&r), "exif {exif}: {:?}", codes(&r));
        let j = jaccard(&found(&r, "page_corners").expect("corners"), &shot.corners);
        assert!(j > 0.95, "exif {exif}: Jaccard {j}");
    }
}

#[test]
fn an_empty_desk_is_not_found_with_the_best_score_reported() {
    let desk = crate::scenes::surface_only(Surface::Wood, 1000, 640, 81);
    let r = check(&jpeg_in_window(&desk, 70_000), "id_card_front");
    assert_eq!(codes(&r), [Code::IdcardNotFound], "{:?}", r.measurements);
    let d = &r.reasons[0].detail;
    assert_eq!(d["problem"], "no_quadrilateral");
    assert!(d["best_score"].as_f64().unwrap() < d["min_score"].as_f64().unwrap());
}

#[test]
fn a_pen_or_a_phone_across_a_forms_edge_is_not_a_correction() {
    for (clutter, seed) in [(Clutter::Pen, 91), (Clutter::Phone, 92)] {
        let form = FormPage::filled(Layout::Application, BLUE_PEN);
        let (_, r) = shoot(&page(form, Surface::Wood, Light::Even, clutter, seed));
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "{clutter:?}: {:?} {:?}",
            codes(&r),
            r.measurements
        );
    }
}
