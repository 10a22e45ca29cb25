//! Per-file check cost on the images of the bundled sample: the 1-inch
//! photo (295 × 413, 61 234 bytes), an ID-card photo (800 × 520, 72 000
//! bytes) and a 1200 × 1600 form photo; a generated 12 MP form photo (DCT-
//! scaled decode); a 10-file application zip; the form-writing measure
//! alone. Medians go in the README.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

#[path = "../tests/support/containers.rs"]
mod containers;

#[path = "../tests/support/samples.rs"]
mod samples;

#[path = "../tests/support/scenes.rs"]
mod scenes;

#[path = "../tests/support/glyphs.rs"]
mod glyphs;

#[path = "../tests/support/cards.rs"]
mod cards;

use samples::{sample, SAMPLE_FILES};

use criterion::{criterion_group, criterion_main, Criterion};
use prescreen::{check_application, check_file, Lang, Rules, Target, Upload};
use std::hint::black_box;

fn per_file(c: &mut Criterion) {
    let rules = Rules::builtin().expect("rulebook");
    let mut group = c.benchmark_group("check_file");
    for (label, name, slot) in [
        ("photo_295x413_61KB", "一寸照.jpg", "photo"),
        ("id_card_800x520_72KB", "身份证正面.jpg", "id_card_front"),
        ("form_1200x1600_190KB", "职业技能认定申报表.jpg", "application_form"),
    ] {
        let bytes = sample(name);
        let slot = rules.slot(slot);
        group.bench_function(label, |b| b.iter(|| check_file(black_box(&bytes), name, slot, &rules)));
    }
    // A 1000 × 640 ID-card scene with a tilted card, as phones take them.
    let scene = synth::id_scene(&synth::IdScene::default());
    let card = synth::jpeg_exact(&scene, 70_000);
    let front = rules.slot("id_card_front");
    group.bench_function("id_card_scene_1000x640_70KB", |b| {
        b.iter(|| check_file(black_box(&card), "身份证正面.jpg", front, &rules))
    });
    group.finish();
}

fn localisation(c: &mut Criterion) {
    let rules = Rules::builtin().expect("rules");
    let card = synth::id_scene(&synth::IdScene::default());
    let search = prescreen::checks::idcard::card_search(rules.id_card());
    c.bench_function("find_card_1000x640", |b| {
        b.iter(|| prescreen::measure::quad::find_quad(black_box(&card), &search))
    });
    let page = prescreen::measure::shrink_rgb(&synth::paper_photo(1200, 1600, 40), 800);
    let search = prescreen::checks::document::page_search(rules.document());
    c.bench_function("find_page_600x800", |b| {
        b.iter(|| prescreen::measure::quad::find_quad(black_box(&page), &search))
    });
    // A page over a second sheet, found on its table's rule first and then
    // walked out past it to its edge (scene_probe seed 1237).
    let mut s = scenes::Scene::new(
        scenes::Object::Page(synth::FormPage::filled(synth::Layout::Application, synth::BLACK_PEN)),
        1237,
    );
    s.surface = scenes::Surface::Tiles;
    s.light = scenes::Light::Vignette;
    s.clutter = scenes::Clutter::SecondSheet;
    let sheet = prescreen::measure::shrink_rgb(&scenes::render(&s).image, 800);
    c.bench_function("find_page_past_print_600x800", |b| {
        b.iter(|| prescreen::measure::quad::find_quad(black_box(&sheet), &search))
    });
}

fn big_and_many(c: &mut Criterion) {
    let rules = Rules::builtin().expect("rulebook");
    let mut group = c.benchmark_group("check");
    group.sample_size(20);

    let form = synth::jpeg(&synth::paper_photo(3000, 4000, 40), 85);
    let slot = rules.slot("application_form");
    group.bench_function(format!("form_12MP_{}KB", form.len() / 1000), |b| {
        b.iter(|| check_file(black_box(&form), "申报表.jpg", slot, &rules))
    });

    // The six sample files plus four certificate photos, as one zip.
    let mut entries: Vec<containers::ZipEntry> = SAMPLE_FILES
        .iter()
        .map(|n| containers::ZipEntry::gbk(n, sample(n)))
        .collect();
    for (i, name) in [
        "助理电子商务师证书.jpg",
        "培训结业证书.jpg",
        "学历证书.jpg",
        "学历证书-2.jpg",
    ]
    .iter()
    .enumerate()
    {
        let img = synth::paper_photo(1200, 1600, 50 + i as u64);
        entries.push(containers::ZipEntry::deflated(name, synth::jpeg(&img, 75)));
    }
    let zip = containers::zip(&entries);
    let plan = rules.plan("ecommerce-l2").expect("plan");
    let target = Target {
        plan,
        clause: plan.clause(6).expect("clause"),
    };
    let uploads = vec![Upload::new("application.zip", None, zip)];
    group.bench_function("application_zip_10_files", |b| {
        b.iter(|| check_application(black_box(&uploads), Some(target), &rules, Lang::Zh))
    });
    group.finish();
}

