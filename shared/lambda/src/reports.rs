//! The execution-report consumer's batch handling: each SQS message is applied on its
//! own; a message that cannot be applied is reported as a batch item failure (so only it
//! is delivered again, and after the queue's maxReceiveCount it moves to the dead-letter
//! queue), with the reason logged. The rest of the batch is processed.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use ballast_flow::ports::{JobStore, OrderStore, ReadModel};
use ballast_flow::report::parse_reports;
use ballast_flow::{apply_execution_report, ReportFailure};

/// Applies every message of the batch; returns the ids of those that failed.
pub async fn handle(
    event: &SqsEvent,
    jobs: &impl JobStore,
    orders: &impl OrderStore,
    views: &impl ReadModel,
) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let receives = record.attributes.get("ApproximateReceiveCount").cloned().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or("");
        let reports = match parse_reports(body) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(message_id = %id, receives = %receives, reason = %e, "poison execution report: it will go to the dead-letter queue");
                failures.push(id);
                continue;
            }
        };
        for r in &reports {
            match apply_execution_report(jobs, orders, views, r).await {
                Ok(_) => {}
                Err(ReportFailure::Rejected(e)) => {
                    tracing::error!(message_id = %id, receives = %receives, order = %r.order_id, reason = %e, "poison execution report: it will go to the dead-letter queue");
                    failures.push(id.clone());
                    break;
                }
                Err(ReportFailure::Transient(e)) => {
                    tracing::warn!(message_id = %id, order = %r.order_id, error = %e, "report not applied; it will be delivered again");
                    failures.push(id.clone());
                    break;
                }
            }
        }
    }
    batch_failures(failures)
}

/// An SQS batch response that names the messages to deliver again.
pub fn batch_failures(ids: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .into_iter()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    response
}
