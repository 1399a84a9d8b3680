//! `POST /rebalances`: the request body, its validation, and the API's error shape.

use ballast_core::{BandTarget, Decimal, Mode, RebalanceOptions};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest request body accepted (API Gateway's own limit is 10 MB).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most accounts, households or models one request may name.
pub const MAX_IDS: usize = 20_000;
/// Accounts per batch when the request does not say.
pub const DEFAULT_BATCH_SIZE: u32 = 50;
pub const MAX_BATCH_SIZE: u32 = 500;

/// A validated rebalance request, in canonical form (ids sorted and unique), so that two
/// bodies meaning the same thing hash the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebalanceRequest {
    pub account_ids: Vec<String>,
    pub household_ids: Vec<String>,
    pub model_ids: Vec<String>,
    pub options: RebalanceOptions,
    pub dry_run: bool,
    pub batch_size: u32,
}

/// The body as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    account_ids: Vec<String>,
    #[serde(default)]
    household_ids: Vec<String>,
    #[serde(default)]
    model_ids: Vec<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    band_target: Option<String>,
    #[serde(default)]
    withdrawal: Option<Decimal>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    batch_size: Option<u32>,
}

/// An error the API answers with: an HTTP status, a machine-readable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(422, code, message)
    }
    /// A failure of the platform, not of the request: the client may retry.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "SERVICE_UNAVAILABLE", message)
    }
    /// The JSON body of the error response.
    pub fn body(&self) -> String {
        serde_json::json!({ "code": self.code, "message": self.message }).to_string()
    }
}

impl RebalanceRequest {
    /// Parses and validates a request body.
    pub fn parse(body: &[u8]) -> Result<RebalanceRequest, ApiError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                413,
                "REQUEST_TOO_LARGE",
                format!("the request body is {} bytes; the limit is {MAX_BODY_BYTES}", body.len()),
            ));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("EMPTY_BODY", "the request has no body; send a JSON object"));
        }
        let raw: Body = serde_json::from_slice(body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::bad_request("MALFORMED_JSON", format!("the body is not valid JSON: {e}"))
            } else {
                ApiError::bad_request("INVALID_REQUEST", format!("the body does not fit the request: {e}"))
            }
        })?;
        let mode = match raw.mode.as_deref() {
            None => Mode::Tolerance,
            Some(m) => m.parse::<Mode>().map_err(|e| ApiError::bad_request("INVALID_MODE", e))?,
        };
        let mut options = RebalanceOptions::new(mode);
        options.band_target = match raw.band_target.as_deref() {
            None | Some("target") => BandTarget::Target,
            Some("edge") => BandTarget::Edge,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "INVALID_BAND_TARGET",
                    format!("band_target {other:?} is not one of target, edge"),
                ))
            }
        };
        if let Some(w) = raw.withdrawal {
            if w < Decimal::ZERO {
                return Err(ApiError::bad_request("INVALID_WITHDRAWAL", format!("withdrawal {w} is negative")));
            }
            if mode != Mode::RaiseCash {
                return Err(ApiError::bad_request(
                    "INVALID_WITHDRAWAL",
                    format!("withdrawal applies to raise-cash mode only, not {}", mode.as_str()),
                ));
            }
            options.withdrawal = Some(w);
        }
        let batch_size = raw.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
        if !(1..=MAX_BATCH_SIZE).contains(&batch_size) {
            return Err(ApiError::bad_request(
                "INVALID_BATCH_SIZE",
                format!("batch_size {batch_size} is outside 1..={MAX_BATCH_SIZE}"),
            ));
        }
        let request = RebalanceRequest {
            account_ids: ids("account_ids", raw.account_ids)?,
            household_ids: ids("household_ids", raw.household_ids)?,
            model_ids: ids("model_ids", raw.model_ids)?,
            options,
            dry_run: raw.dry_run,
            batch_size,
        };
        if request.account_ids.is_empty() && request.household_ids.is_empty() && request.model_ids.is_empty() {
            return Err(ApiError::bad_request(
                "EMPTY_SCOPE",
                "name at least one account, household or model (account_ids, household_ids, model_ids)",
            ));
        }
        Ok(request)
    }

    /// SHA-256 of the canonical request, hex.
    pub fn hash(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("a request always serializes");
        hex(&Sha256::digest(bytes))
    }
}

