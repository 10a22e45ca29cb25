//! The 18-character citizen identity number of GB 11643-1999: six digits of
//! the address code, the birth date (YYYYMMDD), a three-digit sequence whose
//! last digit is odd for men and even for women, and a check character by
//! ISO 7064 MOD 11-2. Read only; never logged; shown masked.

use chrono::NaiveDate;

/// What is wrong with a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Not 18 characters.
    Length,
    /// Not 17 digits and a digit or X.
    Characters,
    /// An address code no province starts with (GB/T 2260: 11-82).
    Region,
    /// Digits 7-14 are no date, or a date in the future.
    BirthDate,
    /// The check character does not match.
    CheckCharacter,
}

impl Problem {
    /// The word of the API detail.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Length => "length",
            Problem::Characters => "characters",
            Problem::Region => "region",
            Problem::BirthDate => "birth_date",
            Problem::CheckCharacter => "check_character",
        }
    }
}

/// A number that passed every test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdNumber {
    pub birth: NaiveDate,
    /// Odd sequence digit.
    pub male: bool,
}

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn check_character(first17: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(&c, w)| u32::from(c - b'0') * w).sum();
    Some(b"10X98765432"[(sum % 11) as usize])
}

/// Reads a number (spaces ignored, `x` as `X`); `today` bounds the birth date.
pub fn parse(text: &str, today: NaiveDate) -> Result<IdNumber, Problem> {
    let s: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if s.len() != 18 {
        return Err(Problem::Length);
    }
    if !s[..17].iter().all(u8::is_ascii_digit) || !(s[17].is_ascii_digit() || s[17] == b'X') {
        return Err(Problem::Characters);
    }
    let two = |i: usize| u32::from(s[i] - b'0') * 10 + u32::from(s[i + 1] - b'0');
    if !(11..=82).contains(&two(0)) {
        return Err(Problem::Region);
    }
    let year = two(6) * 100 + two(8);
    let birth = NaiveDate::from_ymd_opt(year as i32, two(10), two(12))
        .filter(|d| *d <= today && year >= 1900)
        .ok_or(Problem::BirthDate)?;
    if check_character(&s[..17]) != Some(s[17]) {
        return Err(Problem::CheckCharacter);
    }
    Ok(IdNumber {
        birth,
        male: (s[16] - b'0') % 2 == 1,
    })
}

/// The number as reports show it: the first 6 and last 4 characters.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..6], &chars[chars.len() - 4..]);
    format!(
        "{}{}{}",
        head.iter().collect::<String>(),
        "*".repeat(chars.len() - 10),
        tail.iter().collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
    }

    #[test]
    fn the_standard_example_passes_and_each_defect_is_named() {
        // GB 11643-1999's own example number (appendix), not a person's.
        let ok = parse("11010519491231002X", today());
        assert_eq!(
            ok,
            Ok(IdNumber {
                birth: NaiveDate::from_ymd_opt(1949, 12, 31).unwrap_or_default(),
                male: false
            })
        );
        assert_eq!(parse("11010519491231002x", today()).map(|n| n.male), Ok(false));
        assert_eq!(parse("110105194912310021", today()), Err(Problem::CheckCharacter));
        assert_eq!(parse("1101051949123100", today()), Err(Problem::Length));
        assert_eq!(parse("11010519491231002Y", today()), Err(Problem::Characters));
        assert_eq!(parse("99010519491231002X", today()), Err(Problem::Region));
        assert_eq!(parse("110105194902300020", today()), Err(Problem::BirthDate));
        assert_eq!(parse("110105209912310020", today()), Err(Problem::BirthDate));
        assert_eq!(mask("11010519491231002X"), "110105********002X");
    }
}
