//! The reference's query syntax ("Getting started with the ONTAP REST API": *Requesting
//! specific fields*, *Record filtering*, *Records and pagination*, *Record sorting*):
//! `fields=` selection with dotted paths, braces and `!` exclusions, `<field>=<query>`
//! filters with the special query operators, `max_records` / `return_records` /
//! `order_by` / `offset`, and the collection response with its `_links.next` link.

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::{json, Map, Value};

use super::model::ApiError;
use super::util::percent_encode_query;

/// A parsed `fields=` value.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSel {
    /// `*` or `**`: every field the fake renders.
    pub(crate) all: bool,
    pub(crate) include: Vec<Vec<String>>,
    pub(crate) exclude: Vec<Vec<String>>,
}

fn mismatched_braces() -> ApiError {
    ApiError::new(
        400,
        "262286",
        "Mismatching braces found in the fields= query.",
        Some("fields"),
    )
}

/// Deepest brace nesting accepted in `fields=` (expansion recurses once per level).
const MAX_BRACE_DEPTH: i32 = 16;

/// Splits on commas outside braces.
fn split_top(s: &str) -> Result<Vec<&str>, ApiError> {
    let mut out = Vec::new();
    let mut depth: i32 = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth > MAX_BRACE_DEPTH {
                    return Err(ApiError::new(
                        400,
                        "262286",
                        "Braces in the fields= query are nested too deeply.",
                        Some("fields"),
                    ));
                }
            }
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return Err(mismatched_braces());
                }
            }
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(mismatched_braces());
    }
    out.push(&s[start..]);
    Ok(out)
}

