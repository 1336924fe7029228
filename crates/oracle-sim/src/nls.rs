//! Oracle date formats (`nls_date_format`, `to_char`/`to_date` masks) for the simulated
//! SQL*Plus sessions and SQL*Loader.
//!
//! Elements handled: `YYYY`, `RRRR`, `YY`, `RR`, `MM`, `MON`, `MONTH`, `DD`, `HH24`, `HH12`,
//! `HH`, `MI`, `SS`; punctuation (`-`, `/`, `:`, `.`, `,`, space) and `"quoted"` text are
//! copied. The case of `MON`/`MONTH` follows the mask (`MON` → `NOV`, `Mon` → `Nov`).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// The default `nls_date_format` of an American session.
pub const DEFAULT_DATE_FORMAT: &str = "DD-MON-RR";
/// The default `nls_timestamp_format` of an American session.
pub const DEFAULT_TIMESTAMP_FORMAT: &str = "DD-MON-RR HH.MI.SSXFF AM";
/// The default `nls_timestamp_tz_format` of an American session.
pub const DEFAULT_TIMESTAMP_TZ_FORMAT: &str = "DD-MON-RR HH.MI.SSXFF AM TZR";

const MONTHS: [&str; 12] = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
];

/// One element of a mask.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    Year4,
    Year2,
    Month,
    MonthAbbr(Case),
    MonthName(Case),
    Day,
    Hour24,
    Hour12,
    Minute,
    Second,
    Literal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Upper,
    Title,
    Lower,
}

fn case_of(s: &str) -> Case {
    let mut cs = s.chars();
    match (cs.next(), cs.next()) {
        (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Case::Upper,
        (Some(a), _) if a.is_ascii_uppercase() => Case::Title,
        _ => Case::Lower,
    }
}

fn apply_case(s: &str, c: Case) -> String {
    match c {
        Case::Upper => s.to_ascii_uppercase(),
        Case::Lower => s.to_ascii_lowercase(),
        Case::Title => {
            let lower = s.to_ascii_lowercase();
            let mut out = String::new();
            for (i, ch) in lower.chars().enumerate() {
                out.push(if i == 0 { ch.to_ascii_uppercase() } else { ch });
            }
            out
        }
    }
}

/// Parses a mask; `Err` names the first element not understood (ORA-01821).
fn parse_mask(mask: &str) -> Result<Vec<Elem>, String> {
    let mut out = Vec::new();
    let mut rest = mask;
    while !rest.is_empty() {
        let upper = rest.to_ascii_uppercase();
        let take = |n: usize| rest.get(..n).unwrap_or("");
        let (elem, n) = if upper.starts_with("YYYY") || upper.starts_with("RRRR") {
            (Elem::Year4, 4)
        } else if upper.starts_with("YY") || upper.starts_with("RR") {
            (Elem::Year2, 2)
        } else if upper.starts_with("MONTH") {
            (Elem::MonthName(case_of(take(5))), 5)
        } else if upper.starts_with("MON") {
            (Elem::MonthAbbr(case_of(take(3))), 3)
        } else if upper.starts_with("MM") {
            (Elem::Month, 2)
        } else if upper.starts_with("MI") {
            (Elem::Minute, 2)
        } else if upper.starts_with("DD") {
            (Elem::Day, 2)
        } else if upper.starts_with("HH24") {
            (Elem::Hour24, 4)
        } else if upper.starts_with("HH12") {
            (Elem::Hour12, 4)
        } else if upper.starts_with("HH") {
            (Elem::Hour12, 2)
        } else if upper.starts_with("SS") {
            (Elem::Second, 2)
        } else if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').ok_or_else(|| rest.to_string())?;
            (
                Elem::Literal(q.get(..end).unwrap_or("").to_string()),
                end + 2,
            )
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            if "-/:.,; ".contains(c) {
                (Elem::Literal(c.to_string()), c.len_utf8())
            } else {
                return Err(rest.to_string());
            }
        };
        out.push(elem);
        rest = rest.get(n..).unwrap_or("");
    }
    Ok(out)
}

/// Whether `mask` is a date mask this module understands.
pub fn valid_mask(mask: &str) -> bool {
    parse_mask(mask).is_ok()
}

/// `t` formatted with `mask` (as `to_char(t, mask)`); an unknown mask gives the default
/// format's text.
pub fn format(t: NaiveDateTime, mask: &str) -> String {
    let elems = parse_mask(mask)
        .or_else(|_| parse_mask(DEFAULT_DATE_FORMAT))
        .unwrap_or_default();
    let mut out = String::new();
    let month = MONTHS
        .get(t.month0() as usize)
        .copied()
        .unwrap_or("JANUARY");
    for e in elems {
        match e {
            Elem::Year4 => out.push_str(&format!("{:04}", t.year())),
            Elem::Year2 => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            Elem::Month => out.push_str(&format!("{:02}", t.month())),
            Elem::MonthAbbr(c) => out.push_str(&apply_case(month.get(..3).unwrap_or(month), c)),
            Elem::MonthName(c) => out.push_str(&apply_case(&format!("{month:<9}"), c)),
            Elem::Day => out.push_str(&format!("{:02}", t.day())),
            Elem::Hour24 => out.push_str(&format!("{:02}", t.hour())),
            Elem::Hour12 => {
                let h = t.hour() % 12;
                out.push_str(&format!("{:02}", if h == 0 { 12 } else { h }));
            }
            Elem::Minute => out.push_str(&format!("{:02}", t.minute())),
            Elem::Second => out.push_str(&format!("{:02}", t.second())),
            Elem::Literal(s) => out.push_str(&s),
        }
    }
    out
}

