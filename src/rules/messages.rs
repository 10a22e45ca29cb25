//! The message catalogue: a Chinese and an English template for every
//! reason code, filled from the reason's detail.

use super::Rulebook;
use crate::codes::Code;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

const MESSAGES: &str = include_str!("messages.toml");

/// The language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Chinese, for applicants: the default.
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks a language from an `Accept-Language` header: English only when
    /// it is preferred to any Chinese by its q-value (or, at equal weight,
    /// comes first); Chinese otherwise.
    pub fn from_accept(header: &str) -> Lang {
        // Ordered by q-value, best first (accept-language's sort is stable,
        // so equal weights keep the header's order).
        for tag in accept_language::parse(header) {
            let tag = tag.to_ascii_lowercase();
            if tag == "zh" || tag.starts_with("zh-") {
                return Lang::Zh;
            }
            if tag == "en" || tag.starts_with("en-") {
                return Lang::En;
            }
        }
        Lang::Zh
    }
}

#[derive(Deserialize)]
struct Catalogue {
    words: HashMap<String, HashMap<String, String>>,
    codes: HashMap<String, Template>,
    /// Chinese messages of the HTTP API's request errors, by error code.
    #[serde(default)]
    errors: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Template {
    zh: String,
    en: String,
}

/// Templates and the words used to fill them.
#[derive(Debug, Clone)]
pub struct Messages {
    templates: HashMap<Code, Template>,
    words_zh: HashMap<String, String>,
    words_en: HashMap<String, String>,
    errors_zh: HashMap<String, String>,
}

impl Messages {
    /// The compiled-in catalogue, with the rulebook's slot names as words so
    /// that `{slot}` reads as a material's name.
    pub(crate) fn builtin(book: &Rulebook) -> Result<Messages, Error> {
        let cat: Catalogue = toml::from_str(MESSAGES).map_err(|e| Error::Rules {
            line: None,
            message: format!("messages.toml: {}", e.message()),
        })?;
        let mut templates = HashMap::new();
        for (k, t) in cat.codes {
            let code = Code::parse(&k).ok_or_else(|| Error::Rules {
                line: None,
                message: format!("messages.toml: unknown code {k:?}"),
            })?;
            templates.insert(code, t);
        }
        if let Some(c) = Code::ALL.iter().find(|c| !templates.contains_key(c)) {
            return Err(Error::Rules {
                line: None,
                message: format!("messages.toml: no message for {c}"),
            });
        }
        let mut words_zh = cat.words.get("zh").cloned().unwrap_or_default();
        let mut words_en = cat.words.get("en").cloned().unwrap_or_default();
        for s in &book.slots {
            words_zh.insert(s.id.clone(), s.zh.clone());
            words_en.insert(s.id.clone(), s.en.clone());
        }
        Ok(Messages {
            templates,
            words_zh,
            words_en,
            errors_zh: cat.errors,
        })
    }

    /// The Chinese message of an HTTP request error's code, if there is one.
    pub fn error_zh(&self, code: &str) -> Option<&str> {
        self.errors_zh.get(code).map(String::as_str)
    }

    /// The message of a reason in a language.
    pub fn render(&self, code: Code, detail: &Map<String, Value>, lang: Lang) -> String {
        let Some(t) = self.templates.get(&code) else {
            return code.as_str().to_string();
        };
        let (template, words) = match lang {
            Lang::Zh => (&t.zh, &self.words_zh),
            Lang::En => (&t.en, &self.words_en),
        };
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let key = &after[..close];
                    match detail.get(key) {
                        Some(v) => out.push_str(&format_value(v, words, lang)),
                        None => out.push_str(&rest[open..open + close + 2]),
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A word in a language (a colour, a format, a slot id), or itself.
    pub fn word<'a>(&'a self, w: &'a str, lang: Lang) -> &'a str {
        let words = match lang {
            Lang::Zh => &self.words_zh,
            Lang::En => &self.words_en,
        };
        words.get(w).map_or(w, String::as_str)
    }
}

fn format_value(v: &Value, words: &HashMap<String, String>, lang: Lang) -> String {
    match v {
        Value::String(s) => words.get(s).cloned().unwrap_or_else(|| s.clone()),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.to_string(),
            (_, Some(i), _) => i.to_string(),
            (_, _, Some(f)) => {
                let s = format!("{f:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        Value::Array(items) => {
            let sep = if lang == Lang::Zh { "、" } else { ", " };
            items
                .iter()
                .map(|i| format_value(i, words, lang))
                .collect::<Vec<_>>()
                .join(sep)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn accept_language_follows_q_values() {
        for (header, want) in [
            ("en;q=0.1, zh-CN;q=0.9", Lang::Zh),
            ("zh-CN;q=0.2, en-US;q=0.8", Lang::En),
            ("en-US,en;q=0.9,zh;q=0.8", Lang::En),
            ("zh-TW, en", Lang::Zh),
            ("fr-FR, de;q=0.5", Lang::Zh),
            ("english", Lang::Zh),
            ("", Lang::Zh),
            (";;;q=abc,,,", Lang::Zh),
        ] {
            assert_eq!(Lang::from_accept(header), want, "{header}");
        }
    }
}
