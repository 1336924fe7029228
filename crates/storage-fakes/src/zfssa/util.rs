//! Small encoding helpers (percent-encoding of path segments, base64 for Basic auth, the
//! appliance's timestamp format), kept local so the crate needs no extra dependencies.

use chrono::{DateTime, Utc};

/// The appliance's timestamp format, e.g. `20130610T21:00:49` (UTC, whole seconds).
pub(crate) const ZFSSA_TIME_FORMAT: &str = "%Y%m%dT%H:%M:%S";

/// Formats a time the way the appliance reports `creation`.
pub(crate) fn format_time(t: &DateTime<Utc>) -> String {
    t.format(ZFSSA_TIME_FORMAT).to_string()
}

/// Drops the sub-second part of a time (the appliance reports whole seconds).
pub(crate) fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Decodes `%XX` escapes of one path segment (`+` is left alone: it is not a space in paths).
pub(crate) fn percent_decode(s: &str) -> String {
    crate::wire::percent_decode(s, false)
}

/// Encodes one path segment for an `href` (everything but RFC 3986 unreserved characters).
pub(crate) fn percent_encode(s: &str) -> String {
    crate::wire::percent_encode(s, b"")
}

pub(crate) use crate::wire::base64_decode;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("plain+name"), "plain+name");
        assert_eq!(percent_decode("bad%zzend%"), "bad%zzend%");
        assert_eq!(percent_decode("x%4"), "x%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn encodes_segments() {
        assert_eq!(percent_encode("snap 1/x"), "snap%201%2Fx");
        assert_eq!(percent_encode("ok-._~9"), "ok-._~9");
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("!!").is_none());
    }

    #[test]
    fn formats_time() {
        let t = DateTime::parse_from_rfc3339("2016-10-17T07:39:14.75Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_time(&whole_seconds(t)), "20161017T07:39:14");
    }
}
