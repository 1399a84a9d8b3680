//! The platform end to end against the local services (`make services`): an API Gateway
//! event for 1,000 accounts (investing their cash) → batches → rebalance → check → submit over DynamoDB Local,
//! the market centers' FIFO queues and Step Functions on moto → simulated market centers
//! → execution reports on their SQS queue → the consumer → the read side. Every adapter
//! is the real one over a real connection; only the market centers are simulated.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use ballast_aws::{
    create_local_deployment, Clients, Config, DynamoReferenceSource, DynamoStore, SfnWorkflow, SqsGateway,
};
use ballast_core::Account;
use ballast_flow::model::{OrderMessage, TradeState};
use ballast_flow::orchestrator::{execute, run_job};
use ballast_flow::ports::{AccountStore, OrderStore, ReadModel};
use ballast_flow::JobStatus;
use ballast_lambda::{api, reports};
use ballast_refcache::{ReferenceCache, Ttls};

const VENUES: [&str; 7] = ["XNYS", "XNAS", "ARCX", "BATS", "FUNDSERV", "TRACE", "OTC"];

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A message as Lambda's SQS event source hands it to the consumer.
fn lambda_record(m: &ballast_aws::aws_sdk_sqs::types::Message) -> SqsMessage {
    let mut r = SqsMessage::default();
    r.message_id = m.message_id.clone();
    r.receipt_handle = m.receipt_handle.clone();
    r.body = m.body.clone();
    r
}

