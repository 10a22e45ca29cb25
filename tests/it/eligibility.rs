//! Eligibility from a declared history: every boundary of the date
//! arithmetic, each clause of both plans met by a history and missed by its
//! twin, each consistency finding fired by a case and silent on a clean
//! history, the CLI and the API giving the same answer, nothing personal in
//! the logs.

use crate::common::rules;
use chrono::NaiveDate;
use prescreen::eligibility::{evaluate, Declared, Eligibility};
use prescreen::{Code, Lang, Rules};
use serde_json::{json, Value};

const AS_OF: &str = "2026-11-27";

fn as_of() -> NaiveDate {
    prescreen::eligibility::parse_as_of(AS_OF).unwrap()
}

fn declared(v: &Value) -> Declared {
    Declared::from_json(v.to_string().as_bytes()).unwrap()
}

fn judge_with(rules: &Rules, plan: &str, v: &Value) -> Eligibility {
    evaluate(rules, plan, &declared(v), as_of(), Lang::Zh).unwrap()
}

fn judge(plan: &str, v: &Value) -> Eligibility {
    judge_with(rules(), plan, v)
}

fn clause(e: &Eligibility, n: u32) -> &prescreen::eligibility::ClauseResult {
    e.clauses.iter().find(|c| c.clause == n).unwrap()
}

fn work_detail(e: &Eligibility, n: u32) -> serde_json::Map<String, Value> {
    let c = clause(e, n);
    let route = c.routes.iter().find(|r| r.met).unwrap_or(&c.routes[0]);
    route
        .conditions
        .iter()
        .find(|c| c.what == "work")
        .unwrap()
        .detail
        .clone()
}

fn codes(e: &Eligibility) -> Vec<Code> {
    e.findings.iter().map(|r| r.code).collect()
}

fn job(employer: &str, from: &str, to: &str) -> Value {
    json!({"employer": employer, "from": from, "to": to, "position": "电子商务运营"})
}

const CO_A: &str = "北京示例网络科技有限公司";
const CO_B: &str = "上海样本电子商务有限公司";

fn cert(level: u8, occupation: &str, date: &str) -> Value {
    json!({"kind": "skill", "level": level, "occupation": occupation, "date": date})
}

fn bachelor(related: bool) -> Value {
    json!({"level": "bachelor", "major_related": related, "graduated": "2012-07-01", "chsi_code": "A1B2C3D4E5F6G7H8"})
}

fn training() -> Value {
    json!({"occupation": "电子商务师", "date": "2021-01-10", "hours": 160})
}

/// A history with one job from `from` to `to`, a level-3 certificate of the
/// occupation dated `cert_date`, a related bachelor's degree and training.
fn history(cert_date: &str, from: &str, to: &str) -> Value {
    json!({
        "id_number": "11010519491231002X",
        "education": [bachelor(true)],
        "certificates": [cert(3, "助理电子商务师", cert_date)],
        "training": [training()],
        "work": [job(CO_A, from, to)],
    })
}

#[test]
fn exactly_four_years_after_the_certificate_and_one_day_short() {
    // Certificate on 2020-03-15: its day does not count, four years end on
    // 2024-03-15.
    let met = judge("ecommerce-l2", &history("2020-03-15", "2018-01-01", "2024-03-15"));
    assert!(clause(&met, 4).met, "{:?}", clause(&met, 4).why_zh);
    let d = work_detail(&met, 4);
    assert_eq!((d["months"].as_u64(), d["days"].as_u64()), (Some(48), Some(0)));
    assert_eq!(d["counted_from"], "2020-03-16");
    let short = judge("ecommerce-l2", &history("2020-03-15", "2018-01-01", "2024-03-14"));
    assert!(!clause(&short, 4).met);
    assert!(
        clause(&short, 4)
            .why_zh
            .iter()
            .any(|w| w.contains("3 年 11 个月") && w.contains("第 4 条需满 4 年")),
        "{:?}",
        clause(&short, 4).why_zh
    );
    // The same boundary under 累计 (Beijing clause 1).
    assert!(
        clause(
            &judge(
                "ecommerce-l2-beijing",
                &history("2020-03-15", "2018-01-01", "2024-03-15")
            ),
            1
        )
        .met
    );
    assert!(
        !clause(
            &judge(
                "ecommerce-l2-beijing",
                &history("2020-03-15", "2018-01-01", "2024-03-14")
            ),
            1
        )
        .met
    );
}

