//! The declared-data document: what an applicant types into the
//! registration site (ID number, education, certificates, training, work
//! history, and the employers' dates as the site knows them). Its JSON
//! Schema is `schemas/declared.schema.json` and the OpenAPI document's
//! `Declared`.

use super::dates::Declared as DateValue;
use crate::rules::{CertificateKind, EducationLevel};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A date as written: `YYYY-MM-DD` or `YYYY-MM` (also with `.` or `/`, or
/// `YYYY年MM月DD日`); `now` / `至今` only as the end of a work period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateText(pub DateValue);

impl<'de> Deserialize<'de> for DateText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DateValue::parse(&s).map(DateText).ok_or_else(|| {
            serde::de::Error::custom("expected a date YYYY-MM-DD or YYYY-MM (or now / 至今 for the end of a job)")
        })
    }
}

impl Serialize for DateText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// Everything the applicant declares. Every list may be empty.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// 公民身份号码, 18 characters (GB 11643-1999). Checked, never logged,
    /// shown masked.
    #[serde(default)]
    pub id_number: Option<String>,
    /// The date the 申报表 is signed: work may not end after it, and a job
    /// "to now" ends on it.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-11-20")]
    pub signed: Option<DateText>,
    #[serde(default)]
    pub education: Vec<Education>,
    #[serde(default)]
    pub certificates: Vec<Certificate>,
    #[serde(default)]
    pub training: Vec<Training>,
    /// One line per job and period (seed 000 说明 2).
    #[serde(default)]
    pub work: Vec<Work>,
    /// Founding and dissolution dates of employers, as the site knows them
    /// (matched to work periods by the employer's name).
    #[serde(default)]
    pub employers: Vec<Employer>,
}

/// A school education.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Education {
    pub level: EducationLevel,
    /// Whether the major is this occupation's (本专业); unknown when absent.
    #[serde(default)]
    pub major_related: Option<bool>,
    #[schema(value_type = String, example = "2015-07-01")]
    pub graduated: DateText,
    /// The 学信网 online verification code (format checked only).
    #[serde(default)]
    pub chsi_code: Option<String>,
}

/// A vocational certificate.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    #[serde(default)]
    pub kind: CertificateKind,
    /// 1-5 for a skill certificate (3 = 三级/高级工, 助理电子商务师).
    #[serde(default)]
    pub level: Option<u8>,
    /// The occupation, e.g. 电子商务师 or 营销员.
    pub occupation: String,
    #[serde(default)]
    pub number: Option<String>,
    /// The date of issue.
    #[schema(value_type = String, example = "2018-06-30")]
    pub date: DateText,
}

/// A training completion certificate (结业证书).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Training {
    /// The occupation trained for.
    pub occupation: String,
    /// The date of the completion certificate.
    #[schema(value_type = String, example = "2022-01-10")]
    pub date: DateText,
    #[serde(default)]
    pub hours: Option<u32>,
}

/// One job over one period.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Work {
    /// The employer's full name.
    pub employer: String,
    #[schema(value_type = String, example = "2015-07")]
    pub from: DateText,
    /// An end date, or `now` / `至今`.
    #[schema(value_type = String, example = "now")]
    pub to: DateText,
    /// The post, e.g. 电子商务运营.
    pub position: String,
    /// The occupation written after 从事 (e.g. 电子商务师, 营销员); absent:
    /// the plan's own occupation.
    #[serde(default)]
    pub occupation: Option<String>,
    #[serde(default)]
    pub part_time: bool,
}

/// An employer's dates.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Employer {
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2010-03-01")]
    pub founded: Option<DateText>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub dissolved: Option<DateText>,
}

/// A document that does not read: where, and what was expected. Never
/// holds a value from the document (an ID number in a wrong place would
/// otherwise reach an error log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredError {
    /// The JSON path, e.g. `work[2].from` (`.` for the whole document).
    pub path: String,
    pub message: String,
}

impl fmt::Display for DeclaredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for DeclaredError {}

impl Declared {
    /// Reads a JSON document; the error names the path and never the value.
    pub fn from_json(bytes: &[u8]) -> Result<Declared, DeclaredError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let declared: Declared = serde_path_to_error::deserialize(&mut de).map_err(|e| DeclaredError {
            path: e.path().to_string(),
            message: redact(&e.inner().to_string()),
        })?;
        de.end().map_err(|e| DeclaredError {
            path: ".".into(),
            message: redact(&e.to_string()),
        })?;
        Ok(declared)
    }
}

/// serde's message without the quoted values it may echo (`invalid type:
/// string "11010519…"`): field names are kept, since they are ours.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    // Numbers echoed outside quotes (`invalid value: integer 110105…`).
    let mut clean = String::with_capacity(out.len());
    let mut digits = 0;
    for c in out.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits == 6 {
                clean.push('…');
            }
            if digits >= 6 {
                continue;
            }
        } else {
            digits = 0;
        }
        clean.push(c);
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_path_and_never_the_value() {
        let e =
            Declared::from_json(br#"{"work": [{"employer": "A", "from": "2019-13", "to": "now", "position": "x"}]}"#)
                .err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("work[0].from: expected a date"), "{e}");
        let e = Declared::from_json(br#"{"id_number": 110105194912310021}"#).err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("id_number:") && !e.contains("1949123"), "{e}");
        let e = Declared::from_json(br#"{"education": [{"level": "11010519491231002X"}]}"#).err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(!e.contains("11010519491231002X"), "{e}");
        assert!(Declared::from_json(b"{} trailing").is_err());
        assert!(Declared::from_json(b"{}").is_ok());
    }
}
