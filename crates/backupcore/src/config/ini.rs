//! A reader for INI files with the exact rules of Python 2.7's `SafeConfigParser`, which the
//! original tool used for `backup.cfg`, its credentials files and its template files.
//!
//! Rules kept to the letter:
//! * `[section]` headers (the header is everything up to the first `]`; text after it is ignored);
//!   a repeated header continues the earlier section; `[DEFAULT]` holds defaults for every section.
//! * `key: value` or `key = value`; keys are case-insensitive (stored lower-case), values are
//!   stripped; a value of exactly `""` is the empty string.
//! * Lines that are blank or start with `#` or `;` are comments; so are lines starting with
//!   `rem`/`REM` followed by white space.
//! * An inline comment is cut only at the *first* `;` of a value and only if white space
//!   precedes it (`FREQ=DAILY;BYHOUR=10` stays whole).
//! * A line starting with white space continues the previous value (joined with `\n`).
//! * `%(name)s` interpolates another key of the same section (or a default), `%%` is a literal
//!   `%`, any other `%` is an error; at most 10 levels deep.

use std::collections::BTreeMap;

/// One `key: value` entry with the line it was defined on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The raw value (continuation lines joined with `\n`), before interpolation.
    pub raw: String,
    /// 1-based line number of the `key:` line.
    pub line: usize,
}

/// One section: entries in file order, keys lower-case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    entries: Vec<(String, Entry)>,
}

impl Section {
    /// The entry for `key` (lower-case).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }

    /// Keys in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    fn set(&mut self, key: String, entry: Entry) -> usize {
        if let Some(pos) = self.entries.iter().position(|(k, _)| *k == key) {
            self.entries[pos].1 = entry;
            pos
        } else {
            self.entries.push((key, entry));
            self.entries.len() - 1
        }
    }
}

/// A parse error: 1-based line number and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, for a person.
    pub message: String,
}

/// An interpolation error (`%(name)s` references), for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpolationError(pub String);

/// A parsed INI document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    defaults: Section,
    sections: Vec<(String, Section)>,
}

/// Name of the section holding defaults for every other section.
pub const DEFAULT_SECTION: &str = "DEFAULT";

const MAX_INTERPOLATION_DEPTH: usize = 10;

impl Ini {
    /// Parses `text` by Python 2.7 `ConfigParser` rules.
    pub fn parse(text: &str) -> Result<Ini, SyntaxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ini = Ini::default();
        // Current section: None before the first header; Some(None) = DEFAULT; Some(Some(i)).
        let mut current: Option<Option<usize>> = None;
        // Index of the entry a continuation line extends.
        let mut last_entry: Option<usize> = None;

