//! The rulebook against the seeds' tables, its validation, and the reason
//! code registry against SPEC §3.

use crate::common::*;
use prescreen::{Code, Lang, Rules};

const BUILTIN: &str = include_str!("../../src/rules/rulebook.toml");
const COMMON: [&str; 4] = ["id_card_front", "id_card_back", "photo", "application_form"];

fn required(plan: &str, n: u32) -> Vec<String> {
    let p = rules().plan(plan).expect("plan");
    p.required_slots(p.clause(n).expect("clause"))
}

fn with_common(further: &[&str]) -> Vec<String> {
    COMMON.iter().chain(further).map(|s| s.to_string()).collect()
}

#[test]
fn national_clauses_match_seed_000() {
    let five = [
        "diploma",
        "qualification_certificate",
        "training_certificate",
        "personal_pledge",
        "work_history_pledge",
        "training_pledge",
        "integrity_pledge",
    ];
    let table: [(u32, &[&str]); 7] = [
        (1, &["work_history_pledge", "integrity_pledge"]),
        (
            2,
            &["qualification_certificate", "work_history_pledge", "integrity_pledge"],
        ),
        (
            3,
            &[
                "qualification_certificate",
                "work_history_pledge",
                "training_pledge",
                "training_certificate",
                "integrity_pledge",
            ],
        ),
        (
            4,
            &[
                "diploma",
                "qualification_certificate",
                "personal_pledge",
                "work_history_pledge",
                "integrity_pledge",
            ],
        ),
        (5, &five),
        (6, &five),
        (
            7,
            &["diploma", "personal_pledge", "work_history_pledge", "integrity_pledge"],
        ),
    ];
    for (n, further) in table {
        let mut got = required("ecommerce-l2", n);
        let mut want = with_common(further);
        got.sort();
        want.sort();
        assert_eq!(got, want, "clause {n}");
    }
    assert_eq!(rules().plan("ecommerce-l2").expect("plan").clauses.len(), 7);
}

#[test]
fn beijing_clauses_match_seed_001() {
    let mut c1 = required("ecommerce-l2-beijing", 1);
    c1.sort();
    let mut want1 = with_common(&["previous_level_certificate", "work_history_pledge"]);
    want1.sort();
    assert_eq!(c1, want1);
    let mut c2 = required("ecommerce-l2-beijing", 2);
    c2.sort();
    let mut want2 = with_common(&[
        "previous_level_certificate",
        "diploma",
        "education_pledge",
        "work_history_pledge",
    ]);
    want2.sort();
    assert_eq!(c2, want2);
    assert_eq!(rules().plan("ecommerce-l2-beijing").expect("plan").clauses.len(), 2);
}

#[test]
fn thirteen_slots_with_their_chinese_names() {
    let r = rules();
    let ids: Vec<&str> = r.slots().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "id_card_front",
            "id_card_back",
            "photo",
            "application_form",
            "work_history_pledge",
            "integrity_pledge",
            "personal_pledge",
            "training_pledge",
            "education_pledge",
            "qualification_certificate",
            "previous_level_certificate",
            "training_certificate",
            "diploma",
        ]
    );
    assert_eq!(r.slot_name("photo", Lang::Zh, None), "白底个人一寸照片");
    let bj = r.plan("ecommerce-l2-beijing");
    assert_eq!(
        r.slot_name("application_form", Lang::Zh, bj),
        "北京市职业技能认定申报表"
    );
}

#[test]
fn seed_notes_are_in_the_checklist() {
    let r = rules();
    let bj = r.plan("ecommerce-l2-beijing").expect("plan");
    let list = r.checklist(bj, bj.clause(1).expect("clause"));
    assert!(list
        .notes_zh
        .iter()
        .any(|n| n.contains("邮寄") && n.contains("一式两份")));
    assert!(list
        .notes_zh
        .iter()
        .any(|n| n.contains("手写") && n.contains("不可涂改")));
    assert!(list.related_occupations.iter().any(|o| o == "营销员"));
    let national = r.plan("ecommerce-l2").expect("plan");
    let list = r.checklist(national, national.clause(1).expect("clause"));
    assert!(list.applicant_data_rules_zh.iter().any(|n| n.contains("全称")));
    assert!(list
        .applicant_data_rules_zh
        .iter()
        .any(|n| n.contains("成立") && n.contains("注销")));
}

