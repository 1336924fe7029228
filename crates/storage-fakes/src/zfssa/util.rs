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

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes of one path segment (`+` is left alone: it is not a space in paths).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes one path segment for an `href` (everything but RFC 3986 unreserved characters).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes standard (RFC 4648) base64, padding optional. `None` on any invalid character.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let trimmed = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in trimmed.bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

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
