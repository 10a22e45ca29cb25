//! The `prescreen` binary as a user runs it: exit codes, JSON and text
//! output, the golden reports of the bundled samples, usage errors.
//! `UPDATE_GOLDEN=1 cargo test` rewrites `tests/golden/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn prescreen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prescreen"))
        .args(args)
        .current_dir(root())
        .env_remove("PRESCREEN_RULES")
        .output()
        .expect("run prescreen")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with the golden file, or rewrites it under UPDATE_GOLDEN.
fn golden(name: &str, actual: &str) {
    let path: PathBuf = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(
        actual, want,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)"
    );
}

#[test]
fn sample_application_passes_and_matches_golden() {
    let o = prescreen(&[
        "check",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "1",
        "--format",
        "json",
        // The golden file holds the reference date: fixed, not today.
        "--as-of",
        "2026-11-27",
        "fixtures/sample-application",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["plan"], "ecommerce-l2");
    assert_eq!(v["clause"], 1);
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["files"].as_array().map(Vec::len), Some(6));
    assert_eq!(v["missing"], serde_json::json!([]));
    assert_eq!(v["unexpected"], serde_json::json!([]));
    golden("sample-application.json", &out);
}

#[test]
fn sample_rejected_exits_1_and_matches_golden() {
    let o = prescreen(&[
        "check",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "1",
        "--as-of",
        "2026-11-27",
        "fixtures/sample-rejected",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON is the default format");
    assert_eq!(v["verdict"], "reject");
    assert_eq!(v["missing"], serde_json::json!(["integrity_pledge"]));
    let photo = v["files"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == "蓝底一寸照.jpg"))
        .expect("the blue photo");
    assert_eq!(photo["reasons"][0]["code"], "photo.background_not_white");
    assert_eq!(photo["reasons"][0]["detail"]["colour"], "blue");
    assert_eq!(
        photo["reasons"][0]["message"],
        "照片背景不是白色（检测为蓝色），请上传白底证件照"
    );
    golden("sample-rejected.json", &out);
}

#[test]
fn text_output_in_english() {
    let o = prescreen(&[
        "check",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "1",
        "--format",
        "text",
        "--lang",
        "en",
        "--as-of",
        "2026-11-27",
        "fixtures/sample-rejected",
    ]);
    assert_eq!(o.status.code(), Some(1));
    golden("sample-rejected.en.txt", &stdout(&o));
}

#[test]
fn text_output_in_chinese() {
    let o = prescreen(&[
        "check",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "1",
        "--format",
        "text",
        "fixtures/sample-application",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with("电子商务师（二级） (ecommerce-l2) 第 1 条: ✓ 通过"),
        "{out}"
    );
    assert_eq!(out.matches('✓').count(), 7, "{out}");
}

#[test]
fn slot_equals_path_names_the_slot() {
    let o = prescreen(&[
        "check",
        "photo=fixtures/sample-rejected/蓝底一寸照.jpg",
        "id_card_front=fixtures/sample-application/身份证正面.jpg",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["plan"], serde_json::Value::Null);
    assert_eq!(v["files"][0]["slot"], "photo");
    assert_eq!(v["files"][1]["slot"], "id_card_front");
    assert_eq!(v["files"][1]["verdict"], "pass");
}

#[test]
fn without_a_plan_only_file_checks_run() {
    let o = prescreen(&["check", "fixtures/sample-application/一寸照.jpg"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["files"][0]["slot"], "photo", "inferred from 一寸照");
    assert_eq!(v["missing"], serde_json::json!([]));
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "check",
                "--plan",
                "nope",
                "--clause",
                "1",
                "fixtures/sample-application",
            ],
            "ecommerce-l2",
        ),
        (
            &[
                "check",
                "--plan",
                "ecommerce-l2",
                "--clause",
                "9",
                "fixtures/sample-application",
            ],
            "clause 9",
        ),
        (
            &["check", "fotos=fixtures/sample-application/一寸照.jpg"],
            "unknown slot",
        ),
        (&["check", "fixtures/no-such-folder"], "no-such-folder"),
        (&["check"], "INPUT"),
    ];
    for (args, needle) in cases {
        let o = prescreen(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_rules_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rules.toml");
    let text = include_str!("../../src/rules/rulebook.toml").replacen(
        "\"integrity_pledge\"]\n",
        "\"integrity_pledgee\"]\n",
        1,
    );
    let line = text
        .lines()
        .position(|l| l.contains("integrity_pledgee"))
        .expect("edited")
        + 1;
    std::fs::write(&path, &text).expect("write");
    let o = prescreen(&["--rules", path.to_str().expect("utf-8"), "rules"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("line {line}")), "{}", stderr(&o));
}

#[test]
fn rules_lists_plans_and_prints_a_checklist() {
    let o = prescreen(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("ecommerce-l2 — 电子商务师（二级）"), "{out}");
    assert!(out.contains("ecommerce-l2-beijing"), "{out}");

    let o = prescreen(&[
        "rules",
        "--plan",
        "ecommerce-l2-beijing",
        "--clause",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let slots: Vec<&str> = v["materials"]
        .as_array()
        .expect("materials")
        .iter()
        .filter_map(|m| m["slot"].as_str())
        .collect();
    assert_eq!(
        slots,
        [
            "id_card_front",
            "id_card_back",
            "photo",
            "application_form",
            "previous_level_certificate",
            "work_history_pledge"
        ]
    );

    let o = prescreen(&["rules", "--plan", "ecommerce-l2-beijing", "--clause", "1"]);
    let out = stdout(&o);
    assert!(out.contains("北京市职业技能认定申报表"), "{out}");
    assert!(out.contains("邮寄"), "{out}");
}
