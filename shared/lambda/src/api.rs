//! The HTTP API behind API Gateway: `POST /rebalances`, `GET /rebalances/{id}`,
//! `GET /rebalances/{id}/trades`. Errors are JSON `{"code", "message"}` with a 4xx or 5xx.

use ballast_flow::ports::{AccountStore, JobStore, ReadModel, Workflow};
use ballast_flow::{accept_rebalance, job_status, job_trades, ApiError};
use chrono::{DateTime, NaiveDate, Utc};
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// A JSON response.
pub fn json(status: u16, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(text))
        .unwrap_or_default()
}

/// An error response, logged: 5xx as errors, 4xx as information about the caller.
pub fn error(e: &ApiError) -> Response<Body> {
    if e.status >= 500 {
        tracing::error!(code = e.code, message = %e.message, "request failed");
    } else {
        tracing::info!(status = e.status, code = e.code, message = %e.message, "request refused");
    }
    let mut r = json(e.status, &serde_json::json!({ "code": e.code, "message": e.message }));
    if e.status == 503 {
        r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
    }
    r
}

pub(crate) fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

pub(crate) fn method_not_allowed(allowed: &str) -> Response<Body> {
    let mut r = error(&ApiError::new(405, "METHOD_NOT_ALLOWED", format!("this route answers {allowed} only")));
    if let Ok(v) = header::HeaderValue::from_str(allowed) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

/// What `POST /rebalances` answers (202).
#[derive(Debug, Serialize)]
struct AcceptedBody<'a> {
    job_id: &'a str,
    status: &'a str,
    accounts: u32,
    batches: u32,
    dry_run: bool,
    /// False when the Idempotency-Key named an existing job.
    created: bool,
    status_url: String,
    trades_url: String,
}

/// `POST /rebalances`.
#[allow(clippy::too_many_arguments)]
pub async fn post_rebalances(
    req: &Request,
    jobs: &impl JobStore,
    accounts: &impl AccountStore,
    workflow: &impl Workflow,
    views: &impl ReadModel,
    now: DateTime<Utc>,
    trade_date: NaiveDate,
) -> Response<Body> {
    if req.method() != Method::POST {
        return method_not_allowed("POST");
    }
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if !ct.to_ascii_lowercase().starts_with("application/json") {
            return error(&ApiError::new(415, "UNSUPPORTED_MEDIA_TYPE", format!("send application/json, not {ct}")));
        }
    }
    let key = match req.headers().get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(k)) => Some(k),
        Some(Err(_)) => {
            return error(&ApiError::bad_request(
                "INVALID_IDEMPOTENCY_KEY",
                "the Idempotency-Key header must be printable ASCII",
            ))
        }
    };
    match accept_rebalance(jobs, accounts, workflow, views, body_bytes(req), key, now, trade_date).await {
        Ok(a) => {
            let status_url = format!("/rebalances/{}", a.job.id);
            let mut r = json(
                202,
                &AcceptedBody {
                    job_id: &a.job.id,
                    status: a.job.status.as_str(),
                    accounts: a.job.account_count,
                    batches: a.job.batch_count,
                    dry_run: a.job.request.dry_run,
                    created: a.created,
                    trades_url: format!("{status_url}/trades"),
                    status_url: status_url.clone(),
                },
            );
            if let Ok(v) = header::HeaderValue::from_str(&status_url) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            tracing::info!(job = %a.job.id, created = a.created, execution = %a.execution, "rebalance accepted");
            r
        }
        Err(e) => error(&e),
    }
}

/// The job id and whether the trades were asked for, from `/…/rebalances/{id}[/trades]`
/// (a stage prefix, if any, is skipped).
fn route(path: &str) -> Option<(&str, bool)> {
    let mut parts = path.split('/').filter(|p| !p.is_empty()).skip_while(|p| *p != "rebalances");
    parts.next()?;
    let id = parts.next()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((id, false)),
        (Some("trades"), None) => Some((id, true)),
        _ => None,
    }
}

/// `GET /rebalances/{id}` and `GET /rebalances/{id}/trades?account=&state=&cursor=&limit=`,
/// from the read side only.
pub async fn get_rebalance(req: &Request, views: &impl ReadModel) -> Response<Body> {
    if req.method() != Method::GET {
        return method_not_allowed("GET");
    }
    let Some((id, trades)) = route(req.uri().path()) else {
        return error(&ApiError::not_found("ROUTE_NOT_FOUND", format!("no route {}", req.uri().path())));
    };
    if !trades {
        return match job_status(views, id).await {
            Ok(v) => json(200, &v),
            Err(e) => error(&e),
        };
    }
    let q = req.query_string_parameters();
    match job_trades(views, id, q.first("account"), q.first("state"), q.first("cursor"), q.first("limit")).await {
        Ok(page) => json(200, &page),
        Err(e) => error(&e),
    }
}

/// `GET /venues` (every market center's health), `PUT /venues/{venue}/override` (an
/// operator sets its status: `{"status", "by", "reason"[, "verdict"]}`) and `DELETE
/// /venues/{venue}/override` (the detector decides again). Lifting a halt releases the
/// orders held for the venue; what an override says of the detector goes to `verdicts`.
#[allow(clippy::too_many_arguments)]
pub async fn venues<S: ballast_refcache::ReferenceSource>(
    req: &Request,
    store: &(impl ballast_flow::ports::OrderStore + ballast_flow::ports::VenueHealthStore),
    gateway: &impl ballast_flow::ports::OrderGateway,
    views: &impl ReadModel,
    verdicts: &impl ballast_flow::anomaly::VerdictLog,
    reference: &ballast_refcache::ReferenceCache<S>,
    now: DateTime<Utc>,
    trade_date: NaiveDate,
) -> Response<Body> {
    let path = req.uri().path();
    let mut parts = path.split('/').filter(|p| !p.is_empty()).skip_while(|p| *p != "venues").skip(1);
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) if req.method() == Method::GET => match ballast_flow::venues_health(store).await {
            Ok(v) => json(200, &serde_json::json!({ "venues": v })),
            Err(e) => error(&e),
        },
        (None, _, _) => method_not_allowed("GET"),
        (Some(venue), Some("override"), None) => {
            let change = match *req.method() {
                Method::PUT => match ballast_flow::health::OverrideRequest::parse(body_bytes(req), now) {
                    Ok(o) => Some(o),
                    Err(e) => return error(&e),
                },
                Method::DELETE => None,
                _ => return method_not_allowed("PUT, DELETE"),
            };
            match ballast_flow::override_venue(store, gateway, views, verdicts, reference, trade_date, venue, change)
                .await
            {
                Ok(outcome) => json(200, &outcome),
                Err(e) => error(&e),
            }
        }
        _ => error(&ApiError::not_found("ROUTE_NOT_FOUND", format!("no route {path}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn routes_are_read_from_the_path_with_or_without_a_stage() {
        assert_eq!(route("/rebalances/job-1"), Some(("job-1", false)));
        assert_eq!(route("/prod/rebalances/job-1/trades"), Some(("job-1", true)));
        assert_eq!(route("/lambda-url/query/rebalances/job-1/"), Some(("job-1", false)));
        assert_eq!(route("/rebalances"), None);
        assert_eq!(route("/rebalances/job-1/orders"), None);
        assert_eq!(route("/other/job-1"), None);
    }
}
