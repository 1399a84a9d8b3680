//! The market centers' order queues on SQS FIFO: one queue per market center, message
//! group = account (an account's orders stay in order), deduplication id = order id (a
//! resend within SQS's five-minute window is dropped).

use std::collections::BTreeMap;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use ballast_flow::model::OrderMessage;
use ballast_flow::ports::{OrderGateway, PortError, PortResult};
use ballast_ml::telemetry::{EventKind, TelemetryEvent};

use crate::port_error;

#[derive(Clone, Debug)]
pub struct SqsGateway {
    client: Client,
    queues: BTreeMap<String, String>,
    default: Option<String>,
    telemetry: Option<String>,
}

impl SqsGateway {
    /// `queues`: market center → queue URL; `default`: the queue for any other.
    pub fn new(client: Client, queues: BTreeMap<String, String>, default: Option<String>) -> Self {
        SqsGateway { client, queues, default, telemetry: None }
    }

    /// Also reports each order sent (a `sent` telemetry event) to the anomaly detector's
    /// queue, so it can time acknowledgements and notice a venue that stops answering.
    pub fn with_telemetry(mut self, queue_url: Option<String>) -> Self {
        self.telemetry = queue_url;
        self
    }

    /// One message of `sent` events per chunk of orders sent.
    async fn report_sent(&self, orders: &[&OrderMessage]) -> PortResult<()> {
        let Some(url) = &self.telemetry else { return Ok(()) };
        let now = chrono::Utc::now();
        let events: Vec<TelemetryEvent> = orders
            .iter()
            .map(|o| TelemetryEvent {
                venue: o.venue.clone(),
                order_id: o.order_id.clone(),
                at: now,
                kind: EventKind::Sent,
            })
            .collect();
        let body = serde_json::to_string(&events).expect("telemetry events serialize");
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| port_error("telemetry queue", e))?;
        Ok(())
    }

    fn queue(&self, venue: &str) -> PortResult<&str> {
        self.queues.get(venue).or(self.default.as_ref()).map(String::as_str).ok_or_else(|| {
            PortError::new("order queue", format!("no queue for market center {venue} and no default queue"))
        })
    }
}

impl OrderGateway for SqsGateway {
    async fn send(&self, orders: &[OrderMessage]) -> PortResult<()> {
        let mut by_queue: BTreeMap<&str, Vec<&OrderMessage>> = BTreeMap::new();
        for o in orders {
            by_queue.entry(self.queue(&o.venue)?).or_default().push(o);
        }
        for (url, orders) in by_queue {
            for chunk in orders.chunks(10) {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(serde_json::to_string(o).expect("an order message serializes"))
                            .message_group_id(o.account.clone())
                            .message_deduplication_id(o.order_id.clone())
                            .build()
                            .map_err(|e| PortError::new("order queue", e))
                    })
                    .collect::<PortResult<Vec<_>>>()?;
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| port_error("order queue", e))?;
                // Any entry refused: the step fails and is retried; deduplication keeps
                // the ones that went from going twice.
                if let Some(f) = out.failed.first() {
                    return Err(PortError::new(
                        "order queue",
                        format!(
                            "{} of {} orders refused by {url}: {} {}",
                            out.failed.len(),
                            chunk.len(),
                            f.code,
                            f.message.clone().unwrap_or_default()
                        ),
                    ));
                }
                self.report_sent(chunk).await?;
            }
        }
        Ok(())
    }
}