        for (idx, line) in text.split('\n').enumerate() {
            let lineno = idx + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if (line.starts_with('r') || line.starts_with('R'))
                && line
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("rem"))
            {
                continue;
            }
            let first_is_space = line.chars().next().is_some_and(char::is_whitespace);
            if first_is_space {
                if let (Some(sect), Some(entry)) = (current, last_entry) {
                    let value = line.trim();
                    if !value.is_empty() {
                        let raw = &mut ini.section_mut(sect).entries[entry].1.raw;
                        raw.push('\n');
                        raw.push_str(value);
                    }
                    continue;
                }
            }
            if let Some(header) = section_header(line) {
                current = Some(if header == DEFAULT_SECTION {
                    None
                } else if let Some(i) = ini.sections.iter().position(|(n, _)| n == header) {
                    Some(i)
                } else {
                    ini.sections.push((header.to_string(), Section::default()));
                    Some(ini.sections.len() - 1)
                });
                last_entry = None;
                continue;
            }
            let Some(sect) = current else {
                return Err(SyntaxError {
                    line: lineno,
                    message: format!(
                        "no [section] header before the first entry: '{}'",
                        line.trim()
                    ),
                });
            };
            let Some((key, value)) = option_line(line) else {
                return Err(SyntaxError {
                    line: lineno,
                    message: format!(
                        "not a 'key: value' line, a [section] header or a comment: '{}'",
                        line.trim()
                    ),
                });
            };
            let entry = Entry {
                raw: value,
                line: lineno,
            };
            last_entry = Some(ini.section_mut(sect).set(key, entry));
        }
        Ok(ini)
    }

    fn section_mut(&mut self, sect: Option<usize>) -> &mut Section {
        match sect {
            None => &mut self.defaults,
            Some(i) => &mut self.sections[i].1,
        }
    }

    /// Section names in file order (without `DEFAULT`).
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|(n, _)| n.as_str())
    }

    /// Whether a section of that exact (case-sensitive) name exists.
    pub fn has_section(&self, name: &str) -> bool {
        self.section(name).is_some()
    }

    /// The section of that name (without defaults).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    /// The `[DEFAULT]` section of the file.
    pub fn defaults(&self) -> &Section {
        &self.defaults
    }

    /// Sets a default (as a `[DEFAULT]` entry), unless the file already sets it.
    pub fn add_default(&mut self, key: &str, value: &str) {
        let key = key.to_ascii_lowercase();
        if self.defaults.get(&key).is_none() {
            self.defaults.set(
                key,
                Entry {
                    raw: value.to_string(),
                    line: 0,
                },
            );
        }
    }

    /// The raw entry for `key` in `section`, falling back to `[DEFAULT]`; `None` when the key
    /// (or the section) is absent.
    pub fn raw(&self, section: &str, key: &str) -> Option<&Entry> {
        let key = key.to_ascii_lowercase();
        self.section(section)
            .and_then(|s| s.get(&key))
            .or_else(|| self.defaults.get(&key))
    }

    /// The interpolated value of `key` in `section` (falling back to `[DEFAULT]`).
    pub fn get(&self, section: &str, key: &str) -> Option<Result<String, InterpolationError>> {
        let entry = self.raw(section, key)?;
        Some(self.interpolate(section, &entry.raw, 1))
    }

    fn interpolate(
        &self,
        section: &str,
        mut rest: &str,
        depth: usize,
    ) -> Result<String, InterpolationError> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(InterpolationError(format!(
                "references nest deeper than {MAX_INTERPOLATION_DEPTH} levels (a loop?)"
            )));
        }
        let mut out = String::with_capacity(rest.len());
        while let Some(p) = rest.find('%') {
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            match rest.as_bytes().get(1) {
                Some(b'%') => {
                    out.push('%');
                    rest = &rest[2..];
                }
                Some(b'(') => {
                    let close = rest.find(')').filter(|&c| c > 2);
                    let Some(close) = close.filter(|&c| rest[c + 1..].starts_with('s')) else {
                        return Err(InterpolationError(format!(
                            "bad interpolation reference '{}' (write %(name)s, or %% for a literal %)",
                            rest.lines().next().unwrap_or(rest)
                        )));
                    };
                    let name = rest[2..close].to_ascii_lowercase();
                    rest = &rest[close + 2..];
                    let entry = self.raw(section, &name).ok_or_else(|| {
                        InterpolationError(format!("refers to %({name})s, which is not set"))
                    })?;
                    out.push_str(&self.interpolate(section, &entry.raw, depth + 1)?);
                }
                _ => {
                    return Err(InterpolationError(
                        "a '%' must be followed by '%' or '(' (write %% for a literal %)"
                            .to_string(),
                    ))
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// `[name]` at the start of the line: everything up to the first `]` (at least one char).
fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.find(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `key [:=] value`, by the regex `(?P<option>[^:=\s][^:=]*)\s*(?P<vi>[:=])\s*(?P<value>.*)$`.
fn option_line(line: &str) -> Option<(String, String)> {
    let first = line.chars().next()?;
    if first == ':' || first == '=' || first.is_whitespace() {
        return None;
    }
    let sep = line.find([':', '='])?;
    let key = line[..sep].trim_end().to_ascii_lowercase();
    // The regex's `\s*` after the separator is not part of the value.
    let mut value = line[sep + 1..].trim_start();
    if let Some(pos) = value.find(';') {
        // Python checks `optval[pos - 1]`, which for pos 0 is the value's last character.
        let before = if pos == 0 {
            value.chars().next_back()
        } else {
            value[..pos].chars().next_back()
        };
        if before.is_some_and(char::is_whitespace) {
            value = &value[..pos];
        }
    }
    let value = value.trim();
    let value = if value == "\"\"" { "" } else { value };
    Some((key, value.to_string()))
}

/// Collects `key -> value` of one section with defaults, interpolated; used by credentials
/// files and tests.
pub fn section_map(
    ini: &Ini,
    section: &str,
) -> Result<BTreeMap<String, String>, InterpolationError> {
    let mut keys: Vec<&str> = ini.defaults.keys().collect();
    if let Some(s) = ini.section(section) {
        keys.extend(s.keys());
    }
    let mut out = BTreeMap::new();
    for k in keys {
        if let Some(v) = ini.get(section, k) {
            out.insert(k.to_string(), v?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(ini: &Ini, s: &str, k: &str) -> String {
        ini.get(s, k).expect("present").expect("interpolates")
    }

    #[test]
    fn python_rules() {
        let text = "# comment\n; also\nrem old style\n[generic]\nKey1: value1\nkey2 = value2 ; comment\nkey3: FREQ=DAILY;BYHOUR=10\nkey4: a;b ;c\nempty:\nquoted: \"\"\nmulti: line1\n   line2\n\n\tline3\n[db]\nx: 1\n[generic]\nlater: yes\n";
        let ini = Ini::parse(text).unwrap();
        assert_eq!(get(&ini, "generic", "key1"), "value1");
        assert_eq!(get(&ini, "generic", "KEY1"), "value1");
        assert_eq!(get(&ini, "generic", "key2"), "value2");
        assert_eq!(get(&ini, "generic", "key3"), "FREQ=DAILY;BYHOUR=10");
        assert_eq!(get(&ini, "generic", "key4"), "a;b ;c");
        // Python 2.7 quirks of the inline-comment rule, kept.
        let quirks = Ini::parse("[s]\na: ;\nb: ;x \nc: x ;y\nd: ;x\n").unwrap();
        assert_eq!(get(&quirks, "s", "a"), ";");
        assert_eq!(get(&quirks, "s", "b"), "");
        assert_eq!(get(&quirks, "s", "c"), "x");
        assert_eq!(get(&quirks, "s", "d"), ";x");
        assert_eq!(get(&ini, "generic", "empty"), "");
        assert_eq!(get(&ini, "generic", "quoted"), "");
        assert_eq!(get(&ini, "generic", "multi"), "line1\nline2\nline3");
        assert_eq!(get(&ini, "generic", "later"), "yes");
        assert_eq!(
            ini.section_names().collect::<Vec<_>>(),
            vec!["generic", "db"]
        );
        assert_eq!(ini.raw("generic", "key2").unwrap().line, 6);
    }

    #[test]
    fn interpolation_and_percent() {
        let text = "[DEFAULT]\nbase: /nfs\n[s]\ndir: %(base)s/backup\nfmt: %%Y%%m\nbad: 50%\nloop: %(loop)s\nmissing: %(nope)s\n";
        let ini = Ini::parse(text).unwrap();
        assert_eq!(get(&ini, "s", "dir"), "/nfs/backup");
        assert_eq!(get(&ini, "s", "fmt"), "%Y%m");
        assert!(ini.get("s", "bad").unwrap().is_err());
        assert!(ini.get("s", "loop").unwrap().is_err());
        let e = ini.get("s", "missing").unwrap().unwrap_err();
        assert!(e.0.contains("nope"), "{}", e.0);
    }

    #[test]
    fn errors_name_the_line() {
        let e = Ini::parse("key: v\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Ini::parse("[s]\nok: 1\nthis line has no separator\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("this line has no separator"));
    }

    #[test]
    fn crlf_and_bom() {
        let ini = Ini::parse("\u{feff}[s]\r\nk: v\r\n").unwrap();
        assert_eq!(get(&ini, "s", "k"), "v");
    }
}
