//! `prescreen fix`: camera-size portraits (4:3, 16:9, turned by EXIF),
//! studio files, PNG / WebP (and HEIC with the `heic` feature), phone photos
//! of ID cards and forms all come out as files the check passes, inside the
//! byte window, the face inside its limits; what a fix cannot honestly
//! mend (blue background, two faces, blur, too few pixels) is refused with
//! the check's reason and no file. The CLI and the API give the same bytes.

use crate::common::rules;
use crate::synth::*;
use image::RgbImage;
use prescreen::fix::{fix, Fixed};
use prescreen::{Code, Lang, Verdict};
use serde_json::Value;

fn run(bytes: &[u8], slot: &str) -> Fixed {
    fix(bytes, "fixed.jpg", rules().slot(slot).unwrap(), rules(), Lang::Zh)
}

/// The 1-inch composite (the astronaut's head) at `w` wide, standing at the
/// bottom of a white `cw` × `ch` camera frame: a person photographed
/// against a white wall with room all round.
fn camera_portrait(cw: u32, ch: u32, w: u32, seed: u64) -> RgbImage {
    let h = w * 1400 / 1000;
    let person = portrait(&Portrait {
        width: w,
        height: h,
        seed,
        ..Default::default()
    });
    let mut frame = RgbImage::from_pixel(cw, ch, image::Rgb(WHITE));
    image::imageops::overlay(&mut frame, &person, i64::from((cw - w) / 2), i64::from(ch - h));
    frame
}

fn assert_fixed(f: &Fixed, what: &str) -> Vec<u8> {
    let file = &f.report.files[0];
    let jpeg = f
        .jpeg
        .clone()
        .unwrap_or_else(|| panic!("{what}: refused: {:?} {:?}", file.reasons, file.measurements));
    assert_eq!(file.verdict, Verdict::Pass, "{what}");
    assert!(
        !file.reasons.iter().any(|r| r.severity == prescreen::Severity::Reject),
        "{what}: {:?}",
        file.reasons
    );
    assert_eq!(file.measurements["bytes"].as_u64(), Some(jpeg.len() as u64));
    // And checked again from scratch, as an upload.
    let again = crate::common::check(&jpeg, file.slot.as_deref().unwrap());
    assert_eq!(again.verdict, Verdict::Pass, "{what}: {:?}", again.reasons);
    jpeg
}

fn assert_in_window(jpeg: &[u8]) {
    assert!((40_960..=80_000).contains(&jpeg.len()), "{} bytes", jpeg.len());
}

fn face_geometry(f: &Fixed) -> (f64, f64, f64) {
    let m = &f.report.files[0].measurements;
    let get = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{k}: {m:?}"));
    (
        get("face_width_fraction"),
        get("face_top_fraction"),
        get("face_centre_offset"),
    )
}

#[test]
fn camera_portraits_become_passing_1_inch_photos() {
    let face = &rules().photo().face;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("4:3 12 MP", jpeg(&camera_portrait(3000, 4000, 1200, 1), 90)),
        ("16:9", jpeg(&camera_portrait(2160, 3840, 1000, 2), 90)),
        (
            "4:3 turned by EXIF",
            with_exif(
                jpeg(&image::imageops::rotate270(&camera_portrait(3000, 4000, 1100, 3)), 88),
                6,
                None,
            ),
        ),
    ];
    for (what, bytes) in &cases {
        assert!(
            bytes.len() > 300_000,
            "{what}: a camera-size file ({} bytes)",
            bytes.len()
        );
        let f = run(bytes, "photo");
        let jpeg = assert_fixed(&f, what);
        assert_in_window(&jpeg);
        let m = &f.report.files[0].measurements;
        assert_eq!(
            (m["width"].as_u64(), m["height"].as_u64()),
            (Some(413), Some(578)),
            "{what}"
        );
        assert!(m["fix_encodes"].as_u64().unwrap() <= 5, "{what}: {m:?}");
        let (width, top, offset) = face_geometry(&f);
        assert!((face.width_min..=face.width_max).contains(&width), "{what}: {width}");
        assert!((face.top_min..=face.top_max).contains(&top), "{what}: {top}");
        assert!(offset.abs() <= face.max_centre_offset, "{what}: {offset}");
    }
}