#[test]
fn a_certificate_of_29_february() {
    // Counted from 2020-03-01; four years end on 2024-02-29.
    let met = judge("ecommerce-l2", &history("2020-02-29", "2019-01", "2024-02-29"));
    assert!(clause(&met, 4).met);
    let short = judge("ecommerce-l2", &history("2020-02-29", "2019-01", "2024-02-28"));
    assert!(!clause(&short, 4).met);
    // A job starting on 29 February: one year ends on 28 February 2021.
    let mut h = history("2015-01-01", "2020-02-29", "2021-02-28");
    h["work"][0]["from"] = json!("2020-02-29");
    let e = judge("ecommerce-l2-beijing", &h);
    let d = work_detail(&e, 1);
    assert_eq!((d["months"].as_u64(), d["days"].as_u64()), (Some(12), Some(0)), "{d:?}");
}

#[test]
fn now_ends_on_the_signing_date_else_on_the_reference_date() {
    let mut h = history("2020-03-15", "2019-07", "now");
    let e = judge("ecommerce-l2", &h);
    assert_eq!(e.now, AS_OF);
    assert_eq!(work_detail(&e, 4)["last_day"], AS_OF);
    h["signed"] = json!("2026-11-20");
    let e = judge("ecommerce-l2", &h);
    assert_eq!(e.now, "2026-11-20");
    assert_eq!(work_detail(&e, 4)["last_day"], "2026-11-20");
    assert!(codes(&e).is_empty(), "{:?}", codes(&e));
    // "至今" is the same word.
    h["work"][0]["to"] = json!("至今");
    assert_eq!(work_detail(&judge("ecommerce-l2", &h), 4)["last_day"], "2026-11-20");
}

/// Two jobs with a gap between them: 2015-07 to 2017-12 (2 y 6 m), then
/// 2018-07 to 2020-06 (2 y) after a level-3 certificate of 2015-06-30.
fn gapped() -> Value {
    let mut h = history("2015-06-30", "2015-07", "2017-12");
    h["work"] = json!([job(CO_A, "2015-07", "2017-12"), job(CO_B, "2018-07", "2020-06")]);
    h
}

#[test]
fn a_gap_breaks_continuous_work_and_is_summed_over_in_cumulative_work() {
    let national = judge("ecommerce-l2", &gapped());
    assert!(!clause(&national, 4).met);
    let d = work_detail(&national, 4);
    assert_eq!(d["months"], 30, "the longest run is the first job: {d:?}");
    assert!(codes(&national).contains(&Code::EligibilityGap));
    let beijing = judge("ecommerce-l2-beijing", &gapped());
    assert!(clause(&beijing, 1).met);
    assert_eq!(work_detail(&beijing, 1)["months"], 54);
    // 累计 has no continuity to break.
    assert!(!codes(&beijing).contains(&Code::EligibilityGap));
}

#[test]
fn a_one_month_gap_inside_and_outside_the_tolerance() {
    // July 2019 is not written: 31 days between the jobs.
    let mut h = history("2015-06-30", "2015-07", "2019-06");
    h["work"] = json!([job(CO_A, "2015-07", "2019-06"), job(CO_B, "2019-08", "2021-12")]);
    let inside = judge("ecommerce-l2", &h);
    assert!(!codes(&inside).contains(&Code::EligibilityGap));
    // The run goes on, the gap's days not counted: 4 y + 2 y 5 m.
    assert_eq!(work_detail(&inside, 2)["months"], 77);
    assert!(clause(&inside, 2).met);
    let strict =
        Rules::from_toml(&prescreen::rules::DEFAULT_RULEBOOK.replace("max_gap_days = 31", "max_gap_days = 30"))
            .unwrap();
    let outside = judge_with(&strict, "ecommerce-l2", &h);
    let gap = outside
        .findings
        .iter()
        .find(|r| r.code == Code::EligibilityGap)
        .unwrap();
    assert_eq!(gap.detail["days"], 31);
    assert_eq!(
        (gap.detail["from"].as_str(), gap.detail["to"].as_str()),
        (Some("2019-07-01"), Some("2019-07-31"))
    );
    assert_eq!(work_detail(&outside, 2)["months"], 48);
    assert!(!clause(&outside, 2).met, "5 years needed, the longest run is 4");
}

