//! Eligibility from what the applicant declares: for every clause of a
//! plan, met or not with the reason in Chinese and English and the numbers,
//! and the consistency findings of the declaration (periods overlapping or
//! reversed, dates in the future or after the form's signing, a gap that
//! breaks 连续, work before 16, a period outside the employer's life, an ID
//! number or a 学信网 code of the wrong form). The conditions are the
//! rulebook's ([`crate::rules::Route`]); nothing is looked up anywhere.

pub mod dates;
pub mod declared;
pub mod idnumber;

use crate::codes::Code;
use crate::report::{localise_reasons, Reason};
use crate::rules::{
    CertificateKind, CertificateNeed, Counting, EducationNeed, Lang, Plan, PlanEligibility, Route, Rules, WorkFrom,
};
use chrono::NaiveDate;
use dates::{months_after, Declared as DateValue, Span};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub use declared::{Declared, DeclaredError};

/// Today in China (UTC+8), the reference date unless one is given.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Why a declaration could not be judged at all (a request error, not a
/// finding).
#[derive(Debug, thiserror::Error)]
pub enum EligibilityError {
    #[error("unknown plan {0:?}")]
    UnknownPlan(String),
    #[error("plan {0:?} has no eligibility conditions in the rulebook")]
    NoConditions(String),
    #[error("{0}")]
    Declared(#[from] DeclaredError),
    #[error("work: {0} periods, more than the limit of {1}")]
    TooManyPeriods(usize, usize),
}

/// The answer for one plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Eligibility {
    pub plan: String,
    /// The reference date (today, or the `as_of` asked for).
    pub as_of: String,
    /// What a job "to now" ends on: the form's signing date, else `as_of`.
    pub now: String,
    /// `continuous` (连续) or `cumulative` (累计).
    pub counting: String,
    /// The clauses met, in number order.
    pub clauses_met: Vec<u32>,
    /// Every clause, those met first.
    pub clauses: Vec<ClauseResult>,
    /// Consistency findings of the declaration, as reasons.
    pub findings: Vec<Reason>,
}

/// One clause, judged.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClauseResult {
    pub clause: u32,
    pub met: bool,
    pub condition_zh: String,
    pub condition_en: String,
    /// Why: the met route's conditions, or the failing conditions of the
    /// route that came closest.
    pub why_zh: Vec<String>,
    pub why_en: Vec<String>,
    /// Each way to meet the clause (the Beijing plan's clause 2 has two).
    pub routes: Vec<RouteResult>,
}

/// One route of a clause.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouteResult {
    /// The seed's words.
    pub wording: String,
    pub met: bool,
    pub conditions: Vec<ConditionResult>,
}

/// One condition of a route: education, certificate, training or work.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConditionResult {
    pub what: String,
    pub met: bool,
    pub zh: String,
    pub en: String,
    /// The numbers: dates, months and days counted, years needed.
    #[schema(value_type = Object)]
    pub detail: Map<String, Value>,
}

/// A work period as read: days, and whether it counts.
#[derive(Debug, Clone, Copy)]
struct Period {
    /// 1-based, as the applicant numbers lines.
    n: usize,
    from: NaiveDate,
    to: NaiveDate,
    /// Dates in order.
    valid: bool,
    /// In a counted occupation.
    counts: bool,
    full_time: bool,
}

/// The declaration read into dates, with its findings.
struct Facts {
    as_of: NaiveDate,
    now: NaiveDate,
    periods: Vec<Period>,
    findings: Vec<Reason>,
}

