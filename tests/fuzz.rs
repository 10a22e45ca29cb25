//! Fuzzing on stable Rust: a mutation loop over the targets of
//! `fuzz/targets.rs` (the same ones cargo-fuzz runs), seeded with small
//! generated files and the bundled samples.
//!
//! - `every_saved_finding_stays_fixed` replays `fuzz/regressions/<target>/*`,
//!   every input that ever crashed or hung a target.
//! - `fuzz_<target>` runs one target for `PRESCREEN_FUZZ_SECS` seconds
//!   (default 10, so CI spends about a minute here on 2 cores), and
//!   `PRESCREEN_FUZZ_EXECS` caps the executions. Longer by hand:
//!   `PRESCREEN_FUZZ_SECS=3600 cargo test --release --test fuzz fuzz_pdf`.
//!
//! A mutant is kept when its outcome's signature is new. A panic fails the
//! test and saves the input to `fuzz/regressions/<target>/`; so does an input
//! slower than `SLOW`, and a watchdog saves the input and aborts the process
//! when one runs longer than `HANG`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/targets.rs"]
mod targets;

#[path = "support/containers.rs"]
mod containers;

#[path = "support/samples.rs"]
mod samples;

#[path = "support/synth.rs"]
mod synth;

use containers::{PdfPage, ZipEntry};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use targets::{target, Target, BOUNDARY, TARGETS};

/// An input slower than this is a finding (the server's budget is 30 s, the
/// rulebook's time budget per file 10 s; a fuzz input is at most 256 KB).
const SLOW: Duration = Duration::from_secs(5);
/// An input running longer than this is a hang: saved, then abort.
const HANG: Duration = Duration::from_secs(60);
/// Mutants grow to at most this many bytes.
const MAX_LEN: usize = 256 * 1024;
/// Kept inputs per target, beyond the seeds.
const MAX_CORPUS: usize = 4096;

fn regressions(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(name)
}

fn env_u64(key: &str) -> Option<u64> {
    std::env::var(key).ok().and_then(|v| v.parse().ok())
}

/// A small JPEG of generated noise, `w` × `h`.
fn tiny_jpeg(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let img = image::RgbImage::from_fn(w, h, |_, _| image::Rgb([rng.random(), rng.random(), rng.random()]));
    synth::jpeg(&img, 80)
}

/// A progressive frame with a few DC scans, written by hand (the `image`
/// crate writes baseline only).
fn progressive(w: u16, h: u16, scans: usize) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00];
    j.extend(std::iter::repeat_n(1u8, 64));
    j.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x11, 0x08]);
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]);
    j.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01]);
    j.extend(std::iter::repeat_n(0u8, 15));
    j.push(0x00);
    for _ in 0..scans {
        j.extend_from_slice(&[
            0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
        ]);
        j.extend_from_slice(&[0x00, 0x00]);
    }
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn jpeg_seeds() -> Vec<Vec<u8>> {
    vec![
        tiny_jpeg(16, 12, 1),
        synth::with_exif(tiny_jpeg(24, 16, 2), 6, Some("Meitu")),
        synth::with_exif(tiny_jpeg(8, 8, 3), 3, Some("美图秀秀")),
        progressive(64, 48, 3),
        synth::with_segment(tiny_jpeg(12, 12, 9), synth::damaged_exif_segment(Some("BeautyCam"))),
        synth::with_segment(tiny_jpeg(12, 12, 10), synth::xmp_segment("Meitu 9.6.5")),
        samples::sample("一寸照.jpg"),
    ]
}

fn pdf_seeds() -> Vec<Vec<u8>> {
    let page = |seed| PdfPage::Jpeg {
        width: 32,
        height: 24,
        bytes: tiny_jpeg(32, 24, seed),
    };
    vec![
        containers::pdf(&[page(4)], 0),
        containers::pdf(&[page(5), PdfPage::Text("本人承诺".into())], 90),
        containers::pdf(&[PdfPage::Text("hello".into())], 0),
    ]
}

