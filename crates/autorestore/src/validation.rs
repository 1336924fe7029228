//! When a restore test also validates every block with RMAN (`backup validate check logical
//! database`): on a database's own day of every `autorestoremodulus` days, or by chance
//! (`autorestorevalidatechance`), as the original tool decided.
//!
//! The day is `days since 1970-01-01 (UTC) mod M == hash(name) mod M`, where `hash` is the
//! string hash of the Python 2 runtime the original ran on (64-bit CPython 2.7, no hash
//! randomization). It depends only on the name (or `stringforvalidationmod`), so it is the
//! same on every run, host and release, and a fleet moving from the original tool keeps its
//! validation days.

use chrono::{Duration, NaiveDate};

/// CPython 2.7's `hash()` of a byte string on a 64-bit platform (hash randomization off, the
/// default): `x = s[0] << 7; x = (1000003 * x) ^ c` for every byte; `x ^= len`; -1 becomes -2.
pub fn python2_hash(s: &[u8]) -> i64 {
    let Some(&first) = s.first() else {
        return 0;
    };
    let mut x: i64 = i64::from(first) << 7;
    for &c in s {
        x = x.wrapping_mul(1_000_003) ^ i64::from(c);
    }
    x ^= i64::try_from(s.len()).unwrap_or(i64::MAX);
    if x == -1 {
        -2
    } else {
        x
    }
}

/// A database's validation schedule under `autorestoremodulus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationDay {
    /// Today is the day.
    pub today: bool,
    /// Days until the next validation day after today (1..=modulus).
    pub days_to_next: u32,
    /// That date.
    pub next: NaiveDate,
}

/// The schedule of the database whose hash string is `name` (its name, or its
/// `stringforvalidationmod`), with modulus `modulus` (> 0), on `today` (UTC).
pub fn validation_day(name: &str, modulus: u32, today: NaiveDate) -> Option<ValidationDay> {
    if modulus == 0 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let m = i64::from(modulus);
    let mod1 = (today - epoch).num_days().rem_euclid(m);
    let mod2 = python2_hash(name.as_bytes()).rem_euclid(m);
    let days = if mod2 > mod1 {
        mod2 - mod1
    } else {
        m - (mod1 - mod2)
    };
    Some(ValidationDay {
        today: mod1 == mod2,
        days_to_next: u32::try_from(days).ok()?,
        next: today + Duration::days(days),
    })
}

/// Whether this restore test validates blocks: by modulus when `modulus > 0`, else with
/// probability `1/chance` (`roll` is a number in `1..=chance`, e.g. random), never when both
/// are 0.
pub fn validate_now(name: &str, modulus: u32, chance: u32, today: NaiveDate, roll: u32) -> bool {
    match validation_day(name, modulus, today) {
        Some(day) => day.today,
        None => chance > 0 && roll == chance,
    }
}

/// One line of `--listvalidationdates` for a database, as the original printed it:
/// `orcl: 2026-12-06 (in 1 days)` (sic).
pub fn list_line(db: &str, day: &ValidationDay) -> String {
    format!("{db}: {} (in {} days)", day.next, day.days_to_next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn python2_hash_values() {
        // Values printed by 64-bit CPython 2.7: hash(''), hash('a'), hash('abc').
        assert_eq!(python2_hash(b""), 0);
        assert_eq!(python2_hash(b"a"), 12_416_037_344);
        assert_eq!(python2_hash(b"abc"), 1_453_079_729_188_098_211);
        // Negative hashes: Python's % is floor modulo.
        assert!(python2_hash(b"orcl") < 0);
        assert_eq!(python2_hash(b"orcl").rem_euclid(7), 3);
    }

    #[test]
    fn one_day_in_every_modulus() {
        let start = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for name in ["orcl", "ORCL", "db1", "a_rather_long_db_unique_name"] {
            let days: Vec<NaiveDate> = (0..21)
                .map(|d| start + Duration::days(d))
                .filter(|d| validation_day(name, 7, *d).unwrap().today)
                .collect();
            assert_eq!(days.len(), 3, "{name}: {days:?}");
            assert!(days.windows(2).all(|w| (w[1] - w[0]).num_days() == 7));
            // The day before a validation day points at it.
            let before = days[1] - Duration::days(1);
            let v = validation_day(name, 7, before).unwrap();
            assert_eq!((v.days_to_next, v.next), (1, days[1]));
            // On the day, the next one is a full period away.
            let on = validation_day(name, 7, days[1]).unwrap();
            assert_eq!((on.days_to_next, on.next), (7, days[2]));
        }
    }

    #[test]
    fn the_original_sample_schedule() {
        // days since epoch of 2026-12-05 = 20792; 20792 % 7 = 2; hash('orcl') % 7 = 3.
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let v = validation_day("orcl", 7, today).unwrap();
        assert_eq!(v.days_to_next, 1);
        assert_eq!(list_line("orcl", &v), "orcl: 2026-12-06 (in 1 days)");
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert!(validate_now("orcl", 7, 0, day, 1));
        assert!(!validate_now("orcl", 0, 0, today, 1), "both off");
        assert!(validate_now("orcl", 0, 5, today, 5));
        assert!(!validate_now("orcl", 0, 5, today, 4));
        assert_eq!(validation_day("orcl", 0, today), None);
    }
}