#[test]
fn overlapping_periods_are_found_and_never_counted_twice() {
    let mut h = history("2014-12-31", "2015-01", "2018-12");
    h["work"] = json!([job(CO_A, "2015-01", "2018-12"), job(CO_B, "2017-01", "2020-12")]);
    let e = judge("ecommerce-l2-beijing", &h);
    let o = e
        .findings
        .iter()
        .find(|r| r.code == Code::EligibilityPeriodOverlap)
        .unwrap();
    assert_eq!(o.detail["days"], 730);
    assert_eq!(work_detail(&e, 1)["months"], 72, "2015-01-01 to 2020-12-31 once");
    // The month of a change written on both lines is no overlap.
    h["work"] = json!([job(CO_A, "2015-01", "2019-06"), job(CO_B, "2019-06", "2020-12")]);
    assert!(!codes(&judge("ecommerce-l2-beijing", &h)).contains(&Code::EligibilityPeriodOverlap));
    // Nor is a part-time job beside a full-time one.
    h["work"] = json!([job(CO_A, "2015-01", "2018-12"), job(CO_B, "2017-01", "2020-12")]);
    h["work"][1]["part_time"] = json!(true);
    assert!(!codes(&judge("ecommerce-l2-beijing", &h)).contains(&Code::EligibilityPeriodOverlap));
}

/// For each clause of both plans: a history that meets it and a twin that
/// differs in one thing and does not.
#[test]
fn each_clause_of_both_plans_met_by_a_history_and_missed_by_its_twin() {
    let base = |certs: Value, education: Value, training: Value, from: &str, to: &str| {
        json!({"education": education, "certificates": certs, "training": training,
               "work": [job(CO_A, from, to)]})
    };
    let c3 = || json!([cert(3, "助理电子商务师", "2018-06-30")]);
    let none = || json!([]);
    let master = json!([{"level": "master", "graduated": "2019-07-01"}]);
    let cases: Vec<(&str, u32, Value, Value)> = vec![
        // 1: 13 years continuous; the twin has 12 years 11 months.
        (
            "ecommerce-l2",
            1,
            base(none(), none(), none(), "2012-01", "2024-12"),
            base(none(), none(), none(), "2012-01", "2024-11"),
        ),
        // 2: 5 years after the certificate; the twin's certificate is level 4.
        (
            "ecommerce-l2",
            2,
            base(c3(), none(), none(), "2016-01", "2023-06"),
            base(
                json!([cert(4, "电子商务师", "2018-06-30")]),
                none(),
                none(),
                "2016-01",
                "2023-06",
            ),
        ),
        // 3: 4 years + training; the twin has no training.
        (
            "ecommerce-l2",
            3,
            base(c3(), none(), json!([training()]), "2016-01", "2022-07"),
            base(c3(), none(), none(), "2016-01", "2022-07"),
        ),
        // 4: related bachelor + 4 years; the twin's degree is in another field.
        (
            "ecommerce-l2",
            4,
            base(c3(), json!([bachelor(true)]), none(), "2016-01", "2022-07"),
            base(c3(), json!([bachelor(false)]), none(), "2016-01", "2022-07"),
        ),
        // 5: related bachelor + 3 years + training; the twin has 2 y 11 m.
        (
            "ecommerce-l2",
            5,
            base(c3(), json!([bachelor(true)]), json!([training()]), "2016-01", "2021-06"),
            base(c3(), json!([bachelor(true)]), json!([training()]), "2016-01", "2021-05"),
        ),
        // 6: another field + 4 years + training; the twin's training is another occupation's.
        (
            "ecommerce-l2",
            6,
            base(
                c3(),
                json!([bachelor(false)]),
                json!([training()]),
                "2016-01",
                "2022-07",
            ),
            base(
                c3(),
                json!([bachelor(false)]),
                json!([{"occupation": "营销员", "date": "2021-01-10"}]),
                "2016-01",
                "2022-07",
            ),
        ),
        // 7: master + 2 years; the twin has a bachelor's degree.
        (
            "ecommerce-l2",
            7,
            base(none(), master.clone(), none(), "2019-08", "2021-08"),
            base(none(), json!([bachelor(true)]), none(), "2019-08", "2021-08"),
        ),
        // Beijing 1: a related occupation's level-3 certificate + 4 years; the twin's is an unrelated occupation's.
        (
            "ecommerce-l2-beijing",
            1,
            base(
                json!([cert(3, "营销员", "2018-06-30")]),
                none(),
                none(),
                "2016-01",
                "2022-07",
            ),
            base(
                json!([cert(3, "厨师", "2018-06-30")]),
                none(),
                none(),
                "2016-01",
                "2022-07",
            ),
        ),
        // Beijing 2, first route: technical school + level 3 + 3 years; the twin has a bachelor's degree.
        (
            "ecommerce-l2-beijing",
            2,
            base(
                c3(),
                json!([{"level": "senior_technical_school", "graduated": "2015-07-01"}]),
                none(),
                "2015-08",
                "2018-08",
            ),
            base(c3(), json!([bachelor(true)]), none(), "2015-08", "2018-08"),
        ),
        // Beijing 2, second route: technician college + preparatory technician + 2 years; the twin has 1 y 11 m.
        (
            "ecommerce-l2-beijing",
            2,
            base(
                json!([{"kind": "preparatory_technician", "occupation": "电子商务师", "date": "2019-06-30"}]),
                json!([{"level": "technician_college", "graduated": "2019-07-01"}]),
                none(),
                "2019-08",
                "2021-07",
            ),
            base(
                json!([{"kind": "preparatory_technician", "occupation": "电子商务师", "date": "2019-06-30"}]),
                json!([{"level": "technician_college", "graduated": "2019-07-01"}]),
                none(),
                "2019-08",
                "2021-06",
            ),
        ),
    ];
    for (plan, n, good, twin) in &cases {
        let e = judge(plan, good);
        assert!(clause(&e, *n).met, "{plan} {n}: {:?}", clause(&e, *n).why_zh);
        assert!(e.clauses_met.contains(n));
        assert!(e.clauses[0].met, "met clauses come first");
        let t = judge(plan, twin);
        assert!(!clause(&t, *n).met, "{plan} {n} twin met");
        assert!(!clause(&t, *n).why_zh.is_empty() && !clause(&t, *n).why_en.is_empty());
    }
}