/// Judges a declaration against every clause of `plan_id` on `as_of`;
/// findings' messages in `lang`, the clauses' reasons in both languages.
pub fn evaluate(
    rules: &Rules,
    plan_id: &str,
    declared: &Declared,
    as_of: NaiveDate,
    lang: Lang,
) -> Result<Eligibility, EligibilityError> {
    let plan = rules
        .plan(plan_id)
        .ok_or_else(|| EligibilityError::UnknownPlan(plan_id.to_string()))?;
    let counting = plan
        .eligibility
        .as_ref()
        .ok_or_else(|| EligibilityError::NoConditions(plan_id.to_string()))?;
    let limit = rules.eligibility().max_periods;
    if declared.work.len() > limit {
        return Err(EligibilityError::TooManyPeriods(declared.work.len(), limit));
    }
    let mut facts = read_facts(rules, plan, counting, declared, as_of)?;
    localise_reasons(&mut facts.findings, &rules.messages, lang);
    let mut clauses: Vec<ClauseResult> = plan
        .clauses
        .iter()
        .map(|c| {
            let routes: Vec<RouteResult> = c
                .routes
                .iter()
                .map(|r| judge_route(rules, plan, counting, r, c.n, declared, &facts))
                .collect();
            let met = routes.iter().any(|r| r.met);
            // The met route, else the one with the most conditions met.
            let best = routes
                .iter()
                .enumerate()
                .max_by_key(|(i, r)| (r.met, r.conditions.iter().filter(|c| c.met).count(), usize::MAX - i))
                .map(|(_, r)| r);
            let shown = best
                .map(|r| r.conditions.iter().filter(|c| met || !c.met).collect::<Vec<_>>())
                .unwrap_or_default();
            ClauseResult {
                clause: c.n,
                met,
                condition_zh: c.condition_zh.clone(),
                condition_en: c.condition_en.clone(),
                why_zh: shown.iter().map(|c| c.zh.clone()).collect(),
                why_en: shown.iter().map(|c| c.en.clone()).collect(),
                routes,
            }
        })
        .collect();
    let clauses_met: Vec<u32> = clauses.iter().filter(|c| c.met).map(|c| c.clause).collect();
    clauses.sort_by_key(|c| (!c.met, c.clause));
    Ok(Eligibility {
        plan: plan.id.clone(),
        as_of: ymd(facts.as_of),
        now: ymd(facts.now),
        counting: match counting.counting {
            Counting::Continuous => "continuous",
            Counting::Cumulative => "cumulative",
        }
        .to_string(),
        clauses_met,
        clauses,
        findings: facts.findings,
    })
}

