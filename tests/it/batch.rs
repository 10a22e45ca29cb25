//! `prescreen batch` and `prescreen report` through the binary: a real
//! SIGKILL mid-run then `--resume`, shards that add up to the whole run,
//! bad applications that never stop the batch, the CSV and HTML outputs.

use crate::samples::sample;
use prescreen::batch::{from_list, read_manifest, Shard};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_prescreen"));
    c.env_remove("PRESCREEN_RULES");
    c
}

/// An archive of `n` applications (every fifth without its photo, so the
/// verdicts differ), one corrupt zip and one empty folder.
fn archive(root: &Path, n: usize) -> Vec<String> {
    let files = [
        "一寸照.jpg",
        "身份证正面.jpg",
        "身份证反面.jpg",
        "职业技能认定申报表.jpg",
    ];
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| sample(f)).collect();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("A{i:04}");
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir).unwrap();
        for (j, (f, b)) in files.iter().zip(&bytes).enumerate() {
            if j == 0 && i % 5 == 0 {
                continue;
            }
            std::fs::write(dir.join(f), b).unwrap();
        }
        ids.push(id);
    }
    let mut bad = b"PK\x03\x04".to_vec();
    bad.extend_from_slice(&[0xEE; 300]);
    std::fs::write(root.join("B-corrupt.zip"), bad).unwrap();
    std::fs::create_dir(root.join("B-empty")).unwrap();
    ids.push("B-corrupt".into());
    ids.push("B-empty".into());
    ids.sort();
    ids
}

fn results(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn by_id(lines: &[Value]) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    for v in lines {
        let id = v["id"].as_str().unwrap().to_string();
        assert!(m.insert(id.clone(), v.clone()).is_none(), "{id} twice");
    }
    m
}

fn batch(root: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .args(["batch", "--plan", "ecommerce-l2", "--clause", "1", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn sigkill_then_resume_gives_every_application_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let ids = archive(&root, 150);
    let out = dir.path().join("results.jsonl");
    let mut child = bin()
        .args([
            "batch",
            "--plan",
            "ecommerce-l2",
            "--clause",
            "1",
            "--quiet",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(&out)
        .arg(&root)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some lines are out, well before the end.
    let start = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&out).map(|s| s.lines().count()).unwrap_or(0);
        if lines >= 10 || start.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = std::fs::read_to_string(&out).unwrap().lines().count();
    assert!(
        before >= 10 && before < ids.len(),
        "killed after {before} of {}",
        ids.len()
    );
    // A torn last line, as a kill in the middle of a write leaves it.
    let mut f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    std::io::Write::write_all(&mut f, b"{\"id\":\"A01").unwrap();
    drop(f);

    let o = batch(&root, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let got = by_id(&results(&out));
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), ids);
    // The ones without a photo miss it; the complete ones miss only the pledges.
    assert_eq!(got["A0000"]["verdict"], "reject");
    assert!(got["A0000"]["missing"].as_array().unwrap().contains(&"photo".into()));
}

#[test]
fn shards_add_up_to_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let ids = archive(&root, 30);
    let whole = dir.path().join("all.jsonl");
    batch(&root, &whole, &[]);
    let all = by_id(&results(&whole));
    assert_eq!(all.keys().cloned().collect::<Vec<_>>(), ids);
    let mut union = BTreeMap::new();
    for i in 0..3 {
        let out = dir.path().join(format!("shard{i}.jsonl"));
        batch(&root, &out, &["--shard", &format!("{i}/3")]);
        let part = by_id(&results(&out));
        assert!(!part.is_empty(), "shard {i} is empty");
        for (id, v) in part {
            assert!(union.insert(id.clone(), v).is_none(), "{id} in two shards");
        }
    }
    assert_eq!(union, all);
    // `prescreen report` over the shards' files says what it says of the
    // unsharded run's file.
    let summary = |files: &[std::path::PathBuf]| {
        let o = bin().arg("report").args(files).output().unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let shards: Vec<_> = (0..3).map(|i| dir.path().join(format!("shard{i}.jsonl"))).collect();
    let merged = summary(&shards);
    assert!(merged.contains(&format!("{}", ids.len())), "{merged}");
    assert_eq!(merged, summary(&[whole]));
}

#[test]
fn bad_applications_are_reported_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    archive(&root, 3);
    let out = dir.path().join("r.jsonl");
    let csv = dir.path().join("r.csv");
    let html = dir.path().join("r.html");
    let o = bin()
        .args(["batch", "--plan", "ecommerce-l2", "--clause", "1", "--quiet", "--out"])
        .arg(&out)
        .arg("--csv")
        .arg(&csv)
        .arg("--html")
        .arg(&html)
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let got = by_id(&results(&out));
    assert_eq!(got.len(), 5);
    let corrupt = &got["B-corrupt"];
    assert_eq!(corrupt["verdict"], "reject");
    assert_eq!(corrupt["files"][0]["reasons"][0]["code"], "file.corrupt");
    let empty = &got["B-empty"];
    assert_eq!(empty["verdict"], "reject");
    assert!(empty["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "set.empty"));

    let summary = String::from_utf8(o.stdout).unwrap();
    assert!(summary.starts_with("applications 5  passed 0  rejected 5"), "{summary}");
    assert!(summary.contains("set.missing"));
    let csv = std::fs::read_to_string(csv).unwrap();
    // With a byte-order mark by default, for Excel.
    assert!(csv.starts_with("\u{feff}id,verdict,file,slot,code,severity,message\n"));
    assert!(csv.contains("B-corrupt,reject,"));
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("<td>B-corrupt</td>") && html.contains("file.corrupt"));
    // Self-contained: nothing fetched from anywhere.
    for needle in ["http://", "https://", "src=", "href=", "<script"] {
        assert!(!html.contains(needle), "{needle}");
    }

    // `prescreen report` reads the same file to the same summary.
    let o = bin().arg("report").arg(&out).output().unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), summary);
    // --no-bom leaves the mark out, and nothing else changes.
    let plain = dir.path().join("plain.csv");
    bin()
        .arg("report")
        .arg(&out)
        .arg("--no-bom")
        .arg("--csv")
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(format!("\u{feff}{}", std::fs::read_to_string(&plain).unwrap()), csv);
}