/// The market centers: take orders off their FIFO queues as they arrive and answer with
/// execution reports (one message per receive, holding the reports of its orders in
/// order: the emulated SQS is slow per call, so calls are batched wherever SQS allows).
async fn market_centers(
    clients: Clients,
    queues: BTreeMap<String, String>,
    reports_url: String,
    stop: Arc<AtomicBool>,
) -> Vec<OrderMessage> {
    let mut received = Vec::new();
    loop {
        let mut idle = true;
        for url in queues.values() {
            let out = clients.sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                continue;
            }
            idle = false;
            let mut reports = Vec::new();
            let mut deletes = Vec::new();
            for (i, m) in messages.iter().enumerate() {
                let order: OrderMessage = serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
                reports.extend(execute(&order));
                received.push(order);
                deletes.push(
                    ballast_aws::aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle.clone().unwrap())
                        .build()
                        .unwrap(),
                );
            }
            let body = serde_json::to_string(&reports).unwrap();
            clients.sqs.send_message().queue_url(&reports_url).message_body(body).send().await.unwrap();
            clients.sqs.delete_message_batch().queue_url(url).set_entries(Some(deletes)).send().await.unwrap();
        }
        if idle && stop.load(Ordering::SeqCst) {
            return received;
        }
        if idle {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// The execution-report consumer as its Lambda runs it: a batch of up to 10 messages,
/// the failed ones left on the queue (they come back, and go to the DLQ in the end).
async fn consume_reports(clients: &Clients, url: &str, store: &DynamoStore) -> (usize, usize) {
    let (mut applied, mut failed) = (0, 0);
    loop {
        let out = clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return (applied, failed);
        }
        let mut event = SqsEvent::default();
        event.records = messages.iter().map(lambda_record).collect();
        let response = reports::handle(&event, store, store, store).await;
        let failures: HashSet<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        for m in &messages {
            if failures.contains(m.message_id.as_deref().unwrap_or("")) {
                failed += 1;
            } else {
                applied += 1;
                clients
                    .sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle.clone().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn a_thousand_account_job_runs_end_to_end_on_the_local_services() {
    let clients = Clients::local(&Config::from_env().unwrap());
    let name = unique("e2e");
    let (table, views) = (format!("{name}-ballast"), format!("{name}-views"));
    let (queues, machine) = match create_local_deployment(&clients, &table, &views, &name, &VENUES, 2).await {
        Ok(d) => d,
        Err(e) => panic!("the local services are not reachable ({e}); start them with `make services`"),
    };

    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let accounts: Vec<Account> = (0..1_000).map(|i| ballast_synth::account(42, i, &universe)).collect();
    let store = DynamoStore::new(clients.dynamodb.clone(), &table, &views);
    store.put_accounts(&accounts).await.unwrap();
    let source = DynamoReferenceSource::new(clients.dynamodb.clone(), &table);
    source.put_reference(&file).await.unwrap();
    let reference = ReferenceCache::new(source, Ttls::default());
    let gateway = SqsGateway::new(clients.sqs.clone(), queues.orders.clone(), None);
    let workflow = SfnWorkflow::new(clients.sfn.clone(), &machine);

    // The API Gateway event, as the advisor's desk sends it.
    let mut event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/batching/post-rebalances.json"))
            .unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    // Investing new cash (buy-only) across the book: about 1,700 orders.
    event["body"] = serde_json::json!({ "account_ids": ids, "mode": "buy-only", "batch_size": 50 }).to_string().into();
    event["headers"]["Idempotency-Key"] = name.clone().into();
    event["multiValueHeaders"]["Idempotency-Key"] = serde_json::json!([name]);
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response =
        api::post_rebalances(&request, &store, &store, &workflow, &store, chrono::Utc::now(), file.trade_date).await;
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = match response.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("{other:?}"),
    };
    let job = accepted["job_id"].as_str().unwrap().to_string();
    assert_eq!((accepted["accounts"].as_u64(), accepted["batches"].as_u64()), (Some(1_000), Some(20)));
    // The state machine execution exists, named after the job.
    let described = clients.sfn.describe_execution().execution_arn(workflow.execution_arn(&job)).send().await.unwrap();
    assert!(described.input.unwrap_or_default().contains(&job));

    // The workflow runs while the market centers work their queues.
    let stop = Arc::new(AtomicBool::new(false));
    let market = tokio::spawn(market_centers(
        clients.clone(),
        queues.orders.clone(),
        queues.execution_reports.clone(),
        stop.clone(),
    ));
    let status = run_job(&store, &store, &store, &gateway, &store, &reference, &job).await.unwrap();
    assert_eq!(status, JobStatus::Submitted);
    stop.store(true, Ordering::SeqCst);
    let on_queues = market.await.unwrap();
    let (applied, failed) = consume_reports(&clients, &queues.execution_reports, &store).await;
    assert_eq!(failed, 0);

    let orders = store.job_orders(&job).await.unwrap();
    assert!(orders.len() > 1_000, "{} orders", orders.len());
    assert!(applied >= orders.len() / 10, "{applied} report messages for {} orders", orders.len());
    // Exactly once: one message per order on the queues, one order per key.
    let queued: HashSet<&str> = on_queues.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!((on_queues.len(), queued.len()), (orders.len(), orders.len()));
    let keys: HashSet<(&str, &str, ballast_core::Side)> =
        orders.iter().map(|o| (o.account.as_str(), o.security.as_str(), o.side)).collect();
    assert_eq!(keys.len(), orders.len());
    // The read side says done, and its totals match the orders.
    let view = store.job_view(&job).await.unwrap().unwrap();
    assert_eq!(view.status, JobStatus::Completed);
    assert_eq!((view.batches.done, view.batches.failed), (20, 0));
    let count = |s: TradeState| view.trades.get(&s).copied().unwrap_or(0);
    let in_state = |s: ballast_flow::OrderState| orders.iter().filter(|o| o.state == s).count() as u64;
    assert_eq!(count(TradeState::Filled), in_state(ballast_flow::OrderState::Filled));
    assert_eq!(count(TradeState::Rejected), in_state(ballast_flow::OrderState::Rejected));
    assert_eq!(count(TradeState::Filled) + count(TradeState::Rejected), orders.len() as u64);
    assert!(count(TradeState::Blocked) > 0);
    let not_traded: u64 = view.accounts_not_traded.values().sum();
    let traded: HashSet<&str> = orders.iter().map(|o| o.account.as_str()).collect();
    assert!(not_traded + traded.len() as u64 <= 1_000);

    // A poison message on the report queue: refused on each receive, then on the DLQ;
    // a good one beside it in the same batch is applied.
    let order = &orders[0];
    clients
        .sqs
        .send_message()
        .queue_url(&queues.execution_reports)
        .message_body("{\"order_id\": 42")
        .send()
        .await
        .unwrap();
    let cancel =
        serde_json::json!({"order_id": order.id, "venue": order.venue, "seq": 99, "kind": "cancel"}).to_string();
    clients.sqs.send_message().queue_url(&queues.execution_reports).message_body(cancel).send().await.unwrap();
    let mut failed_receives = 0;
    for _ in 0..4 {
        let (_, failed) = consume_reports(&clients, &queues.execution_reports, &store).await;
        failed_receives += failed;
    }
    assert_eq!(failed_receives, 2, "refused on each of its two receives (maxReceiveCount 2)");
    let dlq = &queues.dead_letters[&queues.execution_reports];
    let dead = clients.sqs.receive_message().queue_url(dlq).max_number_of_messages(10).send().await.unwrap();
    let dead: Vec<String> = dead.messages.unwrap_or_default().into_iter().filter_map(|m| m.body).collect();
    assert_eq!(dead, ["{\"order_id\": 42"]);
    let _ = store.order(&order.id).await.unwrap();
}
