//! The nightly ETF run's Lambda payloads (the `etf-nightly` state machine's tasks) and the
//! review API (`GET /etf-reviews`, `POST /etf-reviews/{symbol}`).

use ballast_flow::etf::{
    await_review, decide, publish, review_overdue, DecideError, DecisionRequest, EtfClassifier, EtfFeed, EtfStore,
    Nightly, RationaleWriter, ReviewStatus, ReviewWorkflow, TrainingLog,
};
use ballast_flow::{ApiError, StepError};
use chrono::{DateTime, Utc};
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{body_bytes, error, json as respond, method_not_allowed};
use crate::steps::StepFailure;

/// A task of the nightly workflow: `{"action": "classify" | "await_review" |
/// "review_overdue" | "publish", "run_id", "task_token"?, "error"?}`.
#[derive(Debug, Clone, Deserialize)]
pub struct NightlyTask {
    pub action: String,
    pub run_id: String,
    #[serde(default)]
    pub task_token: Option<String>,
    #[serde(default)]
    pub error: Option<Value>,
}

/// Runs one task; the answer is the state's output (`run_id` and `pending_reviews` for
/// the workflow's choice). Store and endpoint failures are `Ballast.Transient` (retried),
/// a malformed task `Ballast.Permanent`.
pub async fn nightly_task<F, C, R, S, L, W>(
    task: Value,
    nightly: &Nightly<'_, F, C, R, S, L>,
    workflow: &W,
    now: DateTime<Utc>,
) -> Result<Value, StepFailure>
where
    F: EtfFeed,
    C: EtfClassifier,
    R: RationaleWriter,
    S: EtfStore,
    L: TrainingLog,
    W: ReviewWorkflow,
{
    let task: NightlyTask = serde_json::from_value(task)
        .map_err(|e| StepError::Permanent(format!("the nightly task is malformed: {e}")))?;
    let run_id = task.run_id.as_str();
    if run_id.trim().is_empty() {
        return Err(StepError::Permanent("the nightly task names no run_id".into()).into());
    }
    let out = match task.action.as_str() {
        "classify" => {
            let report = nightly.classify(run_id, now).await.map_err(StepError::from)?;
            tracing::info!(
                run_id,
                classified = report.classified,
                auto_approved = report.auto_approved,
                pending = report.pending_reviews,
                issues = report.issues.len(),
                "ETF classification run"
            );
            serde_json::to_value(&report).unwrap_or_default()
        }
        "await_review" => {
            let Some(token) = task.task_token.as_deref() else {
                return Err(StepError::Permanent("await_review needs the task_token".into()).into());
            };
            let pending = await_review(nightly.store, workflow, run_id, token, now).await.map_err(StepError::from)?;
            json!({ "run_id": run_id, "pending_reviews": pending })
        }
        "review_overdue" => {
            let pending = review_overdue(nightly.store, run_id).await.map_err(StepError::from)?;
            json!({ "run_id": run_id, "pending_reviews": pending, "overdue": true })
        }
        "publish" => {
            let published = publish(nightly.store, run_id, now).await.map_err(StepError::from)?;
            serde_json::to_value(&published).unwrap_or_default()
        }
        other => {
            return Err(StepError::Permanent(format!(
                "unknown action {other:?}: classify, await_review, review_overdue or publish"
            ))
            .into())
        }
    };
    Ok(out)
}

/// `GET /etf-reviews[?status=pending|approved|overridden|all]` (default pending) and
/// `POST /etf-reviews/{symbol}` with a [`DecisionRequest`] body.
pub async fn etf_reviews(
    req: &Request,
    store: &impl EtfStore,
    workflow: &impl ReviewWorkflow,
    log: &impl TrainingLog,
    now: DateTime<Utc>,
) -> Response<Body> {
    let path = req.uri().path();
    let mut parts = path.split('/').filter(|p| !p.is_empty()).skip_while(|p| *p != "etf-reviews").skip(1);
    match (parts.next(), parts.next()) {
        (None, _) if req.method() == Method::GET => {
            let status = req.query_string_parameters_ref().and_then(|q| q.first("status").map(str::to_string));
            let filter = match status.as_deref().unwrap_or("pending") {
                "pending" => Some(ReviewStatus::Pending),
                "approved" => Some(ReviewStatus::Approved),
                "overridden" => Some(ReviewStatus::Overridden),
                "all" => None,
                other => {
                    return error(&ApiError::bad_request(
                        "INVALID_STATUS",
                        format!("status {other:?} is not one of pending, approved, overridden, all"),
                    ))
                }
            };
            match store.reviews(filter).await {
                Ok(mut items) => {
                    // Flagged items first, then the least confident.
                    items.sort_by(|a, b| {
                        (b.proposal.flags.any().cmp(&a.proposal.flags.any()))
                            .then(a.proposal.confidence.total_cmp(&b.proposal.confidence))
                            .then(a.symbol.cmp(&b.symbol))
                    });
                    respond(200, &json!({ "reviews": items, "count": items.len() }))
                }
                Err(e) => error(&ApiError::unavailable(e.to_string())),
            }
        }
        (None, _) => method_not_allowed("GET"),
        (Some(symbol), None) if req.method() == Method::POST => {
            let request: DecisionRequest = match serde_json::from_slice(body_bytes(req)) {
                Ok(r) => r,
                Err(e) => {
                    return error(&ApiError::bad_request(
                        "INVALID_DECISION",
                        format!("the body is not a decision ({{\"reviewer_id\", \"reason\", \"decision\": \"approve\" | \"override\", ...}}): {e}"),
                    ))
                }
            };
            match decide(store, workflow, log, symbol, request, now).await {
                Ok(d) => respond(200, &d),
                Err(DecideError::Invalid(m)) => error(&ApiError::bad_request("INVALID_DECISION", m)),
                Err(e @ DecideError::NotFound(_)) => error(&ApiError::not_found("REVIEW_NOT_FOUND", e.to_string())),
                Err(e @ DecideError::AlreadyDecided { .. }) => {
                    error(&ApiError::new(409, "ALREADY_DECIDED", e.to_string()))
                }
                Err(DecideError::Port(e)) => error(&ApiError::unavailable(e.to_string())),
            }
        }
        (Some(_), None) => method_not_allowed("POST"),
        _ => error(&ApiError::not_found("ROUTE_NOT_FOUND", format!("no route {path}"))),
    }
}
