//! The rebalance flow over the in-memory adapters: a job end to end, idempotency, crashes
//! at every write, redelivered reports, re-run batches, bad input and the read side.

use std::collections::{BTreeMap, HashSet};

use ballast_core::VenueStatus;
use ballast_core::{Account, ReferenceFile};
use ballast_flow::faults::{Crash, Faulty};
use ballast_flow::health::VenueHealth;
use ballast_flow::memory::{MemoryPlatform, MemoryQueues, MemoryStore, MemoryWorkflow};
use ballast_flow::orchestrator::{execute, run_batch, run_job};
use ballast_flow::ports::{AccountStore, OrderStore, ReadModel, VenueHealthStore};
use ballast_flow::{
    accept_rebalance, apply_execution_report, job_status, job_trades, release_held_orders, JobStatus, OrderState,
    ReportFailure, TradeState,
};
use ballast_refcache::{MemorySource, ReferenceCache, Ttls};
use chrono::{DateTime, NaiveDate, Utc};

const SEED: u64 = 42;

fn now() -> DateTime<Utc> {
    "2026-11-27T14:30:00Z".parse().unwrap()
}

fn book(n: u64) -> (ReferenceFile, Vec<Account>) {
    let file = ballast_synth::reference(SEED);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let accounts = (0..n).map(|i| ballast_synth::account(SEED, i, &universe)).collect();
    (file, accounts)
}

fn trade_date(file: &ReferenceFile) -> NaiveDate {
    file.trade_date
}

async fn platform(n: u64) -> (MemoryPlatform<MemorySource>, Vec<Account>, NaiveDate) {
    let (file, accounts) = book(n);
    let date = trade_date(&file);
    let p = MemoryPlatform::new(ReferenceCache::new(MemorySource::new(file), Ttls::default()));
    p.store.put_accounts(&accounts).await.unwrap();
    (p, accounts, date)
}

fn body(accounts: &[Account], extra: &str) -> Vec<u8> {
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    format!("{{\"account_ids\":{}{extra}}}", serde_json::to_string(&ids).unwrap()).into_bytes()
}