fn zip_seeds() -> Vec<Vec<u8>> {
    vec![
        containers::zip(&[
            ZipEntry::stored("一寸照.jpg", tiny_jpeg(16, 16, 6)),
            ZipEntry::deflated("申报表.pdf", pdf_seeds().remove(0)),
        ]),
        containers::zip(&[
            ZipEntry::gbk("身份证正面.jpg", tiny_jpeg(16, 16, 7)),
            ZipEntry::deflated("dir/a.jpg", vec![0; 4096]),
            ZipEntry::stored("dir/a.jpg", vec![1; 16]),
        ]),
    ]
}

fn multipart_body(parts: &[(&str, Option<&str>, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\r\n").as_bytes(),
            ),
            None => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes())
            }
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_seeds() -> Vec<Vec<u8>> {
    vec![
        multipart_body(&[
            ("plan", None, b"ecommerce-l2".to_vec()),
            ("clause", None, b"1".to_vec()),
            ("photo", Some("一寸照.jpg"), tiny_jpeg(16, 20, 8)),
            ("file", Some("申报表.pdf"), pdf_seeds().remove(0)),
        ]),
        multipart_body(&[("file", Some("a.zip"), zip_seeds().remove(0))]),
    ]
}

fn check_seeds() -> Vec<Vec<u8>> {
    let mut files = jpeg_seeds();
    files.extend(pdf_seeds());
    files.extend(zip_seeds());
    files.push(samples::sample("身份证正面.jpg"));
    let mut seeds = Vec::new();
    for (i, f) in files.into_iter().enumerate() {
        for slot in [0u8, 1, 2, 4] {
            let mut s = vec![slot.wrapping_add(i as u8 * 7)];
            s.extend_from_slice(&f);
            seeds.push(s);
        }
    }
    seeds
}

fn seeds(name: &str) -> Vec<Vec<u8>> {
    match name {
        "jpeg" | "exif" => jpeg_seeds(),
        "pdf" => pdf_seeds(),
        "zip" => zip_seeds(),
        "multipart" => multipart_seeds(),
        "check" => check_seeds(),
        other => panic!("no seeds for {other}"),
    }
}

/// Tokens worth inserting whole: markers and keywords of the formats.
const TOKENS: &[&[u8]] = &[
    b"\xFF\xD8",
    b"\xFF\xD9",
    b"\xFF\xDA\x00\x08",
    b"\xFF\xC0\x00\x11\x08",
    b"\xFF\xC2\x00\x11\x08",
    b"\xFF\xC4",
    b"\xFF\xDB\x00\x43\x00",
    b"\xFF\xE1\x00\x40Exif\x00\x00II*\x00\x08\x00\x00\x00",
    b"MM\x00*\x00\x00\x00\x08",
    b"%PDF-1.7\n",
    b" 0 obj\n",
    b"endobj\n",
    b"stream\n",
    b"endstream\n",
    b"/Filter /FlateDecode",
    b"/Filter /DCTDecode",
    b"/Type /Pages /Kids [",
    b" 0 R",
    b"trailer\n<< /Root 1 0 R >>",
    b"xref\n0 1\n",
    b"/Encrypt",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"../../evil.jpg",
    b"\r\n--fuzzBOUNDARY\r\n",
    b"Content-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\n",
    b"Content-Disposition: form-data; name=\"clause\"\r\n\r\n",
];

const INTERESTING: &[u32] = &[
    0,
    1,
    2,
    7,
    8,
    16,
    64,
    127,
    128,
    255,
    256,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0xFFFF_FFFF,
];