/// A history with nothing wrong in it.
fn clean() -> Value {
    json!({
        "id_number": "11010519491231002X",
        "signed": "2026-11-20",
        "education": [bachelor(true)],
        "certificates": [cert(3, "助理电子商务师", "2019-06-30")],
        "training": [training()],
        "work": [job(CO_A, "2015-07", "2019-06"), job(CO_B, "2019-07", "now")],
        "employers": [{"name": CO_B, "founded": "2012-03-01"}],
    })
}

#[test]
fn a_clean_history_has_no_findings_in_either_plan() {
    for plan in ["ecommerce-l2", "ecommerce-l2-beijing"] {
        let e = judge(plan, &clean());
        assert!(e.findings.is_empty(), "{plan}: {:?}", e.findings);
        assert!(!e.clauses_met.is_empty());
    }
}

#[test]
fn each_consistency_finding_fires() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Code, &str, Edit)> = vec![
        (
            Code::EligibilityPeriodOrder,
            "ecommerce-l2",
            Box::new(|h| h["work"][0]["to"] = json!("2014-01")),
        ),
        (
            Code::EligibilityPeriodOverlap,
            "ecommerce-l2",
            Box::new(|h| h["work"][1]["from"] = json!("2018-01")),
        ),
        (
            Code::EligibilityDateFuture,
            "ecommerce-l2",
            Box::new(|h| {
                h["training"][0]["date"] = json!("2027-01-01");
            }),
        ),
        (
            Code::EligibilityAfterSigning,
            "ecommerce-l2-beijing",
            Box::new(|h| h["work"][1]["to"] = json!("2026-11-25")),
        ),
        (
            Code::EligibilityGap,
            "ecommerce-l2",
            Box::new(|h| h["work"][1]["from"] = json!("2019-10")),
        ),
        (
            Code::EligibilityUnderage,
            "ecommerce-l2",
            Box::new(|h| {
                // Born 2000-01-01 (GB 11643's example address, a made-up sequence).
                h["id_number"] = json!(with_check("11010520000101001"));
                h["work"][0]["from"] = json!("2015-07");
            }),
        ),
        (
            Code::EligibilityEmployerDates,
            "ecommerce-l2",
            Box::new(|h| {
                h["employers"][0]["founded"] = json!("2020-01-01");
            }),
        ),
        (
            Code::EligibilityPositionUnlisted,
            "ecommerce-l2",
            Box::new(|h| h["work"][0]["position"] = json!("行政助理")),
        ),
        (
            Code::EligibilityOccupationNotCounted,
            "ecommerce-l2-beijing",
            Box::new(|h| {
                h["work"][0]["occupation"] = json!("厨师");
            }),
        ),
        (
            Code::EligibilityEmployerName,
            "ecommerce-l2",
            Box::new(|h| h["work"][0]["employer"] = json!("示例科技")),
        ),
        (
            Code::EligibilityIdNumberInvalid,
            "ecommerce-l2",
            Box::new(|h| h["id_number"] = json!("110105194912310021")),
        ),
        (
            Code::EligibilityChsiCodeInvalid,
            "ecommerce-l2",
            Box::new(|h| {
                h["education"][0]["chsi_code"] = json!("ABC-123");
            }),
        ),
    ];
    for (code, plan, edit) in &cases {
        let mut h = clean();
        edit(&mut h);
        let e = judge(plan, &h);
        let r = e
            .findings
            .iter()
            .find(|r| r.code == *code)
            .unwrap_or_else(|| panic!("{code:?} did not fire: {:?}", codes(&e)));
        assert!(
            !r.message.is_empty() && !r.message.contains('{'),
            "{code:?}: {}",
            r.message
        );
        assert_eq!(r.severity, code.default_severity());
    }
}