#[tokio::test]
async fn a_job_runs_end_to_end_and_the_read_side_matches_the_orders() {
    let (p, accounts, date) = platform(240).await;
    let accepted =
        p.accept(&body(&accounts, r#","mode":"full","batch_size":40"#), Some("k-1"), now(), date).await.unwrap();
    assert!(accepted.created);
    assert_eq!((accepted.job.batch_count, accepted.job.account_count), (6, 240));
    let job = accepted.job.id.clone();
    assert_eq!(p.run(&job).await.unwrap(), JobStatus::Submitted);

    let orders = p.store.job_orders(&job).await.unwrap();
    let view = job_status(&p.store, &job).await.unwrap();
    assert_eq!(view.trades.get(&TradeState::Submitted).copied().unwrap_or(0), orders.len() as u64);
    assert!(orders.len() > 500, "{} orders", orders.len());
    assert!(view.trades.get(&TradeState::Blocked).copied().unwrap_or(0) > 0, "{view:?}");
    assert_eq!(view.batches.done, 6);

    p.execute_queued().await.unwrap();
    let view = job_status(&p.store, &job).await.unwrap();
    assert_eq!(view.status, JobStatus::Completed);
    let orders = p.store.job_orders(&job).await.unwrap();
    assert!(orders.iter().all(|o| o.state.is_final()));
    let filled = orders.iter().filter(|o| o.state == OrderState::Filled).count() as u64;
    let rejected = orders.iter().filter(|o| o.state == OrderState::Rejected).count() as u64;
    assert_eq!(view.trades.get(&TradeState::Filled).copied().unwrap_or(0), filled);
    assert_eq!(view.trades.get(&TradeState::Rejected).copied().unwrap_or(0), rejected);
    assert!(rejected > 0 && filled > rejected);
    // One order per (job, account, security, side), and one queued message per order.
    let keys: HashSet<(String, String, ballast_core::Side)> =
        orders.iter().map(|o| (o.account.clone(), o.security.clone(), o.side)).collect();
    assert_eq!(keys.len(), orders.len());
    // Every trade the read side lists is there, paged.
    let mut cursor = None;
    let mut listed = 0;
    loop {
        let page = job_trades(&p.store, &job, None, None, cursor.as_deref(), Some("97")).await.unwrap();
        listed += page.trades.len();
        assert!(page.trades.len() <= 97);
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(listed as u64, view.trades.values().sum::<u64>());
    let blocked = job_trades(&p.store, &job, None, Some("blocked"), None, Some("500")).await.unwrap();
    assert!(blocked.trades.iter().all(|t| t.state == TradeState::Blocked
        && t.outcomes.iter().any(|o| o.severity == ballast_core::checks::Severity::Block)));
    let one = &accounts[3].id;
    let mine = job_trades(&p.store, &job, Some(one), None, None, None).await.unwrap();
    assert!(mine.trades.iter().all(|t| &t.account == one));
}

#[tokio::test]
async fn the_same_key_gives_the_same_job_and_another_body_is_refused() {
    let (p, accounts, date) = platform(30).await;
    let first = p.accept(&body(&accounts, ""), Some("same"), now(), date).await.unwrap();
    let again = p.accept(&body(&accounts, ""), Some("same"), now(), date).await.unwrap();
    assert_eq!(first.job.id, again.job.id);
    assert!(!again.created);
    let other = p.accept(&body(&accounts[..10], ""), Some("same"), now(), date).await.unwrap_err();
    assert_eq!((other.status, other.code), (422, "IDEMPOTENCY_KEY_REUSED"));
    let fresh = p.accept(&body(&accounts, ""), Some("other"), now(), date).await.unwrap();
    assert_ne!(fresh.job.id, first.job.id);
    assert_eq!(p.workflow.executions().len(), 2);
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_code() {
    let (p, accounts, date) = platform(5).await;
    let e = p.accept(br#"{"account_ids":["NOPE-1","NOPE-2"]}"#, None, now(), date).await.unwrap_err();
    assert_eq!((e.status, e.code), (422, "UNKNOWN_ACCOUNT"));
    assert!(e.message.contains("NOPE-1, NOPE-2"), "{}", e.message);
    let e = p.accept(br#"{"household_ids":["HH-NONE"]}"#, None, now(), date).await.unwrap_err();
    assert_eq!(e.code, "UNKNOWN_HOUSEHOLD");
    let e = p.accept(&body(&accounts, r#","mode":"sideways""#), None, now(), date).await.unwrap_err();
    assert_eq!((e.status, e.code), (400, "INVALID_MODE"));
    let e = p.accept(b"{", None, now(), date).await.unwrap_err();
    assert_eq!(e.code, "MALFORMED_JSON");
    let e = p.accept(&body(&accounts, ""), Some(""), now(), date).await.unwrap_err();
    assert_eq!(e.code, "INVALID_IDEMPOTENCY_KEY");
    let e = job_status(&p.store, "job-none").await.unwrap_err();
    assert_eq!((e.status, e.code), (404, "JOB_NOT_FOUND"));
    assert!(p.workflow.executions().is_empty());
}

#[tokio::test]
async fn households_and_models_resolve_to_their_accounts() {
    let (p, accounts, date) = platform(60).await;
    let model = accounts[0].model.clone();
    let on_model = accounts.iter().filter(|a| a.model == model).count() as u32;
    let a = p.accept(format!(r#"{{"model_ids":["{model}"]}}"#).as_bytes(), None, now(), date).await.unwrap();
    assert_eq!(a.job.account_count, on_model);
    let hh = accounts.iter().find(|a| !a.household.is_empty()).unwrap().household.clone();
    let in_hh = accounts.iter().filter(|a| a.household == hh).count() as u32;
    let a = p
        .accept(
            format!(r#"{{"household_ids":["{hh}"],"account_ids":["{}"]}}"#, accounts[0].id).as_bytes(),
            None,
            now(),
            date,
        )
        .await
        .unwrap();
    assert_eq!(a.job.account_count, in_hh + u32::from(accounts[0].household != hh));
}

#[tokio::test]
async fn a_dry_run_checks_but_sends_nothing() {
    let (p, accounts, date) = platform(50).await;
    let a = p.accept(&body(&accounts, r#","mode":"full","dry_run":true"#), None, now(), date).await.unwrap();
    assert_eq!(p.run(&a.job.id).await.unwrap(), JobStatus::Completed);
    assert!(p.store.all_orders().is_empty());
    assert_eq!(p.queues.sends(), 0);
    let view = job_status(&p.store, &a.job.id).await.unwrap();
    assert!(view.trades.get(&TradeState::Passed).copied().unwrap_or(0) > 0);
    assert_eq!(
        view.trades.keys().copied().filter(|s| !matches!(s, TradeState::Passed | TradeState::Blocked)).count(),
        0
    );
}

/// The state of one run after the dust settles: orders by key and what the queues hold.
struct Settled {
    orders: BTreeMap<String, (String, String, ballast_core::Side, OrderState)>,
    queued: usize,
    view_submitted: u64,
}

async fn run_with_crash(
    reference: &ReferenceCache<MemorySource>,
    accounts: &[Account],
    date: NaiveDate,
    n: u64,
    crash: Crash,
    in_queue: bool,
) -> (Settled, u64) {
    let store = Faulty::new(MemoryStore::new());
    let queues = Faulty::new(MemoryQueues::new());
    let workflow = MemoryWorkflow::new();
    store.inner.put_accounts(accounts).await.unwrap();
    let b = body(accounts, r#","mode":"full","batch_size":3"#);
    if in_queue {
        queues.fail_write(n, crash);
    } else {
        store.fail_write(n, crash);
    }
    // The client retries the API call until it is answered (same key).
    let job = loop {
        match accept_rebalance(&store, &store, &workflow, &store, &b, Some("crash"), now(), date).await {
            Ok(a) => break a.job.id,
            Err(e) => assert_eq!(e.status, 503, "{e:?}"),
        }
    };
    // Step Functions runs the workflow; a batch may be re-run whole after it finished.
    run_job(&store, &store, &store, &queues, &store, reference, &job).await.unwrap();
    run_batch(&store, &store, &store, &queues, &store, reference, &job, 1).await.unwrap();
    let orders: BTreeMap<_, _> = store
        .inner
        .job_orders(&job)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.id.clone(), (o.account, o.security, o.side, o.state)))
        .collect();
    let mut queued = 0;
    for venue in queues.inner.venues() {
        queued += queues.inner.receive(&venue, usize::MAX).len();
    }
    let view = store.inner.job_view(&job).await.unwrap().unwrap();
    let settled =
        Settled { orders, queued, view_submitted: view.trades.get(&TradeState::Submitted).copied().unwrap_or(0) };
    (settled, store.writes() + queues.writes())
}

#[tokio::test]
async fn a_crash_at_any_write_never_loses_or_doubles_an_order() {
    let (file, accounts) = book(6);
    let date = trade_date(&file);
    let reference = ReferenceCache::new(MemorySource::new(file), Ttls::default());
    // A clean run: how many writes there are, and the orders it sends.
    let (clean, writes) = run_with_crash(&reference, &accounts, date, u64::MAX, Crash::Before, false).await;
    assert!(clean.orders.len() > 40, "{}", clean.orders.len());
    assert_eq!(clean.queued, clean.orders.len());
    for crash in [Crash::Before, Crash::After] {
        for n in 1..=writes {
            for in_queue in [false, true] {
                let (s, _) = run_with_crash(&reference, &accounts, date, n, crash, in_queue).await;
                let what = format!("crash {crash:?} at write {n} of {writes} (in the queue: {in_queue})");
                assert_eq!(s.orders.keys().collect::<Vec<_>>(), clean.orders.keys().collect::<Vec<_>>(), "{what}");
                assert_eq!(s.queued, clean.orders.len(), "{what}: queued");
                assert_eq!(s.view_submitted, clean.orders.len() as u64, "{what}: read side");
            }
        }
    }
}

#[tokio::test]
async fn redelivered_and_reordered_reports_change_nothing_twice() {
    let (p, accounts, date) = platform(40).await;
    let a = p.accept(&body(&accounts, r#","mode":"full""#), None, now(), date).await.unwrap();
    p.run(&a.job.id).await.unwrap();
    let mut reports = Vec::new();
    for venue in p.queues.venues() {
        for order in p.queues.receive(&venue, usize::MAX) {
            reports.extend(execute(&order));
        }
    }
    // Every report delivered twice, the second round backwards.
    let s = &p.store;
    for r in reports.iter().chain(reports.iter().rev()) {
        apply_execution_report(s, s, s, r).await.unwrap();
    }
    let orders = s.job_orders(&a.job.id).await.unwrap();
    for o in &orders {
        let sent: Vec<_> = reports.iter().filter(|r| r.order_id == o.id).collect();
        let qty: ballast_core::Decimal = sent.iter().filter_map(|r| r.quantity).sum();
        if o.state == OrderState::Filled {
            assert_eq!(o.filled, qty, "{o:?}");
            assert_eq!(o.filled, o.quantity);
        }
    }
    let view = job_status(s, &a.job.id).await.unwrap();
    assert_eq!(view.status, JobStatus::Completed);
    assert_eq!(
        view.trades.get(&TradeState::Filled).copied().unwrap_or(0),
        orders.iter().filter(|o| o.state == OrderState::Filled).count() as u64
    );
    // A report for an order nobody sent is poison: refused, with the reason.
    let mut stray = reports[0].clone();
    stray.order_id = "ord-unknown".into();
    let e = apply_execution_report(s, s, s, &stray).await.unwrap_err();
    assert!(matches!(e, ReportFailure::Rejected(_)));
    assert!(e.to_string().contains("ord-unknown"), "{e}");
}

#[tokio::test]
async fn a_batch_the_workflow_left_unfinished_is_failed_and_the_job_still_ends() {
    let (p, accounts, date) = platform(20).await;
    let a = p.accept(&body(&accounts, r#","batch_size":10"#), None, now(), date).await.unwrap();
    let s = &p.store;
    // Batch 0 runs; batch 1 never does (its branch died without reaching the Catch).
    ballast_flow::orchestrator::run_batch(s, s, s, &p.queues, s, &p.reference, &a.job.id, 0).await.unwrap();
    let status = ballast_flow::finalize_job(s, s, &a.job.id).await.unwrap();
    let view = job_status(s, &a.job.id).await.unwrap();
    assert_eq!((view.batches.done, view.batches.failed), (1, 1));
    assert!(view.failures[0].error.contains("workflow ended"), "{:?}", view.failures);
    assert_eq!(status, JobStatus::Submitted);
    p.execute_queued().await.unwrap();
    assert_eq!(job_status(s, &a.job.id).await.unwrap().status, JobStatus::CompletedWithFailures);
}

/// Sets a venue's detected status (as the anomaly detector would).
async fn set_venue(store: &impl VenueHealthStore, venue: &str, status: VenueStatus) {
    let mut h = store
        .venue_health()
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.venue == venue)
        .unwrap_or_else(|| VenueHealth::new(venue));
    h.detected = status;
    h.version += 1;
    assert!(store.put_venue_health(&h).await.unwrap());
}

fn queued(queues: &MemoryQueues) -> BTreeMap<String, Vec<String>> {
    queues
        .venues()
        .into_iter()
        .map(|v| (v.clone(), queues.receive(&v, usize::MAX).into_iter().map(|m| m.order_id).collect()))
        .collect()
}

#[tokio::test]
async fn a_halted_venues_orders_wait_and_go_out_once_when_it_recovers() {
    let (p, accounts, date) = platform(60).await;
    let s = &p.store;
    // XNYS and its alternative XNAS are both halted: nowhere to reroute.
    set_venue(s, "XNYS", VenueStatus::Halted).await;
    set_venue(s, "XNAS", VenueStatus::Halted).await;
    let a = p.accept(&body(&accounts, r#","mode":"full""#), None, now(), date).await.unwrap();
    assert_eq!(p.run(&a.job.id).await.unwrap(), JobStatus::Submitted);
    let orders = s.job_orders(&a.job.id).await.unwrap();
    let held: Vec<_> = orders.iter().filter(|o| o.state == OrderState::Held).collect();
    assert!(held.len() > 20, "{} held of {}", held.len(), orders.len());
    assert!(held.iter().all(|o| o.venue == "XNYS" || o.venue == "XNAS"));
    assert!(held.iter().all(|o| o.reason.as_deref().is_some_and(|r| r.contains("halted"))));
    let first = queued(&p.queues);
    assert!(first.get("XNYS").is_none_or(Vec::is_empty) && first.get("XNAS").is_none_or(Vec::is_empty), "{first:?}");
    let view = job_status(s, &a.job.id).await.unwrap();
    assert_eq!(view.trades.get(&TradeState::Held).copied(), Some(held.len() as u64));

    // Nothing is released while the venue is still halted.
    let r = release_held_orders(s, &p.queues, s, &p.reference, date, "XNYS").await.unwrap();
    assert_eq!((r.released, r.still_held), (0, held.iter().filter(|o| o.venue == "XNYS").count() as u32));
    // XNYS recovers: its held orders go to it, once, however often the release runs.
    set_venue(s, "XNYS", VenueStatus::Healthy).await;
    let r = release_held_orders(s, &p.queues, s, &p.reference, date, "XNYS").await.unwrap();
    let again = release_held_orders(s, &p.queues, s, &p.reference, date, "XNYS").await.unwrap();
    assert_eq!(again.released, 0);
    let sent = queued(&p.queues);
    let xnys: Vec<_> = held.iter().filter(|o| o.venue == "XNYS").map(|o| o.id.clone()).collect();
    assert_eq!(r.released as usize, xnys.len());
    assert_eq!(sent.get("XNYS").cloned().unwrap_or_default().len(), xnys.len());
    // XNAS is still halted: its orders are still held, and XNYS's alternative is not used.
    for o in s.job_orders(&a.job.id).await.unwrap() {
        match o.venue.as_str() {
            "XNAS" if held.iter().any(|h| h.id == o.id) => assert_eq!(o.state, OrderState::Held),
            "XNYS" if xnys.contains(&o.id) => assert_eq!((o.state, o.held_for.as_deref()), (OrderState::Sent, None)),
            _ => {}
        }
    }
    let view = job_status(s, &a.job.id).await.unwrap();
    assert_eq!(view.trades.get(&TradeState::Held).copied().unwrap_or(0), (held.len() - xnys.len()) as u64);
    // XNAS recovers too; then every order reaches a final state and the job completes.
    set_venue(s, "XNAS", VenueStatus::Healthy).await;
    release_held_orders(s, &p.queues, s, &p.reference, date, "XNAS").await.unwrap();
    for venue in p.queues.venues() {
        for order in p.queues.receive(&venue, usize::MAX) {
            for r in execute(&order) {
                apply_execution_report(s, s, s, &r).await.unwrap();
            }
        }
    }
    // The earlier drained messages (other venues) were never executed: do them too.
    for ids in first.values().chain(sent.values()) {
        for id in ids {
            let o = s.order(id).await.unwrap().unwrap();
            for r in execute(&ballast_flow::OrderMessage::from(&o)) {
                apply_execution_report(s, s, s, &r).await.unwrap();
            }
        }
    }
    let orders = s.job_orders(&a.job.id).await.unwrap();
    assert!(
        orders.iter().all(|o| o.state.is_final()),
        "{:?}",
        orders.iter().filter(|o| !o.state.is_final()).collect::<Vec<_>>()
    );
    assert_eq!(job_status(s, &a.job.id).await.unwrap().status, JobStatus::Completed);
    // One message per order, over the whole run.
    assert_eq!(p.queues.sends() as usize, orders.len());
}

#[tokio::test]
async fn orders_go_to_a_healthy_alternative_unless_the_client_directs_routing() {
    let (file, mut accounts) = book(40);
    let date = trade_date(&file);
    for a in accounts.iter_mut().take(10) {
        a.profile.directed_routing = true;
    }
    let p = MemoryPlatform::new(ReferenceCache::new(MemorySource::new(file), Ttls::default()));
    p.store.put_accounts(&accounts).await.unwrap();
    let s = &p.store;
    set_venue(s, "XNYS", VenueStatus::Halted).await;
    set_venue(s, "ARCX", VenueStatus::Degraded).await;
    let a = p.accept(&body(&accounts, r#","mode":"full""#), None, now(), date).await.unwrap();
    p.run(&a.job.id).await.unwrap();
    let directed: HashSet<&str> = accounts.iter().take(10).map(|a| a.id.as_str()).collect();
    let orders = s.job_orders(&a.job.id).await.unwrap();
    let mut seen = BTreeMap::new();
    for o in &orders {
        let from = o.rerouted_from.as_deref();
        let kind = match (o.venue.as_str(), from, o.state, directed.contains(o.account.as_str())) {
            ("XNAS", Some("XNYS"), OrderState::Sent, false) => "XNYS rerouted to XNAS",
            ("BATS", Some("ARCX"), OrderState::Sent, false) => "ARCX rerouted to BATS",
            ("XNYS", None, OrderState::Held, true) => "XNYS held (directed)",
            ("ARCX", None, OrderState::Sent, true) => "ARCX kept (directed; degraded, not down)",
            ("XNYS", _, _, _) | ("ARCX", _, _, _) => panic!("misrouted: {o:?}"),
            _ => "elsewhere",
        };
        *seen.entry(kind).or_insert(0) += 1;
    }
    for kind in ["XNYS rerouted to XNAS", "ARCX rerouted to BATS", "XNYS held (directed)"] {
        assert!(seen.contains_key(kind), "{kind}: {seen:?}");
    }
}

#[tokio::test]
async fn a_crash_at_any_write_of_a_release_never_loses_or_doubles_an_order() {
    let (file, accounts) = book(12);
    let date = trade_date(&file);
    let reference = ReferenceCache::new(MemorySource::new(file), Ttls::default());
    let run = |n: u64, crash: Crash, in_queue: bool| {
        let reference = &reference;
        let accounts = &accounts;
        async move {
            let store = Faulty::new(MemoryStore::new());
            let queues = Faulty::new(MemoryQueues::new());
            store.inner.put_accounts(accounts).await.unwrap();
            set_venue(&store.inner, "XNYS", VenueStatus::Halted).await;
            set_venue(&store.inner, "XNAS", VenueStatus::Halted).await;
            let b = body(accounts, r#","mode":"full""#);
            let job = accept_rebalance(&store, &store, &MemoryWorkflow::new(), &store, &b, None, now(), date)
                .await
                .unwrap()
                .job
                .id;
            run_job(&store, &store, &store, &queues, &store, reference, &job).await.unwrap();
            queued(&queues.inner);
            set_venue(&store.inner, "XNYS", VenueStatus::Healthy).await;
            let writes_before = store.writes() + queues.writes();
            if in_queue {
                queues.fail_write(n, crash)
            } else {
                store.fail_write(n, crash)
            }
            // The first release may fail part-way; the next one (the detector's next batch) finishes it.
            let _ = release_held_orders(&store, &queues, &store, reference, date, "XNYS").await;
            release_held_orders(&store, &queues, &store, reference, date, "XNYS").await.unwrap();
            let sent = queued(&queues.inner).remove("XNYS").unwrap_or_default();
            let orders = store.inner.job_orders(&job).await.unwrap();
            (sent, orders, store.writes() + queues.writes() - writes_before)
        }
    };
    let (clean, orders, writes) = run(u64::MAX, Crash::Before, false).await;
    let want: Vec<String> =
        orders.iter().filter(|o| o.venue == "XNYS" && o.state == OrderState::Sent).map(|o| o.id.clone()).collect();
    assert!(want.len() > 5, "{}", want.len());
    assert_eq!(sorted(clean.clone()), sorted(want.clone()));
    for crash in [Crash::Before, Crash::After] {
        for n in 1..=writes {
            for in_queue in [false, true] {
                let (sent, orders, _) = run(n, crash, in_queue).await;
                let what = format!("crash {crash:?} at write {n} of {writes} (in the queue: {in_queue})");
                assert_eq!(sorted(sent), sorted(want.clone()), "{what}: each released order queued once");
                let xnys: Vec<_> = orders.iter().filter(|o| o.venue == "XNYS" && o.held_for.is_none()).collect();
                assert_eq!(xnys.len(), want.len(), "{what}");
                assert!(xnys.iter().all(|o| o.state == OrderState::Sent), "{what}");
            }
        }
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