/// A studio's file: the right photo, but 150-600 KB and larger than needed;
/// and the same as PNG and WebP.
#[test]
fn studio_files_and_other_formats_are_brought_into_the_window() {
    let studio = portrait(&Portrait {
        width: 826,
        height: 1156,
        seed: 5,
        ..Default::default()
    });
    let big = jpeg(&studio, 97);
    assert!((150_000..=600_000).contains(&big.len()), "{} bytes", big.len());
    assert_in_window(&assert_fixed(&run(&big, "photo"), "studio JPEG"));
    let mut png = Vec::new();
    studio
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert_in_window(&assert_fixed(&run(&png, "photo"), "PNG"));
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(
            studio.as_raw(),
            studio.width(),
            studio.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    assert_in_window(&assert_fixed(&run(&webp, "photo"), "WebP"));
    // And a camera-size photo in each format.
    let camera = camera_portrait(1500, 2000, 620, 11);
    for (what, bytes) in [("camera PNG", png_of(&camera)), ("camera WebP", webp_of(&camera))] {
        let f = run(&bytes, "photo");
        assert_in_window(&assert_fixed(&f, what));
    }
    // The check itself still says the PNG is not a JPEG, and that fix converts it.
    let checked = crate::common::check(&png, "photo");
    assert!(checked.has(Code::FileNotJpeg));
}

fn png_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn webp_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

#[cfg(feature = "heic")]
#[test]
fn heic_portraits_are_converted() {
    use libheif_rs::{Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, Image, LibHeif, RgbChroma};
    let heic_of = |src: &RgbImage| {
        let (w, h) = src.dimensions();
        let mut img = Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb)).unwrap();
        img.create_plane(Channel::Interleaved, w, h, 8).unwrap();
        {
            let planes = img.planes_mut();
            let p = planes.interleaved.unwrap();
            let row = w as usize * 3;
            for y in 0..h as usize {
                p.data[y * p.stride..y * p.stride + row].copy_from_slice(&src.as_raw()[y * row..(y + 1) * row]);
            }
        }
        let lib = LibHeif::new();
        let mut ctx = HeifContext::new().unwrap();
        let mut enc = lib.encoder_for_format(CompressionFormat::Hevc).unwrap();
        enc.set_quality(EncoderQuality::Lossy(85)).unwrap();
        ctx.encode_image(&img, &mut enc, None).unwrap();
        ctx.write_to_bytes().unwrap()
    };
    let studio = portrait(&Portrait {
        width: 826,
        height: 1156,
        seed: 6,
        ..Default::default()
    });
    for (what, src) in [
        ("studio HEIC", studio),
        ("camera HEIC", camera_portrait(1500, 2000, 620, 12)),
    ] {
        let heic = heic_of(&src);
        assert_eq!(prescreen::format::sniff(&heic), prescreen::format::Format::Heic);
        assert_in_window(&assert_fixed(&run(&heic, "photo"), what));
    }
}

#[cfg(not(feature = "heic"))]
#[test]
fn heic_without_the_feature_is_refused_with_a_reason() {
    // An ftyp box of brand heic: the sniffed format, no decoder here.
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.resize(4096, 0);
    let f = run(&heic, "photo");
    assert!(f.jpeg.is_none());
    assert!(
        f.report.files[0].has(Code::FileUnsupportedType),
        "{:?}",
        f.report.files[0].reasons
    );
}

#[test]
fn a_phone_photo_of_an_id_card_is_cropped_to_the_card_and_its_surround() {
    for (slot, img) in [
        ("id_card_front", id_card_photo(4000, 3000, 7)),
        ("id_card_back", id_card_back_photo(4000, 3000, 8)),
    ] {
        // At quality 100 the mock card's 12 MP make a 3 MB file, as a
        // phone's do.
        let bytes = jpeg(&img, 100);
        assert!(bytes.len() > 3_000_000, "{} bytes", bytes.len());
        let f = run(&bytes, slot);
        let jpeg = assert_fixed(&f, slot);
        assert_in_window(&jpeg);
        let m = &f.report.files[0].measurements;
        assert_eq!(m["fix_crop"]["card_found"], true, "{m:?}");
        assert!(m["width"].as_u64().unwrap() <= 1000, "{m:?}");
    }
}

#[test]
fn a_12_mp_form_photo_and_a_png_form_are_made_jpeg_under_the_cap() {
    let upright = doc_scene(&DocScene {
        width: 3000,
        height: 4000,
        angle: 2.0,
        seed: 4,
        form: FormPage::filled(Layout::Application, BLACK_PEN),
        ..Default::default()
    });
    let f = run(&jpeg(&upright, 95), "application_form");
    let jpeg_bytes = assert_fixed(&f, "12 MP form");
    assert!(jpeg_bytes.len() <= 10_000_000);
    let m = &f.report.files[0].measurements;
    assert!(
        m["width"].as_u64().unwrap().max(m["height"].as_u64().unwrap()) <= 2400,
        "{m:?}"
    );
    let mut png = Vec::new();
    image::imageops::resize(&upright, 1500, 2000, image::imageops::FilterType::Triangle)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert_fixed(&run(&png, "application_form"), "PNG form");
}

