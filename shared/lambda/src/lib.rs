//! What the Ballast Lambda functions share, so that each function's `main` only builds
//! its clients and hands events here: API Gateway requests to and from the flow's
//! services ([`api`]), Step Functions task payloads ([`steps`]), SQS batches with partial
//! failures ([`reports`]), and JSON logs with the request id ([`init_tracing`]).

pub mod api;
pub mod etf;
pub mod reports;
pub mod steps;
pub mod telemetry;

/// JSON logs (one object per line, with the Lambda request id on every event of an
/// invocation), at the level `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL` sets.
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// The trade date orders are made for: `BALLAST_TRADE_DATE` when set (tests, replays),
/// otherwise today (UTC).
pub fn trade_date() -> chrono::NaiveDate {
    std::env::var("BALLAST_TRADE_DATE")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// A number from the environment, or `default` when the variable is unset or empty.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name).ok().filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name}={v} is not a number")),
    }
}
