//! `serve`: the HTTP side of the SageMaker container contract.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::models::{Model, ModelError};
use crate::payload;

/// SageMaker's limit on a real-time invocation's payload.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// The models served: the one behind `/invocations`, and every model by endpoint name.
pub struct Registry {
    default: String,
    models: BTreeMap<String, Box<dyn Model>>,
}

impl Registry {
    /// `models` by endpoint name; the first is the one `/invocations` answers with.
    pub fn new(models: Vec<(String, Box<dyn Model>)>) -> Option<Registry> {
        let default = models.first()?.0.clone();
        Some(Registry { default, models: models.into_iter().collect() })
    }
}

/// The routes: `GET /ping`, `POST /invocations`, `POST /endpoints/{name}/invocations`.
pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/invocations", post(invoke_default))
        .route("/endpoints/{name}/invocations", post(invoke_named))
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
        .with_state(Arc::new(registry))
}

async fn ping(State(r): State<Arc<Registry>>) -> Response {
    let kinds: BTreeMap<&str, &str> = r.models.iter().map(|(n, m)| (n.as_str(), m.kind())).collect();
    (StatusCode::OK, Json(json!({ "status": "healthy", "models": kinds }))).into_response()
}

async fn invoke_default(State(r): State<Arc<Registry>>, headers: HeaderMap, body: Bytes) -> Response {
    let name = r.default.clone();
    invoke(&r, &name, &headers, &body)
}

async fn invoke_named(
    State(r): State<Arc<Registry>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    invoke(&r, &name, &headers, &body)
}

fn invoke(r: &Registry, name: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some(model) = r.models.get(name) else {
        return refuse(StatusCode::NOT_FOUND, "UNKNOWN_ENDPOINT", format!("no model is served as {name:?}"));
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    if !accept.split(',').any(|a| matches!(a.split(';').next().map(str::trim), Some("application/json" | "*/*" | ""))) {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            "UNSUPPORTED_ACCEPT",
            format!("answers are application/json, not {accept}"),
        );
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if model.takes_documents() {
        return invoke_document(model.as_ref(), content_type, body);
    }
    let rows = match payload::parse(content_type, body) {
        Ok(rows) => rows,
        Err(e @ payload::PayloadError::UnsupportedType(_)) => {
            return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_CONTENT_TYPE", e.to_string())
        }
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", e.to_string()),
    };
    match model.invoke(&rows) {
        Ok(scores) => (StatusCode::OK, Json(json!({ "scores": scores }))).into_response(),
        Err(ModelError::BadInput(m)) => refuse(StatusCode::BAD_REQUEST, "INVALID_INSTANCE", m),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "MODEL_ERROR", e.to_string()),
    }
}

/// A model that answers JSON documents: the body must be JSON; its answer is sent whole.
fn invoke_document(model: &dyn Model, content_type: Option<&str>, body: &[u8]) -> Response {
    let media = content_type.and_then(|c| c.split(';').next()).map(|c| c.trim().to_ascii_lowercase());
    if !matches!(media.as_deref(), None | Some("") | Some("application/json")) {
        let message = format!("content type {:?} is not supported: send application/json", media.unwrap_or_default());
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_CONTENT_TYPE", message);
    }
    let document: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return refuse(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", format!("the body is not valid JSON: {e}"))
        }
    };
    match model.invoke_json(&document) {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(ModelError::BadInput(m)) => refuse(StatusCode::BAD_REQUEST, "INVALID_INSTANCE", m),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "MODEL_ERROR", e.to_string()),
    }
}

/// An error answer: `{"code", "message"}` (and `message` at the top, where the SageMaker
/// runtime client looks for it).
fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    tracing::warn!(status = status.as_u16(), code, %message, "request refused");
    let body: Value = json!({ "code": code, "message": message });
    (status, Json(body)).into_response()
}