#[test]
fn what_a_fix_cannot_mend_is_refused_with_the_checks_reason_and_no_file() {
    let blue = camera_like(&Portrait {
        background: ID_BLUE,
        ..Default::default()
    });
    let blurry = camera_like(&Portrait {
        blur: 4.0,
        ..Default::default()
    });
    let two: Vec<u8> = include_bytes!("../data/solvay-group.jpg").to_vec();
    let tiny = jpeg(
        &portrait(&Portrait {
            width: 200,
            height: 280,
            ..Default::default()
        }),
        92,
    );
    for (what, bytes, code) in [
        ("blue background", blue, Code::PhotoBackgroundNotWhite),
        ("blurry", blurry, Code::PhotoBlurry),
        ("a group", two, Code::PhotoMultipleFaces),
        ("200 x 280", tiny, Code::PhotoResolutionTooLow),
    ] {
        let f = run(&bytes, "photo");
        assert!(f.jpeg.is_none(), "{what}: a file was returned");
        let file = &f.report.files[0];
        assert_eq!(f.report.verdict, Verdict::Reject);
        assert!(file.has(code), "{what}: {:?} {:?}", file.reasons, file.measurements);
        assert_eq!(file.measurements["fix_returned"], false);
        assert!(file.reasons.iter().all(|r| !r.message.is_empty()));
    }
}

/// A 1-inch composite drawn large (826 wide) on its own background, the
/// way a camera would see the same person.
fn camera_like(p: &Portrait) -> Vec<u8> {
    jpeg(
        &portrait(&Portrait {
            width: 826,
            height: 1156,
            ..*p
        }),
        92,
    )
}

#[test]
fn the_cli_writes_only_a_passing_file_and_the_api_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("selfie.jpg");
    std::fs::write(&input, jpeg(&camera_portrait(1500, 2000, 700, 9), 90)).unwrap();
    let output = dir.path().join("一寸照.jpg");
    let cli = |inp: &std::path::Path, out: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_prescreen"))
            .args(["fix", "--slot", "photo", "-o"])
            .arg(out)
            .arg(inp)
            .env_remove("PRESCREEN_RULES")
            .output()
            .unwrap()
    };
    let out = cli(&input, &output);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "pass");
    let written = std::fs::read(&output).unwrap();
    assert_in_window(&written);

    // The same file through POST /v1/fix/photo: the same bytes, the report
    // in the header.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, headers, body) = rt.block_on(async {
        use tower::ServiceExt;
        let app = prescreen::server::router(
            std::sync::Arc::new(prescreen::Rules::builtin().unwrap()),
            prescreen::server::Config::new(rules(), 2),
        );
        let req = axum::http::Request::post("/v1/fix/photo")
            .body(axum::body::Body::from(std::fs::read(&input).unwrap()))
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, headers, body.to_vec())
    });
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(body, written, "the API and the CLI made different files");
    let header_report: Value = serde_json::from_str(headers["x-prescreen-report"].to_str().unwrap()).unwrap();
    assert_eq!(header_report["verdict"], "pass");

    // Refused: exit 1, nothing written; the API answers 422 with the reasons.
    let blue = dir.path().join("blue.jpg");
    std::fs::write(
        &blue,
        camera_like(&Portrait {
            background: ID_BLUE,
            ..Default::default()
        }),
    )
    .unwrap();
    let none = dir.path().join("none.jpg");
    let out = cli(&blue, &none);
    assert_eq!(out.status.code(), Some(1));
    assert!(!none.exists());
    let (status, body) = rt.block_on(async {
        use tower::ServiceExt;
        let app = prescreen::server::router(
            std::sync::Arc::new(prescreen::Rules::builtin().unwrap()),
            prescreen::server::Config::new(rules(), 2),
        );
        let req = axum::http::Request::post("/v1/fix/photo")
            .body(axum::body::Body::from(std::fs::read(&blue).unwrap()))
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, body.to_vec())
    });
    assert_eq!(status, 422);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["files"][0]["reasons"][0]["code"], "photo.background_not_white", "{v}");
}