/// The face detector alone on the sample photo's luma (two-pass, padded).
fn faces(c: &mut Criterion) {
    let rules = Rules::builtin().expect("rulebook");
    let how = prescreen::checks::photo::face_detection(&rules.photo().face);
    let photo = image::load_from_memory(&sample("一寸照.jpg")).expect("jpeg").to_luma8();
    c.bench_function("face_detect_295x413", |b| {
        b.iter(|| prescreen::measure::face::detect_faces(black_box(&photo), &how))
    });
    // A photo with no clear face runs the second, larger pass too.
    let group = image::load_from_memory(include_bytes!("../tests/data/solvay-group.jpg"))
        .expect("jpeg")
        .to_luma8();
    c.bench_function("face_detect_group_295x413_two_passes", |b| {
        b.iter(|| prescreen::measure::face::detect_faces(black_box(&group), &how))
    });
}

/// The form-writing measure alone (flatten to 720 px, fields, scribbles,
/// tape, strike-throughs) on the sample 申报表 photo, its page corners from
/// the page check; and on a flat ruled notebook page.
fn form_writing(c: &mut Criterion) {
    use prescreen::measure::ink::{flatten, measure_ink};
    let rules = Rules::builtin().expect("rulebook");
    let form = &rules.document().form;
    let params = prescreen::checks::document::ink_params(form);
    let img = image::load_from_memory(&sample("职业技能认定申报表.jpg"))
        .expect("jpeg")
        .to_rgb8();
    let search = prescreen::checks::document::page_search(rules.document());
    let page = prescreen::measure::quad::find_quad(&img, &search).best.expect("page");
    let corners = page.corners;
    c.bench_function("form_writing_1200x1600", |b| {
        b.iter(|| {
            let flat = flatten(black_box(&img), &corners, form.analysis_width, form.blue_excess).expect("flat");
            measure_ink(&flat, &params)
        })
    });
    // A ruled notebook page (41 full-width lines, no table): every pair of
    // lines is looked at as a possible row, so this is the measure's worst
    // layout for time.
    let luma = image::GrayImage::from_fn(720, 1018, |x, y| {
        image::Luma([if y % 24 < 2 && (30..690).contains(&x) { 40 } else { 230 }])
    });
    let notebook = prescreen::measure::ink::FlatPage {
        blue: image::GrayImage::new(720, 1018),
        luma,
    };
    c.bench_function("form_writing_ruled_notebook_720x1018", |b| {
        b.iter(|| measure_ink(black_box(&notebook), &params))
    });
}

/// A 20-period history judged against every clause of both plans, the
/// JSON read included (#21: under 1 ms).
fn eligibility(c: &mut Criterion) {
    use prescreen::eligibility::{evaluate, parse_as_of, Declared};
    let rules = prescreen::Rules::builtin().expect("rulebook");
    let work: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            let y = 2000 + i;
            serde_json::json!({
                "employer": format!("北京示例{i}号电子商务有限公司"),
                "from": format!("{y}-02"), "to": format!("{y}-12"),
                "position": "电子商务运营", "occupation": "电子商务师",
            })
        })
        .collect();
    let doc = serde_json::json!({
        "id_number": "11010519491231002X",
        "signed": "2026-11-20",
        "education": [{"level": "bachelor", "major_related": true, "graduated": "1999-07-01", "chsi_code": "A1B2C3D4E5F6G7H8"}],
        "certificates": [{"kind": "skill", "level": 3, "occupation": "助理电子商务师", "date": "2005-06-30"}],
        "training": [{"occupation": "电子商务师", "date": "2010-01-10", "hours": 160}],
        "work": work,
        "employers": [{"name": "北京示例3号电子商务有限公司", "founded": "1998-01-01"}],
    })
    .to_string();
    let as_of = parse_as_of("2026-11-27").expect("date");
    c.bench_function("eligibility_20_periods_both_plans", |b| {
        b.iter(|| {
            let d = Declared::from_json(black_box(doc.as_bytes())).expect("reads");
            for plan in ["ecommerce-l2", "ecommerce-l2-beijing"] {
                black_box(evaluate(&rules, plan, &d, as_of, prescreen::Lang::Zh).expect("judged"));
            }
        })
    });
}

