//! Small encoding helpers for the ONTAP fake: percent-decoding of path segments and query
//! components, percent-encoding for `href` query strings, base64 for HTTP Basic auth, the
//! ISO 8601 rendering of times, and the fake's UUIDs. Kept local so the crate needs no
//! extra dependencies.

use chrono::{DateTime, FixedOffset, Utc};

/// Decodes `%XX` escapes of one path segment (`+` is left alone: it is not a space in paths).
pub(crate) fn percent_decode_path(s: &str) -> String {
    crate::wire::percent_decode(s, false)
}

/// Decodes one `application/x-www-form-urlencoded` query component (`+` is a space).
pub(crate) fn percent_decode_query(s: &str) -> String {
    crate::wire::percent_decode(s, true)
}

/// Encodes a query component for an `href` (everything but RFC 3986 unreserved characters
/// and a few characters ONTAP query syntax uses and that are safe in a query: `* , ! | .`).
pub(crate) fn percent_encode_query(s: &str) -> String {
    crate::wire::percent_encode(s, b"*,")
}

/// Splits a raw query string into decoded `(key, value)` pairs, in order. A component
/// without `=` has an empty value.
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode_query(k), percent_decode_query(v)),
            None => (percent_decode_query(p), String::new()),
        })
        .collect()
}

pub(crate) use crate::wire::base64_decode;

/// ISO 8601 with a numeric offset and whole seconds, as the reference shows times
/// (`2019-03-13T13:05:00-04:00`; UTC is `+00:00`, not `Z`).
pub(crate) fn format_time(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Drops the sub-second part of a time.
pub(crate) fn whole_seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    match DateTime::from_timestamp(t.timestamp(), 0) {
        Some(u) => u.with_timezone(t.offset()),
        None => t,
    }
}

/// Converts a UTC instant to the fake's display offset, whole seconds.
pub(crate) fn to_offset(t: DateTime<Utc>, offset: FixedOffset) -> DateTime<FixedOffset> {
    whole_seconds(t.with_timezone(&offset))
}

/// A UUID-shaped identifier. `lead` fills the first group, `kind` the second, `n` (a
/// counter unique within one fake) the last: identifiers compare (as strings) by `lead`,
/// then by creation, which is the order the fake lists records in.
pub(crate) fn make_uuid(lead: u32, kind: u16, n: u64) -> String {
    format!(
        "{lead:08x}-{kind:04x}-4000-8000-{:012x}",
        n & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode_path("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode_path("plain+name"), "plain+name");
        assert_eq!(percent_decode_query("plain+name"), "plain name");
        assert_eq!(percent_decode_path("bad%zzend%"), "bad%zzend%");
        assert_eq!(percent_decode_path("x%4"), "x%4");
        assert_eq!(percent_decode_path("%41"), "A");
        assert_eq!(percent_decode_path("%"), "%");
    }

    #[test]
    fn parses_queries() {
        let q = parse_query(Some("name=a%2Ab&fields=uuid,name&flag&&x=1+2"));
        assert_eq!(
            q,
            vec![
                ("name".to_owned(), "a*b".to_owned()),
                ("fields".to_owned(), "uuid,name".to_owned()),
                ("flag".to_owned(), String::new()),
                ("x".to_owned(), "1 2".to_owned()),
            ]
        );
        assert!(parse_query(None).is_empty());
        assert_eq!(percent_encode_query("a b/c*"), "a%20b%2Fc*");
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("!!").is_none());
    }

    #[test]
    fn formats_times_and_uuids() {
        let t = DateTime::parse_from_rfc3339("2019-03-13T13:05:00.5-04:00").unwrap();
        assert_eq!(format_time(&whole_seconds(t)), "2019-03-13T13:05:00-04:00");
        let u = DateTime::parse_from_rfc3339("2019-03-13T17:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            format_time(&to_offset(u, FixedOffset::east_opt(0).unwrap())),
            "2019-03-13T17:05:00+00:00"
        );
        assert_eq!(make_uuid(1, 2, 3), "00000001-0002-4000-8000-000000000003");
        assert!(make_uuid(1, 9, 9) < make_uuid(2, 0, 0));
    }
}
