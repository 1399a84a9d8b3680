//! Request bodies: JSON in SageMaker RCF's shape, or CSV rows; both become rows of `f32`.

use serde::Deserialize;

/// What a request body could not be turned into rows for, with the status to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("content type {0:?} is not supported: send application/json or text/csv")]
    UnsupportedType(String),
    #[error("the body is not valid JSON of the form {{\"instances\":[{{\"features\":[...]}}]}}: {0}")]
    Json(String),
    #[error("CSV line {line}, value {column}: {reason}")]
    Csv { line: usize, column: usize, reason: String },
    #[error("instance {index}, value {column} is not a finite number")]
    NotFinite { index: usize, column: usize },
    #[error("the request holds no instances")]
    Empty,
    #[error("the body is not UTF-8 text")]
    NotText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBody {
    instances: Vec<Instance>,
}

/// An instance is `{"features": [...]}` (SageMaker RCF) or a bare array of numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Instance {
    Features { features: Vec<f64> },
    Bare(Vec<f64>),
}

/// Rows of a request body, by its content type (parameters such as `; charset=utf-8` are
/// ignored; no content type is read as JSON).
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Vec<Vec<f32>>, PayloadError> {
    let media = content_type.and_then(|c| c.split(';').next()).map(|c| c.trim().to_ascii_lowercase());
    let rows = match media.as_deref() {
        None | Some("application/json") | Some("") => json_rows(body)?,
        Some("text/csv") => csv_rows(body)?,
        Some(other) => return Err(PayloadError::UnsupportedType(other.to_string())),
    };
    if rows.is_empty() {
        return Err(PayloadError::Empty);
    }
    Ok(rows)
}

fn json_rows(body: &[u8]) -> Result<Vec<Vec<f32>>, PayloadError> {
    let parsed: JsonBody = serde_json::from_slice(body).map_err(|e| PayloadError::Json(e.to_string()))?;
    parsed
        .instances
        .into_iter()
        .enumerate()
        .map(|(index, i)| {
            let values = match i {
                Instance::Features { features } => features,
                Instance::Bare(v) => v,
            };
            finite_row(&values).map_err(|column| PayloadError::NotFinite { index, column })
        })
        .collect()
}

fn csv_rows(body: &[u8]) -> Result<Vec<Vec<f32>>, PayloadError> {
    let text = std::str::from_utf8(body).map_err(|_| PayloadError::NotText)?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut row = Vec::new();
        for (c, cell) in line.split(',').enumerate() {
            let csv = |reason: String| PayloadError::Csv { line: n + 1, column: c + 1, reason };
            let v: f64 = cell.trim().parse().map_err(|_| csv(format!("{:?} is not a number", cell.trim())))?;
            if !v.is_finite() || v.abs() > f64::from(f32::MAX) {
                return Err(csv(format!("{v} is not a finite number")));
            }
            row.push(v as f32);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The row as `f32`, or the index of the first value that is not a finite `f32`.
fn finite_row(values: &[f64]) -> Result<Vec<f32>, usize> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| if v.is_finite() && v.abs() <= f64::from(f32::MAX) { Ok(*v as f32) } else { Err(i) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_sagemaker_rcf_shape_and_bare_arrays() {
        let rows = parse(Some("application/json"), br#"{"instances":[{"features":[1,2.5]},[3,4]]}"#).unwrap();
        assert_eq!(rows, vec![vec![1.0, 2.5], vec![3.0, 4.0]]);
        assert_eq!(parse(None, br#"{"instances":[[1]]}"#).unwrap(), vec![vec![1.0]]);
    }

    #[test]
    fn csv_rows_with_charset_and_blank_lines() {
        let rows = parse(Some("text/csv; charset=utf-8"), b"1,2\n\n3, 4\n").unwrap();
        assert_eq!(rows, vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        assert!(matches!(parse(Some("application/json"), b"{\"instances\":"), Err(PayloadError::Json(_))));
        assert!(matches!(parse(Some("application/json"), br#"{"rows":[]}"#), Err(PayloadError::Json(_))));
        assert_eq!(parse(Some("application/json"), br#"{"instances":[]}"#), Err(PayloadError::Empty));
        let e = parse(Some("text/csv"), b"1,2\n3,x\n").unwrap_err();
        assert_eq!(e, PayloadError::Csv { line: 2, column: 2, reason: "\"x\" is not a number".into() });
        assert!(matches!(parse(Some("text/csv"), b"1,1e999"), Err(PayloadError::Csv { .. })));
        assert!(matches!(
            parse(Some("application/json"), br#"{"instances":[[1e300]]}"#),
            Err(PayloadError::NotFinite { index: 0, column: 0 })
        ));
        assert!(matches!(parse(Some("application/x-protobuf"), b""), Err(PayloadError::UnsupportedType(_))));
        assert_eq!(parse(Some("text/csv"), &[0xff, 0xfe]), Err(PayloadError::NotText));
    }
}