/// Expands braces: `a.{b,c}` gives `a.b` and `a.c`; `!` negates an item.
fn expand(list: &str, negate: bool, out: &mut Vec<(bool, String)>) -> Result<(), ApiError> {
    for item in split_top(list)? {
        let mut item = item.trim();
        if item.is_empty() {
            continue;
        }
        let mut neg = negate;
        if let Some(rest) = item.strip_prefix('!') {
            neg = !neg;
            item = rest;
        }
        match item.find('{') {
            None => {
                if item.contains('}') {
                    return Err(mismatched_braces());
                }
                out.push((neg, item.to_owned()));
            }
            Some(open) => {
                let Some(inner) = item[open + 1..].strip_suffix('}') else {
                    return Err(mismatched_braces());
                };
                let prefix = &item[..open];
                let mut sub = Vec::new();
                expand(inner, neg, &mut sub)?;
                for (n, s) in sub {
                    out.push((n, format!("{prefix}{s}")));
                }
            }
        }
    }
    Ok(())
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

/// Whether `path` names a field of `schema` (a fully populated example record). With
/// `leaf_only`, objects and arrays of objects do not count.
pub(crate) fn schema_has(schema: &Value, path: &[String], leaf_only: bool) -> bool {
    match (schema, path.split_first()) {
        (Value::Array(a), _) => match a.first() {
            Some(first) => schema_has(first, path, leaf_only),
            None => path.is_empty(),
        },
        (Value::Object(_), None) => !leaf_only,
        (_, None) => true,
        (Value::Object(m), Some((head, rest))) => match m.get(head) {
            Some(v) => schema_has(v, rest, leaf_only),
            None => false,
        },
        (_, Some(_)) => false,
    }
}

fn invalid_fields_value(item: &str) -> ApiError {
    ApiError::new(
        400,
        "262197",
        format!("The value \"{item}\" is invalid for field \"fields\" (<field,...>)"),
        Some("fields"),
    )
}

/// Parses and checks a `fields=` value against the collection's schema.
pub(crate) fn parse_fields(raw: &str, schema: &Value) -> Result<FieldSel, ApiError> {
    let mut items = Vec::new();
    expand(raw, false, &mut items)?;
    let mut sel = FieldSel::default();
    for (neg, item) in items {
        if item == "*" || item == "**" {
            if neg {
                return Err(invalid_fields_value(&format!("!{item}")));
            }
            sel.all = true;
            continue;
        }
        let path = split_path(&item);
        if path.iter().any(String::is_empty) || !schema_has(schema, &path, false) {
            return Err(invalid_fields_value(&item));
        }
        if neg {
            sel.exclude.push(path);
        } else {
            sel.include.push(path);
        }
    }
    Ok(sel)
}

fn copy_path(src: &Value, dst: &mut Value, path: &[String]) {
    let Some((head, rest)) = path.split_first() else {
        *dst = src.clone();
        return;
    };
    match src {
        Value::Object(m) => {
            let Some(child) = m.get(head) else {
                return;
            };
            if !dst.is_object() {
                *dst = Value::Object(Map::new());
            }
            if let Value::Object(d) = dst {
                let entry = d.entry(head.clone()).or_insert(Value::Null);
                copy_path(child, entry, rest);
            }
        }
        Value::Array(a) => {
            let fresh = match dst {
                Value::Array(d) => d.len() != a.len(),
                _ => true,
            };
            if fresh {
                *dst = Value::Array(vec![Value::Null; a.len()]);
            }
            if let Value::Array(d) = dst {
                for (s, t) in a.iter().zip(d.iter_mut()) {
                    copy_path(s, t, path);
                }
            }
        }
        _ => {}
    }
}

fn remove_path(dst: &mut Value, path: &[String]) {
    let Some((head, rest)) = path.split_first() else {
        return;
    };
    match dst {
        Value::Object(m) => {
            if rest.is_empty() {
                m.remove(head);
            } else if let Some(child) = m.get_mut(head) {
                remove_path(child, rest);
            }
        }
        Value::Array(a) => {
            for e in a {
                remove_path(e, path);
            }
        }
        _ => {}
    }
}

/// Projects a full record on a selection. `keys` (e.g. `uuid`, `name`) and `_links` are
/// always kept, as the reference's examples show.
pub(crate) fn project(full: &Value, sel: &FieldSel, keys: &[&str]) -> Value {
    let mut out = if sel.all {
        full.clone()
    } else {
        let mut out = Value::Object(Map::new());
        for k in keys.iter().chain(["_links"].iter()) {
            copy_path(full, &mut out, &[(*k).to_owned()]);
        }
        for p in &sel.include {
            copy_path(full, &mut out, p);
        }
        out
    };
    for p in &sel.exclude {
        remove_path(&mut out, p);
    }
    out
}

/// The values at a dotted path, looking through arrays.
pub(crate) fn lookup<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match (v, path.split_first()) {
        (Value::Array(a), _) => {
            for e in a {
                lookup(e, path, out);
            }
        }
        (_, None) if !v.is_null() => out.push(v),
        (Value::Object(m), Some((head, rest))) => {
            if let Some(child) = m.get(head) {
                lookup(child, rest, out);
            }
        }
        _ => {}
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares a record value with a query operand: numerically when both are numbers, as
/// instants when both are ISO 8601 times, else as strings.
fn compare(v: &Value, q: &str) -> Ordering {
    let text = value_text(v);
    if let (Ok(a), Ok(b)) = (text.parse::<f64>(), q.parse::<f64>()) {
        return a.partial_cmp(&b).unwrap_or(Ordering::Equal);
    }
    if let (Ok(a), Ok(b)) = (
        DateTime::parse_from_rfc3339(&text),
        DateTime::parse_from_rfc3339(q),
    ) {
        return a.cmp(&b);
    }
    text.as_str().cmp(q)
}

/// Glob matching with `*` (any run of characters).
fn wildcard(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('{').and_then(|r| r.strip_suffix('}')))
}

fn term_matches(v: &Value, term: &str) -> bool {
    if let Some(lit) = unquote(term) {
        return compare(v, lit) == Ordering::Equal;
    }
    if let Some(q) = term.strip_prefix("<=") {
        return compare(v, q) != Ordering::Greater;
    }
    if let Some(q) = term.strip_prefix(">=") {
        return compare(v, q) != Ordering::Less;
    }
    if let Some(q) = term.strip_prefix('<') {
        return compare(v, q) == Ordering::Less;
    }
    if let Some(q) = term.strip_prefix('>') {
        return compare(v, q) == Ordering::Greater;
    }
    if let Some((lo, hi)) = term.split_once("..") {
        return compare(v, lo) != Ordering::Less && compare(v, hi) != Ordering::Greater;
    }
    if term.contains('*') {
        return wildcard(&value_text(v), term);
    }
    compare(v, term) == Ordering::Equal
}

/// Splits a query value on `|` outside quotes and braces.
fn alternatives(q: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut in_quote, mut depth) = (false, 0i32);
    let mut start = 0;
    for (i, c) in q.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '{' if !in_quote => depth += 1,
            '}' if !in_quote => depth -= 1,
            '|' if !in_quote && depth <= 0 => {
                out.push(&q[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&q[start..]);
    out
}

/// Whether a record matches `<field>=<query>`. Fields that are not set match only `null`
/// (the reference: "Any fields that are not set are generally excluded from matching
/// queries").
pub(crate) fn record_matches(record: &Value, field: &[String], query: &str) -> bool {
    let mut values = Vec::new();
    lookup(record, field, &mut values);
    alternatives(query).into_iter().any(|alt| {
        let (neg, body) = match alt.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, alt),
        };
        if body == "null" {
            return values.is_empty() != neg;
        }
        if values.is_empty() {
            return false;
        }
        let hit = values.iter().any(|v| term_matches(v, body));
        hit != neg
    })
}

