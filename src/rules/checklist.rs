//! A clause's checklist: what an applicant must upload and what the seeds
//! say beyond images (conditions, notes, applicant-data rules, related
//! occupations). The CLI prints it; the server will serve it.

use super::{Clause, Kind, Plan, Rules};
use crate::format::Format;
use serde::Serialize;

/// One material to upload.
#[derive(Debug, Clone, Serialize)]
pub struct Material {
    pub slot: String,
    pub zh: String,
    pub en: String,
    pub kind: Kind,
    pub formats: Vec<Format>,
    /// The size window in bytes, when the kind has one.
    pub size_bytes: Option<[u64; 2]>,
    pub max_file_bytes: u64,
    pub multiple_files: bool,
}

/// Everything a clause asks for.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub plan: String,
    pub plan_zh: String,
    pub plan_en: String,
    pub clause: u32,
    pub condition_zh: String,
    pub condition_en: String,
    pub materials: Vec<Material>,
    pub notes_zh: Vec<String>,
    pub notes_en: Vec<String>,
    pub applicant_data_rules_zh: Vec<String>,
    pub applicant_data_rules_en: Vec<String>,
    pub related_occupations: Vec<String>,
    pub source: String,
}

impl Rules {
    /// The checklist of a plan's clause.
    pub fn checklist(&self, plan: &Plan, clause: &Clause) -> Checklist {
        let materials = plan
            .required_slots(clause)
            .iter()
            .filter_map(|id| self.slot(id))
            .map(|s| {
                let k = self.kind(s.kind);
                Material {
                    slot: s.id.clone(),
                    zh: plan.slot_names_zh.get(&s.id).unwrap_or(&s.zh).clone(),
                    en: s.en.clone(),
                    kind: s.kind,
                    formats: k.formats.clone(),
                    size_bytes: k.min_bytes.zip(k.max_bytes).map(|(min, max)| [min, max]),
                    max_file_bytes: k.file_cap(self.limits()),
                    multiple_files: s.multiple,
                }
            })
            .collect();
        Checklist {
            plan: plan.id().to_string(),
            plan_zh: plan.zh.clone(),
            plan_en: plan.en.clone(),
            clause: clause.n,
            condition_zh: clause.condition_zh.clone(),
            condition_en: clause.condition_en.clone(),
            materials,
            notes_zh: plan.notes_zh.clone(),
            notes_en: plan.notes_en.clone(),
            applicant_data_rules_zh: plan.applicant_data_rules_zh.clone(),
            applicant_data_rules_en: plan.applicant_data_rules_en.clone(),
            related_occupations: plan.related_occupations.clone(),
            source: plan.source.clone(),
        }
    }
}

/// Every plan with its clauses and each clause's required slots, as JSON
/// (`prescreen rules --format json`, `GET /v1/plans`).
pub fn plans_json(plans: &[Plan]) -> serde_json::Value {
    plans
        .iter()
        .map(|p| {
            serde_json::json!({
                "plan": p.id(),
                "zh": p.zh,
                "en": p.en,
                "clauses": p.clauses.iter().map(|c| serde_json::json!({
                    "clause": c.n,
                    "condition_zh": c.condition_zh,
                    "condition_en": c.condition_en,
                    "slots": p.required_slots(c),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}
