//! Set completeness: missing, unexpected, duplicate and unknown materials,
//! and slot inference from file names.

use crate::common::*;
use prescreen::{check_application, Code, Lang, Report, Upload, Verdict};

fn target(plan: &str, n: u32) -> prescreen::Target<'static> {
    prescreen::Target::resolve(rules(), plan, n).expect("plan and clause")
}

/// Uploads named as an applicant names them; the content does not matter
/// for the set checks, so each file is a tiny (rejected) stand-in.
fn named(names: &[&str]) -> Vec<Upload> {
    names.iter().map(|n| Upload::new(*n, None, b"x".to_vec())).collect()
}

fn run(names: &[&str], plan: &str, n: u32) -> Report {
    check_application(&named(names), Some(target(plan, n)), rules(), Lang::Zh)
}

const CLAUSE1: &[&str] = &crate::samples::SAMPLE_FILES;

#[test]
fn complete_clause_1_has_nothing_missing() {
    let r = run(CLAUSE1, "ecommerce-l2", 1);
    assert_eq!(r.missing, Vec::<String>::new());
    assert_eq!(r.unexpected, Vec::<String>::new());
    let slots: Vec<_> = r.files.iter().map(|f| f.slot.clone().unwrap_or_default()).collect();
    assert_eq!(
        slots,
        [
            "id_card_front",
            "id_card_back",
            "photo",
            "application_form",
            "work_history_pledge",
            "integrity_pledge"
        ]
    );
}

#[test]
fn folder_without_the_integrity_pledge_is_missing_it() {
    let r = run(&CLAUSE1[..5], "ecommerce-l2", 1);
    assert_eq!(r.missing, ["integrity_pledge"]);
    assert_eq!(r.verdict, Verdict::Reject);
    let why = r
        .reasons
        .iter()
        .find(|x| x.code == Code::SetMissing)
        .expect("set.missing");
    assert_eq!(why.detail["slot"], "integrity_pledge");
    assert!(why.message.contains("个人诚信承诺书"), "{}", why.message);
}

#[test]
fn material_the_clause_does_not_ask_for_is_unexpected() {
    let mut names = CLAUSE1.to_vec();
    names.push("毕业证书.jpg");
    let r = run(&names, "ecommerce-l2", 1);
    assert_eq!(r.unexpected, ["diploma"]);
    let f = r.files.last().expect("file");
    assert!(f.has(Code::SetUnexpected));
    assert_eq!(
        f.reasons
            .iter()
            .find(|x| x.code == Code::SetUnexpected)
            .map(|x| x.severity),
        Some(prescreen::Severity::Warn)
    );
}

#[test]
fn second_photo_is_a_duplicate() {
    let mut names = CLAUSE1.to_vec();
    names.push("白底照-2.jpg");
    let r = run(&names, "ecommerce-l2", 1);
    let dup = r.files.last().expect("file");
    assert_eq!(dup.slot.as_deref(), Some("photo"));
    assert!(dup.has(Code::SetDuplicate));
    assert!(
        !r.files[2].has(Code::SetDuplicate),
        "the first one is not the duplicate"
    );
}

#[test]
fn name_that_matches_nothing_is_an_unknown_slot() {
    let mut names = CLAUSE1.to_vec();
    names.push("IMG_20240101_1200.jpg");
    let r = run(&names, "ecommerce-l2", 1);
    let f = r.files.last().expect("file");
    assert_eq!(f.slot, None);
    assert!(f.has(Code::SetUnknownSlot));
    // Under a plan it cannot count towards the set: a reject.
    let why = f.reasons.iter().find(|x| x.code == Code::SetUnknownSlot).unwrap();
    assert_eq!(why.severity, prescreen::Severity::Reject);
    // Without a plan only the file checks run: a warning.
    let r = check_application(&named(&["DSC1234.jpg"]), None, rules(), Lang::Zh);
    let why = r.files[0]
        .reasons
        .iter()
        .find(|x| x.code == Code::SetUnknownSlot)
        .unwrap();
    assert_eq!(why.severity, prescreen::Severity::Warn);
}

#[test]
fn nothing_to_check_is_set_empty() {
    for target in [None, Some(target("ecommerce-l2", 1))] {
        let r = check_application(&[], target, rules(), Lang::Zh);
        assert_eq!(r.verdict, Verdict::Reject);
        assert!(r.reasons.iter().any(|x| x.code == Code::SetEmpty), "{:?}", r.reasons);
        assert!(
            r.reasons[0].message.contains("没有上传任何文件"),
            "{}",
            r.reasons[0].message
        );
    }
    // An empty zip: the archive's own report says so.
    let empty_zip = crate::containers::zip(&[]);
    let r = check_application(
        &[Upload::new("application.zip", None, empty_zip)],
        None,
        rules(),
        Lang::Zh,
    );
    assert_eq!(r.verdict, Verdict::Reject);
    assert!(r.files[0].has(Code::SetEmpty), "{:?}", r.files[0].reasons);
}

/// The slot inferred from `name` without a plan.
fn assert_inferred(rules: &prescreen::Rules, name: &str, slot: Option<&str>) {
    assert_eq!(rules.infer_slot(name, None).map(|s| s.id.as_str()), slot, "{name}");
}