/// Parameters of a collection GET.
#[derive(Debug, Default)]
pub(crate) struct ListParams {
    pub(crate) fields: Option<FieldSel>,
    pub(crate) max_records: Option<usize>,
    pub(crate) return_records: bool,
    pub(crate) order_by: Vec<(Vec<String>, bool)>,
    pub(crate) offset: usize,
    pub(crate) start_uuid: Option<String>,
    pub(crate) filters: Vec<(Vec<String>, String)>,
}

/// The 400 answer for a query parameter value the fake cannot use.
pub(crate) fn invalid_param(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::new(
        400,
        "262197",
        format!("The value \"{value}\" is invalid for field \"{name}\" ({expected})"),
        Some(name),
    )
}

/// Parses a boolean query or body value (`true`/`false`, any case).
pub(crate) fn parse_bool_text(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `return_timeout` (0 to 120 seconds; 400 otherwise).
pub(crate) fn parse_return_timeout(value: &str) -> Result<u32, ApiError> {
    match value.parse::<u32>() {
        Ok(n) if n <= 120 => Ok(n),
        _ => Err(invalid_param("return_timeout", value, "<integer 0..120>")),
    }
}

/// Parses the query of a collection GET. Unknown parameters that are not fields of the
/// schema answer 400 `Unexpected argument` (262179).
pub(crate) fn parse_list_params(
    pairs: &[(String, String)],
    schema: &Value,
) -> Result<ListParams, ApiError> {
    let mut p = ListParams {
        return_records: true,
        ..ListParams::default()
    };
    for (k, v) in pairs {
        match k.as_str() {
            "fields" => {
                let sel = parse_fields(v, schema)?;
                match &mut p.fields {
                    Some(prev) => {
                        prev.all |= sel.all;
                        prev.include.extend(sel.include);
                        prev.exclude.extend(sel.exclude);
                    }
                    None => p.fields = Some(sel),
                }
            }
            "max_records" => match v.parse::<usize>() {
                Ok(n) if n > 0 => p.max_records = Some(n),
                _ => return Err(invalid_param(k, v, "<integer>")),
            },
            "return_records" => {
                p.return_records =
                    parse_bool_text(v).ok_or_else(|| invalid_param(k, v, "<true|false>"))?;
            }
            "return_timeout" => {
                parse_return_timeout(v)?;
            }
            "offset" => {
                p.offset = v
                    .parse::<usize>()
                    .map_err(|_| invalid_param(k, v, "<integer>"))?;
            }
            "start.uuid" => p.start_uuid = Some(v.clone()),
            "order_by" | "$orderBy" => {
                for item in v.split(',') {
                    let mut words = item.split_whitespace();
                    let Some(field) = words.next() else {
                        continue;
                    };
                    let desc = match words.next() {
                        None => false,
                        Some(d) if d.eq_ignore_ascii_case("asc") => false,
                        Some(d) if d.eq_ignore_ascii_case("desc") => true,
                        Some(_) => return Err(invalid_param("order_by", v, "<field [asc|desc]>")),
                    };
                    let path = split_path(field);
                    if words.next().is_some() || !schema_has(schema, &path, true) {
                        return Err(invalid_param("order_by", v, "<field [asc|desc]>"));
                    }
                    p.order_by.push((path, desc));
                }
            }
            "pretty" => {}
            _ => {
                let path = split_path(k);
                if k.is_empty() || !schema_has(schema, &path, true) {
                    return Err(ApiError::unexpected_argument(k));
                }
                p.filters.push((path, v.clone()));
            }
        }
    }
    Ok(p)
}

fn sort_key_cmp(a: &Value, b: &Value, path: &[String]) -> Ordering {
    let mut va = Vec::new();
    let mut vb = Vec::new();
    lookup(a, path, &mut va);
    lookup(b, path, &mut vb);
    match (va.first(), vb.first()) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare(x, &value_text(y)),
    }
}

