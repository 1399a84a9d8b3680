//! The AWS adapters against the local services (DynamoDB Local on :8000, moto on :5005 for
//! SQS and Step Functions; `make services` starts them) with the real SDK clients.

use std::collections::HashSet;

use ballast_aws::{
    create_local_deployment, Clients, Config, DynamoReferenceSource, DynamoStore, SfnWorkflow, SqsGateway,
};
use ballast_core::Account;
use ballast_flow::faults::{Crash, Faulty};
use ballast_flow::model::{OrderMessage, TradeFilter, TradeState};
use ballast_flow::orchestrator::{execute, run_batch, run_job};
use ballast_flow::ports::{AccountStore, JobStore, KeyClaim, OrderStore, ReadModel};
use ballast_flow::{accept_rebalance, apply_execution_report, job_trades, JobStatus};
use ballast_refcache::{ReferenceCache, Ttls};

/// A fresh set of tables, queues and a state machine, named apart from every other test run.
struct Local {
    clients: Clients,
    store: DynamoStore,
    gateway: SqsGateway,
    workflow: SfnWorkflow,
    queues: ballast_aws::Queues,
    reference: ReferenceCache<DynamoReferenceSource>,
    trade_date: chrono::NaiveDate,
    accounts: Vec<Account>,
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

async fn local(accounts: u64, venues: &[&str]) -> Local {
    let config = Config {
        dynamodb_endpoint: std::env::var("BALLAST_DYNAMODB_ENDPOINT").ok(),
        aws_endpoint: std::env::var("BALLAST_AWS_ENDPOINT").ok(),
        ..Config::from_env().unwrap()
    };
    let clients = Clients::local(&config);
    let name = unique("t");
    let (table, views) = (format!("{name}-ballast"), format!("{name}-views"));
    let (queues, machine) = match create_local_deployment(&clients, &table, &views, &name, venues, 3).await {
        Ok(d) => d,
        Err(e) => panic!("the local services are not reachable ({e}); start them with `make services`"),
    };
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let accounts: Vec<Account> = (0..accounts).map(|i| ballast_synth::account(42, i, &universe)).collect();
    let store = DynamoStore::new(clients.dynamodb.clone(), &table, &views);
    store.put_accounts(&accounts).await.unwrap();
    let source = DynamoReferenceSource::new(clients.dynamodb.clone(), &table);
    source.put_reference(&file).await.unwrap();
    let gateway = SqsGateway::new(clients.sqs.clone(), queues.orders.clone(), queues.orders.values().next().cloned());
    let workflow = SfnWorkflow::new(clients.sfn.clone(), machine);
    Local {
        store,
        gateway,
        workflow,
        queues,
        reference: ReferenceCache::new(source, Ttls::default()),
        trade_date: file.trade_date,
        accounts,
        clients,
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-27T14:30:00Z".parse().unwrap()
}

fn body(accounts: &[Account], extra: &str) -> Vec<u8> {
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    format!("{{\"account_ids\":{}{extra}}}", serde_json::to_string(&ids).unwrap()).into_bytes()
}

/// Takes every message off a queue (deleting it), as a consumer would.
async fn drain(clients: &Clients, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = clients.sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for m in messages {
            bodies.push(m.body.clone().unwrap_or_default());
            clients.sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle.unwrap()).send().await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_job_runs_over_dynamodb_sqs_and_step_functions() {
    let l = local(40, &["XNYS", "XNAS", "ARCX", "FUNDSERV", "TRACE"]).await;
    let s = &l.store;
    let accepted = accept_rebalance(
        s,
        s,
        &l.workflow,
        s,
        &body(&l.accounts, r#","batch_size":15"#),
        Some("aws-1"),
        now(),
        l.trade_date,
    )
    .await
    .unwrap();
    // Started once: a second request with the same key finds the same job and execution.
    let again = accept_rebalance(
        s,
        s,
        &l.workflow,
        s,
        &body(&l.accounts, r#","batch_size":15"#),
        Some("aws-1"),
        now(),
        l.trade_date,
    )
    .await
    .unwrap();
    assert_eq!(
        (again.job.id.as_str(), again.created, again.execution.as_str()),
        (accepted.job.id.as_str(), false, accepted.execution.as_str())
    );
    let executions = l
        .clients
        .sfn
        .list_executions()
        .state_machine_arn(l.workflow.execution_arn("x").rsplit_once(':').unwrap().0.replacen(
            ":execution:",
            ":stateMachine:",
            1,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(executions.executions.iter().filter(|e| e.name == accepted.job.id).count(), 1);

    let job = accepted.job.id.clone();
    assert_eq!(run_job(s, s, s, &l.gateway, s, &l.reference, &job).await.unwrap(), JobStatus::Submitted);
    // The market centers take their orders off the queues and report back.
    let orders = s.job_orders(&job).await.unwrap();
    let mut queued: Vec<OrderMessage> = Vec::new();
    for url in l.queues.orders.values() {
        queued.extend(drain(&l.clients, url).await.iter().map(|b| serde_json::from_str::<OrderMessage>(b).unwrap()));
    }
    assert_eq!(queued.len(), orders.len(), "one message per order");
    let ids: HashSet<&str> = queued.iter().map(|m| m.order_id.as_str()).collect();
    assert_eq!(ids.len(), orders.len());
    for m in &queued {
        for r in execute(m) {
            apply_execution_report(s, s, s, &r).await.unwrap();
        }
    }
    let view = s.job_view(&job).await.unwrap().unwrap();
    assert_eq!(view.status, JobStatus::Completed);
    let filled =
        s.job_orders(&job).await.unwrap().iter().filter(|o| o.state == ballast_flow::OrderState::Filled).count() as u64;
    assert_eq!(view.trades.get(&TradeState::Filled).copied().unwrap_or(0), filled);
    let listed: u64 = view.trades.values().sum();
    // The read side pages through every trade.
    let (mut cursor, mut seen) = (None, 0u64);
    loop {
        let page = job_trades(s, &job, None, None, cursor.as_deref(), Some("37")).await.unwrap();
        seen += page.trades.len() as u64;
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, listed);
    let one = &l.accounts[1].id;
    let page = s.trade_views(&job, &TradeFilter { account: Some(one.clone()), state: None }, None, 500).await.unwrap();
    assert!(page.trades.iter().all(|t| &t.account == one));
    let blocked =
        s.trade_views(&job, &TradeFilter { account: None, state: Some(TradeState::Blocked) }, None, 500).await.unwrap();
    assert_eq!(blocked.trades.len() as u64, view.trades.get(&TradeState::Blocked).copied().unwrap_or(0));
}

#[tokio::test]
async fn keys_orders_and_batches_are_written_once() {
    let l = local(3, &["XNYS"]).await;
    let s = &l.store;
    assert_eq!(s.claim_key("k", "h1", "job-a", now()).await.unwrap(), KeyClaim::Claimed);
    assert_eq!(
        s.claim_key("k", "h2", "job-b", now()).await.unwrap(),
        KeyClaim::Existing { job_id: "job-a".into(), request_hash: "h1".into() }
    );
    let known = s.known_accounts(&[l.accounts[0].id.clone(), "NOPE".into(), l.accounts[2].id.clone()]).await.unwrap();
    assert_eq!(known, [l.accounts[0].id.clone(), l.accounts[2].id.clone()]);
    let model = &l.accounts[0].model;
    assert!(s.model_accounts(model).await.unwrap().contains(&l.accounts[0].id));
}

/// A crash at the first and at the last write of every kind in a job (idempotency key,
/// job, trades, batch moves, views, orders, sends, ...), before and after the write: the
/// same orders, each on its queue once, and a read side that agrees.
#[tokio::test]
async fn a_crash_at_each_kind_of_write_never_loses_or_doubles_an_order_on_real_services() {
    let l = local(3, &["XNYS", "XNAS", "ARCX", "FUNDSERV", "TRACE", "BATS", "OTC"]).await;
    let b = body(&l.accounts, r#","mode":"full","batch_size":2"#);
    struct Outcome {
        orders: usize,
        queued: usize,
        submitted: u64,
        points: Vec<u64>,
    }
    async fn attempt(l: &Local, key: &str, b: &[u8], n: u64, crash: Crash, in_queue: bool) -> Outcome {
        let store = Faulty::new(l.store.clone());
        let gateway = Faulty::new(l.gateway.clone());
        if in_queue {
            gateway.fail_write(n, crash);
        } else {
            store.fail_write(n, crash);
        }
        let job = loop {
            match accept_rebalance(&store, &store, &l.workflow, &store, b, Some(key), now(), l.trade_date).await {
                Ok(a) => break a.job.id,
                Err(e) => assert_eq!(e.status, 503, "{e:?}"),
            }
        };
        run_job(&store, &store, &store, &gateway, &store, &l.reference, &job).await.unwrap();
        // Step Functions re-runs a finished batch: nothing is written or sent again.
        run_batch(&store, &store, &store, &gateway, &store, &l.reference, &job, 0).await.unwrap();
        let orders = l.store.job_orders(&job).await.unwrap().len();
        let mut queued = 0;
        for url in l.queues.orders.values() {
            queued += drain(&l.clients, url).await.len();
        }
        let view = l.store.job_view(&job).await.unwrap().unwrap();
        Outcome {
            orders,
            queued,
            submitted: view.trades.get(&TradeState::Submitted).copied().unwrap_or(0),
            points: store.first_and_last_of_each_kind(),
        }
    }
    let clean = attempt(&l, "clean", &b, u64::MAX, Crash::Before, false).await;
    assert!(clean.orders > 10, "{}", clean.orders);
    assert_eq!((clean.queued, clean.submitted), (clean.orders, clean.orders as u64));
    for crash in [Crash::Before, Crash::After] {
        for &n in &clean.points {
            let key = format!("crash-{crash:?}-{n}");
            let got = attempt(&l, &key, &b, n, crash, false).await;
            assert_eq!(
                (got.orders, got.queued, got.submitted),
                (clean.orders, clean.orders, clean.orders as u64),
                "{key}"
            );
        }
        // The send itself fails (before the queue took the orders, or after).
        let key = format!("queue-crash-{crash:?}");
        let got = attempt(&l, &key, &b, 1, crash, true).await;
        assert_eq!((got.orders, got.queued, got.submitted), (clean.orders, clean.orders, clean.orders as u64), "{key}");
    }
}

/// Routing by venue health over DynamoDB and SQS: a halted venue's orders are held (in the
/// sparse `by_held` index), none reach its queue, and once it recovers each goes out once.
#[tokio::test]
async fn a_halted_venues_orders_are_held_in_dynamodb_and_released_once() {
    use ballast_core::VenueStatus;
    use ballast_flow::health::VenueHealth;
    use ballast_flow::ports::VenueHealthStore;
    use ballast_flow::release_held_orders;

    let l = local(30, &["XNYS", "XNAS", "ARCX", "BATS", "FUNDSERV", "TRACE", "OTC"]).await;
    let s = &l.store;
    let set = |venue: &'static str, status: VenueStatus| async move {
        let mut h = s
            .venue_health()
            .await
            .unwrap()
            .into_iter()
            .find(|h| h.venue == venue)
            .unwrap_or_else(|| VenueHealth::new(venue));
        h.detected = status;
        h.version += 1;
        assert!(s.put_venue_health(&h).await.unwrap());
        // A writer that read the old version loses.
        let mut stale = h.clone();
        stale.detected = VenueStatus::Healthy;
        assert!(!s.put_venue_health(&stale).await.unwrap());
    };
    set("XNYS", VenueStatus::Halted).await;
    set("XNAS", VenueStatus::Halted).await;
    let job =
        accept_rebalance(s, s, &l.workflow, s, &body(&l.accounts, r#","mode":"full""#), None, now(), l.trade_date)
            .await
            .unwrap()
            .job
            .id;
    run_job(s, s, s, &l.gateway, s, &l.reference, &job).await.unwrap();
    let held = s.held_orders("XNYS").await.unwrap();
    assert!(!held.is_empty());
    assert!(held.iter().all(|o| o.state == ballast_flow::OrderState::Held && o.venue == "XNYS"));
    assert!(drain(&l.clients, &l.queues.orders["XNYS"]).await.is_empty());

    set("XNYS", VenueStatus::Healthy).await;
    let r = release_held_orders(s, &l.gateway, s, &l.reference, l.trade_date, "XNYS").await.unwrap();
    assert_eq!(r.released as usize, held.len());
    assert_eq!(release_held_orders(s, &l.gateway, s, &l.reference, l.trade_date, "XNYS").await.unwrap().released, 0);
    let sent: Vec<OrderMessage> =
        drain(&l.clients, &l.queues.orders["XNYS"]).await.iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    let mut ids: Vec<_> = sent.iter().map(|m| m.order_id.clone()).collect();
    ids.sort();
    let mut want: Vec<_> = held.iter().map(|o| o.id.clone()).collect();
    want.sort();
    assert_eq!(ids, want);
    assert!(s.held_orders("XNYS").await.unwrap().is_empty());
    let views = job_trades(s, &job, None, Some("held"), None, Some("500")).await.unwrap();
    assert!(views.trades.iter().all(|t| t.state == TradeState::Held));
    assert_eq!(views.trades.len(), s.held_orders("XNAS").await.unwrap().len());
}

#[tokio::test]
async fn an_operators_verdict_waits_in_the_dynamodb_outbox_when_there_is_no_training_store() {
    use ballast_flow::anomaly::Outboxed;
    use ballast_flow::anomaly::{AnomalyDecision, DecisionLog};
    use ballast_flow::health::{Action, AnomalyLabel, Override, VerdictRequest};
    use ballast_flow::memory::MemoryStore;

    let l = local(0, &["ARCX", "BATS"]).await;
    // The venues function deployed without the models: the outbox alone.
    let verdicts = Outboxed { outbox: &l.store, training: &None::<MemoryStore> };
    let halt = |m: i64| Override {
        status: ballast_core::VenueStatus::Halted,
        by: "ops-jlee".into(),
        reason: "ARCX notice".into(),
        at: now() + chrono::TimeDelta::minutes(m),
    };
    let act = |o: Override| {
        let (l, verdicts) = (&l, &verdicts);
        async move {
            let change = Some((o, VerdictRequest::Derived));
            ballast_flow::override_venue(
                &l.store,
                &l.gateway,
                &l.store,
                verdicts,
                &l.reference,
                l.trade_date,
                "ARCX",
                change,
            )
            .await
            .unwrap()
        }
    };
    let first = act(halt(0)).await;
    // The same request again (a client retry at the same instant) keeps one row; a later one adds one.
    act(halt(0)).await;
    act(halt(1)).await;
    let docs = l.store.outbox_verdicts(now().date_naive()).await.unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(Some(&docs[0]), first.verdict.as_ref());
    assert_eq!((docs[0].label, docs[0].operator_id.as_str()), (AnomalyLabel::FalseNegative, "ops-jlee"));
    assert_eq!(docs[1].at, now() + chrono::TimeDelta::minutes(1));
    assert!(l.store.outbox_verdicts(now().date_naive().succ_opt().unwrap()).await.unwrap().is_empty());
    // The decisions' outbox reads back the same way, for the drain.
    let decision = |m: i64| AnomalyDecision {
        venue: "ARCX".into(),
        window_start: now() + chrono::TimeDelta::minutes(m),
        features: [("reject_rate".to_string(), 0.4)].into(),
        score: 3.0,
        threshold: 2.5,
        grade: 0.3,
        from: ballast_core::VenueStatus::Healthy,
        to: ballast_core::VenueStatus::Degraded,
        action: Action::Degrade,
        model: "rcf-test".into(),
    };
    let decisions = vec![decision(0), decision(1)];
    l.store.record(&decisions).await.unwrap();
    assert_eq!(l.store.outbox_decisions(now().date_naive()).await.unwrap(), decisions);
}
