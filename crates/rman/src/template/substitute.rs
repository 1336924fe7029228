//! Python `string.Template.substitute`, to the letter.
//!
//! The pattern Python uses (case-insensitive, ASCII identifiers) is, in order of preference:
//! `$$` (a literal `$`), `$identifier`, `${identifier}`, and otherwise an invalid placeholder
//! at that `$`. Identifiers are `[_a-zA-Z][_a-zA-Z0-9]*` and `$name` takes the longest one.
//! Values are inserted verbatim: a `$` inside a value is not looked at again.

/// Why a template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    /// A `$` that is neither `$$`, `$name` nor `${name}`; line and column (1-based, in
    /// characters) of that `$`, counted as Python counts them.
    #[error("Invalid placeholder in string: line {line}, col {col}")]
    Invalid {
        /// 1-based line of the `$`.
        line: usize,
        /// 1-based column (characters) of the `$`.
        col: usize,
    },
    /// A placeholder for which no value was given.
    #[error("no value for ${{{name}}}")]
    Missing {
        /// The placeholder's name, as written.
        name: String,
    },
}

/// Length in bytes of the identifier at the start of `s` (0 when there is none).
fn ident_len(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return 0,
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

/// Python's `str.splitlines` line boundaries (`\r\n` counts once).
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{0b}'
            | '\u{0c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Line and column Python reports for an invalid placeholder whose `$` ends `prefix`.
fn position(prefix: &str) -> (usize, usize) {
    let mut line = 1;
    let mut col = 0;
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        if is_line_break(c) {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
    }
    (line, col)
}

enum Token<'t> {
    Dollar,
    Name(&'t str),
}

/// Walks `template`, calling `emit` for each literal run and each placeholder.
fn scan<'t>(
    template: &'t str,
    mut emit: impl FnMut(Result<&'t str, Token<'t>>) -> Result<(), SubstituteError>,
) -> Result<(), SubstituteError> {
    let mut pos = 0;
    while let Some(off) = template[pos..].find('$') {
        let dollar = pos + off;
        emit(Ok(&template[pos..dollar]))?;
        let rest = &template[dollar + 1..];
        if rest.starts_with('$') {
            emit(Err(Token::Dollar))?;
            pos = dollar + 2;
            continue;
        }
        let n = ident_len(rest);
        if n > 0 {
            emit(Err(Token::Name(&rest[..n])))?;
            pos = dollar + 1 + n;
            continue;
        }
        if let Some(inner) = rest.strip_prefix('{') {
            let n = ident_len(inner);
            if n > 0 && inner[n..].starts_with('}') {
                emit(Err(Token::Name(&inner[..n])))?;
                pos = dollar + 3 + n;
                continue;
            }
        }
        let (line, col) = position(&template[..dollar + 1]);
        return Err(SubstituteError::Invalid { line, col });
    }
    emit(Ok(&template[pos..]))
}

/// Fills in `template` with `lookup(name)` for each placeholder, exactly as Python's
/// `string.Template(template).substitute(values)`. The first problem from the left wins.
pub fn substitute<'v>(
    template: &str,
    lookup: impl Fn(&str) -> Option<&'v str>,
) -> Result<String, SubstituteError> {
    let mut out = String::with_capacity(template.len());
    scan(template, |piece| {
        match piece {
            Ok(text) => out.push_str(text),
            Err(Token::Dollar) => out.push('$'),
            Err(Token::Name(name)) => match lookup(name) {
                Some(v) => out.push_str(v),
                None => {
                    return Err(SubstituteError::Missing {
                        name: name.to_string(),
                    })
                }
            },
        }
        Ok(())
    })?;
    Ok(out)
}

/// The placeholder names of `template` in order of first use (each once); an error for an
/// invalid placeholder.
pub fn placeholders(template: &str) -> Result<Vec<String>, SubstituteError> {
    let mut names: Vec<String> = Vec::new();
    scan(template, |piece| {
        if let Err(Token::Name(name)) = piece {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        Ok(())
    })?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_positions() {
        // Python: Template("ab\r\nc $").substitute() -> line 2, col 3
        assert_eq!(position("ab\r\nc $"), (2, 3));
        assert_eq!(position("$"), (1, 1));
        assert_eq!(position("x\n\n$"), (3, 1));
    }
}