/// `prescreen fix`, the whole function including the check of its result
/// (#18: a 12 MP portrait ≤ 80 ms, a 600 KB studio file ≤ 20 ms, a 12 MP
/// ID-card photo ≤ 60 ms).
fn fixes(c: &mut Criterion) {
    use synth::{id_card_photo, jpeg, portrait, Portrait, WHITE};
    let rules = Rules::builtin().expect("rulebook");
    let person = portrait(&Portrait {
        width: 1200,
        height: 1680,
        seed: 1,
        ..Default::default()
    });
    let mut frame = image::RgbImage::from_pixel(3000, 4000, image::Rgb(WHITE));
    image::imageops::overlay(&mut frame, &person, 900, 4000 - 1680);
    let camera = jpeg(&frame, 90);
    let studio = jpeg(
        &portrait(&Portrait {
            width: 826,
            height: 1156,
            seed: 5,
            ..Default::default()
        }),
        97,
    );
    let card_img = id_card_photo(4000, 3000, 7);
    let card = jpeg(&card_img, 92);
    let card_3mb = jpeg(&card_img, 100);
    let mut group = c.benchmark_group("fix");
    group.sample_size(20);
    for (label, bytes, slot) in [
        (format!("portrait_12MP_{}KB", camera.len() / 1000), &camera, "photo"),
        (format!("studio_photo_{}KB", studio.len() / 1000), &studio, "photo"),
        (format!("id_card_12MP_{}KB", card.len() / 1000), &card, "id_card_front"),
        (
            format!("id_card_12MP_{}KB", card_3mb.len() / 1000),
            &card_3mb,
            "id_card_front",
        ),
    ] {
        let def = rules.slot(slot).expect("slot");
        group.bench_function(label, |b| {
            b.iter(|| {
                let fixed = prescreen::fix::fix(black_box(bytes), "fixed.jpg", def, &rules, Lang::Zh);
                assert!(fixed.jpeg.is_some());
            })
        });
    }
    group.finish();
}

/// Reading the card (issue 22): the whole check of a text card's front and
/// back on white paper (1000 × 640, 70 KB), and the reading of one line
/// alone on the found card (warp, ink, pieces, classifier, parse).
fn card_reading(c: &mut Criterion) {
    use prescreen::measure::glyphs::Model;
    use prescreen::measure::idtext::{number_grammar, read_line, validity_grammar, LineSpec};
    use prescreen::measure::quad::{find_quad, first_side};
    let rules = Rules::builtin().expect("rulebook");
    let model = Model::embedded().expect("model");
    let mut group = c.benchmark_group("card_reading");
    let text = cards::random_text(3);
    for back in [false, true] {
        let mut s = scenes::Scene::new(
            scenes::Object::TextCard {
                back,
                text: Box::new(text.clone()),
                cover: cards::Cover::None,
            },
            3,
        );
        s.surface = scenes::Surface::WhiteOnWhite;
        let img = scenes::render(&s).image;
        let bytes = synth::jpeg_exact(&img, 70_000);
        let (side, slot) = if back {
            ("back", "id_card_back")
        } else {
            ("front", "id_card_front")
        };
        let slot_def = rules.slot(slot);
        group.bench_function(format!("check_text_card_{side}_1000x640_70KB"), |b| {
            b.iter(|| check_file(black_box(&bytes), "card.jpg", slot_def, &rules))
        });
        let decoded = image::load_from_memory(&bytes).expect("decode").to_rgb8();
        let quad = find_quad(&decoded, &prescreen::checks::idcard::card_search(rules.id_card()))
            .best
            .expect("card");
        let corners = first_side(quad.corners, true);
        let r = &rules.id_card().read;
        let spec = if back {
            LineSpec {
                band: r.validity_band,
                digit_mm: r.validity_digit_mm,
                px_per_mm: r.px_per_mm,
                grammars: validity_grammar(),
            }
        } else {
            LineSpec {
                band: r.number_band,
                digit_mm: r.number_digit_mm,
                px_per_mm: r.px_per_mm,
                grammars: number_grammar(),
            }
        };
        // The back is read one way (its emblem says which), the front both.
        let way = back.then_some(false);
        group.bench_function(format!("read_line_{side}"), |b| {
            b.iter(|| read_line(black_box(&decoded), &corners, &spec, model, way))
        });
    }
    group.finish();
}

/// `prescreen review`'s image: a form photo of an application folder read,
/// decoded upright and encoded as the page's 1200 px preview.
fn review_preview(c: &mut Criterion) {
    use prescreen::review::files::{load, preview};
    let rules = Rules::builtin().expect("rulebook");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .canonicalize()
        .expect("fixtures");
    let app = root.join("sample-application");
    let mut group = c.benchmark_group("review");
    for (label, name) in [
        ("preview_form_1200x1600", "职业技能认定申报表.jpg"),
        ("preview_card_800x520", "身份证正面.jpg"),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| {
                let img = load(std::slice::from_ref(&root), &app, name, &rules, 1200).expect("image");
                preview(&img, 1200, 85)
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    review_preview,
    card_reading,
    per_file,
    localisation,
    faces,
    form_writing,
    big_and_many,
    eligibility,
    fixes
);
criterion_main!(benches);