#[test]
fn thresholds_of_spec_section_2() {
    let r = rules();
    let portrait = r.kind(prescreen::rules::Kind::Portrait);
    assert_eq!(portrait.min_bytes, Some(40_960));
    assert_eq!(portrait.max_bytes, Some(80_000));
    let p = r.photo();
    assert!((p.aspect_ratio - 25.0 / 35.0).abs() < 1e-6);
    assert_eq!(p.aspect_tolerance, 0.04);
    assert_eq!((p.min_width, p.min_height), (295, 413));
    assert_eq!(r.limits().max_pixels, 100_000_000);
    assert_eq!(r.limits().max_file_bytes, 20_000_000);
    assert_eq!(
        r.kind(prescreen::rules::Kind::HandwrittenForm).min_long_side,
        Some(1000)
    );
}

/// The built-in rulebook with `from` replaced by `to` (exactly once).
fn edited(from: &str, to: &str) -> String {
    assert_eq!(BUILTIN.matches(from).count(), 1, "{from:?} must occur once");
    BUILTIN.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("needle") + 1
}

fn refused(text: &str) -> (Option<usize>, String) {
    match Rules::from_toml(text) {
        Err(prescreen::Error::Rules { line, message }) => (line, message),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a bad rulebook was accepted"),
    }
}

#[test]
fn unknown_slot_in_a_clause_names_its_line() {
    let bad = edited(
        r#"slots = ["work_history_pledge", "integrity_pledge"]"#,
        r#"slots = ["work_history_pledge", "integrity_pledgee"]"#,
    );
    let (line, message) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "integrity_pledgee")));
    assert!(message.contains("integrity_pledgee"), "{message}");
}

#[test]
fn duplicate_slot_id_names_its_line() {
    let bad = edited(r#"id = "diploma""#, r#"id = "photo""#);
    let (line, message) = refused(&bad);
    let second = bad
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == r#"id = "photo""#)
        .nth(1)
        .expect("dup")
        .0
        + 1;
    assert_eq!(line, Some(second));
    assert!(message.contains("photo"), "{message}");
}

#[test]
fn min_above_max_names_its_line() {
    let bad = edited(
        "min_bytes = 40_960\nmax_bytes = 80_000\n# A photo or card",
        "min_bytes = 90_000\nmax_bytes = 80_000\n# A photo or card",
    );
    let (line, message) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "min_bytes = 90_000")));
    assert!(message.contains("90000") || message.contains("90 000"), "{message}");
}

#[test]
fn form_measure_out_of_bounds_is_refused() {
    // A huge flattened page would cost unbounded memory per upload.
    let bad = edited("analysis_width = 720", "analysis_width = 100000");
    let (line, message) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "[document.form]")));
    assert!(message.contains("analysis_width"), "{message}");
    let bad = edited("max_empty_share = 0.3", "max_empty_share = 45");
    let (line, message) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "max_empty_share = 45")));
    assert!(message.contains("max_empty_share"), "{message}");
    let bad = edited("min_strike = 0.05", "min_strike = 0.5");
    let (line, message) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "min_strike = 0.5")));
    assert!(message.contains("max_strike"), "{message}");
}

#[test]
fn card_occlusion_limits_out_of_bounds_are_refused() {
    // A share of the light of 1 or more would make every pixel a stain.
    let bad = edited("occlusion_dark_share = 0.2", "occlusion_dark_share = 1.5");
    let (line, message) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "occlusion_dark_share = 1.5")));
    assert!(message.contains("occlusion_dark_share"), "{message}");
    let bad = edited("occlusion_light_levels = 6.0", "occlusion_light_levels = 0.0");
    assert!(refused(&bad).1.contains("occlusion_light_levels"));
}

#[test]
fn toml_syntax_error_names_its_line() {
    let bad = edited("max_pixels = 100_000_000", "max_pixels = = 1");
    let (line, _) = refused(&bad);
    assert_eq!(line, Some(line_of(&bad, "max_pixels = = 1")));
}

