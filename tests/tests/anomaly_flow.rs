//! Market-center fault detection end to end against the local services (`make services`)
//! and the project's model server: simulated venues' telemetry goes through the detector's
//! SQS queue on moto, the anomaly-inference handler reads it in batches, scores shingles on
//! the model server through the real `aws-sdk-sagemakerruntime` client, and keeps venue
//! health, telemetry and decisions in DynamoDB Local. A reject storm at ARCX is acted on
//! within three windows, a job submitted meanwhile routes around ARCX (or holds what may not
//! move), the held orders go out once ARCX recovers, and a clean run raises nothing.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use ballast_aws::aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use ballast_aws::{
    create_local_deployment, local_sagemaker_runtime, Clients, Config, DynamoReferenceSource, DynamoStore,
    SageMakerScorer, SfnWorkflow, SqsGateway,
};
use ballast_core::{Account, VenueStatus};
use ballast_flow::anomaly::{train_model, venue_detector_config, Detection};
use ballast_flow::health::HealthPolicy;
use ballast_flow::model::{OrderMessage, OrderState};
use ballast_flow::orchestrator::run_job;
use ballast_flow::ports::{AccountStore, OrderStore, VenueHealthStore};
use ballast_flow::simulator::{Fault, FaultKind, Scenario, VenueProfile};
use ballast_ml::telemetry::{TelemetryConfig, TelemetryEvent};
use ballast_refcache::{ReferenceCache, Ttls};
use chrono::{DateTime, TimeDelta, Utc};

const VENUES: [&str; 4] = ["XNYS", "XNAS", "ARCX", "BATS"];
const ALL_VENUES: [&str; 7] = ["XNYS", "XNAS", "ARCX", "BATS", "FUNDSERV", "TRACE", "OTC"];
/// Windows after a fault starts within which it must be acted on.
const DETECT_WITHIN: i64 = 3;
const MINUTES: i64 = 50;