/// Ids: non-empty, at most 64 printable characters, at most [`MAX_IDS`]; sorted and unique.
fn ids(field: &str, mut v: Vec<String>) -> Result<Vec<String>, ApiError> {
    if v.len() > MAX_IDS {
        return Err(ApiError::new(
            413,
            "TOO_MANY_IDS",
            format!("{field} names {} ids; one request may name at most {MAX_IDS}", v.len()),
        ));
    }
    if let Some(bad) = v.iter().find(|s| s.is_empty() || s.len() > 64 || s.chars().any(char::is_control)) {
        return Err(ApiError::bad_request(
            "INVALID_ID",
            format!("{field} holds {bad:?}: ids are 1 to 64 printable characters"),
        ));
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// SHA-256 of the parts joined by a separator no id holds, hex, cut to `len` characters.
pub(crate) fn digest(parts: &[&str], len: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let mut s = hex(&h.finalize());
    s.truncate(len);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> ApiError {
        RebalanceRequest::parse(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_valid_request_is_canonical() {
        let a = RebalanceRequest::parse(br#"{"account_ids":["B","A","B"],"mode":"full"}"#).unwrap();
        let b = RebalanceRequest::parse(br#"{"mode":"full","account_ids":["A","B"]}"#).unwrap();
        assert_eq!(a.account_ids, ["A", "B"]);
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.options.mode, Mode::Full);
        assert_eq!(a.batch_size, DEFAULT_BATCH_SIZE);
        let c = RebalanceRequest::parse(br#"{"mode":"full","account_ids":["A","B"],"dry_run":true}"#).unwrap();
        assert_ne!(a.hash(), c.hash());
    }

    #[test]
    fn bad_bodies_get_a_code_and_a_sentence() {
        assert_eq!(err("{\"account_ids\": [").code, "MALFORMED_JSON");
        assert_eq!(err("not json").code, "MALFORMED_JSON");
        assert_eq!(err("").code, "EMPTY_BODY");
        assert_eq!(err(r#"{"account_ids":["A"],"mode":"yolo"}"#).code, "INVALID_MODE");
        assert!(err(r#"{"account_ids":["A"],"mode":"yolo"}"#).message.contains("yolo"));
        assert_eq!(err(r#"{"acount_ids":["A"]}"#).code, "INVALID_REQUEST");
        assert_eq!(err(r#"{"account_ids":"A"}"#).code, "INVALID_REQUEST");
        assert_eq!(err(r#"{"mode":"full"}"#).code, "EMPTY_SCOPE");
        assert_eq!(err(r#"{"account_ids":[""]}"#).code, "INVALID_ID");
        assert_eq!(err(r#"{"account_ids":["A"],"batch_size":0}"#).code, "INVALID_BATCH_SIZE");
        assert_eq!(err(r#"{"account_ids":["A"],"withdrawal":"100"}"#).code, "INVALID_WITHDRAWAL");
        let many: Vec<String> = (0..=MAX_IDS).map(|i| format!("A{i}")).collect();
        let e = err(&serde_json::json!({ "account_ids": many }).to_string());
        assert_eq!((e.status, e.code), (413, "TOO_MANY_IDS"));
        let huge = format!("{{\"account_ids\":[\"{}\"]}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(err(&huge).status, 413);
        for body in ["{", "[]", "null", "{\"account_ids\":[1]}"] {
            assert_eq!(err(body).status, 400, "{body}");
        }
    }

    #[test]
    fn digests_separate_their_parts() {
        assert_ne!(digest(&["ab", "c"], 32), digest(&["a", "bc"], 32));
        assert_eq!(digest(&["x"], 10).len(), 10);
    }
}