/// The reasons `check --declared` adds to an application's report: the
/// chosen clause not met, then every finding. Messages are filled later.
pub fn clause_reasons(e: &Eligibility, clause: u32) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Some(c) = e.clauses.iter().find(|c| c.clause == clause && !c.met) {
        out.push(Reason::new(
            Code::EligibilityNotMet,
            json!({
                "plan": e.plan,
                "clause": clause,
                "why_zh": c.why_zh.join("；"),
                "why_en": c.why_en.join("; "),
                "clauses_met": e.clauses_met,
            }),
        ));
    }
    out.extend(e.findings.iter().cloned());
    out
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A single date: a day, or a month read at its last day (a certificate of
/// "2018-06" counts from after June); `now` is not a single date.
fn single(value: DateValue, path: String) -> Result<NaiveDate, DeclaredError> {
    match value {
        DateValue::Now => Err(DeclaredError {
            path,
            message: "now / 至今 is only for the end of a job".into(),
        }),
        v => Ok(v.last(NaiveDate::MIN)),
    }
}

/// Spaces and full-width spaces out, for comparing names.
fn normal(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Whether `occupation` is the plan's own (助理电子商务师 is its level 3) or,
/// when `related`, one of the plan's related occupations.
fn occupation_counts(plan: &Plan, e: &PlanEligibility, occupation: &str, related: bool) -> bool {
    let o = normal(occupation);
    let own = normal(&e.occupation);
    o == own || o.ends_with(&own) || (related && plan.related_occupations.iter().any(|r| normal(r) == o))
}

fn read_facts(
    rules: &Rules,
    plan: &Plan,
    e: &PlanEligibility,
    d: &Declared,
    as_of: NaiveDate,
) -> Result<Facts, DeclaredError> {
    let shared = rules.eligibility();
    let mut findings = Vec::new();
    let signed = d.signed.map(|s| single(s.0, "signed".into())).transpose()?;
    let now = signed.filter(|s| *s <= as_of).unwrap_or(as_of);

    // Every dated thing, with how to name it.
    let mut dated: Vec<(String, String, String, NaiveDate)> = Vec::new();
    if let Some(s) = signed {
        dated.push((
            "signed".into(),
            "申报表签字日期".into(),
            "the form's signing date".into(),
            s,
        ));
    }
    let mut periods = Vec::with_capacity(d.work.len());
    for (i, w) in d.work.iter().enumerate() {
        let n = i + 1;
        let from = match w.from.0 {
            DateValue::Now => {
                return Err(DeclaredError {
                    path: format!("work[{i}].from"),
                    message: "a job cannot start \"now\"; give its first month".into(),
                })
            }
            v => v.first(now),
        };
        let to = w.to.0.last(now);
        dated.push((
            format!("work[{i}].from"),
            format!("第 {n} 段工作经历的开始时间"),
            format!("the start of work period {n}"),
            from,
        ));
        if w.to.0 != DateValue::Now {
            dated.push((
                format!("work[{i}].to"),
                format!("第 {n} 段工作经历的结束时间"),
                format!("the end of work period {n}"),
                to,
            ));
        }
        let valid = from <= to;
        if !valid {
            findings.push(Reason::new(
                Code::EligibilityPeriodOrder,
                json!({"period": n, "from": w.from, "to": w.to}),
            ));
        }
        let counts = match &w.occupation {
            Some(o) if !occupation_counts(plan, e, o, e.related_count) => {
                findings.push(Reason::new(
                    Code::EligibilityOccupationNotCounted,
                    json!({"period": n, "occupation": o}),
                ));
                false
            }
            _ => true,
        };
        if counts && !e.position_keywords.is_empty() {
            let p = normal(&w.position);
            if !e.position_keywords.iter().any(|k| p.contains(&normal(k))) {
                findings.push(Reason::new(
                    Code::EligibilityPositionUnlisted,
                    json!({"period": n, "position": w.position}),
                ));
            }
        }
        let name = w.employer.trim();
        if name.chars().count() < shared.employer_min_chars
            || !shared.employer_suffixes.iter().any(|s| name.ends_with(s.as_str()))
        {
            findings.push(Reason::new(Code::EligibilityEmployerName, json!({"period": n})));
        }
        periods.push(Period {
            n,
            from,
            to,
            valid,
            counts,
            full_time: !w.part_time,
        });
    }
    for (i, ed) in d.education.iter().enumerate() {
        let n = i + 1;
        let g = single(ed.graduated.0, format!("education[{i}].graduated"))?;
        dated.push((
            format!("education[{i}].graduated"),
            format!("第 {n} 项学历的毕业时间"),
            format!("the graduation of education {n}"),
            g,
        ));
        if let Some(code) = &ed.chsi_code {
            let c: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
            let len = c.chars().count();
            if !c.chars().all(|c| c.is_ascii_alphanumeric()) || !shared.chsi_code_lengths.contains(&len) {
                findings.push(Reason::new(
                    Code::EligibilityChsiCodeInvalid,
                    json!({"education": n, "length": len, "lengths": shared.chsi_code_lengths}),
                ));
            }
        }
    }
    for (i, c) in d.certificates.iter().enumerate() {
        let n = i + 1;
        let date = single(c.date.0, format!("certificates[{i}].date"))?;
        dated.push((
            format!("certificates[{i}].date"),
            format!("第 {n} 个证书的取得时间"),
            format!("the date of certificate {n}"),
            date,
        ));
    }
    for (i, t) in d.training.iter().enumerate() {
        let n = i + 1;
        let date = single(t.date.0, format!("training[{i}].date"))?;
        dated.push((
            format!("training[{i}].date"),
            format!("第 {n} 项培训的结业时间"),
            format!("the completion of training {n}"),
            date,
        ));
    }
    for (field, what_zh, what_en, date) in &dated {
        if *date > as_of {
            findings.push(Reason::new(
                Code::EligibilityDateFuture,
                json!({"field": field, "what_zh": what_zh, "what_en": what_en, "date": ymd(*date), "as_of": ymd(as_of)}),
            ));
        } else if let Some(s) = signed.filter(|s| date > s) {
            findings.push(Reason::new(
                Code::EligibilityAfterSigning,
                json!({"field": field, "what_zh": what_zh, "what_en": what_en, "date": ymd(*date), "signed": ymd(s)}),
            ));
        }
    }
    if let Some(text) = &d.id_number {
        match idnumber::parse(text, as_of) {
            Ok(id) => {
                if let Some(adult) = months_after(id.birth, shared.min_work_age * 12) {
                    for p in periods.iter().filter(|p| p.valid && p.from < adult) {
                        findings.push(Reason::new(
                            Code::EligibilityUnderage,
                            json!({"period": p.n, "from": ymd(p.from), "min_work_age": shared.min_work_age}),
                        ));
                    }
                }
            }
            Err(problem) => findings.push(Reason::new(
                Code::EligibilityIdNumberInvalid,
                json!({"id_number": idnumber::mask(text), "problem": problem.as_str()}),
            )),
        }
    }
    for (i, w) in d.work.iter().enumerate() {
        let p = periods[i];
        let Some(emp) = d.employers.iter().find(|x| normal(&x.name) == normal(&w.employer)) else {
            continue;
        };
        let founded = emp.founded.map(|f| f.0.first(now));
        let dissolved = emp.dissolved.map(|f| f.0.last(now));
        let early = founded.is_some_and(|f| p.from < f);
        let late = dissolved.is_some_and(|x| p.to > x);
        if early || late {
            findings.push(Reason::new(
                Code::EligibilityEmployerDates,
                json!({
                    "period": p.n, "from": ymd(p.from), "to": ymd(p.to),
                    "founded": founded.map_or("—".into(), ymd),
                    "dissolved": dissolved.map_or("—".into(), ymd),
                }),
            ));
        }
    }
    let full: Vec<&Period> = periods.iter().filter(|p| p.valid && p.full_time).collect();
    for (a, p) in full.iter().enumerate() {
        for q in &full[a + 1..] {
            let start = p.from.max(q.from);
            let end = p.to.min(q.to);
            let days = (end - start).num_days() + 1;
            if days > i64::from(shared.max_overlap_days) {
                findings.push(Reason::new(
                    Code::EligibilityPeriodOverlap,
                    json!({"first": p.n.min(q.n), "second": p.n.max(q.n), "days": days}),
                ));
            }
        }
    }
    if e.counting == Counting::Continuous {
        let segments = merged(&periods, None);
        for pair in segments.windows(2) {
            let days = (pair[1].0 - pair[0].1).num_days() - 1;
            if days > i64::from(shared.max_gap_days) {
                findings.push(Reason::new(
                    Code::EligibilityGap,
                    json!({
                        "from": pair[0].1.succ_opt().map(ymd),
                        "to": pair[1].0.pred_opt().map(ymd),
                        "days": days,
                        "max_gap_days": shared.max_gap_days,
                    }),
                ));
            }
        }
    }
    Ok(Facts {
        as_of,
        now,
        periods,
        findings,
    })
}

/// The counted, valid periods from `start` on, merged where they touch or
/// overlap, in order.
fn merged(periods: &[Period], start: Option<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    let mut spans: Vec<(NaiveDate, NaiveDate)> = periods
        .iter()
        .filter(|p| p.valid && p.counts)
        .map(|p| (start.map_or(p.from, |s| p.from.max(s)), p.to))
        .filter(|(f, t)| f <= t)
        .collect();
    spans.sort();
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(spans.len());
    for (f, t) in spans {
        match out.last_mut() {
            Some(last) if f <= last.1.succ_opt().unwrap_or(last.1) => last.1 = last.1.max(t),
            _ => out.push((f, t)),
        }
    }
    out
}

/// The work counted: the longest continuous run (gaps up to the tolerance
/// bridged, never counted), or the sum of every period. With the run's or
/// the periods' first and last day.
fn work_counted(
    periods: &[Period],
    start: Option<NaiveDate>,
    counting: Counting,
    max_gap_days: u32,
) -> (Span, Option<(NaiveDate, NaiveDate)>) {
    let segments = merged(periods, start);
    let span_of = |(f, t): (NaiveDate, NaiveDate)| Span::between(f.pred_opt().unwrap_or(f), t);
    match counting {
        Counting::Cumulative => {
            let total = segments.iter().fold(Span::default(), |s, &seg| s.plus(span_of(seg)));
            let range = segments.first().zip(segments.last()).map(|(a, b)| (a.0, b.1));
            (total, range)
        }
        Counting::Continuous => {
            let mut best: (Span, Option<(NaiveDate, NaiveDate)>) = (Span::default(), None);
            let mut run: Option<(Span, NaiveDate, NaiveDate)> = None;
            for &seg in &segments {
                run = match run {
                    Some((s, f, t)) if (seg.0 - t).num_days() - 1 <= i64::from(max_gap_days) => {
                        Some((s.plus(span_of(seg)), f, seg.1))
                    }
                    _ => Some((span_of(seg), seg.0, seg.1)),
                };
                if let Some((s, f, t)) = run {
                    if best.1.is_none() || s > best.0 {
                        best = (s, Some((f, t)));
                    }
                }
            }
            best
        }
    }
}

fn condition(what: &str, met: bool, zh: String, en: String, detail: Value) -> ConditionResult {
    ConditionResult {
        what: what.into(),
        met,
        zh,
        en,
        detail: match detail {
            Value::Object(m) => m,
            _ => Map::new(),
        },
    }
}

/// 三级 / level 3, or 预备技师 / preparatory technician.
fn certificate_words(need: &CertificateNeed) -> (String, String) {
    const ZH: [&str; 5] = [
        "一级/高级技师",
        "二级/技师",
        "三级/高级工",
        "四级/中级工",
        "五级/初级工",
    ];
    match (need.kind, need.level) {
        (CertificateKind::PreparatoryTechnician, _) => {
            ("预备技师证书".into(), "preparatory-technician certificate".into())
        }
        (CertificateKind::Skill, Some(l @ 1..=5)) => (
            format!("{}证书", ZH[usize::from(l) - 1]),
            format!("level-{l} certificate"),
        ),
        (CertificateKind::Skill, _) => ("职业资格证书".into(), "skill certificate".into()),
    }
}

fn judge_route(
    rules: &Rules,
    plan: &Plan,
    e: &PlanEligibility,
    route: &Route,
    n: u32,
    d: &Declared,
    facts: &Facts,
) -> RouteResult {
    let mut conditions = Vec::new();
    if let Some(need) = &route.education {
        conditions.push(judge_education(need, n, d, facts));
    }
    let mut anchor = None;
    if let Some(need) = &route.certificate {
        let (c, date) = judge_certificate(plan, e, need, n, d, facts);
        anchor = date;
        conditions.push(c);
    }
    if route.training {
        conditions.push(judge_training(e, n, d, facts));
    }
    conditions.push(judge_work(rules, e, route, n, anchor, facts));
    RouteResult {
        wording: route.wording.clone(),
        met: conditions.iter().all(|c| c.met),
        conditions,
    }
}

fn judge_education(need: &EducationNeed, n: u32, d: &Declared, facts: &Facts) -> ConditionResult {
    let major = |m: Option<bool>| match m {
        Some(true) => ("本专业", "in this field"),
        Some(false) => ("非本专业", "in another field"),
        None => ("", ""),
    };
    let (mz, me) = major(need.major_related);
    let levels_zh: Vec<&str> = need.levels.iter().map(|l| l.zh()).collect();
    let levels_en: Vec<&str> = need.levels.iter().map(|l| l.en()).collect();
    let need_zh = format!("{mz}{}学历", levels_zh.join("或"));
    let need_en = format!(
        "{}{}",
        levels_en.join(" or "),
        if me.is_empty() { String::new() } else { format!(" {me}") }
    );
    let found = d.education.iter().find(|ed| {
        need.levels.contains(&ed.level)
            && need.major_related.is_none_or(|m| ed.major_related == Some(m))
            && ed.graduated.0.last(facts.now) <= facts.as_of
    });
    match found {
        Some(ed) => {
            let g = ed.graduated.0.last(facts.now);
            let (z, en) = major(ed.major_related);
            condition(
                "education",
                true,
                format!("具有{z}{}学历（{} 毕业）", ed.level.zh(), ymd(g)),
                format!(
                    "{}{} (graduated {})",
                    ed.level.en(),
                    if en.is_empty() { String::new() } else { format!(" {en}") },
                    ymd(g)
                ),
                json!({"level": ed.level, "graduated": ymd(g)}),
            )
        }
        None => {
            let declared_zh: Vec<String> = d
                .education
                .iter()
                .map(|ed| format!("{}{}", major(ed.major_related).0, ed.level.zh()))
                .collect();
            let declared_en: Vec<String> = d.education.iter().map(|ed| ed.level.en().to_string()).collect();
            condition(
                "education",
                false,
                format!(
                    "第 {n} 条需{need_zh}；申报的学历：{}",
                    if declared_zh.is_empty() {
                        "无".into()
                    } else {
                        declared_zh.join("、")
                    }
                ),
                format!(
                    "clause {n} needs a {need_en}; declared: {}",
                    if declared_en.is_empty() {
                        "none".into()
                    } else {
                        declared_en.join(", ")
                    }
                ),
                json!({"levels": need.levels, "major_related": need.major_related}),
            )
        }
    }
}

/// The certificate condition, and the earliest qualifying certificate's
/// date (work after it counts longest).
fn judge_certificate(
    plan: &Plan,
    e: &PlanEligibility,
    need: &CertificateNeed,
    n: u32,
    d: &Declared,
    facts: &Facts,
) -> (ConditionResult, Option<NaiveDate>) {
    let (word_zh, word_en) = certificate_words(need);
    let occ_zh = if need.related {
        "本职业或相关职业"
    } else {
        "本职业"
    };
    let occ_en = if need.related {
        "this or a related occupation"
    } else {
        "this occupation"
    };
    let found = d
        .certificates
        .iter()
        .filter(|c| {
            c.kind == need.kind
                && (need.kind == CertificateKind::PreparatoryTechnician || c.level == need.level)
                && occupation_counts(plan, e, &c.occupation, need.related)
                && c.date.0.last(facts.now) <= facts.as_of
        })
        .min_by_key(|c| c.date.0.last(facts.now));
    match found {
        Some(c) => {
            let date = c.date.0.last(facts.now);
            (
                condition(
                    "certificate",
                    true,
                    format!("已取得{occ_zh}{word_zh}（{}，{}）", c.occupation, ymd(date)),
                    format!("{word_en} of {occ_en} ({}, {})", c.occupation, ymd(date)),
                    json!({"occupation": c.occupation, "date": ymd(date)}),
                ),
                Some(date),
            )
        }
        None => (
            condition(
                "certificate",
                false,
                format!("第 {n} 条需{occ_zh}{word_zh}；申报的证书中没有"),
                format!("clause {n} needs a {word_en} of {occ_en}; none declared"),
                json!({"kind": need.kind, "level": need.level, "related": need.related}),
            ),
            None,
        ),
    }
}

fn judge_training(e: &PlanEligibility, n: u32, d: &Declared, facts: &Facts) -> ConditionResult {
    let occupations: Vec<&str> = if e.training_occupations.is_empty() {
        vec![e.occupation.as_str()]
    } else {
        e.training_occupations.iter().map(String::as_str).collect()
    };
    let hours_zh = e
        .min_training_hours
        .map_or(String::new(), |h| format!("（不少于 {h} 学时）"));
    let hours_en = e
        .min_training_hours
        .map_or(String::new(), |h| format!(" (at least {h} hours)"));
    let found = d.training.iter().find(|t| {
        occupations.iter().any(|o| normal(o) == normal(&t.occupation))
            && t.date.0.last(facts.now) <= facts.as_of
            && e.min_training_hours.is_none_or(|h| t.hours.is_some_and(|x| x >= h))
    });
    let what = occupations.join("、");
    match found {
        Some(t) => condition(
            "training",
            true,
            format!(
                "已取得{}职业技能培训结业证书（{}）",
                t.occupation,
                ymd(t.date.0.last(facts.now))
            ),
            format!(
                "{} training completed ({})",
                t.occupation,
                ymd(t.date.0.last(facts.now))
            ),
            json!({"occupation": t.occupation, "date": ymd(t.date.0.last(facts.now)), "hours": t.hours}),
        ),
        None => condition(
            "training",
            false,
            format!("第 {n} 条需{what}职业技能培训结业证书{hours_zh}；申报的培训中没有"),
            format!("clause {n} needs a {what} training completion certificate{hours_en}; none declared"),
            json!({"occupations": occupations, "min_hours": e.min_training_hours}),
        ),
    }
}

fn judge_work(
    rules: &Rules,
    e: &PlanEligibility,
    route: &Route,
    n: u32,
    anchor: Option<NaiveDate>,
    facts: &Facts,
) -> ConditionResult {
    let years = route.work_years;
    let (mode_zh, mode_en) = match e.counting {
        Counting::Continuous => ("连续", "continuous"),
        Counting::Cumulative => ("累计", "cumulative"),
    };
    let (occ_zh, occ_en) = if e.related_count {
        ("本职业或相关职业", "this or a related occupation")
    } else {
        ("本职业", "this occupation")
    };
    let (after_zh, after_en) = match (route.work_from, &route.certificate) {
        (WorkFrom::Certificate, Some(need)) => {
            let (z, en) = certificate_words(need);
            (format!("取得{z}后"), format!(" after the {en}"))
        }
        _ => (String::new(), String::new()),
    };
    if route.work_from == WorkFrom::Certificate && anchor.is_none() {
        return condition(
            "work",
            false,
            format!("没有所需证书，无法计算{after_zh}的工作年限（第 {n} 条需{mode_zh}满 {years} 年）"),
            format!("no qualifying certificate to count work{after_en} from (clause {n} needs {years} years)"),
            json!({"required_years": years}),
        );
    }
    // The day of the certificate does not count (民法典 第二百零一条).
    let start = match route.work_from {
        WorkFrom::Certificate => anchor.and_then(|a| a.succ_opt()),
        WorkFrom::Anytime => None,
    };
    let (span, range) = work_counted(&facts.periods, start, e.counting, rules.eligibility().max_gap_days);
    let met = span.reaches_years(years);
    let zh = if met {
        format!(
            "{after_zh}{mode_zh}从事{occ_zh}工作 {}，满足第 {n} 条的 {years} 年",
            span.zh()
        )
    } else {
        format!(
            "{after_zh}{mode_zh}从事{occ_zh}工作 {}，第 {n} 条需满 {years} 年",
            span.zh()
        )
    };
    let en = if met {
        format!(
            "{} of {mode_en} work in {occ_en}{after_en}: clause {n}'s {years} years are met",
            span.en()
        )
    } else {
        format!(
            "{} of {mode_en} work in {occ_en}{after_en}; clause {n} needs {years} years",
            span.en()
        )
    };
    condition(
        "work",
        met,
        zh,
        en,
        json!({
            "counted_from": start.map(ymd),
            "first_day": range.map(|r| ymd(r.0)),
            "last_day": range.map(|r| ymd(r.1)),
            "months": span.months,
            "days": span.days,
            "required_years": years,
            "counting": mode_en,
        }),
    )
}

impl Eligibility {
    /// Whether any finding rejects (the declaration itself needs fixing).
    pub fn rejects(&self) -> bool {
        self.findings
            .iter()
            .any(|r| r.severity == crate::codes::Severity::Reject)
    }

    /// Whether clause `n` is met.
    pub fn met(&self, n: u32) -> bool {
        self.clauses.iter().any(|c| c.clause == n && c.met)
    }
}

/// Reads the reference date of `--as-of` / `as_of` (YYYY-MM-DD).
pub fn parse_as_of(text: &str) -> Option<NaiveDate> {
    match DateValue::parse(text)? {
        DateValue::Day(d) => Some(d),
        _ => None,
    }
}

/// Adds the chosen clause's eligibility to an application's report
/// (`check --declared`): `eligibility.not_met` and the findings, with
/// messages in `lang`, and settles the verdict again.
pub fn add_to_report(report: &mut crate::Report, e: &Eligibility, clause: u32, rules: &Rules, lang: Lang) {
    let mut reasons = clause_reasons(e, clause);
    localise_reasons(&mut reasons, &rules.messages, lang);
    report.reasons.extend(reasons);
    report.settle();
}

/// A readable answer: each clause with ✓ or ✗ and why, then the findings.
pub fn render_text(e: &Eligibility, rules: &Rules, lang: Lang) -> String {
    use std::fmt::Write as _;
    let zh = lang == Lang::Zh;
    let mut out = String::new();
    let plan = rules.plan(&e.plan);
    let name = plan.map_or(e.plan.as_str(), |p| if zh { &p.zh } else { &p.en });
    let _ = writeln!(
        out,
        "{name} ({}) — {} {}",
        e.plan,
        if zh { "参照日期" } else { "as of" },
        e.as_of
    );
    for c in &e.clauses {
        let mark = if c.met { "✓" } else { "✗" };
        let title = if zh {
            format!("第 {} 条", c.clause)
        } else {
            format!("clause {}", c.clause)
        };
        let _ = writeln!(
            out,
            "  {mark} {title}  {}",
            if zh { &c.condition_zh } else { &c.condition_en }
        );
        for w in if zh { &c.why_zh } else { &c.why_en } {
            let _ = writeln!(out, "      - {w}");
        }
    }
    for r in &e.findings {
        let m = if r.severity == crate::codes::Severity::Reject {
            "✗"
        } else {
            "!"
        };
        let _ = writeln!(out, "  {m} {}  {}", r.code, r.message);
    }
    out
}