fn minute(m: i64) -> DateTime<Utc> {
    "2026-11-27T14:30:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(m)
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn venues() -> Vec<VenueProfile> {
    VENUES.iter().map(|v| VenueProfile::exchange(v)).collect()
}

/// Trains the model on six clean hours and serves it on a free port, as the container
/// would (`serve --model ballast-anomaly=<dir>`). Returns its URL.
async fn model_server() -> String {
    let history = Scenario::new(11, minute(-6 * 60), TimeDelta::hours(6), 60, venues());
    let by_venue = history.feature_windows(TelemetryConfig::default());
    let detector = train_model(venue_detector_config(), &by_venue).unwrap();
    let dir = std::env::temp_dir().join(unique("ballast-model"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(ballast_model_server::models::ARTIFACT_FILE), detector.to_artifact().to_json()).unwrap();
    ballast_tests::serve_model("ballast-anomaly", &dir).await
}

struct Local {
    clients: Clients,
    table: String,
    store: DynamoStore,
    telemetry_queue: String,
    orders: BTreeMap<String, String>,
    reference: ReferenceCache<DynamoReferenceSource>,
    scorer: SageMakerScorer,
    trade_date: chrono::NaiveDate,
    accounts: Vec<Account>,
    workflow: SfnWorkflow,
}

async fn local(model_url: &str) -> Local {
    let config = Config {
        dynamodb_endpoint: std::env::var("BALLAST_DYNAMODB_ENDPOINT").ok(),
        aws_endpoint: std::env::var("BALLAST_AWS_ENDPOINT").ok(),
        ..Config::from_env().unwrap()
    };
    let clients = Clients::local(&config);
    let name = unique("a");
    let (table, views) = (format!("{name}-ballast"), format!("{name}-views"));
    let (queues, machine) = match create_local_deployment(&clients, &table, &views, &name, &ALL_VENUES, 3).await {
        Ok(d) => d,
        Err(e) => panic!("the local services are not reachable ({e}); start them with `make services`"),
    };
    let store = DynamoStore::new(clients.dynamodb.clone(), &table, &views);
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let mut accounts: Vec<Account> = (0..30).map(|i| ballast_synth::account(42, i, &universe)).collect();
    // A third of the clients direct their own routing: their orders wait instead of moving.
    for a in accounts.iter_mut().step_by(3) {
        a.profile.directed_routing = true;
    }
    store.put_accounts(&accounts).await.unwrap();
    let source = DynamoReferenceSource::new(clients.dynamodb.clone(), &table);
    source.put_reference(&file).await.unwrap();
    let sagemaker = local_sagemaker_runtime(model_url);
    Local {
        scorer: SageMakerScorer::new(sagemaker, "ballast-anomaly", 8, 2.0),
        workflow: SfnWorkflow::new(clients.sfn.clone(), machine),
        telemetry_queue: queues.telemetry.clone(),
        orders: queues.orders.clone(),
        reference: ReferenceCache::new(source, Ttls::default()),
        trade_date: file.trade_date,
        accounts,
        store,
        clients,
        table,
    }
}

/// Sends one minute of telemetry to the detector's queue: one message per venue.
async fn publish(l: &Local, events: &[TelemetryEvent]) {
    let mut by_venue: BTreeMap<&str, Vec<&TelemetryEvent>> = BTreeMap::new();
    for e in events {
        by_venue.entry(e.venue.as_str()).or_default().push(e);
    }
    let entries: Vec<_> = by_venue
        .values()
        .enumerate()
        .map(|(i, e)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(serde_json::to_string(e).unwrap())
                .build()
                .unwrap()
        })
        .collect();
    if !entries.is_empty() {
        l.clients
            .sqs
            .send_message_batch()
            .queue_url(&l.telemetry_queue)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
    }
}

/// What Lambda's event source does: a batch off the queue to the handler, then deletes
/// what it did not report as failed. The venues' effective status after the batch.
async fn consume(l: &Local, gateway: &SqsGateway, now: DateTime<Utc>) -> BTreeMap<String, VenueStatus> {
    let s = &l.store;
    let detection = Detection {
        telemetry: s,
        scorer: &l.scorer,
        decisions: s,
        orders: s,
        gateway,
        views: s,
        reference: &l.reference,
        config: TelemetryConfig::default(),
        policy: HealthPolicy::default(),
    };
    loop {
        let out = l
            .clients
            .sqs
            .receive_message()
            .queue_url(&l.telemetry_queue)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        let mut event = SqsEvent::default();
        event.records = messages
            .iter()
            .map(|m| {
                let mut r = SqsMessage::default();
                r.message_id = m.message_id.clone();
                r.body = m.body.clone();
                r
            })
            .collect();
        let (response, report) = ballast_lambda::telemetry::handle(&event, &detection, now, l.trade_date).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
        assert!(report.is_some());
        for m in &messages {
            l.clients
                .sqs
                .delete_message()
                .queue_url(&l.telemetry_queue)
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
        }
        if messages.len() < 10 {
            break;
        }
    }
    let health = s.venue_health().await.unwrap();
    VENUES
        .iter()
        .map(|v| (v.to_string(), health.iter().find(|h| h.venue == *v).map_or(VenueStatus::Healthy, |h| h.effective())))
        .collect()
}

/// Takes every message off a queue, as its consumer would.
async fn drain(clients: &Clients, url: &str) -> Vec<OrderMessage> {
    let mut out = Vec::new();
    loop {
        let r = clients.sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        let messages = r.messages.unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            out.push(serde_json::from_str(m.body.as_deref().unwrap()).unwrap());
            clients.sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle.unwrap()).send().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reject_storm_stops_routing_and_held_orders_go_out_once_after_recovery() {
    let l = local(&model_server().await).await;
    let gateway = SqsGateway::new(l.clients.sqs.clone(), l.orders.clone(), None);
    let storm = Fault::new(FaultKind::RejectStorm { reject_rate: 0.5 }, minute(20), minute(30));
    let scenario = Scenario::new(12, minute(0), TimeDelta::minutes(MINUTES), 60, venues()).with_fault("ARCX", storm);
    let events = scenario.telemetry();
    let mut states = BTreeMap::new();
    let mut job = None;
    for m in 0..MINUTES {
        let batch: Vec<_> = events.iter().filter(|e| e.at >= minute(m) && e.at < minute(m + 1)).cloned().collect();
        publish(&l, &batch).await;
        states.insert(m, consume(&l, &gateway, minute(m + 1)).await);
        // While ARCX is halted, a rebalance job is submitted.
        if job.is_none() && states[&m]["ARCX"] == VenueStatus::Halted {
            let s = &l.store;
            let ids: Vec<&str> = l.accounts.iter().map(|a| a.id.as_str()).collect();
            let body = format!(r#"{{"account_ids":{},"mode":"full"}}"#, serde_json::to_string(&ids).unwrap());
            let a =
                ballast_flow::accept_rebalance(s, s, &l.workflow, s, body.as_bytes(), None, minute(m), l.trade_date)
                    .await
                    .unwrap();
            run_job(s, s, s, &gateway, s, &l.reference, &a.job.id).await.unwrap();
            job = Some(a.job.id);
        }
    }
    let detected =
        states.iter().find(|(_, s)| s["ARCX"] != VenueStatus::Healthy).map(|(m, _)| *m).expect("never detected");
    assert!((20..20 + DETECT_WITHIN).contains(&detected), "ARCX left HEALTHY at minute {detected}");
    for v in ["XNYS", "XNAS", "BATS"] {
        assert!(states.values().all(|s| s[v] == VenueStatus::Healthy), "{v} was flagged");
    }
    assert_eq!(states[&(MINUTES - 1)]["ARCX"], VenueStatus::Healthy, "ARCX never recovered");

    // The job routed around ARCX: reroutable orders went to BATS, directed ones waited.
    let job = job.expect("ARCX was never halted");
    let orders = l.store.job_orders(&job).await.unwrap();
    let rerouted: Vec<_> = orders.iter().filter(|o| o.rerouted_from.as_deref() == Some("ARCX")).collect();
    let held: Vec<_> = orders.iter().filter(|o| o.venue == "ARCX").collect();
    assert!(!rerouted.is_empty() && rerouted.iter().all(|o| o.venue == "BATS" && o.may_reroute));
    assert!(!held.is_empty() && held.iter().all(|o| !o.may_reroute));
    // After the recovery the held orders were released: each is sent, once, to ARCX.
    assert!(held.iter().all(|o| o.state == OrderState::Sent && o.held_for.is_none()), "{held:?}");
    let arcx = drain(&l.clients, &l.orders["ARCX"]).await;
    let mut got: Vec<_> = arcx.iter().map(|m| m.order_id.clone()).collect();
    got.sort();
    let mut want: Vec<_> = held.iter().map(|o| o.id.clone()).collect();
    want.sort();
    assert_eq!(got, want, "ARCX's queue holds exactly the held orders, once each");
    let bats = drain(&l.clients, &l.orders["BATS"]).await;
    assert!(rerouted.iter().all(|o| bats.iter().filter(|m| m.order_id == o.id).count() == 1));
    // Every scored window was kept for the write-back, with what it did to ARCX.
    let decisions = l
        .clients
        .dynamodb
        .query()
        .table_name(&l.table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            ballast_aws::aws_sdk_dynamodb::types::AttributeValue::S("DECISIONS#2026-11-27".into()),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let docs: Vec<serde_json::Value> =
        decisions.iter().map(|i| serde_json::from_str(i["doc"].as_s().unwrap()).unwrap()).collect();
    assert_eq!(docs.len() as i64, VENUES.len() as i64 * (MINUTES - 7));
    assert!(docs.iter().any(|d| d["venue"] == "ARCX" && d["action"] == "halt"));
    assert!(docs.iter().any(|d| d["venue"] == "ARCX" && d["action"] == "recover"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_run_of_the_same_length_raises_no_alarm() {
    let l = local(&model_server().await).await;
    let gateway = SqsGateway::new(l.clients.sqs.clone(), l.orders.clone(), None);
    let scenario = Scenario::new(12, minute(0), TimeDelta::minutes(MINUTES), 60, venues());
    let events = scenario.telemetry();
    for m in 0..MINUTES {
        let batch: Vec<_> = events.iter().filter(|e| e.at >= minute(m) && e.at < minute(m + 1)).cloned().collect();
        publish(&l, &batch).await;
        let states = consume(&l, &gateway, minute(m + 1)).await;
        assert!(states.values().all(|s| *s == VenueStatus::Healthy), "minute {m}: {states:?}");
    }
}
