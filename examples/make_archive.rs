//! Generates an archive of past applications for the batch benchmark:
//! `cargo run --release --example make_archive -- DIR [N]` writes N (200)
//! applications, each a folder or (every third) a zip, holding a 1-inch
//! photo, both ID-card sides and three form photos; every fourth
//! application's forms are 12 MP phone photos (3000×4000), the others
//! 1200×1600. Images are synthetic (tests/support/synth.rs), seeds fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

#[path = "../tests/support/containers.rs"]
mod containers;

use std::path::PathBuf;
use synth::{id_card_back_photo, id_card_photo, jpeg, jpeg_exact, paper_photo, portrait, Portrait};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: make_archive DIR [N]"));
    let n: usize = args.next().map_or(200, |s| s.parse().expect("N"));
    std::fs::create_dir_all(&dir).unwrap();

    // A few variants of each image, reused: generating 12 MP images is the
    // slow part, checking them is what is measured.
    let photos: Vec<Vec<u8>> = (0..4)
        .map(|s| {
            jpeg_exact(
                &portrait(&Portrait {
                    seed: 100 + s,
                    ..Default::default()
                }),
                60_000,
            )
        })
        .collect();
    let fronts: Vec<Vec<u8>> = (0..4)
        .map(|s| jpeg_exact(&id_card_photo(800, 520, 110 + s), 70_000))
        .collect();
    let backs: Vec<Vec<u8>> = (0..4)
        .map(|s| jpeg_exact(&id_card_back_photo(800, 520, 120 + s), 66_000))
        .collect();
    let forms: Vec<Vec<u8>> = (0..6).map(|s| jpeg(&paper_photo(1200, 1600, 130 + s), 75)).collect();
    let big: Vec<Vec<u8>> = (0..3).map(|s| jpeg(&paper_photo(3000, 4000, 140 + s), 85)).collect();
    let (mut files, mut bytes) = (0usize, 0usize);
    for i in 0..n {
        let form = |k: usize| {
            if i % 4 == 0 {
                &big[(i + k) % 3]
            } else {
                &forms[(i + k) % 6]
            }
        };
        let app: Vec<(&str, &Vec<u8>)> = vec![
            ("一寸照.jpg", &photos[i % 4]),
            ("身份证正面.jpg", &fronts[i % 4]),
            ("身份证反面.jpg", &backs[i % 4]),
            ("职业技能认定申报表.jpg", form(0)),
            ("个人工作经历承诺书.jpg", form(1)),
            ("个人诚信承诺书.jpg", form(2)),
        ];
        files += app.len();
        bytes += app.iter().map(|(_, b)| b.len()).sum::<usize>();
        let id = format!("A{i:05}");
        if i % 3 == 2 {
            let entries: Vec<containers::ZipEntry> = app
                .iter()
                .map(|(name, b)| containers::ZipEntry::gbk(name, (*b).clone()))
                .collect();
            std::fs::write(dir.join(format!("{id}.zip")), containers::zip(&entries)).unwrap();
        } else {
            let d = dir.join(&id);
            std::fs::create_dir_all(&d).unwrap();
            for (name, b) in app {
                std::fs::write(d.join(name), b).unwrap();
            }
        }
    }
    println!(
        "{n} applications, {files} files, {} MB in {}",
        bytes / 1_000_000,
        dir.display()
    );
}