/// Builds a collection answer from full records given in the default order (by `uuid`).
/// `keys` are the fields every record shows; `self_href` is the request's path and query;
/// `path` the collection path for the `next` link. Returns the body and the `next` href.
pub(crate) fn collection(
    mut records: Vec<Value>,
    params: &ListParams,
    pairs: &[(String, String)],
    path: &str,
    self_href: &str,
    keys: &[&str],
) -> (Value, Option<String>) {
    records.retain(|r| params.filters.iter().all(|(f, q)| record_matches(r, f, q)));
    if !params.order_by.is_empty() {
        records.sort_by(|a, b| {
            for (p, desc) in &params.order_by {
                let o = sort_key_cmp(a, b, p);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    } else if let Some(start) = &params.start_uuid {
        records.retain(|r| r.get("uuid").and_then(Value::as_str).unwrap_or("") >= start.as_str());
    }
    let remaining: Vec<Value> = records.into_iter().skip(params.offset).collect();
    let take = params.max_records.unwrap_or(usize::MAX);
    let more = remaining.len() > take;
    let next = if more {
        let mut q: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k != "start.uuid" && k != "offset")
            .map(|(k, v)| format!("{}={}", percent_encode_query(k), percent_encode_query(v)))
            .collect();
        if params.order_by.is_empty() {
            let uuid = remaining
                .get(take)
                .and_then(|r| r.get("uuid"))
                .and_then(Value::as_str)
                .unwrap_or("");
            q.push(format!("start.uuid={}", percent_encode_query(uuid)));
        } else {
            q.push(format!("offset={}", params.offset + take));
        }
        Some(format!("{path}?{}", q.join("&")))
    } else {
        None
    };
    let page: Vec<Value> = remaining
        .into_iter()
        .take(take)
        .map(|r| match &params.fields {
            Some(sel) => project(&r, sel, keys),
            None => project(&r, &FieldSel::default(), keys),
        })
        .collect();
    let mut links = Map::new();
    links.insert("self".into(), json!({ "href": self_href }));
    if let Some(n) = &next {
        links.insert("next".into(), json!({ "href": n }));
    }
    let mut body = Map::new();
    body.insert("num_records".into(), json!(page.len()));
    if params.return_records {
        body.insert("records".into(), Value::Array(page));
    }
    body.insert("_links".into(), Value::Object(links));
    (Value::Object(body), next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn schema() -> Value {
        json!({
            "uuid": "u", "name": "n", "size": 1,
            "svm": {"name": "s", "uuid": "v"},
            "nas": {"path": "/p", "security_style": "unix"},
            "aggregates": [{"name": "a", "uuid": "b"}],
            "_links": {"self": {"href": "h"}}
        })
    }

    #[test]
    fn expands_braces_and_negations() {
        let sel = parse_fields("name,svm.{name,uuid},!nas.path", &schema()).unwrap();
        assert_eq!(
            sel.include,
            vec![
                vec!["name".to_owned()],
                vec!["svm".to_owned(), "name".to_owned()],
                vec!["svm".to_owned(), "uuid".to_owned()],
            ]
        );
        assert_eq!(sel.exclude, vec![vec!["nas".to_owned(), "path".to_owned()]]);
        assert!(parse_fields("svm.{name", &schema()).is_err());
        assert!(parse_fields("svm.name}", &schema()).is_err());
        assert_eq!(parse_fields("bogus", &schema()).unwrap_err().code, "262197");
        assert!(parse_fields("*", &schema()).unwrap().all);
        assert!(parse_fields("aggregates.name", &schema()).is_ok());
        let deep = format!("{}x{}", "a.{".repeat(100_000), "}".repeat(100_000));
        assert_eq!(parse_fields(&deep, &schema()).unwrap_err().code, "262286");
        assert!(parse_fields("svm.{name,{uuid}}", &schema()).is_ok());
    }

    #[test]
    fn projects_paths_through_arrays() {
        let rec = schema();
        let sel = parse_fields("svm.name,aggregates.name", &rec).unwrap();
        let out = project(&rec, &sel, &["uuid", "name"]);
        assert_eq!(
            out,
            json!({
                "uuid": "u", "name": "n",
                "svm": {"name": "s"},
                "aggregates": [{"name": "a"}],
                "_links": {"self": {"href": "h"}}
            })
        );
        let all = parse_fields("*,!nas", &rec).unwrap();
        assert!(project(&rec, &all, &[]).get("nas").is_none());
    }

    #[test]
    fn matches_query_operators() {
        let rec = json!({"name": "db_snap_01", "size": 10, "t": "2024-01-02T00:00:00+00:00",
                         "aggregates": [{"name": "a1"}, {"name": "a2"}]});
        let f = |s: &str| split_path(s);
        assert!(record_matches(&rec, &f("name"), "db_snap_01"));
        assert!(record_matches(&rec, &f("name"), "db_*"));
        assert!(!record_matches(&rec, &f("name"), "!db_*"));
        assert!(record_matches(&rec, &f("name"), "x|db_snap_01"));
        assert!(record_matches(&rec, &f("size"), ">=10"));
        assert!(record_matches(&rec, &f("size"), "3..10"));
        assert!(!record_matches(&rec, &f("size"), "<10"));
        assert!(record_matches(&rec, &f("t"), ">2023-12-31T20:00:00-05:00"));
        assert!(record_matches(&rec, &f("aggregates.name"), "a2"));
        assert!(record_matches(&rec, &f("missing"), "null"));
        assert!(!record_matches(&rec, &f("missing"), "!x"));
        assert!(record_matches(&rec, &f("name"), "\"db_snap_01\""));
        assert!(!record_matches(&rec, &f("name"), "\"db_*\""));
        assert!(wildcard("abc", "a*c") && wildcard("abc", "*") && !wildcard("abc", "b*"));
    }
}