/// The fixed photo's face geometry over many camera photos (sizes, head
/// sizes and frame shapes set by seed): every one inside the limits; the
/// distributions printed (`--nocapture`) for the README.
#[test]
fn face_placement_over_many_camera_photos() {
    let face = &rules().photo().face;
    let mut widths = Vec::new();
    let mut tops = Vec::new();
    let mut offsets = Vec::new();
    let mut bottoms = Vec::new();
    for seed in 0..12u32 {
        let (cw, ch) = if seed % 3 == 2 {
            (1800, 3200)
        } else {
            (1500 + 150 * seed, 2000 + 200 * seed)
        };
        let person = (cw as f32 * (0.30 + 0.03 * (seed % 5) as f32)) as u32;
        let bytes = jpeg(&camera_portrait(cw, ch, person, u64::from(seed) + 20), 88);
        let f = run(&bytes, "photo");
        assert_fixed(&f, &format!("seed {seed}"));
        let (w, t, o) = face_geometry(&f);
        assert!((face.width_min..=face.width_max).contains(&w), "seed {seed}: {w}");
        assert!((face.top_min..=face.top_max).contains(&t), "seed {seed}: {t}");
        assert!(o.abs() <= face.max_centre_offset, "seed {seed}: {o}");
        widths.push(w);
        tops.push(t);
        offsets.push(o);
        bottoms.push(f.report.files[0].measurements["face_bottom_fraction"].as_f64().unwrap());
    }
    let spread = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        format!("{:.3} / {:.3} / {:.3}", v[0], v[v.len() / 2], v[v.len() - 1])
    };
    println!(
        "fixed photos (n = 12): face width {} (limits {}-{}), top {} ({}-{}), centre offset {} (±{}), bottom {} (≤ {})",
        spread(&mut widths),
        face.width_min,
        face.width_max,
        spread(&mut tops),
        face.top_min,
        face.top_max,
        spread(&mut offsets),
        face.max_centre_offset,
        spread(&mut bottoms),
        face.bottom_max
    );
}

/// Probe (`--ignored --nocapture`): the fix on camera photos of families
/// its geometry was not chosen on (the sample photo decided face_width and
/// face_top): warm and shaded white walls, dimmer and brighter light, the
/// head larger, smaller or off the person's centre, the person off the
/// frame's centre. Prints passes per family.
#[test]
#[ignore]
fn probe_fix_on_unseen_families() {
    type Family = (&'static str, [u8; 3], f32, f32, f32, f32);
    let families: [Family; 8] = [
        ("warm white wall", WARM_WHITE, 1.0, 1.0, 0.0, 0.5),
        ("shaded white wall", SHADED_WHITE, 1.0, 1.0, 0.0, 0.5),
        ("dim light (gain 0.85)", WHITE, 0.85, 1.0, 0.0, 0.5),
        ("bright light (gain 1.08)", WHITE, 1.08, 1.0, 0.0, 0.5),
        ("larger head (1.15)", WHITE, 1.0, 1.15, 0.0, 0.5),
        ("smaller head (0.85)", WHITE, 1.0, 0.85, 0.0, 0.5),
        ("head off centre (+0.06)", WHITE, 1.0, 1.0, 0.06, 0.5),
        ("person at a third of the frame", WHITE, 1.0, 1.0, 0.0, 0.33),
    ];
    for (name, wall, gain, head, dx, at) in families {
        let mut passed = 0;
        let mut why = std::collections::BTreeMap::<String, u32>::new();
        for seed in 0..6u64 {
            let (cw, ch) = (2000 + 200 * seed as u32, 2700 + 250 * seed as u32);
            let w = (cw as f32 * 0.4) as u32;
            let h = w * 1400 / 1000;
            let person = portrait(&Portrait {
                width: w,
                height: h,
                background: wall,
                gain,
                head_scale: head,
                head_dx: dx,
                seed: 100 + seed,
                ..Default::default()
            });
            let mut frame =
                RgbImage::from_pixel(cw, ch, image::Rgb(wall.map(|c| (f32::from(c) * gain).min(255.0) as u8)));
            let x = ((cw as f32 * at) - w as f32 / 2.0).max(0.0) as i64;
            image::imageops::overlay(&mut frame, &person, x, i64::from(ch - h));
            let f = run(&jpeg(&frame, 88), "photo");
            if f.jpeg.is_some() {
                passed += 1;
            } else {
                for r in &f.report.files[0].reasons {
                    *why.entry(r.code.to_string()).or_default() += 1;
                }
            }
        }
        println!("{name}: {passed}/6 fixed; refused with {why:?}");
    }
}