/// A `TIMESTAMP WITH TIME ZONE` formatted with `mask` (`nls_timestamp_tz_format`): the
/// time-zone elements `TZH:TZM`, `TZH`, `TZM` and `TZR` print the simulated database's zone,
/// UTC (`+00:00`); the rest as [`format`].
pub fn format_tz(t: NaiveDateTime, mask: &str) -> String {
    let mut m = String::new();
    let mut rest = mask;
    while !rest.is_empty() {
        let upper = rest.to_ascii_uppercase();
        let (lit, n) = if upper.starts_with("TZH:TZM") {
            ("\"+00:00\"", 7)
        } else if upper.starts_with("TZH") {
            ("\"+00\"", 3)
        } else if upper.starts_with("TZM") {
            ("\"00\"", 3)
        } else if upper.starts_with("TZR") {
            ("\"+00:00\"", 3)
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            m.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
            continue;
        };
        m.push_str(lit);
        rest = rest.get(n..).unwrap_or("");
    }
    format(t, &m)
}

/// `to_date(text, mask)`: Oracle is lenient about punctuation (any run of separators
/// matches any other), which the original tool relies on (`2016-11-08 22-48-51` read with
/// `yyyy-mm-dd hh24:mi:ss`). `Err` carries the ORA- error line.
pub fn parse(text: &str, mask: &str) -> Result<NaiveDateTime, String> {
    let elems =
        parse_mask(mask).map_err(|_| "ORA-01821: date format not recognized".to_string())?;
    let mut rest = text.trim();
    let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (2000i32, 1u32, 1u32, 0u32, 0u32, 0u32);
    let num = |rest: &mut &str, max: usize| -> Result<u32, String> {
        let digits: String = rest
            .chars()
            .take_while(char::is_ascii_digit)
            .take(max)
            .collect();
        if digits.is_empty() {
            return Err(
                "ORA-01858: a non-numeric character was found where a numeric was expected".into(),
            );
        }
        *rest = rest.get(digits.len()..).unwrap_or("");
        digits
            .parse()
            .map_err(|_| "ORA-01841: (full) year must be between -4713 and +9999".to_string())
    };
    for e in elems {
        match e {
            Elem::Year4 => y = i32::try_from(num(&mut rest, 4)?).unwrap_or(0),
            Elem::Year2 => {
                let v = i32::try_from(num(&mut rest, 2)?).unwrap_or(0);
                y = if v < 50 { 2000 + v } else { 1900 + v };
            }
            Elem::Month => mo = num(&mut rest, 2)?,
            Elem::MonthAbbr(_) | Elem::MonthName(_) => {
                let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
                let w = word.to_ascii_uppercase();
                let idx = MONTHS
                    .iter()
                    .position(|m| w.len() >= 3 && m.starts_with(&w))
                    .ok_or_else(|| "ORA-01843: not a valid month".to_string())?;
                mo = u32::try_from(idx).unwrap_or(0) + 1;
                rest = rest.get(word.len()..).unwrap_or("");
            }
            Elem::Day => d = num(&mut rest, 2)?,
            Elem::Hour24 => h = num(&mut rest, 2)?,
            Elem::Hour12 => h = num(&mut rest, 2)? % 12,
            Elem::Minute => mi = num(&mut rest, 2)?,
            Elem::Second => s = num(&mut rest, 2)?,
            Elem::Literal(_) => {
                rest = rest.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
            }
        }
    }
    if !rest.trim().is_empty() {
        return Err(
            "ORA-01830: date format picture ends before converting entire input string".into(),
        );
    }
    if !(1..=12).contains(&mo) {
        return Err("ORA-01843: not a valid month".into());
    }
    if h > 23 {
        return Err("ORA-01850: hour must be between 0 and 23".into());
    }
    if mi > 59 {
        return Err("ORA-01851: minutes must be between 0 and 59".into());
    }
    if s > 59 {
        return Err("ORA-01852: seconds must be between 0 and 59".into());
    }
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, s))
        .ok_or_else(|| "ORA-01847: day of month must be between 1 and last day of month".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = NaiveDate::from_ymd_opt(2016, 11, 8)
            .unwrap()
            .and_hms_opt(22, 48, 51)
            .unwrap();
        assert_eq!(format(t, "yyyy-mm-dd hh24:mi:ss"), "2016-11-08 22:48:51");
        assert_eq!(format(t, DEFAULT_DATE_FORMAT), "08-NOV-16");
        assert_eq!(format(t, "dd-Mon-yyyy hh:mi"), "08-Nov-2016 10:48");
        assert_eq!(parse("2016-11-08 22-48-51", "yyyy-mm-dd hh24:mi:ss"), Ok(t));
        assert_eq!(
            parse("08-NOV-16", DEFAULT_DATE_FORMAT),
            Ok(t.date().and_hms_opt(0, 0, 0).unwrap())
        );
        assert!(parse("2016-13-08", "yyyy-mm-dd").is_err());
        assert!(parse("2016-11-08 x", "yyyy-mm-dd").is_err());
        assert!(!valid_mask("yyyy-qq"));
    }
}
