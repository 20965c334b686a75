//! Time is an input: the core has no clock (a clock traps on wasm32-unknown-unknown).
//! `UnixTime` is seconds since 1970-01-01T00:00:00Z.

use crate::error::{Error, Result};
use serde::{Serialize, Serializer};
use std::time::Duration;

#[cfg_attr(test, derive(ts_rs::TS), ts(type = "string"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// Parse RFC 3339 (`2026-11-29T12:00:00Z`, fractional seconds and offsets accepted).
    pub fn parse_rfc3339(s: &str) -> Result<UnixTime> {
        let bad = || {
            Error::usage(format!("'{s}' is not an RFC 3339 time"))
                .with_detail("expected e.g. 2026-11-29T12:00:00Z")
        };
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() < 20 {
            return Err(bad());
        }
        let num = |from: usize, to: usize| -> Result<u64> {
            s.get(from..to).and_then(|t| t.parse::<u64>().ok()).ok_or_else(bad)
        };
        let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hour, min, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return Err(bad());
        }
        let mut rest = s.get(19..).ok_or_else(bad)?;
        if let Some(r) = rest.strip_prefix('.') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        let offset: i64 = if rest == "Z" || rest == "z" {
            0
        } else if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) {
            let h: i64 = rest.get(1..3).and_then(|t| t.parse().ok()).ok_or_else(bad)?;
            let m: i64 = rest.get(4..6).and_then(|t| t.parse().ok()).ok_or_else(bad)?;
            let v = h * 3600 + m * 60;
            if rest.starts_with('-') { -v } else { v }
        } else {
            return Err(bad());
        };
        // The calendar (month lengths, leap years) is der's; a leap second (60) counts as 59.
        let field = |v: u64| u8::try_from(v).map_err(|_| bad());
        let date = der::DateTime::new(u16::try_from(year).map_err(|_| bad())?, field(month)?, field(day)?, field(hour)?, field(min)?, field(sec.min(59))?)
            .map_err(|_| bad())?;
        let t = i64::try_from(date.unix_duration().as_secs()).map_err(|_| bad())? - offset;
        u64::try_from(t).map(UnixTime).map_err(|_| bad())
    }

    pub fn from_der_time(t: &x509_cert::time::Time) -> UnixTime {
        UnixTime(t.to_unix_duration().as_secs())
    }

    pub fn to_der_datetime(self) -> Option<der::DateTime> {
        der::DateTime::from_unix_duration(Duration::from_secs(self.0)).ok()
    }

    /// RFC 3339 in UTC, e.g. `2026-11-29T12:00:00Z` (der's calendar; times past 9999 are
    /// written as 9999-12-31T23:59:59Z, the last time a certificate can carry).
    pub fn to_rfc3339(self) -> String {
        match self.to_der_datetime() {
            Some(d) => d.to_string(),
            None => "9999-12-31T23:59:59Z".to_string(),
        }
    }
}

impl Serialize for UnixTime {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// Accepts what [`Serialize`] writes (RFC 3339 text) and plain seconds since 1970.
impl<'de> serde::Deserialize<'de> for UnixTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = UnixTime;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an RFC 3339 time or seconds since 1970")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<UnixTime, E> {
                UnixTime::parse_rfc3339(v).map_err(|e| E::custom(e.message))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<UnixTime, E> {
                Ok(UnixTime(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<UnixTime, E> {
                u64::try_from(v).map(UnixTime).map_err(|_| E::custom("a time before 1970"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<UnixTime, E> {
                if v.is_finite() && v >= 0.0 {
                    Ok(UnixTime(v as u64))
                } else {
                    Err(E::custom("not a time"))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Latest validation time accepted at the boundary: 9999-12-31T23:59:59Z, the last second
/// an X.509 GeneralizedTime can carry (RFC 5280 section 4.1.2.5).
pub const MAX_AT: u64 = 253_402_300_799;

/// The validation or signing time a caller passed (seconds since 1970, JavaScript's
/// `Date.now() / 1000`): present, finite, after 1970 and within [`MAX_AT`]. A missing or
/// invalid time is a usage error rather than 1970, which would make every certificate
/// "not yet valid".
pub fn at(seconds: Option<f64>) -> Result<UnixTime> {
    let hint = "Pass the current time in seconds since 1970 (Date.now() / 1000).";
    let Some(s) = seconds else {
        return Err(Error::new(crate::error::Code::Usage, "The time of the check is missing.", hint));
    };
    if !s.is_finite() || s <= 0.0 || s > MAX_AT as f64 {
        return Err(Error::new(crate::error::Code::Usage, "The time of the check is not a valid time.", hint).with_detail(format!("at = {s}")));
    }
    Ok(UnixTime(s as u64))
}

/// [`at`] for a time already decoded (seconds or RFC 3339 text).
pub fn at_time(t: UnixTime) -> Result<UnixTime> {
    at(Some(t.0 as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = UnixTime::parse_rfc3339("2026-11-29T12:34:56Z").unwrap();
        assert_eq!(t.0, 1_795_955_696);
        assert_eq!(t.to_rfc3339(), "2026-11-29T12:34:56Z");
        assert_eq!(UnixTime::parse_rfc3339("2026-11-29T13:34:56+01:00").unwrap(), t);
        assert_eq!(UnixTime::parse_rfc3339("2026-11-29T12:34:56.250Z").unwrap(), t);
        assert_eq!(UnixTime::parse_rfc3339("1970-01-01T00:00:00Z").unwrap().0, 0);
        assert!(UnixTime::parse_rfc3339("2026-13-01T00:00:00Z").is_err());
        assert!(UnixTime::parse_rfc3339("yesterday").is_err());
        assert!(UnixTime::parse_rfc3339("2026-11-29T12:34:56").is_err());
        // The calendar: leap years, month lengths, the end of the range.
        assert_eq!(UnixTime::parse_rfc3339("2024-02-29T00:00:00Z").unwrap().to_rfc3339(), "2024-02-29T00:00:00Z");
        assert!(UnixTime::parse_rfc3339("2025-02-29T00:00:00Z").is_err());
        assert!(UnixTime::parse_rfc3339("2026-04-31T00:00:00Z").is_err());
        assert_eq!(UnixTime::parse_rfc3339("2016-12-31T23:59:60Z").unwrap().to_rfc3339(), "2016-12-31T23:59:59Z");
        assert_eq!(UnixTime::parse_rfc3339("9999-12-31T23:59:59Z").unwrap().to_rfc3339(), "9999-12-31T23:59:59Z");
        assert!(UnixTime::parse_rfc3339("1970-01-01T00:00:00+01:00").is_err(), "before 1970");
        assert_eq!(UnixTime(u64::MAX).to_rfc3339(), "9999-12-31T23:59:59Z");
    }
}
