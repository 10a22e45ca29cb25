//! Writes the uploads of the server's memory test (`benches/memory.sh`):
//! `cargo run --release --example make_load_files -- DIR` writes
//! `form-10mb.jpg`, a 4000×3000 photo of paper padded with comment
//! segments to just under the 10 MB limit of a form (two of them make a
//! 20 MB upload), and `application-20mb.zip`, three such photos stored (not
//! deflated) in a zip of just under the 20 MB file limit. Synthetic images,
//! fixed seeds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

#[path = "../tests/support/containers.rs"]
mod containers;

use containers::ZipEntry;
use std::path::PathBuf;
use synth::{jpeg, pad_to, paper_photo};

/// Just under the 20 MB (20 000 000 byte) file limit.
const SIZE: usize = 19_900_000;
/// Just under a form's 10 MB limit.
const FORM: usize = 9_900_000;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: make_load_files DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let photo = jpeg(&paper_photo(4000, 3000, 41), 95);
    std::fs::write(dir.join("form-10mb.jpg"), pad_to(photo.clone(), FORM)).unwrap();
    let names = ["职业技能认定申报表.jpg", "个人工作经历承诺书.jpg", "个人诚信承诺书.jpg"];
    let per = SIZE / names.len() - 1000;
    let entries: Vec<ZipEntry> = names
        .iter()
        .map(|n| ZipEntry::stored(n, pad_to(photo.clone(), per)))
        .collect();
    std::fs::write(dir.join("application-20mb.zip"), containers::zip(&entries)).unwrap();
    eprintln!("wrote {}", dir.display());
}