#[test]
fn names_applicants_really_use_are_inferred() {
    let rules = rules();
    for (name, slot) in [
        ("培训承诺书.jpg", "training_pledge"),
        ("个人培训承诺书.jpg", "training_pledge"),
        ("培训证明.jpg", "training_certificate"),
        ("培训合格证明.pdf", "training_certificate"),
        ("原等级证书.jpg", "previous_level_certificate"),
        ("原职业技能等级证书.jpg", "previous_level_certificate"),
    ] {
        assert_inferred(rules, name, Some(slot));
    }
}

#[test]
fn names_with_the_key_words_apart_are_inferred() {
    let rules = rules();
    // One name per slot whose words no alias holds whole.
    for (name, slot) in [
        ("张三_身份证_正面_新.jpg", "id_card_front"),
        ("身份证(人像)页.jpg", "id_card_front"),
        ("张三 身份证 反面.jpg", "id_card_back"),
        ("身份证-国徽那面.jpg", "id_card_back"),
        ("蓝底换白底二寸改一寸.jpg", "photo"),
        ("免冠头像.jpg", "photo"),
        ("电子商务师二级申报.pdf", "application_form"),
        ("报名表_张三.jpg", "application_form"),
        ("工作情况承诺.jpg", "work_history_pledge"),
        ("张三诚信.jpg", "integrity_pledge"),
        ("培训情况承诺.jpg", "training_pledge"),
        ("学历情况承诺.jpg", "education_pledge"),
        ("助理电商师证书.jpg", "qualification_certificate"),
        ("职业技能等级证书_三级.jpg", "previous_level_certificate"),
        ("线上培训证书.jpg", "training_certificate"),
        ("本科毕业.jpg", "diploma"),
        ("学位.pdf", "diploma"),
    ] {
        assert_inferred(rules, name, Some(slot));
    }
    // Words of two slots, or of none: no guess.
    for name in [
        "正反面身份证.jpg",
        "身份证.jpg",
        "DSC1234.jpg",
        "IMG_0001.jpg",
        "学历与培训承诺.jpg",
    ] {
        assert_inferred(rules, name, None);
    }
}

#[test]
fn ascii_names_are_inferred() {
    let rules = rules();
    for (name, slot) in [
        ("id_front.jpg", "id_card_front"),
        ("ID-Back.JPG", "id_card_back"),
        ("photo.jpg", "photo"),
        ("application_form.pdf", "application_form"),
        ("integrity_pledge.jpg", "integrity_pledge"),
        ("work_history_pledge.jpg", "work_history_pledge"),
        ("diploma.jpg", "diploma"),
    ] {
        assert_inferred(rules, name, Some(slot));
    }
}

#[test]
fn longest_alias_wins() {
    let rules = rules();
    // 个人工作经历承诺书 contains 承诺书 and 个人…承诺书 shapes: the longest alias decides.
    for (name, slot) in [
        ("个人工作经历承诺书.jpg", "work_history_pledge"),
        ("工作经历承诺书.jpg", "work_history_pledge"),
        ("个人培训经历承诺书.jpg", "training_pledge"),
        ("个人学历承诺书.jpg", "education_pledge"),
        ("个人承诺书.jpg", "personal_pledge"),
        ("个人诚信承诺书.jpg", "integrity_pledge"),
        ("人像面.jpg", "id_card_front"),
        ("国徽面.jpg", "id_card_back"),
        ("证件照.jpg", "photo"),
        ("培训结业证书.jpg", "training_certificate"),
        ("助理电子商务师职业资格证书.jpg", "qualification_certificate"),
    ] {
        assert_inferred(rules, name, Some(slot));
    }
}

#[test]
fn beijing_aliases_override() {
    let rules = rules();
    let bj = rules.plan("ecommerce-l2-beijing").expect("plan");
    let national = rules.plan("ecommerce-l2").expect("plan");
    let of = |name, plan| rules.infer_slot(name, Some(plan)).map(|s| s.id.clone());
    assert_eq!(
        of("北京市职业技能认定申报表.jpg", bj).as_deref(),
        Some("application_form")
    );
    assert_eq!(of("三级资格证.jpg", bj).as_deref(), Some("previous_level_certificate"));
    assert_eq!(of("资格证.jpg", national).as_deref(), Some("qualification_certificate"));
}

#[test]
fn beijing_clause_2_lists_its_missing_materials() {
    let r = run(
        &["身份证正面.jpg", "身份证反面.jpg", "一寸照.jpg"],
        "ecommerce-l2-beijing",
        2,
    );
    assert_eq!(
        r.missing,
        [
            "application_form",
            "previous_level_certificate",
            "diploma",
            "education_pledge",
            "work_history_pledge"
        ]
    );
}

#[test]
fn english_messages_on_request() {
    let r = check_application(
        &named(&CLAUSE1[..5]),
        Some(target("ecommerce-l2", 1)),
        rules(),
        Lang::En,
    );
    let why = r
        .reasons
        .iter()
        .find(|x| x.code == Code::SetMissing)
        .expect("set.missing");
    assert!(why.message.is_ascii(), "{}", why.message);
    assert!(why.message.to_lowercase().contains("integrity"), "{}", why.message);
}
