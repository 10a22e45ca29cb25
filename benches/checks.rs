//! Per-file check cost on the images of the bundled sample: the 1-inch
//! photo (295 × 413, 61 234 bytes), an ID-card photo (800 × 520, 72 000
//! bytes) and a 1200 × 1600 form photo. Medians go in the README.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use prescreen::{check_file, Rules};
use std::hint::black_box;
use std::path::Path;

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sample-application")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn per_file(c: &mut Criterion) {
    let rules = Rules::builtin().expect("rulebook");
    let mut group = c.benchmark_group("check_file");
    for (label, name, slot) in [
        ("photo_295x413_61KB", "一寸照.jpg", "photo"),
        ("id_card_800x520_72KB", "身份证正面.jpg", "id_card_front"),
        ("form_1200x1600_418KB", "职业技能认定申报表.jpg", "application_form"),
    ] {
        let bytes = sample(name);
        let slot = rules.slot(slot);
        group.bench_function(label, |b| b.iter(|| check_file(black_box(&bytes), name, slot, &rules)));
    }
    group.finish();
}

criterion_group!(benches, per_file);
criterion_main!(benches);
