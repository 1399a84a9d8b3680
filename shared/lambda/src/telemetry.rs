//! The anomaly detector's batch handling: every SQS message of the batch is decoded into
//! telemetry events (orders sent, execution reports); a message that cannot be decoded is
//! a batch item failure (it goes to the dead-letter queue after maxReceiveCount, with the
//! reason logged) and the rest of the batch is observed together. When observing fails
//! (a store or the endpoint is unavailable), every decoded message is returned so the
//! batch comes back: repeating it is harmless (repeated events are duplicates to the
//! windows, and a window already scored is stale to the venue's health).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use ballast_flow::anomaly::{parse_telemetry, AnomalyScorer, DecisionLog, Detection, TelemetryReport, TelemetryStore};
use ballast_flow::ports::{OrderGateway, OrderStore, ReadModel, VenueHealthStore};
use ballast_refcache::ReferenceSource;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// When SQS received the message (its `SentTimestamp`, epoch milliseconds), else `now`.
fn received_at(attributes: &std::collections::HashMap<String, String>, now: DateTime<Utc>) -> DateTime<Utc> {
    attributes
        .get("SentTimestamp")
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or(now)
}

/// Observes one SQS batch; the answer names the messages to deliver again.
pub async fn handle<T, Sc, D, O, G, V, S>(
    event: &SqsEvent,
    detection: &Detection<'_, T, Sc, D, O, G, V, S>,
    now: DateTime<Utc>,
    trade_date: NaiveDate,
) -> (SqsBatchResponse, Option<TelemetryReport>)
where
    T: TelemetryStore,
    Sc: AnomalyScorer,
    D: DecisionLog,
    O: OrderStore + VenueHealthStore,
    G: OrderGateway,
    V: ReadModel,
    S: ReferenceSource,
{
    let mut events = Vec::new();
    let mut poison = Vec::new();
    let mut decoded = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match parse_telemetry(record.body.as_deref().unwrap_or(""), received_at(&record.attributes, now)) {
            Ok(e) => {
                events.extend(e);
                decoded.push(id);
            }
            Err(reason) => {
                let receives = record.attributes.get("ApproximateReceiveCount").cloned().unwrap_or_default();
                tracing::error!(message_id = %id, receives = %receives, %reason, "poison telemetry message: it will go to the dead-letter queue");
                poison.push(id);
            }
        }
    }
    match detection.observe(&events, now, trade_date).await {
        Ok(report) => (crate::reports::batch_failures(poison), Some(report)),
        Err(e) => {
            tracing::warn!(error = %e, messages = decoded.len(), "telemetry not observed; the batch will be delivered again");
            (crate::reports::batch_failures(poison.into_iter().chain(decoded)), None)
        }
    }
}