/// One to four random edits of a corpus input, sometimes spliced with another.
fn mutate(rng: &mut ChaCha8Rng, corpus: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&corpus[rng.random_range(0..corpus.len())]);
    let edits = 1 + rng.random_range(0..4u32).min(rng.random_range(0..4u32));
    for _ in 0..edits {
        let len = out.len();
        let at = if len == 0 { 0 } else { rng.random_range(0..len) };
        match rng.random_range(0..11u32) {
            0 if len > 0 => out[at] ^= 1 << rng.random_range(0..8),
            1 if len > 0 => out[at] = rng.random(),
            2 if len > 0 => out[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xD8, 0xD9, 0xDA, 0xC2][rng.random_range(0..9)],
            3 if len >= 4 => {
                let v = INTERESTING[rng.random_range(0..INTERESTING.len())];
                let at = at.min(len - 4);
                let bytes = match rng.random_range(0..4u32) {
                    0 => (v as u16).to_be_bytes().to_vec(),
                    1 => (v as u16).to_le_bytes().to_vec(),
                    2 => v.to_be_bytes().to_vec(),
                    _ => v.to_le_bytes().to_vec(),
                };
                out[at..at + bytes.len()].copy_from_slice(&bytes);
            }
            4 if len > 1 => {
                let most = if rng.random_bool(0.9) { 16 } else { 4096 };
                let n = rng.random_range(1..=len.min(most));
                let at = at.min(len - n);
                out.drain(at..at + n);
            }
            5 => {
                let n = rng.random_range(1..=32);
                let byte: u8 = rng.random();
                let fill: Vec<u8> = if rng.random_bool(0.5) {
                    vec![byte; n]
                } else {
                    (0..n).map(|_| rng.random()).collect()
                };
                out.splice(at..at, fill);
            }
            6 if len > 1 => {
                let n = rng.random_range(1..=len.min(512));
                let from = rng.random_range(0..=len - n);
                let chunk = out[from..from + n].to_vec();
                out.splice(at..at, chunk);
            }
            7 => {
                let other = &corpus[rng.random_range(0..corpus.len())];
                if !other.is_empty() {
                    let from = rng.random_range(0..other.len());
                    out.truncate(at);
                    out.extend_from_slice(&other[from..]);
                }
            }
            8 if len > 0 => out.truncate(at),
            9 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                if rng.random_bool(0.5) || len < token.len() {
                    out.splice(at..at, token.iter().copied());
                } else {
                    let at = at.min(len - token.len());
                    out[at..at + token.len()].copy_from_slice(token);
                }
            }
            _ if len > 0 => {
                // Repeat one byte's neighbourhood: long runs of markers, scans.
                let n = rng.random_range(1..=8usize).min(len - at);
                let chunk = out[at..at + n].to_vec();
                let times = rng.random_range(2..=64);
                out.splice(at..at, chunk.repeat(times));
            }
            _ => out.push(rng.random()),
        }
    }
    out.truncate(MAX_LEN);
}

fn save_finding(name: &str, kind: &str, input: &[u8]) -> PathBuf {
    let dir = regressions(name);
    std::fs::create_dir_all(&dir).unwrap();
    // FNV-1a: a stable name for the same input.
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{kind}-{hash:016x}"));
    std::fs::write(&path, input).unwrap();
    path
}

/// What a run did.
struct Stats {
    execs: u64,
    corpus: usize,
    signatures: usize,
    slowest: Duration,
    findings: Vec<PathBuf>,
}

