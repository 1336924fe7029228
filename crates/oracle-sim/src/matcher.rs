//! Matching of statements against known statement texts.
//!
//! Both texts are normalised (runs of white space become one space, trimmed); literal parts
//! of the pattern compare ASCII-case-insensitively; each `{}` in the pattern captures the
//! shortest text up to the next literal part, keeping its case: never empty, except between
//! quotes (`'{}'` matches the empty string literal `''`).

/// Collapses white space runs to one space and trims.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Matches `text` against `pattern`; the captures on success.
pub fn match_pattern(pattern: &str, text: &str) -> Option<Vec<String>> {
    let pattern = normalise(pattern);
    let text = normalise(text);
    let parts: Vec<&str> = pattern.split("{}").collect();
    let lower = text.to_ascii_lowercase();
    let mut pos = 0usize;
    let mut captures = Vec::new();
    let first = parts.first()?.to_ascii_lowercase();
    if !lower.starts_with(&first) {
        return None;
    }
    pos += first.len();
    let n = parts.len();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let part = part.to_ascii_lowercase();
        let last = i == n - 1;
        // `'{}'` may capture nothing: `''` is a string literal (NULL to Oracle).
        let quoted = lower.get(..pos).is_some_and(|p| p.ends_with('\'')) && part.starts_with('\'');
        let min = usize::from(!quoted);
        let at = if last && !part.is_empty() {
            // The last literal must end the text.
            if !lower.ends_with(&part) || lower.len() < pos + part.len() + min {
                return None;
            }
            lower.len() - part.len()
        } else if last {
            lower.len()
        } else {
            pos + min + lower.get(pos + min..)?.find(&part)?
        };
        let cap = text.get(pos..at)?;
        if cap.is_empty() && !quoted {
            return None;
        }
        captures.push(cap.to_string());
        pos = at + part.len();
    }
    if n == 1 && pos != lower.len() {
        return None;
    }
    Some(captures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_captures() {
        assert_eq!(
            match_pattern("select  user from dual", "SELECT user\n FROM dual"),
            Some(vec![])
        );
        assert_eq!(
            match_pattern("select user from dual", "select user from dual x"),
            None
        );
        assert_eq!(
            match_pattern("l := '{}/'; x {}", "L := '/a/B/c/'; x  Yz"),
            Some(vec!["/a/B/c".to_string(), "Yz".to_string()])
        );
        assert_eq!(match_pattern("a {} b", "a  b"), None);
        assert_eq!(
            match_pattern("v := '{}'; w := '{}';", "v := ''; w := 'x';"),
            Some(vec![String::new(), "x".to_string()])
        );
    }
}
