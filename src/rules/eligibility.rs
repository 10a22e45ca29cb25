//! The eligibility conditions as data: how work is counted in a plan, what
//! each clause's routes need, and the tolerances of the consistency findings.
//! Read by [`crate::eligibility`]; validated here once with the rulebook.

use super::{problem, Problem};
use serde::{Deserialize, Serialize};

/// The rulebook's `[eligibility]` table: values shared by every plan.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRules {
    /// A gap of at most this many days keeps work continuous.
    pub max_gap_days: u32,
    /// Two full-time periods may overlap this many days without a finding.
    pub max_overlap_days: u32,
    /// Work before this age (from the ID number) is a finding.
    pub min_work_age: u32,
    /// Most work periods in one declaration.
    pub max_periods: usize,
    /// Lengths a 学信网 online verification code may have.
    pub chsi_code_lengths: Vec<usize>,
    /// An employer name shorter than this (in characters) is not a full name.
    pub employer_min_chars: usize,
    /// Words a full employer name ends in.
    pub employer_suffixes: Vec<String>,
}

/// How a plan counts work: `[plans.eligibility]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEligibility {
    pub counting: Counting,
    /// The occupation itself (本职业).
    pub occupation: String,
    /// Whether the plan's `related_occupations` count as well.
    #[serde(default)]
    pub related_count: bool,
    /// Words a post within the counted occupations is written with.
    #[serde(default)]
    pub position_keywords: Vec<String>,
    /// Occupations whose training counts (empty: the occupation itself).
    #[serde(default)]
    pub training_occupations: Vec<String>,
    /// Standard training hours, when the centre gives the figure.
    #[serde(default)]
    pub min_training_hours: Option<u32>,
}

/// 连续 or 累计.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// One run without a gap longer than the tolerance.
    Continuous,
    /// Every counted period summed.
    Cumulative,
}

/// One way to meet a clause; a clause is met when any route is.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The seed's words for this route.
    pub wording: String,
    #[serde(default)]
    pub education: Option<EducationNeed>,
    #[serde(default)]
    pub certificate: Option<CertificateNeed>,
    #[serde(default)]
    pub training: bool,
    pub work_years: u32,
    #[serde(default)]
    pub work_from: WorkFrom,
}

/// Education a route needs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EducationNeed {
    pub levels: Vec<EducationLevel>,
    /// Some(true): a related major (本专业); Some(false): another one; None: any.
    #[serde(default)]
    pub major_related: Option<bool>,
}

/// A certificate a route needs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateNeed {
    pub kind: CertificateKind,
    /// The skill level (3 = 三级/高级工, 助理电子商务师); none for a
    /// preparatory-technician certificate.
    #[serde(default)]
    pub level: Option<u8>,
    /// Whether a certificate of a related occupation counts.
    #[serde(default)]
    pub related: bool,
}

/// From when work counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkFrom {
    /// Whenever it was done.
    #[default]
    Anytime,
    /// From the day after the certificate's date.
    Certificate,
}

/// An education level as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    /// 高中、中专及以下.
    Secondary,
    /// 高级技工学校.
    SeniorTechnicalSchool,
    /// 技师学院.
    TechnicianCollege,
    /// 大专 / 高职.
    JuniorCollege,
    /// 大学本科.
    Bachelor,
    /// 硕士研究生.
    Master,
    /// 博士研究生.
    Doctorate,
}

impl EducationLevel {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            EducationLevel::Secondary => "高中/中专",
            EducationLevel::SeniorTechnicalSchool => "高级技工学校",
            EducationLevel::TechnicianCollege => "技师学院",
            EducationLevel::JuniorCollege => "大专",
            EducationLevel::Bachelor => "大学本科",
            EducationLevel::Master => "硕士研究生",
            EducationLevel::Doctorate => "博士研究生",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            EducationLevel::Secondary => "secondary school",
            EducationLevel::SeniorTechnicalSchool => "senior technical school",
            EducationLevel::TechnicianCollege => "technician college",
            EducationLevel::JuniorCollege => "junior college",
            EducationLevel::Bachelor => "bachelor's degree",
            EducationLevel::Master => "master's degree",
            EducationLevel::Doctorate => "doctorate",
        }
    }
}

/// A certificate's kind as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// 职业资格证书 / 职业技能等级证书, with a level.
    #[default]
    Skill,
    /// 预备技师证书.
    PreparatoryTechnician,
}

/// The shared values: tolerances that make sense, at least one code length.
pub(super) fn validate_shared(e: &EligibilityRules) -> Result<(), Problem> {
    if e.chsi_code_lengths.is_empty() || e.chsi_code_lengths.contains(&0) {
        return Err(problem(
            "eligibility.chsi_code_lengths",
            "give at least one length above 0",
        ));
    }
    if e.max_periods == 0 || e.max_periods > 10_000 {
        return Err(problem("eligibility.max_periods", "max_periods must be 1-10000"));
    }
    if e.min_work_age > 100 {
        return Err(problem("eligibility.min_work_age", "min_work_age must be at most 100"));
    }
    Ok(())
}

/// A plan with eligibility data has routes on every clause, and each route
/// asks for something that can be met.
pub(super) fn validate_plan(at: &str, plan: &super::Plan) -> Result<(), Problem> {
    let Some(e) = &plan.eligibility else {
        if let Some(ci) = plan.clauses.iter().position(|c| !c.routes.is_empty()) {
            return Err(problem(
                format!("{at}.clauses.{ci}.routes"),
                format!("plan {:?} has clause routes but no [plans.eligibility]", plan.id),
            ));
        }
        return Ok(());
    };
    if e.occupation.trim().is_empty() {
        return Err(problem(format!("{at}.eligibility.occupation"), "occupation is empty"));
    }
    if e.related_count && plan.related_occupations.is_empty() {
        return Err(problem(
            format!("{at}.eligibility.related_count"),
            "related_count needs the plan's related_occupations",
        ));
    }
    for (ci, c) in plan.clauses.iter().enumerate() {
        if c.routes.is_empty() {
            return Err(problem(
                format!("{at}.clauses.{ci}.n"),
                format!("clause {} of plan {:?} has no routes", c.n, plan.id),
            ));
        }
        for (ri, r) in c.routes.iter().enumerate() {
            let at = format!("{at}.clauses.{ci}.routes.{ri}");
            if r.work_years == 0 || r.work_years > 60 {
                return Err(problem(format!("{at}.work_years"), "work_years must be 1-60"));
            }
            if r.work_from == WorkFrom::Certificate && r.certificate.is_none() {
                return Err(problem(
                    format!("{at}.work_from"),
                    "work_from = \"certificate\" needs a certificate",
                ));
            }
            if let Some(cert) = &r.certificate {
                let ok = match cert.kind {
                    CertificateKind::Skill => matches!(cert.level, Some(1..=5)),
                    CertificateKind::PreparatoryTechnician => cert.level.is_none(),
                };
                if !ok {
                    return Err(problem(
                        format!("{at}.certificate"),
                        "a skill certificate needs a level 1-5; a preparatory-technician one none",
                    ));
                }
                if cert.related && plan.related_occupations.is_empty() {
                    return Err(problem(
                        format!("{at}.certificate"),
                        "related = true needs related_occupations",
                    ));
                }
            }
            if r.education.as_ref().is_some_and(|ed| ed.levels.is_empty()) {
                return Err(problem(format!("{at}.education"), "education needs at least one level"));
            }
        }
    }
    Ok(())
}