#[test]
fn reason_codes_are_the_spec_list() {
    // SPEC §3, in its order. Codes are only ever added.
    let spec = "file.empty  file.too_large  file.not_jpeg  file.corrupt  file.unsupported_type
        file.dimensions_too_large  file.trailing_data  size.out_of_range
        photo.aspect_ratio  photo.resolution_too_low  photo.background_not_white
        photo.no_face  photo.multiple_faces  photo.face_position  photo.grayscale
        photo.blurry  photo.exposure  photo.edited  photo.recaptured
        idcard.not_found  idcard.cropped  idcard.too_small  idcard.blurry
        idcard.glare  idcard.wrong_side  idcard.background_not_white
        document.not_found  document.cropped  document.blurry  document.exposure
        document.resolution_too_low
        form.blank  form.not_photographed  form.altered
        pdf.no_images  pdf.encrypted
        archive.unsafe_path  archive.too_large  archive.too_many_entries  archive.encrypted
        set.missing  set.unexpected  set.duplicate  set.unknown_slot";
    let want: Vec<&str> = spec.split_whitespace().collect();
    let got: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(&got[..want.len()], &want[..]);
}

#[test]
fn every_code_has_a_message_in_both_languages() {
    let r = rules();
    for &code in Code::ALL {
        for lang in [Lang::Zh, Lang::En] {
            let m = r.messages.render(code, &serde_json::Map::new(), lang);
            assert!(!m.trim().is_empty(), "{code:?} {lang:?}");
        }
        let zh = r.messages.render(code, &serde_json::Map::new(), Lang::Zh);
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{code:?}: {zh}"
        );
    }
}

/// The clauses as the seeds write them (000: （1）–（7）; 001: 1. and 2.),
/// whitespace taken out of the PDF's line breaks.
const SEED_CLAUSES: [&str; 9] = [
    "在本职业连续工作13年以上",
    "取得本职业助理电子商务师职业资格证书后，连续从事本职业工作5年以上",
    "取得本职业助理电子商务师职业资格证书后，连续从事本职业工作4年以上，经本职业电子商务师正规培训达规定标准学时数，并取得结业证书",
    "具有本专业大学本科学历，取得本职业助理电子商务师职业资格证书后，连续从事本职业工作4年以上",
    "具有本专业大学本科学历，取得助理电子商务师职业资格证书后，连续从事本职业工作3年以上，经本职业电子商务师正规培训达规定标准学时数，并取得结业证书",
    "具有非本专业大学本科学历，取得本职业助理电子商务师职业资格证书后，连续从事本职业工作4年以上，经本职业电子商务师正规培训达规定标准学时数，并取得结业证书",
    "具有硕士研究生及以上学历，连续从事本职业工作2年以上",
    "取得本职业或相关职业三级/高级工职业资格证书（技能等级证书）后，累计从事本职业或相关职业工作4年（含）以上",
    "取得本职业或相关职业三级/高级工职业资格证书（技能等级证书）的高级技工学校、技师学院毕业生，累计从事本职业或相关职业工作3年（含）以上;或取得本职业或相关职业预备技师证书的技师学院毕业生，累计从事本职业或相关职业工作2年（含）以上",
];

/// Each route's `wording` is the seed's own text (whitespace and the
/// semicolon's width aside), and its years are the wording's.
#[test]
fn clause_routes_keep_the_seeds_words() {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == '；' { ';' } else { c })
            .collect::<String>()
    };
    let mut routes = 0;
    for plan in rules().plans() {
        for c in &plan.clauses {
            assert!(!c.routes.is_empty(), "{} {}: no routes", plan.id, c.n);
            for r in &c.routes {
                routes += 1;
                let w = squash(&r.wording);
                assert!(
                    w.contains(&format!("{}年", r.work_years)),
                    "{} {}: {}",
                    plan.id,
                    c.n,
                    r.wording
                );
                assert!(
                    SEED_CLAUSES.iter().any(|s| s.contains(&w)),
                    "{} {}: not the seed's words: {}",
                    plan.id,
                    c.n,
                    r.wording
                );
                assert!(
                    squash(&c.condition_zh).contains(&w),
                    "{} {}: the condition and the route differ",
                    plan.id,
                    c.n
                );
            }
        }
    }
    assert_eq!(routes, 10);
}

#[test]
fn a_clause_without_routes_in_a_plan_with_conditions_is_refused() {
    let bad = edited(
        "[[plans.clauses.routes]]\nwording = \"在本职业连续工作 13 年以上\"\nwork_years = 13\n",
        "",
    );
    let (line, message) = refused(&bad);
    assert!(message.contains("no routes"), "{message}");
    assert!(line.is_some());
    let bad = edited("work_years = 13\n", "work_years = 0\n");
    assert!(refused(&bad).1.contains("work_years"));
}