#[test]
fn list_manifest_and_shard_parsing() {
    let apps = from_list("# past\n/data/2023/A1.zip\n\n/data/2023/A2\n");
    let ids: Vec<&str> = apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["A1", "A2"]);
    assert_eq!(apps[0].path, PathBuf::from("/data/2023/A1.zip"));
    let m = read_manifest("id,clause\nA1,3\n A2 , 7\n").unwrap();
    assert_eq!((m["A1"], m["A2"]), (3, 7));
    assert!(read_manifest("A1,3\nA2,x\n").is_err());
    assert!("3/3".parse::<Shard>().is_err());
    assert!("1/0".parse::<Shard>().is_err());
    let s: Shard = "1/4".parse().unwrap();
    let taken = (0..1000).filter(|i| s.takes(&format!("A{i}"))).count();
    assert!((200..300).contains(&taken), "{taken}");
}

#[test]
fn manifest_sets_the_clause_per_application() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    archive(&root, 2);
    let manifest = dir.path().join("m.csv");
    std::fs::write(&manifest, "id,clause\nA0001,3\n").unwrap();
    let out = dir.path().join("r.jsonl");
    batch(&root, &out, &["--manifest", manifest.to_str().unwrap()]);
    let got = by_id(&results(&out));
    assert_eq!(got["A0001"]["clause"], 3);
    assert_eq!(got["A0000"]["clause"], 1);
    // Clause 3 needs the training certificate.
    assert!(got["A0001"]["missing"]
        .as_array()
        .unwrap()
        .contains(&"training_certificate".into()));
}

#[test]
fn resume_reads_past_a_garbage_line_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let ids = archive(&root, 6);
    let out = dir.path().join("r.jsonl");
    batch(&root, &out, &[]);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ids.len());
    // Line 3 becomes garbage (a disk error, a hand edit); the lines after it
    // are results that must not be checked again.
    let mut edited = String::new();
    for (i, l) in lines.iter().enumerate() {
        edited += if i == 2 { "not json at all" } else { l };
        edited.push('\n');
    }
    std::fs::write(&out, edited).unwrap();

    let o = batch(&root, &out, &["--resume"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("line 3 is not a result"), "{stderr}");
    let after = std::fs::read_to_string(&out).unwrap();
    let kept: Vec<&str> = after.lines().collect();
    // The garbage line is kept, and only its application is checked again.
    assert_eq!(kept.len(), ids.len() + 1);
    assert_eq!(kept[2], "not json at all");
    let good: Vec<Value> = kept
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(by_id(&good).keys().cloned().collect::<Vec<_>>(), ids);
    assert_eq!(kept[..2], lines[..2]);
    assert_eq!(kept[3..ids.len()], lines[3..]);
}

#[test]
fn a_plan_without_a_clause_is_a_usage_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    archive(&root, 2);
    let out = dir.path().join("r.jsonl");
    let o = bin()
        .args(["batch", "--plan", "ecommerce-l2", "--quiet", "--out"])
        .arg(&out)
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--clause") && err.contains("--manifest"), "{err}");
    assert!(!out.exists());
}

#[test]
fn application_folders_instead_of_the_archive_are_refused_and_the_output_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    archive(&root, 2);
    let out = dir.path().join("r2.jsonl");
    std::fs::write(&out, "{\"id\":\"old\"}\n").unwrap();
    // A0000 holds files, not applications.
    let o = batch(&root.join("A0001"), &out, &["--force"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no applications found") && err.contains("folder that holds them"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"id\":\"old\"}\n");
}

#[test]
fn an_existing_output_needs_resume_or_force() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let ids = archive(&root, 2);
    let out = dir.path().join("r.jsonl");
    assert_eq!(batch(&root, &out, &[]).status.code(), Some(1));
    let first = std::fs::read_to_string(&out).unwrap();
    let o = batch(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first, "never truncated");
    assert_eq!(batch(&root, &out, &["--force"]).status.code(), Some(1));
    assert_eq!(by_id(&results(&out)).keys().cloned().collect::<Vec<_>>(), ids);
}

#[test]
fn manifest_ids_without_an_application_are_named_and_unlisted_ones_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    archive(&root, 2);
    let manifest = dir.path().join("m.csv");
    std::fs::write(&manifest, "id,clause\nA0001,1\nA9999,2\n").unwrap();
    let out = dir.path().join("r.jsonl");
    let o = bin()
        .args(["batch", "--plan", "ecommerce-l2", "--quiet", "--out"])
        .arg(&out)
        .args(["--manifest", manifest.to_str().unwrap()])
        .arg(&root)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("A9999"), "{err}");
    let got = by_id(&results(&out));
    assert_eq!(got["A0001"]["clause"], 1);
    // A0000 is not in the manifest and there is no --clause.
    let a0 = &got["A0000"];
    assert_eq!(a0["verdict"], "reject");
    assert_eq!(a0["plan"], "ecommerce-l2");
    assert!(
        a0["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "set.no_clause"),
        "{a0}"
    );
}