#[test]
fn the_id_number_is_shown_masked_and_its_defect_named() {
    let mut h = clean();
    h["id_number"] = json!("110105194912310021");
    let e = evaluate(rules(), "ecommerce-l2", &declared(&h), as_of(), Lang::En).unwrap();
    let r = e
        .findings
        .iter()
        .find(|r| r.code == Code::EligibilityIdNumberInvalid)
        .unwrap();
    assert_eq!(r.detail["id_number"], "110105********0021");
    assert_eq!(r.detail["problem"], "check_character");
    assert!(r.message.contains("wrong check character"), "{}", r.message);
    assert!(!serde_json::to_string(&e).unwrap().contains("110105194912310021"));
}

/// 17 digits and their GB 11643 check character.
fn with_check(first17: &str) -> String {
    let c = prescreen::eligibility::idnumber::check_character(first17.as_bytes()).unwrap();
    format!("{first17}{}", c as char)
}

#[test]
fn documents_that_do_not_read_are_errors_that_name_the_path() {
    for (doc, path) in [
        (
            json!({"work": [{"employer": "x", "from": "2019-13", "to": "now", "position": "p"}]}),
            "work[0].from",
        ),
        (
            json!({"certificates": [{"occupation": "x", "date": "now"}]}),
            "certificates[0].date",
        ),
        (
            json!({"education": [{"level": "primary", "graduated": "2010-07-01"}]}),
            "education[0].level",
        ),
        (json!({"id_number": "11010519491231002X", "nickname": "x"}), "."),
    ] {
        let err = Declared::from_json(doc.to_string().as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|d| {
                evaluate(rules(), "ecommerce-l2", &d, as_of(), Lang::Zh)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .unwrap_err();
        assert!(err.starts_with(path) || path == ".", "{err}");
        assert!(!err.contains("11010519491231002X"), "{err}");
    }
    let too_many: Vec<Value> = (0..101).map(|_| job(CO_A, "2015-07", "2016-06")).collect();
    let d = declared(&json!({ "work": too_many }));
    assert!(evaluate(rules(), "ecommerce-l2", &d, as_of(), Lang::Zh).is_err());
    assert!(evaluate(rules(), "no-such-plan", &declared(&clean()), as_of(), Lang::Zh).is_err());
}

fn fixture_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/declared/ecommerce-l2.json")
}

#[test]
fn the_cli_answers_like_the_library_and_check_declared_adds_the_clause() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_prescreen"))
            .args(args)
            .env_remove("PRESCREEN_RULES")
            .output()
            .unwrap()
    };
    let path = fixture_path();
    let p = path.to_str().unwrap();
    let out = run(&["eligibility", "--plan", "ecommerce-l2", "--as-of", AS_OF, p]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lib = judge(
        "ecommerce-l2",
        &serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap(),
    );
    assert_eq!(cli, serde_json::to_value(&lib).unwrap());
    assert_eq!(cli["clauses_met"], json!([2, 3, 4, 5]));
    // A clause the history does not meet: exit 1.
    let out = run(&[
        "eligibility",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "7",
        "--as-of",
        AS_OF,
        p,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["eligibility", "--plan", "ecommerce-l2", "--as-of", "27/11/2026", p]);
    assert_eq!(out.status.code(), Some(2));
    // check --declared: clause 7 is not met, a reason of the application.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-application");
    let out = run(&[
        "check",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "7",
        "--declared",
        p,
        "--as-of",
        AS_OF,
        sample.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = report["reasons"].as_array().unwrap();
    let not_met = reasons.iter().find(|r| r["code"] == "eligibility.not_met").unwrap();
    assert!(not_met["message"].as_str().unwrap().contains("第 7 条"), "{not_met}");
    assert_eq!(report["verdict"], "reject");
    // Clause 4 is met: no eligibility reason.
    let out = run(&[
        "check",
        "--plan",
        "ecommerce-l2",
        "--clause",
        "4",
        "--declared",
        p,
        "--as-of",
        AS_OF,
        sample.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"].as_str().unwrap().starts_with("eligibility.")));
}