/// Mutates and runs `t` until `time` is up or `max_execs` ran.
fn fuzz(t: &Target, seed: u64, time: Duration, max_execs: u64) -> Stats {
    let mut corpus = seeds(t.name);
    let mut seen = HashSet::new();
    for s in &corpus {
        seen.insert((t.run)(s));
    }
    let current = Arc::new(RwLock::new(Vec::new()));
    let started_ms = Arc::new(AtomicU64::new(u64::MAX));
    let done = Arc::new(AtomicBool::new(false));
    let epoch = Instant::now();
    let watchdog = {
        let (current, started_ms, done, name) = (current.clone(), started_ms.clone(), done.clone(), t.name);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let since = started_ms.load(Ordering::Relaxed);
                let now = epoch.elapsed().as_millis() as u64;
                if since != u64::MAX && now.saturating_sub(since) > HANG.as_millis() as u64 {
                    let path = save_finding(name, "hang", &current.read().unwrap());
                    eprintln!("fuzz {name}: an input ran over {HANG:?}; saved as {}", path.display());
                    std::process::abort();
                }
            }
        })
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut next = Vec::new();
    let mut stats = Stats {
        execs: 0,
        corpus: 0,
        signatures: 0,
        slowest: Duration::ZERO,
        findings: Vec::new(),
    };
    let start = Instant::now();
    let mut shown = Instant::now();
    while stats.execs < max_execs && start.elapsed() < time && stats.findings.len() < 5 {
        // Long runs by hand say how far they are, once a minute.
        if shown.elapsed() > Duration::from_secs(60) {
            shown = Instant::now();
            eprintln!(
                "fuzz {}: {} executions in {:.0} s, {} kept",
                t.name,
                stats.execs,
                start.elapsed().as_secs_f64(),
                corpus.len()
            );
        }
        mutate(&mut rng, &corpus, &mut next);
        std::mem::swap(&mut *current.write().unwrap(), &mut next);
        let input = current.read().unwrap();
        started_ms.store(epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        let t0 = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (t.run)(&input)));
        let took = t0.elapsed();
        started_ms.store(u64::MAX, Ordering::Relaxed);
        stats.execs += 1;
        stats.slowest = stats.slowest.max(took);
        match outcome {
            Err(_) => stats.findings.push(save_finding(t.name, "crash", &input)),
            Ok(_) if took > SLOW => stats.findings.push(save_finding(t.name, "slow", &input)),
            Ok(sig) => {
                if corpus.len() < MAX_CORPUS && seen.insert(sig) {
                    corpus.push(input.clone());
                }
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().unwrap();
    stats.corpus = corpus.len();
    stats.signatures = seen.len();
    stats
}

/// Runs `name` for the configured time and fails on any finding.
fn run(name: &str) {
    let t = target(name);
    let secs = env_u64("PRESCREEN_FUZZ_SECS").unwrap_or(10);
    let max_execs = env_u64("PRESCREEN_FUZZ_EXECS").unwrap_or(u64::MAX);
    let seed = env_u64("PRESCREEN_FUZZ_SEED").unwrap_or(0x5eed);
    // A caught panic (lopdf's, inside the PDF reader's guard) is not a finding;
    // keep the log quiet and let an escaping panic speak through catch_unwind.
    let stats = fuzz(t, seed, Duration::from_secs(secs), max_execs);
    eprintln!(
        "fuzz {name}: {} executions, {} kept inputs, {} outcomes, slowest {:?}, {} findings",
        stats.execs,
        stats.corpus,
        stats.signatures,
        stats.slowest,
        stats.findings.len()
    );
    assert!(
        stats.findings.is_empty(),
        "fuzz {name} found inputs that crash or hang: {:?}",
        stats.findings
    );
}

#[test]
fn fuzz_jpeg() {
    run("jpeg");
}

#[test]
fn fuzz_exif() {
    run("exif");
}

#[test]
fn fuzz_pdf() {
    run("pdf");
}

#[test]
fn fuzz_zip() {
    run("zip");
}

#[test]
fn fuzz_multipart() {
    run("multipart");
}

#[test]
fn fuzz_check() {
    run("check");
}

#[test]
fn every_saved_finding_stays_fixed() {
    let mut replayed = 0;
    for t in TARGETS {
        let Ok(dir) = std::fs::read_dir(regressions(t.name)) else {
            continue;
        };
        for entry in dir {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            let t0 = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| (t.run)(&input)));
            assert!(outcome.is_ok(), "{} panics again", path.display());
            assert!(
                t0.elapsed() < SLOW,
                "{} is slow again: {:?}",
                path.display(),
                t0.elapsed()
            );
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} saved findings");
}

/// Writes every target's seeds to `fuzz/corpus/<target>/` for cargo-fuzz:
/// `cargo test --test fuzz -- --ignored write_seed_corpus`.
#[test]
#[ignore]
fn write_seed_corpus() {
    for t in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(t.name);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, s) in seeds(t.name).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), s).unwrap();
        }
    }
}
