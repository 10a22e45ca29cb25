//! Calendar arithmetic for eligibility: declared dates at day or month
//! precision, and spans of work in months and days counted the Civil Code's
//! way (民法典 第二百零一条、第二百零二条).

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;
use std::fmt;

/// N months after `d`: the same day of the month, or the month's last day
/// when it has no such day (chrono clamps the same way).
pub fn months_after(d: NaiveDate, months: u32) -> Option<NaiveDate> {
    d.checked_add_months(Months::new(months))
}

/// Time worked, in whole months and days (30 days carry into a month when
/// spans are added).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub months: u32,
    pub days: u32,
}

impl Span {
    /// The work done on the days after `before` up to and including `last`.
    /// A period from F to T is `between(F - 1 day, T)`: from 2020-03-16 to
    /// 2024-03-15 is exactly 4 years.
    pub fn between(before: NaiveDate, last: NaiveDate) -> Span {
        if last <= before {
            return Span::default();
        }
        let whole = (last.year() - before.year()) * 12 + last.month() as i32 - before.month() as i32;
        let mut months = u32::try_from(whole).unwrap_or(0);
        while months > 0 && months_after(before, months).is_none_or(|d| d > last) {
            months -= 1;
        }
        let from = months_after(before, months).unwrap_or(before);
        let days = u32::try_from((last - from).num_days()).unwrap_or(0);
        Span { months, days }
    }

    /// Two spans summed, 30 days making a month.
    pub fn plus(self, other: Span) -> Span {
        let days = self.days + other.days;
        Span {
            months: self.months + other.months + days / 30,
            days: days % 30,
        }
    }

    /// Whether the span reaches `years` whole years.
    pub fn reaches_years(self, years: u32) -> bool {
        self.months >= years * 12
    }

    /// "3 年 7 个月" (days only when there are no whole months).
    pub fn zh(self) -> String {
        let (y, m) = (self.months / 12, self.months % 12);
        match (y, m) {
            (0, 0) => format!("{} 天", self.days),
            (0, m) => format!("{m} 个月"),
            (y, 0) => format!("{y} 年"),
            (y, m) => format!("{y} 年 {m} 个月"),
        }
    }

    /// "3 years 7 months".
    pub fn en(self) -> String {
        let plural = |n: u32, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let (y, m) = (self.months / 12, self.months % 12);
        match (y, m) {
            (0, 0) => plural(self.days, "day"),
            (0, m) => plural(m, "month"),
            (y, 0) => plural(y, "year"),
            (y, m) => format!("{} {}", plural(y, "year"), plural(m, "month")),
        }
    }
}

/// A date as an applicant writes it: a day, a month, or "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declared {
    Day(NaiveDate),
    /// A month without a day (2019-07): its first day where a period starts,
    /// its last where one ends.
    Month(NaiveDate),
    /// 至今 / now: only a period's end.
    Now,
}

impl Declared {
    /// Reads `2019-07-01`, `2019.7.1`, `2019/07/01`, `2019年7月1日`, the same
    /// without the day, or `now` / `至今`. `None` for anything else.
    pub fn parse(text: &str) -> Option<Declared> {
        let t = text.trim();
        if matches!(t.to_ascii_lowercase().as_str(), "now" | "present") || matches!(t, "至今" | "今" | "现在") {
            return Some(Declared::Now);
        }
        let t = t.trim_end_matches('日');
        let parts: Vec<&str> = t.split(['-', '.', '/', '年', '月']).filter(|p| !p.is_empty()).collect();
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match parts.as_slice() {
            [y, m] if y.len() == 4 && m.len() <= 2 => {
                NaiveDate::from_ymd_opt(num(y)? as i32, num(m)?, 1).map(Declared::Month)
            }
            [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => {
                NaiveDate::from_ymd_opt(num(y)? as i32, num(m)?, num(d)?).map(Declared::Day)
            }
            _ => None,
        }
    }

    /// The earliest day the text can mean (a start; `now` is `now`).
    pub fn first(self, now: NaiveDate) -> NaiveDate {
        match self {
            Declared::Day(d) | Declared::Month(d) => d,
            Declared::Now => now,
        }
    }

    /// The latest day the text can mean (an end).
    pub fn last(self, now: NaiveDate) -> NaiveDate {
        match self {
            Declared::Day(d) => d,
            Declared::Month(d) => months_after(d, 1).and_then(|n| n.pred_opt()).unwrap_or(d),
            Declared::Now => now,
        }
    }
}

impl fmt::Display for Declared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Declared::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Declared::Month(d) => write!(f, "{}", d.format("%Y-%m")),
            Declared::Now => f.write_str("now"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        match Declared::parse(s) {
            Some(Declared::Day(d)) => d,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn declared_dates_read_the_ways_forms_write_them() {
        assert_eq!(day("2019-07-01"), day("2019.7.1"));
        assert_eq!(day("2019/07/01"), day("2019年7月1日"));
        assert!(matches!(Declared::parse("2019.07"), Some(Declared::Month(_))));
        assert!(matches!(Declared::parse("2019年7月"), Some(Declared::Month(_))));
        assert_eq!(Declared::parse("至今"), Some(Declared::Now));
        for bad in [
            "",
            "2019",
            "2019-13",
            "2019-02-30",
            "19-07-01",
            "2019-07-01-02",
            "二〇一九年",
            "2019-7x",
        ] {
            assert_eq!(Declared::parse(bad), None, "{bad}");
        }
        let m = Declared::parse("2020-02").map(|d| d.last(day("2026-01-01")));
        assert_eq!(m, Some(day("2020-02-29")));
    }

    #[test]
    fn spans_count_the_civil_code_way() {
        // Exactly four years, and one day short of them.
        assert_eq!(
            Span::between(day("2020-03-15"), day("2024-03-15")),
            Span { months: 48, days: 0 }
        );
        assert_eq!(
            Span::between(day("2020-03-15"), day("2024-03-14")),
            Span { months: 47, days: 28 }
        );
        // No 29 February in 2021: the year ends on the month's last day.
        assert_eq!(
            Span::between(day("2020-02-29"), day("2021-02-28")),
            Span { months: 12, days: 0 }
        );
        assert_eq!(
            Span::between(day("2020-02-29"), day("2024-02-29")),
            Span { months: 48, days: 0 }
        );
        assert_eq!(
            Span::between(day("2020-01-31"), day("2020-02-29")),
            Span { months: 1, days: 0 }
        );
        assert_eq!(Span::between(day("2020-05-01"), day("2020-04-01")), Span::default());
        let sum = Span { months: 1, days: 20 }.plus(Span { months: 2, days: 15 });
        assert_eq!(sum, Span { months: 4, days: 5 });
        assert_eq!(Span { months: 43, days: 3 }.zh(), "3 年 7 个月");
        assert_eq!(Span { months: 13, days: 3 }.en(), "1 year 1 month");
    }
}
